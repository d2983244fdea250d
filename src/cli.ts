/**
 * `roomgate` command line: start the gateway, manage registered users.
 *   roomgate start --config FILE      edge + worker in one process (the default deployment)
 *   roomgate edge --config FILE       the component connection only (one active, others stand by)
 *   roomgate worker --config FILE     a worker only: takes its share of the partitions
 *   roomgate status --config FILE     workers, partition owners, queue depths, dead letters
 *   roomgate demo-network --config FILE   the demo network alone, for workers with `networkUrl`
 *   roomgate users add JID [--field key=value ...] --config FILE
 *   roomgate users remove JID --config FILE
 *   roomgate users list --config FILE
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger } from './log.ts';
import { findPlugin, startGateway, type Roles } from './main.ts';
import { connectRedis } from './redis.ts';
import { formatStatus, readStatus } from './status.ts';
import { stopSignal } from './stop-signal.ts';
import { demoPlugin } from './legacy/demo/plugin.ts';
import { Mailboxes } from './transport/mailbox.ts';
import { createKeys } from './actors/keys.ts';
import { userStore } from './actors/users.ts';
import { addUser, removeUser } from './admin.ts';
import { XmppError } from './transport/xmpp/errors.ts';

const USAGE = `usage:
  roomgate machines [--json]
  roomgate start --config FILE
  roomgate demo-network --config FILE
  roomgate edge --config FILE
  roomgate worker --config FILE
  roomgate status [--json] --config FILE
  roomgate users add JID [--field key=value ...] --config FILE
  roomgate users remove JID --config FILE
  roomgate users list --config FILE
Environment variables ROOMGATE_* override the file (see README).`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' }, field: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' },
    },
  });
  if (values.help || !positionals.length) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const [command, sub, jid] = positionals;
  if (command === 'machines') return machines(values.json ?? false);
  const config = await configFrom(values.config);
  if (command === 'start') return start(config, { edge: true, worker: true });
  if (command === 'edge') return start(config, { edge: true, worker: false });
  if (command === 'worker') return start(config, { edge: false, worker: true });
  if (command === 'status') return status(config, values.json ?? false);
  if (command === 'demo-network') return demoNetwork(config);
  if (command === 'users') return users(config, sub, jid, values.field ?? []);
  throw new UsageError(`unknown command '${command}'`);
}

async function configFrom(path: string | undefined): Promise<Config> {
  const file = path ?? process.env.ROOMGATE_CONFIG;
  if (!file) throw new UsageError('--config FILE is required (or ROOMGATE_CONFIG)');
  return loadConfig(file);
}

async function start(config: Config, roles: Roles): Promise<number> {
  const log = createLogger(config.log.level);
  const gateway = await startGateway(config, log, roles);
  log.info({ signal: await stopSignal(() => log) }, 'stopping');
  await gateway.stop();
  return 0;
}

/** The machine definitions, for the Stately visualizer (`--json`) or a quick look at the states. */
async function machines(json: boolean): Promise<number> {
  const { roomMachine } = await import('./machines/room.ts');
  const { sessionMachine } = await import('./machines/session.ts');
  const definitions = { room: roomMachine.toJSON(), session: sessionMachine.toJSON() };
  if (json) console.log(JSON.stringify(definitions, null, 2));
  else for (const [name, d] of Object.entries(definitions)) console.log(`${name}: ${Object.keys(d.states ?? {}).join(' → ')}`);
  return 0;
}

/** Serves the demo network alone, for gateways whose workers keep replicas of it (`networkUrl`). */
async function demoNetwork(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const { networkUrl: _replicaOf, ...options } = config.plugin.options;
  const shared = await demoPlugin.start({ options, log });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await demoPlugin.stop!(shared);
  return 0;
}

/** A Redis connection for a one-shot command: it fails at once, saying where it tried. */
async function adminRedis(config: Config) {
  const redis = connectRedis(config.redis.url, createLogger('silent'), { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${config.redis.url}: ${(err as Error).message}`);
  }
  return redis;
}

async function status(config: Config, json: boolean): Promise<number> {
  const keys = createKeys(config.redis.prefix, config.partitions);
  const redis = await adminRedis(config);
  const mailboxes = new Mailboxes(keys, redis);
  try {
    const s = await readStatus(redis, keys, mailboxes);
    console.log(json ? JSON.stringify(s, null, 2) : formatStatus(s));
    return 0;
  } finally {
    await mailboxes.close();
    redis.disconnect();
  }
}

async function users(config: Config, sub: string | undefined, jid: string | undefined, fields: string[]): Promise<number> {
  const keys = createKeys(config.redis.prefix, config.partitions);
  const redis = await adminRedis(config);
  const store = userStore(redis, keys);
  try {
    if (sub === 'list') {
      for (const u of await store.all()) console.log(u);
      return 0;
    }
    if (!jid || !/^[^@/\s]+@[^@/\s]+$/.test(jid)) throw new UsageError('a bare JID (user@domain) is required');
    if (sub === 'add') {
      const submitted = Object.fromEntries(fields.map((f) => {
        const i = f.indexOf('=');
        if (i < 1) throw new UsageError(`--field takes key=value, got '${f}'`);
        return [f.slice(0, i), f.slice(i + 1)];
      }));
      await addUser({ redis, keys, plugin: findPlugin(config.plugin.name) }, jid, submitted);
      console.log(`registered ${jid}`);
      return 0;
    }
    if (sub === 'remove') {
      await removeUser({ redis, keys }, jid);
      console.log(`removed ${jid}`);
      return 0;
    }
    throw new UsageError(`unknown users command '${sub}'`);
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError || err instanceof UsageError) console.error(`roomgate: ${err.message}`);
    else if (err instanceof XmppError) console.error(`roomgate: ${err.text ?? err.condition}`);
    else console.error(`roomgate: ${(err as Error)?.message ?? err}`);
    if (err instanceof UsageError) console.error(USAGE);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
