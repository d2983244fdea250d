/** The type of a group: private, public, anonymous or not (spec §1.1, §4). */
export enum MucType {
  /** A private group, members-only and non-anonymous, e.g. a family group. */
  GROUP = 0,
  /** A public group, a.k.a. an anonymous channel. */
  CHANNEL = 1,
  /** A public group where participants' legacy ids are visible to everybody. */
  CHANNEL_NON_ANONYMOUS = 2,
}

/** XEP-0045 affiliation. */
export type MucAffiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';
/** XEP-0045 role. */
export type MucRole = 'moderator' | 'participant' | 'visitor' | 'none';
/** XEP-0317 hat. */
export interface Hat { uri: string; title: string }
/** XMPP presence `<show/>` values; absent means plain available. */
export type Show = 'away' | 'chat' | 'dnd' | 'xa';
/** XEP-0085 chat state: what a participant is doing in the conversation. */
export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

/** Bound of an archive gap passed to `backfill()` (spec §2.4): a legacy message id and its UTC time. */
export interface HoleBound { id: string; timestamp: Date }

/** A legacy contact, for non-anonymous groups: who a participant really is on the network. */
export interface LegacyContact {
  /** The contact's id on the legacy network. */
  legacyId: string;
  /** Display name; becomes the participant's nickname. */
  name?: string;
}

/** XEP-0461 reply target. `author` is `'user'` or a participant's nickname. */
export interface MessageReference { legacyId: string; author?: 'user' | string; body?: string }

/** A link's preview (spec §3.23, Cheogram's Open Graph in RDF): `about` the link, what the page says of itself. */
export interface LinkPreview {
  about: string;
  title?: string;
  description?: string;
  url?: string;
  image?: string;
  type?: string;
  siteName?: string;
}

/**
 * An attachment from the network (Slidge's `LegacyAttachment`, spec §3.19): its bytes (`data`,
 * or a file at `path`), or a `url` that roomgate downloads. Uploaded to the user's server
 * (XEP-0363) or written to the operator's attachment folder, then sent with its metadata.
 */
export interface LegacyAttachment {
  data?: Uint8Array;
  path?: string;
  url?: string;
  /** The file's name as the user will see it (default: the path's or URL's last part). */
  name?: string;
  /** Its MIME type (default: read from the image, or guessed from the name). */
  contentType?: string;
  /** The network's id of the file: the same file sent again is not uploaded again. */
  legacyFileId?: string;
  /** A text that goes with the file: a message of its own, after it. */
  caption?: string;
}

/** What clients are told about a shared file (XEP-0447 SFS and XEP-0385 SIMS metadata). */
export interface SharedFile {
  name: string;
  mediaType: string;
  size: number;
  /** SHA-256 of the bytes, base64. */
  sha256: string;
  /** When it was sent, ISO 8601. */
  date?: string;
  /** Images: their size in pixels and a ThumbHash (base64) to draw a placeholder from. */
  width?: number;
  height?: number;
  thumbhash?: string;
}

/** Options of `LegacyParticipant.sendText`. */
export interface SendTextOptions {
  /** When the message was sent on the legacy network (adds `<delay/>`). */
  when?: Date;
  /** Archive without delivering: the backfill path. */
  archiveOnly?: boolean;
  /** XEP-0461 reply target. */
  replyTo?: MessageReference;
  /** Spec §3.23: the legacy thread it belongs to; XMPP clients see it as `<thread>`. */
  thread?: string;
  /** Spec §3.23: previews of the links in it, shown by clients that read Cheogram's. */
  linkPreviews?: LinkPreview[];
}

/** Options of `LegacyParticipant.sendFiles`. */
export interface SendFilesOptions extends SendTextOptions {
  /** A text sent with the files, as a message of its own: after them, or before with `bodyFirst`. */
  body?: string;
  bodyFirst?: boolean;
}

/** Options of `LegacyParticipant.correct`. */
export interface CorrectOptions {
  /** The legacy id of the correction itself, when the network gives it one. */
  correctionEventId?: string;
  /** Spec §3.23: the legacy thread of the corrected message. */
  thread?: string;
  /** Spec §3.23: previews of the links in the new text. */
  linkPreviews?: LinkPreview[];
  when?: Date;
  archiveOnly?: boolean;
}

/** A field of the registration form (XEP-0077 with a XEP-0004 data form). */
export interface RegistrationField {
  /** The form field's `var`. */
  var: string;
  label: string;
  type?: 'text-single' | 'text-private' | 'boolean';
  required?: boolean;
  /** Default value, shown in the form. */
  value?: string;
}
