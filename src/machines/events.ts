/**
 * The events a room actor consumes. They are plain JSON: they travel through the partition
 * mailbox (BullMQ) and are replayed after a crash. Each carries an `eventId` so the room can
 * drop what it has already applied, and `at`, the UTC time it entered the mailbox (machines
 * never read a clock).
 */
import type { ChatState, Hat, LinkPreview, MessageReference, MucAffiliation, MucRole, SharedFile, Show } from '../legacy/types.ts';
import type { StoredAvatar } from '../legacy/avatar.ts';

export interface EventMeta {
  eventId: string;
  at: string;
  /**
   * Where a resumable network delivered it: its source (the network and its epoch) and position
   * (sequence number, then order within that delivery). A room drops what is not past the last
   * position it applied from that source, however many events a resumed session replays.
   */
  delivery?: Delivery;
}

/** A position in a delivery source (see `EventMeta.delivery`). */
export interface Delivery {
  source: string;
  seq: number;
  n: number;
  /**
   * The room's second, third... event from that one position (absent: the first): one stanza
   * may fill a room, then ask it something, and a replay must skip exactly what was applied.
   */
  k?: number;
}

/** A participant as the legacy side describes it. */
export interface ParticipantInit {
  nick: string;
  role?: MucRole;
  affiliation?: MucAffiliation;
  hats?: Hat[];
  /** Real identity on the network, shown as `jid` in non-anonymous rooms. */
  contactId?: string;
  /** The user's own participant (`getUserParticipant`), whatever nick the plugin still knows it by. */
  isUser?: true;
  /** The room itself (`getSystemParticipant`, nick ''): it speaks from the bare room JID. */
  isSystem?: true;
}

/** A legacy message id, and its XMPP id (the session's `legacyToXmppMsgId`) stamped by the runtime. */
export interface MessageRef { legacyId: string; xmppId?: string }

/** What the user's message replies to (XEP-0461), as the client said it. */
export interface XmppReply {
  /** The id the client knows the message by (its stanza-id in a room). */
  id: string;
  /** The author's nickname, from `<reply to='R/nick'>`. */
  nick?: string;
  /** The quote the client put before the text (XEP-0428 fallback), removed from `body`. */
  fallbackText?: string;
}

/** Old-school MUC history request on join (XEP-0045 §7.2.15). */
export interface HistoryRequest { maxchars?: number; maxstanzas?: number; seconds?: number; since?: string }

/** A user's request that a plugin hook decides (spec §1.3 hooks); its answer goes back as `reply`. */
export type HookCall =
  | { hook: 'setSubject'; subject: string }
  | { hook: 'kick'; nick: string; reason: string | null }
  | { hook: 'setAffiliation'; nick: string; affiliation: MucAffiliation; reason: string | null }
  /** XEP-0045 §8.3–8.6, §9.6–9.7: voice and moderator granted or revoked (`none` is a kick). */
  | { hook: 'setRole'; nick: string; role: Exclude<MucRole, 'none'>; reason: string | null }
  /** XEP-0045 §7.6: the user's new nickname, for plugins that implement `onNickChange` (DECISIONS). */
  | { hook: 'nickChange'; nick: string }
  | { hook: 'destroy'; reason: string | null }
  /** muc#owner: the room's name and description from the configuration form (null: not in it, spec §3.4). */
  | { hook: 'setConfig'; name: string | null; description: string | null }
  | { hook: 'leaveGroup' }
  /** vcard-temp set on the room (spec §3.6): the image (base64) and the client's type, or null data to remove it. */
  | { hook: 'setAvatar'; data: string | null; mime: string | null }
  /** XEP-0425: remove a message for everyone; `id` is its stanza-id (spec §3.3). */
  | { hook: 'moderate'; id: string; reason: string | null };

/** The user's groupchat message (spec §3.13). */
export type XmppMessageEvent = EventMeta & {
  type: 'xmpp.message'; from: string; id?: string; body: string;
  /** The client's stanza as received, so the echo keeps its payload (spec §3.13). */
  xml: string;
  replyTo?: XmppReply;
  /** XEP-0066: the URL of an attachment (spec §3.19). */
  oob?: string;
  /** What the client said of that attachment (its SFS or SIMS metadata). */
  file?: Partial<SharedFile>;
  /** Spec §3.23: the client's `<thread>`. */
  thread?: string;
  /** Spec §3.23: the previews of its links the client attached. */
  linkPreviews?: LinkPreview[];
};

/** A legacy thread (spec §3.23); `xmppId` where the session maps thread ids through message ids (stamped by the runtime). */
export interface ThreadRef { legacyId: string; xmppId?: string }

export type XmppRoomEvent =
  /**
   * `userAvatar`: the hash of the user's own avatar (spec §3.7) as the gateway knows it when the
   * join came (null: none; absent: not known yet).
   */
  | (EventMeta & { type: 'xmpp.join'; from: string; nick: string; presenceId?: string; history: HistoryRequest; userAvatar?: string | null })
  /** The user's own avatar changed (spec §3.7, read from the user's PEP): their self-presences carry the new hash. */
  | (EventMeta & { type: 'xmpp.userAvatar'; hash: string | null })
  | (EventMeta & { type: 'xmpp.leave'; from: string })
  /** An available presence to the room that is not a join (spec §2.6). */
  | (EventMeta & { type: 'xmpp.presence'; from: string; nick: string; id?: string })
  /** An error the user's server bounced for a resource that is gone (spec §2.9). */
  | (EventMeta & { type: 'xmpp.bounce'; from: string })
  /**
   * The user's server answered one of the gateway's privileged IQs that put this room in the
   * user's bookmarks (spec §3.9, `transport/xmpp/bookmarks.ts`).
   */
  | (EventMeta & { type: 'xmpp.bookmarkAnswer'; from: string; step: 'get' | 'set'; outcome: 'found' | 'missing' | 'published' | 'refused' })
  /** The user's server refused the gateway's invitation to this room (spec §3.8): the next bookmark invites again. */
  | (EventMeta & { type: 'xmpp.invitationBounced'; from: string })
  /**
   * A MAM query (XEP-0313, spec §3.2) is about to read the room's archive: the room backfills
   * first where its history is not filled yet. Joined resources are not needed.
   */
  | (EventMeta & { type: 'xmpp.archiveQuery'; from: string })
  /**
   * A request needs the room's participants (an admin list, spec §3.3): a room never filled
   * fills first, without presences.
   */
  | (EventMeta & { type: 'xmpp.fill'; from: string })
  /**
   * An iq or message that asks the plugin for something; answered on `reply`. The room makes
   * the `presence` ones itself, from a nick change (spec §2.6).
   */
  | (EventMeta & { type: 'xmpp.request'; from: string; id?: string; reply: 'iq' | 'message' | 'presence'; call: HookCall })
  | XmppMessageEvent
  /**
   * The user's messages to the room that came one after the other in a mailbox job, in order:
   * a burst is one event, one turn of the room and one call of its hook (each message still
   * goes to the network, and is answered, on its own). W3 spent a third of the room's time on
   * two transitions per message.
   */
  | { type: 'xmpp.messages'; messages: XmppMessageEvent[] }
  /** A correction (XEP-0308) of the message the client knows as `replaceId` (spec §3.14). */
  | (EventMeta & { type: 'xmpp.correction'; from: string; id?: string; replaceId: string; body: string; xml: string; thread?: string; linkPreviews?: LinkPreview[] })
  /** A retraction (XEP-0424, or an empty correction, spec §3.14–§3.15). */
  | (EventMeta & { type: 'xmpp.retraction'; from: string; id?: string; targetId: string; xml: string; thread?: string })
  /** The user's reactions to a message (XEP-0444); none left when `emojis` is empty. */
  | (EventMeta & { type: 'xmpp.reaction'; from: string; id?: string; targetId: string; emojis: string[]; xml: string; thread?: string })
  /** A XEP-0333 displayed marker (spec §3.21). */
  | (EventMeta & { type: 'xmpp.displayed'; from: string; id?: string; targetId: string; xml: string; thread?: string })
  /** A XEP-0085 chat state without a body (spec §3.20); `gone` never gets here. */
  | (EventMeta & { type: 'xmpp.chatState'; from: string; state: Exclude<ChatState, 'gone'>; thread?: string })
  /** A private message to an occupant, `type=chat` to `R/nick` (DECISIONS: beyond Slidge). */
  | (EventMeta & { type: 'xmpp.privateMessage'; from: string; id?: string; nick: string; body: string });

export type LegacyRoomEvent =
  /**
   * The plugin adds the room to the user's bookmarks (`LegacyMUC.addToBookmarks`, spec §3.9):
   * published in the user's PEP with XEP-0356 IQ privilege, or where the user's server does
   * not allow that, a XEP-0249 invitation from the gateway.
   */
  | (EventMeta & { type: 'legacy.bookmark'; autoJoin: boolean; invite: boolean })
  /**
   * The room's avatar changed (`LegacyMUC.setAvatar`, spec §3.6): the stored image with its
   * bytes, or null once removed. A changed id alone (same image) is kept without a notice.
   */
  | (EventMeta & { type: 'legacy.avatar'; avatar: StoredAvatar | null })
  /**
   * A participant's avatar changed (`LegacyParticipant.setAvatar`, spec §3.7): the stored image
   * with its bytes, or null once removed. Shown where the room shows real identities.
   */
  | (EventMeta & { type: 'legacy.participantAvatar'; participant: ParticipantInit; avatar: StoredAvatar | null })
  /** The network renamed the room or changed its description (`LegacyMUC.updateRoomInfo`, spec §3.5). */
  | (EventMeta & { type: 'legacy.info'; name?: string; description?: string })
  | (EventMeta & {
      type: 'legacy.message'; participant: ParticipantInit; body: string; legacyId?: string;
      /** The XMPP id of `legacyId` (the session's `legacyToXmppMsgId`), stamped by the runtime. */
      xmppId?: string;
      when?: string; archiveOnly?: boolean;
      /** XEP-0308: the message this one corrects (spec §1.4 `correct`). */
      replaces?: MessageRef;
      /** XEP-0461: the message this one replies to, its author and the body to quote. */
      replyTo?: MessageReference & { xmppId?: string };
      /** XEP-0066: an attachment; `body` is its URL (spec §1.4 `send_file`). */
      url?: string;
      /** What is known of that attachment, for SIMS/SFS (spec §3.19): where roomgate uploaded its bytes. */
      file?: SharedFile;
      /**
       * One of several stanzas the network's message became (its files, their captions, its
       * text: `sendFiles`), without its legacy id, which another carries: that id (spec §3.12).
       */
      siblingOf?: string;
      /** Spec §3.23: the legacy thread it belongs to. */
      thread?: ThreadRef;
      /** Spec §3.23: previews of its links. */
      linkPreviews?: LinkPreview[];
    })
  | (EventMeta & { type: 'legacy.retraction'; participant: ParticipantInit; target: MessageRef; thread?: ThreadRef })
  /** A participant's reactions to a message; an empty list removes them. */
  | (EventMeta & { type: 'legacy.reaction'; participant: ParticipantInit; target: MessageRef; emojis: string[]; thread?: ThreadRef })
  /** A message removed for everyone by a moderator (`null`: the room itself), XEP-0425. */
  | (EventMeta & { type: 'legacy.moderation'; moderator: ParticipantInit | null; target: MessageRef; reason?: string })
  | (EventMeta & { type: 'legacy.chatState'; participant: ParticipantInit; state: ChatState })
  | (EventMeta & { type: 'legacy.displayed'; participant: ParticipantInit; target: MessageRef })
  /** A participant's private message to the user (XEP-0045 §7.5). */
  | (EventMeta & { type: 'legacy.privateMessage'; participant: ParticipantInit; body: string; legacyId?: string; xmppId?: string; when?: string })
  | (EventMeta & { type: 'legacy.presence'; participant: ParticipantInit; show?: Show; status?: string })
  | (EventMeta & { type: 'legacy.participantLeft'; nick: string; kind: 'leave' | 'kick' | 'ban'; reason?: string })
  | (EventMeta & { type: 'legacy.subject'; subject: string; setter?: string | null; when?: string })
  | (EventMeta & { type: 'legacy.rename'; from: string; to: string })
  /** The user is out of this group for good (spec §2.13): kicked from XMPP when `kick`, then deleted. */
  | (EventMeta & { type: 'legacy.removed'; reason: string; kick: boolean });

/**
 * Participants' messages to the room that came one after the other in a mailbox job, in order:
 * a burst is one event and one turn of the room, as `xmpp.messages` is for the user's (W2).
 * Made by the runtime, never by a plugin.
 */
export type LegacyMessagesEvent = { type: 'legacy.messages'; messages: Extract<LegacyRoomEvent, { type: 'legacy.message' }>[] };

export type RoomInputEvent = XmppRoomEvent | LegacyRoomEvent | LegacyMessagesEvent;

/** A legacy event before the runtime stamps it with its id and time. */
export type UnstampedLegacyEvent = LegacyRoomEvent extends infer E
  ? E extends LegacyRoomEvent ? Omit<E, 'eventId' | 'at'> : never
  : never;
