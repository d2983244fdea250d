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
  | { kind: 'xmpp'; user: string; xml: string; at: string }
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

  /** Jobs waiting in every partition, for the operator. */
  async depth(): Promise<number> {
    let total = 0;
    for (let p = 0; p < this.keys.partitions; p++) total += await this.queue(p).getWaitingCount();
    return total;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/** Consumes the given partitions, one job at a time each, in order. */
export function consumeMailboxes(
  keys: Keys,
  partitions: number[],
  connection: ConnectionOptions,
  handle: (job: MailboxJob, partition: number, jobId: string) => Promise<void>,
): Worker<MailboxJob>[] {
  return partitions.map((p) => new Worker<MailboxJob>(
    MAILBOX_QUEUE,
    async (job: Job<MailboxJob>) => handle(job.data, p, String(job.id)),
    { connection, prefix: keys.mailboxPrefix(p), concurrency: 1, autorun: true },
  ));
}
