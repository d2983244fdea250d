/**
 * W1 join: a room with N participants; time from the client's join presence to its own
 * presence (status 110) and to the room's own presence (its avatar hash, after the subject),
 * which ends the join sequence. Presences received before the 110 are counted (must be N).
 *  - warm: the room is active in the worker (filled before): leave, then join again.
 *  - cold, fresh: the first join of a room nobody has joined (fill from the legacy network,
 *    backfill, history, snapshot written).
 *  - cold, restored: the room was filled and left, then hibernated (its actor dropped from
 *    memory, snapshot kept in Redis): the join restores the room actor from its snapshot. Where
 *    roomgate cannot hibernate, roomgate is restarted instead (warm-up join on another room).
 */
import type { BenchClient } from '../lib/client.ts';
import { esc } from '../lib/client.ts';
import { GW, MUC, type BenchContext } from '../lib/context.ts';
import { now } from '../lib/gateway-core.ts';
import type { GatewayHandle } from '../lib/gateway.ts';
import { cpuMeter, sleep, spread, waitQuiet } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';
import { w1Room, WARMUP_ROOM } from '../lib/world.ts';

const MUC_USER = 'http://jabber.org/protocol/muc#user';

/** `toEnd`: to the room's own presence, the join sequence's last stanza (spec §2.3 step 9). */
export interface JoinTiming { to110: number; toEnd: number; presences: number; toFirst?: number; cpuMs?: Record<string, number> }

let joinCounter = 0;

/** Joins `roomId` as `bench` and times the join sequence. */
export function join(c: BenchClient, roomId: string, timeoutMs: number): Promise<JoinTiming> {
  const room = `${roomId}@${GW}`;
  const id = `join-${++joinCounter}`;
  return new Promise((resolve, reject) => {
    let presences = 0;
    let subject = false;
    let t110 = NaN;
    let t0 = NaN;
    let tFirst = NaN;
    const timer = setTimeout(() => {
      c.sink = () => undefined;
      reject(new Error(`join of ${roomId}: no room presence within ${timeoutMs} ms (${presences} presences, 110 ${Number.isNaN(t110) ? 'not ' : ''}seen)`));
    }, timeoutMs);
    c.sink = (el) => {
      const from = String(el.attrs.from ?? '');
      if (from !== room && !from.startsWith(`${room}/`)) return;
      if (el.name === 'presence') {
        if (el.attrs.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`join of ${roomId} refused: ${el.toString()}`));
        } else if (el.attrs.id === id) {
          const codes = el.getChild('x', MUC_USER)?.getChildren('status').map((s) => s.attrs.code) ?? [];
          if (!codes.includes('110')) reject(new Error(`self-presence without 110: ${el.toString()}`));
          t110 = now();
        } else if (from === room && !el.attrs.type) {
          if (!subject) reject(new Error(`room presence before the subject: ${el.toString()}`));
          clearTimeout(timer);
          c.sink = () => undefined;
          resolve({ to110: t110 - t0, toEnd: now() - t0, presences, toFirst: tFirst - t0 });
        } else if (!el.attrs.type && Number.isNaN(t110)) {
          if (!presences++) tFirst = now();
        }
      } else if (el.name === 'message' && el.getChild('subject')) {
        subject = true;
      }
    };
    t0 = now();
    void c.write(`<presence to='${esc(room)}/bench' id='${id}'><x xmlns='${MUC}'/></presence>`);
  });
}

/** Leaves and waits for the unavailable self-presence. */
export async function leave(c: BenchClient, roomId: string, timeoutMs: number): Promise<void> {
  const room = `${roomId}@${GW}`;
  const gone = c.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/bench` && el.attrs.type === 'unavailable', timeoutMs, `leave of ${roomId}`);
  await c.write(`<presence to='${esc(room)}/bench' type='unavailable'/>`);
  await gone;
}

type Variant = 'warm' | 'cold, fresh' | 'cold, restored';

export interface W1Env {
  /** The running gateway; W1 restarts it for the restored variant. */
  gateway: GatewayHandle;
  restart(): Promise<GatewayHandle>;
  client: BenchClient;
}

export async function w1(ctx: BenchContext, env: W1Env): Promise<WorkloadResult & { gateway: GatewayHandle }> {
  const { runs, w1Sizes: sizes, timeoutMs } = ctx.opts;
  const c = env.client;
  const samples = new Map<string, JoinTiming[]>();
  const pids = await ctx.serverPids();
  let gateway = env.gateway;
  /** A measured join, with the CPU each process used meanwhile. */
  const measure = async (roomId: string): Promise<JoinTiming> => {
    await waitQuiet(5000);
    const cpu = cpuMeter({ roomgate: gateway.pid, ...pids, bench: process.pid });
    const t = await join(c, roomId, timeoutMs);
    await sleep(20); // the commit after the join's stanzas
    return { ...t, cpuMs: cpu.stop() };
  };
  const add = (variant: Variant, n: number, t: JoinTiming) => {
    const key = `${variant}|${n}`;
    samples.set(key, [...(samples.get(key) ?? []), t]);
  };

  // warm-up: code paths, then fill the warm and the restore rooms (first joins, not counted)
  await join(c, WARMUP_ROOM, timeoutMs);
  await leave(c, WARMUP_ROOM, timeoutMs);
  for (const n of sizes) {
    for (const v of ['warm', 'restore']) {
      await join(c, w1Room(n, v), timeoutMs);
      await leave(c, w1Room(n, v), timeoutMs);
    }
  }

  for (let r = 1; r <= runs; r++) {
    for (const n of sizes) {
      await sleep(100);
      add('warm', n, await measure(w1Room(n, 'warm')));
      await leave(c, w1Room(n, 'warm'), timeoutMs);
      await sleep(100);
      add('cold, fresh', n, await measure(w1Room(n, `fresh-${r}`)));
      await leave(c, w1Room(n, `fresh-${r}`), timeoutMs);
    }
  }

  // restored: the room's actor is dropped from memory (hibernated, where roomgate can) or the
  // whole roomgate process restarted (where it cannot), then joined again
  let restoredBy = 'hibernation';
  for (let r = 1; r <= runs; r++) {
    for (const n of sizes) {
      await sleep(100);
      const h = restoredBy === 'hibernation' ? await gateway.hibernate() : null;
      if (!h) {
        restoredBy = 'restart';
        gateway = await env.restart();
        await ctx.ping(c);
        await join(c, WARMUP_ROOM, timeoutMs);
        await leave(c, WARMUP_ROOM, timeoutMs);
      }
      add('cold, restored', n, await measure(w1Room(n, 'restore')));
      await leave(c, w1Room(n, 'restore'), timeoutMs);
    }
  }
  const rows: Row[] = [];
  const TARGETS: Record<string, Record<number, number>> = {
    warm: { 1000: 60, 10000: 600 },
    'cold, fresh': { 1000: 150, 10000: 600 },
    'cold, restored': { 1000: 150, 10000: 600 },
  };
  const PEERS: Record<number, string> = { 10: 'biboumi 3.3 ms', 100: 'biboumi 11.8 ms', 1000: 'biboumi 87 ms' };
  for (const variant of ['warm', 'cold, fresh', 'cold, restored'] as Variant[]) {
    for (const n of sizes) {
      const s = samples.get(`${variant}|${n}`) ?? [];
      const checks = s.map((t) => (t.presences === n ? 'ok' : `${t.presences} presences, expected ${n}`));
      const target = TARGETS[variant]![n];
      rows.push({
        workload: 'W1', variant: `N=${n.toLocaleString('en')}, ${variant}`, metric: 'join → self-presence (110)', unit: 'ms',
        spread: spread(s.map((t) => t.to110)), checks,
        ...(target ? { target: { op: '<=' as const, value: target } } : {}),
        ...(PEERS[n] ? { peer: PEERS[n] } : {}),
      });
      rows.push({
        workload: 'W1', variant: `N=${n.toLocaleString('en')}, ${variant}`, metric: 'join → room presence (sequence done)', unit: 'ms',
        spread: spread(s.map((t) => t.toEnd)), checks, stanzas: n + 3,
      });
    }
  }
  for (const row of rows) if (row.variant.endsWith('cold, restored')) row.variant += ` (by ${restoredBy})`;
  return { rows, details: { w1Samples: Object.fromEntries(samples), w1RestoredBy: restoredBy }, gateway };
}
