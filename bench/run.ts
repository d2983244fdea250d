/**
 * `npm run bench`: roomgate's workloads against a private Redis + Prosody on this machine.
 *
 *   npm run bench                      everything (≈ 10 minutes): docs/BENCHMARKS.md + bench/results/latest.json
 *   npm run bench -- --quick           ≈ 1-minute smoke run, small counts: bench/results/quick.json only
 *   npm run bench -- --only W2,W3      some workloads (ceiling, W1, W2, W3, W5), merged into latest.json and the doc
 *   npm run bench -- --only W4         W4 many rooms (not in the default run, like W6; bench/workloads/w4-many.ts)
 *   npm run bench -- --profile         also CPU- and allocation-profile roomgate during W1/W2/W3 (bench/results/profiles/)
 *   --runs N  --messages N  --modes child,inproc  --w1-sizes 1000,10000
 *   npm run bench -- --render          docs/BENCHMARKS.md again from bench/results/latest.json, nothing run
 *   --prosody-gc default               Prosody with Lua's default collector (as the peers in FACTS.md were
 *                                      measured); rows get "[Prosody default GC]" and merge only with their like
 *
 * Never part of `npm test`. Every wait is bounded (--timeout seconds per step, default 120).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSummary, summarise, type CpuProfile } from './cpuprofile-summary.ts';
import { writeFlamegraph } from './flamegraph.ts';
import { summariseHeap, type HeapProfile } from './heapprofile-summary.ts';
import type { BenchClient } from './lib/client.ts';
import { BenchContext, PARTITIONS, type BenchOptions } from './lib/context.ts';
import type { GatewayHandle, GatewayMode } from './lib/gateway.ts';
import { keptAnalysis, machineInfo, renderDoc, resultsTable, versions, type Results } from './lib/report.ts';
import { quietStats, sleep, spread, warmUpCount } from './lib/stats.ts';
import type { Throughput } from './workloads/w6-scale.ts';
import type { Row, WorkloadResult } from './lib/types.ts';
import { w1Room } from './lib/world.ts';
import { ceiling, componentCeiling } from './workloads/ceiling.ts';
import { join as joinRoom, leave, w1 } from './workloads/w1-join.ts';
import { W2_BIG_ROOM, w2, w3 } from './workloads/w2-w3.ts';
import { w5 } from './workloads/w5-memory.ts';
import { isKnownRow } from './workloads/w5-known.ts';
import { irc, isIrcRow } from './workloads/irc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const DOC = join(ROOT, 'docs/BENCHMARKS.md');
const WORKLOADS = ['ceiling', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6'];
/**
 * Run only when asked for by --only: W6 (own stack, several processes; see bench/workloads/w6-scale.ts),
 * W4 (1,000 client connections and 10,000 joins, ~2 minutes; see bench/workloads/w4-many.ts).
 */
const OPT_IN = new Set(['W4', 'W6']);

// IRC: W1–W3 through the irc plugin and its own InspIRCd (bench/workloads/irc.ts, ~2 minutes): rows of W1, W2, W3 named "IRC, …"
WORKLOADS.push('IRC');
OPT_IN.add('IRC');

// W5K: W5's 100,000 known rooms (bench/workloads/w5-known.ts, ~1 minute a run): rows of W5, run when named
WORKLOADS.push('W5K');
OPT_IN.add('W5K');

function options(argv: string[]): BenchOptions & { command: string; render: boolean } {
  const { values } = parseArgs({
    args: argv, allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      messages: { type: 'string' },
      modes: { type: 'string' },
      profile: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      'w1-sizes': { type: 'string' },
      'prosody-gc': { type: 'string', default: 'generational' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*\n?/, '').replace(/^ \* ?/gm, ''));
    process.exit(0);
  }
  const quick = values.quick!;
  const only = values.only ? new Set(values.only.split(',').map((w) => w.trim()).map((w) => (w.toLowerCase() === 'ceiling' ? 'ceiling' : w.toUpperCase()))) : null;
  for (const w of only ?? []) if (!WORKLOADS.includes(w)) throw new Error(`--only: unknown workload ${w} (known: ${WORKLOADS.join(', ')})`);
  const modes = (values.modes ?? (quick ? 'child' : 'child,inproc')).split(',') as GatewayMode[];
  for (const m of modes) if (m !== 'child' && m !== 'inproc') throw new Error(`--modes: child or inproc, not ${m}`);
  return {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    quick, only, modes, profile: values.profile!, render: values.render!,
    prosodyGc: prosodyGc(values['prosody-gc']!),
    runs: Number(values.runs ?? 3) || 3,
    messages: Number(values.messages ?? (quick ? 2000 : 10_000)),
    ceilingMessages: Number(values.messages ?? (quick ? 2000 : 10_000)),
    w1Sizes: values['w1-sizes'] ? values['w1-sizes'].split(',').map(Number) : quick ? [10, 100, 1000] : [10, 100, 1000, 10_000],
    w5Rooms: quick ? [[10, 20], [100, 10], [1000, 3]] : [[10, 200], [100, 100], [1000, 20]],
    timeoutMs: Number(values.timeout ?? 120) * 1000,
  };
}

function prosodyGc(value: string): BenchOptions['prosodyGc'] {
  if (value !== 'generational' && value !== 'default') throw new Error(`--prosody-gc: generational or default, not ${value}`);
  return value;
}

/**
 * W6's capped series: each worker held to this share of one core, so that 4 workers (1.2 cores)
 * leave the edge, Prosody, Redis and the clients most of this 2-core machine. Not less: an idle
 * worker with W6's 300 ms ownership tick already uses 3-5 % of a core, and at 0.1 of a core one
 * worker delivered only 110-260 messages a second.
 */
const W6_CAP_CORES = 0.3;

/** Rows measured with Prosody's default collector say so, and merge only with their like. */
const DEFAULT_GC = ' [Prosody default GC]';
const isDefaultGc = (r: Row) => r.variant.endsWith(DEFAULT_GC);

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts.render) return render();
  const started = Date.now();
  // Our own temp dir for the servers' dirs and configs: sweeps of /tmp/roomgate-test-* by test
  // runs elsewhere on the machine must not pull them from under a running bench.
  const runDir = mkdtempSync(join(tmpdir(), 'roomgate-bench-'));
  process.env.TMPDIR = runDir;
  process.on('exit', () => rmSync(runDir, { recursive: true, force: true }));
  const wants = (w: string) => (opts.only ? opts.only.has(w) : !OPT_IN.has(w));
  if (opts.quick) opts.runs = Math.min(opts.runs, 2);
  log(`${opts.command}: ${opts.quick ? 'quick smoke run' : 'full run'}, ${opts.runs} runs per figure`);
  const machine = machineInfo(); // load average before the bench adds its own
  const ctx = await BenchContext.start(opts, { runs: opts.runs, w1Sizes: opts.w1Sizes, w5Rooms: opts.w5Rooms });
  log(`stack up: redis ${ctx.stack.redis.url}, prosody c2s ${ctx.stack.prosody.c2sPort}, component ${ctx.stack.prosody.componentPort}`);
  const pids = await ctx.serverPids();
  const done: Record<string, WorkloadResult> = {};
  const profiles: Results['profiles'] = {};
  const measured: Record<string, string> = {};
  const stamp = (w: string) => { measured[w] = new Date().toISOString().slice(0, 10); };
  let gw: GatewayHandle | null = null;
  let client: BenchClient | null = null;

  const step = async (name: string, fn: () => Promise<WorkloadResult>) => {
    const t = Date.now();
    log(`${name} ...`);
    try {
      done[name] = await fn();
      for (const r of done[name]!.rows) log(`  ${r.workload} ${r.variant} / ${r.metric}: median ${r.spread.median.toFixed(1)} ${r.unit} (${r.spread.min.toFixed(1)}–${r.spread.max.toFixed(1)})${r.checks?.some((c) => c !== 'ok') ? ` CHECKS: ${r.checks.join('; ')}` : ''}`);
    } catch (err) {
      log(`  ${name} FAILED: ${(err as Error).stack ?? err}`);
      done[name] = { rows: [], details: { error: String((err as Error).message ?? err) } };
    }
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };

  try {
    if (wants('ceiling')) {
      await step('ceiling (client → client)', () => ceiling(ctx));
      await step('ceiling (component → client)', () => componentCeiling(ctx));
      stamp('ceiling');
    }

    const startMain = async (mode: GatewayMode, tag: string) => {
      const prefix = ctx.newPrefix(tag);
      gw = await ctx.startGateway(mode, prefix);
      client = await ctx.connect('bench');
      await ctx.register(client);
      await ctx.ping(client);
      return prefix;
    };
    const stopMain = async () => {
      await (client as BenchClient | null)?.stop();
      await (gw as GatewayHandle | null)?.stop();
      client = null;
      gw = null;
      await sleep(300);
    };

    if (wants('W1') || (wants('W2') && opts.modes.includes('child')) || (wants('W3') && opts.modes.includes('child'))) {
      const prefix = await startMain('child', 'main');
      if (wants('W1')) {
        await step('W1 join', async () => {
          const r = await w1(ctx, {
            gateway: gw!, client: client!,
            restart: async () => { await gw!.stop(); await sleep(300); gw = await ctx.startGateway('child', prefix); return gw; },
          });
          gw = r.gateway;
          return r;
        });
        stamp('W1');
      }
      if (wants('W2') && opts.modes.includes('child')) {
        await step('W2 legacy → XMPP (child)', () => w2(ctx, gw!, client!, pids));
        // the same in a room of 1,000, as many messages: with a fifth of them (before the thirteenth
        // pass) the fixed cost of a run's first and last jobs held the rate down by about a quarter
        await step('W2 legacy → XMPP, room of 1,000 (child)', () => w2(ctx, gw!, client!, pids, { room: W2_BIG_ROOM, size: 1000, messages: opts.messages }));
        stamp('W2');
      }
      if (wants('W3') && opts.modes.includes('child')) { await step('W3 XMPP → legacy (child)', () => w3(ctx, gw!, client!, pids)); stamp('W3'); }
      await stopMain();
    }
    if (opts.modes.includes('inproc') && (wants('W2') || wants('W3'))) {
      await startMain('inproc', 'inproc');
      if (wants('W2')) await step('W2 legacy → XMPP (in-process)', () => w2(ctx, gw!, client!, pids));
      if (wants('W3')) await step('W3 XMPP → legacy (in-process)', () => w3(ctx, gw!, client!, pids));
      await stopMain();
    }
    if (wants('IRC')) {
      await step('IRC: W1–W3 through InspIRCd', () => irc(ctx, { runs: opts.runs, sizes: opts.w1Sizes.filter((n) => n <= 1000), messages: opts.messages, timeoutMs: opts.timeoutMs }));
      stamp('IRC');
    }
    if (wants('W4')) {
      await step('W4 many rooms', async () => {
        const { w4 } = await import('./workloads/w4-many.ts');
        return w4(ctx, { runs: opts.runs, quick: opts.quick, timeoutMs: opts.timeoutMs });
      });
      stamp('W4');
    }
    if (wants('W5')) { await step('W5 memory', () => w5(ctx)); stamp('W5'); }
    if (wants('W5K')) {
      await step('W5 known rooms', async () => {
        const { w5Known } = await import('./workloads/w5-known.ts');
        return w5Known(ctx, opts.quick ? { known: 10_000, active: 200, users: 20 } : {}, log);
      });
      stamp('W5K');
    }
    if (wants('W6')) {
      await step('W6 scale-out', async () => {
        const { w6 } = await import('./workloads/w6-scale.ts');
        const res = await w6({ messages: opts.quick ? 1000 : 4000, workers: [1, 2, 4], runs: opts.runs, capCores: W6_CAP_CORES });
        const traffic = `legacy → XMPP over ${res.users} users × ${res.roomsPerUser} rooms (a user per partition)`;
        const plural = (n: number) => `${n} worker process${n > 1 ? 'es' : ''}`;
        // the workers' CPU per message: what a worker more costs in coordination, whatever the machine's phase
        const cpuRow = (variant: string, t: Throughput): Row => ({
          workload: 'W6', variant, metric: 'CPU of all the worker processes per 1,000 messages', unit: 'ms', spread: spread(t.workerCpuMsPer1000),
        });
        const rows: Row[] = [];
        // on all the machine's cores: with 2, a second worker has no core of its own (the issue: say so)
        for (const t of res.throughput) {
          const variant = `${plural(t.workers)} + 1 edge, uncapped (${res.cores} cores${res.cores < 4 && t.workers > 1 ? ': no core to spare for it' : ''})`;
          rows.push({ workload: 'W6', variant, metric: traffic, unit: 'msg/s', spread: t.msgPerS }, cpuRow(variant, t));
        }
        // each worker held to the same share of a core: the gain from more workers, where the cores allow it
        if (res.capped && 'throughput' in res.capped) {
          const { cores, throughput } = res.capped;
          const one = throughput.find((t) => t.workers === 1)?.msgPerS.median;
          for (const t of throughput) {
            const variant = `${plural(t.workers)} + 1 edge, each worker held to ${cores} of a core (CPU cgroup)`;
            rows.push({
              workload: 'W6', variant, metric: traffic, unit: 'msg/s', spread: t.msgPerS,
              ...(t.workers === 2 && one ? { target: { op: '>=' as const, value: Math.round(1.6 * one) } } : {}),
            }, cpuRow(variant, t));
          }
        } else if (res.capped) {
          log(`W6: the capped series was not run: ${res.capped.skipped}`);
        }
        rows.push({ workload: 'W6', variant: 'a worker SIGKILLed, 2 workers', metric: 'failover: kill → next message delivered', unit: 'ms', spread: res.failoverMs, target: { op: '<=', value: 5000 } });
        return { rows, details: { w6: res } };
      });
      stamp('W6');
    }

    if (opts.profile && (wants('W1') || wants('W2') || wants('W3'))) {
      const dir = join(RESULTS, 'profiles');
      mkdirSync(dir, { recursive: true });
      await startMain('child', 'profile');
      const take = async (name: string, what: string, fn: () => Promise<unknown>, units = 1, unit = 'join') => {
        const file = join(dir, `${name}.cpuprofile`);
        await gw!.profileStart(200);
        await fn();
        await gw!.profileStop(file);
        const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 25);
        const heap = summariseHeap(JSON.parse(readFileSync(file.replace(/\.cpuprofile$/, '.heapprofile'), 'utf8')) as HeapProfile, 15);
        const allocations = {
          file: `bench/results/profiles/${name}.heapprofile`, perUnit: heap.totalBytes / units, unit,
          byFunction: heap.byFunction.map((e) => ({ ...e, bytes: e.bytes / units })),
        };
        writeFlamegraph(file, `roomgate, ${what}: CPU flame graph`);
        profiles[name] = {
          file: `bench/results/profiles/${name}.cpuprofile`, flamegraph: `bench/results/profiles/${name}.html`,
          summary, what, date: new Date().toISOString().slice(0, 10), allocations,
        };
        log(`profile ${name}:\n${formatSummary(summary)}`);
      };
      const popts = { ...opts, runs: 1 };
      const pctx = Object.create(ctx, { opts: { value: popts } }) as BenchContext;
      try {
        if (wants('W1')) {
          const n = Math.max(...opts.w1Sizes);
          await take(`w1-cold-${n}`, `W1: one cold, fresh join of a room of ${n.toLocaleString('en')} participants`, async () => {
            await joinRoom(client!, w1Room(n, 'prof'), opts.timeoutMs);
          });
          await leave(client!, w1Room(n, 'prof'), opts.timeoutMs);
          await take(`w1-warm-${n}`, `W1: one warm join of a room of ${n.toLocaleString('en')} participants`, async () => {
            await joinRoom(client!, w1Room(n, 'prof'), opts.timeoutMs);
          });
          await leave(client!, w1Room(n, 'prof'), opts.timeoutMs);
          if (await gw!.hibernate()) {
            await take(`w1-restored-${n}`, `W1: one join of a hibernated room of ${n.toLocaleString('en')} participants (restored from its snapshot)`, async () => {
              await joinRoom(client!, w1Room(n, 'prof'), opts.timeoutMs);
            });
          }
        }
        // a fresh process runs cold code (interpreted, then baseline-compiled) for thousands of
        // messages: a full unprofiled pass first, so the profiles show the steady state
        if (wants('W2')) await w2(pctx, gw!, client!, pids, { tag: '-prof-warm' });
        if (wants('W3')) await w3(pctx, gw!, client!, pids, { tag: '-prof-warm' });
        const profiled = opts.messages + warmUpCount(opts.messages);
        if (wants('W2')) {
          // w2 runs a warm-up then one measured run; the profile covers both
          await take('w2', `W2: ${profiled.toLocaleString('en')} legacy messages (warm-up run included)`, () => w2(pctx, gw!, client!, pids, { tag: '-prof' }), profiled, 'message');
        }
        if (wants('W3')) {
          await take('w3', `W3: ${profiled.toLocaleString('en')} XMPP messages (warm-up run included)`, () => w3(pctx, gw!, client!, pids, { tag: '-prof' }), profiled, 'message');
        }
      } finally {
        await stopMain();
      }
    }
  } finally {
    await (client as BenchClient | null)?.stop().catch(() => undefined);
    await (gw as GatewayHandle | null)?.stop().catch(() => undefined);
    await ctx.stop().catch(() => undefined);
  }

  const rows: Row[] = Object.values(done).flatMap((r) => r.rows);
  if (opts.prosodyGc === 'default') for (const r of rows) r.variant += DEFAULT_GC;
  const details = Object.assign({}, ...Object.values(done).map((r) => r.details)) as Record<string, unknown>;
  let results: Results = {
    meta: {
      date: new Date().toISOString(), command: opts.command, quick: opts.quick, durationS: (Date.now() - started) / 1000,
      machine, versions: versions(),
      quiet: { ...quietStats },
      options: { prosodyGc: opts.prosodyGc, runs: opts.runs, messages: opts.messages, ceilingMessages: opts.ceilingMessages, w1Sizes: opts.w1Sizes, w5Rooms: opts.w5Rooms, modes: opts.modes, partitions: PARTITIONS },
    },
    rows, details, profiles, measured,
  };
  mkdirSync(RESULTS, { recursive: true });
  const latest = join(RESULTS, 'latest.json');
  if (opts.quick) {
    computeRatios(results.rows);
    writeFileSync(join(RESULTS, 'quick.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${resultsTable(results.rows)}\n`);
    log(`quick run: bench/results/quick.json written (docs/BENCHMARKS.md untouched), ${Math.round(results.meta.durationS)} s`);
    return;
  }
  const previous = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')) as Results : null;
  if (opts.only && previous) results = merge(previous, results, opts.only);
  // profiles are kept from an earlier run when this one took none (they carry their date)
  else if (previous && !Object.keys(results.profiles).length) results.profiles = previous.profiles ?? {};
  computeRatios(results.rows);
  writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(DOC, renderDoc(results, keptAnalysis(DOC)));
  console.log(`\n${resultsTable(results.rows)}\n`);
  log(`bench/results/latest.json and docs/BENCHMARKS.md written, ${Math.round(results.meta.durationS)} s`);
}

/** --render: docs/BENCHMARKS.md written again from bench/results/latest.json (after editing the analysis, or this code). */
function render(): void {
  const latest = join(RESULTS, 'latest.json');
  const results = JSON.parse(readFileSync(latest, 'utf8')) as Results;
  computeRatios(results.rows);
  writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(DOC, renderDoc(results, keptAnalysis(DOC)));
  log('docs/BENCHMARKS.md written again from bench/results/latest.json');
}

/** --only: the new figures replace those of the same workloads in the previous results. */
function merge(old: Results, fresh: Results, only: Set<string>): Results {
  const freshGc = fresh.rows.some(isDefaultGc);
  const rows = [...old.rows.filter((r) => (isKnownRow(r) ? !only.has('W5K') : isIrcRow(r) ? !only.has('IRC') : !only.has(r.workload)) || isDefaultGc(r) !== freshGc), ...fresh.rows];
  const order = (r: Row) => WORKLOADS.indexOf(r.workload) + (isIrcRow(r) ? 0.5 : 0); // IRC rows after the demo ones
  rows.sort((a, b) => order(a) - order(b));
  return {
    meta: { ...fresh.meta, command: `${old.meta.command}; then ${fresh.meta.command}`, durationS: old.meta.durationS + fresh.meta.durationS },
    rows,
    details: { ...old.details, ...fresh.details },
    profiles: { ...old.profiles, ...fresh.profiles },
    measured: { ...old.measured, ...fresh.measured },
  };
}

/** Each figure over the client → client ceiling measured on the same Prosody setup (collector). */
function computeRatios(rows: Row[]): void {
  for (const defaultGc of [false, true]) {
    const variant = `client → client${defaultGc ? DEFAULT_GC : ''}`;
    const ceilingRate = rows.find((r) => r.workload === 'ceiling' && r.variant === variant)?.spread.median;
    if (!ceilingRate || !Number.isFinite(ceilingRate)) continue;
    for (const r of rows) {
      if (isDefaultGc(r) !== defaultGc) continue;
      if (r.unit === 'msg/s' && r.workload !== 'ceiling') r.ceilingRatio = r.spread.median / ceilingRate;
      else if (r.workload === 'ceiling' && r.variant !== variant) r.ceilingRatio = r.spread.median / ceilingRate;
      else if (r.stanzas && r.unit === 'ms') r.ceilingRatio = ((r.stanzas / ceilingRate) * 1000) / r.spread.median;
    }
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
