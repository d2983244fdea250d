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

interface Repeating { stop(): Promise<void> }

/** Runs `work` `everyMs` after each run ends; `stop` cancels the next run and waits for one in progress. */
function repeat(everyMs: number, work: () => Promise<void>, onError: (err: Error) => void): Repeating {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const next = () => {
    timer = setTimeout(() => {
      running = work().catch(onError).then(() => { if (!stopped) next(); });
    }, everyMs);
  };
  next();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

export interface PartitionHooks {
  /** The partition is ours (lease value given): start consuming it. */
  gain(partition: number, lease: string): Promise<void>;
  /** The partition is no longer ours; `lost` when the lease expired under us (no graceful drain). */
  lose(partition: number, lost: boolean): Promise<void>;
}

export class Ownership {
  private readonly held = new Map<number, string>();
  private balancing: Repeating | null = null;
  /** Renewals go on while `stop` drains the partitions, until it has given every lease back. */
  private renewing: Repeating | null = null;
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
    await this.keepAlive();
    await this.tick();
    // Two loops: the heartbeat and the leases are renewed every tick whatever the balancing is
    // doing; a handover drains the partition's job in progress, which may wait on a plugin's
    // hook for seconds, and the other leases used to wait with it.
    const warn = (what: string) => (err: Error) => this.log.warn({ err: err.message }, what);
    this.renewing = repeat(this.opts.tickMs, () => this.keepAlive(), warn('lease renewal failed'));
    this.balancing = repeat(this.opts.tickMs, () => this.tick(), warn('ownership tick failed'));
  }

  heldPartitions(): number[] { return [...this.held.keys()].sort((a, b) => a - b); }

  /** The lease of a partition was found lost while working on it. */
  async lost(partition: number): Promise<void> {
    if (!this.held.delete(partition)) return;
    this.log.warn({ partition }, 'partition lease lost');
    await this.hooks.lose(partition, true);
  }

  /**
   * Takes and hands over no more partitions, once a balancing in progress has ended; the leases
   * held are still renewed. A stopping worker pauses first: after a Redis outage it was taking
   * partitions back while it stopped (a consumer and its users' logins each, to undo at once).
   */
  async pause(): Promise<void> {
    this.stopped = true;
    await this.balancing?.stop();
  }

  /** Gives every partition back (drained) and leaves the worker set. */
  async stop(): Promise<void> {
    await this.pause();
    for (const [partition, lease] of [...this.held]) {
      this.held.delete(partition);
      await this.hooks.lose(partition, false); // the leases are still renewed meanwhile
      await releaseLease(this.redis, this.keys, partition, lease);
    }
    await this.renewing?.stop();
    await this.redis.zrem(this.keys.workers(), this.workerId);
  }

  /**
   * The worker's heartbeat and every lease it holds, renewed in one round trip (a pipeline):
   * one after another, a busy worker renewed its 16 leases in a tick long enough to lose them
   * to their own TTL (W6, workers held to 0.3 of a core: 23-139 leases lost per run).
   */
  private async keepAlive(): Promise<void> {
    const { leaseTtlMs } = this.opts;
    const held = [...this.held];
    const [, renewed] = await Promise.all([
      this.redis.zadd(this.keys.workers(), Date.now() + leaseTtlMs, this.workerId),
      renewLeases(this.redis, this.keys, held, leaseTtlMs),
    ]);
    for (const [i, [p, value]] of held.entries()) {
      // a lease handed over meanwhile is no longer ours to lose
      if (!renewed[i] && this.held.get(p) === value) await this.lost(p);
    }
  }

  /** The live workers (those whose heartbeat has not expired), in one round trip. */
  private async liveWorkers(): Promise<string[]> {
    const now = Date.now();
    const results = await this.redis.multi()
      .zremrangebyscore(this.keys.workers(), '-inf', now)
      .zrangebyscore(this.keys.workers(), now, '+inf')
      .exec();
    const [err, live] = results?.[1] ?? [new Error('worker registry: the transaction was discarded'), null];
    if (err) throw err;
    return live as string[];
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const assignment = assignPartitions(this.keys.partitions, await this.liveWorkers());
    const taken: number[] = [];
    const handedOver: number[] = [];
    try {
      await this.balance(assignment, taken, handedOver);
    } finally {
      // one line per change of ownership, not one per partition
      if (handedOver.length) this.log.info({ partitions: handedOver }, 'partitions handed over');
      if (taken.length) this.log.info({ partitions: taken }, 'partitions taken');
    }
  }

  /** Hands over the partitions assigned to others (drained first) and takes those assigned to this worker. */
  private async balance(assignment: (string | undefined)[], taken: number[], handedOver: number[]): Promise<void> {
    for (let p = 0; p < this.keys.partitions; p++) {
      const mine = assignment[p] === this.workerId;
      const lease = this.held.get(p);
      if (lease && !mine) {
        // a new worker's share: drain, then hand over
        this.held.delete(p);
        await this.hooks.lose(p, false);
        await releaseLease(this.redis, this.keys, p, lease);
        handedOver.push(p);
      } else if (!lease && mine) {
        const value = await acquireLease(this.redis, this.keys, p, this.workerId, this.opts.leaseTtlMs);
        if (!value || this.stopped) continue; // the previous owner still drains, or its lease has not expired
        this.held.set(p, value);
        await this.hooks.gain(p, value);
        taken.push(p);
      }
    }
  }
}
