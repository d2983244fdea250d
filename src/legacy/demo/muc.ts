import { LegacyMUC, MucType, XmppError, type BaseSession, type HoleBound, type LegacyContact, type LegacyParticipant, type MucAffiliation } from '../index.ts';
import type { DemoMessage, DemoRoomInfo } from './types.ts';
import { sendDemoFile, toXmppError } from './session.ts';
import type { DemoShared } from './plugin.ts';
import type { RoomType } from './world.ts';

const MUC_TYPES: Record<RoomType, MucType> = {
  group: MucType.GROUP, channel: MucType.CHANNEL, 'channel-non-anonymous': MucType.CHANNEL_NON_ANONYMOUS,
};

/**
 * A demo room as one user sees it: everything is read from the shared network. (Typed on
 * `BaseSession<DemoShared>`, as `Plugin.muc` takes a constructor of `BaseSession<any>`.)
 */
export class DemoMUC extends LegacyMUC<BaseSession<DemoShared>> {
  /** The most messages one `backfill()` sends: the newest ones within the bounds. */
  static BACKFILL_MAX = 500;

  /** Called when the room is resolved: copies name, subject, type and size from the network. */
  override async updateInfo(): Promise<void> {
    const room = this.roomInfo();
    this.name = room.name;
    this.description = room.description;
    this.subject = room.subject;
    this.subjectSetter = room.subjectSetter;
    this.subjectDate = room.subjectDate ? new Date(room.subjectDate) : null;
    this.type = MUC_TYPES[room.type];
    const listsUser = room.participants.some((p) => p.nick === this.nick);
    this.nParticipants = room.participants.length + (listsUser ? 0 : 1);
    // an unchanged id is not decoded again (the avatar cache, spec §1.3)
    await this.setAvatar(room.avatar && Buffer.from(room.avatar.data, 'base64'), room.avatar ? { legacyId: room.avatar.id } : {});
  }

  /** Called on the first join: the network's participants, then the user. */
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    let self = {};
    for (const { nick, role, affiliation, avatar } of this.roomInfo().participants) {
      // a world may list the user's own nick (to make the user an owner): that entry is the user
      if (nick === this.nick) {
        self = { role, affiliation };
        continue;
      }
      const p = await this.getParticipant(nick, { role, affiliation });
      if (avatar) await p.setAvatar(Buffer.from(avatar, 'base64'));
      yield p;
    }
    yield await this.getUserParticipant(self);
  }

  /** Called before history is served: past messages strictly between the bounds, oldest first. */
  override async backfill(after: HoleBound | null, before: HoleBound | null): Promise<void> {
    this.checkMember();
    const byTime = [...this.session.shared.network.messages(this.legacyId)]
      .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    const wanted = byTime.filter((m) => (!after || isAfter(m, after)) && (!before || isAfter(before, m)));
    for (const m of wanted.slice(-(this.constructor as typeof DemoMUC).BACKFILL_MAX)) {
      const from = m.from === this.nick ? await this.getUserParticipant() : await this.getParticipant(m.from);
      const opts = { archiveOnly: true, when: new Date(m.timestamp), ...(m.replyTo ? { replyTo: { legacyId: m.replyTo } } : {}) };
      if (m.file) await sendDemoFile(from, this.legacyId, m, m.file, opts);
      else if (m.url) await from.sendFile(m.url, m.id, opts);
      else from.sendText(m.body, m.id, opts);
    }
  }

  /** Called when the user submits the room's configuration: the network renames it and tells every member. */
  override async onSetConfig(name: string | null, description: string | null): Promise<void> {
    this.checkMember();
    try {
      this.session.shared.network.configure(this.legacyId, { ...(name !== null ? { name } : {}), ...(description !== null ? { description } : {}) });
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /**
   * Called when the user sets or removes the room's avatar: the network keeps it and tells
   * every member; its id makes the gateway show it at once.
   */
  override async onAvatar(data: Uint8Array | null): Promise<string | null> {
    this.checkMember();
    try {
      const id = this.session.shared.network.setAvatar(this.legacyId, data && Buffer.from(data).toString('base64'));
      await this.session.shared.network.settled();
      return id;
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /** Called when the user changes the subject: the network tells every member, the user included. */
  override async onSetSubject(subject: string): Promise<void> {
    this.checkMember();
    this.session.shared.network.setSubject(this.legacyId, { subject, by: this.nick });
  }

  /** Called when the user kicks someone: the network removes them and reports the kick back. */
  override async onKick(contact: LegacyContact, reason: string | null): Promise<void> {
    this.checkMember();
    try {
      this.session.shared.network.remove(this.legacyId, contact.name ?? contact.legacyId, { kick: true, ...(reason ? { reason } : {}) });
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /** Called when the user changes someone's affiliation: outcast bans, anything else re-ranks. */
  override async onSetAffiliation(contact: LegacyContact, affiliation: MucAffiliation, reason: string | null): Promise<void> {
    this.checkMember();
    const nick = contact.name ?? contact.legacyId;
    try {
      if (affiliation === 'outcast') this.session.shared.network.remove(this.legacyId, nick, { ban: true, ...(reason ? { reason } : {}) });
      else this.session.shared.network.join(this.legacyId, { nick, affiliation });
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /** Called when the user destroys the room: it is gone for every member of the network. */
  override async onDestroyRequest(reason: string | null): Promise<void> {
    this.checkMember();
    try {
      this.session.shared.network.destroyRoom(this.legacyId, { by: this.nick, ...(reason ? { reason } : {}), exceptJid: this.userJid });
      await this.session.shared.network.settled();
    } catch (err) {
      throw toXmppError(err);
    }
  }

  private get nick(): string { return this.userNick ?? this.session.bookmarks.userNick; }

  private roomInfo(): DemoRoomInfo {
    this.checkMember();
    return this.session.shared.network.info(this.legacyId);
  }

  /** The user must be a member of an existing room (without copying the room's info). */
  private checkMember(): void {
    const { network } = this.session.shared;
    if (!network.hasRoom(this.legacyId) || !network.isMember(this.legacyId, this.userJid)) {
      throw new XmppError('item-not-found', 'No such group');
    }
  }
}

/**
 * Whether `a` comes strictly after `b`, by time then id. The same id is never after itself,
 * even when the gateway stamped the bound with its own clock.
 */
function isAfter(a: DemoMessage | HoleBound, b: DemoMessage | HoleBound): boolean {
  if (a.id === b.id) return false;
  const ta = typeof a.timestamp === 'string' ? Date.parse(a.timestamp) : a.timestamp.getTime();
  const tb = typeof b.timestamp === 'string' ? Date.parse(b.timestamp) : b.timestamp.getTime();
  return ta > tb || (ta === tb && a.id > b.id);
}
