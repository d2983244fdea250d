/**
 * How the demo network tells its users what happens: every event is numbered and journaled,
 * then delivered in call order to the connected users it concerns. Users resume from a number
 * (`connect`'s `after`), and replicas in other processes copy the journal (`after`, long polling).
 */
import type { Logger } from 'pino';
import type { DemoEvent, DemoJournalEntry, DemoListener } from './types.ts';
import { keepNewest } from './retention.ts';

/** How many events the journal keeps at least, up to a tenth more (a user offline for longer misses the older ones). */
export const JOURNAL_MAX = 200_000;

interface Connection { jid: string; nick: string; listener: DemoListener }

export class DemoJournal {
  private readonly connections = new Set<Connection>();
  // A listener that calls the network while being told of an event must not overtake it:
  // events wait here and the outermost call delivers them in order.
  private readonly pending: { event: DemoEvent; exceptJid: string | undefined; seq: number }[] = [];
  private delivering = false;
  private readonly entries: DemoJournalEntry[] = [];
  private seq = 0;
  private readonly waiters = new Set<() => void>();

  /** `isMember` decides who hears of a room's events; `kept`: how many events it keeps (see `JOURNAL_MAX`). */
  constructor(
    private readonly isMember: (roomId: string, jid: string) => boolean,
    private readonly log: Logger,
    private readonly kept = JOURNAL_MAX,
  ) {}

  /** Logs a user in; with `after`, they first hear what they missed since that number. */
  connect(userJid: string, nick: string, listener: DemoListener, opts: { after?: number } = {}): { disconnect(): void } {
    const connection: Connection = { jid: userJid.toLowerCase(), nick, listener };
    if (opts.after !== undefined) {
      for (const entry of this.entries) {
        if (entry.seq > opts.after) this.tell(connection, entry.event, entry.exceptJid, entry.seq);
      }
    }
    this.connections.add(connection);
    return { disconnect: () => { this.connections.delete(connection); } };
  }

  /** The number of the last event. */
  lastSeq(): number { return this.seq; }

  /** The users connected now. */
  connected(): { jid: string; nick: string }[] {
    return [...this.connections].map(({ jid, nick }) => ({ jid, nick }));
  }

  /** Entries after `after` (at most `limit`); waits up to `waitMs` for one when there is none. */
  async after(after: number, limit = 1000, waitMs = 0): Promise<DemoJournalEntry[]> {
    if (this.seq <= after && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
        const timer = setTimeout(done, waitMs);
        this.waiters.add(done);
      });
    }
    const start = this.entries.findIndex((e) => e.seq > after);
    return start < 0 ? [] : this.entries.slice(start, start + limit);
  }

  /** Numbers an event (or keeps a replica's number), journals it and tells the users it concerns. */
  publish(event: DemoEvent, exceptJid?: string, room?: unknown, seq?: number): void {
    const entry: DemoJournalEntry = {
      seq: seq ?? this.seq + 1, event, ...(exceptJid ? { exceptJid } : {}), ...(room !== undefined ? { room } : {}),
    };
    this.seq = entry.seq;
    this.entries.push(entry);
    keepNewest(this.entries, this.kept); // a splice per event shifted 200,000 entries each time once full
    for (const wake of [...this.waiters]) wake();
    this.pending.push({ event, exceptJid, seq: entry.seq });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const c of [...this.connections]) this.tell(c, next.event, next.exceptJid, next.seq);
      }
    } finally {
      this.delivering = false;
    }
  }

  private tell(c: Connection, event: DemoEvent, exceptJid: string | undefined, seq: number): void {
    if (c.jid === exceptJid) return;
    if (event.type === 'roomDestroyed') {
      // the room is gone: its members as they were decide who hears of it
      if (event.members !== null && !event.members.includes(c.jid)) return;
    } else if (event.type === 'userLeft') {
      if (c.jid !== event.jid) return;
    } else if (!this.isMember(event.roomId, c.jid)) return;
    if (event.type === 'privateMessage' && c.jid !== event.to && c.nick !== event.to) return;
    try {
      c.listener(event, seq);
    } catch (err) {
      this.log.error({ err, user: c.jid, room: event.roomId }, 'demo listener failed');
    }
  }
}
