/**
 * `npm run demo` (through scripts/demo.sh): a private Redis and Prosody, two ready XMPP accounts
 * registered with the gateway, and roomgate in this process with the demo network, its sample
 * world, background chatter and the HTTP API. Ctrl-C stops everything and exits 0.
 *
 * Data (Prosody accounts, rosters; roomgate's state in Redis) lives in .run/demo/ and survives
 * a restart; `--reset` starts from nothing.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createKeys } from '../src/actors/keys.ts';
import { addUser } from '../src/admin.ts';
import { parseConfig } from '../src/config.ts';
import { isPortFree } from '../src/devstack/ports.ts';
import { startStack, type DevStack } from '../src/devstack/stack.ts';
import { DEFAULT_HTTP_PORT, type DemoShared } from '../src/legacy/demo/plugin.ts';
import { escapeLocalPart } from '../src/legacy/escape.ts';
import { createLogger, type Logger } from '../src/log.ts';
import { findPlugin, type Gateway, startGateway } from '../src/main.ts';
import { connectRedis } from '../src/redis.ts';
import { stopSignal } from '../src/stop-signal.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = join(ROOT, '.run', 'demo');
const LOCK_FILE = join(DATA_DIR, 'demo.pid');
const DOMAIN = 'localhost';
const GATEWAY_JID = 'gw.localhost';
const DEFAULT_C2S_PORT = 5222;
const ACCOUNTS = [{ user: 'romeo', password: 'romeo' }, { user: 'juliet', password: 'juliet' }];
const CHATTER = { messagesPerSecond: 0.2, rooms: ['lobby'] };
/**
 * What real clients expect of a server besides the minimal set: PEP bookmarks, carbons, vCards,
 * resumption, and offline storage. The gateway may write the users' bookmarks (IQ privilege,
 * `privilegedComponent`): the demo's rooms (`inviteOnLogin`) are in romeo's and juliet's
 * bookmarks from start-up, before anyone has connected.
 */
const CLIENT_MODULES = ['pep', 'private', 'bookmarks', 'offline', 'carbons', 'vcard4', 'vcard_legacy', 'blocklist', 'smacks', 'csi_simple', 'uptime'];

const USAGE = `usage: npm run demo -- [options]
  --port-c2s N      XMPP client port (default ${DEFAULT_C2S_PORT} if free, else a free one)
  --http-port N     demo HTTP API port (default ${DEFAULT_HTTP_PORT} if free, else a free one)
  --no-chatter      no background messages in the lobby
  --reset           delete .run/demo (accounts, gateway state) before starting
  --log-level L     roomgate log level (default info; or ROOMGATE_LOG_LEVEL)
  --json-logs       raw pino JSON on stderr instead of one line per entry
  -h, --help        this text`;

class UsageError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseOptions(argv: string[]) {
  const parse = () => parseArgs({
    args: argv,
    options: {
      'port-c2s': { type: 'string' },
      'http-port': { type: 'string' },
      'no-chatter': { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      'json-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse());
  } catch (err) {
    // unknown option, missing value: a usage error, not a crash
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
  const logLevel = values['log-level'] ?? process.env.ROOMGATE_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`log level '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  const port = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`--${name} takes a port number (1-65535), got '${value}'`);
    return n;
  };
  return {
    c2sPort: port('port-c2s', values['port-c2s']),
    httpPort: port('http-port', values['http-port']),
    chatter: !values['no-chatter'],
    reset: values.reset,
    logLevel,
    jsonLogs: values['json-logs'],
    help: values.help,
  };
}

/** The given port (which must be free), else `preferred` if free, else `fallback` (a free one). */
async function pickPort<T>(what: string, given: number | undefined, preferred: number, fallback: T): Promise<number | T> {
  if (given !== undefined) {
    if (!(await isPortFree(given))) throw new UsageError(`${what} port ${given} is taken on 127.0.0.1`);
    return given;
  }
  return (await isPortFree(preferred)) ? preferred : fallback;
}

// --- one demo per data dir ------------------------------------------------------------------

function takeLock(): void {
  mkdirSync(DATA_DIR, { recursive: true });
  if (existsSync(LOCK_FILE)) {
    const pid = Number(readFileSync(LOCK_FILE, 'utf8').trim());
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* not running */ }
    if (pid !== process.pid && cmdline.includes('demo.ts')) {
      throw new UsageError(`another demo is running (pid ${pid}) on ${relative(process.cwd(), DATA_DIR) || DATA_DIR}; stop it first`);
    }
  }
  writeFileSync(LOCK_FILE, `${process.pid}\n`);
  process.on('exit', () => { try { unlinkSync(LOCK_FILE); } catch { /* gone */ } });
}

// --- logs: pino JSON lines made readable ----------------------------------------------------

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '90'], 20: ['DEBUG', '36'], 30: ['INFO ', '32'], 40: ['WARN ', '33'], 50: ['ERROR', '31'], 60: ['FATAL', '35'],
};

function prettyLogStream(out: NodeJS.WriteStream): Writable {
  const color = out.isTTY && !process.env.NO_COLOR;
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const field = (v: unknown) => (typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v));
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        let entry: Record<string, unknown>;
        try { entry = JSON.parse(line) as Record<string, unknown>; } catch { out.write(`${line}\n`); continue; }
        const { level, time, msg, module, pid: _pid, hostname: _host, err, ...rest } = entry;
        const [name, code] = LEVELS[level as number] ?? [String(level), '0'];
        const clock = new Date(time as number).toTimeString().slice(0, 8);
        const extras = Object.entries(rest).map(([k, v]) => `${k}=${field(v)}`);
        if (err !== undefined) {
          const e = err as { message?: string; stack?: string } | string;
          extras.push(`err=${field(typeof e === 'string' ? e : e.message ?? e)}`);
        }
        const where = module ? paint('90', `[${String(module)}] `) : '';
        out.write(`${paint('90', clock)} ${paint(code, name)} ${where}${String(msg ?? '')}${extras.length ? ` ${paint('90', extras.join(' '))}` : ''}\n`);
        const stack = typeof err === 'object' && err && 'stack' in err ? String((err as { stack: unknown }).stack) : '';
        if (stack && (level as number) >= 50) out.write(`${paint('90', stack)}\n`);
      }
      done();
    },
  });
}

// --- the banner -----------------------------------------------------------------------------

function banner(stack: DevStack, shared: DemoShared, chatter: boolean): string {
  const http = `http://127.0.0.1:${shared.http!.port}`;
  const net = shared.network;
  const rooms = net.roomIds().map((id) => {
    const info = net.info(id);
    const jid = `${escapeLocalPart(id)}@${GATEWAY_JID}`;
    const who = info.members ? `members only: ${info.members.join(', ')}` : `${info.participants.length} people`;
    const talk = chatter && CHATTER.rooms.includes(id) ? `, chatter ${CHATTER.messagesPerSecond} msg/s` : '';
    return { jid, text: `${info.name} (${info.type}; ${who}${talk})` };
  });
  const width = Math.max(...rooms.map((r) => r.jid.length)) + 2;
  const json = (body: unknown) => `-H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
  const rule = '─'.repeat(78);
  return `
${rule}
 roomgate demo is running
${rule}
 Log in with any XMPP client (Gajim, Profanity, Psi+, ...):
   server   127.0.0.1      port ${stack.prosody.c2sPort}
   accounts ${ACCOUNTS.map((a) => `${a.user}@${DOMAIN} / password ${a.password}`).join('\n            ')}
   There is no TLS: plain auth over an unencrypted connection must be allowed in the client.
   Both accounts are already registered with the gateway ${GATEWAY_JID},
   and get an invitation to each of their rooms (once, kept across restarts).

 Rooms (join as <room>/<nickname>, e.g. lobby@${GATEWAY_JID}/romeo):
${rooms.map((r) => `   ${r.jid.padEnd(width)}${r.text}`).join('\n')}

 Be the other people on the demo network with its HTTP API (${http}):
   curl -s ${http}/demo/rooms
   curl -s -X POST ${http}/demo/rooms/lobby/messages ${json({ from: 'alice', body: 'Hello from curl' })}
   curl -s -X POST ${http}/demo/rooms/lobby/participants ${json({ nick: 'mallory' })}
   curl -s -X DELETE '${http}/demo/rooms/lobby/participants/mallory?kick=1&reason=spam'
   curl -s -X POST ${http}/demo/rooms/lobby/subject ${json({ subject: 'Release day!', by: 'alice' })}
   curl -s -X POST ${http}/demo/rooms/lobby/rename ${json({ from: 'bob', to: 'robert' })}
   curl -s -X POST ${http}/demo/rooms/lobby/info ${json({ name: 'Great Hall' })}
   curl -s -X POST ${http}/demo/rooms/lobby/messages -H 'content-type: application/json' -d "{\"from\":\"alice\",\"body\":\"our logo\",\"file\":{\"name\":\"logo.png\",\"data\":\"$(base64 -w0 picture.png)\"}}"
   curl -s -X PUT ${http}/demo/rooms/lobby/avatar -H 'content-type: application/json' -d "{\"data\":\"$(base64 -w0 picture.png)\"}"
   curl -s -X POST ${http}/demo/rooms/dev%20team/messages ${json({ from: 'frank', body: 'Build is green' })}

 Data: ${relative(process.cwd(), DATA_DIR) || DATA_DIR} (kept across restarts; --reset starts over)
 Prosody log: ${relative(process.cwd(), join(DATA_DIR, 'prosody', 'prosody.log'))}   roomgate logs: below
 Ctrl-C stops roomgate, Prosody and Redis.
${rule}
`;
}

// --- main -----------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const log = createLogger(opts.logLevel, opts.jsonLogs ? undefined : prettyLogStream(process.stderr));
  const stopped = stopSignal(() => log);
  let signal: NodeJS.Signals | undefined;
  void stopped.then((s) => { signal = s; });

  takeLock();
  if (opts.reset) {
    log.info({ dir: DATA_DIR }, 'removing the demo data (--reset)');
    for (const name of ['redis', 'prosody']) rmSync(join(DATA_DIR, name), { recursive: true, force: true });
  }

  const c2sPort = await pickPort('XMPP client', opts.c2sPort, DEFAULT_C2S_PORT, undefined);
  const httpPort = await pickPort('HTTP API', opts.httpPort, DEFAULT_HTTP_PORT, 0);
  if (c2sPort === undefined) log.warn(`port ${DEFAULT_C2S_PORT} is taken: Prosody gets a free port (see the banner)`);
  if (httpPort === 0) log.warn(`port ${DEFAULT_HTTP_PORT} is taken: the demo HTTP API gets a free port (see the banner)`);

  log.info({ dir: DATA_DIR }, 'starting Redis and Prosody');
  const stack = await startStack({
    dir: DATA_DIR,
    ownProcessGroup: true, // Ctrl-C reaches us only: we stop roomgate first, then the servers
    componentJid: GATEWAY_JID,
    componentSecret: randomBytes(16).toString('hex'),
    accounts: ACCOUNTS,
    redis: { appendOnly: true },
    // upload.<domain>: where the network's files are uploaded (XEP-0363), for clients to download
    prosody: { domain: DOMAIN, c2sPort, modules: CLIENT_MODULES, privilegedComponent: true, httpUpload: {} },
  });
  let gateway: Gateway | undefined;
  const shutdown = async () => {
    const timer = setTimeout(() => {
      log.error('could not stop within 20 s: killing everything');
      process.exit(1);
    }, 20_000);
    try {
      await gateway?.stop().catch((err: unknown) => log.error({ err }, 'roomgate did not stop cleanly'));
      await stack.stop();
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    if (signal) {
      log.info({ signal }, 'stopping Prosody and Redis');
      await shutdown();
      return 0;
    }
    log.info({ redis: stack.redis.url, c2s: stack.prosody.c2sPort, component: stack.prosody.componentPort }, 'servers ready');
    const config = parseConfig({
      component: { jid: GATEWAY_JID, secret: stack.component.secret },
      xmpp: { host: '127.0.0.1', port: stack.prosody.componentPort },
      redis: { url: stack.redis.url, prefix: 'roomgate' },
      ...(stack.prosody.upload ? { upload: { service: stack.prosody.upload.service } } : {}),
      plugin: { name: 'demo', options: { httpPort, inviteOnLogin: true, ...(opts.chatter ? { chatter: CHATTER } : {}) } },
      log: { level: opts.logLevel },
    }, {}, 'demo');
    gateway = await startGateway(config, log);

    // The same path as `roomgate users add JID --field nickname=...`.
    const redis = connectRedis(config.redis.url, log.child({ module: 'demo-users' }));
    try {
      const keys = createKeys(config.redis.prefix, config.partitions);
      for (const { user } of ACCOUNTS) {
        await addUser({ redis, keys, plugin: findPlugin(config.plugin.name) }, `${user}@${DOMAIN}`, { nickname: user });
      }
    } finally {
      redis.disconnect();
    }
    log.info({ users: ACCOUNTS.map((a) => `${a.user}@${DOMAIN}`) }, 'demo users registered with the gateway');

    if (!signal) process.stdout.write(banner(stack, gateway.shared as DemoShared, opts.chatter));
  } catch (err) {
    console.error(`demo: roomgate did not start: ${(err as Error)?.message ?? err}`);
    await shutdown();
    return 1;
  }

  const got = await stopped;
  log.info({ signal: got }, 'stopping roomgate, Prosody and Redis');
  await shutdown();
  log.info('demo stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`demo: ${err.message}\n${USAGE}`);
    else console.error(`demo: ${(err as Error)?.stack ?? err}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
