/**
 * W2 legacy → XMPP: one participant posts `messages` numbered messages on the demo network in a
 * tight loop (in roomgate's process, as a legacy client library would deliver them); timed
 * until the joined client has them all; losses, duplicates and order checked.
 *
 * W3 XMPP → legacy: the client writes `messages` numbered groupchat messages (pre-serialised,
 * 100 per socket write); timed until the demo network has them all (another member hears
 * them), and until every echo reached the client; order checked on both sides.
 */
import { availableParallelism } from 'node:os';
import { echoesArrived, esc, numberedGroupchat, writeAll, type BenchClient } from '../lib/client.ts';
import { GW, type BenchContext } from '../lib/context.ts';
import { now, OrderChecker, type OrderCheck } from '../lib/gateway-core.ts';
import type { GatewayHandle } from '../lib/gateway.ts';
import { commandsPerMessage, cpuMeter, sleep, spread, waitQuiet, warmUpCount, withTimeout } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';
import { W2_BIG_ROOM, W2_ROOM, W2_SENDER, W3_ROOM } from '../lib/world.ts';

export { W2_BIG_ROOM };
import { join } from './w1-join.ts';

const describe = (c: OrderCheck) => (c.lost || c.duplicated || c.reordered
  ? `lost ${c.lost}, duplicated ${c.duplicated}, reordered ${c.reordered}` : 'ok');

export interface Pids { prosody: number; redis: number }

/** A measured run's figures, kept in the JSON details: at least the CPU each process used. */
export type MeasuredRun = { cpuMs: Record<string, number> } & Record<string, unknown>;

/**
 * What a message costs in CPU, with roomgate in a child process: roomgate's share, and every
 * process of the path together (roomgate, Prosody, Redis, the bench's client; not other jobs).
 * The second bounds the rate on this machine whoever is fastest: its cores give `cores` × 1,000
 * ms of CPU a second, so 1,000 messages costing C ms allow at most `cores` × 1,000,000 / C msg/s.
 */
export function cpuRows(base: Pick<Row, 'workload' | 'variant' | 'mode'>, runs: MeasuredRun[], count: number): Row[] {
  const per1000 = (ms: number) => (ms / count) * 1000;
  // through IRC, InspIRCd is on the path too (and the bench's IRC clients count as the client)
  const path = (u: Record<string, number>) => (u.roomgate ?? 0) + (u.prosody ?? 0) + (u.redis ?? 0) + (u.inspircd ?? 0) + (u.bench ?? 0);
  const irc = runs.some((r) => r.cpuMs.inspircd !== undefined);
  const cores = availableParallelism();
  return [
    { ...base, metric: "roomgate's CPU per 1,000 messages", unit: 'ms', spread: spread(runs.map((r) => per1000(r.cpuMs.roomgate ?? NaN))) },
    {
      ...base, metric: `CPU per 1,000 messages of roomgate, Prosody, Redis${irc ? ', InspIRCd' : ''} and the client together`, unit: 'ms',
      spread: spread(runs.map((r) => per1000(path(r.cpuMs)))),
    },
    {
      ...base, metric: `the rate ${cores} cores allow at that CPU per message`, unit: 'msg/s (bound)',
      spread: spread(runs.map((r) => (cores * 1_000_000) / per1000(path(r.cpuMs)))),
    },
  ];
}

export interface W2Options {
  /** Distinguishes the bodies of this series from others in the same room. */
  tag?: string;
  room?: string;
  /** Participants in the room (for the row's label). */
  size?: number;
  messages?: number;
}

export async function w2(ctx: BenchContext, gw: GatewayHandle, c: BenchClient, pids: Pids, o: W2Options = {}): Promise<WorkloadResult> {
  const tag = o.tag ?? '';
  const room = o.room ?? W2_ROOM;
  const n = o.messages ?? ctx.opts.messages;
  await join(c, room, ctx.opts.timeoutMs);
  const sender = `${room}@${GW}/${W2_SENDER}`;
  const rates: number[] = [];
  const checks: string[] = [];
  const runs: MeasuredRun[] = [];
  for (let r = 0; r <= ctx.opts.runs; r++) { // run 0: warm-up (see warmUpCount)
    const count = r === 0 ? warmUpCount(n) : n;
    const prefix = `w2${tag}-${gw.mode}-${r}-`;
    const check = new OrderChecker(prefix, count);
    const done = new Promise<number>((resolve) => {
      c.sink = (el) => {
        if (el.name !== 'message' || el.attrs.from !== sender) return;
        if (check.add(el.getChildText('body')) && check.complete) resolve(now());
      };
    });
    if (r > 0) await waitQuiet();
    const statsBefore = await ctx.redisCommandStats();
    const cpu = cpuMeter({ roomgate: gw.pid, ...pids, bench: process.pid });
    const posted = await gw.post(room, W2_SENDER, prefix, count);
    const tLast = await withTimeout(done, ctx.opts.timeoutMs, `W2 run ${r}`).catch(() => NaN);
    const used = cpu.stop();
    await sleep(100); // the last job's commit lands after its stanzas
    const redisPerMessage = commandsPerMessage(statsBefore, await ctx.redisCommandStats(), count);
    c.sink = () => undefined;
    if (r === 0) { await sleep(300); continue; }
    const ms = tLast - posted.t0;
    const rate = (count / ms) * 1000;
    rates.push(rate);
    const result = check.result();
    checks.push(describe(result));
    runs.push({ ms, rate, postMs: posted.t1 - posted.t0, cpuMs: used, ...result, redisPerMessage });
    await sleep(500);
  }
  const where = gw.mode === 'child' ? 'roomgate in a child process' : 'roomgate in the bench process';
  const variant = `legacy → XMPP, ${where}, room of ${(o.size ?? 10).toLocaleString('en')}`;
  return {
    rows: [{
      workload: 'W2', variant,
      metric: `${n.toLocaleString('en')} messages, until the client has all (archived, in order)`, unit: 'msg/s', mode: gw.mode,
      spread: spread(rates), checks, target: { op: '>=', value: 12_000 }, peer: 'biboumi ≈ 1,080 (archive on) / 14,000 (off)',
    }, ...(gw.mode === 'child' ? cpuRows({ workload: 'W2', variant, mode: gw.mode }, runs, n) : [])],
    details: { [`w2-${gw.mode}${room === W2_ROOM ? '' : `-${room}`}`]: runs },
  };
}

export async function w3(ctx: BenchContext, gw: GatewayHandle, c: BenchClient, pids: Pids, o: { tag?: string } = {}): Promise<WorkloadResult> {
  const tag = o.tag ?? '';
  const n = ctx.opts.messages;
  await join(c, W3_ROOM, ctx.opts.timeoutMs);
  const room = `${W3_ROOM}@${GW}`;
  const self = `${room}/bench`;
  const legacyRates: number[] = [];
  const echoRates: number[] = [];
  const legacyChecks: string[] = [];
  const echoChecks: string[] = [];
  const runs: MeasuredRun[] = [];
  for (let r = 0; r <= ctx.opts.runs; r++) {
    const count = r === 0 ? warmUpCount(n) : n;
    const prefix = `w3${tag}-${gw.mode}-${r}-`;
    const stanzas = numberedGroupchat(room, prefix, count);
    const echoes = new OrderChecker(prefix, count);
    let errors = 0;
    const echoed = echoesArrived(c, self, echoes, () => { errors++; });
    if (r > 0) await waitQuiet();
    await gw.observeStart(W3_ROOM, prefix, count);
    const statsBefore = await ctx.redisCommandStats();
    const cpu = cpuMeter({ roomgate: gw.pid, ...pids, bench: process.pid });
    const t0 = now();
    await writeAll(c, stanzas);
    const tWritten = now();
    const legacy = await gw.observeWait(ctx.opts.timeoutMs);
    const tEcho = await withTimeout(echoed, ctx.opts.timeoutMs, `W3 echoes run ${r}`).catch(() => NaN);
    const used = cpu.stop();
    await sleep(100);
    const redisPerMessage = commandsPerMessage(statsBefore, await ctx.redisCommandStats(), count);
    c.sink = () => undefined;
    if (r === 0) { await sleep(300); continue; }
    const legacyMs = (legacy.tLast ?? NaN) - t0;
    const echoMs = tEcho - t0;
    legacyRates.push((count / legacyMs) * 1000);
    echoRates.push((count / echoMs) * 1000);
    legacyChecks.push(describe(legacy) + (legacy.sentInOrder && legacy.sentListed === count ? '' : `; sent list ${legacy.sentListed}${legacy.sentInOrder ? '' : ' out of order'}`));
    echoChecks.push(describe(echoes.result()) + (errors ? `; ${errors} errors` : ''));
    runs.push({ legacyMs, echoMs, writeMs: tWritten - t0, cpuMs: used, legacy, echoes: echoes.result(), errors, redisPerMessage });
    await sleep(500);
  }
  const where = gw.mode === 'child' ? 'roomgate in a child process' : 'roomgate in the bench process';
  const variant = `XMPP → legacy, ${where}, room of 10`;
  return {
    rows: [
      {
        workload: 'W3', variant, metric: `${n.toLocaleString('en')} messages, until the legacy network has all`,
        unit: 'msg/s', mode: gw.mode, spread: spread(legacyRates), checks: legacyChecks, target: { op: '>=', value: 10_000 },
        peer: 'biboumi ≈ 1,170 (archive on) / 12,000 (off)',
      },
      {
        workload: 'W3', variant, metric: `${n.toLocaleString('en')} messages, until every echo reached the client`,
        unit: 'msg/s', mode: gw.mode, spread: spread(echoRates), checks: echoChecks,
      },
      ...(gw.mode === 'child' ? cpuRows({ workload: 'W3', variant, mode: gw.mode }, runs, n) : []),
    ],
    details: { [`w3-${gw.mode}`]: runs },
  };
}
