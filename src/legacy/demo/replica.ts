/**
 * A replica of a demo network that runs in another process (`roomgate demo-network`), for
 * gateways with several worker processes: every worker's sessions must see one shared world.
 * The replica starts from the network's initial world and applies its journal (long polling),
 * so reads stay local and synchronous and sessions hear events exactly as from a local network,
 * numbered the same. Writes go to the authoritative network, in order, and come back through
 * the journal.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MucAffiliation, MucRole } from '../types.ts';
import { DemoNetwork } from './network.ts';
import { DemoError, type DemoJournalEntry, type DemoParticipant, type DemoRoomView } from './types.ts';
import { parseWorld } from './world.ts';

const POLL_WAIT_MS = 20_000;
const RETRY_MS = 500;
/** How long a write that must come back (a new room) may take through the journal. */
const REPLICATED_WITHIN_MS = 10_000;

export class ReplicaDemoNetwork extends DemoNetwork {
  private outgoing: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private following = true;
  private poll: AbortController | null = null;
  /** Writes waiting to come back through the journal (`replicated`). */
  private readonly waiting = new Set<{ ready: () => boolean; resolve: () => void }>();

  private constructor(world: ReturnType<typeof parseWorld>, epoch: string, private readonly url: string, private readonly replicaLog: Logger) {
    super(world, { log: replicaLog, epoch });
  }

  /** Connects to the network at `url` (its HTTP API) and catches up with its journal. */
  static async open(url: string, log: Logger): Promise<ReplicaDemoNetwork> {
    const base = url.replace(/\/$/, '');
    const { world, epoch } = await request<{ world: unknown; epoch: string }>('GET', `${base}/demo/world`);
    const replica = new ReplicaDemoNetwork(parseWorld(world), epoch, base, log);
    while ((await replica.pull(0)) > 0);
    void replica.follow();
    return replica;
  }

  close(): void {
    this.following = false;
    this.poll?.abort();
  }

  override sendFromUser(roomId: string, userJid: string, nick: string, body: string, id?: string, extra: { url?: string; replyTo?: string } = {}): { id: string } {
    if (!this.isMember(roomId, userJid)) throw new DemoError(403, `${userJid} is not a member of room "${roomId}"`);
    const messageId = id ?? `u-${randomUUID()}`;
    this.forward('POST', `${this.path(roomId)}/from-user`, { jid: userJid, nick, body, id: messageId, ...extra });
    return { id: messageId };
  }

  override correct(roomId: string, c: { id: string; from: string; body: string; jid?: string }): void {
    this.info(roomId);
    this.forward('POST', `${this.path(roomId)}/messages`, { from: c.from, body: c.body, correct: c.id, ...(c.jid ? { jid: c.jid } : {}) });
  }

  override retract(roomId: string, id: string, by: string, jid?: string): void {
    const q = new URLSearchParams({ by, ...(jid ? { jid } : {}) });
    this.forward('DELETE', `${this.path(roomId)}/messages/${encodeURIComponent(id)}?${q}`);
  }

  override react(roomId: string, id: string, from: string, emojis: string[], jid?: string): void {
    this.forward('POST', `${this.path(roomId)}/messages/${encodeURIComponent(id)}/reactions`, { from, emojis, ...(jid ? { jid } : {}) });
  }

  override moderate(roomId: string, id: string, by: string, reason?: string): void {
    this.forward('POST', `${this.path(roomId)}/messages/${encodeURIComponent(id)}/moderate`, { by, ...(reason ? { reason } : {}) });
  }

  override setPresence(roomId: string, nick: string, p: { show?: 'away' | 'chat' | 'dnd' | 'xa'; status?: string }): void {
    this.forward('POST', `${this.path(roomId)}/participants/${encodeURIComponent(nick)}/presence`, p);
  }

  override chatState(roomId: string, nick: string, state: Parameters<DemoNetwork['chatState']>[2], jid?: string): void {
    this.forward('POST', `${this.path(roomId)}/participants/${encodeURIComponent(nick)}/chatstate`, { state, ...(jid ? { jid } : {}) });
  }

  override displayed(roomId: string, nick: string, id: string, jid?: string): void {
    this.forward('POST', `${this.path(roomId)}/participants/${encodeURIComponent(nick)}/displayed`, { id, ...(jid ? { jid } : {}) });
  }

  override sendPrivate(roomId: string, pm: { from: string; to: string; body: string; jid?: string; id?: string }): { id: string } {
    const id = pm.id ?? `p-${randomUUID()}`;
    this.forward('POST', `${this.path(roomId)}/private`, { ...pm, id });
    return { id };
  }

  override destroyRoom(roomId: string, opts: { by?: string; reason?: string; exceptJid?: string } = {}): void {
    this.info(roomId);
    const q = new URLSearchParams({ ...(opts.by ? { by: opts.by } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.exceptJid ? { except: opts.exceptJid } : {}) });
    this.forward('DELETE', `${this.path(roomId)}?${q}`);
  }

  override leave(roomId: string, userJid: string, opts: { tell?: boolean } = {}): void {
    if (!this.isMember(roomId, userJid)) throw new DemoError(404, `${userJid} is not a member of room "${roomId}"`);
    this.forward('DELETE', `${this.path(roomId)}/members/${encodeURIComponent(userJid)}?tell=${opts.tell ? 1 : 0}`);
  }

  private path(roomId: string): string { return `/demo/rooms/${encodeURIComponent(roomId)}`; }

  override post(roomId: string, msg: { from: string; body: string; id?: string }): { id: string } {
    this.info(roomId);
    const id = msg.id ?? `m-${randomUUID()}`;
    this.forward('POST', `/demo/rooms/${encodeURIComponent(roomId)}/messages`, { ...msg, id });
    return { id };
  }

  override join(roomId: string, p: { nick: string; role?: MucRole; affiliation?: MucAffiliation }): DemoParticipant {
    const previous = this.info(roomId).participants.find((q) => q.nick === p.nick);
    this.forward('POST', `/demo/rooms/${encodeURIComponent(roomId)}/participants`, p);
    return { nick: p.nick, role: p.role ?? previous?.role ?? 'participant', affiliation: p.affiliation ?? previous?.affiliation ?? 'member' };
  }

  override remove(roomId: string, nick: string, opts: { kick?: boolean; ban?: boolean; reason?: string } = {}): void {
    if (!this.info(roomId).participants.some((p) => p.nick === nick)) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    const q = new URLSearchParams({ ...(opts.kick ? { kick: '1' } : {}), ...(opts.ban ? { ban: '1' } : {}), ...(opts.reason ? { reason: opts.reason } : {}) });
    this.forward('DELETE', `/demo/rooms/${encodeURIComponent(roomId)}/participants/${encodeURIComponent(nick)}?${q}`);
  }

  override configure(roomId: string, change: { name?: string; description?: string }): void {
    this.info(roomId);
    this.forward('POST', `${this.path(roomId)}/info`, change);
  }

  override setAvatar(roomId: string, data: string | null, id?: string): string | null {
    this.info(roomId);
    if (data === null) {
      this.forward('DELETE', `${this.path(roomId)}/avatar`);
      return null;
    }
    const avatarId = id ?? `avatar-${randomUUID()}`;
    this.forward('PUT', `${this.path(roomId)}/avatar`, { data, id: avatarId });
    return avatarId;
  }

  override setParticipantAvatar(roomId: string, nick: string, data: string | null): void {
    if (!this.info(roomId).participants.some((p) => p.nick === nick)) throw new DemoError(404, `no participant "${nick}" in room "${roomId}"`);
    const path = `${this.path(roomId)}/participants/${encodeURIComponent(nick)}/avatar`;
    if (data === null) this.forward('DELETE', path);
    else this.forward('PUT', path, { data });
  }

  override setSubject(roomId: string, change: { subject: string; by?: string }): void {
    this.info(roomId);
    this.forward('POST', `/demo/rooms/${encodeURIComponent(roomId)}/subject`, change);
  }

  override rename(roomId: string, from: string, to: string): void {
    this.forward('POST', `/demo/rooms/${encodeURIComponent(roomId)}/rename`, { from, to });
  }

  override createRoom(spec: unknown): DemoRoomView {
    this.forward('POST', '/demo/rooms', spec);
    throw new DemoError(409, 'the room is being created on the network; it appears once replicated');
  }

  /** Resolves once the network created the room and its journal brought it here; throws its refusal. */
  override async createRoomAndWait(spec: unknown): Promise<void> {
    this.forward('POST', '/demo/rooms', spec);
    await this.settled();
    const id = String((spec as { id?: unknown }).id);
    await this.replicated(() => this.hasRoom(id), `room "${id}"`);
  }

  /** Resolves once every write so far reached the network; throws the first refusal since the last call. */
  override async settled(): Promise<void> {
    await this.outgoing;
    const failure = this.failure;
    this.failure = null;
    if (failure) throw failure;
  }

  /** Resolves once `ready` holds after a journal pull; rejects after REPLICATED_WITHIN_MS. */
  private replicated(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        ready,
        resolve: () => { clearTimeout(timer); resolve(); },
      };
      const timer = setTimeout(() => {
        this.waiting.delete(waiter);
        reject(new Error(`${what} not replicated within ${REPLICATED_WITHIN_MS} ms: is the demo network reachable?`));
      }, REPLICATED_WITHIN_MS);
      this.waiting.add(waiter);
    });
  }

  private forward(method: string, path: string, body?: unknown): void {
    this.outgoing = this.outgoing.then(async () => {
      try {
        await request(method, `${this.url}${path}`, body);
      } catch (err) {
        this.failure ??= err;
        this.replicaLog.warn({ err: (err as Error).message, path }, 'demo network refused a write');
      }
    });
  }

  /** Applies the journal entries after what is applied; returns how many. */
  private async pull(waitMs: number): Promise<number> {
    this.poll = new AbortController();
    const { entries } = await request<{ entries: DemoJournalEntry[] }>(
      'GET', `${this.url}/demo/journal?after=${this.lastSeq()}&waitMs=${waitMs}`, undefined, this.poll.signal);
    for (const entry of entries) this.applyJournal(entry);
    for (const waiter of this.waiting) {
      if (waiter.ready()) {
        this.waiting.delete(waiter);
        waiter.resolve();
      }
    }
    return entries.length;
  }

  private async follow(): Promise<void> {
    while (this.following) {
      try {
        await this.pull(POLL_WAIT_MS);
      } catch (err) {
        if (!this.following) return;
        this.replicaLog.warn({ err: (err as Error).message }, 'demo network unreachable, retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}

async function request<T = unknown>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, {
    method, ...(signal ? { signal } : {}),
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const status = [400, 403, 404, 409].includes(res.status) ? (res.status as 400 | 403 | 404 | 409) : 400;
    throw new DemoError(status, json?.error ?? `${method} ${url}: ${res.status}`);
  }
  return json as T;
}
