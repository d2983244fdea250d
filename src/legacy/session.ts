import { NotImplemented } from '../transport/xmpp/errors.ts';
import { urlOnly } from './attachment.ts';
import type { LegacyBookmarks } from './bookmarks.ts';
import type { LegacyMUC } from './muc.ts';
import type { AnyPlugin } from './plugin.ts';
import type { LegacyAttachment, LegacyContact, LinkPreview, MessageReference, SharedFile } from './types.ts';
import type { Delivery } from '../machines/events.ts';

/** A user registered with the gateway: bare JID and the fields of their registration form. */
export interface GatewayUser {
  jid: string;
  registration: Record<string, string>;
}

/** What the runtime gives a session so it can reach its rooms. */
export interface SessionHost {
  /** The room object of this user for a legacy id, bound to the user's mailbox. */
  openRoom(session: BaseSession, legacyId: string): LegacyMUC;
  /** Deletes a room of this user (after kicking the user when `kick`). */
  removeRoom(session: BaseSession, legacyId: string, reason: string, kick: boolean): Promise<void>;
  /**
   * Optional: the legacy ids of this user's rooms that the gateway keeps (room snapshots), so a
   * plugin whose network forgets memberships on disconnect (IRC) can rejoin them after a restart.
   */
  storedRoomIds?(session: BaseSession): Promise<string[]>;
  /** Resolves once every event this session emitted so far is durably queued. */
  queued(session: BaseSession): Promise<void>;
  /**
   * An attachment of the network uploaded (or found uploaded) and described, ready to send
   * (spec §3.19); null where it could not be (the host logged why).
   */
  shareAttachment?(session: BaseSession, attachment: LegacyAttachment, date: string): Promise<SharedAttachment | null>;
  /** The plugin's connection state changed (the session machine's `reconnecting`). */
  sessionEvent?(session: BaseSession, event: { type: 'legacy.disconnected'; reason?: string } | { type: 'legacy.connected' }): void;
  /** The session's resume point on its network, kept in Redis across restarts and moves. */
  loadCursor(session: BaseSession): Promise<string | null>;
  saveCursor(session: BaseSession, cursor: string): Promise<void>;
}

/** An attachment ready to send: its URL, and its metadata where its bytes were read. */
export interface SharedAttachment { url: string; file?: SharedFile }

/** Spec §3.23: the legacy thread of what the user did (their client's `<thread>`), where it named one. */
export interface ThreadOptions {
  thread?: string;
}

/** Options of `onCorrect`: the thread, and the previews of the links in the new text the client attached (spec §3.23). */
export interface CorrectionOptions extends ThreadOptions {
  linkPreviews?: LinkPreview[];
}

/** Options of `onText` (spec §1.5). */
export interface TextOptions {
  replyTo?: MessageReference;
  /** The client's message id (XEP-0359 origin-id or `id`). */
  xmppId?: string;
  /**
   * The quote the client put before the text of a reply (XEP-0428 fallback), removed from the
   * text, e.g. `> Anna wrote:\n> We should bake a cake\n` (spec §3.18).
   */
  replyToFallbackText?: string;
  /** Spec §3.23: the legacy thread the message belongs to (the client's `<thread>`, through `LegacyMUC.createThread` the first time). */
  thread?: string;
  /** Spec §3.23: previews of the links in the text, as the client attached them (Cheogram). */
  linkPreviews?: LinkPreview[];
  /** `onFile`: what the client said of the file (XEP-0447 SFS or XEP-0385 SIMS: name, type, size, SHA-256 ...), where it said anything. */
  file?: Partial<SharedFile>;
}

/**
 * One user's connection to the legacy network. A plugin subclasses it once: `login()` and the
 * `on*` hooks for what the user does from XMPP.
 */
export class BaseSession<Shared = unknown> {
  /**
   * Spec §3.23 (`MESSAGE_IDS_ARE_THREAD_IDS`): the network's thread ids are ids of messages (the
   * thread's first one), so they reach XMPP as `legacyToXmppMsgId` gives those messages' ids.
   */
  static MESSAGE_IDS_ARE_THREAD_IDS = false;
  readonly user: GatewayUser;
  readonly plugin: AnyPlugin;
  /** What the plugin's `start()` returned: the network client shared by all sessions. */
  readonly shared: Shared;
  readonly bookmarks: LegacyBookmarks;
  logged = false;
  private readonly host: SessionHost;
  private delivery: { id: string; n: number; source?: string; seq?: number } | null = null;

  constructor(user: GatewayUser, plugin: AnyPlugin, shared: Shared, host: SessionHost) {
    this.user = user;
    this.plugin = plugin;
    this.shared = shared;
    this.host = host;
    this.bookmarks = new plugin.bookmarks(this);
  }

  /** Called at start-up and after registration: connect to the legacy network. Returns a status text. */
  async login(): Promise<string | void> { throw new NotImplemented('login'); }
  /** Called on unregistration and shutdown: disconnect from the legacy network. */
  async logout(): Promise<void> { /* nothing to release by default */ }

  /**
   * Called when the user sends a message to a room. Return the legacy id of the message, so the
   * echo's stanza-id can refer to it. Throw an `XmppError` to refuse it.
   */
  async onText(_chat: LegacyMUC, _text: string, _opts: TextOptions): Promise<string | null> {
    throw new NotImplemented('onText');
  }
  /**
   * Called when the user corrects a message (XEP-0308). Return the correction's legacy id, if
   * the network gives it one. Not implemented: the text goes as a new message, `Correction: …`,
   * and the user is told (spec §3.14).
   */
  async onCorrect(_chat: LegacyMUC, _text: string, _legacyMsgId: string, _opts: CorrectionOptions = {}): Promise<string | null> { throw new NotImplemented('onCorrect'); }
  /** Called when the user retracts a message (XEP-0424), or corrects it to an empty text (spec §3.14). */
  async onRetract(_chat: LegacyMUC, _legacyMsgId: string, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onRetract'); }
  /** Called when the user reacts to a message (XEP-0444); an empty list removes all. */
  async onReact(_chat: LegacyMUC, _legacyMsgId: string, _emojis: string[], _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onReact'); }
  /**
   * Called when the user sends an attachment (XEP-0066 OOB URL) to a room, with what their
   * client said of the file in `opts.file` (SFS or SIMS metadata). Return its legacy id.
   * Not implemented: the URL is sent as text with `onText` (spec §3.19).
   */
  async onFile(_chat: LegacyMUC, _url: string, _opts: TextOptions): Promise<string | null> { throw new NotImplemented('onFile'); }
  /** Called when the user has seen a message in a room (XEP-0333 displayed marker). */
  async onDisplayed(_chat: LegacyMUC, _legacyMsgId: string, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onDisplayed'); }
  /**
   * Called when the user starts typing in a room (XEP-0085); `onPaused`, `onActive` and
   * `onInactive` likewise. Not implemented: nothing is sent, and the user is not told.
   */
  async onComposing(_chat: LegacyMUC, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onComposing'); }
  async onPaused(_chat: LegacyMUC, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onPaused'); }
  async onActive(_chat: LegacyMUC, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onActive'); }
  async onInactive(_chat: LegacyMUC, _opts: ThreadOptions = {}): Promise<void> { throw new NotImplemented('onInactive'); }
  /** Called when the user moderates a message (XEP-0425). */
  async onModerate(_chat: LegacyMUC, _legacyMsgId: string, _reason: string | null): Promise<void> { throw new NotImplemented('onModerate'); }
  /** Called when the user leaves a group for good (registration `<remove/>` on the room, or the `leave-group` command). */
  async onLeaveGroup(_legacyId: string): Promise<void> { throw new NotImplemented('onLeaveGroup'); }
  /**
   * Called by the `create-group` command (spec §1.7): create a group named `name` with these
   * contacts in it (none yet: roomgate has no contact list), and return its legacy id.
   */
  async onCreateGroup(_name: string, _contacts: LegacyContact[]): Promise<string> { throw new NotImplemented('onCreateGroup'); }
  /**
   * Called when the user changes their nickname in a room (XEP-0045 §7.6). Change it on the
   * network, or throw an `XmppError` (`conflict` when the nickname is taken). The network's
   * answer comes back as a rename of the user (`muc.renameParticipant(old, new)` with the
   * user's nick), in every room the new nickname applies to.
   */
  async onNickChange(_chat: LegacyMUC, _nickname: string): Promise<void> { throw new NotImplemented('onNickChange'); }
  /**
   * Called when the user sends a private message to a participant of a room (`room@gw/nick`,
   * type chat; rooms whose class sets `PRIVATE_MESSAGES`). Return the legacy id of the message.
   */
  async onPrivateText(_chat: LegacyMUC, _nickname: string, _text: string, _opts: TextOptions): Promise<string | null> {
    throw new NotImplemented('onPrivateText');
  }

  /** The legacy ids of the rooms roomgate keeps for this user; empty when the runtime does not say. */
  async storedRoomIds(): Promise<string[]> { return (await this.host.storedRoomIds?.(this)) ?? []; }

  /** Legacy message id → XMPP id (stanza-id and message id). Default: the same string. */
  legacyToXmppMsgId(legacyId: string): string { return legacyId; }
  /** XMPP id → legacy message id. Default: the same string. */
  xmppToLegacyMsgId(xmppId: string): string { return xmppId; }

  /**
   * Applies one event of the network with a stable delivery id (no ':' in it: it becomes a queue
   * job id): the room events it produces get
   * ids derived from it, so the same network event delivered again (after a restart or a move
   * to another worker) is recognised and dropped. Resolves once they are durably queued; then
   * it is safe to `saveCursor`.
   * With `position` (the network's name and this event's sequence number), rooms keep a watermark
   * per source instead of remembering ids, so a resume that replays thousands of events is safe.
   * @example await this.delivering(`net-${seq}`, () => this.apply(event), { position: { source: 'net', seq } }); await this.saveCursor(String(seq));
   */
  async delivering(
    deliveryId: string,
    apply: () => Promise<void>,
    opts: { waitQueued?: boolean; position?: { source: string; seq: number } } = {},
  ): Promise<void> {
    this.delivery = { id: deliveryId, n: 0, ...(opts.position ?? {}) };
    try {
      await apply();
    } finally {
      this.delivery = null;
    }
    if (opts.waitQueued ?? true) await this.host.queued(this);
  }

  /** Resolves once every room event emitted so far is durably queued (for a later `saveCursor`). */
  queuedEvents(): Promise<void> { return this.host.queued(this); }

  /**
   * The id (and, with `position`, the delivery position) of the next room event emitted inside
   * `delivering`, or null outside it.
   */
  nextEvent(): { eventId: string; delivery?: Delivery } | null {
    const d = this.delivery;
    if (!d) return null;
    const n = d.n++;
    return {
      eventId: `${d.id}#${n}`,
      ...(d.source !== undefined && d.seq !== undefined ? { delivery: { source: d.source, seq: d.seq, n } } : {}),
    };
  }

  /**
   * Call when the connection to the network dropped and the plugin is getting it back: the
   * session is `reconnecting`, and the user's stanzas are refused with `recipient-unavailable`
   * meanwhile. Call `connectionRestored()` once it is back.
   */
  connectionLost(reason?: string): void {
    this.host.sessionEvent?.(this, { type: 'legacy.disconnected', ...(reason ? { reason } : {}) });
  }

  /** Call when the connection is back after `connectionLost()`. */
  connectionRestored(): void {
    this.host.sessionEvent?.(this, { type: 'legacy.connected' });
  }

  /** Where this session resumes on its network (e.g. the last event applied), or null. */
  loadCursor(): Promise<string | null> { return this.host.loadCursor(this); }
  /** Remembers the resume point; call after `delivering` resolved. */
  saveCursor(cursor: string): Promise<void> { return this.host.saveCursor(this, cursor); }

  /** The room object for a legacy group id (used by `bookmarks.byLegacyId`). */
  openRoom(legacyId: string): LegacyMUC { return this.host.openRoom(this, legacyId); }
  /** Uploads an attachment for `LegacyParticipant.sendFiles`; null where it could not be shared. */
  async shareAttachment(attachment: LegacyAttachment, date: string): Promise<SharedAttachment | null> {
    if (this.host.shareAttachment) return this.host.shareAttachment(this, attachment, date);
    const url = urlOnly(attachment);
    return url === null ? null : { url };
  }
  /** Deletes a room (used by `bookmarks.remove`). */
  removeRoom(legacyId: string, reason: string, kick: boolean): Promise<void> {
    return this.host.removeRoom(this, legacyId, reason, kick);
  }
}
