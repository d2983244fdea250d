/**
 * Partition leases: a worker owns a partition while it holds the lease, an expiring key that
 * it renews. Every acquisition gets a new fencing token, and commits check it
 * (`commit-partition-n.lua`), so a worker that lost its lease cannot write.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { ScriptCommands } from './scripts.ts';

export type LeaseRedis = Pick<ScriptCommands, 'acquireLease' | 'releaseLease'>;

/** The lease value ("<worker>#<token>") when taken or already held, null when someone else holds it. */
export function acquireLease(redis: LeaseRedis, keys: Keys, partition: number, workerId: string, ttlMs: number): Promise<string | null> {
  return redis.acquireLease(keys.partitionLease(partition), keys.partitionFence(partition), workerId, ttlMs);
}

/**
 * Renews several leases in one round trip (a pipeline); true for each one still ours and
 * extended. An error of any renewal (Redis away) rejects: that is not a lost lease.
 */
export async function renewLeases(redis: Redis & ScriptCommands, keys: Keys, leases: [partition: number, value: string][], ttlMs: number): Promise<boolean[]> {
  if (!leases.length) return [];
  const pipeline = redis.pipeline() as unknown as ScriptCommands & { exec(): Promise<[Error | null, unknown][] | null> };
  for (const [partition, value] of leases) void pipeline.renewLease(keys.partitionLease(partition), value, ttlMs);
  const results = await pipeline.exec();
  if (!results) throw new Error('lease renewal: the pipeline was discarded');
  return results.map(([err, answer]) => {
    if (err) throw err;
    return answer === 1;
  });
}

export async function releaseLease(redis: LeaseRedis, keys: Keys, partition: number, value: string): Promise<boolean> {
  return (await redis.releaseLease(keys.partitionLease(partition), value)) === 1;
}
