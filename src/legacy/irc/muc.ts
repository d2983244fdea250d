import {
  LegacyMUC, MucType, XmppError, type HoleBound, type LegacyContact, type LegacyParticipant, type MucAffiliation, type MucRole,
} from '../index.ts';
import type { IrcSession } from './session.ts';

/** The nickname an admin action is about: IRC channels are anonymous, participants are nicks. */
function targetNick(contact: LegacyContact, nickname: string | null = null): string {
  return nickname ?? contact.name ?? contact.legacyId;
}

/**
 * An IRC channel as one user sees it. Everything is read from the session's channel state,
 * which the IRC connection keeps up to date; admin actions from XMPP become IRC commands and
 * resolve once the server has answered them (its refusal is the XMPP error).
 */
export class IrcMUC extends LegacyMUC<IrcSession> {
  static override HAS_DESCRIPTION = false;
  static override PRIVATE_MESSAGES = true;
  /** Message ids are IRCv3 msgids or hashes of the line: the same after a restart. */
  static override STABLE_ARCHIVE = true;

  /** Name, topic (332/333), size, and the user's current nick; JOINs the channel if needed. */
  override async updateInfo(): Promise<void> {
    await this.session.ensureJoined(this.legacyId);
    const ch = this.session.channels.get(this.legacyId);
    if (!ch) throw new XmppError('item-not-found', 'No such channel');
    this.name = ch.name;
    this.type = MucType.CHANNEL;
    this.subject = ch.topic;
    this.subjectSetter = ch.topic ? ch.topicSetter : null;
    this.subjectDate = ch.topic ? ch.topicTime : null;
    this.nParticipants = ch.members.size || null;
    this.userNick = this.session.nick || null;
  }

  /** NAMES, with the prefixes as roles and affiliations; the user's own nick is the user. */
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    const ch = this.session.channels.get(this.legacyId);
    if (!ch) return;
    let self: LegacyParticipant | null = null;
    for (const m of [...ch.members.values()]) {
      const status = this.session.statusOf(m);
      if (this.session.lower(m.nick) === this.session.lower(this.session.nick)) self = await this.getUserParticipant(status);
      else yield await this.getParticipant(m.nick, status);
    }
    yield self ?? await this.getUserParticipant();
  }

  /** What the server replayed on join (and CHATHISTORY where offered), archive-only. */
  override async backfill(after: HoleBound | null, before: HoleBound | null): Promise<void> {
    await this.session.backfill(this, after, before);
  }

  /** TOPIC. */
  override async onSetSubject(subject: string): Promise<void> {
    await this.session.setTopic(this.legacyId, subject);
  }

  /** KICK. */
  override async onKick(contact: LegacyContact, reason: string | null): Promise<void> {
    await this.session.kick(this.legacyId, targetNick(contact), reason);
  }

  /** outcast: +b and KICK; owner +q (or +a), admin +o, member/none: those taken away. */
  override async onSetAffiliation(contact: LegacyContact, affiliation: MucAffiliation, reason: string | null, nickname: string | null): Promise<void> {
    await this.session.setAffiliation(this.legacyId, targetNick(contact, nickname), affiliation, reason);
  }

  /** moderator +h (or +o), participant +v, visitor -v; none is a kick. */
  override async onSetRole(nickname: string, role: MucRole, reason: string | null): Promise<void> {
    if (role === 'none') return this.session.kick(this.legacyId, nickname, reason);
    await this.session.setRole(this.legacyId, nickname, role);
  }
}
