import type { LegacyMUC } from './muc.ts';
import type {
  ChatState, CorrectOptions, Hat, LegacyAttachment, LegacyContact, LinkPreview, MucAffiliation, MucRole, SendFilesOptions, SendTextOptions, Show,
} from './types.ts';
import type { SharedAttachment } from './session.ts';
import type { ParticipantInit } from '../machines/events.ts';
import { loadAvatar, type AvatarSource } from './avatar.ts';

/** Constructor options of a participant (Slidge's keyword arguments). */
export interface ParticipantOptions {
  isUser?: boolean;
  isSystem?: boolean;
  role?: MucRole;
  affiliation?: MucAffiliation;
  hats?: Hat[];
  contact?: LegacyContact;
}

/** What a message carries besides its text (spec §3.23): its legacy thread, its links' previews. */
function threadAndPreviews(opts: { thread?: string; linkPreviews?: LinkPreview[] }): { thread?: { legacyId: string }; linkPreviews?: LinkPreview[] } {
  return {
    ...(opts.thread !== undefined ? { thread: { legacyId: String(opts.thread) } } : {}),
    ...(opts.linkPreviews?.length ? { linkPreviews: opts.linkPreviews.map((p) => ({ ...p })) } : {}),
  };
}

/** What the user sees where a file of the network could not be shared (Slidge's text). */
export const FILE_FAILED = 'I tried to send a file, but something went wrong. Tell your roomgate admin to check the logs.';

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
      ...(this.isUser ? { isUser: true as const } : {}),
      ...(this.isSystem ? { isSystem: true as const } : {}),
    };
  }

  /**
   * Sets this participant's avatar (spec §3.7), from its bytes or a URL to download; null
   * removes it. Stored as a PNG of at most 200 px; occupant presences carry its hash, and
   * `vCard` requests to the occupant get it, in rooms that show real identities (not CHANNEL).
   * Before `fillParticipants()` yields the participant, or when the network reports a change;
   * the room ignores an image it already has.
   */
  async setAvatar(image: AvatarSource | null, opts: { legacyId?: string | number } = {}): Promise<void> {
    const avatar = image === null ? null : await loadAvatar(image, opts.legacyId);
    this.muc.emit({ type: 'legacy.participantAvatar', participant: this.toInit(), avatar });
  }

  /**
   * Call when this participant sent a message on the legacy network.
   * @example participant.sendText('hello', 'msg-42', { when: new Date(ts) })
   */
  sendText(body: string, legacyMsgId?: string, opts: SendTextOptions = {}): void {
    this.emitMessage(body, legacyMsgId, opts);
  }

  /**
   * A text, or a file's URL with what is known of the file; `siblingOf`: one of several stanzas
   * of a message, another of which carries that legacy id (spec §3.12).
   */
  private emitMessage(body: string, legacyMsgId: string | undefined, opts: SendTextOptions, more: { file?: SharedAttachment; siblingOf?: string } = {}): void {
    const { file, siblingOf } = more;
    this.muc.emit({
      type: 'legacy.message',
      participant: this.toInit(),
      body,
      ...(file ? { url: file.url, ...(file.file ? { file: file.file } : {}) } : {}),
      ...(legacyMsgId !== undefined ? { legacyId: String(legacyMsgId) } : {}),
      ...(siblingOf !== undefined ? { siblingOf } : {}),
      ...(opts.when ? { when: opts.when.toISOString() } : {}),
      ...(opts.archiveOnly ? { archiveOnly: true } : {}),
      ...(opts.replyTo ? { replyTo: { ...opts.replyTo, legacyId: String(opts.replyTo.legacyId) } } : {}),
      ...threadAndPreviews(opts),
    });
  }

  /**
   * Call when this participant sent a file. A URL string is sent as it is: it becomes the body
   * and a XEP-0066 link. An attachment (`{ data }`, `{ path }` or `{ url }`) is uploaded first
   * and sent with its metadata, as `sendFiles` does; await it to keep the order of what follows.
   * @example participant.sendFile('https://files.example/cat.jpg', 'msg-43')
   * @example await participant.sendFile({ data: bytes, name: 'cat.jpg' }, 'msg-43')
   */
  sendFile(file: string | LegacyAttachment, legacyMsgId?: string, opts: SendTextOptions = {}): Promise<void> {
    if (typeof file !== 'string') return this.sendFiles([file], legacyMsgId, opts);
    this.emitMessage(file, legacyMsgId, opts, { file: { url: file } });
    return Promise.resolve();
  }

  /**
   * Call when this participant sent files, with or without a text (Slidge's `send_files`, spec
   * §3.19). Each file is uploaded (XEP-0363 or the attachment folder, see the README) and sent
   * as a message of its own: its URL as body and XEP-0066 link, with SIMS and SFS metadata (size,
   * SHA-256, and for images their size and a ThumbHash). A caption follows its file; `body`
   * follows the files (precedes them with `bodyFirst`). The legacy id goes on the last message
   * (the body's, else the last file's or its caption's). A file that cannot be shared is a
   * message saying so, and a log line. Await it: uploads take time, and what the participant
   * sends next must come after.
   * @example await participant.sendFiles([{ data: photo, name: 'summit.jpg' }], 'msg-44', { body: 'look!' })
   */
  async sendFiles(attachments: LegacyAttachment[], legacyMsgId?: string, opts: SendFilesOptions = {}): Promise<void> {
    const { body, bodyFirst, ...textOpts } = opts;
    if (!attachments.length && !body) return;
    // one stanza carries the legacy id, as Slidge (several would be one message twice in MAM);
    // the others are its siblings, which a retraction, correction or moderation of it reaches
    const sibling = legacyMsgId === undefined ? undefined : String(legacyMsgId);
    const sendBody = () => { if (body) this.sendText(body, legacyMsgId, textOpts); };
    if (bodyFirst) sendBody();
    const date = (opts.when ?? new Date()).toISOString();
    // uploaded side by side, sent in order
    const shared = await Promise.all(attachments.map((a) => this.muc.session.shareAttachment(a, date)));
    // each file, then its caption; a file that could not be shared is the text saying so
    const parts = shared.flatMap((file, i): ({ file: SharedAttachment } | { text: string })[] => {
      const caption = attachments[i]!.caption;
      if (!file) return [{ text: FILE_FAILED }];
      return caption ? [{ file }, { text: caption }] : [{ file }];
    });
    parts.forEach((part, i) => {
      const carrier = !body && i === parts.length - 1; // else the body carries the id
      const id = carrier ? legacyMsgId : undefined;
      const siblingOf = carrier ? undefined : sibling;
      if ('file' in part) this.emitMessage(part.file.url, id, textOpts, { file: part.file, siblingOf });
      else this.emitMessage(part.text, id, textOpts, { siblingOf });
    });
    if (!bodyFirst) sendBody();
  }

  /**
   * Call when this participant edited one of their messages (XEP-0308). The user's clients
   * replace the message they know, the user's own included.
   * @example participant.correct('msg-42', 'hello, world')
   */
  correct(legacyMsgId: string, newText: string, opts: CorrectOptions = {}): void {
    this.muc.emit({
      type: 'legacy.message', participant: this.toInit(), body: newText, replaces: { legacyId: String(legacyMsgId) },
      ...(opts.correctionEventId !== undefined ? { legacyId: String(opts.correctionEventId) } : {}),
      ...(opts.when ? { when: opts.when.toISOString() } : {}),
      ...(opts.archiveOnly ? { archiveOnly: true } : {}),
      ...threadAndPreviews(opts),
    });
  }

  /** Call when this participant deleted one of their messages for everyone (XEP-0424). */
  retract(legacyMsgId: string, opts: { thread?: string } = {}): void {
    this.muc.emit({
      type: 'legacy.retraction', participant: this.toInit(), target: { legacyId: String(legacyMsgId) },
      ...threadAndPreviews(opts),
    });
  }

  /**
   * Call when this participant's reactions to a message changed: `emojis` is all of them
   * (XEP-0444), an empty list none.
   * @example participant.react('msg-42', ['👍'])
   */
  react(legacyMsgId: string, emojis: string[], opts: { thread?: string } = {}): void {
    this.muc.emit({
      type: 'legacy.reaction', participant: this.toInit(), target: { legacyId: String(legacyMsgId) }, emojis: [...emojis],
      ...threadAndPreviews(opts),
    });
  }

  /**
   * Call when this participant, a moderator, deleted someone's message for everyone (XEP-0425).
   * Also what a plugin calls once the network accepted the user's `onModerate`.
   */
  moderate(legacyMsgId: string, reason?: string): void {
    this.muc.emit({
      type: 'legacy.moderation', moderator: this.isSystem ? null : this.toInit(), target: { legacyId: String(legacyMsgId) },
      ...(reason ? { reason } : {}),
    });
  }

  /** Call when this participant has seen a message (XEP-0333 displayed marker). */
  displayed(legacyMsgId: string): void {
    this.muc.emit({ type: 'legacy.displayed', participant: this.toInit(), target: { legacyId: String(legacyMsgId) } });
  }

  /** Call when this participant's XEP-0085 chat state changed; repeats are dropped, except composing. */
  active(): void { this.chatState('active'); }
  composing(): void { this.chatState('composing'); }
  paused(): void { this.chatState('paused'); }
  inactive(): void { this.chatState('inactive'); }
  gone(): void { this.chatState('gone'); }

  /** Call when this participant sent the user a private message through the room. */
  sendPrivateText(body: string, legacyMsgId?: string, opts: { when?: Date } = {}): void {
    this.muc.sendPrivateText(this, body, legacyMsgId, opts);
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
      type: 'legacy.subject', subject, setter: this.isSystem ? null : this.nickname,
      ...(when ? { when: when.toISOString() } : {}),
    });
  }

  private chatState(state: ChatState): void {
    this.muc.emit({ type: 'legacy.chatState', participant: this.toInit(), state });
  }

  private presence(show?: Show, status?: string): void {
    this.muc.emit({
      type: 'legacy.presence', participant: this.toInit(),
      ...(show ? { show } : {}), ...(status ? { status } : {}),
    });
  }
}
