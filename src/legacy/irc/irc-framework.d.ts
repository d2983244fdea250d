// Minimal typings for the parts of irc-framework (4.x, CommonJS, no bundled types) that the IRC
// plugin uses. The event payloads it reads are typed where they are used (src/legacy/irc/session.ts).
declare module 'irc-framework' {
  import type { EventEmitter } from 'node:events';

  export interface IrcPrefix { symbol: string; mode: string }

  export interface NetworkInfo {
    name: string;
    server: string;
    options: Record<string, unknown> & {
      CASEMAPPING?: string;
      PREFIX?: IrcPrefix[];
      CHANTYPES?: string[] | string;
      CHANMODES?: string[];
    };
    cap: { enabled: string[]; available: Map<string, string>; isEnabled(cap: string): boolean };
    supports(name: string): unknown;
    /** A STATUSMSG target (`@#chan`) split into its prefix and the channel; null for any other. */
    extractTargetGroup(target: string): { target: string; target_group: string } | null;
    isChannelName(name: string): boolean;
  }

  export interface ParsedMessage {
    command: string;
    params: string[];
    tags: Record<string, string>;
    prefix: string;
    nick: string;
    ident: string;
    hostname: string;
  }

  export interface Transport extends EventEmitter {
    writeLine(line: string, cb?: () => void): void;
  }

  export interface ClientOptions {
    host: string;
    port: number;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    account?: Record<string, never> | { account: string; password: string };
    encoding?: string;
    version?: string | null;
    auto_reconnect?: boolean;
    auto_reconnect_max_retries?: number;
    ping_interval?: number;
    ping_timeout?: number;
    message_max_length?: number;
    enable_echomessage?: boolean;
    transport?: unknown;
  }

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    options: ClientOptions;
    user: { nick: string; username: string; host: string };
    network: NetworkInfo;
    connected: boolean;
    connection: EventEmitter & {
      connected: boolean;
      registered: number | false;
      transport: (Transport & { socket?: import('node:net').Socket | null; disposeSocket(): void }) | null;
      end(rawLine?: string, force?: boolean): void;
      write(line: string, cb?: () => void): boolean;
    };
    /** Starts irc-framework's ping timeout again (a no-op before the socket connects). */
    resetPingTimeoutTimer(): void;
    requestCap(cap: string | string[]): void;
    connect(options?: ClientOptions): void;
    raw(...args: (string | number)[]): void;
    quit(message?: string): void;
    changeNick(nick: string): void;
    caseCompare(a: string, b: string): boolean;
    caseLower(s: string): string;
  }

  const irc: { Client: typeof Client };
  export default irc;
}

declare module 'irc-framework/src/transports/net.js' {
  import { EventEmitter } from 'node:events';
  /** irc-framework's TCP/TLS transport (decodes each line with one fixed encoding). */
  export default class NetTransport extends EventEmitter {
    constructor(options: Record<string, unknown>);
    encoding: string;
    incoming_buffer: Buffer;
    onSocketData(data: Buffer): void;
    /** Binds a new socket's events (a TLS socket too, or one through SOCKS). */
    _onSocketCreate(options: Record<string, unknown>, socket: import('node:net').Socket): void;
  }
}

declare module 'irc-framework/src/irclineparser.js' {
  import type { ParsedMessage } from 'irc-framework';
  /** irc-framework's parser of one line (tags, prefix, command, parameters). */
  export default function parseIrcLine(line: string): ParsedMessage;
}
