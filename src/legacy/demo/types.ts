/** The demo network's plain data: its events, its room views and its one error. */
import type { ChatState, LinkPreview, MucAffiliation, MucRole, Show } from '../types.ts';
import type { RoomType } from './world.ts';

/** What happens in a room, as a connected user's listener receives it. */
export type DemoEvent =
  /** A message; with `url`, a file (`body` is the URL); with `replyTo`, a reply to that message. */
  | { type: 'message'; roomId: string; id: string; from: string; body: string; timestamp: string; url?: string; file?: DemoFile; replyTo?: string; thread?: string; linkPreviews?: LinkPreview[] }
  /** A participant edited one of their messages. */
  | { type: 'correction'; roomId: string; id: string; from: string; body: string }
  /** A participant deleted one of their messages. */
  | { type: 'retraction'; roomId: string; id: string; by: string }
  /** `from`'s reactions to a message are now `emojis` (none when empty). */
  | { type: 'reactions'; roomId: string; id: string; from: string; emojis: string[] }
  /** A moderator deleted someone's message. */
  | { type: 'moderation'; roomId: string; id: string; by: string; reason?: string }
  /** A participant's availability changed (no `show`: plain online). */
  | { type: 'presence'; roomId: string; nick: string; role: MucRole; affiliation: MucAffiliation; show?: Show; status?: string }
  | { type: 'chatState'; roomId: string; nick: string; state: ChatState }
  /** `nick` has seen message `id`. */
  | { type: 'displayed'; roomId: string; nick: string; id: string }
  /** A private message through the room, to a user (`to`: a bare JID) or a participant (a nick). */
  | { type: 'privateMessage'; roomId: string; id: string; from: string; to: string; body: string }
  /** A participant appeared, or an existing one got a new role or affiliation. */
  | { type: 'participantJoined'; roomId: string; nick: string; role: MucRole; affiliation: MucAffiliation }
  | { type: 'participantLeft'; roomId: string; nick: string; kind: 'leave' | 'kick' | 'ban'; reason?: string }
  | { type: 'subject'; roomId: string; subject: string; by?: string; date: string }
  /** A participant's avatar changed: the image (base64), or none. */
  | { type: 'participantAvatar'; roomId: string; nick: string; avatar: string | null }
  /** The room's avatar changed: the image (base64) and its id on the network, or none. */
  | { type: 'avatar'; roomId: string; avatar: DemoAvatar | null }
  /** The room's name or description changed (both as they are now). */
  | { type: 'info'; roomId: string; name: string; description: string }
  | { type: 'rename'; roomId: string; from: string; to: string }
  /** A room the user is a member of was created. */
  | { type: 'roomCreated'; roomId: string; name: string }
  /** The room is gone; `members` as they were (null: everyone), since the room no longer says. */
  | { type: 'roomDestroyed'; roomId: string; by?: string; reason?: string; members: string[] | null }
  /** The user left the group from "the official client": told to that user only. */
  | { type: 'userLeft'; roomId: string; jid: string };

/** Hears the network's events; `seq` numbers them network-wide, for resuming (`connect`'s `after`). */
export type DemoListener = (event: DemoEvent, seq: number) => void;

/** One delivered event as the network's journal keeps it (a replica applies these in order). */
export interface DemoJournalEntry {
  seq: number;
  event: DemoEvent;
  /** The user who caused it (their own message): not told of it. */
  exceptJid?: string;
  /** For `roomCreated`: the room as created, so a replica can create it too. */
  room?: unknown;
}
export interface DemoParticipant { nick: string; role: MucRole; affiliation: MucAffiliation; /** An image in base64. */ avatar?: string }
/** A file sent as its bytes, which the gateway uploads (spec §3.19). */
export interface DemoFile { name: string; contentType?: string; /** base64 */ data: string }
export interface DemoMessage {
  id: string; from: string; body: string; timestamp: string;
  /** A file: `body` is its URL too. */
  url?: string;
  /** A file as bytes; `body`, when not empty, is a text sent after it. */
  file?: DemoFile;
  /** The id of the message this one replies to. */
  replyTo?: string;
  /** The thread it belongs to (spec §3.23). */
  thread?: string;
  /** Previews of its links (spec §3.23). */
  linkPreviews?: LinkPreview[];
}
/** A private message through a room; `jid`: an XMPP user sent it through the gateway. */
export interface DemoPrivateMessage { id: string; from: string; to: string; body: string; timestamp: string; jid?: string }
/** A message an XMPP user sent into the network through the gateway. */
export interface DemoSentMessage extends DemoMessage { jid: string }

/** A room's avatar on the demo network: its id there, and the image's bytes in base64. */
export interface DemoAvatar { id: string; data: string }

/** A room without its messages: what a room needs to describe itself. */
export interface DemoRoomInfo {
  id: string;
  name: string;
  type: RoomType;
  description: string;
  subject: string;
  subjectSetter: string | null;
  subjectDate: string | null;
  /** Bare JIDs of the members; `null` when every registered user is one. */
  members: string[] | null;
  participants: DemoParticipant[];
  avatar: DemoAvatar | null;
}

/** What `GET /demo/rooms/{id}` returns. */
export interface DemoRoomView extends DemoRoomInfo {
  /** Every message, oldest first, those of XMPP users included. */
  messages: DemoMessage[];
  /** The messages XMPP users sent, oldest first. */
  sent: DemoSentMessage[];
  /** The XMPP users connected now who are members. */
  online: { jid: string; nick: string }[];
  /** Reactions by message id, then by nick. */
  reactions: Record<string, Record<string, string[]>>;
  /** Private messages through the room, oldest first. */
  privateMessages: DemoPrivateMessage[];
  /** By nick: the last chat state, the last message seen, the presence (show, status). */
  chatStates: Record<string, ChatState>;
  displayed: Record<string, string>;
  presences: Record<string, { show?: Show; status?: string }>;
}

/** A refused call, with the HTTP status the demo API answers it with. */
export class DemoError extends Error {
  readonly status: 400 | 403 | 404 | 409;
  constructor(status: 400 | 403 | 404 | 409, message: string) {
    super(message);
    this.name = 'DemoError';
    this.status = status;
  }
}
