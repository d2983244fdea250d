/**
 * Raw-socket IRC bots for the IRC workloads (bench/workloads/irc.ts): as cheap as they can be,
 * so that a thousand of them in the bench process cost next to nothing.
 *  - registration is pipelined (NICK + USER written at once) and many bots connect together;
 *  - a bot does not parse what it receives unless it has a line handler (`onLine`): it only
 *    looks for the tokens it waits for (`waitFor`), e.g. the PONG of a `sync()`;
 *  - `pause()` stops reading (the kernel keeps the bytes), so that silent members of a channel
 *    do not use the bench's event loop while a join is timed.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

interface Wait { needle: string; resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }

let syncCounter = 0;

export class IrcBot {
  /** Called with every line (without CRLF) when set: the bot then splits what it reads into lines. */
  onLine: ((line: string) => void) | null = null;
  private tail = '';
  private partial = '';
  private waits: Wait[] = [];
  private closed = false;

  private constructor(readonly nick: string, readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => { /* seen as close */ });
    socket.once('close', () => {
      this.closed = true;
      for (const w of this.waits.splice(0)) { clearTimeout(w.timer); w.reject(new Error(`IRC bot ${nick}: connection closed (last: ${this.tail.slice(-300)})`)); }
    });
  }

  /** Opens the connection and writes NICK/USER; `registered` resolves on 001. */
  static async open(port: number, nick: string, timeoutMs: number): Promise<{ bot: IrcBot; registered: Promise<void> }> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([err]) => { throw err; })]);
    const bot = new IrcBot(nick, socket);
    const registered = bot.waitFor(` 001 ${nick} `, timeoutMs, 'welcome');
    registered.catch(() => undefined);
    socket.write(`NICK ${nick}\r\nUSER ${nick.slice(0, 10)} 0 * :${nick}\r\n`);
    return { bot, registered };
  }

  /** Writes raw IRC (one or many lines, CRLF added to each). */
  send(...lines: string[]): void {
    this.socket.write(`${lines.join('\r\n')}\r\n`);
  }

  /** Writes text already joined with CRLFs; resolves when the socket took it (backpressure). */
  async write(text: string): Promise<void> {
    if (!this.socket.write(text)) await once(this.socket, 'drain');
  }

  /** Resolves when `needle` has been read after this call (what was read before is forgotten). */
  waitFor(needle: string, timeoutMs: number, what = needle): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`IRC bot ${this.nick}: closed`));
    this.tail = '';
    return new Promise<void>((resolve, reject) => {
      const w: Wait = {
        needle, resolve, reject,
        timer: setTimeout(() => {
          this.waits = this.waits.filter((x) => x !== w);
          reject(new Error(`IRC bot ${this.nick}: no ${what} within ${timeoutMs} ms (last read: ${JSON.stringify(this.tail.slice(-300))})`));
        }, timeoutMs),
      };
      this.waits.push(w);
      if (this.socket.isPaused()) this.socket.resume();
    });
  }

  /** PING with a unique token; resolves on its PONG: the server has done all sent before. */
  sync(timeoutMs: number): Promise<void> {
    const token = `sync-${this.nick}-${++syncCounter}`;
    const done = this.waitFor(`:${token}\r\n`, timeoutMs, `PONG ${token}`);
    this.send(`PING :${token}`);
    return done;
  }

  pause(): void { this.socket.pause(); }
  resume(): void { this.socket.resume(); }

  /** QUIT, and close the socket whatever the server does. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.write('QUIT :bye\r\n');
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    await once(this.socket, 'close').catch(() => undefined);
    clearTimeout(t);
  }

  private onData(chunk: string): void {
    if (this.onLine) {
      const text = this.partial + chunk;
      let start = 0;
      for (;;) {
        const end = text.indexOf('\r\n', start);
        if (end < 0) break;
        this.onLine(text.slice(start, end));
        start = end + 2;
      }
      this.partial = text.slice(start);
    }
    if (this.waits.length) {
      const text = this.tail + chunk;
      for (const w of [...this.waits]) {
        if (text.includes(w.needle)) {
          clearTimeout(w.timer);
          this.waits = this.waits.filter((x) => x !== w);
          w.resolve();
        }
      }
    }
    // enough of the end to find a needle that straddles two reads, and to say what came last
    this.tail = (this.tail.length + chunk.length > 1024 ? (this.tail + chunk).slice(-512) : this.tail + chunk);
  }
}

/**
 * Connects `nicks.length` bots, `batch` TCP connects at a time, registrations pipelined: every
 * bot writes NICK/USER as soon as it is connected, and all are awaited together (InspIRCd
 * completes registrations on its once-per-second tick).
 */
export async function connectBots(port: number, nicks: string[], timeoutMs: number, batch = 100): Promise<IrcBot[]> {
  const bots: IrcBot[] = [];
  const registered: Promise<void>[] = [];
  try {
    for (let i = 0; i < nicks.length; i += batch) {
      const opened = await Promise.all(nicks.slice(i, i + batch).map((n) => IrcBot.open(port, n, timeoutMs)));
      for (const o of opened) { bots.push(o.bot); registered.push(o.registered); }
    }
    await Promise.all(registered);
  } catch (err) {
    await closeBots(bots);
    throw err;
  }
  return bots;
}

export async function closeBots(bots: IrcBot[]): Promise<void> {
  for (let i = 0; i < bots.length; i += 200) await Promise.all(bots.slice(i, i + 200).map((b) => b.close()));
}

/** The channel and body of a PRIVMSG line (no tags requested, so none come), or null. */
export function privmsg(line: string): { nick: string; target: string; body: string } | null {
  if (line[0] !== ':') return null;
  const sp = line.indexOf(' ');
  if (line.startsWith('PRIVMSG ', sp + 1) === false) return null;
  const rest = line.slice(sp + 9);
  const colon = rest.indexOf(' :');
  if (colon < 0) return null;
  const bang = line.indexOf('!');
  return { nick: line.slice(1, bang > 0 && bang < sp ? bang : sp), target: rest.slice(0, colon), body: rest.slice(colon + 2) };
}
