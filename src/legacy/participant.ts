import type { LegacyMUC } from './muc.ts';
import type { Hat, LegacyContact, MucAffiliation, MucRole, SendTextOptions, Show } from './types.ts';
import type { ParticipantInit } from '../machines/events.ts';

/** Constructor options of a participant (Slidge's keyword arguments). */
export interface ParticipantOptions {
  isUser?: boolean;
  isSystem?: boolean;
  role?: MucRole;
  affiliation?: MucAffiliation;
  hats?: Hat[];
  contact?: LegacyContact;
}

/**
 * A legacy participant of a legacy group chat.
 *
 * A plugin gets participants from its room (`muc.getParticipant(nick)`), sets their role,
 * affiliation and hats before yielding them from `fillParticipants()`, and calls their methods
 * when the network reports something they did. Every method sends an event to the room actor,
 * which alone decides what XMPP clients see: nothing here builds a stanza.
 */
export class LegacyParticipant {
  readonly muc: LegacyMUC;
  nickname: string;
  role: MucRole;
  affiliation: MucAffiliation;
  hats: Hat[];
  readonly isUser: boolean;
  readonly isSystem: boolean;
  /** The linked legacy contact, in non-anonymous groups. */
  readonly contact: LegacyContact | undefined;

  constructor(muc: LegacyMUC, nickname: string, opts: ParticipantOptions = {}) {
    this.muc = muc;
    this.nickname = nickname;
    this.isUser = opts.isUser ?? false;
    this.isSystem = opts.isSystem ?? false;
    this.role = opts.role ?? 'participant';
    this.affiliation = opts.affiliation ?? 'member';
    this.hats = opts.hats ?? [];
    this.contact = opts.contact;
  }

  /** The participant as plain data, as the room actor keeps it. */
  toInit(): ParticipantInit {
    return {
      nick: this.nickname,
      role: this.role,
      affiliation: this.affiliation,
      ...(this.hats.length ? { hats: this.hats } : {}),
      ...(this.contact ? { contactId: this.contact.legacyId } : {}),
    };
  }

  /**
   * Call when this participant sent a message on the legacy network.
   * @example participant.sendText('hello', 'msg-42', { when: new Date(ts) })
   */
  sendText(body: string, legacyMsgId?: string, opts: SendTextOptions = {}): void {
    this.muc.emit({
      type: 'legacy.message',
      participant: this.toInit(),
      body,
      ...(legacyMsgId !== undefined ? { legacyId: String(legacyMsgId) } : {}),
      ...(opts.when ? { when: opts.when.toISOString() } : {}),
      ...(opts.archiveOnly ? { archiveOnly: true } : {}),
    });
  }

  /** Call when this participant is (or came back) online; makes them appear if they were not. */
  online(status?: string): void { this.presence(undefined, status); }
  away(status?: string): void { this.presence('away', status); }
  extendedAway(status?: string): void { this.presence('xa', status); }
  busy(status?: string): void { this.presence('dnd', status); }

  /** Re-announces this participant with a new role (a presence goes out if they are visible). */
  setRole(role: MucRole): void { this.role = role; this.presence(); }
  /** Re-announces this participant with a new affiliation. */
  setAffiliation(affiliation: MucAffiliation): void { this.affiliation = affiliation; this.presence(); }
  /** Re-announces this participant with new XEP-0317 hats. */
  setHats(hats: Hat[]): void { this.hats = hats; this.presence(); }

  /** Call when this participant left the room. */
  leave(reason?: string): void { this.muc.removeParticipant(this, { reason }); }
  /** Call when this participant was kicked from the room (status 307). */
  kick(reason?: string): void { this.muc.removeParticipant(this, { kick: true, reason }); }
  /** Call when this participant was banned from the room (status 301). */
  ban(reason?: string): void { this.muc.removeParticipant(this, { ban: true, reason }); }

  /** Call when this participant changed the room's subject. */
  setRoomSubject(subject: string, when?: Date): void {
    this.muc.emit({
      type: 'legacy.subject', subject, setter: this.nickname,
      ...(when ? { when: when.toISOString() } : {}),
    });
  }

  private presence(show?: Show, status?: string): void {
    this.muc.emit({
      type: 'legacy.presence', participant: this.toInit(),
      ...(show ? { show } : {}), ...(status ? { status } : {}),
    });
  }
}
