/**
 * One user's IRC connection: an irc-framework client with our own pieces around it.
 *  - connect() resolves on 001 (or rejects with the server's reason) and picks another nick
 *    while registering when the wanted one is taken;
 *  - every line we send goes through a token bucket (`Throttle`), then a send window
 *    (`SendWindow`): no more than 8 KiB the server has not answered a PING for;
 *  - `barrier(lines)` sends lines then a PING with a token, and resolves when the PONG comes
 *    back, with the error numerics the server answered in between: the server handles one
 *    client's commands in order, so that is "the server has done what we asked";
 *  - after a connection that had registered drops, it reconnects with exponential backoff and
 *    says `disconnected` and then `registered` again; `quit()` ends it for good.
 */
import { EventEmitter } from 'node:events';
import irc, { type Client, type ParsedMessage } from 'irc-framework';
import type { Logger } from 'pino';
import { XmppError } from '../index.ts';
import { backoffDelay } from './mapping.ts';
import { SEND_WINDOW, SendWindow, type SendWindowOptions } from './send-window.ts';
import { Throttle } from './throttle.ts';
import { parseTextLine } from './text-line.ts';
import { FallbackTransport } from './transport.ts';

export interface IrcServer {
  host: string;
  port: number;
  tls: boolean;
  /** Check the server's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Server password (PASS). */
  password?: string | undefined;
}

export interface IrcLinkOptions {
  server: IrcServer;
  nick: string;
  username: string;
  realname: string;
  throttle: { burst: number; perSecond: number };
  reconnect: { minDelayMs: number; maxDelayMs: number };
  /** How long a connection may take to reach 001. */
  connectTimeoutMs: number;
  /** How long a barrier (a PING round trip behind queued lines) may take. */
  barrierTimeoutMs: number;
  /** Seconds between our PINGs, and without any line before the connection counts as dead. */
  pingIntervalS: number;
  pingTimeoutS: number;
  /** Bytes written and not yet answered by the server; default `SEND_WINDOW`. */
  sendWindow?: SendWindowOptions;
  log: Logger;
}

interface Barrier {
  token: string;
  errors: ParsedMessage[];
  resolve(errors: ParsedMessage[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type State = 'idle' | 'connecting' | 'registered' | 'waiting' | 'closed';

export interface IrcLinkEvents {
  /** 001 received; `first` is false after a reconnect. */
  registered: [first: boolean];
  /** A registered connection dropped; a reconnect is scheduled. */
  disconnected: [reason: string];
}

/** Numerics that mean "this registration cannot succeed": no point in trying another nick. */
const FATAL_REGISTRATION = new Set(['464', '465', '466', '432', '484']);

export class IrcLink extends EventEmitter<IrcLinkEvents> {
  readonly client: Client;
  private state: State = 'idle';
  private throttle: Throttle;
  private readonly window: SendWindow;
  /** Lines the throttle let through this turn of the event loop, written together (see `writeLine`). */
  private outgoing: string[] = [];
  private attempt = 0;
  private everRegistered = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private pendingConnect: { resolve(): void; reject(err: Error): void } | null = null;
  private quitDone: (() => void) | null = null;
  private barriers: Barrier[] = [];
  private tokens = 0;
  private nickTries = 0;
  private lastError = '';
  /** A reset of the ping timeout is scheduled (see `markAlive`). */
  private aliveMarked = false;
  private readonly log: Logger;

  constructor(private readonly opts: IrcLinkOptions) {
    super();
    this.log = opts.log;
    this.client = new irc.Client();
    this.window = new SendWindow(opts.sendWindow ?? SEND_WINDOW, (unanswered, first) => {
      // once per connection: a server that never answers would say it every few seconds
      if (first) this.log.warn({ unanswered }, 'IRC server answers no PING; sending on without waiting');
      this.throttle.resume();
    });
    this.throttle = this.newThrottle();
    this.client.requestCap(['draft/chathistory']);
    this.client.connection.on('message', (msg: ParsedMessage) => this.onMessage(msg));
    this.client.on('registered', () => this.onRegistered());
    this.client.on('socket close', (err?: Error) => { if (err) this.lastError = err.message; });
    this.client.on('close', () => this.onClose());
  }

  /** True between 001 and the end of that connection. */
  get registered(): boolean { return this.state === 'registered'; }
  /** The nick the server knows us by (or asked for, before 001). */
  get nick(): string { return this.client.user.nick; }

  /** Connects and resolves on 001; rejects (and gives up) when this first connection fails. */
  connect(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`IrcLink.connect() in state ${this.state}`);
    return new Promise<void>((resolve, reject) => {
      this.pendingConnect = { resolve, reject };
      this.open();
    });
  }

  /** Sends QUIT and closes; no reconnect after this. Resolves once the socket is closed. */
  async quit(reason: string): Promise<void> {
    const prev = this.state;
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.reconnectTimer = this.connectTimer = null;
    this.window.reset();
    this.throttle.clear();
    this.failBarriers(new XmppError('service-unavailable', 'Logged out of IRC'));
    if (prev === 'idle' || prev === 'waiting' || !this.client.connection.transport) return;
    const closed = new Promise<void>((resolve) => { this.quitDone = resolve; });
    const force = setTimeout(() => this.client.connection.transport?.disposeSocket(), 3000);
    if (this.client.connected) {
      this.flush(); // what the throttle let through goes before the QUIT
      this.client.quit(reason);
    } else this.client.connection.end(undefined, true);
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3500))]);
    clearTimeout(force);
  }

  /** Queues a line behind the throttle. `onDrop` hears about it if the connection drops first. */
  send(line: string, onDrop?: (line: string) => void): void {
    if (this.state !== 'registered') {
      onDrop?.(line);
      return;
    }
    this.throttle.push(line, onDrop ? { onDrop } : {});
  }

  /**
   * Sends `lines` then `PING :token` behind the throttle and resolves when the PONG arrives,
   * with the error numerics (4xx, 5xx) the server sent in between.
   */
  barrier(lines: string[], timeoutMs = this.opts.barrierTimeoutMs): Promise<ParsedMessage[]> {
    if (this.state !== 'registered') {
      return Promise.reject(new XmppError('service-unavailable', 'Not connected to the IRC server right now', { type: 'wait' }));
    }
    const token = `rg-${++this.tokens}`;
    return new Promise<ParsedMessage[]>((resolve, reject) => {
      const barrier: Barrier = {
        token, errors: [], resolve, reject,
        timer: setTimeout(() => {
          this.barriers = this.barriers.filter((b) => b !== barrier);
          reject(new XmppError('remote-server-timeout', 'The IRC server did not answer in time'));
        }, timeoutMs),
      };
      this.barriers.push(barrier);
      for (const line of lines) this.throttle.push(line);
      this.throttle.push(`PING :${token}`);
    });
  }

  private newThrottle(): Throttle {
    return new Throttle({
      burst: this.opts.throttle.burst,
      perSecond: this.opts.throttle.perSecond,
      write: (line) => this.writeLine(line),
      ready: () => this.window.ready(),
    });
  }

  /**
   * One socket write per turn of the event loop, not one per line: a user sending many
   * messages (W3) spent an eighth of roomgate's time in per-line writes. Order is kept.
   */
  private writeLine(line: string): void {
    if (this.outgoing.push(line) === 1) setImmediate(() => this.flush());
    const mark = this.window.wrote(line);
    if (mark) this.outgoing.push(mark);
  }

  private flush(): void {
    if (!this.outgoing.length) return;
    const lines = this.outgoing.join('\r\n');
    this.outgoing = [];
    this.client.raw(lines);
  }

  private open(): void {
    this.state = 'connecting';
    this.nickTries = 0;
    this.lastError = '';
    const { server } = this.opts;
    this.client.connect({
      host: server.host, port: server.port, tls: server.tls, rejectUnauthorized: server.rejectUnauthorized ?? true,
      nick: this.opts.nick, username: this.opts.username, gecos: this.opts.realname,
      ...(server.password ? { password: server.password } : {}),
      // no SASL with the server password: it is a PASS, not an account
      account: {},
      version: 'roomgate',
      auto_reconnect: false,
      ping_interval: this.opts.pingIntervalS,
      ping_timeout: this.opts.pingTimeoutS,
      transport: FallbackTransport,
    });
    // irc-framework made this connection's transport just now; its socket has read nothing yet
    const transport = this.client.connection.transport as FallbackTransport | null;
    if (transport) transport.textLine = (line) => this.emitText(line);
    this.connectTimer = setTimeout(() => {
      this.lastError = `no welcome from ${server.host}:${server.port} within ${this.opts.connectTimeoutMs} ms`;
      this.client.connection.end(undefined, true);
    }, this.opts.connectTimeoutMs);
  }

  private onRegistered(): void {
    if (this.state !== 'connecting') return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.state = 'registered';
    this.attempt = 0;
    const first = !this.everRegistered;
    this.everRegistered = true;
    const pending = this.pendingConnect;
    this.pendingConnect = null;
    pending?.resolve();
    this.emit('registered', first);
  }

  private onMessage(msg: ParsedMessage): void {
    const code = msg.command;
    if (this.state === 'connecting') {
      if ((code === '433' || code === '437' || code === '436') && this.nickTries < 5) {
        // the wanted nick is taken: try wanted_, wanted__, ... as long as the server allows
        const next = `${this.opts.nick}${'_'.repeat(++this.nickTries)}`;
        this.log.info({ nick: this.opts.nick, trying: next }, 'IRC nick in use, trying another');
        this.client.user.nick = next;
        this.client.changeNick(next);
        return;
      }
      if (FATAL_REGISTRATION.has(code) || code === 'ERROR' || code === '433') {
        this.lastError = describe(msg);
      }
      return;
    }
    if (code === 'ERROR') this.lastError = describe(msg);
    // `:server PONG server :token`, or `PONG :token` from some servers and bouncers: the last
    // parameter either way (irc-framework's 'pong' event reads the second only)
    if (code === 'PONG') return this.onPong(msg.params.at(-1) ?? '');
    if (/^[45]\d\d$/.test(code) && this.barriers.length) this.barriers[0]!.errors.push(msg);
  }

  /**
   * A PRIVMSG or NOTICE outside a batch, and not a CTCP other than ACTION, becomes the same
   * 'privmsg', 'action' or 'notice' event irc-framework emits for it, without the rest of its
   * way there: its parser (`parseTextLine` reads the line at a quarter of the cost), its 'raw'
   * and 'message' events and middleware, a lodash copy of the line's tags and parameters, and
   * two passes through its 'all' event (the second for a 'message' event, itself a lodash
   * copy), each resetting the ping timeout with a timer and a lodash search. In the profile of
   * bench/micro/irc-lines.ts, the IRC side took 2.2 µs a line this way instead of 18.8. Any
   * other line, and a line this declines, goes irc-framework's way (false).
   */
  private emitText(line: string): boolean {
    const msg = parseTextLine(line);
    if (!msg || msg.tags.batch !== undefined) return false;
    const command = msg.command;
    const text = msg.params[1]!;
    let name = command === 'PRIVMSG' ? 'privmsg' : 'notice';
    let message = text;
    if (text.charAt(0) === '\x01' && text.charAt(text.length - 1) === '\x01') {
      // a CTCP: only a PRIVMSG's ACTION is ours; requests and answers are irc-framework's
      if (command !== 'PRIVMSG' || text.slice(1, -1).split(' ')[0]!.toUpperCase() !== 'ACTION') return false;
      name = 'action';
      message = text.substring(8, text.length - 1);
    }
    let target = msg.params[0]!;
    const group = this.client.network.extractTargetGroup(target);
    if (group) target = group.target;
    this.markAlive();
    this.client.emit(name, {
      from_server: !msg.nick, nick: msg.nick, ident: msg.ident, hostname: msg.hostname,
      target, group: group?.target_group, message, tags: msg.tags,
      time: serverTime(msg.tags.time), account: msg.tags.account, batch: undefined,
    });
    return true;
  }

  /** A line came: irc-framework's ping timeout starts again, once per turn of the event loop. */
  private markAlive(): void {
    if (this.aliveMarked) return;
    this.aliveMarked = true;
    setImmediate(() => {
      this.aliveMarked = false;
      // not once the connection is gone: its timers are cleared, a new one would outlive it
      if (this.client.connection.connected) this.client.resetPingTimeoutTimer();
    });
  }

  private onPong(token: string): void {
    if (this.window.answer(token)) return this.throttle.resume();
    const i = this.barriers.findIndex((b) => b.token === token);
    if (i < 0) return;
    // an earlier barrier whose PONG never came (should not happen): settle it too, in order
    for (const b of this.barriers.splice(0, i + 1)) {
      clearTimeout(b.timer);
      b.resolve(b.errors);
    }
  }

  private onClose(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    const wasRegistered = this.state === 'registered';
    // what was waiting for a token can no longer be sent on this connection
    const old = this.throttle;
    this.throttle = this.newThrottle();
    old.clear();
    this.outgoing = []; // let through, but the socket they were for is gone
    this.window.reset();
    const reason = this.lastError || 'connection closed';
    this.failBarriers(new XmppError('service-unavailable', `IRC connection lost: ${reason}`, { type: 'wait' }));
    if (this.state === 'closed') {
      this.quitDone?.();
      this.quitDone = null;
      return;
    }
    if (this.pendingConnect) {
      // the first connection: the login fails with the server's reason; no retry from here
      const pending = this.pendingConnect;
      this.pendingConnect = null;
      this.state = 'idle';
      pending.reject(loginError(reason));
      return;
    }
    this.state = 'waiting';
    if (wasRegistered) this.emit('disconnected', reason);
    const delay = backoffDelay(this.attempt++, { minMs: this.opts.reconnect.minDelayMs, maxMs: this.opts.reconnect.maxDelayMs });
    this.log.warn({ reason, attempt: this.attempt, delayMs: delay }, 'IRC connection lost, reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'waiting') this.open();
    }, delay);
  }

  private failBarriers(err: Error): void {
    for (const b of this.barriers.splice(0)) {
      clearTimeout(b.timer);
      b.reject(err);
    }
  }
}

/** A line's `time` tag in ms, as irc-framework reads it (ISO 8601, or ZNC's Unix seconds). */
function serverTime(tag: string | undefined): number | undefined {
  if (!tag) return undefined;
  const time = Date.parse(tag) || undefined;
  if (!time && /^[0-9.]{1,}$/.test(tag)) return Number(tag) * 1000;
  return time;
}

function describe(msg: ParsedMessage): string {
  const text = msg.params.at(-1) ?? '';
  return msg.command === 'ERROR' ? text : `${msg.command} ${text}`;
}

/** The error a failed first connection becomes: a refused password is the user's to fix. */
function loginError(reason: string): Error {
  if (/^464\b/.test(reason)) return new XmppError('not-authorized', `The IRC server refused the password: ${reason}`);
  if (/^(465|466)\b/.test(reason)) return new XmppError('forbidden', `Banned from the IRC server: ${reason}`);
  if (/^(432|433)\b/.test(reason)) return new XmppError('not-acceptable', `The IRC server refused the nickname: ${reason}`);
  return new XmppError('remote-server-not-found', `Cannot connect to IRC: ${reason}`);
}
