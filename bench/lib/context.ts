/** The private stack of a bench run and what every workload needs from it. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { makeTempDir } from '../../test/support/daemon.ts';
import { startStack, type TestStack } from '../../test/support/stack.ts';
import { connectBenchClient, xml, type BenchClient } from './client.ts';
import { startGateway, type GatewayHandle, type GatewayMode, type GatewaySpec } from './gateway.ts';
import { writeWorld, type WorldPlan } from './world.ts';

export const GW = 'gw.localhost';
/** roomgate's default partition count, set explicitly so keys can be computed here. */
export const PARTITIONS = 16;
export const MUC = 'http://jabber.org/protocol/muc';
const REGISTER = 'jabber:iq:register';
const XDATA = 'jabber:x:data';

export const ACCOUNTS = ['bench', 'ceila', 'ceilb'].map((user) => ({ user, password: `${user}-pw` }));

export interface BenchOptions {
  quick: boolean;
  only: Set<string> | null;
  runs: number;
  /** W2/W3 message count. */
  messages: number;
  ceilingMessages: number;
  w1Sizes: number[];
  /** Where roomgate runs for W2/W3 ('child' is what the table reports). */
  modes: GatewayMode[];
  w5Rooms: [number, number][];
  profile: boolean;
  /** Prosody's Lua collector: 'generational' (what the docs recommend) or Lua's 'default', as the peers were measured. */
  prosodyGc?: 'generational' | 'default';
  /** Per-wait timeout for a workload step, ms. */
  timeoutMs: number;
}

export class BenchContext {
  readonly dir: string;
  readonly worldPath: string;
  private constructor(readonly stack: TestStack, readonly opts: BenchOptions, dir: string) {
    this.dir = dir;
    this.worldPath = join(dir, 'world.json');
  }

  static async start(opts: BenchOptions, plan: WorldPlan): Promise<BenchContext> {
    const stack = await startStack({ accounts: ACCOUNTS, componentJid: GW, prosody: { logLevel: 'warn', gc: opts.prosodyGc } });
    const ctx = new BenchContext(stack, opts, makeTempDir('bench'));
    await writeWorld(ctx.worldPath, plan);
    return ctx;
  }

  /** Process ids of the servers, for CPU accounting. */
  async serverPids(): Promise<{ prosody: number; redis: number }> {
    const redis = new Redis(this.stack.redis.url);
    try {
      const info = await redis.info('server');
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
      let prosody = 0;
      try { prosody = Number(readFileSync(join(this.stack.prosody.dir, 'prosody.pid'), 'utf8').trim()); } catch { /* no pid file */ }
      return { prosody, redis: pid };
    } finally {
      redis.disconnect();
    }
  }

  spec(prefix: string): GatewaySpec {
    return {
      dir: this.dir,
      component: { jid: this.stack.component.jid, secret: this.stack.component.secret, port: this.stack.prosody.componentPort },
      redisUrl: this.stack.redis.url, prefix, worldPath: this.worldPath, partitions: PARTITIONS,
    };
  }

  newPrefix(tag: string): string { return `bench:${tag}:${randomUUID().slice(0, 8)}`; }

  startGateway(mode: GatewayMode, prefix: string): Promise<GatewayHandle> {
    return startGateway(mode, this.spec(prefix));
  }

  connect(username: string, resource = 'bench'): Promise<BenchClient> {
    const a = ACCOUNTS.find((x) => x.user === username)!;
    return connectBenchClient({ service: this.stack.c2sService, domain: this.stack.domain, username, password: a.password, resource });
  }

  /** XEP-0077 registration with the gateway (nickname = the account name). */
  async register(c: BenchClient): Promise<void> {
    const nick = c.bareJid.split('@')[0]!;
    const reply = await c.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER },
      xml('x', { xmlns: XDATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, REGISTER)),
        xml('field', { var: 'nickname' }, xml('value', {}, nick))))), 30_000);
    if (reply.attrs.type !== 'result') throw new Error(`registration refused: ${reply.toString()}`);
  }

  /** A ping through the user's partition mailbox: resolves once the worker answers. */
  async ping(c: BenchClient): Promise<void> {
    const reply = await c.iq(xml('iq', { type: 'get', to: GW }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 30_000);
    if (reply.attrs.type !== 'result') throw new Error(`gateway ping failed: ${reply.toString()}`);
  }

  redis(): Redis { return new Redis(this.stack.redis.url); }

  private statsConn: Redis | null = null;

  /** Redis `INFO commandstats`: calls and µs per command (commands run by Lua scripts included). */
  async redisCommandStats(): Promise<Record<string, { calls: number; usec: number }>> {
    this.statsConn ??= new Redis(this.stack.redis.url);
    const info = await this.statsConn.info('commandstats');
    const out: Record<string, { calls: number; usec: number }> = {};
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
    return out;
  }

  async stop(): Promise<void> {
    this.statsConn?.disconnect();
    await this.stack.stop();
  }
}
