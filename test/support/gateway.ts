// roomgate itself, in the test process, against a private stack: demo network on a free port,
// its own Redis key prefix, a world written for the test; or another plugin with its options
// (`plugin: { name: 'irc', options }`).
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.ts';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';
import { makeTempDir, removeTempDir } from './daemon.ts';
import type { TestStack } from './stack.ts';
import { xml, type Element, type TestClient } from './xmpp-client.ts';

export interface TestGateway {
  gateway: Gateway;
  /** Base URL of the demo network's HTTP API ('' with another plugin). */
  demoUrl: string;
  prefix: string;
  /** The configuration as a JSON file, for the CLI. */
  configPath: string;
  /** Calls the demo HTTP API; resolves with status and parsed JSON (if any). */
  demo(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** The demo world (demo plugin only). */
  world?: unknown;
  /** More options of the demo plugin. */
  demoOptions?: Record<string, unknown>;
  /** Another plugin than demo, with its options. */
  plugin?: { name: string; options?: Record<string, unknown> };
  partitions?: number;
  prefix?: string;
  /** Turns the inspector page on, on this port. */
  inspectPort?: number;
  /** See config `xmpp.writeSilentMs`. */
  writeSilentMs?: number;
  /** Another way to the stack's Redis (a proxy in front of it). */
  redisUrl?: string;
  /** Where roomgate logs (default: stdout, at ROOMGATE_TEST_LOG's level, silent if unset). */
  log?: Logger;
  /** Config `rooms` (e.g. `alwaysInviteWhenAddingBookmarks`). */
  rooms?: Record<string, unknown>;
  /** Config `upload` (where attachments go); default: the stack's upload service, where it has one. */
  upload?: Record<string, unknown>;
}

export async function startTestGateway(stack: TestStack, opts: TestGatewayOptions): Promise<TestGateway> {
  const dir = makeTempDir('rg-gw-');
  const worldPath = join(dir, 'world.json');
  if (!opts.plugin) await writeFile(worldPath, JSON.stringify(opts.world ?? { rooms: [] }));
  const plugin = opts.plugin
    ? { name: opts.plugin.name, options: opts.plugin.options ?? {} }
    : { name: 'demo', options: { world: worldPath, httpPort: 0, shiftTimestamps: false, ...opts.demoOptions } };
  const prefix = opts.prefix ?? `test:${randomUUID()}`;
  const config = parseConfig({
    component: { jid: stack.component.jid, secret: stack.component.secret },
    xmpp: {
      host: '127.0.0.1', port: Number(new URL(stack.component.service).port),
      ...(opts.writeSilentMs !== undefined ? { writeSilentMs: opts.writeSilentMs } : {}),
    },
    redis: { url: opts.redisUrl ?? stack.redis.url, prefix },
    partitions: opts.partitions ?? 4,
    plugin,
    log: { level: process.env.ROOMGATE_TEST_LOG ?? 'silent' },
    ...(opts.inspectPort ? { inspect: { port: opts.inspectPort } } : {}),
    ...(opts.rooms ? { rooms: opts.rooms } : {}),
    ...(opts.upload ? { upload: opts.upload } : stack.prosody.upload ? { upload: { service: stack.prosody.upload.service } } : {}),
  }, {});
  const configPath = join(dir, 'roomgate.json');
  await writeFile(configPath, JSON.stringify(config));
  const gateway = await startGateway(config, opts.log ?? createLogger(config.log.level));
  const demoUrl = plugin.name === 'demo' ? `http://127.0.0.1:${(gateway.shared as DemoShared).http!.port}` : '';
  return {
    gateway, demoUrl, prefix, configPath,
    async demo(method, path, body) {
      const res = await fetch(`${demoUrl}${path}`, {
        method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async stop() {
      await gateway.stop();
      await removeTempDir(dir);
    },
  };
}

/** Registers the client's user with the gateway (XEP-0077, the nickname field); returns the gateway's answer. */
export function registerUser(client: TestClient, nickname: string, gateway = 'gw.localhost'): Promise<Element> {
  return client.iq(xml('iq', { type: 'set', to: gateway }, xml('query', { xmlns: 'jabber:iq:register' }, xml('nickname', {}, nickname))));
}
