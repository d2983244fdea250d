import { NotImplemented } from '../transport/xmpp/errors.ts';
import { loadAvatar, type AvatarRef, type AvatarSource, type StoredAvatar } from './avatar.ts';
import type { UnstampedLegacyEvent } from '../machines/events.ts';
import type { BaseSession } from './session.ts';
import { LegacyParticipant, type ParticipantOptions } from './participant.ts';
import { MucType, type HoleBound, type LegacyContact, type MucAffiliation, type MucRole } from './types.ts';
import type { ParticipantInit } from '../machines/events.ts';

/** Where a room's legacy events go: the runtime binds it to the user's partition mailbox. */
export type RoomEventSink = (event: UnstampedLegacyEvent) => void;

/**
 * A participant's private message to the user (a MUC PM, from `room/nick`), as
 * `LegacyMUC.sendPrivateText` emits it. Not yet in `LegacyRoomEvent` (machines/events.ts).
 */
export interface PrivateMessageEvent {
  type: 'legacy.privateMessage';
  participant: ParticipantInit;
  body: string;
  legacyId?: string;
  when?: string;
}

/** Room information a plugin fills in `updateInfo()`, as the room actor keeps it. */
export interface RoomInfo {
  name: string;
  description: string;
  subject: string;
  subjectSetter: string | null;
  subjectDate: string | null;
  type: MucType;
  nParticipants: number | null;
  userNick: string | null;
  /** The room's avatar (spec §3.6); absent in snapshots older than avatars. */
  avatar?: AvatarRef | null;
}

/**
 * A room, a.k.a. a Multi-User Chat: one legacy group as one user sees it.
 *
 * A plugin subclasses it once and overrides the hooks it supports. Instances are cheap views
 * on a room actor: the actor (not this object) holds the room's state, so a plugin keeps
 * nothing here that it cannot fetch again in `updateInfo()`.
 */
export class LegacyMUC<S extends BaseSession = BaseSession> {
  /** Set to true when the archive's ids survive restarts (MAM `<fin stable>`). */
  static STABLE_ARCHIVE = false;
  /** Set to true when `fillParticipants()` yields only part of the members. */
  static KEEP_BACKFILLED_PARTICIPANTS = false;
  /** Set to false when the network has no group description. */
  static HAS_DESCRIPTION = true;
  /** Set to false when the network has no subject: the description or name is shown instead. */
  static HAS_SUBJECT = true;
  /** Set to true when a user may only react with one emoji per message. */
  static REACTIONS_SINGLE_EMOJI = false;
  /**
   * Set to true when the user can exchange private messages with participants (MUC PMs,
   * `muc#roominfo_allowpm`): the session's `onPrivateText` and `sendPrivateText` below.
   */
  static PRIVATE_MESSAGES = false;

  readonly session: S;
  readonly legacyId: string;
  /** The room's bare JID, `escape(legacyId)@gateway`. */
  readonly jid: string;

  /** Display name (disco identity, bookmarks). */
  name = 'unnamed-room';
  description = '';
  subject = '';
  /** Nickname of whoever set the subject; `null` when the room itself did. */
  subjectSetter: string | null = null;
  subjectDate: Date | null = null;
  type: MucType = MucType.CHANNEL;
  /** Number of participants shown in disco before the list is filled. */
  nParticipants: number | null = null;
  /** The nickname the user always has in this room; defaults to the session's. */
  userNick: string | null = null;
  /** Advertised as `muc#maxhistoryfetch`. */
  maxHistoryFetch = 100;

  private sink: RoomEventSink;
  private avatarRef: AvatarRef | null = null;

  constructor(session: S, legacyId: string, jid: string, sink: RoomEventSink) {
    this.session = session;
    this.legacyId = legacyId;
    this.jid = jid;
    this.sink = sink;
  }

  /** True for CHANNEL rooms, where real identities are hidden. */
  get isAnonymous(): boolean { return this.type === MucType.CHANNEL; }

  /** The user's bare JID. */
  get userJid(): string { return this.session.user.jid; }

  /**
   * Called when the room is first resolved, to fetch its name, subject, type and so on from
   * the legacy network. Throw `XmppError('item-not-found')` when the group does not exist.
   * @example async updateInfo() { const g = await api.group(this.legacyId); this.name = g.title }
   */
  async updateInfo(): Promise<void> { throw new NotImplemented('updateInfo'); }

  /**
   * Called the first time the participant list is needed (the first join). Yield every member,
   * the user included, with role, affiliation and hats set.
   */
  async *fillParticipants(): AsyncIterable<LegacyParticipant> { /* no participants by default */ }

  /**
   * Called before history is first served, with the bounds of the hole in the archive
   * (spec §2.4). Send history with `participant.sendText(body, id, { archiveOnly: true, when })`.
   */
  async backfill(_after: HoleBound | null, _before: HoleBound | null): Promise<void> {
    throw new NotImplemented('backfill');
  }

  /**
   * Called when the user sets (or, with `data` null, removes) the room's avatar from an XMPP
   * client (spec §3.6); `mime` is the client's word, unchecked. Return the network's id of the
   * new image and it shows at once; return null when `setAvatar` will be called later (the
   * network reports the change on its own). A removal that does not throw shows at once.
   */
  async onAvatar(_data: Uint8Array | null, _mime: string | null): Promise<string | number | null> {
    throw new NotImplemented('onAvatar');
  }
  /** Called when the user changes a contact's affiliation (e.g. a ban is `outcast`). */
  async onSetAffiliation(_contact: LegacyContact, _affiliation: MucAffiliation, _reason: string | null, _nickname: string | null): Promise<void> {
    throw new NotImplemented('onSetAffiliation');
  }
  /** Called when the user kicks a participant (role `none`). */
  async onKick(_contact: LegacyContact, _reason: string | null): Promise<void> { throw new NotImplemented('onKick'); }
  /** Called when the user changes the room's name or description. */
  async onSetConfig(_name: string | null, _description: string | null): Promise<void> { throw new NotImplemented('onSetConfig'); }
  /** Called when the user asks to destroy the room. */
  async onDestroyRequest(_reason: string | null): Promise<void> { throw new NotImplemented('onDestroyRequest'); }
  /**
   * Spec §3.23: the user wrote in an XMPP thread the room has not seen: return the legacy thread
   * it is (creating it on the network if need be). The default takes the XMPP id as it is.
   */
  async createThread(xmppThreadId: string): Promise<string> { return xmppThreadId; }
  /** Called when the user changes the subject; report the change back with `setRoomSubject`. */
  async onSetSubject(_subject: string): Promise<void> { throw new NotImplemented('onSetSubject'); }
  /**
   * Called when the user changes a participant's role by nickname (XEP-0045 §8.3-8.6, §9.6-9.7:
   * grant or revoke voice, grant or revoke moderator). Kicks (role `none`) go to `onKick`.
   */
  async onSetRole(_nickname: string, _role: MucRole, _reason: string | null): Promise<void> { throw new NotImplemented('onSetRole'); }

  /** The participant with this nickname (created when unknown; nothing is sent until it acts). */
  async getParticipant(nickname: string, opts: ParticipantOptions = {}): Promise<LegacyParticipant> {
    return new this.session.plugin.participant(this, nickname, opts);
  }

  /** A non-anonymous participant, linked to the contact it is. */
  async getParticipantByContact(contact: LegacyContact, opts: ParticipantOptions = {}): Promise<LegacyParticipant> {
    return new this.session.plugin.participant(this, contact.name ?? contact.legacyId, { ...opts, contact });
  }

  /** The participant representing the gateway user. */
  async getUserParticipant(opts: ParticipantOptions = {}): Promise<LegacyParticipant> {
    return new this.session.plugin.participant(this, this.userNick ?? this.session.bookmarks.userNick, { ...opts, isUser: true });
  }

  /** A pseudo-participant for the room itself (announcements, anonymous moderation). */
  getSystemParticipant(): LegacyParticipant {
    return new this.session.plugin.participant(this, '', { isSystem: true, role: 'none', affiliation: 'none' });
  }

  /** Call when a participant left, was kicked or banned. `kick` and `ban` are exclusive. */
  removeParticipant(p: LegacyParticipant, opts: { kick?: boolean; ban?: boolean; reason?: string } = {}): void {
    if (opts.kick && opts.ban) throw new TypeError('a participant is kicked or banned, not both');
    const kind = opts.kick ? 'kick' : opts.ban ? 'ban' : 'leave';
    this.emit({ type: 'legacy.participantLeft', nick: p.nickname, kind, ...(opts.reason ? { reason: opts.reason } : {}) });
  }

  /**
   * Call when a participant changed nickname on the network (the 303 presence pair). With the
   * user's own nickname as `oldNickname`, the user was renamed (110 too), and this room's
   * `userNick` follows.
   */
  renameParticipant(oldNickname: string, newNickname: string): void {
    if (this.userNick !== null && this.userNick === oldNickname) this.userNick = newNickname;
    this.emit({ type: 'legacy.rename', from: oldNickname, to: newNickname });
  }

  /**
   * Adds the room to the user's XMPP bookmarks (XEP-0402, spec §3.9), typically from
   * `bookmarks.fill()`: published in the user's PEP through the user's server (XEP-0356 IQ
   * privilege, Prosody's mod_privilege), once per room; a bookmark the user already has is kept
   * as it is. Where the server does not allow it, the user gets a XEP-0249 invitation from the
   * gateway instead, once per room. `invite` sends an invitation as well, each time. A resource
   * already in the room gets no invitation. (`preserve` is always on.)
   */
  async addToBookmarks(opts: { autoJoin?: boolean; invite?: boolean; preserve?: boolean } = {}): Promise<void> {
    this.emit({ type: 'legacy.bookmark', autoJoin: opts.autoJoin ?? true, invite: opts.invite ?? false });
  }

  /**
   * Call when the network renamed the room or changed its description (after `onSetConfig`, or
   * on its own): joined resources get the 104 notice, and the room's disco shows the change.
   */
  updateRoomInfo(change: { name?: string; description?: string }): void {
    if (change.name !== undefined) this.name = change.name;
    if (change.description !== undefined) this.description = change.description;
    this.emit({ type: 'legacy.info', ...change });
  }

  /**
   * The network's id of the room's avatar (Slidge's avatar cache): compare it with the
   * network's in `updateInfo()`, and call `setAvatar` only when it changed.
   */
  get avatar(): string | null { return this.avatarRef?.legacyId ?? null; }
  /** The SHA-1 of the avatar's stored bytes, as XMPP clients see it; null without an avatar. */
  get avatarHash(): string | null { return this.avatarRef?.hash ?? null; }

  /**
   * Sets the room's avatar (spec §3.6), from its bytes or a URL to download; null removes it.
   * It is stored as a PNG of at most 200 px a side; joined resources get the 104 notice and
   * the room's new photo hash. Usually awaited in `updateInfo()`, or when the network reports a
   * change. With `legacyId` equal to the current one, or the same image, nothing happens (the
   * room ignores a removal of no avatar).
   */
  async setAvatar(image: AvatarSource | null, opts: { legacyId?: string | number } = {}): Promise<void> {
    const legacyId = opts.legacyId === undefined ? null : String(opts.legacyId);
    if (image === null) {
      // sent even when this object knows of none: a fresh one (its room hibernated) knows nothing
      this.avatarRef = null;
      return this.emit({ type: 'legacy.avatar', avatar: null });
    }
    if (legacyId !== null && legacyId === this.avatarRef?.legacyId) return;
    this.applyAvatar(await loadAvatar(image, opts.legacyId));
  }

  /** Shows an avatar already normalised (`normaliseAvatar`): the image the user set from XMPP, once `onAvatar` took it. */
  applyAvatar(stored: StoredAvatar): void {
    if (stored.hash === this.avatarRef?.hash && stored.legacyId === this.avatarRef.legacyId) return;
    this.avatarRef = { hash: stored.hash, mime: stored.mime, legacyId: stored.legacyId };
    this.emit({ type: 'legacy.avatar', avatar: stored });
  }

  /** Call when the subject changed and no participant is known to have done it. */
  setSubject(subject: string, opts: { setter?: string | null; when?: Date } = {}): void {
    this.emit({
      type: 'legacy.subject', subject, setter: opts.setter ?? null,
      ...(opts.when ? { when: opts.when.toISOString() } : {}),
    });
  }

  /**
   * Call when a participant sent the user a private message through this room (rooms whose
   * class sets `PRIVATE_MESSAGES`).
   */
  sendPrivateText(p: LegacyParticipant, body: string, legacyMsgId?: string, opts: { when?: Date } = {}): void {
    const event: PrivateMessageEvent = {
      type: 'legacy.privateMessage', participant: p.toInit(), body,
      ...(legacyMsgId !== undefined ? { legacyId: String(legacyMsgId) } : {}),
      ...(opts.when ? { when: opts.when.toISOString() } : {}),
    };
    // not yet a member of LegacyRoomEvent: room actors that do not know it ignore it
    this.emit(event as unknown as UnstampedLegacyEvent);
  }

  /** Sends one legacy event to this room's actor. Plugins use the helpers above instead. */
  emit(event: UnstampedLegacyEvent): void { this.sink(event); }

  /** Replaces where events go and returns the previous sink (the runtime collects backfill this way). */
  bindSink(sink: RoomEventSink): RoomEventSink {
    const previous = this.sink;
    this.sink = sink;
    return previous;
  }

  /** The room information as plain data, read after `updateInfo()`. */
  toInfo(): RoomInfo {
    return {
      name: this.name, description: this.description, subject: this.subject,
      subjectSetter: this.subjectSetter, subjectDate: this.subjectDate?.toISOString() ?? null,
      type: this.type, nParticipants: this.nParticipants, userNick: this.userNick, avatar: this.avatarRef,
    };
  }

  /** Loads room information kept by the actor back into a fresh instance. */
  applyInfo(info: RoomInfo): void {
    this.name = info.name; this.description = info.description; this.subject = info.subject;
    this.subjectSetter = info.subjectSetter;
    this.subjectDate = info.subjectDate ? new Date(info.subjectDate) : null;
    this.type = info.type; this.nParticipants = info.nParticipants; this.userNick = info.userNick;
    this.avatarRef = info.avatar ?? null;
  }
}
