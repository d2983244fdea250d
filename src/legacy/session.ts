import { NotImplemented } from '../transport/xmpp/errors.ts';
import type { LegacyBookmarks } from './bookmarks.ts';
import type { LegacyMUC } from './muc.ts';
import type { AnyPlugin } from './plugin.ts';
import type { MessageReference } from './types.ts';

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
}

/** Options of `onText` (spec §1.5). */
export interface TextOptions {
  replyTo?: MessageReference;
  /** The client's message id (XEP-0359 origin-id or `id`). */
  xmppId?: string;
}

/**
 * One user's connection to the legacy network. A plugin subclasses it once: `login()` and the
 * `on*` hooks for what the user does from XMPP.
 */
export class BaseSession<Shared = unknown> {
  readonly user: GatewayUser;
  readonly plugin: AnyPlugin;
  /** What the plugin's `start()` returned: the network client shared by all sessions. */
  readonly shared: Shared;
  readonly bookmarks: LegacyBookmarks;
  logged = false;
  private readonly host: SessionHost;

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
  /** Called when the user corrects a message (XEP-0308). */
  async onCorrect(_chat: LegacyMUC, _text: string, _legacyMsgId: string): Promise<string | null> { throw new NotImplemented('onCorrect'); }
  /** Called when the user retracts a message (XEP-0424). */
  async onRetract(_chat: LegacyMUC, _legacyMsgId: string): Promise<void> { throw new NotImplemented('onRetract'); }
  /** Called when the user reacts to a message (XEP-0444); an empty list removes all. */
  async onReact(_chat: LegacyMUC, _legacyMsgId: string, _emojis: string[]): Promise<void> { throw new NotImplemented('onReact'); }
  /** Called when the user moderates a message (XEP-0425). */
  async onModerate(_chat: LegacyMUC, _legacyMsgId: string, _reason: string | null): Promise<void> { throw new NotImplemented('onModerate'); }
  /** Called when the user leaves a group for good (registration `<remove/>` on the room). */
  async onLeaveGroup(_legacyId: string): Promise<void> { throw new NotImplemented('onLeaveGroup'); }

  /** Legacy message id → XMPP id (stanza-id and message id). Default: the same string. */
  legacyToXmppMsgId(legacyId: string): string { return legacyId; }
  /** XMPP id → legacy message id. Default: the same string. */
  xmppToLegacyMsgId(xmppId: string): string { return xmppId; }

  /** The room object for a legacy group id (used by `bookmarks.byLegacyId`). */
  openRoom(legacyId: string): LegacyMUC { return this.host.openRoom(this, legacyId); }
  /** Deletes a room (used by `bookmarks.remove`). */
  removeRoom(legacyId: string, reason: string, kick: boolean): Promise<void> {
    return this.host.removeRoom(this, legacyId, reason, kick);
  }
}
