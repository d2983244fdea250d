/**
 * The users' legacy sessions in this worker: logged in at start-up and on registration, out on
 * unregistration and shutdown (spec §2.1). Sessions reach their rooms only through the
 * mailbox: a room object's events are stamped here and queued to the user's partition.
 */
import { randomUUID } from 'node:crypto';
import { createActor, fromPromise, waitFor, type Actor } from 'xstate';
import { sessionMachine } from '../machines/session.ts';
import type { Logger } from 'pino';
import { BaseSession, type GatewayUser, type SessionHost, type SharedAttachment } from '../legacy/session.ts';
import type { LegacyAttachment } from '../legacy/types.ts';
import type { Uploads } from './uploads.ts';
import type { LegacyMUC } from '../legacy/muc.ts';
import type { AnyPlugin } from '../legacy/plugin.ts';
import type { LegacyRoomEvent, UnstampedLegacyEvent } from '../machines/events.ts';
import { escapeLocalPart } from '../legacy/escape.ts';
import { merge } from '../merge.ts';
import { NotImplemented, XmppError } from '../transport/xmpp/errors.ts';
import type { Mailboxes } from '../transport/mailbox.ts';
import type { UserStore } from './users.ts';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { Inspector } from './inspector.ts';
import { roomKey } from './job-rooms.ts';

export interface SessionsDeps {
  /** The live view of the actors, when the inspector page is on. */
  inspector?: Inspector;
  redis: Redis;
  keys: Keys;
  plugin: AnyPlugin;
  shared: unknown;
  gatewayJid: string;
  users: UserStore;
  mailboxes: Mailboxes;
  /** Where the network's attachments are uploaded (spec §3.19). */
  uploads?: Uploads;
  log: Logger;
}

interface Entry {
  session: BaseSession;
  actor: SessionActor;
  /**
   * The user's own avatar (spec §3.7) as read from their PEP since this login: asked and not
   * answered yet, or its hash (null: none). Read once per login; a change comes as a PEP
   * notification where the gateway is the user's contact.
   */
  userAvatar?: 'asked' | { hash: string | null };
  /** What the plugin's `login()` returned: the gateway's status once logged in (spec §2.1). */
  loginStatus?: string;
}

/** The gateway's presence to a user, as their session stands (spec §2.1): shown in their roster. */
export interface GatewayStatus { available: boolean; show?: 'dnd'; status?: string }
type SessionActor = Actor<typeof sessionMachine>;

export class Sessions implements SessionHost {
  private readonly entries = new Map<string, Entry>();
  /** The plugin's room objects, by `roomKey`, with when each was last asked for. */
  private readonly rooms = new Map<string, { muc: LegacyMUC; usedMs: number }>();
  /** Why a user's last login failed, once their session is dropped (the gateway's status says so). */
  private readonly failedLogins = new Map<string, string>();
  /** Mailbox adds in flight, per user: `queued()` waits for them. */
  private readonly inFlight = new Map<string, Set<Promise<void>>>();

  constructor(private readonly deps: SessionsDeps) {}

  /**
   * The session of a registered user, logging it in on first use. Refused while it is not
   * usable: `recipient-unavailable` while the plugin restores its connection (spec §2.1.3),
   * `internal-server-error` when the login failed (retried on the next stanza). Legacy events
   * (`opts.reconnecting`) are applied while reconnecting: they are what the plugin reports.
   */
  async get(user: GatewayUser, opts: { reconnecting?: boolean } = {}): Promise<BaseSession> {
    const entry = this.entries.get(user.jid) ?? this.login(user);
    // a session at rest (every event but those of a login) needs no subscription to wait on
    const now = entry.actor.getSnapshot();
    const state = now.hasTag('busy') ? await waitFor(entry.actor, (s) => !s.hasTag('busy')) : now;
    // the session machine's states are flat, its value their name: `matches()` parsed a state
    // path per call (660 B allocated per legacy event in W2)
    const value = state.value as string;
    if (value === 'loggedIn' || (opts.reconnecting && value === 'reconnecting')) return entry.session;
    if (value === 'reconnecting') {
      throw new XmppError('recipient-unavailable', 'The legacy network connection is being restored, retry later');
    }
    throw new XmppError('internal-server-error', 'You are not logged to the legacy network');
  }

  /** The session if it is already logged in (or logging in), without starting one. */
  peek(jid: string): BaseSession | undefined {
    return this.entries.get(jid)?.session;
  }

  /** The session actor of a user, for the operator and the inspector. */
  actorOf(jid: string): SessionActor | undefined {
    return this.entries.get(jid)?.actor;
  }

  /** Starts logging a user in (the session machine's `loggingIn`); a failed login is logged and retried on the next stanza. */
  login(user: GatewayUser): Entry {
    const { plugin, shared, log } = this.deps;
    this.failedLogins.delete(user.jid);
    const session = new plugin.session(user, plugin, shared, this);
    const machine = sessionMachine.provide({
      actors: {
        login: fromPromise(async () => {
          const status = await session.login();
          if (typeof status === 'string' && status) entry.loginStatus = status;
          try {
            await session.bookmarks.fill();
          } catch (err) {
            if (!(err instanceof NotImplemented)) throw err;
          }
        }),
      },
    });
    const inspect = this.deps.inspector?.observe('session', `session:${user.jid}`, user.jid, user.jid);
    const actor = createActor(machine, { input: { user: user.jid }, ...(inspect ? { inspect } : {}) });
    const entry: Entry = { session, actor };
    let last = '';
    actor.subscribe((s) => {
      const state = String(s.value);
      if (state === last) return;
      const started = last !== ''; // the machine's first state is no change
      last = state;
      session.logged = state === 'loggedIn' || state === 'reconnecting';
      // the gateway's presence to the user follows, from the user's partition (a mailbox job)
      if (started) {
        this.deps.mailboxes.add({ kind: 'control', user: user.jid, action: 'status' })
          .catch((err: Error) => log.warn({ user: user.jid, err: err.message }, 'gateway status not queued'));
      }
      if (state === 'loggedIn') log.info({ user: user.jid }, 'session logged in');
      else if (state === 'reconnecting') log.warn({ user: user.jid, reason: s.context.error }, 'session reconnecting');
      else if (state === 'loggedOut' && s.context.error) {
        log.warn({ user: user.jid, err: s.context.error }, 'legacy login failed');
        this.failedLogins.set(user.jid, s.context.error);
        if (this.entries.get(user.jid) === entry) this.entries.delete(user.jid);
      }
    });
    actor.start();
    this.entries.set(user.jid, entry);
    actor.send({ type: 'login' });
    return entry;
  }

  /** SessionHost: the plugin reports its connection state (lost, restored). */
  sessionEvent(session: BaseSession, event: { type: 'legacy.disconnected'; reason?: string } | { type: 'legacy.connected' }): void {
    const entry = this.entries.get(session.user.jid);
    if (entry?.session === session) entry.actor.send(event);
  }

  /** The user's own avatar as this login knows it (see `Entry.userAvatar`); undefined: never asked. */
  userAvatar(jid: string): Entry['userAvatar'] {
    return this.entries.get(jid)?.userAvatar;
  }

  /** The gateway's presence to the user now (spec §2.1: "Logging in…" while it does, then what `login()` said). */
  gatewayStatus(jid: string): GatewayStatus {
    const entry = this.entries.get(jid);
    const failed = this.failedLogins.get(jid);
    if (!entry) return failed ? { available: true, show: 'dnd', status: `Login failed: ${failed}` } : { available: false };
    const s = entry.actor.getSnapshot();
    switch (s.value) {
      case 'loggingIn': return { available: true, show: 'dnd', status: 'Logging in…' };
      case 'loggedIn': return { available: true, status: entry.loginStatus ?? 'Logged in' };
      case 'reconnecting': return { available: true, show: 'dnd', status: 'Reconnecting…' };
      default: return { available: false };
    }
  }

  noteUserAvatar(jid: string, state: NonNullable<Entry['userAvatar']>): void {
    const entry = this.entries.get(jid);
    if (entry) entry.userAvatar = state;
  }

  async logout(jid: string): Promise<void> {
    this.failedLogins.delete(jid);
    const entry = this.entries.get(jid);
    if (!entry) return;
    this.entries.delete(jid);
    for (const key of [...this.rooms.keys()]) if (key.startsWith(`${jid}\n`)) this.rooms.delete(key);
    await waitFor(entry.actor, (s) => !s.hasTag('busy')).catch(() => undefined);
    entry.actor.send({ type: 'logout' });
    try {
      await entry.session.logout();
    } catch (err) {
      this.deps.log.warn({ user: jid, err: (err as Error).message }, 'legacy logout failed');
    }
    entry.actor.stop();
    entry.session.logged = false;
  }

  async logoutAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((jid) => this.logout(jid)));
  }

  /** SessionHost: the room object of a session, whose events go to the user's mailbox. */
  openRoom(session: BaseSession, legacyId: string): LegacyMUC {
    const key = roomKey(session.user.jid, legacyId);
    const kept = this.rooms.get(key);
    if (kept?.muc.session === session) {
      kept.usedMs = Date.now();
      return kept.muc;
    }
    // A room object emits for the session that made it. A session logging out still hands its
    // last heard events to its rooms while its successor logs in (a partition lost and taken
    // again): sharing one object, either stamped the other's events with its own ids and
    // positions, or with none, and rooms applied them twice (Redis away longer than the leases
    // under legacy traffic). Only the user's current session's objects are kept.
    const current = this.entries.get(session.user.jid)?.session;
    // room JIDs use the default XEP-0106 form (LegacyBookmarks.legacyIdToJidUsername)
    const muc = new session.plugin.muc(session, legacyId, `${escapeLocalPart(legacyId)}@${this.deps.gatewayJid}`, (event) => {
      const jid = session.user.jid;
      const pending = this.inFlight.get(jid) ?? new Set<Promise<void>>();
      this.inFlight.set(jid, pending);
      const add = this.queue(session, legacyId, event).finally(() => pending.delete(add));
      pending.add(add);
    });
    if (!current || current === session) this.rooms.set(key, { muc, usedMs: Date.now() });
    return muc;
  }

  /** SessionHost: the user is out of a group; the room actor says so and deletes itself (§2.13). */
  async removeRoom(session: BaseSession, legacyId: string, reason: string, kick: boolean): Promise<void> {
    this.openRoom(session, legacyId).emit({ type: 'legacy.removed', reason, kick });
  }

  /** Drops a room's cached object (its actor hibernated); the next event makes a fresh one. */
  releaseRoom(user: string, legacyId: string): void {
    this.rooms.delete(roomKey(user, legacyId));
  }

  /**
   * Drops the room objects not asked for since `beforeMs` whose room has no actor in memory
   * (`hasActor`): those `bookmarks.fill()` made for groups the user never joined here, which a
   * hibernation never releases (W5K: ≈ 40 MB per 100,000 known rooms). The next event or join
   * makes a fresh one, as after a hibernation. Returns how many were dropped.
   */
  releaseUnused(beforeMs: number, hasActor: (user: string, legacyId: string) => boolean): number {
    let released = 0;
    for (const [key, { muc, usedMs }] of this.rooms) {
      if (usedMs >= beforeMs || hasActor(muc.session.user.jid, muc.legacyId)) continue;
      this.rooms.delete(key);
      released++;
    }
    return released;
  }

  /** The plugin's room objects kept in memory, every user together. */
  get roomObjects(): number { return this.rooms.size; }

  /** Forgets a room object once its actor has ended. */
  forgetRoom(user: string, legacyId: string): void {
    this.rooms.delete(roomKey(user, legacyId));
    this.peek(user)?.bookmarks.forget(legacyId);
  }

  /** SessionHost: an attachment of the network uploaded and described (spec §3.19); null, with a log line, where it could not be. */
  async shareAttachment(session: BaseSession, attachment: LegacyAttachment, date: string): Promise<SharedAttachment | null> {
    const user = session.user.jid;
    try {
      if (!this.deps.uploads) throw new Error('this worker has no upload settings');
      return await this.deps.uploads.share(user, attachment, date);
    } catch (err) {
      const { name, legacyFileId } = attachment;
      this.deps.log.warn({ user, err: (err as Error).message, name, legacyFileId }, 'attachment not shared: the user gets a failure message instead');
      return null;
    }
  }

  /** SessionHost: the legacy ids of the user's rooms that have a snapshot. */
  async storedRoomIds(session: BaseSession): Promise<string[]> {
    return (await this.deps.redis.smembers(this.deps.keys.userRooms(session.user.jid))).sort();
  }

  async queued(session: BaseSession): Promise<void> {
    const pending = this.inFlight.get(session.user.jid);
    if (pending?.size) await Promise.all([...pending]);
  }

  async loadCursor(session: BaseSession): Promise<string | null> {
    return this.deps.redis.get(this.deps.keys.sessionCursor(session.user.jid));
  }

  async saveCursor(session: BaseSession, cursor: string): Promise<void> {
    await this.deps.redis.set(this.deps.keys.sessionCursor(session.user.jid), cursor);
  }

  /** Gives an event its id (stable inside `delivering`), time and XMPP message id. */
  stamp(session: BaseSession, event: UnstampedLegacyEvent): LegacyRoomEvent {
    const next = session.nextEvent();
    const eventId = next?.eventId ?? randomUUID();
    const at = new Date().toISOString();
    const stamped = merge(event, next?.delivery ? { eventId, at, delivery: next.delivery } : { eventId, at }) as LegacyRoomEvent;
    if ((stamped.type === 'legacy.message' || stamped.type === 'legacy.privateMessage') && stamped.legacyId !== undefined) {
      stamped.xmppId = session.legacyToXmppMsgId(stamped.legacyId);
    }
    // the messages an event points at, as the user's clients know them (spec §3.12)
    if (stamped.type === 'legacy.message') {
      if (stamped.replaces) stamped.replaces = { ...stamped.replaces, xmppId: session.legacyToXmppMsgId(stamped.replaces.legacyId) };
      if (stamped.replyTo) stamped.replyTo = { ...stamped.replyTo, xmppId: session.legacyToXmppMsgId(stamped.replyTo.legacyId) };
    }
    // spec §3.23: thread ids that are message ids are told as the clients know those messages
    if ('thread' in stamped && stamped.thread && (session.constructor as typeof BaseSession).MESSAGE_IDS_ARE_THREAD_IDS) {
      stamped.thread = { ...stamped.thread, xmppId: session.legacyToXmppMsgId(stamped.thread.legacyId) };
    }
    if ('target' in stamped) stamped.target = { ...stamped.target, xmppId: session.legacyToXmppMsgId(stamped.target.legacyId) };
    return stamped;
  }

  private async queue(session: BaseSession, legacyId: string, event: UnstampedLegacyEvent): Promise<void> {
    const stamped = this.stamp(session, event);
    try {
      await this.deps.mailboxes.add({ kind: 'legacy', user: session.user.jid, legacyId, event: stamped }, stamped.eventId);
    } catch (err) {
      // the legacy network already delivered it: losing it silently would be worse than a loud line
      this.deps.log.error({ user: session.user.jid, room: legacyId, err: (err as Error).message, event: stamped.type }, 'could not queue legacy event');
    }
  }
}
