/** A room's message archive in Redis: appended idempotently, read for history and backfill bounds. */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ArchivedMessage } from '../machines/ports.ts';
import type { HistoryRequest } from '../machines/events.ts';
import type { Keys } from './keys.ts';

const APPEND = readFileSync(new URL('./scripts/append-archive-2.lua', import.meta.url), 'utf8');

/** History on join covers the last 24 hours unless the client asks otherwise (spec §2.4). */
export const DEFAULT_HISTORY_WINDOW_MS = 24 * 3600 * 1000;

export function defineArchiveCommands(redis: Redis): void {
  if (!('appendArchive' in redis)) redis.defineCommand('appendArchive', { numberOfKeys: 2, lua: APPEND });
}

/** Queues an idempotent append on a pipeline or multi. */
export function appendArchive(pipeline: unknown, keys: Keys, user: string, legacyId: string, entry: ArchivedMessage): void {
  (pipeline as { appendArchive(k1: string, k2: string, id: string, json: string): void })
    .appendArchive(keys.archive(user, legacyId), keys.archiveIds(user, legacyId), entry.stanzaId, JSON.stringify(entry));
}

export async function readArchive(redis: Redis, keys: Keys, user: string, legacyId: string, last = 1000): Promise<ArchivedMessage[]> {
  const raw = await redis.lrange(keys.archive(user, legacyId), -last, -1);
  return raw.map((r) => JSON.parse(r) as ArchivedMessage);
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
