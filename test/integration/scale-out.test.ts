// Scale-out for real: an edge, three worker processes and a shared demo network, on one Redis
// and a real Prosody. Workers are killed with SIGKILL mid-stream, a worker joins under load,
// the edge dies and a standby takes over; every message must reach the client exactly once,
// in order per room, and be archived once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readArchive } from '../../src/actors/archive.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import { createKeys, type Keys } from '../../src/actors/keys.ts';
import { NS_MUC as MUC } from '../../src/transport/xmpp/ns.ts';
import { startStack, type TestStack } from '../support/stack.ts';
import { connectClient, xml, type Element, type TestClient } from '../support/xmpp-client.ts';
import { makeTempDir } from '../support/daemon.ts';
import { freePort } from '../support/ports.ts';
import { spawnRoomgate, type RoomgateProcess } from '../support/processes.ts';
import { startRedisProxy, type RedisProxy } from '../support/redis-proxy.ts';

const run = promisify(execFile);
const GW = 'gw.localhost';
const PARTITIONS = 8;
const USERS = ['romeo', 'juliet', 'mercutio'];
const ROOMS_PER_USER = 3;
const roomsOf = (user: string) => Array.from({ length: ROOMS_PER_USER }, (_, i) => `${user}-room${i}`);

interface Setup {
  stack: TestStack;
  dir: string;
  configPath: string;
  keys: Keys;
  redis: Redis;
  demoUrl: string;
  procs: RoomgateProcess[];
  clients: Map<string, TestClient>;
  /** In front of Redis for the gateway's processes, with `cutRedis` (the test's own client goes straight). */
  proxy?: RedisProxy;
}

async function setUp(opts: { cutRedis?: boolean } = {}): Promise<Setup> {
  const stack = await startStack({ accounts: USERS.map((user) => ({ user, password: `${user}-pw` })) });
  const proxy = opts.cutRedis ? await startRedisProxy({ host: '127.0.0.1', port: stack.redis.port }) : undefined;
  const dir = makeTempDir('scale');
  const world = {
    rooms: USERS.flatMap((user) => roomsOf(user).map((id) => ({
      id, name: id, type: 'channel', members: [`${user}@localhost`], participants: [{ nick: 'bob' }],
    }))),
  };
  const worldPath = join(dir, 'world.json');
  await writeFile(worldPath, JSON.stringify(world));
  const httpPort = await freePort();
  const prefix = `test:${randomUUID()}`;
  const config = {
    component: { jid: GW, secret: stack.component.secret },
    xmpp: { host: '127.0.0.1', port: Number(new URL(stack.component.service).port) },
    redis: { url: proxy?.url ?? stack.redis.url, prefix },
    partitions: PARTITIONS,
    workers: { leaseTtlMs: 1500, tickMs: 300 },
    plugin: { name: 'demo', options: { world: worldPath, httpPort, shiftTimestamps: false, networkUrl: `http://127.0.0.1:${httpPort}` } },
    log: { level: 'info' },
  };
  const configPath = join(dir, 'roomgate.json');
  await writeFile(configPath, JSON.stringify(config));
  const keys = createKeys(prefix, PARTITIONS);
  const redis = new Redis(stack.redis.url);
  return { stack, dir, configPath, keys, redis, demoUrl: `http://127.0.0.1:${httpPort}`, procs: [], clients: new Map(), ...(proxy ? { proxy } : {}) };
}

function start(s: Setup, role: string, name: string): RoomgateProcess {
  const proc = spawnRoomgate(role, s.configPath, s.dir, name);
  s.procs.push(proc);
  return proc;
}

/** Partition → worker id, as the leases say. */
async function owners(s: Setup): Promise<(string | null)[]> {
  return Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await s.redis.get(s.keys.partitionLease(p)))?.split('#')[0] ?? null));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function workerIds(workers: RoomgateProcess[]): Promise<Map<string, RoomgateProcess>> {
  const ids = new Map<string, RoomgateProcess>();
  for (const w of workers) ids.set(String((await w.waitForLog(/"worker started"/)).worker), w);
  return ids;
}

async function addUsers(s: Setup): Promise<void> {
  for (const user of USERS) {
    await run(process.execPath, ['bin/roomgate.js', 'users', 'add', `${user}@localhost`, '--field', `nickname=${user}`, '--config', s.configPath]);
  }
}

async function joinAll(s: Setup): Promise<void> {
  for (const user of USERS) {
    const client = await connectClient({ service: s.stack.c2sService, domain: s.stack.domain, username: user, password: `${user}-pw`, resource: 'test' });
    s.clients.set(user, client);
    for (const room of roomsOf(user)) {
      await client.send(xml('presence', { to: `${room}@${GW}/${user}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
      await client.next((el) => el.name === 'message' && el.attrs.from?.startsWith(`${room}@${GW}`) && !!el.getChild('subject'), 20_000);
    }
  }
}

/** The network, an edge and three workers sharing the partitions; the users registered and joined. Worker id → process. */
async function startThreeWorkers(s: Setup): Promise<Map<string, RoomgateProcess>> {
  await start(s, 'demo-network', 'network').waitForLog(/demo network ready/);
  await start(s, 'edge', 'edge').waitForLog(/"component online"/);
  const ids = await workerIds([start(s, 'worker', 'worker1'), start(s, 'worker', 'worker2'), start(s, 'worker', 'worker3')]);
  await waitUntil('the partitions spread over three workers', async () => {
    const o = await owners(s);
    return o.every((w) => w !== null) && new Set(o).size === 3;
  });
  await addUsers(s);
  await joinAll(s);
  return ids;
}

/** Steady traffic both ways in every room; `during(i)` runs after round i. */
async function traffic(s: Setup, rounds: number, during: (round: number) => Promise<void>): Promise<void> {
  for (let i = 1; i <= rounds; i++) {
    for (const user of USERS) {
      const client = s.clients.get(user)!;
      for (const room of roomsOf(user)) {
        await client.send(xml('message', { to: `${room}@${GW}`, type: 'groupchat', id: `${room}-c${i}` }, xml('body', {}, `${room} c${i}`)));
        const res = await fetch(`${s.demoUrl}/demo/rooms/${encodeURIComponent(room)}/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'bob', body: `${room} n${i}`, id: `${room}-n${i}` }),
        });
        assert.equal(res.status, 201);
      }
    }
    await during(i);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

/** Every client gets, per room, c1..cN (echoes) and n1..nN (network) exactly once and in order. */
async function checkDelivery(s: Setup, rounds: number): Promise<void> {
  const bodies = (client: TestClient, room: string) => client.unconsumed()
    .filter((el: Element) => el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.from?.startsWith(`${room}@${GW}/`))
    .map((el: Element) => el.getChildText('body'))
    .filter((b: string | null): b is string => b !== null);
  const expected = (room: string, kind: 'c' | 'n') => Array.from({ length: rounds }, (_, i) => `${room} ${kind}${i + 1}`);
  await waitUntil('every message delivered', async () => USERS.every((user) => roomsOf(user).every((room) =>
    bodies(s.clients.get(user)!, room).length >= 2 * rounds)), 45_000);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // late duplicates would show up here
  for (const user of USERS) {
    for (const room of roomsOf(user)) {
      const got = bodies(s.clients.get(user)!, room);
      assert.deepEqual(got.filter((b) => b.startsWith(`${room} c`)), expected(room, 'c'), `${user} ${room}: echoes`);
      assert.deepEqual(got.filter((b) => b.startsWith(`${room} n`)), expected(room, 'n'), `${user} ${room}: network messages`);
      const archived = (await readArchive(withScripts(s.redis), s.keys.archive(`${user}@localhost`, room), 0))
        .map((e) => /<body>([^<]*)<\/body>/.exec(e.xml)?.[1]).filter(Boolean).sort();
      assert.deepEqual(archived, [...expected(room, 'c'), ...expected(room, 'n')].sort(), `${user} ${room}: archived once`);
    }
  }
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  for (const client of s.clients.values()) await client.stop().catch(() => undefined);
  for (const proc of s.procs.reverse()) await proc.kill('SIGTERM').catch(() => undefined);
  s.redis.disconnect();
  await s.proxy?.stop();
  await s.stack.stop();
}

describe('scale-out: a worker killed mid-stream', () => {
  let s: Setup;
  before(async () => { s = await setUp(); });
  after(async () => tearDown(s));

  test('its partitions move to the others and every message arrives exactly once, in order, archived once', async () => {
    const ids = await startThreeWorkers(s);

    const romeoPartition = s.keys.partitionOf('romeo@localhost');
    const victimId = (await owners(s))[romeoPartition]!;
    const victim = ids.get(victimId)!;
    const rounds = 30;
    await traffic(s, rounds, async (i) => {
      if (i === 10) await victim.kill('SIGKILL');
    });
    await waitUntil('the dead worker’s partitions taken over', async () => {
      const o = await owners(s);
      return o.every((w) => w !== null && w !== victimId);
    });
    await checkDelivery(s, rounds);
  });
});

describe('scale-out: Redis connections cut under load, and a worker killed', () => {
  let s: Setup;
  before(async () => { s = await setUp({ cutRedis: true }); });
  after(async () => tearDown(s));

  test('every connection of every process cut after each round: every message arrives exactly once, in order, archived once', async () => {
    const ids = await startThreeWorkers(s);
    const victim = ids.get((await owners(s))[s.keys.partitionOf('juliet@localhost')]!)!;
    // fetches, commits, outbox reads and lease renewals lose their answers, again and again
    const rounds = 60;
    await traffic(s, rounds, async (i) => {
      s.proxy!.cutAll();
      if (i === 20) await victim.kill('SIGKILL');
    });
    await checkDelivery(s, rounds);
  });
});

describe('scale-out: a fourth worker joins under load', () => {
  let s: Setup;
  before(async () => { s = await setUp(); });
  after(async () => tearDown(s));

  test('partitions rebalance to it with no loss or reordering', async () => {
    await start(s, 'demo-network', 'network').waitForLog(/demo network ready/);
    await start(s, 'edge', 'edge').waitForLog(/"component online"/);
    await workerIds([start(s, 'worker', 'worker1'), start(s, 'worker', 'worker2'), start(s, 'worker', 'worker3')]);
    await waitUntil('three owners', async () => new Set(await owners(s)).size === 3 && !(await owners(s)).includes(null));
    await addUsers(s);
    await joinAll(s);
    const rounds = 30;
    let fourth: RoomgateProcess | null = null;
    await traffic(s, rounds, async (i) => {
      if (i === 8) fourth = start(s, 'worker', 'worker4');
    });
    const fourthId = String((await fourth!.waitForLog(/"worker started"/)).worker);
    await waitUntil('the fourth worker owns partitions', async () => (await owners(s)).includes(fourthId));
    await checkDelivery(s, rounds);
  });
});

describe('scale-out: the edge killed, a standby takes over', () => {
  let s: Setup;
  before(async () => { s = await setUp(); });
  after(async () => tearDown(s));

  test('what the workers sent meanwhile reaches the client once the standby is online', async () => {
    await start(s, 'demo-network', 'network').waitForLog(/demo network ready/);
    const active = start(s, 'edge', 'edge1');
    await active.waitForLog(/"component online"/);
    const standby = start(s, 'edge', 'edge2');
    await standby.waitForLog(/edge standing by/);
    await workerIds([start(s, 'worker', 'worker1'), start(s, 'worker', 'worker2')]);
    await waitUntil('every partition owned', async () => !(await owners(s)).includes(null));
    await addUsers(s);
    await joinAll(s);

    const rounds = 20;
    await active.kill('SIGKILL');
    // legacy traffic only while no edge is connected: what XMPP clients send then is bounced
    // by Prosody itself (no component), which a client sees and resends
    for (let i = 1; i <= rounds; i++) {
      for (const user of USERS) {
        for (const room of roomsOf(user)) {
          const res = await fetch(`${s.demoUrl}/demo/rooms/${encodeURIComponent(room)}/messages`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'bob', body: `${room} n${i}`, id: `${room}-n${i}` }),
          });
          assert.equal(res.status, 201);
        }
      }
    }
    await standby.waitForLog(/"component online"/, 20_000);
    const bodies = (user: string, room: string) => s.clients.get(user)!.unconsumed()
      .filter((el: Element) => el.name === 'message' && el.attrs.from === `${room}@${GW}/bob`)
      .map((el: Element) => el.getChildText('body'));
    await waitUntil('every message delivered through the standby', async () =>
      USERS.every((user) => roomsOf(user).every((room) => bodies(user, room).length >= rounds)), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const user of USERS) {
      for (const room of roomsOf(user)) {
        assert.deepEqual(bodies(user, room), Array.from({ length: rounds }, (_, i) => `${room} n${i + 1}`), `${user} ${room}`);
      }
    }
  });
});
