/**
 * A partition's mailbox consumer as its owner runs it: one job at a time, in order, and first
 * any job a lost fetch answer left active. ioredis sends a fetch again when the connection
 * dropped before its answer, and the second fetch takes the next job: the first one sits in the
 * active list with nobody running it (`olderJobsActive`).
 */
import type { Worker as BullWorker, ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { consumeMailbox, olderJobsActive, RequeuedBehindOlder, type Mailboxes, type MailboxWork } from '../transport/mailbox.ts';
import type { Keys } from './keys.ts';
import { logRedisErrors } from '../redis.ts';

/**
 * How long after an error or a close of the consumer's connection each job first checks for
 * older jobs left active: one round trip a job, only while a lost fetch answer is possible.
 */
const SUSPECT_ORPHANS_MS = 60_000;

/**
 * A partition whose consumer has run nothing for this long, with a job in its active list, gets
 * a job without events (`Mailboxes.nudge`) that finds it: a lost fetch of the partition's last
 * job has no newer job after it, nor has a job that a previous owner fetched after losing its
 * lease unawares (paused longer than the lease), and BullMQ's stall check would take 30–60 s.
 * One LLEN a second per idle partition.
 */
const ORPHAN_IDLE_MS = 2000;

export interface PartitionConsumerOptions {
  partition: number;
  keys: Keys;
  connection: ConnectionOptions;
  redis: Redis;
  mailboxes: Mailboxes;
  log: Logger;
  /** The mailbox's active list (`mailboxListKeys`). */
  activeList: string;
  /** Moves the jobs left active back to the head of the mailbox, oldest first; -1 without the lease. */
  recoverActive(): Promise<number>;
  /** Runs a job's events. */
  run(work: MailboxWork): Promise<void>;
}

export interface PartitionConsumer {
  consumer: BullWorker;
  /** Ends the orphan watch (the owner closes the consumer itself, drained or not). */
  stopWatch(): void;
}

export function consumePartition(opts: PartitionConsumerOptions): PartitionConsumer {
  const { partition, keys, redis, log } = opts;
  let suspectUntil = 0;
  let running = false;
  let lastRanAt = Date.now();
  const consumer = consumeMailbox(keys, partition, opts.connection, async (work) => {
    running = true;
    try {
      const nudge = work.jobs?.length === 0; // the orphan watch's: it checks whenever it comes
      if ((nudge || Date.now() < suspectUntil) && await olderJobsActive(redis, keys, partition, work.jobId)) {
        const moved = await opts.recoverActive();
        if (moved >= 0) {
          log.warn({ partition, jobId: work.jobId, jobs: moved }, 'older jobs were left active: they run first, then this one');
          throw new RequeuedBehindOlder();
        }
      }
      if (!nudge) await opts.run(work);
    } finally {
      running = false;
      lastRanAt = Date.now();
    }
  });
  const logError = logRedisErrors(log, { partition }, 'mailbox consumer error');
  consumer.on('error', (err) => {
    suspectUntil = Date.now() + SUSPECT_ORPHANS_MS;
    logError(err);
  });
  // a connection closed without an error (Redis killed: its socket ends cleanly unless it had
  // unread bytes) loses a fetch answer all the same
  consumer.on('ioredis:close', () => { suspectUntil = Date.now() + SUSPECT_ORPHANS_MS; });

  // the orphan watch: a job left active with no newer job to find it (ORPHAN_IDLE_MS)
  let nudging = false;
  const watch = setInterval(() => {
    if (nudging || running || Date.now() - lastRanAt < ORPHAN_IDLE_MS) return;
    nudging = true;
    (async () => {
      if (await redis.llen(opts.activeList) === 0) return;
      await opts.mailboxes.nudge(partition);
      lastRanAt = Date.now(); // one nudge, then as long again for it to run
    })().catch(() => undefined).finally(() => { nudging = false; });
  }, ORPHAN_IDLE_MS / 2);
  watch.unref();
  return { consumer, stopWatch: () => clearInterval(watch) };
}
