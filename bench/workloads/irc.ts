/**
 * W1–W3 through the IRC plugin and a real IRC server (InspIRCd 3, started privately by
 * src/devstack), so the figures compare with other IRC gateways measured the same way
 * (biboumi). roomgate runs in a child process (bench/gateway-proc.ts) with the irc plugin, its
 * line throttle set out of the way (burst and rate 1,000,000); the IRC side is raw-socket bots
 * in the bench process (bench/lib/irc-bots.ts), registered in bulk and pipelined.
 *
 *  - W1-IRC: the XMPP user joins #w1-nN with N bots in it; join presence → self-presence (110) and
 *    → the room's own presence; presences before the 110 counted (must be N). Each run, per N:
 *      cold: the gateway's IRC connection JOINs the channel and reads NAMES (and TOPIC), the
 *            room is new (the previous run left it for good: <remove/> on the room PARTs the
 *            channel and deletes the room);
 *      warm: the user left the room (unavailable presence; on IRC the gateway stays in the
 *            channel, the room actor stays active) and joins again;
 *      restored: as warm, but the room actor was hibernated first (restored from its snapshot;
 *            still no IRC traffic).
 *  - W2-IRC: one bot writes `messages` numbered PRIVMSG lines to #w2 (100 per socket write, one
 *    write per 1 ms timer turn: InspIRCd alone relays that at ~65,000 lines/s; all written back to
 *    back, InspIRCd 3 relays the burst in 1–2 s stalls); timed until the XMPP client has them all,
 *    checked for losses, duplicates and order. The details also say when another member of the
 *    channel had them all (InspIRCd's share) and when each quarter reached the client.
 *  - W3-IRC: the XMPP client writes `messages` numbered groupchat messages to #w3 (pre-serialised,
 *    100 per write); timed until a bot in the channel has read them all (in order), and until
 *    every echo reached the client.
 *
 * Standalone (own Redis + Prosody, prints the table, writes no file):
 *   node --import tsx bench/workloads/irc.ts [--runs N] [--messages N] [--sizes 10,100,1000] [--parts W1,W2,W3] [--quick]
 *   ROOMGATE_BENCH_IRC_PROFILE=DIR also writes CPU profiles of roomgate during the first measured W2 and W3 runs.
 * In the runner: npm run bench -- --only IRC (opt-in; W1 sizes up to 1,000).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startInspircd, type DevInspircd } from '../../src/devstack/inspircd.ts';
import { echoesArrived, esc, numberedGroupchat, writeAll, xml, type BenchClient } from '../lib/client.ts';
import { BenchContext, GW } from '../lib/context.ts';
import { now, OrderChecker, type OrderCheck } from '../lib/gateway-core.ts';
import { startGateway, type GatewayHandle } from '../lib/gateway.ts';
import { closeBots, connectBots, privmsg, type IrcBot } from '../lib/irc-bots.ts';
import { resultsTable } from '../lib/report.ts';
import { commandsPerMessage, cpuMeter, sleep, spread, waitQuiet, warmUpCount, withTimeout } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';
import { join, leave, type JoinTiming } from './w1-join.ts';
import { cpuRows, type MeasuredRun } from './w2-w3.ts';

const REGISTER = 'jabber:iq:register';
/** The rows of this workload (under W1, W2, W3): `--only IRC` replaces them, `--only W1` keeps them. */
export const isIrcRow = (r: Row) => r.variant.startsWith('IRC,');
/**
 * Besides the test config's modules: `uhnames` offers IRCv3 userhost-in-names (as Libera, OFTC do),
 * so the plugin reads hosts from NAMES; without it, it sends WHO #channel on every JOIN and
 * the N-line reply competes with the join (≈ +60 ms on a cold join of 1,000 here).
 */
const IRCD_MODULES = ['uhnames'];
/** The plugin's line throttle, out of the way: the bench measures roomgate, not a flood guard. */
export const IRC_BENCH_THROTTLE = { burst: 1_000_000, linesPerSecond: 1_000_000 };
/** The XMPP account of the bench, and so the gateway's IRC nick. */
const USER = 'bench';
/** Silent members of #w2 and #w3 besides the sender / reader: rooms of 10 with the user, as in W2/W3. */
const FILLERS = 8;
const W2_CHANNEL = '#w2';
const W3_CHANNEL = '#w3';
const W2_SENDER = 'w2sender';
const W3_READER = 'w3reader';
const WARMUP_CHANNEL = '#w1-warmup';
const w1Channel = (n: number) => `#w1-n${n}`;

export interface IrcBenchOptions {
  runs: number;
  /** W1 channel sizes (IRC users besides the XMPP user). */
  sizes: number[];
  /** W2/W3 message count. */
  messages: number;
  timeoutMs: number;
  /** Which of W1, W2, W3 to run (default all). */
  parts?: string[];
}

type Variant = 'cold' | 'warm' | 'restored';
const VARIANT_LABEL: Record<Variant, string> = {
  cold: 'cold (gateway JOINs, NAMES; new room)',
  warm: 'warm (channel joined, room active; left and rejoined)',
  restored: 'restored (channel joined, room hibernated)',
};
const W1_TARGETS: Record<Variant, Record<number, number>> = { cold: { 1000: 150 }, warm: { 1000: 60 }, restored: { 1000: 150 } };
const W1_PEERS: Record<number, string> = { 10: 'biboumi 3.3 ms', 100: 'biboumi 11.8 ms', 1000: 'biboumi 87 ms' };

const describe = (c: OrderCheck) => (c.lost || c.duplicated || c.reordered
  ? `lost ${c.lost}, duplicated ${c.duplicated}, reordered ${c.reordered}` : 'ok');

/** The running pieces of the IRC workloads. */
interface Env {
  ctx: BenchContext;
  o: IrcBenchOptions;
  ircd: DevInspircd;
  ircdPid: number;
  gw: GatewayHandle;
  c: BenchClient;
  /** b0 … b(max N − 1): b0 founded every W1 channel; b1…b8 also sit in #w2 and #w3. */
  members: IrcBot[];
  sender: IrcBot;
  reader: IrcBot;
  pids: { prosody: number; redis: number };
}

const log = (msg: string) => console.log(`[bench irc ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Runs W1–W3 on IRC: its own InspIRCd and roomgate child, on the context's Redis and Prosody. */
export async function irc(ctx: BenchContext, o: IrcBenchOptions): Promise<WorkloadResult> {
  const t0 = Date.now();
  const ircd = await startInspircd({ defaultModes: 'nt', modules: IRCD_MODULES });
  let ircdPid = 0;
  try { ircdPid = Number(readFileSync(`${ircd.dir}/inspircd.pid`, 'utf8').trim()); } catch { /* no pid file: not metered */ }
  const bots: IrcBot[] = [];
  let gw: GatewayHandle | null = null;
  let c: BenchClient | null = null;
  try {
    const maxN = Math.max(...o.sizes, FILLERS + 1);
    const members = await connectBots(ircd.port, Array.from({ length: maxN }, (_, i) => `b${i}`), o.timeoutMs);
    bots.push(...members);
    const [sender, reader] = await connectBots(ircd.port, [W2_SENDER, W3_READER], o.timeoutMs);
    bots.push(sender!, reader!);
    log(`InspIRCd on port ${ircd.port}, ${bots.length} bots registered in ${Date.now() - t0} ms`);

    // Channels: the founder joins first (op) and sets the topic, then everyone else, pipelined.
    const t1 = Date.now();
    const found = async (founder: IrcBot, channel: string) => {
      founder.send(`JOIN ${channel}`, `TOPIC ${channel} :Subject of ${channel}`);
      await founder.sync(o.timeoutMs);
    };
    await found(members[0]!, WARMUP_CHANNEL);
    for (const n of o.sizes) await found(members[0]!, w1Channel(n));
    await found(sender!, W2_CHANNEL);
    await found(reader!, W3_CHANNEL);
    await Promise.all(members.map((b, i) => {
      if (i === 0) return undefined;
      const chans = o.sizes.filter((n) => i < n).map(w1Channel);
      if (i < 10) chans.push(WARMUP_CHANNEL);
      if (i <= FILLERS) chans.push(W2_CHANNEL, W3_CHANNEL);
      if (!chans.length) return undefined;
      b.send(`JOIN ${chans.join(',')}`);
      return b.sync(o.timeoutMs);
    }));
    log(`channels filled in ${Date.now() - t1} ms`);

    const prefix = ctx.newPrefix('irc');
    gw = await startGateway('child', {
      ...ctx.spec(prefix),
      plugin: {
        name: 'irc',
        options: {
          server: { host: '127.0.0.1', port: ircd.port, tls: false },
          throttle: IRC_BENCH_THROTTLE,
          reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
        },
      },
    });
    c = await ctx.connect(USER, 'irc');
    await ctx.register(c); // logs in: the gateway's IRC connection is welcomed before this returns
    await ctx.ping(c);
    const env: Env = { ctx, o, ircd, ircdPid, gw, c, members, sender: sender!, reader: reader!, pids: await ctx.serverPids() };

    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    const part = async (name: string, fn: () => Promise<WorkloadResult>) => {
      const t = Date.now();
      try {
        const r = await fn();
        rows.push(...r.rows);
        Object.assign(details, r.details);
      } catch (err) {
        log(`${name} FAILED: ${(err as Error).stack ?? err}`);
        details[`irc-${name}-error`] = String((err as Error).message ?? err);
      }
      log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };
    const wants = (p: string) => !o.parts || o.parts.includes(p);
    if (wants('W1')) await part('W1', () => w1Irc(env));
    if (wants('W2')) await part('W2', () => w2Irc(env));
    if (wants('W3')) await part('W3', () => w3Irc(env));
    details.irc = {
      inspircd: inspircdVersion(), modules: IRCD_MODULES, port: ircd.port, bots: bots.length, throttle: IRC_BENCH_THROTTLE,
      sizes: o.sizes, messages: o.messages, runs: o.runs,
    };
    return { rows, details };
  } finally {
    await c?.stop().catch(() => undefined);
    await gw?.stop().catch(() => undefined);
    await closeBots(bots).catch(() => undefined);
    await ircd.stop().catch(() => undefined);
  }
}

function inspircdVersion(): string {
  try {
    const out = readFileSync('/var/lib/dpkg/status', 'utf8');
    return /Package: inspircd\n(?:.*\n)*?Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Development aid: ROOMGATE_BENCH_IRC_PROFILE=DIR profiles roomgate during the first measured W2/W3 run. */
const PROFILE_DIR = process.env.ROOMGATE_BENCH_IRC_PROFILE;
async function profileStart(gw: GatewayHandle): Promise<void> {
  if (PROFILE_DIR) await gw.profileStart(200);
}
async function profileStop(gw: GatewayHandle, name: string): Promise<void> {
  if (!PROFILE_DIR) return;
  const file = await gw.profileStop(`${PROFILE_DIR}/${name}.cpuprofile`);
  log(`profile written: ${file}`);
}

/** The user leaves the room for good: <remove/> on the room PARTs the channel and deletes the room. */
async function leaveForGood(c: BenchClient, channel: string): Promise<void> {
  const reply = await c.iq(xml('iq', { type: 'set', to: `${channel}@${GW}` }, xml('query', { xmlns: REGISTER }, xml('remove'))), 30_000);
  if (reply.attrs.type !== 'result') throw new Error(`leaving ${channel} for good failed: ${reply.toString()}`);
  await sleep(300); // the room deletes itself after the PART (legacy.removed): let it finish
}

async function w1Irc(env: Env): Promise<WorkloadResult> {
  const { ctx, o, c, members } = env;
  const samples = new Map<string, (JoinTiming & { joinedIrc?: boolean })[]>();
  const checks = new Map<string, string[]>();
  const add = (v: Variant, n: number, t: JoinTiming, check: string) => {
    const key = `${v}|${n}`;
    samples.set(key, [...(samples.get(key) ?? []), t]);
    checks.set(key, [...(checks.get(key) ?? []), check]);
  };
  /** A measured join; the silent members stop reading meanwhile (their bytes wait in the kernel). */
  const measure = async (channel: string, n: number): Promise<JoinTiming> => {
    const silent = members.slice(0, n);
    for (const b of silent) b.pause();
    try {
      await waitQuiet(5000);
      const cpu = cpuMeter({ roomgate: env.gw.pid, ...env.pids, inspircd: env.ircdPid, bench: process.pid });
      const t = await join(c, channel, o.timeoutMs);
      await sleep(20);
      return { ...t, cpuMs: cpu.stop() };
    } finally {
      for (const b of silent) b.resume();
    }
  };
  const round = async (channel: string, n: number, record: boolean) => {
    // cold: b0 (the founder) must see the gateway's JOIN
    const joined = members[0]!.waitFor(`:${USER}!`, o.timeoutMs, `the JOIN of ${USER} in ${channel}`);
    joined.catch(() => undefined);
    const cold = await measure(channel, n);
    const sawJoin = await joined.then(() => true, () => false);
    if (record) add('cold', n, cold, cold.presences === n && sawJoin ? 'ok' : `${cold.presences} presences, expected ${n}${sawJoin ? '' : '; no JOIN on IRC'}`);
    await leave(c, channel, o.timeoutMs);
    await sleep(100);
    const warm = await measure(channel, n);
    if (record) add('warm', n, warm, warm.presences === n ? 'ok' : `${warm.presences} presences, expected ${n}`);
    await leave(c, channel, o.timeoutMs);
    await sleep(100);
    const h = await env.gw.hibernate();
    const restored = await measure(channel, n);
    if (record) add('restored', n, restored, restored.presences === n && (h?.hibernated ?? 0) > 0 ? 'ok' : `${restored.presences} presences, expected ${n}; hibernated ${h?.hibernated ?? 'none'}`);
    await leave(c, channel, o.timeoutMs);
    await leaveForGood(c, channel);
  };

  await round(WARMUP_CHANNEL, 9, false); // code paths (the founder b0 and b1…b8: 9 IRC users)
  for (let r = 1; r <= o.runs; r++) {
    for (const n of o.sizes) {
      await round(w1Channel(n), n, true);
      log(`W1 run ${r}, N=${n}: cold ${samples.get(`cold|${n}`)!.at(-1)!.toEnd.toFixed(1)} ms, warm ${samples.get(`warm|${n}`)!.at(-1)!.toEnd.toFixed(1)} ms, restored ${samples.get(`restored|${n}`)!.at(-1)!.toEnd.toFixed(1)} ms`);
    }
  }

  const rows: Row[] = [];
  for (const v of ['cold', 'warm', 'restored'] as Variant[]) {
    for (const n of o.sizes) {
      const key = `${v}|${n}`;
      const s = samples.get(key) ?? [];
      const variant = `IRC, N=${n.toLocaleString('en')}, ${VARIANT_LABEL[v]}`;
      const target = W1_TARGETS[v][n];
      rows.push({
        workload: 'W1', variant, metric: 'join → self-presence (110)', unit: 'ms', mode: 'child',
        spread: spread(s.map((t) => t.to110)), checks: checks.get(key) ?? [],
        ...(target ? { target: { op: '<=' as const, value: target } } : {}),
        ...(W1_PEERS[n] ? { peer: W1_PEERS[n] } : {}),
      });
      rows.push({
        workload: 'W1', variant, metric: 'join → room presence (sequence done)', unit: 'ms', mode: 'child',
        spread: spread(s.map((t) => t.toEnd)), checks: checks.get(key) ?? [], stanzas: n + 3,
      });
    }
  }
  return { rows, details: { ircW1Samples: Object.fromEntries(samples) } };
}

async function w2Irc(env: Env): Promise<WorkloadResult> {
  const { o, c, sender, gw } = env;
  const n = o.messages;
  await join(c, W2_CHANNEL, o.timeoutMs);
  const from = `${W2_CHANNEL}@${GW}/${W2_SENDER}`;
  const rates: number[] = [];
  const checks: string[] = [];
  const runs: MeasuredRun[] = [];
  for (let r = 0; r <= o.runs; r++) { // run 0: warm-up (see warmUpCount)
    const count = r === 0 ? warmUpCount(n) : n;
    const prefix = `irc-w2-${r}-`;
    const chunks: string[] = [];
    for (let i = 0; i < count; i += 100) {
      let s = '';
      for (let j = i; j < Math.min(count, i + 100); j++) s += `PRIVMSG ${W2_CHANNEL} :${prefix}${j}\r\n`;
      chunks.push(s);
    }
    const check = new OrderChecker(prefix, count);
    const quarters: number[] = [];
    const done = new Promise<number>((resolve) => {
      c.sink = (el) => {
        if (el.name !== 'message' || el.attrs.from !== from) return;
        if (!check.add(el.getChildText('body'))) return;
        if (check.received % Math.ceil(count / 4) === 0) quarters.push(now());
        if (check.complete) resolve(now());
      };
    });
    // another member of the channel: when InspIRCd had relayed every line (the server's share)
    const relayed = env.members[1]!.waitFor(`:${prefix}${count - 1}\r\n`, o.timeoutMs, 'the last line').then(() => now(), () => NaN);
    if (r > 0) await waitQuiet();
    const statsBefore = await env.ctx.redisCommandStats();
    const cpu = cpuMeter({ roomgate: gw.pid, ...env.pids, inspircd: env.ircdPid, bench: process.pid });
    if (r === 1) await profileStart(gw);
    const t0 = now();
    // 100 lines per write, one write per 1 ms timer turn (InspIRCd alone relays that at ~65,000
    // lines/s here); written back to back in one go, InspIRCd 3 relays the burst in 1–2 s stalls
    for (const chunk of chunks) {
      await sender.write(chunk);
      await sleep(1);
    }
    const tWritten = now();
    const tLast = await withTimeout(done, o.timeoutMs, `W2-IRC run ${r}`).catch(() => NaN);
    const used = cpu.stop();
    if (r === 1) await profileStop(gw, 'irc-w2');
    await sleep(100); // the last job's commit lands after its stanzas
    const redisPerMessage = commandsPerMessage(statsBefore, await env.ctx.redisCommandStats(), count);
    c.sink = () => undefined;
    if (r === 0) { await sleep(300); continue; }
    const ms = tLast - t0;
    const rate = (count / ms) * 1000;
    const relayedMs = (await relayed) - t0;
    rates.push(rate);
    const result = check.result();
    // a run where InspIRCd itself held the lines back (its burst stalls, see above) says so
    const stalled = relayedMs > tWritten - t0 + 500;
    checks.push(describe(result) + (stalled ? `; InspIRCd relay stalled (${Math.round(relayedMs)} ms)` : ''));
    runs.push({ ms, rate, writeMs: tWritten - t0, relayedMs, quartersMs: quarters.map((q) => q - t0), cpuMs: used, ...result, redisPerMessage });
    log(`W2 run ${r}: ${Math.round(rate)} msg/s (${describe(result)}), written in ${(tWritten - t0).toFixed(0)} ms, relayed by InspIRCd in ${relayedMs.toFixed(0)} ms, quarters at ${quarters.map((q) => (q - t0).toFixed(0)).join('/')} ms, CPU ms ${JSON.stringify(used)}, Redis calls/msg ${redisPerMessage.slice(0, 6).map((x) => `${x.command} ${x.calls.toFixed(2)}`).join(', ')}`);
    await sleep(500);
  }
  const variant = 'IRC, InspIRCd → XMPP, roomgate in a child process, channel of 10';
  return {
    rows: [{
      workload: 'W2', variant,
      metric: `${n.toLocaleString('en')} PRIVMSG lines from one IRC client, until the XMPP client has all (archived, in order)`,
      unit: 'msg/s', mode: 'child', spread: spread(rates), checks,
      target: { op: '>=', value: 12_000 }, peer: 'biboumi ≈ 1,080 (archive on) / 14,000 (off)',
    }, ...cpuRows({ workload: 'W2', variant, mode: 'child' }, runs, n)],
    details: { 'irc-w2': runs },
  };
}

async function w3Irc(env: Env): Promise<WorkloadResult> {
  const { o, c, reader, gw } = env;
  const n = o.messages;
  await join(c, W3_CHANNEL, o.timeoutMs);
  const room = `${W3_CHANNEL}@${GW}`;
  const self = `${room}/${USER}`;
  const ircRates: number[] = [];
  const echoRates: number[] = [];
  const ircChecks: string[] = [];
  const echoChecks: string[] = [];
  const runs: MeasuredRun[] = [];
  for (let r = 0; r <= o.runs; r++) {
    const count = r === 0 ? warmUpCount(n) : n;
    const prefix = `irc-w3-${r}-`;
    const stanzas = numberedGroupchat(room, prefix, count);
    const echoes = new OrderChecker(prefix, count);
    const heard = new OrderChecker(prefix, count);
    let errors = 0;
    let others = 0;
    // the longest wait between two lines the reader heard, and after how many: a stall shows
    let lastHeard = NaN;
    const gap = { ms: 0, after: 0 };
    const echoed = echoesArrived(c, self, echoes, () => { errors++; });
    const onIrc = new Promise<number>((resolve) => {
      reader.onLine = (line) => {
        const m = privmsg(line);
        if (!m || m.target !== W3_CHANNEL) return;
        if (m.nick !== USER) { others++; return; }
        const t = now();
        if (t - lastHeard > gap.ms) { gap.ms = t - lastHeard; gap.after = heard.received; }
        lastHeard = t;
        if (heard.add(m.body) && heard.complete) resolve(t);
      };
    });
    if (r > 0) await waitQuiet();
    const statsBefore = await env.ctx.redisCommandStats();
    const cpu = cpuMeter({ roomgate: gw.pid, ...env.pids, inspircd: env.ircdPid, bench: process.pid });
    if (r === 1) await profileStart(gw);
    const t0 = now();
    await writeAll(c, stanzas);
    const tWritten = now();
    const tIrc = await withTimeout(onIrc, o.timeoutMs, `W3-IRC run ${r} (IRC side)`).catch(() => NaN);
    const tEcho = await withTimeout(echoed, o.timeoutMs, `W3-IRC run ${r} (echoes)`).catch(() => NaN);
    const used = cpu.stop();
    if (r === 1) await profileStop(gw, 'irc-w3');
    await sleep(100);
    const redisPerMessage = commandsPerMessage(statsBefore, await env.ctx.redisCommandStats(), count);
    reader.onLine = null;
    c.sink = () => undefined;
    if (r === 0) { await sleep(300); continue; }
    const ircMs = tIrc - t0;
    const echoMs = tEcho - t0;
    ircRates.push((count / ircMs) * 1000);
    echoRates.push((count / echoMs) * 1000);
    ircChecks.push(describe(heard.result()) + (others ? `; ${others} lines from others` : ''));
    echoChecks.push(describe(echoes.result()) + (errors ? `; ${errors} errors` : ''));
    runs.push({ ircMs, echoMs, writeMs: tWritten - t0, longestGap: gap, cpuMs: used, irc: heard.result(), echoes: echoes.result(), errors, redisPerMessage });
    log(`W3 run ${r}: IRC ${Math.round((count / ircMs) * 1000)} msg/s (${describe(heard.result())}), echoes ${Math.round((count / echoMs) * 1000)} msg/s, longest wait between two lines ${gap.ms.toFixed(0)} ms (after ${gap.after}), CPU ms ${JSON.stringify(used)}`);
    await sleep(500);
  }
  const variant = 'IRC, XMPP → InspIRCd, roomgate in a child process, channel of 10';
  return {
    rows: [
      {
        workload: 'W3', variant, metric: `${n.toLocaleString('en')} messages, until an IRC client in the channel has all (in order)`,
        unit: 'msg/s', mode: 'child', spread: spread(ircRates), checks: ircChecks, target: { op: '>=', value: 10_000 },
        peer: 'biboumi ≈ 1,170 (archive on) / 12,000 (off)',
      },
      {
        workload: 'W3', variant, metric: `${n.toLocaleString('en')} messages, until every echo reached the client`,
        unit: 'msg/s', mode: 'child', spread: spread(echoRates), checks: echoChecks,
      },
      ...cpuRows({ workload: 'W3', variant, mode: 'child' }, runs, n),
    ],
    details: { 'irc-w3': runs },
  };
}

// Standalone: its own Redis + Prosody (BenchContext), prints the rows; writes no file.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' }, messages: { type: 'string' }, sizes: { type: 'string' },
      timeout: { type: 'string' }, quick: { type: 'boolean', default: false }, parts: { type: 'string' },
    },
  });
  const quick = values.quick!;
  const o: IrcBenchOptions = {
    runs: Number(values.runs ?? (quick ? 1 : 3)),
    sizes: (values.sizes ?? '10,100,1000').split(',').map(Number),
    messages: Number(values.messages ?? (quick ? 2000 : 10_000)),
    timeoutMs: Number(values.timeout ?? 120) * 1000,
    ...(values.parts ? { parts: values.parts.toUpperCase().split(',') } : {}),
  };
  const ctx = await BenchContext.start({
    quick, only: new Set(['IRC']), runs: o.runs, messages: o.messages, ceilingMessages: o.messages, w1Sizes: [], modes: ['child'],
    w5Rooms: [], profile: false, timeoutMs: o.timeoutMs, prosodyGc: 'generational',
  }, { runs: o.runs, w1Sizes: [], w5Rooms: [] });
  let code = 0;
  try {
    const res = await irc(ctx, o);
    console.log(`\n${resultsTable(res.rows)}\n`);
    if (Object.keys(res.details).some((k) => k.endsWith('-error'))) code = 1;
  } catch (err) {
    console.error(err);
    code = 1;
  } finally {
    await ctx.stop().catch(() => undefined);
  }
  process.exit(code);
}
