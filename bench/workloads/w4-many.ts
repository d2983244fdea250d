/**
 * W4 many rooms.
 *
 *  (a) One registered user sends 200 join presences at once (pre-serialised, one socket write) to
 *      200 rooms of 5 participants; timed from that write until the last room has ended its join
 *      sequence (self-presence with 110, then the subject). Every room must send its 5 occupants and
 *      the self-presence (200 × 6 presences), its subject and its own presence (the end of the sequence). *cold*: rooms never joined (filled from
 *      the demo network, snapshots written); *warm*: rooms active in the worker, left and joined again.
 *  (b) 1,000 XMPP users, each registered with roomgate and joined to 10 rooms: 1,000 rooms of 10 users
 *      (user u is in rooms u, u − 100, u − 200 ... mod 1,000) and 5 legacy participants each, i.e.
 *      10,000 room actors. Then background traffic from the legacy side: participant p1 posts in the
 *      rooms in turn (each post reaches 10 users), with the post time in the body; every client
 *      notes when each message arrived. Two modes: a fixed offered rate, and a closed loop (at most
 *      W posts not yet delivered to all 10 members: as fast as roomgate sustains). Reported: events/s
 *      delivered to the clients, and the end-to-end latency (post → the client read it) p50/p99.
 *
 * The 1,000 clients are real c2s sessions through the bench's Prosody, each its own TCP socket: a
 * minimal client (stream, SASL PLAIN, bind; received stanzas scanned, not parsed) so that 1,000 of
 * them cost little on this 2-core machine. Their accounts are written as Prosody account files
 * (plain password, which Prosody hashes on first login) under its data dir instead of 1,000
 * `prosodyctl register` (~0.3 s each). The users are registered with roomgate through its user store
 * (as `roomgate users add` does) and logged in with a control job, as in W6.
 *
 * The legacy posts go through the same IPC `post` command as W2 (one call per post, so the post
 * time is the bench's clock, as the receive time; the IPC hop is part of the measured latency).
 *
 *   node --import tsx bench/workloads/w4-many.ts [--runs 3] [--users 1000] [--parts a,b] [--seconds 5] [--rate 100] [--window 50]
 *     [--profile DIR]   (roomgate's CPU profile during the last run of each variant and traffic mode: the
 *                        first runs of a process run cold code)
 *
 * Prints the rows; writes nothing (the runner, `npm run bench -- --only W4`, puts them in the results).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createKeys } from '../../src/actors/keys.ts';
import { userStore } from '../../src/actors/users.ts';
import { Mailboxes } from '../../src/transport/mailbox.ts';
import { esc, type BenchClient } from '../lib/client.ts';
import { BenchContext, GW, MUC, PARTITIONS, type BenchOptions } from '../lib/context.ts';
import { now } from '../lib/gateway-core.ts';
import { startGateway, type GatewayHandle } from '../lib/gateway.ts';
import { cpuMeter, mainThreadCpuMs, sleep, spread, waitQuiet, type Spread } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';
import { buildW4World, w4aRoom, w4bMembers, w4bRoom, w4User, W4_POSTER, type W4Plan } from '../lib/world.ts';

const MUC_USER = 'http://jabber.org/protocol/muc#user';
const A_ROOMS = 200;
const A_SIZE = 5;
/**
 * W4a's warm-up before the measured runs: this many sets of cold joins, then the warm set joined
 * twice. With one cold set and one warm join, the first measured runs still ran code V8 had not
 * optimised yet: in 5-run sets, roomgate used 210–330 ms of CPU in the first three cold runs and
 * 130–150 in the last two, and warm runs read 121–133 ms where they read 84–98 after 1,200 joins.
 * A gateway runs for days; its joins run hot code. Four sets were not enough either: with
 * `--trace-opt`, V8 still compiled cold-join code (the commit, the plugin's hooks, the actor's
 * start) during the first seven measured cold runs, 20–90 ms of helper-thread CPU each, on the
 * cores Prosody shares; twelve sets read 119.5 / 130.3 ms cold against 146.0 / 143.9 with four
 * in alternating 7-run sets (thirteenth pass).
 */
const A_WARMUP_SETS = 12;
/** The names of W4a's warm-up sets. */
const warmupSets = () => Array.from({ length: A_WARMUP_SETS }, (_, i) => `warmup-${i + 1}`);
/**
 * W4a's measured runs at least: a run takes half a second, and other jobs on this shared machine
 * (up to 90 ms of others' CPU in one run) move a median of 3.
 */
const A_RUNS_MIN = 5;
const aRuns = (runs: number) => Math.max(runs, A_RUNS_MIN);

export interface W4Options {
  runs: number;
  quick: boolean;
  timeoutMs: number;
  /** Which parts: 'a' (200 joins), 'b' (1,000 users with traffic). */
  parts?: string[];
  /** W4b users (a multiple of 10); default 1,000 (200 with quick). */
  users?: number;
  /** W4b: seconds of traffic per measured run. */
  seconds?: number;
  /** W4b: offered rate of the fixed-rate mode, posts/s (each post is 10 deliveries). */
  rate?: number;
  /** W4b: closed loop, posts in flight at most. */
  window?: number;
  /** CPU-profile roomgate during the last measured run of each W4a variant and W4b mode (warm code), into this dir. */
  profileDir?: string;
}

// ---------------------------------------------------------------------------------------------
// (a) one user, 200 rooms at once

/** `firstMs`: the first stanza of any room; `halfMs`: half the rooms had their subject (the timeline of a burst). */
interface ManyJoin { ms: number; firstMs: number; halfMs: number; presences: number; subjects: number; bad: string[] }

let joinCounter = 0;

/** Writes the join presences of every room in one socket write; resolves when each room ended its join sequence (its own presence). */
function joinMany(c: BenchClient, rooms: string[], size: number, timeoutMs: number): Promise<ManyJoin> {
  const state = new Map<string, { occupants: number; self: boolean; subject: boolean; done: boolean; id: string }>();
  const stanzas: string[] = [];
  for (const roomId of rooms) {
    const id = `w4j-${++joinCounter}`;
    state.set(`${roomId}@${GW}`, { occupants: 0, self: false, subject: false, done: false, id });
    stanzas.push(`<presence to='${esc(`${roomId}@${GW}`)}/bench' id='${id}'><x xmlns='${MUC}'/></presence>`);
  }
  const text = stanzas.join('');
  return new Promise((resolve, reject) => {
    let left = rooms.length;
    let presences = 0;
    let subjects = 0;
    const bad: string[] = [];
    let t0 = NaN;
    let firstMs = NaN;
    let halfMs = NaN;
    const timer = setTimeout(() => {
      c.sink = () => undefined;
      reject(new Error(`W4a: ${left} of ${rooms.length} joins not done after ${timeoutMs} ms (${presences} presences)`));
    }, timeoutMs);
    c.sink = (el) => {
      const from = String(el.attrs.from ?? '');
      const slash = from.indexOf('/');
      const s = state.get(slash < 0 ? from : from.slice(0, slash));
      if (!s) return;
      if (Number.isNaN(firstMs)) firstMs = now() - t0;
      if (el.name === 'presence') {
        if (el.attrs.type === 'error') { bad.push(`join refused: ${el.toString().slice(0, 200)}`); return; }
        if (el.attrs.type) return;
        if (slash < 0) { // the room's own presence ends its join sequence (spec §2.3 step 9)
          if (s.done) return;
          s.done = true;
          if (!s.subject) bad.push('room presence before the subject');
          if (--left === 0) {
            const ms = now() - t0;
            clearTimeout(timer);
            c.sink = () => undefined;
            resolve({ ms, firstMs, halfMs, presences, subjects, bad });
          }
          return;
        }
        presences++;
        if (el.attrs.id === s.id) {
          const codes = el.getChild('x', MUC_USER)?.getChildren('status').map((st) => st.attrs.code) ?? [];
          if (!codes.includes('110')) bad.push('self-presence without 110');
          s.self = true;
        } else if (!s.self) {
          s.occupants++;
        }
      } else if (el.name === 'message' && el.getChild('subject') && !s.subject) {
        s.subject = true;
        subjects++;
        if (!s.self) bad.push('subject before the self-presence');
        if (s.occupants !== size) bad.push(`${s.occupants} occupants, expected ${size}`);
        if (subjects === Math.ceil(rooms.length / 2)) halfMs = now() - t0;
      }
    };
    t0 = now();
    void c.write(text);
  });
}

/** Leaves every room (one write) and waits for each unavailable self-presence. */
function leaveMany(c: BenchClient, rooms: string[], timeoutMs: number): Promise<void> {
  const waiting = new Set(rooms.map((r) => `${r}@${GW}/bench`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { c.sink = () => undefined; reject(new Error(`W4a: ${waiting.size} leaves unanswered`)); }, timeoutMs);
    c.sink = (el) => {
      if (el.name !== 'presence' || el.attrs.type !== 'unavailable') return;
      if (waiting.delete(String(el.attrs.from)) && waiting.size === 0) {
        clearTimeout(timer);
        c.sink = () => undefined;
        resolve();
      }
    };
    void c.write(rooms.map((r) => `<presence to='${esc(`${r}@${GW}`)}/bench' type='unavailable'/>`).join(''));
  });
}

async function partA(ctx: BenchContext, gw: GatewayHandle, client: BenchClient, plan: W4Plan, runs: number, pids: Record<string, number>, profileDir?: string) {
  const { timeoutMs } = ctx.opts;
  const set = (name: string) => Array.from({ length: plan.aRooms }, (_, i) => w4aRoom(name, i));
  const samples: Record<'cold' | 'warm', (ManyJoin & { cpuMs: Record<string, number> })[]> = { cold: [], warm: [] };
  // warm-up (see A_WARMUP_SETS): cold joins of sets of their own, then the warm set's first joins
  for (const name of [...warmupSets(), 'warm', 'warm']) {
    await joinMany(client, set(name), plan.aSize, timeoutMs);
    await leaveMany(client, set(name), timeoutMs);
  }
  for (let r = 1; r <= runs; r++) {
    for (const variant of ['cold', 'warm'] as const) {
      const rooms = set(variant === 'cold' ? `cold-${r}` : 'warm');
      await sleep(200);
      await waitQuiet();
      const profile = profileDir && r === runs ? join(profileDir, `w4a-${variant}.cpuprofile`) : null;
      if (profile) await gw.profileStart(200);
      const cpu = cpuMeter({ roomgate: gw.pid, ...pids, bench: process.pid });
      const main = mainThreadCpuMs(gw.pid);
      const res = await joinMany(client, rooms, plan.aSize, timeoutMs);
      if (profile) console.log(`W4a: roomgate CPU profile ${await gw.profileStop(profile)}`);
      await sleep(50); // the commits after the last stanzas
      // roomgate's main thread apart: the rest is V8's helper threads (a major GC's marking, compiles)
      samples[variant].push({ ...res, cpuMs: { ...cpu.stop(), roomgateMain: mainThreadCpuMs(gw.pid) - main } });
      console.log(`W4a ${variant} run ${r}: ${res.ms.toFixed(1)} ms (first stanza ${res.firstMs.toFixed(1)}, half the rooms ${res.halfMs.toFixed(1)}), ${res.presences} presences, ${res.subjects} subjects${res.bad.length ? `, ${res.bad.length} problems: ${res.bad[0]}` : ''}; CPU ms: ${JSON.stringify(samples[variant].at(-1)!.cpuMs)}`);
      await leaveMany(client, rooms, timeoutMs);
    }
  }
  const rows: Row[] = [];
  const expected = plan.aRooms * (plan.aSize + 1);
  for (const variant of ['cold', 'warm'] as const) {
    const s = samples[variant];
    rows.push({
      workload: 'W4',
      variant: `1 user, ${plan.aRooms} rooms of ${plan.aSize} at once, ${variant === 'cold' ? 'cold (never joined)' : 'warm (active, left and joined again)'}`,
      metric: `${plan.aRooms} join presences in one write → last room's own presence`, unit: 'ms',
      spread: spread(s.map((x) => x.ms)), stanzas: plan.aRooms * (plan.aSize + 2),
      ...(plan.aRooms === A_ROOMS && plan.aSize === A_SIZE ? { target: { op: '<=' as const, value: 100 }, peer: 'biboumi ≈ 122 ms' } : {}),
      checks: s.map((x) => {
        const problems = [...(x.presences !== expected ? [`${x.presences} presences, expected ${expected}`] : []), ...new Set(x.bad)];
        return problems.length ? problems.join('; ') : 'ok';
      }),
    });
  }
  return { rows, details: { w4aSamples: samples } };
}

// ---------------------------------------------------------------------------------------------
// (b) 1,000 users, 10 rooms each, background traffic

/** A minimal c2s client: login, then raw writes; received text is scanned for bodies and subjects. */
interface RawClient {
  user: string;
  jid: string;
  socket: Socket;
  subjects: number;
  errors: number;
  onBody: (body: string, at: number) => void;
  write(text: string): void;
}

const STREAM = (domain: string) => `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;
const SCAN = /<body>([^<]*)<\/body>|<subject[\s>/]|<(?:presence|message)\s[^>]*type=['"]error['"]/g;

function rawLogin(port: number, domain: string, user: string, password: string, timeoutMs = 30_000): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, noDelay: true });
    socket.setEncoding('utf8');
    let buf = '';
    let phase: 'features1' | 'auth' | 'features2' | 'bind' | 'ready' = 'features1';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`W4b: login of ${user} timed out in phase ${phase}`)); }, timeoutMs);
    const c: RawClient = {
      user, jid: '', socket, subjects: 0, errors: 0, onBody: () => undefined,
      write: (text) => { socket.write(text); },
    };
    const scan = () => {
      const at = now();
      let last = 0;
      SCAN.lastIndex = 0;
      for (let m = SCAN.exec(buf); m; m = SCAN.exec(buf)) {
        if (m[1] !== undefined) c.onBody(m[1], at);
        else if (m[0].startsWith('<subject')) c.subjects++;
        else c.errors++;
        last = SCAN.lastIndex;
      }
      const rest = buf.slice(last);
      let keep = rest.lastIndexOf('<');
      const body = rest.lastIndexOf('<body>');
      if (body >= 0 && !rest.includes('</body>', body)) keep = body;
      buf = keep >= 0 ? rest.slice(keep) : '';
    };
    socket.on('error', (err) => { clearTimeout(timer); reject(new Error(`W4b: ${user}: ${err.message}`)); });
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (phase === 'ready') return scan();
      if (buf.includes('<failure') || buf.includes('<stream:error')) {
        clearTimeout(timer);
        socket.destroy();
        return reject(new Error(`W4b: login of ${user} refused: ${buf.slice(0, 300)}`));
      }
      if (phase === 'features1' && buf.includes('</stream:features>')) {
        buf = '';
        phase = 'auth';
        socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
      } else if (phase === 'auth' && buf.includes('<success')) {
        buf = '';
        phase = 'features2';
        socket.write(STREAM(domain));
      } else if (phase === 'features2' && buf.includes('</stream:features>')) {
        buf = '';
        phase = 'bind';
        socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>w4</resource></bind></iq>`);
      } else if (phase === 'bind' && buf.includes('</iq>')) {
        const jid = /<jid>([^<]+)<\/jid>/.exec(buf)?.[1];
        if (!jid) { clearTimeout(timer); socket.destroy(); return reject(new Error(`W4b: bind of ${user} failed: ${buf.slice(0, 300)}`)); }
        c.jid = jid;
        buf = '';
        phase = 'ready';
        clearTimeout(timer);
        resolve(c);
      }
    });
    socket.write(STREAM(domain));
  });
}

function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface TrafficRun {
  mode: string;
  posts: number;
  delivered: number;
  expected: number;
  /** Deliveries per second, first post → last delivery. */
  eventsPerS: number;
  /** Posts per second actually offered. */
  offeredPerS: number;
  p50: number;
  p99: number;
  max: number;
  duplicated: number;
  cpuMs: Record<string, number>;
}

/** Routes every received body of a run to its post: counts and latencies. */
class Tally {
  latencies: number[] = [];
  counts: Uint8Array;
  delivered = 0;
  duplicated = 0;
  lastAt = 0;
  constructor(readonly tag: string, capacity: number, readonly perPost: number) { this.counts = new Uint8Array(capacity); }
  add(body: string, at: number): void {
    // w4b|<tag>|<seq>|<posted at>|0
    const parts = body.split('|');
    if (parts[0] !== 'w4b' || parts[1] !== this.tag) return;
    const seq = Number(parts[2]);
    if (seq >= this.counts.length) this.grow(seq + 1);
    if (++this.counts[seq]! > this.perPost) { this.duplicated++; return; }
    this.delivered++;
    this.latencies.push(at - Number(parts[3]));
    this.lastAt = at;
  }
  private grow(n: number) {
    const c = new Uint8Array(Math.max(n, this.counts.length * 2));
    c.set(this.counts);
    this.counts = c;
  }
}

async function traffic(
  gw: GatewayHandle, clients: RawClient[], plan: W4Plan, tag: string,
  mode: { rate: number } | { window: number }, seconds: number, timeoutMs: number, pids: Record<string, number>,
): Promise<TrafficRun> {
  const rooms = plan.users; // one room per user (K = M)
  const tally = new Tally(tag, Math.ceil(('rate' in mode ? mode.rate : 20_000) * seconds * 1.2), plan.perUser);
  for (const c of clients) c.onBody = (body, at) => tally.add(body, at);
  let posted = 0;
  let failed: Error | null = null;
  const post = () => {
    const seq = posted++;
    gw.post(w4bRoom(seq % rooms), W4_POSTER, `w4b|${tag}|${seq}|${now().toFixed(3)}|`, 1).catch((err: Error) => { failed ??= err; });
  };
  const cpu = cpuMeter({ roomgate: gw.pid, ...pids, bench: process.pid });
  const t0 = now();
  const end = t0 + seconds * 1000;
  while (now() < end && !failed) {
    const elapsed = now() - t0;
    if ('rate' in mode) {
      const due = Math.floor((elapsed / 1000) * mode.rate);
      while (posted < due) post();
    } else {
      // closed loop: a post counts as delivered once all its members have it (on average)
      const inFlight = posted - tally.delivered / plan.perUser;
      for (let i = Math.floor(mode.window - inFlight); i > 0; i--) post();
    }
    await sleep(2);
  }
  const tPostEnd = now();
  const expected = posted * plan.perUser;
  const drainBy = Date.now() + timeoutMs;
  while (tally.delivered < expected && Date.now() < drainBy && !failed) await sleep(5);
  await sleep(100); // late duplicates
  const cpuMs = cpu.stop();
  for (const c of clients) c.onBody = () => undefined;
  if (failed) throw failed;
  const lat = Float64Array.from(tally.latencies).sort();
  return {
    mode: 'rate' in mode ? `offered ${mode.rate} posts/s` : `closed loop, ${mode.window} posts in flight`,
    posts: posted, delivered: tally.delivered, expected,
    eventsPerS: tally.delivered / ((tally.lastAt - t0) / 1000),
    offeredPerS: posted / ((tPostEnd - t0) / 1000),
    p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat.at(-1) ?? NaN,
    duplicated: tally.duplicated, cpuMs,
  };
}

/** Prosody account files (plain password; Prosody hashes it on the first login). */
function writeAccounts(prosodyDir: string, domain: string, users: string[]): void {
  const dir = join(prosodyDir, 'data', encodeURIComponent(domain).replace(/\./g, '%2e'), 'accounts');
  mkdirSync(dir, { recursive: true });
  for (const u of users) writeFileSync(join(dir, `${u}.dat`), `return {\n\t["password"] = "${u}-pw";\n};\n`);
}

async function partB(ctx: BenchContext, gw: GatewayHandle, prefix: string, plan: W4Plan, o: Required<Omit<W4Options, 'parts' | 'quick' | 'profileDir'>> & { profileDir?: string }, pids: Record<string, number>) {
  const { timeoutMs } = ctx.opts;
  const users = Array.from({ length: plan.users }, (_, i) => w4User(i));
  const domain = ctx.stack.domain;
  const setup: Record<string, number> = {};
  let t = Date.now();
  writeAccounts(ctx.stack.prosody.dir, domain, users);
  // registered with roomgate as `roomgate users add` does, and logged in to the legacy network
  const redis = ctx.redis();
  const keys = createKeys(prefix, PARTITIONS);
  const store = userStore(redis, keys);
  const mailboxes = new Mailboxes(keys, redis);
  for (const u of users) {
    await store.put({ jid: `${u}@${domain}`, registration: { nickname: u } });
    await mailboxes.add({ kind: 'control', user: `${u}@${domain}`, action: 'login' });
  }
  await mailboxes.close();
  redis.disconnect();
  setup.registerS = (Date.now() - t) / 1000;
  t = Date.now();
  const clients: RawClient[] = [];
  try {
    const port = ctx.stack.prosody.c2sPort;
    for (let i = 0; i < users.length; i += 50) {
      clients.push(...await Promise.all(users.slice(i, i + 50).map((u) => rawLogin(port, domain, u, `${u}-pw`))));
    }
    setup.loginS = (Date.now() - t) / 1000;
    console.log(`W4b: ${clients.length} users logged in to Prosody in ${setup.loginS.toFixed(1)} s (registered with roomgate in ${setup.registerS.toFixed(1)} s)`);

    // every user joins their rooms, all users at once, each its joins in one write
    const roomsOf = (u: number) => Array.from({ length: plan.perUser }, (_, k) => (u - k * (plan.users / plan.perUser) + plan.users) % plan.users);
    for (let r = 0; r < 3; r++) if (!w4bMembers(plan, roomsOf(0)[r]!).includes(0)) throw new Error('W4b: membership layout is inconsistent');
    const totalJoins = plan.users * plan.perUser;
    const t0 = now();
    clients.forEach((c, u) => {
      c.write(roomsOf(u).map((r) => `<presence to='${w4bRoom(r)}@${GW}/${c.user}'><x xmlns='${MUC}'><history maxstanzas='0'/></x></presence>`).join(''));
    });
    const joinBy = Date.now() + Math.max(timeoutMs, 300_000);
    let joined = 0;
    let lastReport = Date.now();
    while (Date.now() < joinBy) {
      joined = clients.reduce((n, c) => n + Math.min(c.subjects, plan.perUser), 0);
      if (joined >= totalJoins) break;
      if (Date.now() - lastReport > 10_000) { console.log(`W4b: ${joined} of ${totalJoins} joins done`); lastReport = Date.now(); }
      await sleep(20);
    }
    const joinMs = now() - t0;
    const errors = clients.reduce((n, c) => n + c.errors, 0);
    if (joined < totalJoins) throw new Error(`W4b: only ${joined} of ${totalJoins} joins done after ${Math.round(joinMs / 1000)} s (${errors} error stanzas)`);
    setup.joinS = joinMs / 1000;
    console.log(`W4b: ${totalJoins} joins (${plan.users} users × ${plan.perUser}) in ${setup.joinS.toFixed(1)} s: ${Math.round(totalJoins / setup.joinS)} joins/s, ${errors} error stanzas`);

    // what 1,000 logged-in sessions and 10,000 idle rooms cost roomgate with no traffic at all
    await sleep(1000);
    const idle = cpuMeter({ roomgate: gw.pid, ...pids });
    await sleep(2000);
    setup.idleCpuPercent = idle.stop().roomgate! / 20;
    console.log(`W4b: roomgate CPU at idle: ${setup.idleCpuPercent.toFixed(0)} % of a core`);

    // warm-up traffic, then the measured runs of each mode
    await traffic(gw, clients, plan, 'warm', { rate: o.rate }, 1, timeoutMs, pids);
    const runsOf: Record<string, TrafficRun[]> = {};
    const modes: ({ rate: number } | { window: number })[] = [{ rate: o.rate }, { window: o.window }];
    for (let r = 1; r <= o.runs; r++) {
      for (const mode of modes) {
        await sleep(300);
        await waitQuiet();
        const profile = o.profileDir && r === o.runs ? join(o.profileDir, `w4b-${'rate' in mode ? `rate${mode.rate}` : `window${mode.window}`}.cpuprofile`) : null;
        if (profile) await gw.profileStart(500);
        const run = await traffic(gw, clients, plan, `${'rate' in mode ? 'r' : 'w'}${r}`, mode, o.seconds, timeoutMs, pids);
        if (profile) console.log(`W4b: roomgate CPU profile ${await gw.profileStop(profile)}`);
        (runsOf[run.mode] ??= []).push(run);
        console.log(`W4b ${run.mode} run ${r}: ${Math.round(run.eventsPerS)} events/s (${run.offeredPerS.toFixed(0)} posts/s offered), p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(0)} ms, ${run.delivered}/${run.expected} delivered${run.duplicated ? `, ${run.duplicated} duplicated` : ''}; CPU ms: ${JSON.stringify(run.cpuMs)}`);
      }
    }
    const rows: Row[] = [];
    const layout = `${plan.users.toLocaleString('en')} users × ${plan.perUser} rooms (${plan.users.toLocaleString('en')} rooms of ${plan.perUser} users + ${plan.bSize} legacy participants)`;
    rows.push({
      workload: 'W4', variant: `${layout}, all joining at once (1 run)`, metric: `${totalJoins.toLocaleString('en')} joins → every subject`, unit: 'joins/s',
      spread: spread([totalJoins / setup.joinS]), checks: [errors ? `${errors} error stanzas` : 'ok'],
    });
    for (const [mode, runs] of Object.entries(runsOf)) {
      const checks = runs.map((x) => (x.delivered === x.expected && !x.duplicated ? 'ok' : `${x.delivered}/${x.expected} delivered, ${x.duplicated} duplicated`));
      const variant = `${layout}, legacy traffic ${o.seconds} s, ${mode}`;
      rows.push({ workload: 'W4', variant, metric: 'events delivered to the clients per second (sustained)', unit: 'events/s', spread: spread(runs.map((x) => x.eventsPerS)), checks });
      rows.push({ workload: 'W4', variant, metric: 'end-to-end latency p50 (legacy post → client)', unit: 'ms', spread: spread(runs.map((x) => x.p50)), checks });
      rows.push({ workload: 'W4', variant, metric: 'end-to-end latency p99 (legacy post → client)', unit: 'ms', spread: spread(runs.map((x) => x.p99)), checks });
    }
    return { rows, details: { w4bSetup: setup, w4bRuns: runsOf } };
  } finally {
    for (const c of clients) c.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

export async function w4(ctx: BenchContext, opts: W4Options): Promise<WorkloadResult> {
  const parts = opts.parts ?? ['a', 'b'];
  const o = {
    runs: opts.runs, timeoutMs: opts.timeoutMs,
    users: opts.users ?? (opts.quick ? 200 : 1000), seconds: opts.seconds ?? (opts.quick ? 2 : 5),
    rate: opts.rate ?? 100, window: opts.window ?? 50, profileDir: opts.profileDir,
  };
  const plan: W4Plan = {
    aSets: [...warmupSets(), 'warm', ...Array.from({ length: aRuns(opts.runs) }, (_, r) => `cold-${r + 1}`)],
    aRooms: A_ROOMS, aSize: A_SIZE, aUser: `bench@${ctx.stack.domain}`,
    users: parts.includes('b') ? o.users : 0, perUser: 10, bSize: 5, domain: ctx.stack.domain,
  };
  const worldPath = join(ctx.dir, 'w4-world.json');
  writeFileSync(worldPath, JSON.stringify(buildW4World(plan)));
  const prefix = ctx.newPrefix('w4');
  const gw = await startGateway('child', { ...ctx.spec(prefix), worldPath });
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
  const pids = await ctx.serverPids();
  const rows: Row[] = [];
  const details: Record<string, unknown> = { w4Plan: { ...plan, aSets: plan.aSets.length } };
  let client: BenchClient | null = null;
  try {
    if (parts.includes('a')) {
      client = await ctx.connect('bench', 'w4');
      await ctx.register(client);
      await ctx.ping(client);
      const a = await partA(ctx, gw, client, plan, aRuns(opts.runs), pids, opts.profileDir);
      rows.push(...a.rows);
      Object.assign(details, a.details);
      await client.stop();
      client = null;
    }
    if (parts.includes('b')) {
      const b = await partB(ctx, gw, prefix, plan, o, pids);
      rows.push(...b.rows);
      Object.assign(details, b.details);
    }
  } finally {
    await client?.stop().catch(() => undefined);
    await gw.stop().catch(() => undefined);
  }
  return { rows, details };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' }, users: { type: 'string' }, parts: { type: 'string', default: 'a,b' },
      seconds: { type: 'string' }, rate: { type: 'string' }, window: { type: 'string' }, quick: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' }, profile: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  // (asserted, not annotated: other options of the runner come and go; their defaults do here)
  const bopts = {
    quick: values.quick!, only: new Set(['W4']), runs, messages: 0, ceilingMessages: 0, w1Sizes: [], modes: ['child'], w5Rooms: [],
    profile: false, timeoutMs: Number(values.timeout) * 1000, prosodyGc: 'generational',
  } as BenchOptions;
  const ctx = await BenchContext.start(bopts, { runs, w1Sizes: [], w5Rooms: [] });
  try {
    const res = await w4(ctx, {
      runs, quick: values.quick!, timeoutMs: bopts.timeoutMs, parts: values.parts!.split(','),
      ...(values.users ? { users: Number(values.users) } : {}), ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
      ...(values.rate ? { rate: Number(values.rate) } : {}), ...(values.window ? { window: Number(values.window) } : {}),
      ...(values.profile ? { profileDir: values.profile } : {}),
    });
    for (const r of res.rows) {
      console.log(`${r.workload} | ${r.variant} | ${r.metric}: median ${r.spread.median.toFixed(1)} ${r.unit} (${r.spread.min.toFixed(1)}–${r.spread.max.toFixed(1)}, n=${r.spread.n}) ${r.checks?.join(', ') ?? ''}`);
    }
  } finally {
    await ctx.stop();
  }
  process.exit(0);
}
