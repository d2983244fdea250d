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

export type XmppRoomEvent =
  | (EventMeta & { type: 'xmpp.join'; from: string; nick: string; presenceId?: string; history: HistoryRequest })
  | (EventMeta & { type: 'xmpp.leave'; from: string })
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
  | (EventMeta & { type: 'legacy.rename'; from: string; to: string });

export type RoomInputEvent = XmppRoomEvent | LegacyRoomEvent;

/** A legacy event before the runtime stamps it with its id and time. */
export type UnstampedLegacyEvent = LegacyRoomEvent extends infer E
  ? E extends LegacyRoomEvent ? Omit<E, 'eventId' | 'at'> : never
  : never;
