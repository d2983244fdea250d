/**
 * One partition's runtime: applies its mailbox jobs in order and commits what each produced
 * (outbound stanzas, archive entries, room snapshots) before the next one starts.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ArchiveIntent, ArchivedMessage, RoomPort } from '../machines/ports.ts';
import type { Delivery } from '../machines/events.ts';
import { OWN_IDS_KEPT, alreadyApplied, type LegacyMessagesEvent, type RoomEvent, type UserMessageEvent } from '../machines/room.ts';
import type { MailboxJob } from '../transport/mailbox.ts';
import { presenceXml } from '../transport/xmpp/muc-presence.ts';
import { echoXml, messageXml, writeReplay } from '../transport/xmpp/muc-message.ts';
import { writeBookmarkRequest } from '../transport/xmpp/bookmarks.ts';
import { writeMdsPublish } from '../transport/xmpp/mds.ts';
import { writeIq, type Element } from '../transport/xmpp/stanza.ts';
import type { ScriptCommands } from './scripts.ts';
import { merge } from '../merge.ts';
import { archivedMs, encodeArchived } from './archive.ts';
import { ByteBuffer } from '../byte-buffer.ts';
import { BoundedMap } from '../bounded-map.ts';
import { Turns } from '../turns.ts';
import { isRedisUnavailable } from '../redis.ts';
import { CommitBuilder } from './commit.ts';
import { avatarChanges } from './avatar-refs.ts';
import { roomKey, roomOfJob } from './job-rooms.ts';
import type { ArchiveKeys, Keys } from './keys.ts';
import type { Inspector } from './inspector.ts';
import { Rooms, type RoomHandle, type RoomWritten } from './rooms.ts';
import type { Sessions } from './sessions.ts';

/** How long a job applies events before it commits what they produced so far (see `run`). */
export const COMMIT_EVERY_MS = 10;

/**
 * How long a job that starts after a quiet spell (no commit for `COMMIT_EVERY_MS`) applies
 * events before its first partial commit. The XMPP server has nothing to route until a commit
 * lands: in a trace of W4a (200 joins in one write) it sat idle from the last join it passed on
 * (12 ms) to the first commit read back (30 ms), then was the bottleneck to the end. A small
 * first commit sets it to work early (W4a A/B, 3 rounds of 5, warm: 136 / 143 / 127 → 124 /
 * 132 / 128 ms). Jobs that follow each other keep the 10 ms: in W3, where roomgate's CPU is
 * the bound, an early commit in every job cost 6–21 % of the throughput.
 */
export const FIRST_COMMIT_MS = 2;

/**
 * How long a job applies events before it lets the process's I/O run (see `run`). Applying is
 * CPU work whose awaits resolve without I/O: nothing else in the process runs meanwhile, so
 * the edge of the same process sent what the last commit holds only when the job next waited
 * for Redis, 10 ms later (W4a: the XMPP server idle for the first 30 ms of 200 joins).
 */
export const YIELD_EVERY_MS = 2;

/**
 * How many joined rooms a shutdown restores, tells (332) and commits at a time (see `shutdown`):
 * a worker of a large host holds many joined rooms hibernated, and restoring all of them at
 * once held every one in memory until a single commit of all their presences.
 */
export const SHUTDOWN_CHUNK = 200;

/**
 * How many done adds a partition remembers (`partitionAdds`): an add sent again comes within
 * moments of its connection's return, and a partition runs one job at a time.
 */
export const ADDS_KEPT = 1000;

/** What one job produced, committed together once the job is done. */
export interface Batch {
  /** The outbound stanzas, serialised in order. */
  stanzas: ByteBuffer;
  archive: { user: string; roomId: string; entry: ArchivedMessage }[];
  /** The images rooms started showing in the job (JSON, by SHA-1): stored where the partition has them not. */
  avatarBytes: Map<string, string>;
  touched: Set<RoomHandle>;
  /** The payload key the job came in, deleted with its last commit (see `PACK_FROM`). */
  payload?: string;
  /** The id of the add the job came in, noted done with its last commit (see `partitionAdds`). */
  addId?: string;
}

export interface PartitionDeps {
  partition: number;
  redis: Redis & ScriptCommands;
  keys: Keys;
  sessions: Sessions;
  log: Logger;
  inspector?: Inspector;
  /** See `WorkerOptions.alwaysInviteWhenAddingBookmarks` (its default is applied where rooms are made). */
  alwaysInviteWhenAddingBookmarks?: boolean;
  /** How long a job applies events before committing what they produced so far; default `COMMIT_EVERY_MS`. */
  commitEveryMs?: number;
  /** How many joined rooms a shutdown tells and commits at a time; default `SHUTDOWN_CHUNK`. */
  shutdownChunk?: number;
}

/** Handles one job's content; `send` queues a stanza in the job's batch. */
export type JobHandler = (job: MailboxJob, ctx: PartitionRuntime) => Promise<void>;

export class PartitionRuntime {
  readonly rooms: Rooms;
  /** The lease value this worker holds for the partition; commits are fenced with it. */
  lease: string | null = null;
  private batch: Batch = emptyBatch();
  /** Commits sent, for their ids (`${lease}/${n}`: unique, as a lease value is never given twice). */
  private commits = 0;
  /** When the last commit was answered (`performance.now()`): a job after a quiet spell commits early. */
  private lastCommitMs = -Infinity;

  /**
   * The partial commit sent and not yet answered, if any: the next events are applied while
   * Redis runs it. At most one: a commit that fails is seen before the next one is sent.
   */
  private inFlight: { batch: Batch; done: Promise<void> } | null = null;
  /** Each room's messages (the user's, or participants') waiting to go to it together (see `deliver`). */
  private readonly messages = new Map<RoomHandle, (UserMessageEvent | LegacyMessagesEvent['messages'][number])[]>();
  /** The mailbox position of the job being run (see `deliver`). */
  private position: Delivery | null = null;
  /** How many events the job being run gave each room so far (the next one's `k`). */
  private readonly jobEvents = new Map<RoomHandle, number>();
  /** Mailbox jobs, shutdown and hibernation take turns: one at a time per partition. */
  private turn: Promise<unknown> = Promise.resolve();
  /** The ids of the adds whose jobs are done, as `partitionAdds` holds them (`loadDoneAdds`). */
  private readonly doneAdds = new BoundedMap<string, true>(ADDS_KEPT);

  constructor(private readonly deps: PartitionDeps) {
    const port: RoomPort = {
      presence: (p) => this.send(presenceXml(p)),
      message: (m) => { for (const to of m.to) this.send(messageXml(m, to)); },
      echo: (e) => { for (const to of e.to) this.send(echoXml(e, to)); },
      replay: (r) => this.send(writeReplay(r)),
      iq: (i) => this.send(writeIq(i)),
      archive: (a) => { this.batch.archive.push({ user: a.user, roomId: a.roomId, entry: toArchived(a) }); },
      bookmark: (b) => this.send(writeBookmarkRequest(b)),
      displayedMark: (d) => this.send(writeMdsPublish(d)),
      avatarBytes: (a) => { this.batch.avatarBytes.set(a.hash, JSON.stringify(a)); },
      warn: (msg, data) => deps.log.warn(data ?? {}, msg),
    };
    this.rooms = new Rooms({
      redis: deps.redis, keys: deps.keys, sessions: deps.sessions, port, log: deps.log,
      alwaysInviteWhenAddingBookmarks: deps.alwaysInviteWhenAddingBookmarks,
      ...(deps.inspector ? { inspector: deps.inspector } : {}),
      // history read during the job that archived it (a first join right after its backfill)
      pendingArchive: (user, roomId) => this.batch.archive.filter((a) => a.user === user && a.roomId === roomId).map((a) => a.entry),
      pendingAvatar: (hash) => this.batch.avatarBytes.get(hash),
    });
  }

  send(stanza: Element | string): void {
    this.batch.stanzas.write(typeof stanza === 'string' ? stanza : stanza.toString());
  }

  /** Applies one event to a room; the room is written back when the job commits. */
  async deliver(handle: RoomHandle, event: RoomEvent): Promise<void> {
    this.batch.touched.add(handle);
    // Events without a position of their own get their place in the mailbox: a queue job
    // replayed after its commit (the process died before BullMQ marked it done) is dropped
    // whole by the room's watermark, however many events it carries.
    const positioned = (this.position && event.type !== 'runtime.shutdown' && !(event as { delivery?: unknown }).delivery
      ? merge(event, { delivery: this.nextPosition(handle, this.position) }) : event) as RoomEvent;
    if (positioned.type === 'xmpp.message' || positioned.type === 'legacy.message') {
      // messages wait for the room's next other event, or the job's end: a burst goes to the
      // room as one event (`xmpp.messages`, `legacy.messages`)
      const waiting = this.messages.get(handle);
      if (waiting?.[0]!.type === positioned.type) return void waiting.push(positioned);
      await this.deliverMessages(handle);
      this.messages.set(handle, [positioned]);
      return;
    }
    await this.deliverMessages(handle);
    // a room waiting on its network does not hold up the job's other rooms; the commit waits for all
    await this.rooms.deliver(handle, positioned, { background: true });
  }

  /** The job's position, for the room's first event from it; `k` counts the room's next ones. */
  private nextPosition(handle: RoomHandle, position: Delivery): Delivery {
    const k = this.jobEvents.get(handle) ?? 0;
    this.jobEvents.set(handle, k + 1);
    return k ? { ...position, k } : position;
  }

  /** The legacy ids of the user's rooms that have joined resources: as committed, and as this job left them. */
  async joinedRoomsOf(user: string): Promise<string[]> {
    const committed = (await this.deps.redis.smembers(this.deps.keys.joinedRooms(this.deps.partition)))
      .map((member) => JSON.parse(member) as [string, string]).filter(([u]) => u === user).map(([, legacyId]) => legacyId);
    return [...new Set([...committed, ...this.rooms.joinedInMemory(user)])];
  }

  /** Resolves once every room is at rest: the messages waiting delivered, and every hook answered. */
  async settled(): Promise<void> {
    for (const handle of [...this.messages.keys()]) await this.deliverMessages(handle);
    await this.rooms.settled();
  }

  /** The messages waiting for a room, as one event (one message: as itself). */
  private async deliverMessages(handle: RoomHandle): Promise<void> {
    const waiting = this.messages.get(handle);
    if (!waiting) return;
    this.messages.delete(handle);
    const context = handle.actor.getSnapshot().context;
    const messages = waiting.filter((m) => !alreadyApplied(context, m)); // a replayed job's, by their positions
    if (!messages.length) return;
    const [first] = messages;
    const event = messages.length === 1 ? first!
      : first!.type === 'xmpp.message' ? { type: 'xmpp.messages' as const, messages: messages as UserMessageEvent[] }
      : { type: 'legacy.messages' as const, messages: messages as LegacyMessagesEvent['messages'] };
    await this.rooms.deliver(handle, event, { background: true });
  }

  /**
   * Runs a job and commits its batch (a long job in several commits). If the process dies
   * before a commit, the job runs again on the partition's next owner from the last committed
   * snapshots: the events it carries have stable positions and ids, so nothing is applied,
   * archived or sent twice.
   */
  run(
    jobs: MailboxJob[], handler: JobHandler, poison: (job: MailboxJob, err: unknown) => Promise<void>,
    jobId?: string, payload?: string, addId?: string,
  ): Promise<void> {
    return this.exclusive(async () => {
      if (addId !== undefined && this.doneAdds.get(addId)) {
        // its events would come again under a new position, which no watermark holds
        this.deps.log.info({ jobId, addId }, 'a mailbox add Redis ran twice (its answer lost with the connection): its job is done, the copy is dropped');
        return;
      }
      this.batch = emptyBatch();
      // BullMQ numbers a queue's jobs in the order they run: (job, index) orders every event
      const seq = jobId !== undefined && /^\d+$/.test(jobId) ? Number(jobId) : null;
      try {
        if (jobs.length > 1) this.rooms.readAhead(jobs.map(roomOfJob).filter((r) => r !== null));
        const commitEvery = this.deps.commitEveryMs ?? COMMIT_EVERY_MS;
        // after a quiet spell the XMPP server has nothing to route: the job's first stanzas go early
        let commitAfter = performance.now() - this.lastCommitMs >= commitEvery ? Math.min(FIRST_COMMIT_MS, commitEvery) : commitEvery;
        let since = performance.now();
        const turns = new Turns(YIELD_EVERY_MS);
        for (const [n, job] of jobs.entries()) {
          await turns.take();
          this.position = seq === null ? null : { source: `mailbox-${this.deps.partition}`, seq, n };
          this.jobEvents.clear();
          try {
            await handler(job, this);
          } catch (err) {
            if (err instanceof LeaseLost || isRedisUnavailable(err)) throw err;
            await poison(job, err); // this job alone is parked; the others go on, in order
          }
          // A long job commits as it goes: its first stanzas are on their way (the XMPP server
          // routes them on the other core) while the rest is applied; a replay after a partial
          // commit skips what each room's watermark already holds.
          if (n < jobs.length - 1 && performance.now() - since >= commitAfter) {
            await this.settled();
            await this.landed();
            // not awaited: the next events are applied while Redis runs it (W4: a partial commit
            // of 50 joins took 8-10 ms of wall time, the worker idle meanwhile)
            const done = this.commit(this.batch);
            done.catch(() => undefined); // awaited by `landed`; no unhandled rejection meanwhile
            this.inFlight = { batch: this.batch, done };
            this.batch = emptyBatch();
            since = performance.now();
            commitAfter = commitEvery;
          }
        }
        await this.settled();
        await this.landed();
        if (payload !== undefined) this.batch.payload = payload;
        if (addId !== undefined) this.batch.addId = addId;
        await this.commit(this.batch);
      } catch (err) {
        // nothing of this run past the last answered commit is in Redis: rooms go back to their
        // last committed snapshots, so the replay applies the same events again instead of
        // skipping them as applied
        const unanswered = this.inFlight;
        this.inFlight = null;
        await unanswered?.done.catch(() => undefined);
        for (const batch of [unanswered?.batch, this.batch]) for (const handle of batch?.touched ?? []) this.rooms.drop(handle, 'moved');
        throw err;
      } finally {
        this.messages.clear(); // a job that failed is run again, its messages with it
        this.rooms.forgetReadAhead();
        this.batch = emptyBatch();
        this.position = null;
        this.jobEvents.clear();
      }
    });
  }

  /**
   * §2.11: every room with joined resources tells them it goes away (332), in memory or not.
   * A chunk of rooms at a time: read ahead together, told, committed; the rooms restored from
   * their snapshots for this leave memory again once their chunk is committed.
   */
  shutdown(): Promise<void> {
    return this.exclusive(async () => {
      const { redis, keys, sessions, partition } = this.deps;
      const joined = (await redis.smembers(keys.joinedRooms(partition)))
        .map((member) => JSON.parse(member) as [string, string])
        .filter(([user]) => sessions.peek(user));
      const chunkSize = this.deps.shutdownChunk ?? SHUTDOWN_CHUNK;
      for (let i = 0; i < joined.length; i += chunkSize) {
        const chunk = joined.slice(i, i + chunkSize).map(([user, legacyId]) => ({ user, legacyId }));
        const inMemory = new Set(chunk.filter((r) => this.rooms.has(r.user, r.legacyId)));
        this.batch = emptyBatch();
        const restored: RoomHandle[] = [];
        try {
          this.rooms.readAhead(chunk.filter((r) => !inMemory.has(r)));
          for (const room of chunk) {
            const session = sessions.peek(room.user); // a user may log out meanwhile
            const handle = session ? await this.rooms.get(session, room.legacyId, false) : null;
            if (!handle) continue;
            if (!inMemory.has(room)) restored.push(handle);
            this.batch.touched.add(handle);
            await this.rooms.deliver(handle, { type: 'runtime.shutdown', eventId: `shutdown-${Date.now()}`, at: new Date().toISOString() });
          }
          await this.commit(this.batch);
        } finally {
          this.rooms.forgetReadAhead();
          this.batch = emptyBatch();
        }
        for (const handle of restored) this.hibernate(handle);
      }
    });
  }

  /**
   * Drops from memory the rooms idle for `idleMs`: their snapshot is already in Redis (written
   * after every job), and the next event for them restores it. Memory follows the active rooms.
   */
  hibernateIdle(idleMs: number): Promise<number> {
    return this.exclusive(async () => {
      const idle = this.rooms.idleSince(Date.now() - idleMs);
      for (const handle of idle) this.hibernate(handle);
      return idle.length;
    });
  }

  /** Drops a room's actor, whose snapshot is in Redis; a hibernated room costs no heap: its plugin object goes too. */
  private hibernate(handle: RoomHandle): void {
    this.rooms.drop(handle);
    this.deps.sessions.releaseRoom(handle.user, handle.legacyId);
  }

  /** Resolves once the job (or shutdown, or hibernation) in progress, if any, is done. */
  idle(): Promise<void> {
    return this.turn.then(() => undefined);
  }

  /** Waits for the partial commit in flight, if any; throws what it threw. */
  private async landed(): Promise<void> {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    await inFlight.done;
    this.inFlight = null;
  }

  /** Reads which adds' jobs are done (`partitionAdds`): before the partition's first job here. */
  async loadDoneAdds(): Promise<void> {
    const { redis, keys, partition } = this.deps;
    for (const id of await redis.lrange(keys.partitionAdds(partition), 0, -1)) this.doneAdds.set(id, true);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes the batch in one fenced step (`commit-partition-n.lua`): snapshots, archive, indexes
   * and the outbound stanzas, or nothing at all if the lease is no longer ours. Only then are
   * ended rooms forgotten in memory.
   */
  private async commit(batch: Batch): Promise<void> {
    const { redis, keys, partition } = this.deps;
    if (!batch.stanzas.length && !batch.archive.length && !batch.touched.size && batch.payload === undefined && batch.addId === undefined) return;
    if (!this.lease) throw new LeaseLost(partition);
    const commit = new CommitBuilder();
    if (batch.payload !== undefined) commit.del(batch.payload);
    if (batch.addId !== undefined) commit.push(keys.partitionAdds(partition), ADDS_KEPT, [batch.addId]);
    // a burst's entries go to few rooms: each room's keys made once
    const archives = new Map<string, ArchiveKeys>();
    for (const a of batch.archive) {
      const room = roomKey(a.user, a.roomId);
      let archive = archives.get(room);
      if (!archive) archives.set(room, archive = keys.archive(a.user, a.roomId));
      commit.archive(archive, a.entry.stanzaId, archivedMs(a.entry), encodeArchived(a.entry));
    }
    // the images each room started or stopped using since its last commit (spec §3.6, §3.7)
    const [store, refs] = [keys.partitionAvatars(partition), keys.partitionAvatarRefs(partition)];
    const countAvatars = (before: object | undefined, after: object | undefined) => {
      const { added, removed } = avatarChanges(before, after);
      for (const hash of added) commit.avatarRef(store, refs, hash, 1, batch.avatarBytes.get(hash));
      for (const hash of removed) commit.avatarRef(store, refs, hash, -1);
    };
    const ended: RoomHandle[] = [];
    // what is written, as it is now: the next events may change the rooms before Redis answers
    const written: RoomWritten[] = [];
    for (const handle of batch.touched) {
      const { user, legacyId } = handle;
      const persisted = this.rooms.persisted(handle);
      const member = JSON.stringify([user, legacyId]);
      if (persisted.kind === 'ended') {
        // DECISIONS 6.2 #17: an ended room (destroyed, left, failed) leaves nothing behind
        for (const key of keys.roomKeys(user, legacyId)) commit.del(key);
        countAvatars(handle.written?.context, undefined);
        commit.srem(keys.userRooms(user), legacyId).srem(keys.joinedRooms(partition), member);
        ended.push(handle);
        continue;
      }
      if (persisted.kind === 'unchanged') continue;
      written.push(this.rooms.writing(handle));
      if (persisted.ownIds) {
        const list = keys.roomOwnIds(user, legacyId);
        if (persisted.ownIds.reset) commit.del(list);
        if (persisted.ownIds.add.length) commit.push(list, OWN_IDS_KEPT, persisted.ownIds.add);
      }
      if (persisted.kind === 'marks') {
        commit.set(keys.roomMarks(user, legacyId), persisted.json);
        if (persisted.joined === true) commit.sadd(keys.joinedRooms(partition), member);
        if (persisted.joined === false) commit.srem(keys.joinedRooms(partition), member);
        continue;
      }
      countAvatars(handle.written?.context, written.at(-1)!.written.context);
      // the snapshot carries its own watermark: older marks must not override it on restore
      commit.set(keys.roomSnapshot(user, legacyId), persisted.json).del(keys.roomMarks(user, legacyId)).sadd(keys.userRooms(user), legacyId);
      if (handle.actor.getSnapshot().context.resources.length) commit.sadd(keys.joinedRooms(partition), member);
      else commit.srem(keys.joinedRooms(partition), member);
    }
    // a history read after this commit is sent comes after it on the connection: it sees these entries
    for (const a of batch.archive) this.rooms.archived(a.user, a.roomId);
    const result = await redis.commitPartition(...commit.args(keys, partition, this.lease, `${this.lease}/${++this.commits}`, batch.stanzas.bytes()));
    this.lastCommitMs = performance.now();
    if (result === -1) throw new LeaseLost(partition);
    if (batch.addId !== undefined) this.doneAdds.set(batch.addId, true);
    for (const w of written) this.rooms.written(w);
    for (const handle of ended) {
      this.rooms.drop(handle, 'ended');
      this.deps.sessions.forgetRoom(handle.user, handle.legacyId);
    }
  }
}

/** The partition's lease is gone: this worker must stop applying its jobs; the new owner replays them. */
export class LeaseLost extends Error {
  readonly code = 'LEASE_LOST';
  constructor(readonly partition: number) {
    super(`lease of partition ${partition} lost`);
    this.name = 'LeaseLost';
  }
}

/** The archived form of a message: the stanza as delivered, without `to`. */
function toArchived(a: ArchiveIntent): ArchivedMessage {
  const xml = 'xml' in a.message ? echoXml(a.message) : messageXml(a.message);
  return { stanzaId: a.stanzaId, at: a.at, source: a.source, xml, ...(a.legacyId ? { legacyId: a.legacyId } : {}) };
}

function emptyBatch(): Batch {
  return { stanzas: new ByteBuffer(), archive: [], avatarBytes: new Map(), touched: new Set() };
}
