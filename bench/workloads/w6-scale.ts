/**
 * W6 scale-out: the same traffic with 1, 2 and 4 worker processes (plus one edge process) on
 * one Redis, with the demo network served from this process and replicated by the workers;
 * then the failover time: a worker is SIGKILLed while a room it owns receives a message every
 * 10 ms, and the time from the kill to the first message posted after it reaching the client.
 *
 * One user per partition: every worker then carries the same share of the traffic, whichever
 * partitions it holds (with users hashed at random, 2 workers may get 5 and 3 of 8).
 *
 * With `--cap-cores C` (and a writable CPU cgroup), the series is run again with each worker
 * held to C of one core: on a machine with fewer cores than workers plus Prosody, Redis, the
 * edge and the client, that is how the gain from more workers can be seen at all.
 *
 *   node --import tsx bench/workloads/w6-scale.ts [--messages N] [--workers 1,2,4] [--runs N] [--cap-cores 0.3]
 *
 * Prints one JSON line per measurement and writes bench/results/w6.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { userStore } from '../../src/actors/users.ts';
import { DemoNetwork, parseWorld, startDemoHttp } from '../../src/legacy/demo/index.ts';
import { Mailboxes } from '../../src/transport/mailbox.ts';
import { startStack, type DevStack } from '../../src/devstack/stack.ts';
import { makeTempDir, removeTempDir } from '../../src/devstack/daemon.ts';
import { connectClient, xml, type TestClient } from '../../test/support/xmpp-client.ts';
import { spawnRoomgate, type RoomgateProcess } from '../../test/support/processes.ts';
import { partitionOf } from '../../src/actors/partitions.ts';
import { capCpu, cpuCapRoot, type CgroupRoot, type CpuCap } from '../lib/cpu-cap.ts';
import { procCpuMs, spread, type Spread } from '../lib/stats.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GW = 'gw.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const PARTITIONS = 16;
/** One user per partition (the first name of the series that falls in each). */
export const USERS = (() => {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < PARTITIONS; i++) {
    const p = partitionOf(`w6u${i}@localhost`, PARTITIONS);
    if (!byPartition.has(p)) byPartition.set(p, `w6u${i}`);
  }
  return [...byPartition.entries()].sort(([a], [b]) => a - b).map(([, user]) => user);
})();
const ROOMS_PER_USER = 2;
const roomsOf = (user: string) => Array.from({ length: ROOMS_PER_USER }, (_, i) => `${user}-r${i}`);
const silent = pino({ level: 'silent' });

export interface Throughput {
  workers: number;
  msgPerS: Spread;
  /** CPU of all the worker processes per 1,000 messages (ms), per run. */
  workerCpuMsPer1000: number[];
  /** Partition leases the workers lost meanwhile (their logs' "partition lease lost"): each one replays jobs. */
  leasesLost: number;
}

export interface W6Result {
  throughput: Throughput[];
  /** The same series with each worker held to `cores` of one core, or why it was not run. */
  capped: { cores: number; throughput: Throughput[] } | { skipped: string } | null;
  failoverMs: Spread;
  cores: number;
  /** What the traffic goes through: users (one per partition) × rooms each. */
  users: number;
  roomsPerUser: number;
}

interface Deployment {
  procs: RoomgateProcess[];
  /** Worker id → its process. */
  workers: Map<string, RoomgateProcess>;
  /** The workers' CPU caps, when the deployment is capped (see `capWorkers`). */
  caps: CpuCap[];
  clients: Map<string, TestClient>;
  redis: Redis;
  keys: ReturnType<typeof createKeys>;
  stop(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`W6: timed out waiting for ${what}`);
}

/** An edge and `workers` workers on a fresh key prefix, every user joined to their rooms. */
async function deploy(stack: DevStack, networkUrl: string, workers: number, dir: string): Promise<Deployment> {
  const prefix = `bench:${randomUUID()}`;
  const config = {
    component: { jid: GW, secret: stack.component.secret },
    xmpp: { host: '127.0.0.1', port: Number(new URL(stack.component.service).port) },
    redis: { url: stack.redis.url, prefix }, partitions: PARTITIONS,
    workers: { leaseTtlMs: 1500, tickMs: 300 },
    plugin: { name: 'demo', options: { networkUrl, shiftTimestamps: false, httpPort: 0 } },
    log: { level: 'info' },
  };
  const run = `w6-${workers}-${prefix.slice(-6)}`;
  const configPath = join(dir, `${run}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const keys = createKeys(prefix, PARTITIONS);
  const redis = new Redis(stack.redis.url);
  const procs = [spawnRoomgate('edge', configPath, dir, `${run}-edge`)];
  await procs[0]!.waitForLog(/"component online"/);
  for (let i = 0; i < workers; i++) procs.push(spawnRoomgate('worker', configPath, dir, `${run}-worker${i}`));
  const workerIds = new Map<string, RoomgateProcess>();
  for (const p of procs.slice(1)) workerIds.set(String((await p.waitForLog(/"worker started"/)).worker), p);
  const owners = async () => Promise.all(Array.from({ length: PARTITIONS }, (_, p) => redis.get(keys.partitionLease(p))));
  await until(`${workers} workers owning every partition`, async () => {
    const o = await owners();
    return !o.includes(null) && new Set(o.map((v) => v!.split('#')[0])).size === workers;
  });
  const users = userStore(redis, keys);
  const mailboxes = new Mailboxes(keys, redis);
  for (const user of USERS) {
    await users.put({ jid: `${user}@localhost`, registration: { nickname: user } });
    await mailboxes.add({ kind: 'control', user: `${user}@localhost`, action: 'login' });
  }
  await mailboxes.close();
  const clients = new Map<string, TestClient>();
  for (const user of USERS) {
    const client = await connectClient({ service: stack.c2sService, domain: stack.domain, username: user, password: `${user}-pw`, resource: 'bench' });
    clients.set(user, client);
    for (const room of roomsOf(user)) {
      await client.send(xml('presence', { to: `${room}@${GW}/${user}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
      await client.next((el) => el.name === 'message' && el.attrs.from?.startsWith(`${room}@${GW}`) === true && !!el.getChild('subject'), 30_000);
    }
  }
  const d: Deployment = {
    procs, workers: workerIds, clients, redis, keys, caps: [],
    async stop() {
      for (const c of clients.values()) await c.stop().catch(() => undefined);
      for (const p of procs.reverse()) await p.kill('SIGTERM').catch(() => undefined);
      for (const cap of d.caps) cap.release();
      redis.disconnect();
    },
  };
  return d;
}

const received = (client: TestClient, prefix: string) =>
  client.unconsumed().filter((el) => el.name === 'message' && el.getChildText('body')?.startsWith(prefix)).length;

/** Each worker's share of a core, and the cgroup hierarchy that holds it there. */
interface Cap { root: CgroupRoot; cores: number }

/** Holds every worker of `d` to its share of a core, once the deployment is up (start-up at a tenth of a core takes minutes). */
function capWorkers(d: Deployment, { root, cores }: Cap): void {
  for (const [id, p] of d.workers) d.caps.push(capCpu(root, p.child.pid!, cores, `w6-${id.slice(0, 8)}`));
}

const countLines = (file: string, text: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(text)).length;

const workersCpuMs = (d: Deployment) => [...d.workers.values()].reduce((sum, p) => sum + procCpuMs(p.child.pid!), 0);

/** Posts `count` messages spread over every room; resolves with messages/s until all delivered. */
async function throughput(network: DemoNetwork, d: Deployment, count: number, tag: string): Promise<{ rate: number; workerCpuMs: number }> {
  const cpu0 = workersCpuMs(d);
  const rooms = USERS.flatMap((user) => roomsOf(user).map((room) => ({ user, room })));
  const perUser = new Map(USERS.map((u) => [u, 0]));
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const { user, room } = rooms[i % rooms.length]!;
    network.post(room, { from: 'bob', body: `${tag} ${i}` });
    perUser.set(user, perUser.get(user)! + 1);
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve)); // let the journal be read
  }
  await until('every message delivered', () => USERS.every((u) => received(d.clients.get(u)!, `${tag} `) >= perUser.get(u)!), 120_000);
  const seconds = (performance.now() - start) / 1000;
  const workerCpuMs = workersCpuMs(d) - cpu0;
  for (const c of d.clients.values()) c.unconsumed().splice(0); // keep the buffers small between runs
  return { rate: count / seconds, workerCpuMs };
}

/** The throughput with 1, 2, 4 ... workers (each held to its share of a core when `cap` is given). */
async function series(stack: DevStack, network: DemoNetwork, networkUrl: string, dir: string, opts: { messages: number; workers: number[]; runs: number }, cap?: Cap): Promise<Throughput[]> {
  const out: Throughput[] = [];
  for (const workers of opts.workers) {
    const d = await deploy(stack, networkUrl, workers, dir);
    try {
      const tag = `${cap ? 'c' : ''}w${workers}`;
      // Warmed up before the cap and at full size: a worker's CPU per message falls 2-5x from
      // its first thousands of messages (code compiled as it runs hot) to the next, and a capped
      // worker warming up meanwhile measured 700-3,400 msg/s in one series. Each worker gets
      // the same warm-up whatever their number: with 2 × messages shared by 2 workers, the
      // first measured runs still spent twice the CPU per message of the later ones (580-640
      // against 300-340 ms per 4,000), which made the series bimodal (sixteenth pass).
      await throughput(network, d, 4 * workers * opts.messages, `warm-${tag}`);
      if (cap) capWorkers(d, cap);
      const runs: { rate: number; workerCpuMs: number }[] = [];
      for (let r = 0; r < opts.runs; r++) runs.push(await throughput(network, d, opts.messages, `${tag}r${r}`));
      const t: Throughput = {
        workers, msgPerS: spread(runs.map((r) => r.rate)),
        workerCpuMsPer1000: runs.map((r) => Math.round((r.workerCpuMs / opts.messages) * 1000)),
        leasesLost: [...d.workers.values()].reduce((n, p) => n + countLines(p.logFile, '"partition lease lost"'), 0),
      };
      out.push(t);
      console.log(JSON.stringify({ workload: 'W6', ...(cap ? { capCores: cap.cores } : {}), ...t }));
    } finally {
      await d.stop();
    }
  }
  return out;
}

/** Kill the owner of a room's partition mid-stream: ms from the kill to the first message posted after it. */
async function failover(network: DemoNetwork, d: Deployment): Promise<number> {
  const user = USERS[0]!;
  const room = roomsOf(user)[0]!;
  const lease = await d.redis.get(d.keys.partitionLease(d.keys.partitionOf(`${user}@localhost`)));
  const ownerId = lease!.split('#')[0]!;
  const victim = d.workers.get(ownerId)!;
  let i = 0;
  let killedAt = 0;
  let firstAfter = -1;
  const client = d.clients.get(user)!;
  const timer = setInterval(() => {
    network.post(room, { from: 'bob', body: `fo ${i}` });
    if (killedAt && firstAfter < 0) firstAfter = i;
    i++;
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, 500));
  killedAt = performance.now();
  await victim.kill('SIGKILL');
  await until('a message posted after the kill', () => firstAfter >= 0 && client.unconsumed().some((el) => {
    const n = Number(el.getChildText('body')?.replace(/^fo /, '') ?? Number.NaN);
    return Number.isFinite(n) && n >= firstAfter;
  }), 30_000);
  const ms = performance.now() - killedAt;
  clearInterval(timer);
  return ms;
}

export async function w6(opts: { messages: number; workers: number[]; runs: number; capCores?: number }): Promise<W6Result> {
  const stack = await startStack({ accounts: USERS.map((user) => ({ user, password: `${user}-pw` })) });
  const dir = makeTempDir('w6');
  const world = parseWorld({
    rooms: USERS.flatMap((user) => roomsOf(user).map((id) => ({ id, name: id, type: 'channel', members: [`${user}@localhost`], participants: [{ nick: 'bob' }] }))),
  });
  const network = new DemoNetwork(world, { log: silent });
  const http = await startDemoHttp(network, { host: '127.0.0.1', port: 0, log: silent });
  const networkUrl = `http://127.0.0.1:${http.port}`;
  const result: W6Result = {
    throughput: [], capped: null, failoverMs: spread([]), cores: (await import('node:os')).cpus().length,
    users: USERS.length, roomsPerUser: ROOMS_PER_USER,
  };
  try {
    result.throughput = await series(stack, network, networkUrl, dir, opts);
    if (opts.capCores !== undefined) {
      const root = cpuCapRoot();
      result.capped = 'reason' in root ? { skipped: root.reason }
        : { cores: opts.capCores, throughput: await series(stack, network, networkUrl, dir, opts, { root, cores: opts.capCores }) };
    }
    const times: number[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const d = await deploy(stack, networkUrl, 2, dir);
      try {
        times.push(await failover(network, d));
      } finally {
        await d.stop();
      }
    }
    result.failoverMs = spread(times);
    console.log(JSON.stringify({ workload: 'W6', failoverMs: result.failoverMs }));
  } finally {
    await http.close();
    await stack.stop();
    await removeTempDir(dir);
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: {
    messages: { type: 'string', default: '4000' }, workers: { type: 'string', default: '1,2,4' }, runs: { type: 'string', default: '3' },
    'cap-cores': { type: 'string' },
  } });
  const res = await w6({
    messages: Number(values.messages), workers: values.workers!.split(',').map(Number), runs: Number(values.runs),
    ...(values['cap-cores'] ? { capCores: Number(values['cap-cores']) } : {}),
  });
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/w6.json'), JSON.stringify({ date: new Date().toISOString(), ...res }, null, 2));
  process.exit(0);
}
