import { LegacyBookmarks, XmppError } from '../index.ts';
import type { IrcSession } from './session.ts';

/**
 * The channels of one IRC session. A room JID's local part is the channel name, lower-cased
 * with the server's case mapping and XEP-0106 escaped (`#bench@irc.example.org`); a room the
 * user is not in yet is JOINed here, before the stanza reaches the room.
 */
export class IrcBookmarks extends LegacyBookmarks<IrcSession> {
  /** The channels the session is in (or rejoins after a reconnect). */
  override async fill(): Promise<void> {
    for (const id of [...this.session.channels.keys()]) await this.byLegacyId(id);
  }

  /** Lower-cases the channel name, refuses what is not a channel, and JOINs it when needed. */
  override async jidUsernameToLegacyId(username: string): Promise<string> {
    const id = this.session.lower(await super.jidUsernameToLegacyId(username));
    if (!this.session.isChannel(id)) throw new XmppError('item-not-found', `Not an IRC channel: ${id}`);
    await this.session.ensureJoined(id);
    return id;
  }

  /** Room JIDs use the lower-cased channel name. */
  override async legacyIdToJidUsername(legacyId: string): Promise<string> {
    return super.legacyIdToJidUsername(this.session.lower(legacyId));
  }
}
