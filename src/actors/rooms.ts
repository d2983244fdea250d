/**
 * Room actors of one partition: created on first use, restored from their Redis snapshot,
 * fed one event at a time, and written back after each mailbox job. Also binds the machine's
 * hooks (fill, backfill, history, callHook, sendText, userAction) to the plugin's room objects.
 */
import { createActor, fromPromise, waitFor, type Actor } from 'xstate';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BaseSession, type TextOptions } from '../legacy/session.ts';
import type { LegacyMUC, RoomEventSink } from '../legacy/muc.ts';
import type { LegacyParticipant } from '../legacy/participant.ts';
import { normaliseAvatar, type StoredAvatar } from '../legacy/avatar.ts';
import type { LegacyRoomEvent, XmppReply } from '../machines/events.ts';
import type { ArchivedMessage, FillOutput, HistoryInput, HookInput, RoomPort, RoomRef } from '../machines/ports.ts';
import {
  OWN_IDS_KEPT, roomMachine, type OwnId, type RoomEvent, type SendTextOutput, type UserActionInput, type UserActionOutput, type UserMessageEvent,
  alreadyApplied, backfillHook, fillHook, historyHook, sendTextHook, threadMadeFor, type HookStarted, type ThreadPair,
} from '../machines/room.ts';
import { roomEffects } from '../machines/room.effects.ts';
import { newestRecent, recentItems, recentOf } from '../machines/recent.ts';
import { NotImplemented, XmppError, toStanzaError, isExpected } from '../transport/xmpp/errors.ts';
import { historyWindow, holeBounds, readArchive, readArchiveEnds, readArchivePage, selectHistory } from './archive.ts';
import { inTimeOrder, selectArchivePage, type ArchivePage, type ArchiveQuery } from './archive-query.ts';
import { roomKey } from './job-rooms.ts';
import type { Keys } from './keys.ts';
import type { ScriptCommands } from './scripts.ts';
import { SharedDeadline } from './shared-deadline.ts';
import type { Inspector } from './inspector.ts';
import type { Sessions } from './sessions.ts';
import { merge } from '../merge.ts';

/** How long a hook may keep a room busy before the job gives up on it (a log line says so). */
export const HOOK_TIMEOUT_MS = 60_000;
const hookDeadline = new SharedDeadline(HOOK_TIMEOUT_MS);

export type RoomActor = Actor<typeof roomMachine>;
export interface RoomHandle {
  user: string;
  legacyId: string;
  actor: RoomActor;
  /** When it last got an event (ms since epoch), for hibernation. */
  lastActiveMs: number;
  /**
   * Known to have nothing archived in Redis (a room new to Redis, or read empty since): its
   * first join reads no archive for the backfill bounds nor for history. Cleared by `archived`.
   */
  archiveEmpty: boolean;
  /** The context and state last written to Redis (see `persisted`). */
  written?: { context: object; value: string };
  /**
   * The newest of the user's own message ids in Redis's list (by identity), null for none;
   * undefined: the list is to be written whole (a new room, or a snapshot that held the ids).
   */
  ownIdsWritten?: OwnId | null;
}

/**
 * Context fields that, changed alone, are written without the snapshot: the watermark and the
 * joined resources (as marks: a join or leave of a room of 1,000 rewrote its 120 KB snapshot),
 * and the user's own message ids (appended to their list, `Keys.roomOwnIds`). The participants'
 * chat states are not written at all then: typing rewrote a large room's snapshot with every
 * commit, and a state read back after a restart would be stale anyway.
 */
const MARKS = new Set(['delivered', 'applied', 'resources', 'ownIds', 'chatStates']);

/** A room's state as a commit writes it (see `Rooms.writing`). */
export interface RoomWritten { handle: RoomHandle; written: { context: object; value: string }; ownIdsWritten: OwnId | null }

/** What a job writes back for a room (see `Rooms.persisted`). */
export type Persisted =
  | { kind: 'ended' }
  | ({ kind: 'snapshot'; json: string } & OwnIdsWrite)
  /** `joined`: whether resources are joined now, where that changed (the partition's joined-rooms set). */
  | ({ kind: 'marks'; json: string; joined?: boolean } & OwnIdsWrite)
  | { kind: 'unchanged' };

/** The own message ids to append to the room's list (JSON [legacyId, xmppId]); `reset`: empty it first. */
export interface OwnIdsWrite { ownIds: { reset: boolean; add: string[] } | null }

/** A room as Redis holds it: its snapshot, its marks, its own message ids (empty without a snapshot). */
type StoredRoom = readonly [string | null, string | null, string[]];

export interface RoomsDeps {
  redis: Redis & Pick<ScriptCommands, 'readRooms' | 'readArchive'>;
  keys: Keys;
  sessions: Sessions;
  port: RoomPort;
  log: Logger;
  /** The live view of the actors, when the inspector page is on. */
  inspector?: Inspector;
  /** A room newly in the user's bookmarks brings an invitation too (default true, as Slidge). */
  alwaysInviteWhenAddingBookmarks?: boolean;
  /** Messages archived by the job in progress, not yet written to Redis. */
  pendingArchive(user: string, legacyId: string): ArchivedMessage[];
  /** An image the job in progress brought (JSON), by its SHA-1; undefined: none. */
  pendingAvatar(hash: string): string | undefined;
}

export class Rooms {
  private readonly live = new Map<string, RoomHandle>();
  /** Reads of rooms not in memory that a job is about to touch, started together (see `readAhead`). */
  private readonly ahead = new Map<string, Promise<StoredRoom>>();
  /** Rooms busy with a hook in the background (see `deliver`'s `background`), settled when at rest again. */
  private readonly busy = new Map<RoomHandle, Promise<void>>();
  /** The hook each room started with an action (see `hookAction`), settled once the room has the answer. */
  private readonly hooks = new WeakMap<object, Promise<void>>();
  private readonly machine;

  constructor(private readonly deps: RoomsDeps) {
    const started: HookStarted = (actor, settled) => this.hooks.set(actor, settled);
    this.machine = roomMachine.provide({
      actions: {
        ...roomEffects(deps.port),
        startSendText: sendTextHook(
          ({ room, message, threads }) => rejectAsStanzaError(this.sendText(room, message, threads), deps.log, room),
          started,
        ),
        startHistory: historyHook((input) => this.history(input), started),
        startFill: fillHook((room) => rejectAsStanzaError(this.fill(room), deps.log, room), started),
        startBackfill: backfillHook((room) => this.backfill(room), started),
      },
      actors: {
        callHook: fromPromise(({ input }: { input: HookInput }) => rejectAsStanzaError(this.callHook(input), deps.log, input.room)),
        userAction: fromPromise(({ input }: { input: UserActionInput }) =>
          rejectAsStanzaError(this.userAction(input), deps.log, input.room)),
      },
    });
  }

  /**
   * Reads ahead, in one command, what Redis holds of the rooms a job is about to touch that
   * are not in memory: `get` takes it instead of reading each in turn (W4: 200 joins of rooms
   * never joined read 200 snapshots one after the other, each a round trip through a sleeping
   * Redis). Guesses that miss cost nothing; `forgetReadAhead` drops what the job did not take.
   */
  readAhead(rooms: { user: string; legacyId: string }[]): void {
    const wanted = new Map<string, { user: string; legacyId: string }>();
    for (const r of rooms) {
      const key = roomKey(r.user, r.legacyId);
      if (!this.live.has(key) && !this.ahead.has(key)) wanted.set(key, r);
    }
    if (wanted.size < 2) return; // one room: `get` reads it as fast
    const replies = this.read([...wanted.values()]);
    let i = 0;
    for (const [key, { user, legacyId }] of wanted) {
      const at = i++;
      this.ahead.set(key, replies.then(
        (stored) => stored[at]!,
        () => this.stored(user, legacyId), // a failed read-ahead: `get` reads the room itself
      ));
    }
  }

  /** Drops what `readAhead` read and nobody took (the job is over: it may be stale by the next one). */
  forgetReadAhead(): void {
    this.ahead.clear();
  }

  /** The room's snapshot, marks and own message ids in Redis. */
  private async stored(user: string, legacyId: string): Promise<StoredRoom> {
    return (await this.read([{ user, legacyId }]))[0]!;
  }

  /** What Redis holds of these rooms, in their order, in one command (`scripts/read-rooms-n.lua`). */
  private async read(rooms: { user: string; legacyId: string }[]): Promise<StoredRoom[]> {
    const { keys, redis } = this.deps;
    const names = rooms.flatMap(({ user, legacyId }) => [keys.roomSnapshot(user, legacyId), keys.roomMarks(user, legacyId), keys.roomOwnIds(user, legacyId)]);
    const values = await redis.readRooms(names.length, ...names);
    return rooms.map((_, i) => [values[3 * i] as string | null, values[3 * i + 1] as string | null, values[3 * i + 2] as string[]] as const);
  }

  /** The room actor in memory or restored from its snapshot; created when `create`. */
  async get(session: BaseSession, legacyId: string, create: boolean): Promise<RoomHandle | null> {
    const user = session.user.jid;
    const key = roomKey(user, legacyId);
    const live = this.live.get(key);
    if (live) {
      const busy = this.busy.get(live);
      if (busy) await busy; // whoever reads or feeds the room sees it at rest
      return live;
    }
    const ahead = this.ahead.get(key);
    this.ahead.delete(key);
    const [raw, marks, ownIds] = ahead ? await ahead : await this.stored(user, legacyId);
    if (!raw && !create) return null;
    const muc = this.deps.sessions.openRoom(session, legacyId);
    const input = {
      user, legacyId, jid: muc.jid,
      defaultUserNick: session.bookmarks.userNick,
      flags: {
        hasSubject: (muc.constructor as typeof LegacyMUC).HAS_SUBJECT,
        reactionsSingleEmoji: (muc.constructor as typeof LegacyMUC).REACTIONS_SINGLE_EMOJI,
        keepBackfilledParticipants: (muc.constructor as typeof LegacyMUC).KEEP_BACKFILLED_PARTICIPANTS,
        // DECISIONS: a nick change from XMPP is for plugins that implement the hook
        nickChange: session.onNickChange !== BaseSession.prototype.onNickChange,
        alwaysInvite: this.deps.alwaysInviteWhenAddingBookmarks ?? true,
      },
    };
    const snapshot = raw ? JSON.parse(raw) : null;
    // the watermark written since the snapshot is the newer one
    if (snapshot?.context && marks) Object.assign(snapshot.context, JSON.parse(marks));
    // the own message ids live in their list; a snapshot written before it held them itself
    if (snapshot?.context && ownIds.length) {
      snapshot.context.ownIds = recentOf(ownIds.map((entry): OwnId => {
        const [id, xmppId] = JSON.parse(entry) as [string, string];
        return { legacyId: id, xmppId };
      }), OWN_IDS_KEPT);
    }
    // a snapshot written while a message was with the network (before bursts) held it alone
    const sending = snapshot?.context?.sending;
    if (sending && !Array.isArray(sending)) snapshot.context.sending = [sending];
    // class flags describe the plugin running now, not the one that wrote the snapshot
    if (snapshot?.context) snapshot.context.flags = input.flags;
    // a fresh room object learns what the actor already knows (name, type, the user's nick ...)
    if (snapshot?.context?.info) muc.applyInfo(snapshot.context.info);
    const inspect = this.deps.inspector?.observe('room', inspectKey(user, legacyId), user, muc.jid);
    const actor = createActor(this.machine, { input, ...(snapshot ? { snapshot } : {}), ...(inspect ? { inspect } : {}) });
    actor.start();
    const handle: RoomHandle = { user, legacyId, actor, lastActiveMs: Date.now(), archiveEmpty: !raw };
    // written while waiting on a hook (after the hook timeout): the hook starts again
    if (actor.getSnapshot().hasTag('busy')) actor.send({ type: 'runtime.resume' });
    if (snapshot) handle.written = writtenOf(actor); // the flags set above are not in Redis: the next write is whole
    // a list read from Redis is there; ids held by an older snapshot (or a new room) are written whole
    if (ownIds.length) handle.ownIdsWritten = newestOwnId(actor);
    this.live.set(key, handle);
    return handle;
  }

  /**
   * Applies one event and waits until the room is no longer busy with a hook. Events already
   * applied (a replayed job) are dropped here, by id. With `background`, it returns once the
   * event is applied and the hook goes on meanwhile: the room's next event, or `settled()`,
   * waits for it. A job's rooms then wait on their networks side by side (a user joining 200
   * rooms, W4), each room still taking its events one at a time, in order.
   */
  async deliver(handle: RoomHandle, event: RoomEvent, opts: { background?: boolean } = {}): Promise<void> {
    const busy = this.busy.get(handle);
    if (busy) await busy; // no extra turn for the usual room at rest
    if ('eventId' in event && alreadyApplied(handle.actor.getSnapshot().context, event)) return;
    handle.lastActiveMs = Date.now();
    handle.actor.send(event);
    if (!handle.actor.getSnapshot().hasTag('busy')) return; // most events: no hook, no timer to arm
    // a burst of the user's messages calls the network once for each: as many hook timeouts
    const rest = this.rest(handle, event.type, event.type === 'xmpp.messages' ? event.messages.length : 1);
    if (!opts.background) return rest;
    const tracked = rest.finally(() => { if (this.busy.get(handle) === tracked) this.busy.delete(handle); });
    this.busy.set(handle, tracked);
  }

  /** Resolves once every room hook started in the background is done (before a job commits). */
  async settled(): Promise<void> {
    while (this.busy.size) await Promise.all(this.busy.values());
  }

  /** Waits until the room is no longer busy with the hook `eventType` started (`calls` calls of it: that many timeouts). */
  private async rest(handle: RoomHandle, eventType: string, calls = 1): Promise<void> {
    const hook = this.hooks.get(handle.actor);
    if (hook) {
      // a hook started by an action: its answer is in the room once its promise settled
      this.hooks.delete(handle.actor);
      let settled = false;
      for (let i = 0; i < calls && !settled; i++) settled = await hookDeadline.within(hook);
      if (settled && !handle.actor.getSnapshot().hasTag('busy')) return;
    }
    try {
      await waitFor(handle.actor, (s) => !s.hasTag('busy'), { timeout: HOOK_TIMEOUT_MS });
    } catch {
      this.deps.log.error({ user: handle.user, room: handle.legacyId, event: eventType }, 'room still busy after the hook timeout');
    }
  }

  /**
   * What to write back for a room after a job: nothing once it has ended; only its watermark
   * when that is all that changed since it was last written (a message through a room changes
   * no state but the watermark: W2 wrote a room of 1,000's 114 KB snapshot per job); else the
   * snapshot. Call `written` once it is in Redis.
   */
  persisted(handle: RoomHandle): Persisted {
    const snap = handle.actor.getSnapshot();
    if (snap.status !== 'active') return { kind: 'ended' };
    const last = handle.written;
    const context = snap.context as unknown as Record<string, unknown>;
    if (last && last.context === snap.context) return { kind: 'unchanged' };
    const ownIds = ownIdsToWrite(handle);
    if (last && last.value === JSON.stringify(snap.value) && onlyMarksChanged(last.context as Record<string, unknown>, context)) {
      const resources = context.resources as string[];
      const json = JSON.stringify({ delivered: context.delivered, applied: context.applied, resources });
      const wasJoined = (last.context as { resources: string[] }).resources.length > 0;
      const joined = resources.length > 0;
      return joined === wasJoined ? { kind: 'marks', json, ownIds } : { kind: 'marks', json, ownIds, joined };
    }
    return { kind: 'snapshot', json: snapshotJson(handle.actor), ownIds };
  }

  /** The room's state as `persisted` describes it now, to pass to `written` once it is in Redis. */
  writing(handle: RoomHandle): RoomWritten {
    return { handle, written: writtenOf(handle.actor), ownIdsWritten: newestOwnId(handle.actor) };
  }

  /** The room's state that `writing` took is in Redis now. */
  written({ handle, written, ownIdsWritten }: RoomWritten): void {
    handle.written = written;
    handle.ownIdsWritten = ownIdsWritten;
  }

  /** Forgets an ended room (failed or destroyed): a failed join leaves no trace. */
  drop(handle: RoomHandle, why: 'hibernated' | 'moved' | 'ended' = 'hibernated'): void {
    this.ahead.delete(roomKey(handle.user, handle.legacyId));
    handle.actor.stop();
    this.busy.delete(handle);
    this.live.delete(roomKey(handle.user, handle.legacyId));
    this.deps.inspector?.left(inspectKey(handle.user, handle.legacyId), why);
  }

  /** Live rooms with no event since `sinceMs` and no hook in progress. */
  idleSince(sinceMs: number): RoomHandle[] {
    return [...this.live.values()].filter((h) => h.lastActiveMs < sinceMs && !h.actor.getSnapshot().hasTag('busy'));
  }

  /** How many room actors are in memory. */
  get liveCount(): number { return this.live.size; }

  /** The legacy ids of the user's rooms in memory that have joined resources. */
  joinedInMemory(user: string): string[] {
    return [...this.live.values()].filter((h) => h.user === user && h.actor.getSnapshot().context.resources.length).map((h) => h.legacyId);
  }

  /** Whether the room's actor is in memory (or being read ahead for the job at hand). */
  has(user: string, legacyId: string): boolean {
    const key = roomKey(user, legacyId);
    return this.live.has(key) || this.ahead.has(key);
  }

  /** Forgets every room (the partition moved away; snapshots are in Redis). */
  dropAll(): void {
    for (const handle of [...this.live.values()]) this.drop(handle, 'moved');
  }

  dropUser(user: string): void {
    for (const [key, handle] of this.live) {
      if (!key.startsWith(`${user}\n`)) continue;
      // the user store releases what the rooms' snapshots held (their images): the commit, which
      // sees these rooms ended, must not release it again
      handle.written = undefined;
      this.drop(handle, 'ended');
    }
  }

  private muc(room: RoomRef): LegacyMUC {
    const session = this.deps.sessions.peek(room.user);
    if (!session) throw new Error(`no session for ${room.user}`);
    return this.deps.sessions.openRoom(session, room.legacyId);
  }

  /**
   * `updateInfo()` then `fillParticipants()` (spec §2.2, §2.3.5). The avatars they set (the
   * room's, the participants') come with the fill, so the join that waits for it shows their
   * hashes, and their bytes are stored with the same commit.
   */
  private async fill(room: RoomRef): Promise<FillOutput> {
    const muc = this.muc(room);
    let avatar: StoredAvatar | null | undefined;
    const participantAvatars: Record<string, StoredAvatar> = {};
    const original: RoomEventSink = muc.bindSink((event) => {
      if (event.type === 'legacy.avatar') avatar = event.avatar;
      else if (event.type === 'legacy.participantAvatar' && event.avatar) participantAvatars[event.participant.nick] = event.avatar;
      else original(event);
    });
    const participants = [];
    let user: FillOutput['user'] = null;
    try {
      try {
        await muc.updateInfo();
      } catch (err) {
        if (!(err instanceof NotImplemented)) throw err; // §2.2.4: tolerated, defaults stay
      }
      for await (const p of muc.fillParticipants() as AsyncIterable<LegacyParticipant>) {
        if (p.isUser) user = p.toInit();
        else if (!p.isSystem) participants.push(p.toInit());
      }
    } finally {
      muc.bindSink(original);
    }
    return {
      info: muc.toInfo(), participants, user, ...(avatar ? { avatar } : {}),
      ...(Object.keys(participantAvatars).length ? { participantAvatars } : {}),
    };
  }

  /** Runs the plugin's backfill for the archive's hole and returns what it sent (archive-only). */
  private async backfill(room: RoomRef): Promise<LegacyRoomEvent[]> {
    const muc = this.muc(room);
    const archived = await this.archive(room.user, room.legacyId);
    const { after, before } = holeBounds(archived);
    const bound = (m: typeof after) => (m ? { id: m.legacyId!, timestamp: new Date(m.at) } : null);
    const collected: LegacyRoomEvent[] = [];
    // Only archive-only messages belong to the backfill; live events keep flowing to the mailbox.
    const original: RoomEventSink = muc.bindSink((event) => {
      if (event.type === 'legacy.message' && event.archiveOnly) collected.push(this.deps.sessions.stamp(muc.session, event));
      else original(event);
    });
    try {
      await muc.backfill(bound(after), bound(before));
    } catch (err) {
      if (!(err instanceof NotImplemented)) throw err;
    } finally {
      muc.bindSink(original);
    }
    return collected;
  }

  /** A commit wrote archive entries of this room. */
  archived(user: string, legacyId: string): void {
    const live = this.live.get(roomKey(user, legacyId));
    if (live) live.archiveEmpty = false;
  }

  /**
   * The room's committed archive (its newest `last` messages, 0: all; from `sinceMs` on if
   * given); no read where it is known to be empty.
   */
  private async archive(user: string, legacyId: string, last = 1000, sinceMs?: number) {
    const live = this.live.get(roomKey(user, legacyId));
    if (live?.archiveEmpty) return [];
    const archived = await readArchive(this.deps.redis, this.deps.keys.archive(user, legacyId), last, sinceMs);
    if (live && !archived.length && sinceMs === undefined) live.archiveEmpty = true;
    return archived;
  }

  /**
   * The room's archive as the job in progress sees it: what Redis holds (the newest `last`
   * messages; 0: all), then what the job archived and has not committed yet.
   */
  async archiveOf(user: string, legacyId: string, last = 0, sinceMs?: number): Promise<ArchivedMessage[]> {
    const archived = await this.archive(user, legacyId, last, sinceMs);
    const known = new Set(archived.map((m) => m.stanzaId));
    return [...archived, ...this.deps.pendingArchive(user, legacyId).filter((m) => !known.has(m.stanzaId))];
  }

  /**
   * A MAM page of the room's archive (spec §3.2), as the job in progress sees it: through the
   * time index when everything is committed; the archive read whole where the job archived
   * some of it (the backfill a first query starts) or the query filters by author.
   */
  async archivePage(user: string, legacyId: string, query: ArchiveQuery): Promise<ArchivePage> {
    if (query.with !== undefined || !this.indexReads(user, legacyId)) return selectArchivePage(await this.archiveOf(user, legacyId), query);
    return readArchivePage(this.deps.redis, this.deps.keys.archive(user, legacyId), query);
  }

  /** The room's oldest and newest archived messages (MAM metadata), as the job in progress sees them. */
  async archiveEnds(user: string, legacyId: string): Promise<ArchivedMessage[]> {
    if (!this.indexReads(user, legacyId)) {
      const all = inTimeOrder(await this.archiveOf(user, legacyId));
      return all.length ? [all[0]!, all.at(-1)!] : [];
    }
    return readArchiveEnds(this.deps.redis, this.deps.keys.archive(user, legacyId));
  }

  /**
   * Whether the archive's time index answers for the room as the job sees it: not where the job
   * archived some of it (not committed yet), nor where it is known to be empty (nothing to read).
   */
  private indexReads(user: string, legacyId: string): boolean {
    return !this.deps.pendingArchive(user, legacyId).length && !this.live.get(roomKey(user, legacyId))?.archiveEmpty;
  }

  /** An image a room of the user's partition shows (spec §3.6, §3.7), by its SHA-1, as the job in progress sees it. */
  async avatarOf(user: string, hash: string): Promise<StoredAvatar | null> {
    const json = this.deps.pendingAvatar(hash) ?? await this.deps.redis.hget(this.deps.keys.partitionAvatars(this.deps.keys.partitionOf(user)), hash);
    return json ? JSON.parse(json) as StoredAvatar : null;
  }

  /** A join's history (XEP-0045 §7.2.15): only its window is read, through the archive's time index. */
  private async history(input: HistoryInput) {
    const { user, legacyId } = input.room;
    const { fromMs, max } = historyWindow(input.request, input.now);
    if (max === 0 || !Number.isFinite(fromMs)) return [];
    return selectHistory(await this.archiveOf(user, legacyId, max, fromMs), input.request, input.now);
  }

  /** The plugin hook behind a user's request (spec §1.3): it acts on the network or throws. */
  private async callHook({ room, call, participant }: HookInput): Promise<void> {
    const muc = this.muc(room);
    const contact = participant ? { legacyId: participant.contactId ?? participant.nick, name: participant.nick } : null;
    switch (call.hook) {
      case 'setSubject':
        return muc.onSetSubject(call.subject);
      case 'kick':
        if (!contact) throw new XmppError('item-not-found', `No participant named ${call.nick}`);
        return muc.onKick(contact, call.reason);
      case 'setAffiliation':
        if (!contact) throw new XmppError('item-not-found', `No participant named ${call.nick}`);
        return muc.onSetAffiliation(contact, call.affiliation, call.reason, call.nick);
      case 'setRole':
        if (!contact) throw new XmppError('item-not-found', `No participant named ${call.nick}`);
        return muc.onSetRole(call.nick, call.role, call.reason);
      case 'nickChange':
        return muc.session.onNickChange(muc, call.nick);
      case 'destroy':
        return muc.onDestroyRequest(call.reason);
      case 'setConfig':
        if (call.name === null && call.description === null) return; // a cancelled form changes nothing
        return muc.onSetConfig(call.name, (muc.constructor as typeof LegacyMUC).HAS_DESCRIPTION ? call.description : null);
      case 'leaveGroup':
        return muc.session.onLeaveGroup(room.legacyId);
      case 'moderate':
        return muc.session.onModerate(muc, toLegacyId(muc.session, call.id), call.reason);
      case 'setAvatar':
        return setAvatarFromXmpp(muc, call);
    }
  }

  /** The user's message to the legacy network (spec §3.13.2), an attachment (§3.19) or a reply (§3.18). */
  private async sendText(room: RoomRef, message: UserMessageEvent, threads: ThreadPair[]): Promise<SendTextOutput> {
    const muc = this.muc(room);
    const { session } = muc;
    const reply = replyOptions(muc, message.replyTo);
    const opts: TextOptions = message.id ? merge({ xmppId: message.id }, reply ?? {}) : { ...reply };
    // spec §3.23: an XMPP thread the room has not seen becomes a legacy thread (`createThread`), remembered
    const known = message.thread === undefined ? undefined : threadMadeFor(threads, message.thread);
    const made = message.thread !== undefined && !known ? { xmpp: message.thread, legacy: await muc.createThread(message.thread) } : undefined;
    const thread = known ?? made;
    if (thread) opts.thread = thread.legacy;
    if (message.linkPreviews) opts.linkPreviews = message.linkPreviews;
    if (message.file) opts.file = message.file;
    const output = async (legacyId: string | null | undefined) => merge(sent(session, legacyId), made ? { thread: made } : {});
    if (message.oob) {
      try {
        return await output(await session.onFile(muc, message.oob, opts));
      } catch (err) {
        if (!(err instanceof NotImplemented)) throw err; // §3.19: then the URL goes as text
      }
    }
    // §3.18: a reply whose target the network does not know goes as the client wrote it
    const text = message.replyTo && !reply ? (message.replyTo.fallbackText ?? '') + message.body : message.body;
    return output(await session.onText(muc, text, opts));
  }

  /** What the user does besides writing (spec §3.14–§3.22), through the session's hook for it. */
  private async userAction({ room, action, legacyId, thread }: UserActionInput): Promise<UserActionOutput> {
    const muc = this.muc(room);
    const { session } = muc;
    const target = (xmppId: string) => legacyId ?? toLegacyId(session, xmppId);
    const opts = thread === undefined ? {} : { thread };
    switch (action.type) {
      case 'xmpp.correction': {
        try {
          const previews = action.linkPreviews ? { linkPreviews: action.linkPreviews } : {};
          return sent(session, await session.onCorrect(muc, action.body, target(action.replaceId), { ...opts, ...previews }));
        } catch (err) {
          if (!(err instanceof NotImplemented)) throw err;
        }
        // §3.14: without corrections on the network, the new text goes as a new message
        return { ...sent(session, await session.onText(muc, `Correction: ${action.body}`, opts)), notice: CORRECTION_NOTICE };
      }
      case 'xmpp.retraction':
        await session.onRetract(muc, target(action.targetId), opts);
        return sent(session, null);
      case 'xmpp.reaction':
        await session.onReact(muc, target(action.targetId), action.emojis, opts);
        return sent(session, null);
      case 'xmpp.displayed':
        // §3.21: the marker is echoed to the user's other clients even if the network has none
        await session.onDisplayed(muc, target(action.targetId), opts).catch(ignoreNotImplemented);
        return sent(session, null);
      case 'xmpp.chatState': {
        const hook = { active: session.onActive, composing: session.onComposing, paused: session.onPaused, inactive: session.onInactive }[action.state];
        // §3.20: a chat state is a hint; its failure is never an error for the user
        await hook.call(session, muc, opts).catch((err: unknown) => {
          if (!(err instanceof NotImplemented)) this.deps.log.warn({ user: room.user, room: room.legacyId, err }, 'chat state not sent');
        });
        return sent(session, null);
      }
      case 'xmpp.privateMessage':
        return sent(session, await session.onPrivateText(muc, action.nick, action.body, action.id ? { xmppId: action.id } : {}));
    }
  }
}

/** What the user is told when a correction went as a new message (spec §3.14). */
export const CORRECTION_NOTICE = 'Last message correction is not supported by this legacy service. Your correction was sent as a new message.';

/** The legacy id and stanza-id of what the network accepted. */
function sent(session: BaseSession, legacyId: string | null | undefined): SendTextOutput {
  return { legacyId: legacyId ?? null, stanzaId: legacyId ? session.legacyToXmppMsgId(legacyId) : null };
}

/** An id from the user's client as a legacy id (spec §3.12): the plugin's conversion may refuse it. */
function toLegacyId(session: BaseSession, xmppId: string): string {
  try {
    return session.xmppToLegacyMsgId(xmppId);
  } catch (err) {
    if (err instanceof XmppError) throw err;
    throw new XmppError('internal-server-error', "Couldn't convert xmpp msg ID to legacy ID.");
  }
}

/** `onText`'s reply options (spec §3.18), or null when the replied message has no legacy id. */
function replyOptions(muc: LegacyMUC, reply: XmppReply | undefined): Pick<TextOptions, 'replyTo' | 'replyToFallbackText'> | null {
  if (!reply) return {};
  let legacyId: string;
  try {
    legacyId = muc.session.xmppToLegacyMsgId(reply.id);
  } catch {
    return null;
  }
  const userNick = muc.userNick ?? muc.session.bookmarks.userNick;
  const author = reply.nick === undefined ? {} : { author: reply.nick === userNick ? 'user' : reply.nick };
  return {
    replyTo: { legacyId, ...author },
    ...(reply.fallbackText !== undefined ? { replyToFallbackText: reply.fallbackText } : {}),
  };
}

function ignoreNotImplemented(err: unknown): void {
  if (!(err instanceof NotImplemented)) throw err;
}

function inspectKey(user: string, legacyId: string): string {
  return `room:${user}:${legacyId}`;
}

/** The newest of the room's own message ids, null for none. */
function newestOwnId(actor: RoomActor): OwnId | null {
  return newestRecent(actor.getSnapshot().context.ownIds) ?? null;
}

/** The own message ids added since the room's list was last written, or the whole list when it must be rewritten. */
function ownIdsToWrite(handle: RoomHandle): OwnIdsWrite['ownIds'] {
  const ownIds = handle.actor.getSnapshot().context.ownIds;
  const last = handle.ownIdsWritten;
  if (last !== undefined && newestRecent(ownIds) === (last ?? undefined)) return null; // nothing added
  const items = recentItems(ownIds);
  const from = last ? items.lastIndexOf(last) + 1 : 0;
  // unknown to the list (undefined), or pushed out of it since: the list is written whole
  const reset = last === undefined || (last !== null && from === 0);
  const add = items.slice(from).map((o) => JSON.stringify([o.legacyId, o.xmppId]));
  return reset || add.length ? { reset, add } : null;
}

/**
 * The actor's persisted snapshot as JSON, without the own message ids: they have their list (a
 * user's message rewrote 256 of them per commit, W3). A room waiting on no invoked actor (most
 * of them) is written without `getPersistedSnapshot` (a copy of the snapshot, and a walk of the
 * whole context for actor references, which a room's context never holds): a cold join's snapshot
 * write went from 13.6 % to 7.7 % of its CPU. The JSON is the same (unit-tested against XState's).
 */
export function snapshotJson(actor: RoomActor): string {
  const snap = actor.getSnapshot();
  if (Object.keys(snap.children).length) {
    // waiting on an invoked hook (acting, calling): XState persists the child with the room
    const persisted = actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> };
    const { ownIds: _inTheirList, ...context } = persisted.context;
    return JSON.stringify({ ...persisted, context });
  }
  const { ownIds: _inTheirList, ...context } = snap.context;
  // the machine has no history states: its history value is always empty
  return JSON.stringify({ status: snap.status, value: snap.value, historyValue: {}, context, children: {} });
}

function writtenOf(actor: RoomActor): { context: object; value: string } {
  const snap = actor.getSnapshot();
  return { context: snap.context, value: JSON.stringify(snap.value) };
}

function isEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length === 0;
}

/** Whether the two contexts differ in their watermark fields at most (fields compared by reference; empty lists are alike). */
function onlyMarksChanged(last: Record<string, unknown>, now: Record<string, unknown>): boolean {
  for (const k in now) if (!MARKS.has(k) && now[k] !== last[k] && !(isEmptyList(now[k]) && isEmptyList(last[k]))) return false;
  for (const k in last) if (!(k in now)) return false;
  return true;
}

/** Hook failures reach the machine as plain stanza errors; unexpected ones get a log line. */
/**
 * Spec §3.6: the user's avatar for the room goes to the plugin (what is not an image is refused
 * first); the id it answers shows the image at once, a removal shows at once.
 */
async function setAvatarFromXmpp(muc: LegacyMUC, call: Extract<HookInput['call'], { hook: 'setAvatar' }>): Promise<void> {
  if (call.data === null) {
    await muc.onAvatar(null, null);
    return muc.setAvatar(null);
  }
  const bytes = Buffer.from(call.data, 'base64');
  const stored = await normaliseAvatar(bytes);
  const legacyId = await muc.onAvatar(bytes, call.mime);
  if (legacyId !== null && legacyId !== undefined) muc.applyAvatar({ ...stored, legacyId: String(legacyId) });
}

async function rejectAsStanzaError<T>(work: Promise<T>, log: Logger, room: RoomRef): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (!isExpected(err)) log.error({ user: room.user, room: room.legacyId, err }, 'plugin hook failed');
    throw toStanzaError(err);
  }
}
