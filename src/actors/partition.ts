/**
 * One partition's runtime: applies its mailbox jobs in order and commits what each produced
 * (outbound stanzas, archive entries, room snapshots) before the next one starts.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ArchiveIntent, ArchivedMessage, RoomPort } from '../machines/ports.ts';
import type { RoomEvent } from '../machines/room.ts';
import type { MailboxJob } from '../transport/mailbox.ts';
import type { Outbox } from '../transport/outbox.ts';
import { writePresence } from '../transport/xmpp/muc-presence.ts';
import { writeEcho, writeMessage, writeReplay } from '../transport/xmpp/muc-message.ts';
import { writeIq, type Element } from '../transport/xmpp/stanza.ts';
import { appendArchive } from './archive.ts';
import type { Keys } from './keys.ts';
import { Rooms, type RoomHandle } from './rooms.ts';
import type { Sessions } from './sessions.ts';

/** What one job produced, committed together once the job is done. */
export interface Batch {
  stanzas: string[];
  archive: { user: string; roomId: string; entry: ArchivedMessage }[];
  touched: Set<RoomHandle>;
}

export interface PartitionDeps {
  partition: number;
  redis: Redis;
  keys: Keys;
  sessions: Sessions;
  outbox: Outbox;
  log: Logger;
}

/** Handles one job's content; `send` queues a stanza in the job's batch. */
export type JobHandler = (job: MailboxJob, ctx: PartitionRuntime) => Promise<void>;

export class PartitionRuntime {
  readonly rooms: Rooms;
  private batch: Batch = emptyBatch();
  /** Mailbox jobs, shutdown and hibernation take turns: one at a time per partition. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PartitionDeps) {
    const port: RoomPort = {
      presence: (p) => this.send(writePresence(p)),
      message: (m) => { for (const to of m.to) this.send(writeMessage(m, to)); },
      echo: (e) => { for (const to of e.to) this.send(writeEcho(e, to)); },
      replay: (r) => this.send(writeReplay(r)),
      iq: (i) => this.send(writeIq(i)),
      archive: (a) => { this.batch.archive.push({ user: a.user, roomId: a.roomId, entry: toArchived(a) }); },
      warn: (msg, data) => deps.log.warn(data ?? {}, msg),
    };
    this.rooms = new Rooms({
      redis: deps.redis, keys: deps.keys, sessions: deps.sessions, port, log: deps.log,
      // history read during the job that archived it (a first join right after its backfill)
      pendingArchive: (user, roomId) => this.batch.archive.filter((a) => a.user === user && a.roomId === roomId).map((a) => a.entry),
    });
  }

  send(stanza: Element): void {
    this.batch.stanzas.push(stanza.toString());
  }

  /** Applies one event to a room; the room is written back when the job commits. */
  async deliver(handle: RoomHandle, event: RoomEvent): Promise<void> {
    this.batch.touched.add(handle);
    await this.rooms.deliver(handle, event);
  }

  /**
   * Runs a job and commits its batch. The outbox job takes the mailbox job's id, so if this
   * process dies after sending and before the snapshot is written, the replayed job's stanzas
   * are recognised as already queued; archive appends are idempotent by stanza-id.
   */
  run(jobId: string, job: MailboxJob, handler: JobHandler): Promise<void> {
    return this.exclusive(async () => {
      this.batch = emptyBatch();
      try {
        await handler(job, this);
      } finally {
        const batch = this.batch;
        this.batch = emptyBatch();
        await this.commit(jobId, batch);
      }
    });
  }

  /** §2.11: every room with joined resources tells them it goes away (332), in memory or not. */
  shutdown(): Promise<void> {
    return this.exclusive(async () => {
      const { redis, keys, sessions, partition } = this.deps;
      this.batch = emptyBatch();
      for (const member of await redis.smembers(keys.joinedRooms(partition))) {
        const [user, legacyId] = JSON.parse(member) as [string, string];
        const session = sessions.peek(user);
        const handle = session ? await this.rooms.get(session, legacyId, false) : null;
        if (!handle) continue;
        this.batch.touched.add(handle);
        await this.rooms.deliver(handle, { type: 'runtime.shutdown', eventId: `shutdown-${Date.now()}`, at: new Date().toISOString() });
      }
      const batch = this.batch;
      this.batch = emptyBatch();
      await this.commit(`shutdown-${Date.now()}`, batch);
    });
  }

  /**
   * Drops from memory the rooms idle for `idleMs`: their snapshot is already in Redis (written
   * after every job), and the next event for them restores it. Memory follows the active rooms.
   */
  hibernateIdle(idleMs: number): Promise<number> {
    return this.exclusive(async () => {
      const idle = this.rooms.idleSince(Date.now() - idleMs);
      for (const handle of idle) this.rooms.drop(handle);
      return idle.length;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work);
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async commit(jobId: string, batch: Batch): Promise<void> {
    const { redis, keys, outbox } = this.deps;
    await outbox.add(batch.stanzas, `${this.deps.partition}-${jobId}`);
    if (!batch.archive.length && !batch.touched.size) return;
    const multi = redis.multi();
    for (const a of batch.archive) appendArchive(multi, keys, a.user, a.roomId, a.entry);
    for (const handle of batch.touched) {
      const { ended, json } = this.rooms.persisted(handle);
      if (ended) {
        // DECISIONS 6.2 #17: an ended room (destroyed, left, failed) leaves nothing behind
        multi.del(keys.roomSnapshot(handle.user, handle.legacyId), keys.archive(handle.user, handle.legacyId), keys.archiveIds(handle.user, handle.legacyId))
          .srem(keys.userRooms(handle.user), handle.legacyId);
        this.rooms.drop(handle);
        this.deps.sessions.forgetRoom(handle.user, handle.legacyId);
      } else {
        multi.set(keys.roomSnapshot(handle.user, handle.legacyId), json).sadd(keys.userRooms(handle.user), handle.legacyId);
      }
      const member = JSON.stringify([handle.user, handle.legacyId]);
      if (!ended && handle.actor.getSnapshot().context.resources.length) multi.sadd(keys.joinedRooms(this.deps.partition), member);
      else multi.srem(keys.joinedRooms(this.deps.partition), member);
    }
    await multi.exec();
  }
}

/** The archived form of a message: the stanza as delivered, without `to`. */
function toArchived(a: ArchiveIntent): ArchivedMessage {
  const xml = 'xml' in a.message ? writeEcho(a.message).toString() : writeMessage(a.message).toString();
  return { stanzaId: a.stanzaId, at: a.at, source: a.source, xml, ...(a.legacyId ? { legacyId: a.legacyId } : {}) };
}

function emptyBatch(): Batch {
  return { stanzas: [], archive: [], touched: new Set() };
}
