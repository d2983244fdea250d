import type { Logger } from 'pino';
import { BaseSession, XmppError, type LegacyMUC, type LegacyParticipant, type ParticipantOptions, type TextOptions } from '../index.ts';
import { DemoError, type DemoEvent } from './types.ts';
import type { DemoShared } from './plugin.ts';

/**
 * One user logged in to the demo network. Network events become room events here; what the
 * user does in a room goes back to the network.
 */
export class DemoSession extends BaseSession<DemoShared> {
  private connection: { disconnect(): void } | null = null;
  // The network calls listeners synchronously but turning an event into room calls awaits
  // (`byLegacyId`, `getParticipant`): one chain keeps the room events in network order.
  private handling: Promise<void> = Promise.resolve();
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
    const cursor = Number((await this.loadCursor()) ?? Number.NaN);
    const after = Number.isFinite(cursor) ? cursor : network.lastSeq();
    if (!Number.isFinite(cursor)) await this.saveCursor(String(after));
    this.connection = network.connect(this.user.jid, nick, (event, seq) => {
      this.handling = this.handling
        .then(() => this.delivering(`demo-${seq}`, () => this.apply(event), { waitQueued: false }))
        .then(() => { this.heardSeq = seq; })
        .catch((err: unknown) => this.log.error({ err, room: event.roomId, event: event.type }, 'demo event not applied'));
    }, { after });
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
      await this.saveCursor(String(seq));
      this.savedSeq = seq;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'demo cursor not saved');
    }
  }

  /** Called when the user sends a message to a room: it enters the network under the user's nickname. */
  override async onText(chat: LegacyMUC, text: string, _opts: TextOptions): Promise<string> {
    try {
      const { id } = this.shared.network.sendFromUser(chat.legacyId, this.user.jid, this.nickIn(chat), text);
      await this.shared.network.settled();
      return id;
    } catch (err) {
      throw toXmppError(err);
    }
  }

  /** Resolves once every network event heard so far has been passed to its room. */
  flushed(): Promise<void> { return this.handling; }

  private async apply(event: DemoEvent): Promise<void> {
    const muc = await this.bookmarks.byLegacyId(event.roomId);
    switch (event.type) {
      case 'message':
        (await this.participant(muc, event.from)).sendText(event.body, event.id, { when: new Date(event.timestamp) });
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
      case 'rename':
        muc.renameParticipant(event.from, event.to);
        break;
      case 'roomCreated':
        break; // byLegacyId above made the room known: that is all a new group needs
    }
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
    case 404: return new XmppError('item-not-found', 'No such group');
    case 403: return new XmppError('forbidden', err.message);
    case 409: return new XmppError('conflict', err.message);
    default: return new XmppError('bad-request', err.message);
  }
}
