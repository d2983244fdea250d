/**
 * The events a room actor consumes. They are plain JSON: they travel through the partition
 * mailbox (BullMQ) and are replayed after a crash. Each carries an `eventId` so the room can
 * drop what it has already applied, and `at`, the UTC time it entered the mailbox (machines
 * never read a clock).
 */
import type { Hat, MucAffiliation, MucRole, Show } from '../legacy/types.ts';

export interface EventMeta { eventId: string; at: string }

/** A participant as the legacy side describes it. */
export interface ParticipantInit {
  nick: string;
  role?: MucRole;
  affiliation?: MucAffiliation;
  hats?: Hat[];
  /** Real identity on the network, shown as `jid` in non-anonymous rooms. */
  contactId?: string;
}

/** Old-school MUC history request on join (XEP-0045 §7.2.15). */
export interface HistoryRequest { maxchars?: number; maxstanzas?: number; seconds?: number; since?: string }

/** A user's request that a plugin hook decides (spec §1.3 hooks); its answer goes back as `reply`. */
export type HookCall =
  | { hook: 'setSubject'; subject: string }
  | { hook: 'kick'; nick: string; reason: string | null }
  | { hook: 'setAffiliation'; nick: string; affiliation: MucAffiliation; reason: string | null }
  | { hook: 'destroy'; reason: string | null }
  | { hook: 'leaveGroup' };

export type XmppRoomEvent =
  | (EventMeta & { type: 'xmpp.join'; from: string; nick: string; presenceId?: string; history: HistoryRequest })
  | (EventMeta & { type: 'xmpp.leave'; from: string })
  /** An available presence to the room that is not a join (spec §2.6). */
  | (EventMeta & { type: 'xmpp.presence'; from: string; nick: string; id?: string })
  /** An error the user's server bounced for a resource that is gone (spec §2.9). */
  | (EventMeta & { type: 'xmpp.bounce'; from: string })
  /** An iq or message that asks the plugin for something; answered on `reply`. */
  | (EventMeta & { type: 'xmpp.request'; from: string; id?: string; reply: 'iq' | 'message'; call: HookCall })
  | (EventMeta & {
      type: 'xmpp.message'; from: string; id?: string; body: string;
      /** The client's stanza as received, so the echo keeps its payload (spec §3.13). */
      xml: string;
    });

export type LegacyRoomEvent =
  | (EventMeta & {
      type: 'legacy.message'; participant: ParticipantInit; body: string; legacyId?: string;
      /** The XMPP id of `legacyId` (the session's `legacyToXmppMsgId`), stamped by the runtime. */
      xmppId?: string;
      when?: string; archiveOnly?: boolean;
    })
  | (EventMeta & { type: 'legacy.presence'; participant: ParticipantInit; show?: Show; status?: string })
  | (EventMeta & { type: 'legacy.participantLeft'; nick: string; kind: 'leave' | 'kick' | 'ban'; reason?: string })
  | (EventMeta & { type: 'legacy.subject'; subject: string; setter?: string | null; when?: string })
  | (EventMeta & { type: 'legacy.rename'; from: string; to: string })
  /** The user is out of this group for good (spec §2.13): kicked from XMPP when `kick`, then deleted. */
  | (EventMeta & { type: 'legacy.removed'; reason: string; kick: boolean });

export type RoomInputEvent = XmppRoomEvent | LegacyRoomEvent;

/** A legacy event before the runtime stamps it with its id and time. */
export type UnstampedLegacyEvent = LegacyRoomEvent extends infer E
  ? E extends LegacyRoomEvent ? Omit<E, 'eventId' | 'at'> : never
  : never;
