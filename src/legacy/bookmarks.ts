import { NotImplemented } from '../transport/xmpp/errors.ts';
import { escapeLocalPart, unescapeLocalPart } from './escape.ts';
import type { LegacyMUC } from './muc.ts';
import type { BaseSession } from './session.ts';

/**
 * The groups of one user's session. Instantiated once per session.
 *
 * A plugin overrides `fill()` to tell which groups the user is in, and may override the two
 * id conversions to refuse ids early (throw `XmppError('item-not-found')`).
 */
export class LegacyBookmarks<S extends BaseSession = BaseSession> {
  readonly session: S;
  /** The user's default nickname in rooms (a room may impose another one). */
  userNick: string;
  private readonly known = new Set<string>();

  constructor(session: S) {
    this.session = session;
    this.userNick = session.user.registration['nickname'] || session.user.jid.split('@')[0]!;
  }

  /** Legacy group id → JID local part. Default: XEP-0106 escaping. */
  async legacyIdToJidUsername(legacyId: string): Promise<string> {
    return escapeLocalPart(String(legacyId));
  }

  /** JID local part → legacy group id. Default: XEP-0106 unescaping. */
  async jidUsernameToLegacyId(username: string): Promise<string> {
    return unescapeLocalPart(username);
  }

  /**
   * Called once after login: call `byLegacyId()` for every group the user is in.
   * @example async fill() { for (const g of await api.myGroups()) await this.byLegacyId(g.id) }
   */
  async fill(): Promise<void> { throw new NotImplemented('fill'); }

  /** The room of this user for a legacy group id. */
  async byLegacyId(legacyId: string): Promise<LegacyMUC> {
    this.known.add(legacyId);
    return this.session.openRoom(legacyId);
  }

  /** The room of this user for a room JID (resource ignored). */
  async byJid(jid: string): Promise<LegacyMUC> {
    const local = jid.split('/')[0]!.split('@')[0]!;
    return this.byLegacyId(await this.jidUsernameToLegacyId(local));
  }

  /** Forgets a group whose room has ended (roomgate calls it; plugins call `remove`). */
  forget(legacyId: string): void { this.known.delete(legacyId); }

  /** The legacy ids of the groups `fill()` and later lookups reported, in order. */
  knownLegacyIds(): string[] { return [...this.known]; }

  /**
   * Call when the user left this group for good (from the official client): the user is
   * kicked from the room on XMPP (when `kick`) and everything about it is deleted.
   */
  async remove(muc: LegacyMUC, reason = 'You left this group from the official client.', kick = true): Promise<void> {
    this.known.delete(muc.legacyId);
    await this.session.removeRoom(muc.legacyId, reason, kick);
  }
}
