/**
 * The outbound stanza queue: workers add the stanzas one mailbox job produced as one outbox
 * job; the edge drains it in order. The job id is the mailbox event's id, so a replayed event
 * does not send its stanzas twice while the completed job is remembered.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Keys } from '../actors/keys.ts';

export const OUTBOX_QUEUE = 'xmpp-out';

export interface OutboxJob { stanzas: string[] }

export class Outbox {
  private readonly queue: Queue<OutboxJob>;

  constructor(keys: Keys, connection: ConnectionOptions) {
    this.queue = new Queue<OutboxJob>(OUTBOX_QUEUE, { connection, prefix: keys.outboxPrefix() });
  }

  async add(stanzas: string[], jobId?: string): Promise<void> {
    if (!stanzas.length) return;
    await this.queue.add('out', { stanzas }, {
      attempts: 1, removeOnComplete: { count: 5000 }, removeOnFail: false, ...(jobId ? { jobId } : {}),
    });
  }

  async depth(): Promise<number> { return this.queue.getWaitingCount(); }

  /** Jobs not written yet: waiting or being written. */
  async pending(): Promise<number> { return this.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized'); }

  async close(): Promise<void> { await this.queue.close(); }
}

/** Drains the outbox in order (concurrency 1): `send` resolves once the stanzas are written. */
export function drainOutbox(keys: Keys, connection: ConnectionOptions, send: (stanzas: string[]) => Promise<void>): Worker<OutboxJob> {
  return new Worker<OutboxJob>(OUTBOX_QUEUE, async (job: Job<OutboxJob>) => send(job.data.stanzas), {
    connection, prefix: keys.outboxPrefix(), concurrency: 1,
  });
}
