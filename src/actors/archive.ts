/**
 * A room's message archive in Redis (appended idempotently by the partition's commit, indexed
 * by time: scripts/archive-lib.lua), read for history, backfill bounds and MAM pages.
 */
import type { Redis } from 'ioredis';
import type { ArchivedMessage } from '../machines/ports.ts';
import type { HistoryRequest } from '../machines/events.ts';
import { merge } from '../merge.ts';
import { XmppError } from '../transport/xmpp/errors.ts';
import { IDS_NOT_FOUND, messageNotFound, pageOf, type ArchivePage, type ArchiveQuery } from './archive-query.ts';
import { archiveKeyList, type ArchiveKeys } from './keys.ts';
import type { ScriptCommands } from './scripts.ts';

type ArchiveRedis = Redis & Pick<ScriptCommands, 'readArchive'>;

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

/** The time an entry is indexed by (ms); an `at` that does not read as a time counts as the oldest. */
export function archivedMs(entry: Pick<ArchivedMessage, 'at'>): number {
  const ms = Date.parse(entry.at);
  return Number.isFinite(ms) ? ms : 0;
}

/** Entries as the read script answers them (none for a number retention took meanwhile). */
const decodeAll = (raw: unknown[]) => raw.filter((e): e is string => typeof e === 'string' && e !== '').map(decodeArchived);

/** The room's newest `last` archived messages (0: all), only those at or after `sinceMs` if given; oldest first. */
export async function readArchive(redis: ArchiveRedis, archive: ArchiveKeys, last = 1000, sinceMs?: number): Promise<ArchivedMessage[]> {
  return decodeAll(await redis.readArchive(...archiveKeyList(archive), 'newest', last, sinceMs ?? ''));
}

/** The room's oldest and newest archived messages (MAM metadata), none when it is empty. */
export async function readArchiveEnds(redis: ArchiveRedis, archive: ArchiveKeys): Promise<ArchivedMessage[]> {
  return decodeAll(await redis.readArchive(...archiveKeyList(archive), 'ends'));
}

/**
 * A MAM page read through the time index: what `selectArchivePage` answers, for a query without
 * `with` (which reads the archive whole), at the cost of the page, not the archive.
 */
export async function readArchivePage(redis: ArchiveRedis, archive: ArchiveKeys, q: ArchiveQuery): Promise<ArchivePage> {
  const before = q.before === true ? '\0' : q.before ?? '';
  const answer = await redis.readArchive(...archiveKeyList(archive), 'page',
    q.start ?? '', q.end ?? '', q.afterId ?? '', q.beforeId ?? '', q.after ?? '', before, q.max ?? '',
    q.ids ? '1' : '', ...(q.ids ?? []));
  if (answer[0] === 'missing') throw messageNotFound(String(answer[1]));
  if (answer[0] === 'ids-missing') throw new XmppError('item-not-found', IDS_NOT_FOUND);
  const [count, index, complete, ...entries] = answer as [number, number, number, ...unknown[]];
  return pageOf(decodeAll(entries), q, { count, index, complete: complete === 1 });
}

/**
 * The archived messages a join asks for (XEP-0045 §7.2.15): the time window (`since`, else
 * `seconds`, else 24 h, in UTC), then the newest `maxstanzas`, then as many of the newest as fit
 * in `maxchars` characters of stanza XML. Oldest first.
 */
export function selectHistory(all: ArchivedMessage[], req: HistoryRequest, now: string): ArchivedMessage[] {
  const { fromMs } = historyWindow(req, now);
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
 * What a join's history request can pick from (`selectHistory`): messages at or after `fromMs`,
 * at most the newest `max` of them. The archive is read no further.
 */
export function historyWindow(req: HistoryRequest, now: string): { fromMs: number; max: number } {
  const nowMs = Date.parse(now);
  const fromMs = req.since ? Date.parse(req.since)
    : req.seconds !== undefined ? nowMs - req.seconds * 1000
    : nowMs - DEFAULT_HISTORY_WINDOW_MS;
  const max = Math.min(HISTORY_READ_MAX, req.maxstanzas ?? HISTORY_READ_MAX, req.maxchars === 0 ? 0 : HISTORY_READ_MAX);
  return { fromMs, max: Math.max(0, max) };
}

/** History on join reads at most this many of the newest messages. */
export const HISTORY_READ_MAX = 1000;

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
