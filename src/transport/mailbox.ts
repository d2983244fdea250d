/**
 * Partition mailboxes: one BullMQ queue per partition. Everything a user's session and rooms
 * consume (XMPP stanzas, legacy events, control) enters through the user's partition queue,
 * so one worker applies it in one order. Jobs have one attempt: a BullMQ retry would move the
 * job to the back and reorder the partition (FACTS); the handler retries inside instead.
 */
import { randomUUID } from 'node:crypto';
import { Queue, WaitingError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import pino, { type Logger } from 'pino';
import type { Keys } from '../actors/keys.ts';
import { BoundedMap } from '../bounded-map.ts';
import type { LegacyRoomEvent } from '../machines/events.ts';
import type { Element } from './xmpp/stanza.ts';
import { logRedisErrors } from '../redis.ts';

/** Where the errors of a mailbox queue go when its owner gives no logger (the CLI's short-lived queues). */
const SILENT = pino({ level: 'silent' });

export const MAILBOX_QUEUE = 'mailbox';

export type MailboxJob =
  /** A stanza from a user, as the edge received it; `user` is its sender's bare JID. */
  | { kind: 'xmpp'; user: string; xml: string; at: string; eventId: string }
  /** A legacy event for one room of a user, stamped with its id and time. */
  | { kind: 'legacy'; user: string; legacyId: string; event: LegacyRoomEvent }
  /** Runtime work for a user's session. */
  /** `status`: the user's session changed state; the gateway's presence to the user says so (spec §2.1). */
  | { kind: 'control'; user: string; action: 'login' | 'logout' | 'status' };

/**
 * What a partition queue holds: one job, or several of one partition added in the same tick.
 * A batch of `PACK_FROM` jobs or more travels as a payload: its jobs are packed (MessagePack)
 * in a key of their own, which the job's last commit deletes.
 */
export type MailboxEntry =
  | MailboxJob
  | { kind: 'batch'; user: string; jobs: MailboxJob[]; addId?: string }
  | { kind: 'packed'; user: string; payload: string; count: number; addId?: string }
  /** No events: a newer job that makes the partition's consumer look for older ones left active (`Mailboxes.nudge`). */
  | { kind: 'nudge' };

/** The most jobs one batch carries. */
export const MAX_BATCH = 500;

/**
 * Batches from this many jobs on are packed into a payload key. BullMQ writes a job's data as a
 * JSON string: for W2's 500-event batches (200 KB) that string cost ≈ 8 µs per event to add
 * (stringify, then ioredis flattening and measuring it three times) and ≈ 4 µs to read back;
 * packed records cost ≈ 5 and ≈ 1, at half the bytes. A small batch stays inline: the payload
 * costs a round trip each way.
 */
export const PACK_FROM = 16;

/** Record structures travel inside each payload: any process unpacks it with a Packr of its own. */
const packr = new Packr({ useRecords: true, moreTypes: false });

/**
 * How many stanzas parsed by this process's edge wait for a worker of this process (see
 * `parsedStanza`). W3's client writes faster than the worker applies, and with 4,096 the worker
 * parsed 55–60 % of the messages again (they had been dropped before it came to them): 16,384
 * cover such a burst, at ≤ ≈ 1 KB each while they wait (the element and its share of the chunk
 * read from the socket), i.e. ≤ ≈ 16 MB.
 */
export const MAX_PARSED = 16_384;

/** Completed jobs kept so a re-added job id is recognised as a duplicate. */
const KEEP_COMPLETED = { count: 2000 };

interface Pending { jobs: MailboxJob[]; jobIds: (string | undefined)[]; done: Promise<void>; resolve(): void; reject(err: unknown): void }

/**
 * Adds to the partition queues. Jobs added in the same tick for one partition travel as one
 * queue job (a batch, in order): a burst of legacy events or stanzas costs one queue round
 * trip instead of one each, and the worker commits it in one step. While a partition's add is
 * in flight, what comes meanwhile waits for it and goes as the next batch: under load batches
 * grow by themselves (a post fanned out to 10 users' rooms, W4), idle adds wait for nothing.
 */
export class Mailboxes {
  private readonly queues = new Map<number, Queue<MailboxEntry>>();
  /** Per partition: batches not yet added, oldest first (only the last one takes more jobs). */
  private readonly pending = new Map<number, Pending[]>();
  /** Partitions with an add in flight, or one scheduled for the end of this tick. */
  private readonly busy = new Set<number>();
  /**
   * Stanzas this process's edge added, as it parsed them, by event id (see `parsedStanza`):
   * those of a partition that another process consumes are never taken, and make room.
   */
  private readonly parsed = new BoundedMap<string, Element>(MAX_PARSED);

  /**
   * `keepParsed`: a worker in this process consumes what its edge adds (`roomgate start`), so the
   * edge's parsed stanzas are kept for it (see `parsedStanza`); an edge alone keeps none.
   * `redis` carries the queues and the payloads.
   */
  constructor(
    private readonly keys: Keys,
    private readonly redis: Redis,
    private readonly opts: { keepParsed?: boolean; log?: Logger } = {},
  ) {}

  private queue(partition: number): Queue<MailboxEntry> {
    let q = this.queues.get(partition);
    if (!q) {
      q = new Queue<MailboxEntry>(MAILBOX_QUEUE, { connection: this.redis, prefix: this.keys.mailboxPrefix(partition) });
      // a queue without an error listener has BullMQ print each of its connection's errors to
      // stderr, outside the log: every retry while Redis is away (src/redis.ts)
      q.on('error', logRedisErrors(this.opts.log ?? SILENT, { partition }, 'mailbox queue error'));
      this.queues.set(partition, q);
    }
    return q;
  }

  /**
   * Adds a job to its user's partition; resolves once it is in Redis. `jobId` makes a repeated
   * add of a lone job a no-op (in a batch, rooms drop repeated events by their ids).
   */
  add(job: MailboxJob, jobId?: string, parsed?: Element): Promise<void> {
    if (parsed && job.kind === 'xmpp' && this.opts.keepParsed) this.parsed.set(job.eventId, parsed);
    const partition = this.keys.partitionOf(job.user);
    const batches = this.pending.get(partition) ?? [];
    this.pending.set(partition, batches);
    let batch = batches.at(-1);
    if (!batch || batch.jobs.length >= MAX_BATCH) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      batch = { jobs: [], jobIds: [], done, resolve, reject };
      batches.push(batch);
    }
    batch.jobs.push(job);
    batch.jobIds.push(jobId);
    if (!this.busy.has(partition)) {
      this.busy.add(partition);
      setImmediate(() => void this.send(partition));
    }
    return batch.done;
  }

  /** Adds the partition's batches one after the other, then whatever came meanwhile. */
  private async send(partition: number): Promise<void> {
    for (let batch = this.next(partition); batch; batch = this.next(partition)) {
      const [first] = batch.jobs;
      const jobId = batch.jobs.length === 1 ? batch.jobIds[0] : undefined;
      // An add that Redis ran but whose answer a dropped connection lost is sent again by ioredis.
      // A lone job with an id of its own is taken once by BullMQ (it keeps completed jobs); any
      // other add carries an id: BullMQ takes it once while its job waits (deduplication), and
      // the partition drops it once its job is done (`partitionAdds`). A job id of ours would
      // end the numeric ids that order the partition's jobs (see `PartitionRuntime.run`).
      const addId = jobId ? undefined : randomUUID();
      try {
        let entry: MailboxEntry = jobId ? first! : { kind: 'batch', user: first!.user, jobs: batch.jobs, addId };
        if (batch.jobs.length >= PACK_FROM) {
          // the payload is in Redis before the job that names it; if the add then fails, it stays
          // (the add may have happened without its answer: deleting would lose the events)
          const payload = this.keys.mailboxPayload(partition, randomUUID());
          await this.redis.set(payload, packr.pack(batch.jobs));
          entry = { kind: 'packed', user: first!.user, payload, count: batch.jobs.length, addId };
        }
        await this.queue(partition).add(entry.kind, entry, {
          attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: false,
          ...(jobId ? { jobId } : { deduplication: { id: addId! } }),
        });
        batch.resolve();
      } catch (err) {
        batch.reject(err);
      }
    }
    this.busy.delete(partition);
  }

  private next(partition: number): Pending | undefined {
    const batches = this.pending.get(partition);
    const batch = batches?.shift();
    if (batches && !batches.length) this.pending.delete(partition);
    return batch;
  }

  /**
   * Adds a job without events to a partition: its consumer, running it, looks for older jobs
   * left active first (see the worker's orphan watch), as it does before any job after a lost
   * connection.
   */
  async nudge(partition: number): Promise<void> {
    await this.queue(partition).add('nudge', { kind: 'nudge' }, { attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: false });
  }

  /**
   * The stanza of an `xmpp` job as the edge of this process parsed it, taken once: a worker in
   * the same process (`roomgate start`) skips parsing the job's XML again (W3 parsed each user
   * message twice). Undefined when another process added it, or it is long gone: parse `xml`.
   */
  parsedStanza(eventId: string): Element | undefined {
    return this.parsed.take(eventId);
  }

  /** Jobs waiting in each partition, for the operator. */
  async depths(): Promise<number[]> {
    return Promise.all(Array.from({ length: this.keys.partitions }, (_, p) => this.queue(p).getWaitingCount()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/** BullMQ's own list keys of a partition's mailbox, for recovering a dead owner's active jobs. */
export function mailboxListKeys(keys: Keys, partition: number): { active: string; wait: string; jobPrefix: string } {
  const base = `${keys.mailboxPrefix(partition)}:${MAILBOX_QUEUE}:`;
  return { active: `${base}active`, wait: `${base}wait`, jobPrefix: base };
}

/** A queue job's content as its handler takes it: its jobs, or the payload key they are packed in. */
export interface MailboxWork {
  /** BullMQ's id of the job: its place in the partition's order. */
  jobId: string;
  jobs?: MailboxJob[];
  /** A packed batch's key (`readPayload`): the job's last commit deletes it. */
  payload?: string;
  /** The add's id (see `Mailboxes.send`): the job's last commit notes it done. */
  addId?: string;
}

/** A payload that does not unpack: the job is parked, its payload kept for the operator. */
export class MalformedPayload extends Error {
  constructor(readonly payload: string, cause: unknown) {
    super(`mailbox payload ${payload} does not unpack: ${(cause as Error)?.message ?? cause}`);
    this.name = 'MalformedPayload';
  }
}

/**
 * The jobs of a packed batch; null when its key is gone: the job ran again after the commit
 * that deleted it, so its events are applied already. Read where Redis errors are retried
 * (the worker's job loop): a job failed for a blip would be lost, it has one attempt.
 */
export async function readPayload(redis: Redis, key: string): Promise<MailboxJob[] | null> {
  const bytes = await redis.getBuffer(key);
  if (!bytes) return null;
  try {
    return packr.unpack(bytes) as MailboxJob[];
  } catch (err) {
    throw new MalformedPayload(key, err);
  }
}

/**
 * Thrown by a job's handler to leave the job active, neither completed nor failed, for the
 * partition's next owner to run again (`recover-active-3.lua`): the lease was lost mid-job.
 * BullMQ stops renewing the job's lock and fetches nothing more once its worker is closing. A
 * handler that never returned instead kept a graceful close (a handover) waiting for it forever,
 * and BullMQ renewing the job's lock meanwhile.
 */
export class LeftForNextOwner extends WaitingError {
  constructor() {
    super('left active for the partition\'s next owner');
    this.name = 'WaitingError'; // BullMQ recognises the class by this name too
  }
}

/**
 * Thrown by a job's handler that put the job back in the mailbox behind older jobs it found
 * left active (`olderJobsActive`, `recover-active-3.lua`): they run first, then it. BullMQ
 * leaves a job alone whose handler throws a WaitingError.
 */
export class RequeuedBehindOlder extends WaitingError {
  constructor() {
    super('put back in the mailbox behind older jobs left active');
    this.name = 'WaitingError'; // BullMQ recognises the class by this name too
  }
}

/**
 * Whether jobs older than `jobId` sit in the partition's active list. A fetch whose answer a
 * lost connection swallowed leaves its job there: ioredis sends the fetch again, which takes
 * the next job. Left alone, that job would run after BullMQ's stall check (30–60 s), after
 * newer jobs, and the rooms' watermarks would drop its events as applied (a Redis crash under
 * traffic lost a few messages so, rarely).
 * Any other job there is older: the consumer fetches one job at a time, in the mailbox's order,
 * and a partition's new owner moves what the old one left active back first. Ids cannot tell:
 * a lone legacy event's job has its event's id, not one of BullMQ's numbers (comparing them as
 * numbers missed such a job, and it waited for the stall check).
 */
export async function olderJobsActive(redis: Redis, keys: Keys, partition: number, jobId: string): Promise<boolean> {
  const active = await redis.lrange(mailboxListKeys(keys, partition).active, 0, -1);
  return active.some((id) => id !== jobId);
}

/** How long a drained close of a consumer may take once its job in progress is done (see `closeConsumer`). */
export const CLOSE_GRACE_MS = 2000;

/**
 * Closes a partition's consumer: drained (its job in progress finishes and commits), or at once
 * with `force`. BullMQ's drained close also waits for its blocking connection to end, which a
 * connection that lost Redis never does (bullmq 6.7, issue 4656: still pending once Redis is
 * back), so a gateway stopped during or just after an outage hung; and a forced close of a
 * consumer already closing is that same close. `drained` resolves once the partition's job in
 * progress is done; a close still pending `graceMs` later is not waited for: a job BullMQ
 * fetched meanwhile stays active, and the partition's next owner runs it.
 */
export async function closeConsumer(
  consumer: Worker<MailboxEntry>,
  opts: { force: boolean; drained: () => Promise<void> | undefined; graceMs?: number },
): Promise<void> {
  const closing = consumer.close(opts.force).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const given = (async () => {
    if (!opts.force) await opts.drained();
    await new Promise<void>((resolve) => { timer = setTimeout(resolve, opts.graceMs ?? CLOSE_GRACE_MS).unref(); });
  })();
  try {
    await Promise.race([closing, given]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Consumes one partition's mailbox, one job at a time, in order. Stalled-job recovery is ours
 * (`recover-active-3.lua` when a partition is taken), so BullMQ never fails a job for stalling.
 */
export function consumeMailbox(
  keys: Keys,
  partition: number,
  connection: ConnectionOptions,
  handle: (work: MailboxWork) => Promise<void>,
): Worker<MailboxEntry> {
  return new Worker<MailboxEntry>(
    MAILBOX_QUEUE,
    async (job: Job<MailboxEntry>) => {
      const data = job.data;
      const jobId = String(job.id);
      const addId = 'addId' in data && data.addId ? { addId: data.addId } : {};
      if (data.kind === 'packed') return handle({ jobId, payload: data.payload, ...addId });
      if (data.kind === 'nudge') return handle({ jobId, jobs: [] });
      return handle({ jobId, jobs: data.kind === 'batch' ? data.jobs : [data], ...addId });
    },
    { connection, prefix: keys.mailboxPrefix(partition), concurrency: 1, maxStalledCount: Number.MAX_SAFE_INTEGER },
  );
}
