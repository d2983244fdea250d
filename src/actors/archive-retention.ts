/**
 * Archive retention (spec §3.2's `MAM_MAX_DAYS`): a worker drops, from the rooms of the
 * partitions it holds, archived messages older than `maxDays`. Each room is trimmed by one
 * script fenced by the partition's lease (scripts/trim-archive-7.lua), so a sweep never races
 * a commit or a new owner. The legacy network keeps older history; a backfill may bring it back.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { archiveKeyList, type Keys } from './keys.ts';
import type { ScriptCommands } from './scripts.ts';

export interface RetentionDeps {
  redis: Redis & Pick<ScriptCommands, 'trimArchive'>;
  keys: Keys;
  log: Logger;
}

/** Trims the archives of the partitions held (partition → its lease value); returns the messages dropped. */
export async function sweepArchives(deps: RetentionDeps, held: Map<number, string>, maxDays: number, now = Date.now()): Promise<number> {
  const { redis, keys } = deps;
  const cutoff = now - maxDays * 24 * 3600 * 1000;
  let dropped = 0;
  partitions: for (const [partition, lease] of held) {
    for (const user of await redis.smembers(keys.partitionUsers(partition))) {
      for (const legacyId of await redis.smembers(keys.userRooms(user))) {
        const n = await redis.trimArchive(keys.partitionLease(partition), ...archiveKeyList(keys.archive(user, legacyId)), lease, cutoff);
        if (n < 0) continue partitions; // the partition moved to another worker: it sweeps there
        dropped += n;
      }
    }
  }
  if (dropped) deps.log.info({ messages: dropped, olderThan: new Date(cutoff).toISOString() }, 'archive retention: old messages dropped');
  return dropped;
}
