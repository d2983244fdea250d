// A raw-socket IRC client for tests: line buffer, PING auto-reply, optional IRCv3 caps.
import { connect, type Socket } from 'node:net';

export interface RawIrcClient {
  nick: string;
  /** The 001 (RPL_WELCOME) line. */
  welcome: string;
  /** Caps the server acknowledged. */
  caps: string[];
  send(line: string): void;
  /** Next not yet consumed line matching `predicate` (lines received earlier count too). */
  next(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends QUIT and waits for the server to close the connection. */
  close(): Promise<void>;
}

interface Waiter {
  predicate: (line: string) => boolean;
  resolve: (line: string) => void;
}

export async function connectIrc(opts: {
  port: number;
  nick: string;
  host?: string;
  /** IRCv3 caps to request (e.g. ['server-time', 'batch', 'message-tags']). */
  caps?: string[];
  timeoutMs?: number;
}): Promise<RawIrcClient> {
  const timeoutMs = opts.timeoutMs ?? 10000;
  const socket: Socket = connect({ host: opts.host ?? '127.0.0.1', port: opts.port, noDelay: true });
  socket.setEncoding('utf8');
  const pending: string[] = [];
  const waiters: Waiter[] = [];
  let closed = false;
  let partial = '';
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve(); }));

  socket.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\r\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line === '') continue;
      // Keep the connection alive however long a test idles.
      const ping = /^(?:@\S+ )?PING (.*)$/.exec(line);
      if (ping) socket.write(`PONG ${ping[1]}\r\n`);
      const i = waiters.findIndex((w) => w.predicate(line));
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(line);
      else pending.push(line);
    }
  });

  const next = (predicate: (line: string) => boolean, ms = timeoutMs) => {
    const i = pending.findIndex(predicate);
    if (i >= 0) return Promise.resolve(pending.splice(i, 1)[0]!);
    return new Promise<string>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (line) => { clearTimeout(timer); resolve(line); },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`IRC ${opts.nick}: no matching line within ${ms} ms; unconsumed:\n${pending.slice(-20).join('\n')}`));
      }, ms);
      waiters.push(waiter);
    });
  };
  const send = (line: string) => { socket.write(`${line}\r\n`); };

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => { /* reported through close; tests see timeouts with context */ });

  // Command and params of a raw line (tags and prefix dropped, trailing param unwrapped).
  const command = (line: string): string[] => {
    const rest = line.replace(/^@\S+ /, '').replace(/^:\S+ /, '');
    const t = rest.indexOf(' :');
    const head = (t >= 0 ? rest.slice(0, t) : rest).split(' ').filter(Boolean);
    return t >= 0 ? [...head, rest.slice(t + 2)] : head;
  };
  let caps: string[] = [];
  if (opts.caps?.length) send(`CAP REQ :${opts.caps.join(' ')}`);
  send(`NICK ${opts.nick}`);
  send(`USER ${opts.nick} 0 * :${opts.nick}`);
  if (opts.caps?.length) {
    const reply = await next((l) => { const c = command(l); return c[0] === 'CAP' && (c[2] === 'ACK' || c[2] === 'NAK'); });
    const c = command(reply);
    if (c[2] === 'ACK') caps = c.slice(3).join(' ').trim().split(/\s+/);
    send('CAP END');
  }
  // Registration errors (433 nick in use, ERROR) fail fast instead of timing out.
  const welcome = await next((l) => ['001', '433', '432', 'ERROR'].includes(command(l)[0]!));
  if (command(welcome)[0] !== '001') {
    socket.destroy();
    throw new Error(`IRC registration of ${opts.nick} failed: ${welcome}`);
  }

  return {
    nick: opts.nick,
    welcome,
    caps,
    send,
    next,
    async close() {
      if (!closed) {
        send('QUIT :bye');
        const timer = setTimeout(() => socket.destroy(), 2000);
        await closedPromise;
        clearTimeout(timer);
      }
    },
  };
}
