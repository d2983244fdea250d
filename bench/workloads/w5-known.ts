/**
 * W5, known rooms: the memory of a worker that knows 100,000 rooms (each joined once: a
 * snapshot in Redis and the user's room index), of which 1,000 are active (actors in memory)
 * and the rest hibernated. Opt-in (`npm run bench -- --only W5K`, ~2–3 minutes a run), or
 * standalone: `node --import tsx bench/workloads/w5-known.ts [--runs N] [--known N] [--active N]`.
 *
 * Per run, two fresh roomgate children (node --expose-gc), each on its own key prefix, with the
 * same world of 100,000 demo rooms (so the demo network, which lives in roomgate's process as the
 * legacy side, costs the same in both):
 *  - base: no user is a member of any room but the warm-up room (joined, left, hibernated):
 *    heap and RSS after forced GC: the worker with 0 known rooms.
 *  - known: every room lists its owner as a member, so the plugin's `bookmarks.fill()` at login
 *    reports the owner's rooms (as a real network would). Memory after the warm-up room is read
 *    (`fill`: the plugin knows the groups, roomgate has no snapshot yet). Then:
 *      · the 1,000 active rooms are joined by the bench client for real (XEP-0045 joins through
 *        Prosody, written 100 per socket write): filled from the network, snapshotted by the commit;
 *      · the others (100,000 − 1,000 − 1) are written as roomgate writes them, through its own
 *        fenced commit script (`commit-partition-n.lua`, lease read from Redis): the snapshot `SET`
 *        and the `SADD` to the user's room index, 500 rooms per call. Each snapshot is the
 *        snapshot of the warm-up room (a real join then leave) with the user, room id and room JID
 *        replaced and its replay watermark cleared, i.e. a room joined once and left;
 *    memory then (100,000 known, 1,000 active); one generated room of the bench user is joined
 *    (restored from its snapshot: its 10 participants must come back) and left; every room is
 *    hibernated and memory read again (100,000 known, 0 active).
 *  roomgate runs with `workers.leaseTtlMs` 30 s (see `leaseTtlMs` below; `--lease MS` to change).
 *  Redis: `used_memory` before and after the rooms are created, and the `MEMORY USAGE` of every
 *  room key (snapshots, room indexes, joined-rooms sets) summed.
 */
import { writeFile } from 'node:fs/promises';
import { join as pathJoin } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { createKeys, type Keys } from '../../src/actors/keys.ts';
import { CommitBuilder } from '../../src/actors/commit.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import { userStore } from '../../src/actors/users.ts';
import type { WorldRoomInput } from '../../src/legacy/demo/world.ts';
import { esc, type BenchClient } from '../lib/client.ts';
import { GW, MUC, PARTITIONS, type BenchContext, type BenchOptions } from '../lib/context.ts';
import type { MemoryResult } from '../lib/gateway-core.ts';
import { startGateway, type GatewayHandle } from '../lib/gateway.ts';
import { sleep, spread } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';
import { benchRoom } from '../lib/world.ts';
import { join, leave } from './w1-join.ts';

export interface KnownOptions {
  /** Rooms the worker knows, active ones included. */
  known: number;
  /** Of those, rooms joined for real and left active (actors in memory). */
  active: number;
  /** Users owning the generated rooms (the bench user owns the active ones and a few generated). */
  users: number;
  runs: number;
  timeoutMs: number;
  /**
   * roomgate's `workers.leaseTtlMs` here. With the default 3,000 ms the worker loses its leases
   * right after start at this scale: logging 100 users in, each `bookmarks.fill()` opening its
   * 1,000 groups (and the demo network's `roomsOf` scanning its 100,000 rooms per user), keeps
   * the event loop busy past the lease's expiry; the partitions then bounce (lost, retaken,
   * sessions logged out and in again). 30 s keeps the measurement on a settled worker.
   */
  leaseTtlMs: number;
}

export const KNOWN_DEFAULTS: Omit<KnownOptions, 'runs' | 'timeoutMs'> = { known: 100_000, active: 1000, users: 99, leaseTtlMs: 30_000 };

const BENCH_JID = 'bench@localhost';
const NOBODY = 'nobody@bench.invalid';
const TEMPLATE = 'w5k-tmpl';
/** Generated rooms of the bench user itself, so that one can be joined back from its snapshot. */
const BENCH_GENERATED = 9;
const activeRoom = (i: number) => `w5k-a${i}`;
const genRoom = (k: number) => `w5k-g${k}`;
const genUser = (u: number) => `w5k-u${u}@localhost`;
/** Owner of generated room k. */
const ownerOf = (k: number, users: number) => (k < BENCH_GENERATED ? BENCH_JID : genUser((k - BENCH_GENERATED) % users));

function world(o: KnownOptions, known: boolean): { rooms: WorldRoomInput[] } {
  const generated = o.known - o.active - 1;
  const member = (jid: string) => [known ? jid : NOBODY];
  const rooms: WorldRoomInput[] = [{ ...benchRoom(TEMPLATE, 10), members: [BENCH_JID] }];
  for (let i = 0; i < o.active; i++) rooms.push({ ...benchRoom(activeRoom(i), 10), members: member(BENCH_JID) });
  // participants are in the snapshots; the network's copy of a generated room stays small
  for (let k = 0; k < generated; k++) rooms.push({ ...benchRoom(genRoom(k), 0), members: member(ownerOf(k, o.users)) });
  return { rooms };
}

async function registerUsers(redis: Redis, keys: Keys, o: KnownOptions): Promise<void> {
  const store = userStore(redis, keys);
  // what XEP-0077 or `roomgate users add` stores; the worker logs them in when it takes their partition
  await store.put({ jid: BENCH_JID, registration: { nickname: 'bench' } });
  for (let u = 0; u < o.users; u++) await store.put({ jid: genUser(u), registration: { nickname: `u${u}` } });
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

/** Replaces every occurrence of the template's user, room id and room JID in string values. */
function rewrite(value: unknown, from: [string, string][]): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const [a, b] of from) if (s.includes(a)) s = s.split(a).join(b);
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, from));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[rewrite(k, from) as string] = rewrite(v, from);
    return out;
  }
  return value;
}

/**
 * Writes the generated rooms with roomgate's commit script, fenced by the partition's current
 * lease: the same SET of the snapshot and SADD to the user's room index as a job's commit.
 */
async function writeGenerated(redis: Redis, keys: Keys, o: KnownOptions, template: string): Promise<number> {
  const scripted = withScripts(redis);
  const generated = o.known - o.active - 1;
  const parsed = JSON.parse(template) as { context?: Record<string, unknown> };
  if (parsed.context) { parsed.context.applied = []; parsed.context.delivered = {}; }
  const byPartition = new Map<number, number[]>();
  for (let k = 0; k < generated; k++) {
    const p = keys.partitionOf(ownerOf(k, o.users));
    const list = byPartition.get(p) ?? [];
    list.push(k);
    byPartition.set(p, list);
  }
  let written = 0;
  for (const [p, rooms] of byPartition) {
    for (let i = 0; i < rooms.length; i += 500) {
      const lease = await redis.get(keys.partitionLease(p));
      if (!lease) throw new Error(`partition ${p} has no lease`);
      const commit = new CommitBuilder();
      let rooms500 = 0;
      for (const g of rooms.slice(i, i + 500)) {
        const user = ownerOf(g, o.users);
        const id = genRoom(g);
        const snap = rewrite(parsed, [[`${TEMPLATE}@${GW}`, `${id}@${GW}`], [BENCH_JID, user], [TEMPLATE, id]]);
        commit.set(keys.roomSnapshot(user, id), JSON.stringify(snap)).sadd(keys.userRooms(user), id);
        rooms500++;
      }
      const r = await scripted.commitPartition(...commit.args(keys, p, lease, `w5k/${p}/${i}`, Buffer.alloc(0)));
      if (r !== 1) throw new Error(`commit refused on partition ${p} (${r})`);
      written += rooms500;
    }
  }
  return written;
}

/** Joins rooms 100 per socket write; resolves when each has sent its subject. */
async function joinMany(c: BenchClient, rooms: string[], timeoutMs: number): Promise<void> {
  const waiting = new Set(rooms.map((r) => `${r}@${GW}`));
  const errors: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`joins: ${waiting.size} of ${rooms.length} rooms sent no subject in ${timeoutMs} ms`)), timeoutMs);
    c.sink = (el) => {
      const room = String(el.attrs.from ?? '').split('/')[0]!;
      if (el.name === 'presence' && el.attrs.type === 'error' && waiting.has(room)) errors.push(el.toString());
      if (el.name === 'message' && el.getChild('subject') && waiting.delete(room) && waiting.size === 0) {
        clearTimeout(timer);
        c.sink = () => undefined;
        resolve();
      }
      if (errors.length) { clearTimeout(timer); reject(new Error(`join refused: ${errors[0]}`)); }
    };
  });
  for (let i = 0; i < rooms.length; i += 100) {
    await c.write(rooms.slice(i, i + 100).map((r) => `<presence to='${esc(`${r}@${GW}`)}/bench'><x xmlns='${MUC}'/></presence>`).join(''));
  }
  await done;
}

/** MEMORY USAGE of every room key of the prefix (snapshots, archives, room indexes, joined-rooms sets). */
async function roomKeysBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number; snapshots: number; snapshotBytes: number }> {
  let cursor = '0';
  let keys = 0, bytes = 0, snapshots = 0, snapshotBytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    const roomish = batch.filter((k) => /:room:|:rooms:|:joined-rooms$/.test(k));
    const pipe = redis.pipeline();
    for (const k of roomish) pipe.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    const res = (await pipe.exec()) ?? [];
    roomish.forEach((k, i) => {
      const n = Number(res[i]?.[1] ?? 0);
      keys++; bytes += n;
      if (k.endsWith(':snapshot')) { snapshots++; snapshotBytes += n; }
    });
  } while (cursor !== '0');
  return { keys, bytes, snapshots, snapshotBytes };
}

async function unlinkPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (batch.length) await redis.unlink(...batch);
  } while (cursor !== '0');
}

interface RunResult {
  base: MemoryResult;
  fill: MemoryResult;
  known: MemoryResult;
  hibernatedAll: MemoryResult;
  hibernated: { hibernated: number; live: number } | null;
  redisBefore: number;
  redisAfter: number;
  roomKeys: Awaited<ReturnType<typeof roomKeysBytes>>;
  generated: number;
  restoredPresences: number;
  timings: Record<string, number>;
}

async function oneRun(ctx: BenchContext, o: KnownOptions, r: number, worlds: { base: string; known: string }, log: (m: string) => void): Promise<RunResult> {
  const redis = ctx.redis();
  const timings: Record<string, number> = {};
  const t = (name: string, since: number) => { timings[name] = (Date.now() - since) / 1000; };
  let gw: GatewayHandle | null = null;
  let c: BenchClient | null = null;
  const start = async (tag: string, worldPath: string) => {
    const prefix = ctx.newPrefix(`w5k-${tag}-${r}`);
    const keys = createKeys(prefix, PARTITIONS);
    await registerUsers(redis, keys, o);
    const t0 = Date.now();
    gw = await startGateway('child', { ...ctx.spec(prefix), worldPath, workers: { leaseTtlMs: o.leaseTtlMs } });
    c = await ctx.connect('bench', `w5k-${tag}`);
    await ctx.ping(c);
    // every user logged in and every group reported by the plugin
    const groups = tag === 'base' ? 1 : o.known;
    for (let i = 0; ; i++) {
      const m = await (gw as GatewayHandle).memory();
      if (m.counts && m.counts.sessions === o.users + 1 && m.counts.bookmarksKnown >= groups) break;
      if (i > 120) throw new Error(`sessions not settled: ${JSON.stringify(m.counts)}`);
      await sleep(500);
    }
    t(`${tag} start`, t0);
    // warm-up: one room joined, left and hibernated, so compiled code is in every reading
    await join(c, TEMPLATE, o.timeoutMs);
    await leave(c, TEMPLATE, o.timeoutMs);
    await gw.hibernate();
    await sleep(500);
    return { prefix, keys, gw: gw as GatewayHandle, c: c as BenchClient };
  };
  try {
    // base: 0 known rooms (the world the same size)
    const b = await start('base', worlds.base);
    const base = await b.gw.memory();
    log(`  base: heap ${mb(base.heapUsed)}, RSS ${mb(base.rss)} ${JSON.stringify(base.counts)}`);
    await b.c.stop();
    await b.gw.stop();
    gw = null; c = null;
    await sleep(300);

    // known: the plugin's fill reports the groups; then the rooms become known to roomgate
    const k = await start('known', worlds.known);
    const fill = await k.gw.memory();
    log(`  fill: heap ${mb(fill.heapUsed)}, RSS ${mb(fill.rss)} ${JSON.stringify(fill.counts)}`);
    const redisBefore = await usedMemory(redis);
    const template = await redis.get(k.keys.roomSnapshot(BENCH_JID, TEMPLATE));
    if (!template) throw new Error('no snapshot of the warm-up room');
    let t0 = Date.now();
    const generated = await writeGenerated(redis, k.keys, o, template);
    t('generated rooms written', t0);
    t0 = Date.now();
    await joinMany(k.c, Array.from({ length: o.active }, (_, i) => activeRoom(i)), Math.max(o.timeoutMs, 300_000));
    t(`${o.active} joins`, t0);
    await ctx.ping(k.c);
    await sleep(500);
    const known = await k.gw.memory();
    const redisAfter = await usedMemory(redis);
    log(`  known: heap ${mb(known.heapUsed)}, RSS ${mb(known.rss)} ${JSON.stringify(known.counts)}; redis +${mb(redisAfter - redisBefore)}`);
    // a generated room is a real known room: a join restores it from its snapshot
    const restored = await join(k.c, genRoom(0), o.timeoutMs);
    await leave(k.c, genRoom(0), o.timeoutMs);
    if (restored.presences !== 10) throw new Error(`generated room restored with ${restored.presences} presences, not 10`);
    const hibernated = await k.gw.hibernate();
    await sleep(500);
    const hibernatedAll = await k.gw.memory();
    log(`  all hibernated (${JSON.stringify(hibernated)}): heap ${mb(hibernatedAll.heapUsed)}, RSS ${mb(hibernatedAll.rss)} ${JSON.stringify(hibernatedAll.counts)}`);
    const roomKeys = await roomKeysBytes(redis, k.prefix);
    await k.c.stop();
    await k.gw.stop();
    gw = null; c = null;
    // this run's keys go: the next run's Redis starts from the same point
    await unlinkPrefix(redis, b.prefix);
    await unlinkPrefix(redis, k.prefix);
    return { base, fill, known, hibernatedAll, hibernated, redisBefore, redisAfter, roomKeys, generated, restoredPresences: restored.presences, timings };
  } finally {
    await (c as BenchClient | null)?.stop().catch(() => undefined);
    await (gw as GatewayHandle | null)?.stop().catch(() => undefined);
    redis.disconnect();
  }
}

/** This workload's rows (workload 'W5', run by `--only W5K`): `--only W5` keeps them, `--only W5K` replaces them. */
export function isKnownRow(r: Row): boolean {
  return r.workload === 'W5' && /known rooms|\(bookmarks\.fill\)/.test(r.variant);
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

export async function w5Known(ctx: BenchContext, opts: Partial<KnownOptions> = {}, log: (m: string) => void = () => undefined): Promise<WorkloadResult> {
  const o: KnownOptions = { ...KNOWN_DEFAULTS, runs: ctx.opts.runs, timeoutMs: ctx.opts.timeoutMs, ...opts };
  const worlds = { base: pathJoin(ctx.dir, 'w5k-world-base.json'), known: pathJoin(ctx.dir, 'w5k-world-known.json') };
  await writeFile(worlds.base, JSON.stringify(world(o, false)));
  await writeFile(worlds.known, JSON.stringify(world(o, true)));
  const runs: RunResult[] = [];
  for (let r = 1; r <= o.runs; r++) {
    log(`W5K run ${r}/${o.runs}: ${o.known.toLocaleString('en')} known rooms, ${o.active.toLocaleString('en')} active`);
    runs.push(await oneRun(ctx, o, r, worlds, log));
  }
  const variant = `${o.known.toLocaleString('en')} known rooms, ${o.active.toLocaleString('en')} active`;
  const hibVariant = `${o.known.toLocaleString('en')} known rooms, all hibernated`;
  const MB = (f: (x: RunResult) => number) => spread(runs.map((x) => f(x) / 1024 / 1024));
  const KB = (f: (x: RunResult) => number) => spread(runs.map((x) => f(x) / 1024));
  const row = (v: string, metric: string, unit: string, s: ReturnType<typeof spread>, extra: Partial<Row> = {}): Row => ({ workload: 'W5', variant: v, metric, unit, spread: s, ...extra });
  const rows: Row[] = [
    row('0 known rooms (baseline, same world)', 'worker RSS (after GC)', 'MB', MB((x) => x.base.rss)),
    row('0 known rooms (baseline, same world)', 'worker heap (after GC)', 'MB', MB((x) => x.base.heapUsed)),
    row(variant, 'worker RSS (after GC)', 'MB', MB((x) => x.known.rss)),
    row(variant, 'worker heap (after GC)', 'MB', MB((x) => x.known.heapUsed)),
    row(variant, 'heap vs the baseline', 'MB', MB((x) => x.known.heapUsed - x.base.heapUsed)),
    row(variant, 'RSS vs the baseline', 'MB', MB((x) => x.known.rss - x.base.rss)),
    row(variant, 'Redis used_memory, the rooms created', 'MB', MB((x) => x.redisAfter - x.redisBefore)),
    row(variant, 'Redis MEMORY USAGE of the room keys', 'MB', MB((x) => x.roomKeys.bytes)),
    row(variant, `heap per active room (vs all hibernated, / ${o.active.toLocaleString('en')})`, 'KB', KB((x) => (x.known.heapUsed - x.hibernatedAll.heapUsed) / o.active)),
    row(hibVariant, 'worker heap (after GC)', 'MB', MB((x) => x.hibernatedAll.heapUsed)),
    row(hibVariant, 'worker RSS (after GC)', 'MB', MB((x) => x.hibernatedAll.rss)),
    row(hibVariant, 'heap per known room vs the baseline', 'KB', KB((x) => (x.hibernatedAll.heapUsed - x.base.heapUsed) / o.known)),
    row(hibVariant, 'heap per known room vs the plugin\'s groups alone (fill)', 'KB',
      KB((x) => (x.hibernatedAll.heapUsed - x.fill.heapUsed) / o.known), { target: { op: '<=', value: 1 } }),
    row(`plugin knows ${o.known.toLocaleString('en')} groups (bookmarks.fill), roomgate 0 rooms`, 'heap per group vs the baseline', 'KB',
      KB((x) => (x.fill.heapUsed - x.base.heapUsed) / o.known)),
  ];
  return { rows, details: { w5Known: { options: o, runs } } };
}

// standalone: its own private stack
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, known: { type: 'string' }, active: { type: 'string' }, users: { type: 'string' }, lease: { type: 'string' }, out: { type: 'string' } } });
  const { BenchContext } = await import('../lib/context.ts');
  const runs = Number(values.runs ?? 1);
  const ctx = await BenchContext.start({
    quick: false, only: null, runs, messages: 0, ceilingMessages: 0, w1Sizes: [], modes: ['child'], w5Rooms: [], profile: false, timeoutMs: 120_000, prosodyGc: 'generational',
  } satisfies BenchOptions, { runs, w1Sizes: [], w5Rooms: [] });
  const log = (m: string) => console.log(`[w5k ${new Date().toISOString().slice(11, 19)}] ${m}`);
  try {
    const res = await w5Known(ctx, {
      runs, ...(values.known ? { known: Number(values.known) } : {}), ...(values.active ? { active: Number(values.active) } : {}),
      ...(values.users ? { users: Number(values.users) } : {}), ...(values.lease ? { leaseTtlMs: Number(values.lease) } : {}),
    }, log);
    for (const r of res.rows) console.log(`${r.workload} | ${r.variant} | ${r.metric} | ${r.spread.median.toFixed(2)} ${r.unit} (${r.spread.min.toFixed(2)}–${r.spread.max.toFixed(2)}, n=${r.spread.n})`);
    if (values.out) await writeFile(values.out, JSON.stringify(res, null, 2));
  } finally {
    // W5K_KEEP_LOGS=DIR: the children's logs (ROOMGATE_BENCH_LOG=info) outlive the run's temp dir
    if (process.env.W5K_KEEP_LOGS) {
      const { cpSync } = await import('node:fs');
      cpSync(ctx.dir, process.env.W5K_KEEP_LOGS, { recursive: true, filter: (f) => !f.endsWith('.json') || f === ctx.dir });
    }
    await ctx.stop();
  }
  process.exit(0);
}
