import { LegacyBookmarks, XmppError, type BaseSession } from '../index.ts';
import type { DemoShared } from './plugin.ts';

/**
 * The groups of one demo user: the world's rooms that list the user, or list nobody.
 * Typed on `BaseSession<DemoShared>` rather than `DemoSession`: `Plugin.bookmarks` takes a
 * constructor of `BaseSession<any>`, and the network is all this class needs.
 */
export class DemoBookmarks extends LegacyBookmarks<BaseSession<DemoShared>> {
  /** Called once after login: opens every room the user is a member of. */
  override async fill(): Promise<void> {
    const { network, inviteOnLogin } = this.session.shared;
    for (const roomId of network.roomsOf(this.session.user.jid)) {
      const muc = await this.byLegacyId(roomId);
      if (inviteOnLogin) await muc.addToBookmarks();
    }
  }

  /** Refuses room JIDs of rooms that do not exist, or that the user is not a member of. */
  override async jidUsernameToLegacyId(username: string): Promise<string> {
    const roomId = await super.jidUsernameToLegacyId(username);
    const { network } = this.session.shared;
    if (!network.hasRoom(roomId) || !network.isMember(roomId, this.session.user.jid)) {
      throw new XmppError('item-not-found', 'No such group');
    }
    return roomId;
  }
}
