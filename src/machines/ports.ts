/**
 * The narrow port through which machines act on the world. Intents are plain data: the
 * transport turns them into stanzas, the runtime into Redis writes. Nothing here knows XML.
 */
import type { ChatState, Hat, LinkPreview, MucAffiliation, MucRole, SharedFile, Show } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { HistoryRequest, ParticipantInit } from './events.ts';
import type { RoomInfo } from '../legacy/muc.ts';
import type { StoredAvatar } from '../legacy/avatar.ts';

/** The `<item/>` of a muc#user payload. */
export interface OccupantItem {
  affiliation: MucAffiliation;
  role: MucRole;
  jid?: string;
  nick?: string;
  reason?: string;
}

/** A presence from the room (`nick` null: the bare room JID) to one full JID. */
export interface PresenceIntent {
  to: string;
  room: string;
  nick: string | null;
  type?: 'unavailable' | 'error';
  id?: string;
  item?: OccupantItem;
  codes?: number[];
  occupantId?: string;
  show?: Show;
  status?: string;
  hats?: Hat[];
  error?: StanzaError;
  /** XEP-0045 §10.9: the room is destroyed. */
  destroy?: { reason?: string };
  /** XEP-0153: the avatar's SHA-1 in `vcard-temp:x:update` (empty: no avatar). */
  photo?: string;
}

/** An iq answer from the room (or an occupant JID) to one full JID. */
export interface IqIntent {
  to: string;
  from: string;
  id?: string;
  type: 'result' | 'error';
  error?: StanzaError;
}

/**
 * A message from the room or an occupant, fanned out to each of `to`. Ids of other messages
 * (`replace`, `retract`, `reactions.id` ...) are XMPP ids, as the user's clients know them.
 */
export interface MessageIntent {
  to: string[];
  room: string;
  nick: string | null;
  /** `chat`: a private message from an occupant, or a notice from the gateway (`room` its JID). */
  type: 'groupchat' | 'normal' | 'error' | 'chat';
  id?: string;
  body?: string;
  subject?: string;
  stanzaId?: string;
  occupantId?: string;
  /** XEP-0203 delay: when the message was really sent. */
  delay?: { stamp: string; from?: string };
  error?: StanzaError;
  /** XEP-0461 reply to `id` by `nick`; the body starts with a quote of `quoteLength` code points. */
  reply?: { id: string; nick?: string; quoteLength?: number };
  /** XEP-0308: this message corrects `replace`. */
  replace?: string;
  /** XEP-0424: this message retracts `retract` (its body is the fallback). */
  retract?: string;
  /** XEP-0425: `id` was removed by `by` (an occupant's nick; null: the room). */
  moderated?: { id: string; by: string | null; reason?: string };
  /** XEP-0444: the sender's reactions to `id`. */
  reactions?: { id: string; emojis: string[] };
  /** XEP-0066: the URL of an attachment. */
  oob?: string;
  /** XEP-0385/XEP-0447: what is known of the attachment at `oob` (spec §3.19). */
  file?: SharedFile;
  /** Spec §3.23: the thread it belongs to (`<thread>`). */
  thread?: string;
  /** Spec §3.23: previews of its links (Cheogram's RDF `Description`s). */
  linkPreviews?: LinkPreview[];
  /** XEP-0333: the sender has seen `id`. */
  displayed?: string;
  markable?: boolean;
  chatState?: ChatState;
  /** XEP-0334 storage hint. */
  hint?: 'store' | 'no-store';
  /** XEP-0045 §7.5: a private message from an occupant carries an empty muc#user `<x/>`. */
  private?: boolean;
  /** XEP-0045 status codes in a muc#user `<x/>` (104: the room's configuration changed, §10.2.1). */
  codes?: number[];
  /** XEP-0249 direct invitation to the room `jid` (spec §3.8), from the gateway. */
  invite?: { jid: string; reason?: string };
}

/** The reflection of a user's own groupchat message (spec §3.13), keeping the client's payload. */
export interface EchoIntent {
  to: string[];
  room: string;
  nick: string;
  xml: string;
  stanzaId: string;
  occupantId: string;
}

/** One message to keep in the room's archive, as it was (or would have been) delivered. */
export interface ArchiveIntent {
  user: string;
  /** The room's legacy id (where the archive lives) and JID. */
  roomId: string;
  room: string;
  stanzaId: string;
  legacyId?: string;
  at: string;
  source: 'live' | 'backfill';
  message: Omit<MessageIntent, 'to'> | Omit<EchoIntent, 'to'>;
}

/** An archived stanza re-addressed to one full JID, delayed to when it was sent. */
export interface ReplayIntent { to: string; room: string; xml: string; stamp: string }

/**
 * A privileged IQ (XEP-0356) for the room's bookmark in the user's PEP (spec §3.9): `get` asks
 * whether the user has one, `set` publishes it.
 */
export interface BookmarkIntent { gateway: string; user: string; room: string; step: 'get' | 'set'; nick: string; autoJoin: boolean }

/** How far the user read the room, by stanza-id, for their PEP (XEP-0490, spec §3.21). */
export interface DisplayedIntent { gateway: string; user: string; room: string; stanzaId: string }


/** What a machine sends out. Implementations must not throw. */
export interface RoomPort {
  presence(p: PresenceIntent): void;
  message(m: MessageIntent): void;
  echo(e: EchoIntent): void;
  archive(a: ArchiveIntent): void;
  /** An archived message sent again as history on join, with its original time (§2.4). */
  replay(r: ReplayIntent): void;
  iq(i: IqIntent): void;
  /** A step of putting the room in the user's bookmarks (spec §3.9). */
  bookmark(b: BookmarkIntent): void;
  /** The user read the room up to a message elsewhere: their displayed mark, published in their PEP (spec §3.21). */
  displayedMark(d: DisplayedIntent): void;
  /**
   * An image the room shows now, the room's or a participant's (spec §3.6, §3.7), with its
   * bytes: the commit keeps them where no room of the partition has them yet. Which images a
   * room uses is read from its state at each commit, so removals need no intent.
   */
  avatarBytes(a: StoredAvatar): void;
  /** Something worth a log line (a hook that failed, an event that makes no sense). */
  warn(msg: string, data?: Record<string, unknown>): void;
}

/** Identity of a room, as the hooks need it. */
export interface RoomRef { user: string; legacyId: string; jid: string }

/** What `fill` returns: `updateInfo()` then `fillParticipants()`. */
export interface FillOutput {
  info: RoomInfo;
  participants: ParticipantInit[];
  /** The user's own participant as the plugin yielded it (role, affiliation). */
  user: ParticipantInit | null;
  /** The avatar `updateInfo()` set (`info.avatar`), with its bytes to store. */
  avatar?: StoredAvatar;
  /** The participants' avatars set while filling, by nick, with their bytes to store. */
  participantAvatars?: Record<string, StoredAvatar>;
}

/** A message of the archive, ready to replay as history (spec §2.4). */
export interface ArchivedMessage {
  stanzaId: string;
  legacyId?: string;
  at: string;
  source: 'live' | 'backfill';
  /** The stanza as archived, without `to`. */
  xml: string;
}

/** Input of the `callHook` actor. */
export interface HookInput { room: RoomRef; call: import('./events.ts').HookCall; participant: import('./events.ts').ParticipantInit | null }

/** Input of the `history` actor. */
export interface HistoryInput { room: RoomRef; request: HistoryRequest; now: string }
