/**
 * The composition root: the only file that opens real connections (Redis, XMPP, the plugin's
 * network). A process runs an edge, a worker, or both (`roomgate start`, the default).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { connectRedis, watchRedis } from './redis.ts';
import { createKeys, type Keys } from './actors/keys.ts';
import { startWorker, type RunningWorker } from './actors/runtime.ts';
import { BUNDLED_PLUGINS } from './legacy/plugins.ts';
import type { AnyPlugin } from './legacy/plugin.ts';
import { startEdge, type Edge } from './transport/edge.ts';
import { Mailboxes } from './transport/mailbox.ts';
import { pendingOutbound } from './transport/outbox.ts';
import { Inspector } from './actors/inspector.ts';
import { startInspectHttp, type InspectHttp } from './transport/inspect-http.ts';

/** How long a stopping gateway waits for its last stanzas to be written. */
export const OUTBOX_DRAIN_TIMEOUT_MS = 5000;

export interface Gateway {
  keys: Keys;
  /** The inspector page's port, when it is on. */
  inspectPort(): number | null;
  worker: RunningWorker | null;
  edge: Edge | null;
  plugin: AnyPlugin | null;
  shared: unknown;
  stop(): Promise<void>;
}

export interface Roles {
  edge: boolean;
  worker: boolean;
}

export function findPlugin(name: string): AnyPlugin {
  const plugin = BUNDLED_PLUGINS[name];
  if (!plugin) throw new Error(`unknown plugin '${name}' (bundled: ${Object.keys(BUNDLED_PLUGINS).join(', ')})`);
  return plugin;
}

async function waitForDrained(redis: Redis, keys: Keys, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await pendingOutbound(redis, keys).catch(() => 0)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startGateway(config: Config, log: Logger, roles: Roles = { edge: true, worker: true }): Promise<Gateway> {
  const keys = createKeys(config.redis.prefix, config.partitions);
  const redis = connectRedis(config.redis.url, log.child({ module: 'redis' }));
  await redis.ping();
  const unwatch = watchRedis(redis, log.child({ module: 'redis' }));
  // BullMQ duplicates the connection for blocking reads; an edge with a worker beside it hands it what it parsed
  const mailboxes = new Mailboxes(keys, redis, { keepParsed: roles.edge && roles.worker, log: log.child({ module: 'mailbox' }) });
  const gatewayJid = config.component.jid;
  let plugin: AnyPlugin | null = null;
  let shared: unknown = null;
  let worker: RunningWorker | null = null;
  let edge: Edge | null = null;
  let inspectHttp: InspectHttp | null = null;

  const closeAll = async () => {
    unwatch();
    await inspectHttp?.close();
    await plugin?.stop?.(shared);
    await mailboxes.close();
    await redis.quit().catch(() => redis.disconnect());
  };

  try {
    if (roles.worker) {
      plugin = findPlugin(config.plugin.name);
      shared = await plugin.start({ options: config.plugin.options, log: log.child({ module: 'plugin', plugin: plugin.name }) });
      const inspector = config.inspect.port ? new Inspector() : null;
      worker = await startWorker({
        gatewayJid, plugin, shared, redis, connection: redis, keys, mailboxes, log: log.child({ module: 'worker' }),
        idleBeforeHibernateMs: config.rooms.idleBeforeHibernateMs,
        alwaysInviteWhenAddingBookmarks: config.rooms.alwaysInviteWhenAddingBookmarks,
        archiveMaxDays: config.archive.maxDays, archiveSweepEveryMs: config.archive.sweepEveryMs,
        ownership: config.workers, upload: config.upload,
        ...(inspector ? { inspector } : {}),
      });
      if (inspector) inspectHttp = await startInspectHttp(inspector, { ...config.inspect, log: log.child({ module: 'inspect' }) });
    }
    if (roles.edge) {
      edge = await startEdge({
        service: `xmpp://${config.xmpp.host}:${config.xmpp.port}`, domain: gatewayJid, secret: config.component.secret,
        keys, redis, mailboxes, log: log.child({ module: 'edge' }), leaseTtlMs: config.workers.leaseTtlMs,
        writeSilentMs: config.xmpp.writeSilentMs, receipts: config.xmpp.receipts,
      }).catch((err: Error) => {
        throw new Error(`cannot connect the component to ${config.xmpp.host}:${config.xmpp.port}: ${err.message}`);
      });
    }
  } catch (err) {
    await worker?.stop();
    await closeAll();
    throw err;
  }
  log.info({ jid: gatewayJid, edge: roles.edge, worker: roles.worker, plugin: plugin?.name }, 'roomgate started');

  return {
    keys, worker, edge, plugin, shared,
    inspectPort: () => inspectHttp?.port ?? null,
    async stop() {
      // a whole gateway stopping tells joined resources (332) and lets the edge write that out
      await worker?.stop({ shutdown: roles.edge });
      if (edge) {
        await waitForDrained(redis, keys, OUTBOX_DRAIN_TIMEOUT_MS);
        await edge.stop();
      }
      await closeAll();
    },
  };
}
