/**
 * `roomgate` command line: start the gateway, manage registered users.
 *   roomgate start --config FILE
 *   roomgate users add JID [--field key=value ...] --config FILE
 *   roomgate users remove JID --config FILE
 *   roomgate users list --config FILE
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger } from './log.ts';
import { connectRedis, findPlugin, startGateway } from './main.ts';
import { createKeys } from './actors/keys.ts';
import { userStore } from './actors/users.ts';
import { Mailboxes } from './transport/mailbox.ts';
import { validateRegistration } from './transport/xmpp/register.ts';
import { XmppError } from './transport/xmpp/errors.ts';

const USAGE = `usage:
  roomgate start --config FILE
  roomgate users add JID [--field key=value ...] --config FILE
  roomgate users remove JID --config FILE
  roomgate users list --config FILE
Environment variables ROOMGATE_* override the file (see README).`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, field: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !positionals.length) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = await configFrom(values.config);
  const [command, sub, jid] = positionals;
  if (command === 'start') return start(config);
  if (command === 'users') return users(config, sub, jid, values.field ?? []);
  throw new UsageError(`unknown command '${command}'`);
}

async function configFrom(path: string | undefined): Promise<Config> {
  const file = path ?? process.env.ROOMGATE_CONFIG;
  if (!file) throw new UsageError('--config FILE is required (or ROOMGATE_CONFIG)');
  return loadConfig(file);
}

async function start(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const gateway = await startGateway(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => { log.info({ signal }, 'stopping'); resolve(); };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await gateway.stop();
  return 0;
}

async function users(config: Config, sub: string | undefined, jid: string | undefined, fields: string[]): Promise<number> {
  const log = createLogger('warn');
  const keys = createKeys(config.redis.prefix, config.partitions);
  const redis = connectRedis(config.redis.url, log, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  const store = userStore(redis, keys);
  try {
    if (sub === 'list') {
      for (const u of await store.all()) console.log(u);
      return 0;
    }
    if (!jid || !/^[^@/\s]+@[^@/\s]+$/.test(jid)) throw new UsageError('a bare JID (user@domain) is required');
    const mailboxes = new Mailboxes(keys, redis);
    try {
      if (sub === 'add') {
        const submitted = Object.fromEntries(fields.map((f) => {
          const i = f.indexOf('=');
          if (i < 1) throw new UsageError(`--field takes key=value, got '${f}'`);
          return [f.slice(0, i), f.slice(i + 1)];
        }));
        const registration = validateRegistration(findPlugin(config.plugin.name).registration.fields, submitted);
        await store.put({ jid, registration });
        await mailboxes.add({ kind: 'control', user: jid, action: 'login' });
        console.log(`registered ${jid}`);
        return 0;
      }
      if (sub === 'remove') {
        await mailboxes.add({ kind: 'control', user: jid, action: 'logout' });
        await store.remove(jid);
        console.log(`removed ${jid}`);
        return 0;
      }
    } finally {
      await mailboxes.close();
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
