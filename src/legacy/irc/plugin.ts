/**
 * The IRC plugin: every registered user gets their own IRC connection, and every channel they
 * are in is a room. The server is either fixed by the gateway's configuration (`server`), or
 * each user names it in the registration form.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { definePlugin, LegacyParticipant, XmppError, type RegistrationField } from '../index.ts';
import { IrcBookmarks } from './bookmarks.ts';
import type { IrcServer } from './connection.ts';
import { IrcMUC } from './muc.ts';
import { IrcSession } from './session.ts';

const port = z.number({ error: 'must be a port number' }).int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535');

const optionsSchema = z.object({
  /** The IRC server every user connects to; absent: each user names one when registering. */
  server: z.object({
    host: z.string({ error: 'must be a host name' }).min(1, 'must not be empty'),
    /** Default 6697 with TLS, 6667 without. */
    port: port.optional(),
    tls: z.boolean({ error: 'must be true or false' }).default(true),
    /** Check the server's certificate (turn off only for a test server with a self-signed one). */
    rejectUnauthorized: z.boolean({ error: 'must be true or false' }).default(true),
  }, { error: 'must be a table with host, port, tls' }).strict().optional(),
  /** Without a fixed server: the hosts users may name (none: any host). */
  allowedHosts: z.array(z.string().min(1)).min(1, 'must list at least one host, or be left out').optional(),
  /** The IRC "real name" (gecos) of every connection. */
  realname: z.string().min(1, 'must not be empty').default('roomgate user'),
  /** Outgoing lines: `burst` at once, then `linesPerSecond` (keep under the server's flood limit). */
  throttle: z.object({
    burst: z.number().int('must be a whole number').min(1, 'must be at least 1').default(5),
    linesPerSecond: z.number().positive('must be positive').default(2),
  }).strict().default({ burst: 5, linesPerSecond: 2 }),
  /** Reconnect backoff after a lost connection: doubling from min to max (plus jitter). */
  reconnect: z.object({
    minDelayMs: z.number().int().min(100, 'must be at least 100').default(1000),
    maxDelayMs: z.number().int().min(100, 'must be at least 100').default(300_000),
  }).strict().refine((r) => r.maxDelayMs >= r.minDelayMs, { error: 'maxDelayMs must not be below minDelayMs' })
    .default({ minDelayMs: 1000, maxDelayMs: 300_000 }),
  /** How long a connection may take to be welcomed (001). */
  connectTimeoutMs: z.number().int().min(1000, 'must be at least 1000').default(30_000),
  /** How long the server may take to answer a JOIN, KICK, MODE, TOPIC, NICK or PART. */
  commandTimeoutMs: z.number().int().min(100, 'must be at least 100').default(30_000),
  /** Seconds between our PINGs, and of silence before the connection counts as dead. */
  pingIntervalSeconds: z.number().int().min(1).default(60),
  pingTimeoutSeconds: z.number().int().min(1).default(180),
}).strict();

/** The IRC plugin's options (`[plugin.options]` in the config file). */
export type IrcOptions = z.input<typeof optionsSchema>;
export type ParsedIrcOptions = z.output<typeof optionsSchema>;

/** What every IRC session shares. */
export interface IrcShared {
  options: ParsedIrcOptions;
  log: Logger;
  /** The server a user connects to (fixed, or from their registration). */
  serverFor(registration: Record<string, string>): IrcServer;
}

/** Validates the plugin's options; throws naming each bad field (`server.port: must be 1-65535`). */
export function parseIrcOptions(options: unknown): ParsedIrcOptions {
  const result = optionsSchema.safeParse(options ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new Error(`irc plugin options:\n  - ${lines.join('\n  - ')}`);
  }
  return result.data;
}

const NICKNAME: RegistrationField = { var: 'nickname', label: 'IRC nickname', required: true };
const PASSWORD: RegistrationField = { var: 'password', label: 'Server password (optional)', type: 'text-private' };

/** The registration form: nickname and password, plus the server when the gateway fixes none. */
export function registrationFields(opts: { server?: unknown } | null): RegistrationField[] {
  if (opts?.server) return [NICKNAME, PASSWORD];
  return [
    NICKNAME, PASSWORD,
    { var: 'server', label: 'IRC server (host name)', required: opts !== null },
    { var: 'port', label: 'Port (default 6697 with TLS, 6667 without)' },
    { var: 'tls', label: 'Use TLS', type: 'boolean', value: '1' },
  ];
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** The server of a user: the fixed one, or the one in their registration (checked). */
export function serverFor(opts: ParsedIrcOptions, registration: Record<string, string>): IrcServer {
  const password = registration['password'] || undefined;
  if (opts.server) {
    const { host, tls, rejectUnauthorized } = opts.server;
    return { host, port: opts.server.port ?? (tls ? 6697 : 6667), tls, rejectUnauthorized, password };
  }
  const host = registration['server']?.trim();
  if (!host) throw new XmppError('not-acceptable', 'No IRC server in your registration: register again and fill in the server');
  if (!/^[a-z0-9.:\-[\]]+$/i.test(host)) throw new XmppError('not-acceptable', `Not a host name: ${host}`);
  if (opts.allowedHosts && !opts.allowedHosts.some((h) => h.toLowerCase() === host.toLowerCase())) {
    throw new XmppError('not-allowed', `This gateway only connects to ${opts.allowedHosts.join(', ')}`);
  }
  const tlsField = (registration['tls'] ?? '').trim().toLowerCase();
  if (tlsField && !TRUE.has(tlsField) && !FALSE.has(tlsField)) throw new XmppError('not-acceptable', `TLS must be true or false, not ${tlsField}`);
  const tls = !FALSE.has(tlsField);
  const portField = registration['port']?.trim();
  const portNumber = portField ? Number(portField) : tls ? 6697 : 6667;
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) throw new XmppError('not-acceptable', `Not a port number: ${portField}`);
  return { host, port: portNumber, tls, rejectUnauthorized: true, password };
}

export const ircPlugin = definePlugin<IrcShared, IrcSession>({
  name: 'irc',
  displayName: 'IRC',
  session: IrcSession,
  bookmarks: IrcBookmarks,
  muc: IrcMUC,
  participant: LegacyParticipant,
  registration: {
    instructions: 'Connect to IRC: pick your nickname (and the server password, if it has one). Join channels as rooms: #channel@this-gateway.',
    // before start() knows the options (e.g. `roomgate users add`), every field is optional but the nickname
    fields: registrationFields(null),
  },

  async start({ options, log: parent }) {
    const log = parent.child({ module: 'irc' });
    const opts = parseIrcOptions(options);
    this.registration.fields = registrationFields(opts);
    if (opts.server) log.info({ host: opts.server.host, port: opts.server.port ?? (opts.server.tls ? 6697 : 6667), tls: opts.server.tls }, 'IRC server fixed for all users');
    else log.info({ allowedHosts: opts.allowedHosts ?? 'any' }, 'IRC server chosen by each user at registration');
    return { options: opts, log, serverFor: (registration) => serverFor(opts, registration) };
  },
});
