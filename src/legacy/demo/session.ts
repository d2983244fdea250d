import type { Logger } from 'pino';
import {
  BaseSession, InOrder, XmppError, type LegacyMUC, type LegacyParticipant, type MessageReference, type ParticipantOptions, type TextOptions,
} from '../index.ts';
import type { ChatState, LegacyAttachment, LinkPreview, SendTextOptions } from '../types.ts';
import { DemoError, type DemoEvent, type DemoFile } from './types.ts';
import type { DemoShared } from './plugin.ts';

/** How long a burst of network events is handled before the gateway's I/O gets a turn. */
const HANDLING_TURN_MS = 2;

/**
 * A demo message's file, uploaded and sent as a participant's (spec §3.19), its text after it;
 * the message's id names the file, so it is uploaded once.
 */
export function sendDemoFile(from: LegacyParticipant, roomId: string, m: { id: string; body: string }, file: DemoFile, opts: SendTextOptions): Promise<void> {
  const attachment: LegacyAttachment = {
    data: Buffer.from(file.data, 'base64'), name: file.name, legacyFileId: `demo/${roomId}/${m.id}`,
    ...(file.contentType ? { contentType: file.contentType } : {}),
  };
  return from.sendFiles([attachment], m.id, { ...opts, ...(m.body ? { body: m.body } : {}) });
}

/**
 * One user logged in to the demo network. Network events become room events here; what the
 * user does in a room goes back to the network.
 */
export class DemoSession extends BaseSession<DemoShared> {
  private connection: { disconnect(): void } | null = null;
  // The network calls listeners synchronously but turning an event into room calls awaits
  // (`byLegacyId`, `getParticipant`): one chain keeps the room events in network order.
  // A burst of network events (W2: 10,000 posted at once) would otherwise be one run of
  // microtasks: no mailbox write, no job and no socket until all of them are room events.
  private readonly heard = new InOrder<{ event: DemoEvent; seq: number }>(async ({ event, seq }) => {
    await this.delivering(`${this.source}-${seq}`, () => this.apply(event), { waitQueued: false, position: { source: this.source, seq } });
    this.heardSeq = seq;
  }, (err, { event }) => this.log.error({ err, room: event.roomId, event: event.type }, 'demo event not applied'), { turnMs: HANDLING_TURN_MS });
  private source = '';
  private heardSeq = 0;
  private savedSeq = 0;
  private checkpoints: NodeJS.Timeout | null = null;
  private readonly log: Logger = this.shared.log.child({ module: 'demo', user: this.user.jid });

  /**
   * Called at start-up, after registration, and on the worker a user's partition moved to:
   * connects with the user's nickname and resumes after the last event it applied (the cursor
   * in Redis), so nothing said while the session was away or moving is lost. Each network
   * event becomes room events with ids derived from its number: heard twice, applied once.
   */
  override async login(): Promise<string> {
    this.connection?.disconnect();
    const nick = this.bookmarks.userNick;
    const { network } = this.shared;
    // a cursor is "<epoch>@<seq>": event numbers of another run of the network mean nothing here
    const [epoch, seqText] = ((await this.loadCursor()) ?? '').split('@');
    const resume = epoch === network.epoch && Number.isFinite(Number(seqText));
    const after = resume ? Number(seqText) : network.lastSeq();
    this.heardSeq = this.savedSeq = after;
    if (!resume) await this.saveCursor(`${network.epoch}@${after}`);
    this.source = `demo-${network.epoch}`;
    this.connection = network.connect(this.user.jid, nick, (event, seq) => this.heard.push({ event, seq }), { after });
    this.checkpoints ??= setInterval(() => void this.checkpoint(), CHECKPOINT_EVERY_MS);
    this.checkpoints.unref?.();
    return `Connected to the demo network as ${nick}`;
  }

  /** Called on unregistration and shutdown: stops listening, after applying what was heard. */
  override async logout(): Promise<void> {
    this.connection?.disconnect();
    this.connection = null;
    if (this.checkpoints) clearInterval(this.checkpoints);
    this.checkpoints = null;
    await this.flushed();
    await this.checkpoint();
  }

  /** Saves the resume point once what was heard up to it is durably queued. */
  private async checkpoint(): Promise<void> {
    const seq = this.heardSeq;
    if (seq <= this.savedSeq) return;
    try {
      await this.queuedEvents();
      await this.saveCursor(`${this.shared.network.epoch}@${seq}`);
      this.savedSeq = seq;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'demo cursor not saved');
    }
  }

  /** Called when the user sends a message to a room: it enters the network under the user's nickname. */
  override async onText(chat: LegacyMUC, text: string, opts: TextOptions): Promise<string> {
    // the client's message id makes a resend (a job replayed after a crash) the same message
    const id = opts.xmppId ? `x-${this.user.jid}-${opts.xmppId}` : undefined;
    try {
      const sent = this.shared.network.sendFromUser(chat.legacyId, this.user.jid, this.nickIn(chat), text, id, this.replyOf(chat, opts));
      await this.shared.network.settled();
      return sent.id;
    } catch (err) {
      if (id && err instanceof DemoError && err.status === 409) return id; // already on the network
      throw toXmppError(err);
    }
  }

  /** Called when the user sends a file: the network gets its URL. */
  override async onFile(chat: LegacyMUC, url: string, opts: TextOptions): Promise<string> {
    const id = opts.xmppId ? `x-${this.user.jid}-${opts.xmppId}` : undefined;
    try {
      const sent = this.shared.network.sendFromUser(chat.legacyId, this.user.jid, this.nickIn(chat), url, id, { url, ...this.replyOf(chat, opts) });
      await this.shared.network.settled();
      return sent.id;
    } catch (err) {
      if (id && err instanceof DemoError && err.status === 409) return id;
      throw toXmppError(err);
    }
  }

  /** Called when the user edits a message; the network keeps its id, so there is no new one. */
  override async onCorrect(chat: LegacyMUC, text: string, legacyMsgId: string): Promise<null> {
    await this.write(() => this.shared.network.correct(chat.legacyId, { id: legacyMsgId, from: this.nickIn(chat), body: text, jid: this.user.jid }));
    return null;
  }

  override async onRetract(chat: LegacyMUC, legacyMsgId: string): Promise<void> {
    await this.write(() => this.shared.network.retract(chat.legacyId, legacyMsgId, this.nickIn(chat), this.user.jid));
  }

  override async onReact(chat: LegacyMUC, legacyMsgId: string, emojis: string[]): Promise<void> {
    await this.write(() => this.shared.network.react(chat.legacyId, legacyMsgId, this.nickIn(chat), emojis, this.user.jid));
  }

  /** Called when the user moderates a message: the network checks the user is a moderator, and tells everyone. */
  override async onModerate(chat: LegacyMUC, legacyMsgId: string, reason: string | null): Promise<void> {
    await this.write(() => this.shared.network.moderate(chat.legacyId, legacyMsgId, this.nickIn(chat), reason ?? undefined));
  }

  override async onDisplayed(chat: LegacyMUC, legacyMsgId: string): Promise<void> {
    await this.write(() => this.shared.network.displayed(chat.legacyId, this.nickIn(chat), legacyMsgId, this.user.jid));
  }

  override async onComposing(chat: LegacyMUC): Promise<void> { await this.chatState(chat, 'composing'); }
  override async onPaused(chat: LegacyMUC): Promise<void> { await this.chatState(chat, 'paused'); }
  override async onActive(chat: LegacyMUC): Promise<void> { await this.chatState(chat, 'active'); }
  override async onInactive(chat: LegacyMUC): Promise<void> { await this.chatState(chat, 'inactive'); }

  /** Called when the user writes privately to a participant; only that participant hears it. */
  override async onPrivateText(chat: LegacyMUC, nickname: string, text: string, opts: TextOptions): Promise<string> {
    const id = opts.xmppId ? `x-${this.user.jid}-${opts.xmppId}` : undefined;
    try {
      const sent = this.shared.network.sendPrivate(chat.legacyId, { from: this.nickIn(chat), to: nickname, body: text, jid: this.user.jid, ...(id ? { id } : {}) });
      await this.shared.network.settled();
      return sent.id;
    } catch (err) {
      if (id && err instanceof DemoError && err.status === 409) return id; // already on the network
      throw toXmppError(err);
    }
  }

  private chatState(chat: LegacyMUC, state: ChatState): Promise<void> {
    return this.write(() => this.shared.network.chatState(chat.legacyId, this.nickIn(chat), state, this.user.jid));
  }

  /** One write to the network, accepted once `settled`; refusals become XMPP errors. */
  private async write(change: () => void): Promise<void> {
    try {
      change();
      await this.shared.network.settled();
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /** The network's reply target of a message: only a message it knows. */
  /** What a message from XMPP says beyond its text: the message it replies to (if the network has it), its thread. */
  private replyOf(chat: LegacyMUC, opts: TextOptions): { replyTo?: string; thread?: string; linkPreviews?: LinkPreview[] } {
    const target = opts.replyTo?.legacyId;
    const more = { ...(opts.thread ? { thread: opts.thread } : {}), ...(opts.linkPreviews ? { linkPreviews: opts.linkPreviews } : {}) };
    return target !== undefined && this.shared.network.messages(chat.legacyId).some((m) => m.id === target) ? { replyTo: target, ...more } : more;
  }

  /** Called when the user leaves a group for good from XMPP: the network forgets the membership. */
  override async onLeaveGroup(legacyId: string): Promise<void> {
    try {
      this.shared.network.leave(legacyId, this.user.jid);
      await this.shared.network.settled();
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /**
   * Called by the `create-group` command: a new members-only group on the network with the user
   * in it, its id made from its name (lower case; a number added where it is taken).
   */
  override async onCreateGroup(name: string): Promise<string> {
    const { network } = this.shared;
    const base = name.trim().toLowerCase();
    let id = base;
    for (let n = 2; network.hasRoom(id); n++) id = `${base}-${n}`;
    try {
      // a replica's worker: the room is there once the network's journal brought it back
      await network.createRoomAndWait({ id, name: name.trim(), type: 'group', members: [this.user.jid], participants: [] });
    } catch (err) {
      throw toXmppError(err);
    }
    return id;
  }

  /** Resolves once every network event heard so far has been passed to its room. */
  flushed(): Promise<void> { return this.heard.idle(); }

  private async apply(event: DemoEvent): Promise<void> {
    const muc = await this.bookmarks.byLegacyId(event.roomId);
    switch (event.type) {
      case 'message': {
        const from = await this.participant(muc, event.from);
        const opts = {
          when: new Date(event.timestamp), ...(event.replyTo ? { replyTo: this.reference(muc, event.replyTo) } : {}),
          ...(event.thread ? { thread: event.thread } : {}), ...(event.linkPreviews ? { linkPreviews: event.linkPreviews } : {}),
        };
        if (event.file) await sendDemoFile(from, event.roomId, event, event.file, opts);
        else if (event.url) await from.sendFile(event.url, event.id, opts);
        else from.sendText(event.body, event.id, opts);
        break;
      }
      case 'correction':
        (await this.participant(muc, event.from)).correct(event.id, event.body);
        break;
      case 'retraction':
        (await this.participant(muc, event.by)).retract(event.id);
        break;
      case 'reactions':
        (await this.participant(muc, event.from)).react(event.id, event.emojis);
        break;
      case 'moderation':
        (await this.participant(muc, event.by)).moderate(event.id, event.reason);
        break;
      case 'presence': {
        const p = await this.participant(muc, event.nick, { role: event.role, affiliation: event.affiliation });
        if (event.show === 'away') p.away(event.status);
        else if (event.show === 'xa') p.extendedAway(event.status);
        else if (event.show === 'dnd') p.busy(event.status);
        else p.online(event.status);
        break;
      }
      case 'chatState':
        (await this.participant(muc, event.nick))[event.state]();
        break;
      case 'displayed':
        (await this.participant(muc, event.nick)).displayed(event.id);
        break;
      case 'privateMessage':
        (await this.participant(muc, event.from)).sendPrivateText(event.body, event.id);
        break;
      case 'participantJoined':
        (await this.participant(muc, event.nick, { role: event.role, affiliation: event.affiliation })).online();
        break;
      case 'participantLeft':
        (await this.participant(muc, event.nick))[event.kind](event.reason);
        break;
      case 'subject':
        muc.setSubject(event.subject, { setter: event.by ?? null, when: new Date(event.date) });
        break;
      case 'info':
        muc.updateRoomInfo({ name: event.name, description: event.description });
        break;
      case 'participantAvatar': {
        const p = await this.participant(muc, event.nick);
        await p.setAvatar(event.avatar && Buffer.from(event.avatar, 'base64'));
        break;
      }
      case 'avatar':
        await muc.setAvatar(event.avatar && Buffer.from(event.avatar.data, 'base64'), event.avatar ? { legacyId: event.avatar.id } : {});
        break;
      case 'rename':
        muc.renameParticipant(event.from, event.to);
        break;
      case 'roomCreated':
        // byLegacyId above made the room known; with `inviteOnLogin` it joins the user's bookmarks too
        if (this.shared.inviteOnLogin) await muc.addToBookmarks();
        break;
      case 'roomDestroyed':
        await this.bookmarks.remove(muc, event.reason ? `The room was destroyed: ${event.reason}` : 'The room was destroyed');
        break;
      case 'userLeft':
        await this.bookmarks.remove(muc); // "You left this group from the official client."
        break;
    }
  }

  /** A message as a reply target: its author (`user` for the user's own) and body to quote. */
  private reference(muc: LegacyMUC, legacyId: string): MessageReference {
    const target = this.shared.network.messages(muc.legacyId).find((m) => m.id === legacyId);
    if (!target) return { legacyId };
    return { legacyId, author: target.from === this.nickIn(muc) ? 'user' : target.from, body: target.body };
  }

  /** The user's own nickname is the user participant: its messages from elsewhere are the user's. */
  private participant(muc: LegacyMUC, nick: string, opts: ParticipantOptions = {}): Promise<LegacyParticipant> {
    return nick === this.nickIn(muc) ? muc.getUserParticipant(opts) : muc.getParticipant(nick, opts);
  }

  private nickIn(muc: LegacyMUC): string { return muc.userNick ?? this.bookmarks.userNick; }
}

/** How often a session saves how far it got on the network. */
const CHECKPOINT_EVERY_MS = 200;

/** The XMPP error a refusal of the network becomes. */
export function toXmppError(err: unknown): unknown {
  if (!(err instanceof DemoError)) return err;
  switch (err.status) {
    case 404: return new XmppError('item-not-found', err.message.startsWith('no room') ? 'No such group' : err.message);
    case 403: return new XmppError('forbidden', err.message);
    case 409: return new XmppError('conflict', err.message);
    default: return new XmppError('bad-request', err.message);
  }
}
