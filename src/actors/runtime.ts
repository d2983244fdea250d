/**
 * A worker: the sessions of its users and the room actors of its partitions, fed by the
 * partition mailboxes. Here a worker owns every partition; leases that share them among
 * several workers come with the scale-out work.
 */
import type { Worker as BullWorker, ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AnyPlugin } from '../legacy/plugin.ts';
import { consumeMailboxes, type Mailboxes } from '../transport/mailbox.ts';
import type { Outbox } from '../transport/outbox.ts';
import { defineArchiveCommands } from './archive.ts';
import { createJobHandler } from './handle-job.ts';
import type { Keys } from './keys.ts';
import { PartitionRuntime } from './partition.ts';
import { Sessions } from './sessions.ts';
import { userStore, type UserStore } from './users.ts';

/** How often a failing job is tried again inside the handler before it is dead-lettered. */
export const JOB_TRIES = 3;

export interface WorkerOptions {
  gatewayJid: string;
  plugin: AnyPlugin;
  shared: unknown;
  redis: Redis;
  connection: ConnectionOptions;
  keys: Keys;
  mailboxes: Mailboxes;
  outbox: Outbox;
  log: Logger;
  /** A room with no event for this long leaves memory (its snapshot stays in Redis). */
  idleBeforeHibernateMs: number;
}

export interface RunningWorker {
  users: UserStore;
  sessions: Sessions;
  /** Room actors in memory, all partitions together. */
  liveRooms(): number;
  /** Hibernates idle rooms now (the timer does it every so often); returns how many. */
  hibernateIdle(idleMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const { redis, keys, log } = opts;
  defineArchiveCommands(redis);
  const users = userStore(redis, keys);
  const sessions: Sessions = new Sessions({
    plugin: opts.plugin, shared: opts.shared, gatewayJid: opts.gatewayJid, users,
    mailboxes: opts.mailboxes, log: log.child({ module: 'sessions' }),
  });
  const handler = createJobHandler({ gatewayJid: opts.gatewayJid, plugin: opts.plugin, users, sessions, log });
  const partitions = Array.from({ length: keys.partitions }, (_, p) => p);
  const runtimes = partitions.map((partition) => new PartitionRuntime({
    partition, redis, keys, sessions, outbox: opts.outbox, log: log.child({ module: 'partition', partition }),
  }));

  const workers: BullWorker[] = consumeMailboxes(keys, partitions, opts.connection, async (job, partition, jobId) => {
    const runtime = runtimes[partition]!;
    for (let attempt = 1; ; attempt++) {
      try {
        return await runtime.run(jobId, job, handler);
      } catch (err) {
        if (attempt >= JOB_TRIES) {
          // poison job: parked with its reason, so the partition goes on in order
          log.error({ err, partition, jobId, kind: job.kind }, 'job failed, moved to dead letters');
          await redis.rpush(keys.deadLetters(), JSON.stringify({ partition, jobId, job, reason: String((err as Error)?.message ?? err), at: new Date().toISOString() }))
            .catch(() => undefined);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  for (const w of workers) w.on('error', (err) => log.error({ err: err.message }, 'mailbox worker error'));

  // §2.1: every registered user is logged in at start-up
  for (const jid of await users.all()) {
    const user = await users.get(jid);
    if (user) sessions.login(user);
  }
  log.info({ partitions: partitions.length }, 'worker started');

  const hibernateIdle = async (idleMs = opts.idleBeforeHibernateMs) => {
    const counts = await Promise.all(runtimes.map((r) => r.hibernateIdle(idleMs)));
    const total = counts.reduce((a, b) => a + b, 0);
    if (total) log.debug({ rooms: total }, 'rooms hibernated');
    return total;
  };
  const sweep = setInterval(() => {
    hibernateIdle().catch((err: Error) => log.warn({ err: err.message }, 'hibernation sweep failed'));
  }, Math.max(1000, Math.floor(opts.idleBeforeHibernateMs / 4)));
  sweep.unref();

  return {
    users,
    sessions,
    liveRooms: () => runtimes.reduce((n, r) => n + r.rooms.liveCount, 0),
    hibernateIdle,
    async stop() {
      clearInterval(sweep);
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(runtimes.map((r) => r.shutdown().catch((err: Error) => log.warn({ err: err.message }, 'shutdown notice failed'))));
      await sessions.logoutAll();
    },
  };
}
