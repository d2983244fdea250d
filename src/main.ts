/**
 * The composition root: the only file that opens real connections (Redis, XMPP, the plugin's
 * network). `startGateway` runs an edge and a worker in one process, the default deployment.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createKeys } from './actors/keys.ts';
import { startWorker, type RunningWorker } from './actors/runtime.ts';
import { BUNDLED_PLUGINS } from './legacy/plugins.ts';
import type { AnyPlugin } from './legacy/plugin.ts';
import { startEdge, type Edge } from './transport/edge.ts';
import { Mailboxes } from './transport/mailbox.ts';
import { Outbox } from './transport/outbox.ts';

/** How long a stopping gateway waits for the outbox to empty. */
export const OUTBOX_DRAIN_TIMEOUT_MS = 5000;

async function waitForDrained(outbox: Outbox, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await outbox.pending().catch(() => 0)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Gateway {
  worker: RunningWorker;
  edge: Edge;
  plugin: AnyPlugin;
  shared: unknown;
  stop(): Promise<void>;
}

export function findPlugin(name: string): AnyPlugin {
  const plugin = BUNDLED_PLUGINS[name];
  if (!plugin) throw new Error(`unknown plugin '${name}' (bundled: ${Object.keys(BUNDLED_PLUGINS).join(', ')})`);
  return plugin;
}

/** A Redis client that reports trouble as log lines and retries, instead of crashing. */
export function connectRedis(url: string, log: Logger, extra: Record<string, unknown> = {}): Redis {
  // BullMQ needs maxRetriesPerRequest null on the connections it blocks on
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false, ...extra });
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.error({ err: err.message }, 'redis unreachable, retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return redis;
}

export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const plugin = findPlugin(config.plugin.name);
  const keys = createKeys(config.redis.prefix, config.partitions);
  const redis = connectRedis(config.redis.url, log.child({ module: 'redis' }));
  await redis.ping();
  const connection = redis; // BullMQ duplicates it for its blocking connections
  const shared = await plugin.start({ options: config.plugin.options, log: log.child({ module: 'plugin', plugin: plugin.name }) });
  const mailboxes = new Mailboxes(keys, connection);
  const outbox = new Outbox(keys, connection);
  const gatewayJid = config.component.jid;
  const worker = await startWorker({
    gatewayJid, plugin, shared, redis, connection, keys, mailboxes, outbox, log: log.child({ module: 'worker' }),
    idleBeforeHibernateMs: config.rooms.idleBeforeHibernateMs,
  });
  let edge: Edge;
  try {
    edge = await startEdge({
      service: `xmpp://${config.xmpp.host}:${config.xmpp.port}`, domain: gatewayJid, secret: config.component.secret,
      keys, connection, mailboxes, log: log.child({ module: 'edge' }),
    });
  } catch (err) {
    await worker.stop();
    await plugin.stop?.(shared);
    await Promise.all([mailboxes.close(), outbox.close()]);
    redis.disconnect();
    throw new Error(`cannot connect the component to ${config.xmpp.host}:${config.xmpp.port}: ${(err as Error).message}`);
  }
  log.info({ jid: gatewayJid, plugin: plugin.name }, 'roomgate started');
  return {
    worker, edge, plugin, shared,
    async stop() {
      // the worker's last words (332 to joined resources) still go out before the edge closes
      await worker.stop();
      await waitForDrained(outbox, OUTBOX_DRAIN_TIMEOUT_MS);
      await edge.stop();
      await plugin.stop?.(shared);
      await Promise.all([mailboxes.close(), outbox.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
