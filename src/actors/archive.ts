/**
 * A room's message archive in Redis (a list, appended idempotently by the partition's commit),
 * read for history and backfill bounds.
 */
import type { Redis } from 'ioredis';
import type { ArchivedMessage } from '../machines/ports.ts';
import type { HistoryRequest } from '../machines/events.ts';
import { merge } from '../merge.ts';
import type { Keys } from './keys.ts';

/** History on join covers the last 24 hours unless the client asks otherwise (spec §2.4). */
export const DEFAULT_HISTORY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * An archive entry: the message's metadata as JSON, a newline, then its stanza as it is. The
 * stanza is not a JSON string: escaping each of its quotes cost the commit time and bytes, and
 * JSON escapes newlines, so the first one ends the metadata.
 */
export function encodeArchived(entry: ArchivedMessage): string {
  const { xml, ...meta } = entry;
  return `${JSON.stringify(meta)}\n${xml}`;
}

/** An archive entry as `encodeArchived` writes it, or as one JSON object (entries written before). */
export function decodeArchived(raw: string): ArchivedMessage {
  const newline = raw.indexOf('\n');
  if (newline < 0) return JSON.parse(raw) as ArchivedMessage;
  return merge(JSON.parse(raw.slice(0, newline)) as Omit<ArchivedMessage, 'xml'>, { xml: raw.slice(newline + 1) });
}

export async function readArchive(redis: Redis, keys: Keys, user: string, legacyId: string, last = 1000): Promise<ArchivedMessage[]> {
  const raw = await redis.lrange(keys.archive(user, legacyId), -last, -1);
  return raw.map(decodeArchived);
}

/**
 * The archived messages a join asks for (XEP-0045 §7.2.15): the time window (`since`, else
 * `seconds`, else 24 h, in UTC), then the newest `maxstanzas`, then as many of the newest as fit
 * in `maxchars` characters of stanza XML. Oldest first.
 */
export function selectHistory(all: ArchivedMessage[], req: HistoryRequest, now: string): ArchivedMessage[] {
  const nowMs = Date.parse(now);
  const fromMs = req.since ? Date.parse(req.since)
    : req.seconds !== undefined ? nowMs - req.seconds * 1000
    : nowMs - DEFAULT_HISTORY_WINDOW_MS;
  let picked = all.filter((m) => Date.parse(m.at) >= fromMs).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (req.maxstanzas !== undefined) picked = req.maxstanzas > 0 ? picked.slice(-req.maxstanzas) : [];
  if (req.maxchars !== undefined) {
    let budget = req.maxchars;
    let start = picked.length;
    while (start > 0 && budget - picked[start - 1]!.xml.length >= 0) budget -= picked[--start]!.xml.length;
    picked = picked.slice(start);
  }
  return picked;
}

/**
 * The bounds of the hole to backfill (spec §2.4), from archived messages with a legacy id:
 * none → (null, null); newest is backfill → (newest, null); else (newest backfill, first live after it),
 * or (null, oldest live) when nothing was backfilled yet.
 */
export function holeBounds(all: ArchivedMessage[]): { after: ArchivedMessage | null; before: ArchivedMessage | null } {
  const withId = all.filter((m) => m.legacyId !== undefined);
  if (!withId.length) return { after: null, before: null };
  const newest = withId.at(-1)!;
  if (newest.source === 'backfill') return { after: newest, before: null };
  const lastBackfill = withId.findLast((m) => m.source === 'backfill');
  if (!lastBackfill) return { after: null, before: withId[0]! };
  const firstLiveAfter = withId.slice(withId.indexOf(lastBackfill) + 1).find((m) => m.source === 'live') ?? null;
  return { after: lastBackfill, before: firstLiveAfter };
}
