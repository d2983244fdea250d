/**
 * One user's IRC session: one IRC connection, the state of the channels it is in, and the
 * mapping of what happens there to room calls (and back). IRC events are applied one at a
 * time, in the order the server sent them (`enqueue`), because turning one into room calls
 * awaits (`byLegacyId`, `getParticipant`).
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMessage } from 'irc-framework';
import type { Logger } from 'pino';
import {
  BaseSession, InOrder, XmppError, type HoleBound, type LegacyMUC, type LegacyParticipant, type MucRole, type TextOptions,
} from '../index.ts';
import type { IrcBookmarks } from './bookmarks.ts';
import { IrcLink, type IrcServer } from './connection.ts';
import {
  DEFAULT_PREFIX, banMaskFor, cleanIncoming, commandError, incomingBody, ircLower, isChannelName, joinError,
  maskMatches, messageId, messageLines, modeLine, modesForAffiliation, modesForRole, oneLine, statusFromModes,
  truncateToBytes, type LineBudget, type MucStatus, type PrefixMode,
} from './mapping.ts';
import type { IrcShared } from './plugin.ts';
import type { MucAffiliation } from '../types.ts';

/** A member of a channel, as this session knows them. */
export interface Member {
  nick: string;
  user?: string | undefined;
  host?: string | undefined;
  /** Prefix mode letters (q, a, o, h, v). */
  modes: Set<string>;
  away?: string | undefined;
}

/** A line the server replayed on join (chanhistory) or sent for CHATHISTORY. */
export interface ReplayedLine { id: string; nick: string; body: string; when: Date }

/** A channel of the session. The legacy id is the channel name lower-cased with the server's case mapping. */
export interface ChannelState {
  id: string;
  /** The name as the server spells it. */
  name: string;
  joined: boolean;
  /** Server time of our JOIN: lines stamped before it are history, not live. */
  joinTime: number | null;
  members: Map<string, Member>;
  topic: string;
  topicSetter: string | null;
  topicTime: Date | null;
  /**
   * After a reconnect: the NAMES list, a changed topic and the user's own changed status are
   * announced to the room (`self`: the user's status before the connection dropped).
   */
  rejoin: { topic: string; self: MucStatus | null } | null;
  /** Lines the server replayed when we joined, for `backfill()`. */
  replay: ReplayedLine[];
  /** Bans set recently: a member they match who is then kicked or parts was banned. */
  pendingBans: { mask: string; at: number }[];
  /** True while we asked for history (CHATHISTORY): our own lines are wanted then. */
  fetching: boolean;
  /** The JOIN in progress. */
  joining: Promise<void> | null;
  /** We asked to leave (PART): its echo must not delete the room a second time. */
  leaving: boolean;
}

/**
 * A nick the user had on this server, from `since` to `until` (ms; null: still theirs). The
 * server replays lines under nicks the user had before (chanhistory, after a reconnect or a
 * gateway restart): those are the user's own, archived when they were sent.
 */
export interface NickSpan { nick: string; since: number; until: number | null }

/** Nick spans remembered (in the session cursor, across restarts). */
export const NICK_SPANS_KEPT = 20;
/** Slack on a span bound read from our clock (registration, disconnect), not the server's. */
export const NICK_CLOCK_SLACK_MS = 15_000;

/** Replayed lines kept per channel for `backfill()`. */
export const REPLAY_KEPT = 500;
/** How long a new ban turns the next removal of a member it matches into a ban. */
export const BAN_WINDOW_MS = 60_000;
/** Batch types that carry history, not live messages. */
const HISTORY_BATCHES = new Set(['chathistory', 'draft/chathistory', 'znc.in/playback']);

// irc-framework event payloads (the fields used here)
interface Batch { type?: string }
interface MessageEvent {
  nick?: string; ident?: string; hostname?: string; target: string; message: string;
  tags?: Record<string, string>; time?: number; batch?: Batch; from_server?: boolean;
}
interface JoinEvent { nick: string; ident?: string; hostname?: string; channel: string; time?: number; batch?: Batch }
interface PartEvent { nick: string; channel: string; message?: string; time?: number; batch?: Batch }
interface KickEvent { kicked: string; nick: string; channel: string; message?: string; batch?: Batch }
interface QuitEvent { nick: string; message?: string; batch?: Batch }
interface NickEvent { nick: string; new_nick: string; time?: number; batch?: Batch }
interface ModeEvent { target: string; nick: string; modes: { mode: string; param: string | null }[]; time?: number; batch?: Batch }
interface TopicEvent { channel: string; topic: string; nick?: string; time?: number; batch?: Batch }
interface TopicSetByEvent { nick: string; channel: string; when: string }
interface NamesEvent { channel: string; users: { nick: string; ident?: string; hostname?: string; modes: string[] }[] }
interface WhoEvent { users: { nick: string; ident?: string; hostname?: string; channel?: string }[] }
interface AwayEvent { self: boolean; nick: string; message: string }

const isHistory = (batch?: Batch) => !!batch?.type && HISTORY_BATCHES.has(batch.type);

export class IrcSession extends BaseSession<IrcShared> {
  declare readonly bookmarks: IrcBookmarks;
  link: IrcLink | null = null;
  readonly channels = new Map<string, ChannelState>();
  /** The nick the server knows us by. */
  nick = '';
  /** Whose private messages go to which room: the room the user last wrote to them from. */
  private readonly pmRooms = new Map<string, string>();
  private readonly handling = new InOrder<{ what: string; fn: () => Promise<void> | void }>(
    ({ fn }) => fn(),
    (err, { what }) => this.log.error({ err, event: what }, 'IRC event not applied'),
  );
  private self: { user?: string | undefined; host?: string | undefined } = {};
  private readonly log: Logger = this.shared.log.child({ user: this.user.jid });
  /** The user's nicks on this server and when they had them (see `NickSpan`). */
  private nickSpans: NickSpan[] = [];
  private nickSpansLoaded: Promise<void> | null = null;
  private nickSpansSaved: Promise<void> = Promise.resolve();

  /** Connects to the server (001 received), then rejoins the rooms roomgate keeps, in the background. */
  override async login(): Promise<string> {
    await this.link?.quit('Reconnecting');
    await (this.nickSpansLoaded ??= this.loadNickSpans());
    const server = this.shared.serverFor(this.user.registration);
    const wanted = this.user.registration['nickname'] || this.bookmarks.userNick;
    const { options } = this.shared;
    const link = new IrcLink({
      server, nick: wanted, username: identFor(wanted), realname: options.realname,
      throttle: { burst: options.throttle.burst, perSecond: options.throttle.linesPerSecond },
      reconnect: options.reconnect, connectTimeoutMs: options.connectTimeoutMs, barrierTimeoutMs: options.commandTimeoutMs,
      pingIntervalS: options.pingIntervalSeconds, pingTimeoutS: options.pingTimeoutSeconds,
      log: this.log,
    });
    this.link = link;
    this.bind(link);
    await link.connect();
    await this.flushed();
    void this.rejoinStored();
    return `Connected to ${server.host}:${server.port} as ${this.nick}`;
  }

  /** Sends QUIT; nothing is told to the rooms (they keep their state for the next login). */
  override async logout(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.quit('roomgate: logged out');
    await this.flushed();
    if (link) this.endNickSpan(Date.now() + NICK_CLOCK_SLACK_MS);
    await this.nickSpansSaved;
  }

  /** The user's message to a channel: PRIVMSG lines split to the server's limit, `/me` as ACTION. */
  override async onText(chat: LegacyMUC, text: string, _opts: TextOptions): Promise<string> {
    const ch = this.joinedChannel(chat.legacyId);
    for (const line of messageLines(ch.name, text, this.budget())) this.link!.send(line, (l) => this.notSent(ch.name, l));
    return `rg-${randomUUID()}`;
  }

  /** The user's private message to a participant of a room: PRIVMSG to their nick. */
  override async onPrivateText(chat: LegacyMUC, nickname: string, text: string, _opts: TextOptions): Promise<string> {
    this.requireLink();
    if (/[\s,]/.test(nickname) || !nickname) throw new XmppError('item-not-found', 'No such nick');
    this.pmRooms.set(this.lower(nickname), chat.legacyId);
    for (const line of messageLines(nickname, text, this.budget())) this.link!.send(line, (l) => this.notSent(nickname, l));
    return `rg-${randomUUID()}`;
  }

  /** NICK: resolves once the server renamed us (every room hears it), or throws its refusal. */
  override async onNickChange(_chat: LegacyMUC, nickname: string): Promise<void> {
    this.requireLink();
    if (/[\s,:!@]/.test(nickname) || !nickname) throw new XmppError('not-acceptable', 'Not a valid IRC nickname');
    if (nickname === this.nick) return;
    await this.command([`NICK ${nickname}`]);
  }

  /** PART: the user left the room for good from XMPP. */
  override async onLeaveGroup(legacyId: string): Promise<void> {
    const ch = this.channels.get(legacyId);
    if (!ch) return;
    if (!ch.joined || !this.link?.registered) {
      this.channels.delete(legacyId);
      return;
    }
    ch.leaving = true;
    try {
      await this.command([`PART ${ch.name} :Left from XMPP`]);
    } finally {
      this.channels.delete(legacyId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // What the rooms ask (IrcMUC, IrcBookmarks)

  /** Lower-cases a nick or channel the way this server compares them. */
  lower(name: string): string {
    return ircLower(name, String(this.link?.client.network.options.CASEMAPPING ?? 'rfc1459'));
  }

  /** Whether a name is a channel name on this server. */
  isChannel(name: string): boolean {
    const types = this.link?.client.network.options.CHANTYPES;
    return isChannelName(name, Array.isArray(types) ? types.join('') : typeof types === 'string' ? types : '#&');
  }

  /** The server's PREFIX table (mode letter ⇄ NAMES symbol). */
  prefix(): PrefixMode[] {
    const p = this.link?.client.network.options.PREFIX;
    return Array.isArray(p) && p.length ? p : DEFAULT_PREFIX;
  }

  /** Role and affiliation of a member from their modes. */
  statusOf(member: Member | undefined): MucStatus {
    return statusFromModes(member?.modes ?? [], this.prefix());
  }

  /**
   * Makes sure the session is in a channel: JOINs it when it is not, and resolves once the
   * server has answered the JOIN and what followed it (topic, NAMES, replayed history), or
   * throws the server's refusal as an XmppError. A known channel that waits for the connection
   * to come back resolves at once: it is rejoined then.
   */
  async ensureJoined(id: string): Promise<void> {
    const ch = this.channels.get(id);
    if (ch?.joined) return;
    if (ch?.joining) return ch.joining;
    if (!this.link?.registered) {
      if (ch) return;
      throw new XmppError('service-unavailable', 'Not connected to the IRC server right now', { type: 'wait' });
    }
    return this.join(ch ?? this.newChannel(id));
  }

  /** The channel the user must be in to act on it. */
  joinedChannel(id: string): ChannelState {
    this.requireLink();
    const ch = this.channels.get(id);
    if (!ch?.joined) {
      throw ch
        ? new XmppError('service-unavailable', 'Rejoining the channel, try again in a moment', { type: 'wait' })
        : new XmppError('not-acceptable', 'You are not in this channel');
    }
    return ch;
  }

  /** A member of a channel by nick (any case). */
  member(ch: ChannelState, nick: string): Member | undefined {
    return ch.members.get(this.lower(nick));
  }

  /** TOPIC; the change comes back as the server's TOPIC. */
  async setTopic(id: string, subject: string): Promise<void> {
    const ch = this.joinedChannel(id);
    const max = Number(this.link!.client.network.options.TOPICLEN) || 300;
    await this.command([`TOPIC ${ch.name} :${truncateToBytes(oneLine(subject), max)}`]);
  }

  /** KICK; the kick comes back as the server's KICK. */
  async kick(id: string, nick: string, reason: string | null): Promise<void> {
    const ch = this.joinedChannel(id);
    const m = this.member(ch, nick);
    if (!m) throw new XmppError('item-not-found', `${nick} is not in ${ch.name}`);
    // without a reason the server puts its default (usually the kicker's nick)
    await this.command([`KICK ${ch.name} ${m.nick}${reason ? ` :${oneLine(reason)}` : ''}`]);
  }

  /** An affiliation from XMPP: outcast is a ban (+b then KICK), the others are prefix modes. */
  async setAffiliation(id: string, nick: string, affiliation: MucAffiliation, reason: string | null): Promise<void> {
    const ch = this.joinedChannel(id);
    const m = this.member(ch, nick);
    if (affiliation === 'outcast') {
      const mask = banMaskFor(m ?? { nick });
      const lines = [`MODE ${ch.name} +b ${mask}`];
      if (m) lines.push(`KICK ${ch.name} ${m.nick} :${oneLine(reason ?? 'Banned')}`);
      await this.command(lines);
      return;
    }
    if (!m) throw new XmppError('item-not-found', `${nick} is not in ${ch.name}`);
    const delta = modesForAffiliation(affiliation, m.modes, this.prefix());
    if (!delta) throw new XmppError('not-allowed', `This IRC server has no channel mode for ${affiliation}`);
    const params = modeLine(delta, m.nick);
    if (params) await this.command([`MODE ${ch.name} ${params.join(' ')}`]);
  }

  /** A role from XMPP: moderator is halfop (op without halfop), participant voice, visitor neither. */
  async setRole(id: string, nick: string, role: MucRole): Promise<void> {
    const ch = this.joinedChannel(id);
    const m = this.member(ch, nick);
    if (!m) throw new XmppError('item-not-found', `${nick} is not in ${ch.name}`);
    const delta = modesForRole(role, m.modes, this.prefix());
    if (!delta) throw new XmppError('not-allowed', `${m.nick} is an operator: change their affiliation instead`);
    const params = modeLine(delta, m.nick);
    if (params) await this.command([`MODE ${ch.name} ${params.join(' ')}`]);
  }

  /**
   * History for `backfill()`: what the server replayed when we joined, between the bounds, then
   * IRCv3 CHATHISTORY where the server offers it. Everything is sent archive-only.
   */
  async backfill(muc: LegacyMUC, after: HoleBound | null, before: HoleBound | null): Promise<void> {
    const ch = this.channels.get(muc.legacyId);
    if (!ch) return;
    const inside = (l: ReplayedLine) =>
      (!after || (l.id !== after.id && l.when.getTime() >= after.timestamp.getTime())) &&
      (!before || (l.id !== before.id && l.when.getTime() <= before.timestamp.getTime()));
    for (const line of ch.replay.filter(inside)) {
      (await this.participantIn(muc, ch, line.nick)).sendText(line.body, line.id, { archiveOnly: true, when: line.when });
    }
    const link = this.link;
    if (!link?.registered || !ch.joined || !link.client.network.cap.isEnabled('draft/chathistory')) return;
    const limit = Math.max(1, Math.min(Number(link.client.network.options.CHATHISTORY) || 100, muc.maxHistoryFetch || 100));
    const ref = (b: HoleBound) => (/^(h|rg)-/.test(b.id) ? `timestamp=${b.timestamp.toISOString()}` : `msgid=${b.id}`);
    const line = after && before ? `CHATHISTORY BETWEEN ${ch.name} ${ref(after)} ${ref(before)} ${limit}`
      : before ? `CHATHISTORY BEFORE ${ch.name} ${ref(before)} ${limit}`
      : after ? `CHATHISTORY LATEST ${ch.name} ${ref(after)} ${limit}`
      : `CHATHISTORY LATEST ${ch.name} * ${limit}`;
    ch.fetching = true;
    try {
      await link.barrier([line]);
      await this.flushed();
    } finally {
      ch.fetching = false;
    }
  }

  /** Resolves once every IRC event heard so far has been applied to the rooms. */
  flushed(): Promise<void> { return this.handling.idle(); }

  // -------------------------------------------------------------------------------------------
  // IRC → rooms

  private bind(link: IrcLink): void {
    const c = link.client;
    const on = <E>(event: string, fn: (e: E) => Promise<void> | void) =>
      c.on(event, (e: E) => { if (this.link === link) this.enqueue(event, () => fn(e)); });
    on<MessageEvent>('privmsg', (e) => this.onMessage(e, false, false));
    on<MessageEvent>('action', (e) => this.onMessage(e, true, false));
    on<MessageEvent>('notice', (e) => this.onMessage(e, false, true));
    on<JoinEvent>('join', (e) => this.onJoin(e));
    on<PartEvent>('part', (e) => this.onPart(e));
    on<KickEvent>('kick', (e) => this.onKick(e));
    on<QuitEvent>('quit', (e) => this.onQuit(e));
    on<NickEvent>('nick', (e) => this.onNick(e));
    on<ModeEvent>('mode', (e) => this.onMode(e));
    on<TopicEvent>('topic', (e) => this.onTopic(e));
    on<TopicSetByEvent>('topicsetby', (e) => this.onTopicSetBy(e));
    on<NamesEvent>('userlist', (e) => this.onNames(e));
    on<WhoEvent>('wholist', (e) => this.onWho(e));
    on<AwayEvent>('away', (e) => this.onAway(e, e.message));
    on<AwayEvent>('back', (e) => this.onAway(e, undefined));
    link.on('registered', (first) => this.enqueue('registered', () => this.onRegistered(first)));
    link.on('disconnected', (reason) => this.enqueue('disconnected', () => this.onDisconnected(reason)));
  }

  private enqueue(what: string, fn: () => Promise<void> | void): void {
    this.handling.push({ what, fn });
  }

  private isMe(nick: string | undefined): boolean {
    return !!nick && this.lower(nick) === this.lower(this.nick);
  }

  /**
   * Whether a line under `nick` at server time `time` (ms) was the user's: our nick now, or
   * then. Replayed lines may carry their time to the second only (InspIRCd's chanhistory), so
   * a span starts at the start of its second.
   */
  private wasMe(nick: string | undefined, time: number | undefined): boolean {
    if (!nick) return false;
    if (this.isMe(nick)) return true;
    const key = this.lower(nick);
    return this.nickSpans.some((s) => this.lower(s.nick) === key && (time === undefined
      || (time >= Math.floor(s.since / 1000) * 1000 && (s.until === null || time <= s.until))));
  }

  /** Reads the nick spans of earlier runs; one still open ended before now (a crash). */
  private async loadNickSpans(): Promise<void> {
    let stored: NickSpan[] = [];
    try {
      stored = parseNickSpans(await this.loadCursor());
    } catch (err) {
      this.log.warn({ err }, 'cannot read the nicks of earlier runs');
    }
    const now = Date.now();
    this.nickSpans = [...stored.map((s) => ({ ...s, until: s.until ?? now })), ...this.nickSpans];
  }

  private startNickSpan(nick: string, since: number): void {
    const open = this.nickSpans.at(-1);
    if (open && open.until === null && open.nick === nick) return;
    this.endNickSpan(since);
    this.nickSpans.push({ nick, since, until: null });
    this.saveNickSpans();
  }

  private endNickSpan(until: number): void {
    const open = this.nickSpans.at(-1);
    if (!open || open.until !== null) return;
    open.until = Math.max(until, open.since);
    this.saveNickSpans();
  }

  private saveNickSpans(): void {
    if (this.nickSpans.length > NICK_SPANS_KEPT) this.nickSpans.splice(0, this.nickSpans.length - NICK_SPANS_KEPT);
    const cursor = JSON.stringify({ nicks: this.nickSpans.map((s) => [s.nick, s.since, s.until]) });
    this.nickSpansSaved = this.nickSpansSaved
      .then(() => this.saveCursor(cursor))
      .catch((err: unknown) => this.log.warn({ err }, 'cannot save the nicks used'));
  }

  private async room(ch: ChannelState): Promise<LegacyMUC> {
    return this.bookmarks.byLegacyId(ch.id);
  }

  /** The participant for a nick in a room, with the role and affiliation the channel gives them. */
  private participantIn(muc: LegacyMUC, ch: ChannelState | undefined, nick: string): Promise<LegacyParticipant> {
    const m = ch ? this.member(ch, nick) : undefined;
    const status = this.statusOf(m);
    return this.isMe(nick) ? muc.getUserParticipant(status) : muc.getParticipant(m?.nick ?? nick, status);
  }

  private async onRegistered(first: boolean): Promise<void> {
    const before = this.nick;
    this.nick = this.link!.nick;
    this.bookmarks.userNick = this.nick;
    this.startNickSpan(this.nick, Date.now() - NICK_CLOCK_SLACK_MS);
    if (first) return;
    this.log.info({ nick: this.nick, channels: this.channels.size }, 'IRC connection back, rejoining');
    this.connectionRestored();
    if (before && before !== this.nick) {
      for (const ch of this.channels.values()) (await this.room(ch)).renameParticipant(before, this.nick);
    }
    for (const ch of this.channels.values()) {
      ch.rejoin ??= { topic: ch.topic, self: null };
      void this.join(ch)
        .catch((err: unknown) => this.lostChannel(ch, err))
        .catch((err: unknown) => this.log.error({ err, channel: ch.name }, 'rejoin failed'));
    }
  }

  /** Every participant leaves the rooms; they come back with the NAMES of the rejoin. */
  private async onDisconnected(reason: string): Promise<void> {
    this.log.warn({ reason }, 'IRC connection lost');
    this.connectionLost(reason); // the session is `reconnecting`: the user is told to retry meanwhile
    this.endNickSpan(Date.now() + NICK_CLOCK_SLACK_MS);
    for (const ch of this.channels.values()) {
      if (!ch.joined) continue;
      ch.rejoin = { topic: ch.topic, self: this.statusOf(this.member(ch, this.nick)) };
      ch.joined = false;
      ch.joinTime = null;
      ch.pendingBans = [];
      const muc = await this.room(ch);
      for (const m of ch.members.values()) {
        if (!this.isMe(m.nick)) (await muc.getParticipant(m.nick, this.statusOf(m))).leave('connection lost');
      }
      ch.members.clear();
    }
  }

  private async onJoin(e: JoinEvent): Promise<void> {
    if (isHistory(e.batch)) return;
    const id = this.lower(e.channel);
    if (this.isMe(e.nick)) {
      const ch = this.channels.get(id) ?? this.newChannel(id);
      Object.assign(ch, { name: e.channel, joined: true, joinTime: e.time ?? Date.now(), topic: '', topicSetter: null, topicTime: null });
      ch.members.clear();
      ch.replay = [];
      this.channels.set(id, ch);
      this.self = { user: e.ident, host: e.hostname };
      // without userhost-in-names, WHO tells the hosts that ban masks are matched against
      if (!this.link!.client.network.cap.isEnabled('userhost-in-names')) this.link!.send(`WHO ${e.channel}`);
      return;
    }
    const ch = this.channels.get(id);
    if (!ch?.joined) return;
    const m: Member = { nick: e.nick, user: e.ident, host: e.hostname, modes: new Set() };
    ch.members.set(this.lower(e.nick), m);
    (await (await this.room(ch)).getParticipant(e.nick, this.statusOf(m))).online();
  }

  private async onNames(e: NamesEvent): Promise<void> {
    const ch = this.channels.get(this.lower(e.channel));
    if (!ch?.joined) return;
    const old = ch.members;
    ch.members = new Map(e.users.map((u) => {
      const key = this.lower(u.nick);
      const known = old.get(key);
      return [key, { nick: u.nick, user: u.ident || known?.user, host: u.hostname || known?.host, modes: new Set(u.modes), away: known?.away }];
    }));
    const rejoin = ch.rejoin;
    if (!rejoin) return; // a first join: the room reads this list when it fills
    ch.rejoin = null;
    const muc = await this.room(ch);
    for (const m of ch.members.values()) {
      if (this.isMe(m.nick)) continue;
      const p = await muc.getParticipant(m.nick, this.statusOf(m));
      if (m.away) p.away(m.away); else p.online();
    }
    // e.g. a restarted server: the user recreated the channel and is its operator now
    const self = this.member(ch, this.nick);
    const now = self && this.statusOf(self);
    if (rejoin.self && now && (now.role !== rejoin.self.role || now.affiliation !== rejoin.self.affiliation)) {
      this.applyStatus(await muc.getUserParticipant(rejoin.self), rejoin.self, now);
    }
    if (ch.topic !== rejoin.topic) muc.setSubject(ch.topic, { setter: ch.topicSetter, ...(ch.topicTime ? { when: ch.topicTime } : {}) });
  }

  private onWho(e: WhoEvent): void {
    for (const u of e.users) {
      const ch = u.channel ? this.channels.get(this.lower(u.channel)) : undefined;
      const targets = ch ? [ch] : [...this.channels.values()];
      for (const c of targets) {
        const m = this.member(c, u.nick);
        if (m) Object.assign(m, { user: u.ident || m.user, host: u.hostname || m.host });
      }
    }
  }

  private async onPart(e: PartEvent): Promise<void> {
    if (isHistory(e.batch)) return;
    const id = this.lower(e.channel);
    const ch = this.channels.get(id);
    if (!ch) return;
    const reason = cleanIncoming(e.message ?? '');
    if (this.isMe(e.nick)) {
      this.channels.delete(id);
      if (ch.leaving) return; // we asked for it (onLeaveGroup): the room is being deleted already
      await this.bookmarks.remove(await this.room(ch), `You left ${ch.name}${reason ? ` (${reason})` : ''}`);
      return;
    }
    await this.removeMember(ch, e.nick, reason, 'leave');
  }

  private async onKick(e: KickEvent): Promise<void> {
    if (isHistory(e.batch)) return;
    const id = this.lower(e.channel);
    const ch = this.channels.get(id);
    if (!ch) return;
    const reason = cleanIncoming(e.message ?? '');
    if (this.isMe(e.kicked)) {
      this.channels.delete(id);
      await this.bookmarks.remove(await this.room(ch), `Kicked from ${ch.name} by ${e.nick}${reason ? `: ${reason}` : ''}`);
      return;
    }
    await this.removeMember(ch, e.kicked, reason, 'kick');
  }

  private async onQuit(e: QuitEvent): Promise<void> {
    if (isHistory(e.batch) || this.isMe(e.nick)) return;
    const reason = cleanIncoming(e.message ?? '');
    for (const ch of this.channels.values()) {
      if (ch.joined && this.member(ch, e.nick)) await this.removeMember(ch, e.nick, reason, 'quit');
    }
  }

  /** A member is gone: a ban that matches them, set just before, makes it a ban. */
  private async removeMember(ch: ChannelState, nick: string, reason: string, how: 'leave' | 'kick' | 'quit'): Promise<void> {
    const key = this.lower(nick);
    const m = ch.members.get(key);
    ch.members.delete(key);
    const now = Date.now();
    ch.pendingBans = ch.pendingBans.filter((b) => now - b.at < BAN_WINDOW_MS);
    const casemapping = String(this.link?.client.network.options.CASEMAPPING ?? 'rfc1459');
    const banned = how !== 'quit' && ch.pendingBans.some((b) => maskMatches(b.mask, m ?? { nick }, casemapping));
    const p = await (await this.room(ch)).getParticipant(m?.nick ?? nick, this.statusOf(m));
    const text = reason || undefined;
    if (banned) p.ban(text);
    else if (how === 'kick') p.kick(text);
    else p.leave(text);
  }

  private async onNick(e: NickEvent): Promise<void> {
    if (isHistory(e.batch)) return;
    const self = this.isMe(e.nick);
    const from = e.nick;
    const to = e.new_nick;
    for (const ch of this.channels.values()) {
      const m = this.member(ch, from);
      if (!m && !self) continue;
      // the room knows the nick as NAMES or JOIN spelled it (the user: as the session's nick)
      const known = self ? this.nick : m!.nick;
      if (m) {
        ch.members.delete(this.lower(from));
        m.nick = to;
        ch.members.set(this.lower(to), m);
      }
      if (ch.joined) (await this.room(ch)).renameParticipant(known, to);
    }
    const pm = this.pmRooms.get(this.lower(from));
    if (pm) {
      this.pmRooms.delete(this.lower(from));
      this.pmRooms.set(this.lower(to), pm);
    }
    if (self) {
      this.nick = to;
      this.bookmarks.userNick = to;
      const at = e.time ?? Date.now(); // the server's time where it tags the NICK, like the lines
      this.endNickSpan(at);
      this.startNickSpan(to, at);
    }
  }

  private async onMode(e: ModeEvent): Promise<void> {
    if (isHistory(e.batch) || !this.isChannel(e.target)) return;
    const ch = this.channels.get(this.lower(e.target));
    if (!ch?.joined) return;
    const prefix = this.prefix();
    const before = new Map<Member, MucStatus>();
    for (const { mode, param } of e.modes) {
      const add = mode[0] === '+';
      const letter = mode.slice(1);
      if (!param) continue;
      if (prefix.some((p) => p.mode === letter)) {
        const m = this.member(ch, param);
        if (!m) continue;
        if (!before.has(m)) before.set(m, this.statusOf(m));
        if (add) m.modes.add(letter); else m.modes.delete(letter);
      } else if (letter === 'b') {
        if (add) ch.pendingBans.push({ mask: param, at: Date.now() });
        else ch.pendingBans = ch.pendingBans.filter((b) => b.mask !== param);
      }
    }
    if (!before.size) return;
    const muc = await this.room(ch);
    for (const [m, was] of before) {
      const now = this.statusOf(m);
      if (now.role === was.role && now.affiliation === was.affiliation) continue;
      const p = this.isMe(m.nick) ? await muc.getUserParticipant(was) : await muc.getParticipant(m.nick, was);
      this.applyStatus(p, was, now);
    }
  }

  /** A participant's role and affiliation went from `was` to `now`: one presence says so. */
  private applyStatus(p: LegacyParticipant, was: MucStatus, now: MucStatus): void {
    if (now.role === was.role && now.affiliation === was.affiliation) return;
    if (now.affiliation !== was.affiliation) {
      p.role = now.role;
      p.setAffiliation(now.affiliation);
    } else {
      p.setRole(now.role);
    }
  }

  private async onTopic(e: TopicEvent): Promise<void> {
    if (isHistory(e.batch)) return;
    const ch = this.channels.get(this.lower(e.channel));
    if (!ch) return;
    ch.topic = cleanIncoming(e.topic ?? '');
    if (e.nick === undefined) return; // 332/331 on join: 333 and NAMES follow
    ch.topicSetter = e.nick || null;
    ch.topicTime = new Date(e.time ?? Date.now());
    if (!ch.joined) return;
    (await this.room(ch)).setSubject(ch.topic, { setter: ch.topicSetter, when: ch.topicTime });
  }

  private onTopicSetBy(e: TopicSetByEvent): void {
    const ch = this.channels.get(this.lower(e.channel));
    if (!ch) return;
    ch.topicSetter = e.nick || null;
    const seconds = Number(e.when);
    ch.topicTime = Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
  }

  private async onAway(e: AwayEvent, message: string | undefined): Promise<void> {
    if (e.self || this.isMe(e.nick)) return;
    for (const ch of this.channels.values()) {
      const m = this.member(ch, e.nick);
      if (!ch.joined || !m || m.away === message) continue;
      m.away = message;
      const p = await (await this.room(ch)).getParticipant(m.nick, this.statusOf(m));
      if (message) p.away(cleanIncoming(message)); else p.online();
    }
  }

  private async onMessage(e: MessageEvent, action: boolean, notice: boolean): Promise<void> {
    if (!e.nick || e.from_server) {
      this.log.debug({ target: e.target, message: e.message }, 'server notice');
      return;
    }
    const text = e.message ?? '';
    const body = incomingBody(text, action);
    const when = e.time !== undefined ? new Date(e.time) : undefined;
    const id = messageId({ msgid: e.tags?.msgid, time: e.time, nick: e.nick, target: this.lower(e.target), text, action });
    if (this.isChannel(e.target)) {
      const ch = this.channels.get(this.lower(e.target));
      if (!ch) return;
      const muc = await this.room(ch);
      const history = isHistory(e.batch) || (e.time !== undefined && ch.joinTime !== null && e.time < ch.joinTime);
      if (history) {
        // Our own lines were archived when the user sent them through this gateway (the only
        // way to speak with our nicks); a replay must not add them twice under another id.
        if (this.wasMe(e.nick, e.time) && !ch.fetching) return;
        if (!ch.replay.some((l) => l.id === id)) {
          ch.replay.push({ id, nick: e.nick, body, when: when ?? new Date() });
          if (ch.replay.length > REPLAY_KEPT) ch.replay.splice(0, ch.replay.length - REPLAY_KEPT);
        }
        (await this.participantIn(muc, ch, e.nick)).sendText(body, id, { archiveOnly: true, when: when ?? new Date() });
        return;
      }
      (await this.participantIn(muc, ch, e.nick)).sendText(body, id, when ? { when } : {});
      return;
    }
    if (!this.isMe(e.target) || isHistory(e.batch)) return;
    // a private message: to the room the user last wrote to them from, else a shared channel
    const from = e.nick;
    const roomId = this.pmRooms.get(this.lower(from))
      ?? [...this.channels.values()].find((c) => c.joined && this.member(c, from))?.id;
    if (!roomId) {
      this.log.info({ from: e.nick, notice }, 'private message from someone in no shared channel, not delivered');
      return;
    }
    const ch = this.channels.get(roomId);
    const muc = ch ? await this.room(ch) : await this.bookmarks.byLegacyId(roomId);
    muc.sendPrivateText(await this.participantIn(muc, ch, e.nick), body, id, when ? { when } : {});
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private newChannel(id: string): ChannelState {
    const ch: ChannelState = {
      id, name: id, joined: false, joinTime: null, members: new Map(), topic: '', topicSetter: null, topicTime: null,
      rejoin: null, replay: [], pendingBans: [], fetching: false, joining: null, leaving: false,
    };
    this.channels.set(id, ch);
    return ch;
  }

  /** JOIN and wait for the server's answer (everything before the PONG of a barrier). */
  private join(ch: ChannelState): Promise<void> {
    const link = this.link!;
    const attempt = (async () => {
      let errors: ParsedMessage[];
      try {
        errors = await link.barrier([`JOIN ${ch.name}`]);
        await this.flushed();
      } catch (err) {
        if (!ch.joined && !ch.rejoin) this.channels.delete(ch.id);
        throw err;
      }
      if (ch.joined) return;
      if (!ch.rejoin) this.channels.delete(ch.id);
      const refusal = errors.find((m) => m.params.some((p) => this.lower(p) === ch.id)) ?? errors[0];
      const mapped = refusal
        ? joinError(refusal.command, refusal.params.at(-1) ?? '')
        : { condition: 'item-not-found' as const, text: `The IRC server did not put you in ${ch.name}` };
      throw new XmppError(mapped.condition, mapped.text);
    })();
    ch.joining = attempt;
    const clear = () => { if (ch.joining === attempt) ch.joining = null; };
    attempt.then(clear, clear);
    return attempt;
  }

  /** A channel that could not be rejoined after a reconnect: the user is out of it. */
  private async lostChannel(ch: ChannelState, err: unknown): Promise<void> {
    if (ch.joined || this.link?.registered !== true) return; // joined meanwhile, or down again: next time
    const text = err instanceof XmppError ? err.text ?? err.condition : String((err as Error)?.message ?? err);
    this.log.warn({ channel: ch.name, err: text }, 'could not rejoin IRC channel');
    this.channels.delete(ch.id);
    await this.bookmarks.remove(await this.room(ch), `Could not rejoin ${ch.name}: ${text}`);
  }

  /** After login: the channels of the rooms roomgate keeps (when the runtime tells them). */
  private async rejoinStored(): Promise<void> {
    let ids: string[];
    try {
      ids = await this.storedRoomIds();
    } catch (err) {
      this.log.warn({ err }, 'cannot list stored rooms');
      return;
    }
    for (const id of ids) {
      if (!this.isChannel(id) || this.channels.has(id)) continue;
      this.ensureJoined(id).catch(async (err: unknown) => {
        const text = err instanceof XmppError ? err.text ?? err.condition : String(err);
        this.log.warn({ channel: id, err: text }, 'could not rejoin IRC channel after login');
        if (err instanceof XmppError && err.type !== 'wait') {
          await this.bookmarks.remove(await this.bookmarks.byLegacyId(id), `Could not rejoin ${id}: ${text}`);
        }
      }).catch((err: unknown) => this.log.error({ err, channel: id }, 'rejoin after login failed'));
    }
  }

  /** Sends commands and waits for the server; its first refusal becomes an XmppError. */
  private async command(lines: string[]): Promise<void> {
    const link = this.requireLink();
    const errors = await link.barrier(lines);
    await this.flushed();
    const refusal = errors[0];
    if (refusal) {
      const mapped = commandError(refusal.command, refusal.params.at(-1) ?? '');
      throw new XmppError(mapped.condition, mapped.text);
    }
  }

  private requireLink(): IrcLink {
    if (!this.link?.registered) {
      throw new XmppError('service-unavailable', 'Not connected to the IRC server right now', { type: 'wait' });
    }
    return this.link;
  }

  /** What is known of how our lines look when relayed, to split messages. */
  private budget(): LineBudget {
    const o = this.link?.client.network.options ?? {};
    return {
      nick: this.nick, user: this.self.user, host: this.self.host,
      lineLen: Number(o.LINELEN) || 512, userLen: Number(o.USERLEN) || 10, hostLen: Number(o.HOSTLEN) || 63,
    };
  }

  private notSent(target: string, line: string): void {
    this.log.warn({ target, line: line.slice(0, 80) }, 'IRC connection lost before this line was sent; not sent');
  }
}

/** The nick spans kept in the session cursor (`{"nicks":[[nick, since, until|null], ...]}`); [] for anything else. */
export function parseNickSpans(cursor: string | null): NickSpan[] {
  if (!cursor) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    return [];
  }
  const nicks = (parsed as { nicks?: unknown })?.nicks;
  if (!Array.isArray(nicks)) return [];
  return nicks.flatMap((n: unknown) => {
    if (!Array.isArray(n)) return [];
    const [nick, since, until] = n as unknown[];
    if (typeof nick !== 'string' || !nick || typeof since !== 'number' || !(until === null || typeof until === 'number')) return [];
    return [{ nick, since, until }];
  });
}

/** An ident (USER name) from a nick: letters and digits, at most 10. */
export function identFor(nick: string): string {
  return nick.replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toLowerCase() || 'roomgate';
}

export type { IrcServer };
