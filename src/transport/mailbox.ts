/**
 * Partition mailboxes: one BullMQ queue per partition. Everything a user's session and rooms
 * consume (XMPP stanzas, legacy events, control) enters through the user's partition queue,
 * so one worker applies it in one order. Jobs have one attempt: a BullMQ retry would move the
 * job to the back and reorder the partition (FACTS); the handler retries inside instead.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Keys } from '../actors/keys.ts';
import type { LegacyRoomEvent } from '../machines/events.ts';

export const MAILBOX_QUEUE = 'mailbox';

export type MailboxJob =
  /** A stanza from a user, as the edge received it; `user` is its sender's bare JID. */
  | { kind: 'xmpp'; user: string; xml: string; at: string; eventId: string }
  /** A legacy event for one room of a user, stamped with its id and time. */
  | { kind: 'legacy'; user: string; legacyId: string; event: LegacyRoomEvent }
  /** Runtime work for a user's session. */
  | { kind: 'control'; user: string; action: 'login' | 'logout' };

/** Completed jobs kept so a re-added job id is recognised as a duplicate. */
const KEEP_COMPLETED = { count: 2000 };

export class Mailboxes {
  private readonly queues = new Map<number, Queue<MailboxJob>>();

  constructor(private readonly keys: Keys, private readonly connection: ConnectionOptions) {}

  private queue(partition: number): Queue<MailboxJob> {
    let q = this.queues.get(partition);
    if (!q) {
      q = new Queue<MailboxJob>(MAILBOX_QUEUE, { connection: this.connection, prefix: this.keys.mailboxPrefix(partition) });
      this.queues.set(partition, q);
    }
    return q;
  }

  /** Adds a job to its user's partition; `jobId` makes a repeated add a no-op. */
  async add(job: MailboxJob, jobId?: string): Promise<void> {
    await this.queue(this.keys.partitionOf(job.user)).add(job.kind, job, {
      attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: false, ...(jobId ? { jobId } : {}),
    });
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

/**
 * Consumes one partition's mailbox, one job at a time, in order. Stalled-job recovery is ours
 * (`recover-active-3.lua` when a partition is taken), so BullMQ never fails a job for stalling.
 */
export function consumeMailbox(
  keys: Keys,
  partition: number,
  connection: ConnectionOptions,
  handle: (job: MailboxJob, jobId: string) => Promise<void>,
): Worker<MailboxJob> {
  return new Worker<MailboxJob>(
    MAILBOX_QUEUE,
    async (job: Job<MailboxJob>) => handle(job.data, String(job.id)),
    { connection, prefix: keys.mailboxPrefix(partition), concurrency: 1, maxStalledCount: Number.MAX_SAFE_INTEGER },
  );
}
