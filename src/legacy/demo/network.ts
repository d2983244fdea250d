/**
 * The demo legacy network: one in-memory world shared by every user registered with the demo
 * plugin, as a real group-chat service is shared by its users. It knows nothing of XMPP: it
 * speaks in room ids, nicknames and user JIDs, and tells connected users what happens.
 */
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { ChatState, LinkPreview, MucAffiliation, MucRole, Show } from '../types.ts';
import {
  DemoError, type DemoEvent, type DemoJournalEntry, type DemoListener, type DemoMessage, type DemoParticipant, type DemoPrivateMessage,
  type DemoAvatar, type DemoFile, type DemoRoomInfo, type DemoRoomView, type DemoSentMessage,
} from './types.ts';
import { DemoJournal } from './journal.ts';
import { keepNewest } from './retention.ts';
import { BASE64_IMAGE, formatIssues, roomSchema, type World, type WorldRoom } from './world.ts';
import { merge } from '../../merge.ts';

interface Room {
  info: Omit<DemoRoomInfo, 'participants'>;
  participants: Map<string, DemoParticipant>;
  messages: DemoMessage[];
  messageIds: Set<string>;
  sent: DemoSentMessage[];
  /** Message id → nick → emojis. */
  reactions: Map<string, Map<string, string[]>>;
  privateMessages: DemoPrivateMessage[];
  /** Users who left the group (members or not, they are out). */
  left: Set<string>;
  chatStates: Map<string, ChatState>;
  displayed: Map<string, string>;
  presences: Map<string, { show?: Show; status?: string }>;
}


/**
 * How many messages a room keeps, and how many of the users' sent messages and private
 * messages: the last 20,000 of each, up to a tenth more. Like a real service's retention,
 * older ones are gone (no correction, reply or history reaches them): kept forever, a demo
 * left running grew without end (W3: ≈ 0.4 KB per message).
 */
export const ROOM_MESSAGES_KEPT = 20_000;

/** Keeps a room list's newest `ROOM_MESSAGES_KEPT` (a tenth more at most); the ids of those dropped are forgotten too. */
function keepRoomList<T extends { id: string }>(list: T[], forgetIds?: Set<string>): void {
  for (const old of keepNewest(list, ROOM_MESSAGES_KEPT)) forgetIds?.delete(old.id);
}

/** The events that change a room beyond its messages and members. */
type Change = Extract<DemoEvent, { type: 'correction' | 'retraction' | 'reactions' | 'moderation' | 'presence' | 'chatState' | 'displayed' | 'privateMessage' }>;

/** Options of `new DemoNetwork()`. */
export interface DemoNetworkOptions {
  /** Where listener failures are logged. Default: silent. */
  log?: Logger;
  /** The clock; tests pin it. */
  now?: () => Date;
  /** The network's identity; a replica takes its network's. Default: a new random one. */
  epoch?: string;
  /** How many events the journal keeps (default `JOURNAL_MAX`). */
  journalKept?: number;
}

/** The simulated network. Every change is delivered at once, in call order, to connected members. */
export class DemoNetwork {
  private readonly rooms = new Map<string, Room>();
  private readonly log: Logger;
  private readonly now: () => Date;
  private counter = 0;
  /** The random part of this instance's message ids (drawn once: a draw per message was 5 % of W2). */
  private readonly idTag = randomBytes(3).toString('hex');
  /** Every delivered event, numbered: users resume from it and replicas copy it. */
  private readonly journal: DemoJournal;
  /** The world as loaded, before any event: a replica starts from it and replays the journal. */
  readonly initialWorld: World;
  /** Identifies this run of the network: its event numbers mean something only within it. */
  readonly epoch: string;

  constructor(world: World, opts: DemoNetworkOptions = {}) {
    this.log = opts.log ?? pino({ level: 'silent' });
    this.now = opts.now ?? (() => new Date());
    this.journal = new DemoJournal((roomId, jid) => this.isMember(roomId, jid), this.log, opts.journalKept);
    this.initialWorld = structuredClone(world);
    this.epoch = opts.epoch ?? randomBytes(6).toString('hex');
    for (const room of world.rooms) this.addRoom(room);
  }

  hasRoom(roomId: string): boolean { return this.rooms.has(roomId); }
  /** Ids of every room, in world order. */
  roomIds(): string[] { return [...this.rooms.keys()]; }

  /** A copy of a room with its participants, without its messages. */
  info(roomId: string): DemoRoomInfo {
    const room = this.get(roomId);
    return { ...room.info, members: room.info.members && [...room.info.members], participants: [...room.participants.values()].map((p) => ({ ...p })) };
  }

  /** The room's messages, oldest first; the objects are frozen and may be kept. */
  messages(roomId: string): readonly DemoMessage[] { return [...this.get(roomId).messages]; }

  /** A copy of everything about a room. */
  room(roomId: string): DemoRoomView {
    const room = this.get(roomId);
    return {
      ...this.info(roomId),
      messages: room.messages.map((m) => ({ ...m })),
      sent: room.sent.map((m) => ({ ...m })),
      online: this.journal.connected().filter((c) => this.isMember(roomId, c.jid)),
      reactions: Object.fromEntries([...room.reactions].map(([id, byNick]) => [id, Object.fromEntries(byNick)])),
      privateMessages: room.privateMessages.map((m) => ({ ...m })),
      chatStates: Object.fromEntries(room.chatStates),
      displayed: Object.fromEntries(room.displayed),
      presences: Object.fromEntries([...room.presences].map(([nick, p]) => [nick, { ...p }])),
    };
  }

  /** True when the user (a bare JID) is a member: listed, or the room lists nobody. */
  isMember(roomId: string, userJid: string): boolean {
    return this.isMemberLower(this.get(roomId), userJid.toLowerCase());
  }

  /** The rooms the user is a member of, in world order. */
  roomsOf(userJid: string): string[] {
    const jid = userJid.toLowerCase(); // once, not per room: worlds of 100,000 rooms log many users in
    return this.roomIds().filter((id) => this.isMemberLower(this.get(id), jid));
  }

  private isMemberLower(room: Room, jid: string): boolean {
    return !room.left.has(jid) && (room.info.members === null || room.info.members.includes(jid));
  }

  /**
   * Logs a user in: `listener` hears of everything in the rooms they are a member of. With
   * `after`, it first hears what it missed since that event number (a session that resumes).
   */
  connect(userJid: string, nick: string, listener: DemoListener, opts: { after?: number } = {}): { disconnect(): void } {
    return this.journal.connect(userJid, nick, listener, opts);
  }

  /** Resolves once this network accepted every write so far (a replica forwards them). */
  async settled(): Promise<void> { /* a local network applies writes at once */ }

  /** The number of the last event. */
  lastSeq(): number { return this.journal.lastSeq(); }

  /** Journal entries after `after` (at most `limit`); waits up to `waitMs` for one when none. */
  journalAfter(after: number, limit = 1000, waitMs = 0): Promise<DemoJournalEntry[]> {
    return this.journal.after(after, limit, waitMs);
  }

  /**
   * A replica applies an event the authoritative network journaled: the same state change,
   * delivered to the replica's own connected users under the same number.
   */
  applyJournal(entry: DemoJournalEntry): void {
    if (entry.seq <= this.journal.lastSeq()) return; // already applied
    const e = entry.event;
    const room = e.type === 'roomCreated' || e.type === 'roomDestroyed' ? null : this.get(e.roomId);
    switch (e.type) {
      case 'message': {
        const { type: _type, roomId: _roomId, ...fields } = e;
        const message = Object.freeze(fields);
        room!.messages.push(message);
        room!.messageIds.add(message.id);
        keepRoomList(room!.messages, room!.messageIds);
        if (entry.exceptJid) {
          room!.sent.push(Object.freeze(merge(message, { jid: entry.exceptJid })));
          keepRoomList(room!.sent);
        }
        break;
      }
      case 'participantJoined':
        room!.participants.set(e.nick, { nick: e.nick, role: e.role, affiliation: e.affiliation });
        break;
      case 'participantLeft':
        room!.participants.delete(e.nick);
        break;
      case 'subject':
        Object.assign(room!.info, { subject: e.subject, subjectSetter: e.by ?? null, subjectDate: e.date });
        break;
      case 'info':
        Object.assign(room!.info, { name: e.name, description: e.description });
        break;
      case 'avatar':
        room!.info.avatar = e.avatar;
        break;
      case 'participantAvatar':
        setParticipantAvatar(room!.participants.get(e.nick), e.avatar);
        break;
      case 'rename':
        room!.participants = new Map([...room!.participants].map(([nick, p]): [string, DemoParticipant] => (nick === e.from ? [e.to, { ...p, nick: e.to }] : [nick, p])));
        break;
      case 'roomCreated':
        this.addRoom(roomSchema.parse(entry.room));
        break;
      case 'roomDestroyed':
        this.rooms.delete(e.roomId);
        break;
      case 'userLeft':
        room!.left.add(e.jid);
        break;
      case 'correction': case 'retraction': case 'reactions': case 'moderation': case 'presence':
      case 'chatState': case 'displayed': case 'privateMessage':
        this.applyChange(room!, e, entry.exceptJid);
        break;
      default:
        this.applyOther(entry);
    }
    this.deliver(e, entry.exceptJid, entry.room, entry.seq);
  }

  /** Events a subclass adds (reactions, corrections ...) are applied here by a replica. */
  protected applyOther(_entry: DemoJournalEntry): void { /* nothing to change for the base events */ }

  /**
   * An XMPP user's message entering the network. Every other connected member hears of it;
   * the sender does not, because the gateway echoes it to the user itself.
   */
  sendFromUser(roomId: string, userJid: string, nick: string, body: string, id?: string, extra: { url?: string; replyTo?: string; thread?: string; linkPreviews?: LinkPreview[] } = {}): { id: string } {
    const room = this.get(roomId);
    if (!this.isMember(roomId, userJid)) throw new DemoError(403, `${userJid} is not a member of room "${roomId}"`);
    if (extra.replyTo !== undefined) this.message(room, extra.replyTo);
    const message = this.record(room, {
      from: requireText(nick, 'nick'), body, ...(id ? { id } : {}),
      ...(extra.url ? { url: extra.url } : {}), ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
      ...(extra.thread ? { thread: extra.thread } : {}), ...(extra.linkPreviews?.length ? { linkPreviews: extra.linkPreviews } : {}),
    });
    room.sent.push(Object.freeze(merge(message, { jid: userJid.toLowerCase() })));
    keepRoomList(room.sent);
    this.deliver({ type: 'message', roomId, ...message }, userJid.toLowerCase());
    return { id: message.id };
  }

  /**
   * Someone on the network says something, sends a file (`url`) or replies (`replyTo`, a
   * message id). `from` need not be a current participant.
   */
  post(roomId: string, msg: { from: string; body?: string; id?: string; url?: string; file?: DemoFile; replyTo?: string; thread?: string; linkPreviews?: LinkPreview[] }): { id: string } {
    const room = this.get(roomId);
    if (msg.replyTo !== undefined) this.message(room, msg.replyTo);
    const message = this.record(room, {
      from: requireText(msg.from, 'from'), body: msg.body ?? msg.url ?? '', id: msg.id,
      ...(msg.url ? { url: msg.url } : {}), ...(msg.file ? { file: msg.file } : {}), ...(msg.replyTo ? { replyTo: msg.replyTo } : {}),
      ...(msg.thread ? { thread: msg.thread } : {}), ...(msg.linkPreviews?.length ? { linkPreviews: msg.linkPreviews } : {}),
    });
    this.deliver({ type: 'message', roomId, ...message });
    return { id: message.id };
  }

  /*
   * What people do to messages and in rooms besides writing. `jid` names the XMPP user who did
   * it through the gateway: that user is not told of it, the gateway already echoes it.
   */

  /** `from` edits one of their messages. */
  correct(roomId: string, c: { id: string; from: string; body: string; jid?: string }): void {
    const room = this.get(roomId);
    const message = this.message(room, c.id);
    if (message.from !== c.from) throw new DemoError(403, `only ${message.from} can edit message "${c.id}"`);
    requireText(c.body, 'body');
    this.change(room, { type: 'correction', roomId, id: c.id, from: c.from, body: c.body }, lower(c.jid));
  }

  /** `by` deletes one of their messages (a moderator deletes others' with `moderate`). */
  retract(roomId: string, id: string, by: string, jid?: string): void {
    const room = this.get(roomId);
    const message = this.message(room, id);
    if (message.from !== by) throw new DemoError(403, `only ${message.from} can delete message "${id}"; a moderator moderates it`);
    this.change(room, { type: 'retraction', roomId, id, by }, lower(jid));
  }

  /** `from`'s reactions to a message become `emojis` (all of them; none when empty). */
  react(roomId: string, id: string, from: string, emojis: string[], jid?: string): void {
    const room = this.get(roomId);
    this.message(room, id);
    this.change(room, { type: 'reactions', roomId, id, from: requireText(from, 'from'), emojis: [...emojis] }, lower(jid));
  }

  /** A moderator deletes someone's message; everybody hears of it, the moderator included. */
  moderate(roomId: string, id: string, by: string, reason?: string): void {
    const room = this.get(roomId);
    this.message(room, id);
    if (room.participants.get(by)?.role !== 'moderator') throw new DemoError(403, `${by} is not a moderator of room "${roomId}"`);
    this.change(room, { type: 'moderation', roomId, id, by, ...(reason ? { reason } : {}) });
  }

  /** A participant goes away, busy ... or back online (no `show`). */
  setPresence(roomId: string, nick: string, p: { show?: Show; status?: string }): void {
    const room = this.get(roomId);
    const participant = room.participants.get(nick);
    if (!participant) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    this.change(room, {
      type: 'presence', roomId, nick, role: participant.role, affiliation: participant.affiliation,
      ...(p.show ? { show: p.show } : {}), ...(p.status ? { status: p.status } : {}),
    });
  }

  /** `nick` starts typing, stops ... */
  chatState(roomId: string, nick: string, state: ChatState, jid?: string): void {
    const room = this.get(roomId);
    if (!jid && !room.participants.has(nick)) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    this.change(room, { type: 'chatState', roomId, nick, state }, lower(jid));
  }

  /** `nick` has seen message `id`. */
  displayed(roomId: string, nick: string, id: string, jid?: string): void {
    const room = this.get(roomId);
    this.message(room, id);
    this.change(room, { type: 'displayed', roomId, nick: requireText(nick, 'nick'), id }, lower(jid));
  }

  /**
   * A private message through the room: from a participant to a member user (`to`, a bare JID),
   * or, with `jid`, from that XMPP user to a participant (`to`, a nick). Only the recipient hears it.
   */
  sendPrivate(roomId: string, pm: { from: string; to: string; body: string; jid?: string; id?: string }): { id: string } {
    const room = this.get(roomId);
    if (pm.jid ? !room.participants.has(pm.to) : !room.participants.has(pm.from)) {
      throw new DemoError(404, `no participant "${pm.jid ? pm.to : pm.from}" in room "${roomId}"`);
    }
    if (!pm.jid && !this.isMember(roomId, pm.to)) throw new DemoError(404, `${pm.to} is not a member of room "${roomId}"`);
    if (pm.id !== undefined && room.messageIds.has(pm.id)) throw new DemoError(409, `message id "${pm.id}" exists in room "${roomId}"`);
    const id = pm.id ?? this.newId(room);
    const to = pm.jid ? pm.to : pm.to.toLowerCase();
    this.change(room, { type: 'privateMessage', roomId, id, from: requireText(pm.from, 'from'), to, body: requireText(pm.body, 'body') }, lower(pm.jid));
    return { id };
  }

  /** A participant joins, or an existing one changes role or affiliation. */
  join(roomId: string, p: { nick: string; role?: MucRole; affiliation?: MucAffiliation }): DemoParticipant {
    const room = this.get(roomId);
    const previous = room.participants.get(requireText(p.nick, 'nick'));
    const participant: DemoParticipant = {
      nick: p.nick,
      role: p.role ?? previous?.role ?? 'participant',
      affiliation: p.affiliation ?? previous?.affiliation ?? 'member',
    };
    room.participants.set(participant.nick, participant);
    this.deliver({ type: 'participantJoined', roomId, ...participant });
    return { ...participant };
  }

  /** A participant leaves, is kicked or is banned. */
  remove(roomId: string, nick: string, opts: { kick?: boolean; ban?: boolean; reason?: string } = {}): void {
    const room = this.get(roomId);
    if (opts.kick && opts.ban) throw new DemoError(400, 'a participant is kicked or banned, not both');
    if (!room.participants.delete(nick)) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    const kind = opts.kick ? 'kick' : opts.ban ? 'ban' : 'leave';
    this.deliver({ type: 'participantLeft', roomId, nick, kind, ...(opts.reason ? { reason: opts.reason } : {}) });
  }

  /** The room is renamed, or its description changes. */
  configure(roomId: string, change: { name?: string; description?: string }): void {
    const room = this.get(roomId);
    if (change.name !== undefined && !change.name.trim()) throw new DemoError(400, 'a room name cannot be empty');
    Object.assign(room.info, change);
    this.deliver({ type: 'info', roomId, name: room.info.name, description: room.info.description });
  }

  /**
   * The room's avatar changes to `data` (base64; the network does not look inside), or is
   * removed with null. Returns its new id (`id`, or a new one).
   */
  setAvatar(roomId: string, data: string | null, id?: string): string | null {
    const room = this.get(roomId);
    checkImage(data);
    const avatar: DemoAvatar | null = data === null ? null : { id: id ?? `avatar-${++this.counter}-${this.idTag}`, data };
    room.info.avatar = avatar;
    this.deliver({ type: 'avatar', roomId, avatar });
    return avatar?.id ?? null;
  }

  /** A participant's avatar changes to `data` (base64), or is removed with null. */
  setParticipantAvatar(roomId: string, nick: string, data: string | null): void {
    const participant = this.get(roomId).participants.get(nick);
    if (!participant) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    checkImage(data);
    setParticipantAvatar(participant, data);
    this.deliver({ type: 'participantAvatar', roomId, nick, avatar: data });
  }

  /** The subject changes; `by` is the nickname of whoever changed it, if anyone. */
  setSubject(roomId: string, change: { subject: string; by?: string }): void {
    const room = this.get(roomId);
    const date = this.now().toISOString();
    Object.assign(room.info, { subject: change.subject, subjectSetter: change.by ?? null, subjectDate: date });
    this.deliver({ type: 'subject', roomId, subject: change.subject, ...(change.by ? { by: change.by } : {}), date });
  }

  /** A participant changes nickname. */
  rename(roomId: string, from: string, to: string): void {
    const room = this.get(roomId);
    const participant = room.participants.get(from);
    if (!participant) throw new DemoError(404, `no participant "${from}" in room "${roomId}"`);
    if (room.participants.has(requireText(to, 'to'))) throw new DemoError(409, `nickname "${to}" is taken in room "${roomId}"`);
    // rebuild the map so the renamed participant keeps its place in the list
    const entries = [...room.participants].map(([nick, p]): [string, DemoParticipant] => (nick === from ? [to, { ...p, nick: to }] : [nick, p]));
    room.participants = new Map(entries);
    this.deliver({ type: 'rename', roomId, from, to });
  }

  /**
   * The room is destroyed; its members hear of it, except `exceptJid` (the XMPP user who asked:
   * the gateway tells them itself).
   */
  destroyRoom(roomId: string, opts: { by?: string; reason?: string; exceptJid?: string } = {}): void {
    const room = this.get(roomId);
    const members = room.info.members === null ? null : room.info.members.filter((m) => !room.left.has(m));
    this.rooms.delete(roomId);
    this.deliver({
      type: 'roomDestroyed', roomId, members,
      ...(opts.by ? { by: opts.by } : {}), ...(opts.reason ? { reason: opts.reason } : {}),
    }, opts.exceptJid?.toLowerCase());
  }

  /**
   * An XMPP user leaves the group. `tell` (the user did it elsewhere, "from the official
   * client"): their gateway hears of it; without it the gateway asked, and knows.
   */
  leave(roomId: string, userJid: string, opts: { tell?: boolean } = {}): void {
    const room = this.get(roomId);
    const jid = userJid.toLowerCase();
    if (!this.isMember(roomId, jid)) throw new DemoError(404, `${userJid} is not a member of room "${roomId}"`);
    room.left.add(jid);
    this.deliver({ type: 'userLeft', roomId, jid }, opts.tell ? undefined : jid);
  }

  /** Adds a room (same shape as a world room); its connected members hear of it. */
  createRoom(spec: unknown): DemoRoomView {
    const parsed = roomSchema.safeParse(spec);
    if (!parsed.success) throw new DemoError(400, formatIssues(parsed.error));
    if (this.rooms.has(parsed.data.id)) throw new DemoError(409, `room "${parsed.data.id}" exists`);
    this.addRoom(parsed.data);
    this.deliver({ type: 'roomCreated', roomId: parsed.data.id, name: parsed.data.name }, undefined, spec);
    return this.room(parsed.data.id);
  }

  /** Creates a room and resolves once this network has it (a replica: once it came back, see there). */
  async createRoomAndWait(spec: unknown): Promise<void> {
    this.createRoom(spec);
  }

  private addRoom(room: WorldRoom): void {
    const { participants, messages, ...rest } = room;
    this.rooms.set(room.id, {
      info: {
        ...rest, subjectSetter: rest.subjectSetter ?? null, subjectDate: rest.subjectDate ?? null,
        members: rest.members ?? null, avatar: rest.avatar ? { id: `avatar-${rest.id}`, data: rest.avatar } : null,
      },
      participants: new Map(participants.map((p) => [p.nick, { ...p }])),
      messages: messages.map((m) => Object.freeze({ ...m })),
      messageIds: new Set(messages.map((m) => m.id)),
      sent: [],
      reactions: new Map(),
      privateMessages: [],
      left: new Set(),
      chatStates: new Map(),
      displayed: new Map(),
      presences: new Map(),
    });
  }

  /** Applies one of the changes above and tells who must hear. */
  private change(room: Room, e: Change, exceptJid?: string): void {
    this.applyChange(room, e, exceptJid);
    this.deliver(e, exceptJid);
  }

  /** The state change of a change (a replica applies the network's copy of it). */
  private applyChange(room: Room, e: Change, exceptJid?: string): void {
    switch (e.type) {
      case 'correction': {
        const i = room.messages.findIndex((m) => m.id === e.id);
        if (i >= 0) room.messages[i] = Object.freeze({ ...room.messages[i]!, body: e.body });
        break;
      }
      case 'retraction': case 'moderation':
        room.messages = room.messages.filter((m) => m.id !== e.id);
        room.reactions.delete(e.id);
        break;
      case 'reactions': {
        const byNick = room.reactions.get(e.id) ?? new Map<string, string[]>();
        if (e.emojis.length) byNick.set(e.from, e.emojis); else byNick.delete(e.from);
        if (byNick.size) room.reactions.set(e.id, byNick); else room.reactions.delete(e.id);
        break;
      }
      case 'presence':
        room.presences.set(e.nick, { ...(e.show ? { show: e.show } : {}), ...(e.status ? { status: e.status } : {}) });
        break;
      case 'chatState':
        room.chatStates.set(e.nick, e.state);
        break;
      case 'displayed':
        room.displayed.set(e.nick, e.id);
        break;
      case 'privateMessage':
        room.messageIds.add(e.id);
        room.privateMessages.push({
          id: e.id, from: e.from, to: e.to, body: e.body, timestamp: this.now().toISOString(), ...(exceptJid ? { jid: exceptJid } : {}),
        });
        keepRoomList(room.privateMessages, room.messageIds);
        break;
    }
  }

  /** A message of the room, or 404. */
  private message(room: Room, id: string): DemoMessage {
    const message = room.messages.find((m) => m.id === id);
    if (!message) throw new DemoError(404, `no message "${id}" in room "${room.info.id}"`);
    return message;
  }

  private get(roomId: string): Room {
    const room = this.rooms.get(roomId);
    if (!room) throw new DemoError(404, `no room "${roomId}"`);
    return room;
  }

  private record(room: Room, msg: { from: string; body: string; id?: string; url?: string; file?: DemoFile; replyTo?: string; thread?: string; linkPreviews?: LinkPreview[] }): DemoMessage {
    if (typeof msg.body !== 'string' || (msg.body === '' && !msg.file)) throw new DemoError(400, 'body: a message needs a non-empty body');
    if (msg.id !== undefined && room.messageIds.has(msg.id)) throw new DemoError(409, `message id "${msg.id}" exists in room "${room.info.id}"`);
    const message = Object.freeze({
      id: msg.id ?? this.newId(room), from: msg.from, body: msg.body, timestamp: this.now().toISOString(),
      ...(msg.url ? { url: msg.url } : {}), ...(msg.file ? { file: msg.file } : {}), ...(msg.replyTo ? { replyTo: msg.replyTo } : {}),
      ...(msg.thread ? { thread: msg.thread } : {}), ...(msg.linkPreviews?.length ? { linkPreviews: msg.linkPreviews } : {}),
    });
    room.messages.push(message);
    room.messageIds.add(message.id);
    keepRoomList(room.messages, room.messageIds);
    return message;
  }

  /** `m-<counter>-<random>`: the counter orders them, the random part keeps them unique across restarts. */
  private newId(room: Room): string {
    let id: string;
    do id = `m-${++this.counter}-${this.idTag}`;
    while (room.messageIds.has(id));
    return id;
  }

  /** Numbers an event (or keeps a replica's number), journals it and tells connected members. */
  protected deliver(event: DemoEvent, exceptJid?: string, room?: unknown, seq?: number): void {
    this.journal.publish(event, exceptJid, room, seq);
  }
}

function setParticipantAvatar(p: DemoParticipant | undefined, data: string | null): void {
  if (!p) return;
  if (data === null) delete p.avatar;
  else p.avatar = data;
}

/** An avatar the network takes: an image in base64, or none. */
function checkImage(data: string | null): void {
  if (data !== null && !BASE64_IMAGE.test(data)) throw new DemoError(400, 'data: an avatar is an image in base64');
}

function lower(jid: string | undefined): string | undefined {
  return jid?.toLowerCase();
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new DemoError(400, `${field}: expected a non-empty string`);
  return value;
}
