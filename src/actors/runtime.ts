/**
 * A worker: it owns some partitions (leases, `ownership.ts`), consumes their mailboxes, and
 * holds the sessions of their users and the room actors of their rooms. Start more workers
 * against the same Redis and the partitions spread over them; stop or lose one and the others
 * take its partitions over, restoring rooms from their snapshots and logging sessions in again.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Worker as BullWorker, ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AnyPlugin } from '../legacy/plugin.ts';
import {
  closeConsumer, LeftForNextOwner, mailboxListKeys, MalformedPayload, readPayload, type MailboxJob, type Mailboxes, type MailboxWork,
} from '../transport/mailbox.ts';
import { consumePartition } from './partition-consumer.ts';
import { createJobHandler } from './handle-job.ts';
import type { Keys } from './keys.ts';
import { DEFAULT_OWNERSHIP, Ownership, type OwnershipOptions } from './ownership.ts';
import { LeaseLost, PartitionRuntime } from './partition.ts';
import { isRedisUnavailable } from '../redis.ts';
import { withScripts } from './scripts.ts';
import { Sessions } from './sessions.ts';
import type { Inspector } from './inspector.ts';
import { cachedUserStore, userStore, type UserStore } from './users.ts';
import { sweepArchives } from './archive-retention.ts';
import { Uploads, type UploadSettings } from './uploads.ts';

export interface WorkerOptions {
  gatewayJid: string;
  plugin: AnyPlugin;
  shared: unknown;
  redis: Redis;
  connection: ConnectionOptions;
  keys: Keys;
  mailboxes: Mailboxes;
  log: Logger;
  /** A room with no event for this long leaves memory (its snapshot stays in Redis). */
  idleBeforeHibernateMs: number;
  /** A room newly in a user's bookmarks brings an invitation too (spec §3.9; default true, as Slidge). */
  alwaysInviteWhenAddingBookmarks?: boolean;
  /** Archived messages older than this many days are dropped (spec §3.2's MAM_MAX_DAYS); 0 keeps them. */
  archiveMaxDays?: number;
  /** How often the archives are swept (default 6 hours, as Slidge). */
  archiveSweepEveryMs?: number;
  ownership?: OwnershipOptions;
  workerId?: string;
  /** Feeds the inspector page (off when absent). */
  inspector?: Inspector;
  /** Where the network's attachments are uploaded (spec §3.19); none: files with bytes cannot be sent. */
  upload?: UploadSettings;
}

export interface RunningWorker {
  workerId: string;
  users: UserStore;
  sessions: Sessions;
  ownedPartitions(): number[];
  /** Room actors in memory, all partitions together. */
  liveRooms(): number;
  /** Hibernates idle rooms now (the timer does it every so often); returns how many. */
  hibernateIdle(idleMs?: number): Promise<number>;
  /** Applies archive retention now, as of `now` (the timer does it every so often); returns the messages dropped. */
  sweepArchives(now?: number): Promise<number>;
  /**
   * Stops consuming and gives the partitions back. With `shutdown` (the whole gateway stops),
   * joined resources are told first (332); without it (one worker of many leaves), the rooms
   * simply move to the other workers.
   */
  stop(opts?: { shutdown?: boolean }): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const { keys, log } = opts;
  const redis = withScripts(opts.redis);
  const workerId = opts.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const users = cachedUserStore(userStore(redis, keys));
  const uploads = new Uploads({ redis, keys, gatewayJid: opts.gatewayJid, settings: opts.upload ?? {}, log: log.child({ module: 'uploads' }) });
  const sessions = new Sessions({
    redis, keys, uploads, ...(opts.inspector ? { inspector: opts.inspector } : {}),
    plugin: opts.plugin, shared: opts.shared, gatewayJid: opts.gatewayJid, users,
    mailboxes: opts.mailboxes, log: log.child({ module: 'sessions' }),
  });
  const handler = createJobHandler({ gatewayJid: opts.gatewayJid, plugin: opts.plugin, users, sessions, log, mailboxes: opts.mailboxes });
  const runtimes = new Map<number, PartitionRuntime>();
  const consumers = new Map<number, BullWorker>();
  /** Per partition: stops its consumer's orphan watch (see `consumePartition`). */
  const orphanWatches = new Map<number, () => void>();
  const stopOrphanWatch = (partition: number) => {
    orphanWatches.get(partition)?.();
    orphanWatches.delete(partition);
  };
  /** Drained: once the partition's runtime has finished its job in progress (see `closeConsumer`). */
  const closeConsumerOf = (partition: number, consumer: BullWorker, force: boolean) =>
    closeConsumer(consumer, { force, drained: () => runtimes.get(partition)?.idle() });

  /** What cannot be applied (a job, or a payload that does not unpack) is parked with its reason, visible to the operator. */
  const park = async (entry: { partition: number; jobId: string; job?: MailboxJob; payload?: string }, err: unknown) => {
    const { partition, jobId, job, payload } = entry;
    log.error({ err, partition, jobId, kind: job?.kind, user: job?.user, payload }, 'job failed, moved to dead letters');
    await redis.rpush(keys.deadLetters(), JSON.stringify({ ...entry, reason: String((err as Error)?.message ?? err), at: new Date().toISOString() }));
  };
  const deadLetter = (partition: number, jobId: string) => (job: MailboxJob, err: unknown) => park({ partition, jobId, job }, err);

  /** Runs a queue job; while Redis is away it waits and tries again (its lease decides whether it may). */
  const runJob = async (partition: number, runtime: PartitionRuntime, { jobId, jobs: inline, payload, addId }: MailboxWork) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const jobs = inline ?? await readPayload(redis, payload!);
        if (!jobs) {
          log.warn({ partition, jobId, payload }, 'mailbox payload gone: the job ran again after its last commit, its events are applied already');
          return;
        }
        return await runtime.run(jobs, handler, deadLetter(partition, jobId), jobId, payload, addId);
      } catch (err) {
        if (err instanceof MalformedPayload) return await park({ partition, jobId, payload }, err);
        if (err instanceof LeaseLost || !isRedisUnavailable(err)) throw err;
        if (attempt === 1) log.warn({ partition, jobId, err: (err as Error).message }, 'redis unavailable, job waits');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * attempt)));
      }
    }
  };

  const ownership: Ownership = new Ownership(redis, keys, workerId, {
    async gain(partition, lease) {
      const runtime = new PartitionRuntime({
        partition, redis, keys, sessions, log: log.child({ module: 'partition', partition }),
        alwaysInviteWhenAddingBookmarks: opts.alwaysInviteWhenAddingBookmarks,
        ...(opts.inspector ? { inspector: opts.inspector } : {}),
      });
      runtime.lease = lease;
      runtimes.set(partition, runtime);
      // jobs left active run again first, in order: a dead owner's, or a fetch whose answer was lost (below)
      const lists = mailboxListKeys(keys, partition);
      const recoverActive = () => redis.recoverActive(keys.partitionLease(partition), lists.active, lists.wait, runtime.lease ?? '', lists.jobPrefix);
      const moved = await recoverActive();
      if (moved > 0) log.info({ partition, jobs: moved }, 'recovered jobs of the previous owner');
      await runtime.loadDoneAdds();
      // §2.1: the partition's users are logged in (their rooms come back lazily from snapshots)
      for (const jid of await users.ofPartition(partition)) {
        const user = await users.get(jid);
        if (user && !sessions.peek(jid)) sessions.login(user);
        // a turn of the event loop between logins: lease renewals (timers) are not starved by
        // many plugins' logins starting at once when a worker takes over a partition
        await nextTurn();
      }
      const { consumer, stopWatch } = consumePartition({
        partition, keys, connection: opts.connection, redis, mailboxes: opts.mailboxes, log,
        activeList: lists.active, recoverActive,
        async run(work) {
          try {
            await runJob(partition, runtime, work);
          } catch (err) {
            if (!(err instanceof LeaseLost)) throw err;
            // the next owner replays this job: stop consuming (this closes the consumer at once),
            // and leave the job active, never completed
            void ownership.lost(partition);
            throw new LeftForNextOwner();
          }
        },
      });
      consumers.set(partition, consumer);
      orphanWatches.set(partition, stopWatch);
    },
    async lose(partition, lost) {
      stopOrphanWatch(partition);
      const consumer = consumers.get(partition);
      consumers.delete(partition);
      // drained: the job in progress finishes and commits before the lease is given back
      if (consumer) await closeConsumerOf(partition, consumer, lost);
      const runtime = runtimes.get(partition);
      runtimes.delete(partition);
      if (runtime) {
        runtime.lease = null;
        runtime.rooms.dropAll();
      }
      for (const jid of await users.ofPartition(partition).catch(() => [] as string[])) await sessions.logout(jid);
    },
  }, log.child({ module: 'ownership', worker: workerId }), opts.ownership ?? DEFAULT_OWNERSHIP);
  await ownership.start();
  log.info({ worker: workerId, partitions: ownership.heldPartitions().length }, 'worker started');

  const hibernateIdle = async (idleMs = opts.idleBeforeHibernateMs) => {
    const counts = await Promise.all([...runtimes.values()].map((r) => r.hibernateIdle(idleMs)));
    const total = counts.reduce((a, b) => a + b, 0);
    // the plugin's objects of rooms with no actor here: groups `bookmarks.fill()` reported that
    // were never joined, whose objects no hibernation releases
    const partitions = [...runtimes.values()];
    const released = sessions.releaseUnused(Date.now() - idleMs, (user, legacyId) => partitions.some((r) => r.rooms.has(user, legacyId)));
    if (total || released) log.debug({ rooms: total, roomObjects: released }, 'rooms hibernated');
    return total;
  };
  const sweep = setInterval(() => {
    hibernateIdle().catch((err: Error) => log.warn({ err: err.message }, 'hibernation sweep failed'));
  }, Math.max(1000, Math.floor(opts.idleBeforeHibernateMs / 4)));
  sweep.unref();

  const archiveMaxDays = opts.archiveMaxDays ?? 0;
  const sweepArchivesNow = (now = Date.now()) => {
    const held = new Map([...runtimes].flatMap(([p, r]): [number, string][] => (r.lease ? [[p, r.lease]] : [])));
    return archiveMaxDays > 0 ? sweepArchives({ redis, keys, log }, held, archiveMaxDays, now) : Promise.resolve(0);
  };
  const retention = setInterval(() => {
    sweepArchivesNow().catch((err: Error) => log.warn({ err: err.message }, 'archive retention sweep failed'));
  }, opts.archiveSweepEveryMs ?? 6 * 3600 * 1000);
  retention.unref();

  return {
    workerId,
    users,
    sessions,
    ownedPartitions: () => ownership.heldPartitions(),
    liveRooms: () => [...runtimes.values()].reduce((n, r) => n + r.rooms.liveCount, 0),
    hibernateIdle,
    sweepArchives: sweepArchivesNow,
    async stop({ shutdown = false } = {}) {
      clearInterval(sweep);
      clearInterval(retention);
      // first no partition taken any more: after a Redis outage the balancing may be taking the
      // partitions back right now, each with a new consumer and its users' logins
      await ownership.pause();
      // out of the map first: a lease lost meanwhile (`lose`) must not close one of them again
      const closing = [...consumers];
      consumers.clear();
      for (const partition of [...orphanWatches.keys()]) stopOrphanWatch(partition);
      await Promise.all(closing.map(([p, c]) => closeConsumerOf(p, c, false)));
      if (shutdown) {
        // §2.11: before the gateway goes, joined resources are told (332)
        await Promise.all([...runtimes.values()].map((r) => r.shutdown().catch((err: Error) => log.warn({ err: err.message }, 'shutdown notice failed'))));
      }
      await ownership.stop();
      await sessions.logoutAll();
      await uploads.close();
    },
  };
}
