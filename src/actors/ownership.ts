/**
 * Who owns which partition. Workers register in Redis with an expiring heartbeat; each worker
 * computes the same assignment from the live set (`assignPartitions`) and takes or gives back
 * leases to match it. A worker that stops renewing
 * (dead, partitioned away) loses its leases when they expire, and the others take over.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from './keys.ts';
import { acquireLease, releaseLease, renewLeases } from './lease.ts';
import type { ScriptCommands } from './scripts.ts';

export interface OwnershipOptions {
  /** How long a lease (and a worker's registration) lives without renewal. */
  leaseTtlMs: number;
  /** How often leases are renewed and the assignment is checked. */
  tickMs: number;
}

export const DEFAULT_OWNERSHIP: OwnershipOptions = { leaseTtlMs: 3000, tickMs: 1000 };

/**
 * Rendezvous hashing with bounded load: each partition goes to the highest-ranked worker (by
 * hash of worker and partition) that has fewer than ceil(P / W) partitions, so the spread is
 * even however few partitions there are, and a change of workers moves few of them. Every
 * worker computes the same answer from the same set.
 */
export function assignPartitions(partitions: number, workers: string[]): (string | undefined)[] {
  const sorted = [...workers].sort();
  const cap = Math.ceil(partitions / Math.max(1, sorted.length));
  const load = new Map(sorted.map((w) => [w, 0]));
  const owners: (string | undefined)[] = [];
  for (let p = 0; p < partitions; p++) {
    const ranked = sorted
      .map((w) => ({ w, score: createHash('sha1').update(`${w}\n${p}`).digest('hex') }))
      .sort((a, b) => (a.score < b.score ? 1 : -1));
    const owner = ranked.find(({ w }) => load.get(w)! < cap)?.w;
    if (owner) load.set(owner, load.get(owner)! + 1);
    owners.push(owner);
  }
  return owners;
}

export interface PartitionHooks {
  /** The partition is ours (lease value given): start consuming it. */
  gain(partition: number, lease: string): Promise<void>;
  /** The partition is no longer ours; `lost` when the lease expired under us (no graceful drain). */
  lose(partition: number, lost: boolean): Promise<void>;
}

export class Ownership {
  private readonly held = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly redis: Redis & ScriptCommands,
    private readonly keys: Keys,
    readonly workerId: string,
    private readonly hooks: PartitionHooks,
    private readonly log: Logger,
    private readonly opts: OwnershipOptions = DEFAULT_OWNERSHIP,
  ) {}

  /** Registers, takes this worker's share of the partitions, and keeps it up to date. */
  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      this.timer = setTimeout(() => {
        this.ticking = this.tick().catch((err: Error) => this.log.warn({ err: err.message }, 'ownership tick failed')).then(() => {
          if (!this.stopped) loop();
        });
      }, this.opts.tickMs);
    };
    loop();
  }

  heldPartitions(): number[] { return [...this.held.keys()].sort((a, b) => a - b); }

  /** The lease of a partition was found lost while working on it. */
  async lost(partition: number): Promise<void> {
    if (!this.held.delete(partition)) return;
    this.log.warn({ partition }, 'partition lease lost');
    await this.hooks.lose(partition, true);
  }

  /** Gives every partition back (drained) and leaves the worker set. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    for (const [partition, lease] of [...this.held]) {
      this.held.delete(partition);
      await this.hooks.lose(partition, false);
      await releaseLease(this.redis, this.keys, partition, lease);
    }
    await this.redis.zrem(this.keys.workers(), this.workerId);
  }

  /** Registers this worker's heartbeat and reads the live set, in one round trip. */
  private async liveWorkers(): Promise<string[]> {
    const now = Date.now();
    const results = await this.redis.multi()
      .zadd(this.keys.workers(), now + this.opts.leaseTtlMs, this.workerId)
      .zremrangebyscore(this.keys.workers(), '-inf', now)
      .zrangebyscore(this.keys.workers(), now, '+inf')
      .exec();
    const [err, live] = results?.[2] ?? [new Error('worker registration: the transaction was discarded'), null];
    if (err) throw err;
    return live as string[];
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const assignment = assignPartitions(this.keys.partitions, await this.liveWorkers());
    const { leaseTtlMs } = this.opts;
    const taken: number[] = [];
    const handedOver: number[] = [];
    try {
      await this.balance(assignment, leaseTtlMs, taken, handedOver);
    } finally {
      // one line per change of ownership, not one per partition
      if (handedOver.length) this.log.info({ partitions: handedOver }, 'partitions handed over');
      if (taken.length) this.log.info({ partitions: taken }, 'partitions taken');
    }
  }

  private async balance(assignment: (string | undefined)[], leaseTtlMs: number, taken: number[], handedOver: number[]): Promise<void> {
    // The leases this worker keeps, renewed first and in one round trip. One after another, a
    // busy worker renewed its 16 in a tick of ≈ 1 s (each behind the commits queued on the
    // connection, and under a CPU quota each waiting for the next slice), and lost them to its
    // own 1.5 s TTL: W6 with workers held to 0.3 of a core lost 23-139 leases per run.
    const kept = [...this.held].filter(([p]) => assignment[p] === this.workerId);
    const renewed = await renewLeases(this.redis, this.keys, kept, leaseTtlMs);
    const lostNow = new Set<number>();
    for (const [i, [p]] of kept.entries()) {
      if (renewed[i]) continue;
      lostNow.add(p);
      await this.lost(p);
    }
    for (let p = 0; p < this.keys.partitions; p++) {
      const mine = assignment[p] === this.workerId;
      const lease = this.held.get(p);
      if (lease && !mine) {
        // a new worker's share: drain, then hand over
        this.held.delete(p);
        await this.hooks.lose(p, false);
        await releaseLease(this.redis, this.keys, p, lease);
        handedOver.push(p);
      } else if (!lease && mine && !lostNow.has(p)) {
        const value = await acquireLease(this.redis, this.keys, p, this.workerId, leaseTtlMs);
        if (!value || this.stopped) continue; // the previous owner still drains, or its lease has not expired
        this.held.set(p, value);
        await this.hooks.gain(p, value);
        taken.push(p);
      }
    }
  }
}
