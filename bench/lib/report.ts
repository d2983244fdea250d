/** Machine and versions, and the Markdown of docs/BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem, availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ProfileSummary } from '../cpuprofile-summary.ts';
import type { Row } from './types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Results {
  meta: {
    date: string;
    command: string;
    quick: boolean;
    durationS: number;
    /** Waits for a quiet machine before measured runs (the machine is shared). */
    quiet?: { waits: number; waitedMs: number; notQuiet: number };
    machine: Record<string, string | number>;
    versions: Record<string, string>;
    options: Record<string, unknown>;
  };
  rows: Row[];
  details: Record<string, unknown>;
  profiles: Record<string, {
    file: string; summary: ProfileSummary; what: string; date?: string;
    /** The same profile as a flame graph page (`bench/flamegraph.ts`). */
    flamegraph?: string;
    /** Allocations during the same window (`.heapprofile`); bytes are per unit of work (a message, a join). */
    allocations?: { file: string; perUnit: number; unit: string; byFunction: { name: string; bytes: number; pct: number }[] };
  }>;
  /** When each workload's figures were measured (--only merges into an earlier run). */
  measured: Record<string, string>;
}

function sh(cmd: string, args: string[]): string {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
}

function pkgVersion(name: string): string {
  try { return JSON.parse(readFileSync(`${ROOT}/node_modules/${name}/package.json`, 'utf8')).version as string; } catch { return 'missing'; }
}

export function machineInfo(): Record<string, string | number> {
  const model = cpus()[0]?.model?.trim() ?? 'unknown';
  let os = 'unknown';
  try { os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os; } catch { /* */ }
  return {
    nproc: availableParallelism(), cpu: model, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os, kernel: sh('uname', ['-r']),
    loadAtStart: loadavg().map((l) => l.toFixed(2)).join(' / '),
  };
}

export function versions(): Record<string, string> {
  const deb = (p: string) => sh('dpkg-query', ['-W', '-f', '${Version}', p]);
  const out: Record<string, string> = {
    node: process.version, 'redis-server': deb('redis-server'), prosody: deb('prosody'),
  };
  for (const p of ['bullmq', 'ioredis', 'xstate', '@xmpp/component-core', '@xmpp/client', 'ltx', 'pino', 'tsx']) out[p] = pkgVersion(p);
  try { out.roomgate = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version; } catch { /* */ }
  out['roomgate commit'] = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) + (sh('git', ['-C', ROOT, 'status', '--porcelain', 'src']) ? ' (+ uncommitted changes in src/)' : '');
  return out;
}

const fmtNum = (v: number, unit: string): string => {
  if (!Number.isFinite(v)) return '—';
  if (unit === 'msg/s' || unit === 'B') return Math.round(v).toLocaleString('en');
  if (v >= 100) return Math.round(v).toLocaleString('en');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
};

function targetCell(r: Row): string {
  if (!r.target) return '';
  const ok = r.target.op === '>=' ? r.spread.median >= r.target.value : r.spread.median <= r.target.value;
  const sign = r.target.op === '>=' ? '≥' : '≤';
  return `${sign} ${r.target.value.toLocaleString('en')} ${ok ? '✅' : '❌'}`;
}

function checksCell(r: Row): string {
  if (!r.checks?.length) return '';
  const bad = r.checks.filter((c) => c !== 'ok');
  return bad.length ? `⚠ ${[...new Set(bad)].join('; ')}` : `ok ×${r.checks.length}`;
}

export function resultsTable(rows: Row[]): string {
  const head = '| workload | variant | metric | median | min–max | runs | target | vs ceiling | peer (FACTS.md) | checks |\n|---|---|---|---:|---:|---:|---|---:|---|---|';
  const lines = rows.map((r) => {
    const unit = r.unit;
    const ratio = r.ceilingRatio === undefined ? '' : `${(r.ceilingRatio * 100).toFixed(r.ceilingRatio < 0.1 ? 1 : 0)} %`;
    return `| ${r.workload} | ${r.variant} | ${r.metric} | **${fmtNum(r.spread.median, unit)} ${unit}** | ${fmtNum(r.spread.min, unit)}–${fmtNum(r.spread.max, unit)} | ${r.spread.n} | ${targetCell(r)} | ${ratio} | ${r.peer ?? ''} | ${checksCell(r)} |`;
  });
  return [head, ...lines].join('\n');
}

function cpuTable(details: Record<string, unknown>): string {
  const lines: string[] = [];
  // the demo network's runs (`w2-child`, `w3-inproc-...`), then those through InspIRCd (`irc-w2`, `irc-w3`)
  const keys = Object.keys(details).filter((k) => /^(irc-)?w[23](-|$)/.test(k) && !k.endsWith('-error'));
  const irc = (k: string) => k.startsWith('irc-');
  for (const key of keys.sort((a, b) => Number(irc(a)) - Number(irc(b)) || a.localeCompare(b))) {
    const runs = details[key] as { cpuMs: Record<string, number>; [k: string]: unknown }[];
    if (!Array.isArray(runs)) continue;
    const [w, mode, ...room] = key.replace(/^irc-/, '').split('-');
    const label = irc(key)
      ? `${w!.toUpperCase()}, IRC (InspIRCd), child`
      : `${w!.toUpperCase()}, ${mode === 'inproc' ? 'in-process' : 'child'}${room.length ? `, ${room.join('-')}` : ''}`;
    for (const [i, run] of runs.entries()) {
      // W3's wall: until the legacy network (the IRC channel) has every message
      const wall = Number(run[w === 'w2' ? 'ms' : irc(key) ? 'ircMs' : 'legacyMs']);
      const cells = ['roomgate', 'prosody', 'redis', 'inspircd', 'bench', 'others'].map((p) => {
        if (p === 'inspircd' && !irc(key)) return '';
        if (p === 'bench' && mode === 'inproc') return '(the same process)';
        const ms = run.cpuMs[p];
        if (ms === undefined) return '';
        return `${(ms / 1000).toFixed(2)} s (${Math.round((ms / wall) * 100)} %)`;
      });
      lines.push(`| ${label} | ${i + 1} | ${(wall / 1000).toFixed(2)} s | ${cells.join(' | ')} |`);
    }
  }
  if (!lines.length) return '';
  return [
    '| workload | run | wall | roomgate | prosody | redis | InspIRCd | bench client | other processes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

/** CPU per process during the W1 joins of the largest rooms (median over the runs). */
function joinCpuTable(details: Record<string, unknown>): string {
  const samples = details.w1Samples as Record<string, { toEnd: number; cpuMs?: Record<string, number> }[]> | undefined;
  if (!samples) return '';
  const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN; };
  const lines: string[] = [];
  for (const [key, runs] of Object.entries(samples)) {
    const [variant, n] = key.split('|');
    if (Number(n) < 1000 || !runs[0]?.cpuMs) continue;
    const cell = (p: string) => `${Math.round(med(runs.map((r) => r.cpuMs![p] ?? NaN)))} ms`;
    lines.push(`| N=${Number(n).toLocaleString('en')}, ${variant} | ${Math.round(med(runs.map((r) => r.toEnd)))} ms | ${cell('roomgate')} | ${cell('prosody')} | ${cell('redis')} | ${cell('bench')} | ${cell('others')} |`);
  }
  if (!lines.length) return '';
  return ['| join | wall (to the room presence) | roomgate | prosody | redis | bench client | other processes |', '|---|---:|---:|---:|---:|---:|---:|', ...lines].join('\n');
}

/**
 * CPU per process in each W4a run (200 joins), roomgate's main thread apart from V8's helper
 * threads: a run that had a major GC's concurrent marking, or optimising compiles of code that
 * only now got hot, cost roomgate up to 170 ms more there, on cores Prosody shares.
 */
function w4aCpuTable(details: Record<string, unknown>): string {
  const samples = details.w4aSamples as Record<string, { ms: number; cpuMs: Record<string, number> }[]> | undefined;
  if (samples?.cold?.[0]?.cpuMs.roomgateMain === undefined) return ''; // measured before the thirteenth pass
  const lines: string[] = [];
  for (const [variant, runs] of Object.entries(samples)) {
    for (const [i, run] of runs.entries()) {
      const c = run.cpuMs;
      const helpers = c.roomgate! - c.roomgateMain!;
      lines.push(`| W4a ${variant} | ${i + 1} | ${run.ms.toFixed(1)} ms | ${c.roomgateMain} ms | ${Math.max(0, helpers)} ms | ${c.prosody} ms | ${c.redis} ms | ${c.bench} ms | ${c.others} ms |`);
    }
  }
  return [
    '| workload | run | wall | roomgate main thread | roomgate V8 helper threads | prosody | redis | bench client | other processes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

/**
 * Redis commands in the first measured W2 and W3 runs (child process), per 1,000 messages: a
 * mailbox job carries hundreds of messages, so each command runs far less than once a message.
 * Commands that take Redis time or run at least twice per 1,000 messages, the costliest first.
 */
function redisTable(details: Record<string, unknown>): string {
  type R = { redisPerMessage?: { command: string; calls: number; usec: number }[] };
  const w2 = (details['w2-child'] as R[] | undefined)?.[0]?.redisPerMessage;
  const w3 = (details['w3-child'] as R[] | undefined)?.[0]?.redisPerMessage;
  if (!w2 && !w3) return '';
  const shown = (c: { calls: number; usec: number }) => c.calls * 1000 >= 2 || c.usec >= 0.05;
  const names = new Set([...(w2 ?? []), ...(w3 ?? [])].filter(shown).map((c) => c.command));
  const get = (list: typeof w2, name: string) => list?.find((c) => c.command === name);
  const cell = (c?: { calls: number; usec: number }) => (c ? `${(c.calls * 1000).toFixed(1)} | ${c.usec.toFixed(2)}` : ' | ');
  const total = (list: typeof w2, key: 'calls' | 'usec') => {
    const sum = list?.reduce((a, c) => a + c[key], 0);
    return sum === undefined ? '' : key === 'calls' ? (sum * 1000).toFixed(0) : sum.toFixed(1);
  };
  const cost = (n: string) => (get(w2, n)?.usec ?? 0) + (get(w3, n)?.usec ?? 0);
  const rows = [...names].sort((a, b) => cost(b) - cost(a)).map((n) => `| ${n} | ${cell(get(w2, n))} | ${cell(get(w3, n))} |`);
  return [
    '| Redis command | W2 calls per 1,000 msgs | W2 µs/msg | W3 calls per 1,000 msgs | W3 µs/msg |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    `| **all commands** | **${total(w2, 'calls')}** | **${total(w2, 'usec')}** | **${total(w3, 'calls')}** | **${total(w3, 'usec')}** |`,
  ].join('\n');
}

function profileSection(profiles: Results['profiles']): string {
  const parts: string[] = [];
  for (const [name, p] of Object.entries(profiles)) {
    const s = p.summary;
    const list = (entries: { name: string; pct: number; ms: number }[], n: number) =>
      entries.slice(0, n).map((e) => `| ${e.pct.toFixed(1)} % | ${Math.round(e.ms).toLocaleString('en')} ms | \`${e.name.replace(/\|/g, '\\|')}\` |`).join('\n');
    parts.push([
      `### ${name}`,
      '',
      `${p.what}${p.date ? ` (profiled ${p.date})` : ''}. Sampled ${(s.totalMs / 1000).toFixed(2)} s of roomgate's main thread, busy ${(s.busyMs / 1000).toFixed(2)} s (${Math.round((s.busyMs / s.totalMs) * 100)} %). Percentages are of busy time. Profile: \`${p.file}\`${p.flamegraph ? `; flame graph: [\`${p.flamegraph}\`](../${p.flamegraph}) (open it in a browser: click a frame to zoom, search by name)` : ''}.`,
      '',
      '<details><summary>self time by package / file, by function, and inclusive time of roomgate functions</summary>',
      '',
      '| self | ms | package / file |', '|---:|---:|---|', list(s.selfByPackage, 15), '',
      '| self | ms | function |', '|---:|---:|---|', list(s.selfByFunction, 20), '',
      '| inclusive | ms | roomgate function (src/) |', '|---:|---:|---|', list(s.inclusiveSrc, 15), '',
      '</details>',
      ...(p.allocations ? [
        '',
        `Allocated: **${Math.round(p.allocations.perUnit).toLocaleString('en')} B per ${p.allocations.unit}** (sampled, what the garbage collector sweeps; \`${p.allocations.file}\`, \`bench/heapprofile-summary.ts\`).`,
        '',
        '<details><summary>bytes allocated per function</summary>',
        '',
        '| share | B per unit | function |', '|---:|---:|---|',
        p.allocations.byFunction.slice(0, 15).map((e) => `| ${e.pct.toFixed(1)} % | ${Math.round(e.bytes).toLocaleString('en')} | \`${e.name.replace(/\|/g, '\\|')}\` |`).join('\n'),
        '',
        '</details>',
      ] : []),
    ].join('\n'));
  }
  return parts.join('\n\n');
}

const ANALYSIS_START = '<!-- analysis:start (kept when the bench rewrites this file) -->';
const ANALYSIS_END = '<!-- analysis:end -->';

export function keptAnalysis(docPath: string): string {
  if (!existsSync(docPath)) return '';
  const text = readFileSync(docPath, 'utf8');
  const i = text.indexOf(ANALYSIS_START);
  const j = text.indexOf(ANALYSIS_END);
  return i >= 0 && j > i ? text.slice(i + ANALYSIS_START.length, j).trim() : '';
}

export function renderDoc(res: Results, analysis: string): string {
  const m = res.meta;
  const measured = Object.entries(res.measured).map(([w, d]) => `${w} ${d}`).join(', ');
  return `# roomgate benchmarks

Generated by \`${m.command}\` (bench/run.ts) on ${m.date.slice(0, 16).replace('T', ' ')} UTC, in ${Math.round(m.durationS)} s${m.quick ? ' (--quick smoke run: small counts, do not quote)' : ''}.
Each figure is the **median** of ${m.options.runs} runs, with the spread (min–max) over those runs; a warm-up run before them is not counted (for W2 and W3 as long as a measured run).
Everything runs on this one machine over loopback: a private Redis and Prosody started by the bench
(src/devstack, through test/support/stack.ts; Prosody with Lua 5.4's generational collector, except in rows marked "[Prosody default GC]"), roomgate with the demo plugin and a generated world, and the XMPP client(s) of the bench.
Figures measured: ${measured}.
This machine is shared with other jobs: before each measured run the bench waits (up to 20 s; 5 s for a W1 join) until the
whole machine is nearly idle${m.quiet ? ` (this run: ${m.quiet.waits} waits, ${Math.round(m.quiet.waitedMs / 1000)} s waited, ${m.quiet.notQuiet} of them gave up waiting)` : ''}; the CPU tables below show what other processes used during each run.

\`npm run bench\` runs the ceiling, W1, W2, W3 and W5 (about 3 minutes); \`npm run bench -- --quick\` is a ~1-minute smoke run
(small counts, results in bench/results/quick.json, this file untouched); \`npm run bench -- --only W2,W3\` runs some
workloads and merges them into bench/results/latest.json and this file. These run only when named, each with a stack of its own:
W4 (bench/workloads/w4-many.ts: 1,000 client connections), IRC (bench/workloads/irc.ts: W1–W3 through InspIRCd), W5K
(bench/workloads/w5-known.ts: 100,000 known rooms) and W6 (bench/workloads/w6-scale.ts: several roomgate processes; its second series holds each
worker to 0.3 of a core with a CPU cgroup, which needs root, so that more workers can show a gain on 2 cores;
\`ROOMGATE_EXTRA_NODE_FLAGS='--cpu-prof --cpu-prof-dir=DIR'\` profiles its processes).
\`--prosody-gc default\` measures on Prosody's default collector (rows marked so); \`--render\` writes this file again from
latest.json; \`--profile\` adds CPU and allocation profiles of roomgate during W1/W2/W3, each CPU profile also as a flame graph
page (not counted in the table). Raw data: bench/results/latest.json.

## Machine

| nproc | CPU | memory | OS | kernel | load average at start (1 / 5 / 15 min) |
|---:|---|---:|---|---|---|
| ${m.machine.nproc} | ${m.machine.cpu} | ${m.machine.memoryGiB} GiB | ${m.machine.os} | ${m.machine.kernel} | ${m.machine.loadAtStart ?? ''} |

## Versions

${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(' · ')}

## How roomgate runs here

roomgate runs **in a child process** (\`node --expose-gc --max-semi-space-size=64 --import tsx bench/gateway-proc.ts CONFIG\`, the node flags of \`bin/roomgate.js\`: the same
\`startGateway\` as \`roomgate start --config FILE\`, from a generated config, log level \`silent\`, ${m.options.partitions} partitions,
demo plugin with \`shiftTimestamps: false\`, \`httpPort: 0\`), so the bench's client load does not share its event loop. The child
also holds the demo network, i.e. the legacy side: W2 posts and W3 observes in that process, through IPC
commands, as a legacy client library living in the gateway would. W2 and W3 are also run with roomgate **in the bench process**
(rows marked so) for comparison. The ceiling rows use no gateway at all.

- Ceiling: two @xmpp/client sessions through Prosody; the sender writes pre-serialised chat messages, 100 per socket write, as fast as
  the socket takes them; timed until the receiver has them all. The component rows do the same from a bare XEP-0114 component (the
  gateway's JID, roomgate stopped): groupchat messages shaped like roomgate's (with \`stanza-id\` and \`occupant-id\`), W2's
  stanzas byte for byte (roomgate's own writer: also the chat state and marker request Slidge adds, spec §1.4), with a body
  only, and occupant presences shaped like those of a join. The echo row is W3's traffic: the client writes W3's messages to
  the bare component, which echoes each at once with \`stanza-id\` and \`occupant-id\`; timed until the client has every echo.
  They are the best any gateway can do through Prosody here: W2's stanzas bound W2, the echoes bound W3, the presences bound W1.
- W1: the client sends its join presence; the time to its self-presence (110) and to the room's own presence with its avatar
  hash, after the subject (the end of the join sequence since the seventeenth pass; before, the subject ended it) is taken; presences before the 110 are counted (must be N). *warm*: room active, left and joined again; *cold, fresh*: first join of
  a never-joined room (fill from the legacy network, backfill, snapshot); *cold, restored*: room filled and left, then hibernated
  (actor dropped from memory), so the join restores the room actor from its Redis snapshot.
- W2: \`network.post(room, { from: 'alice', body })\` 10,000 times in a tight loop inside roomgate's process; timed from the first
  post until the joined client has all 10,000, each numbered body checked (none lost, duplicated or reordered). roomgate archives
  every message in Redis and writes the room's watermark with each mailbox commit (its snapshot where more changed), so the
  figure is durable. Also in a room of 1,000 participants, where a snapshot is ~60× larger, the sender last in its list (since
  the twelfth pass), with as many messages since the thirteenth pass (2,000 before: the fixed cost of a run's first and last
  jobs then held its rate down by about a quarter).
- W3: the client writes 10,000 numbered groupchat messages (pre-serialised, 100 per write); timed until another member of the demo
  network has heard them all (and the room's \`sent\` list holds them in order), and until every echo reached the client.
- W2 and W3 with roomgate in a child process also give their CPU per 1,000 messages (from /proc, 10 ms ticks): roomgate's, and
  that of every process of the path together (roomgate, Prosody, Redis, the bench's client; not other jobs), and the rate the
  machine's cores allow at that cost (cores × 1,000 ms of CPU a second, "msg/s (bound)"): what no run of that workload can
  beat here, however the processes share the cores.
- W4: a roomgate child of its own with a world of its own (every room lists its members). *200 rooms*: one user writes 200 join
  presences in one socket write (pre-serialised) to 200 rooms of 5 participants; timed until the last room's own presence (each room's
  join sequence: 5 occupants, self-presence with 110, subject, the room's presence with its avatar hash; 200 × 6 occupant and self
  presences counted; until the seventeenth pass the subject ended the sequence). *cold*: rooms never joined (filled from
  the demo network); *warm*: rooms active, left and joined again; measured after a warm-up of 2,800 joins (12 cold sets, the warm
  set twice), so that the code runs optimised, as in a gateway that has run for a while (with 4 cold sets, V8 still compiled
  cold-join code during the measured runs; "CPU per process during W4a" below shows roomgate's helper threads). *1,000 users*: 1,000 real c2s sessions through Prosody (a minimal
  client: SASL PLAIN, bind; accounts written as Prosody account files; users registered in roomgate's user store and logged in
  by a control job), each joined to 10 rooms: 1,000 rooms of 10 users and 5 legacy participants (10,000 room actors), all joining
  at once (joins/s, one run). Then legacy traffic: participant p1 posts into the rooms in turn through the IPC \`post\` of W2 (each
  post reaches 10 users), with the post time in the body; every delivery's latency (post → the client read it) is kept. Offered
  at a fixed rate, and in a closed loop (a bounded number of posts not yet delivered everywhere: as fast as roomgate sustains);
  events/s are the deliveries to clients per second, first post to last delivery.
- IRC (rows "IRC, …" under W1, W2, W3; \`npm run bench -- --only IRC\`, bench/workloads/irc.ts, not part of the default run): W1–W3
  through the irc plugin and a private InspIRCd 3 (src/devstack, the test config: no flood limits, fakelag off, 100,000 clients
  per IP; plus \`uhnames\`, IRCv3 userhost-in-names, so the plugin sends no WHO after its JOIN), roomgate in a child process with the plugin's line throttle out of the way (burst and rate 1,000,000); the IRC side is
  raw-socket bots in the bench process (registered in bulk, commands pipelined). *W1*: N bots in a channel (the first set the
  topic); *cold*: the gateway's connection JOINs and reads NAMES, the room is new (the run before left it for good: \`<remove/>\`
  PARTs the channel and deletes the room); *warm*: the user left the room (on IRC the gateway stays in the channel) and joins
  again; *restored*: the same after the room was hibernated. The silent bots stop reading while a join is timed. *W2*: a bot in
  a channel of 10 writes 10,000 numbered PRIVMSG lines, 100 per write, one write per 1 ms timer turn (InspIRCd alone relays that at
  ~65,000 lines/s here; written back to back in one go, InspIRCd 3 relays such a burst in 1–2 s stalls); timed until the XMPP
  client has all, checked for losses, duplicates and order. *W3*: as W3, to a channel of 10; timed until a bot in the channel has
  read them all (in order), and until every echo reached the client.
- W5: a fresh roomgate child per run; one room of each size joined and hibernated first (so compiled code is in the baseline);
  heap and RSS after forced GC, before and after joining K rooms of N participants (all active), divided by K; then every room
  hibernated, 5 × K more rooms of 10 (1,000) joined and hibernated twice, and the heap read after each set (per hibernated
  room: the second set's slope; the first warms up the code of those joins, which the slope read before the twelfth pass;
  the plugin room objects \`fill()\` made count negative, as hibernation releases them). Snapshot size
  of one room of each size in Redis: \`STRLEN\` and \`MEMORY USAGE\`. *Per message*: a roomgate child of its own (the demo
  network's journal kept to 1,000 events, \`journalKept\`), W2's traffic in windows of 30,000 messages, the heap and external
  memory (buffers) after GC read after each: the growth per 10,000 messages, after a first window of warm-up.
- "vs ceiling" is the figure's rate over the client → client ceiling's median (for W1, N+3 stanzas over the time to the room presence).

## Results

${resultsTable(res.rows)}

${joinCpuTable(res.details) ? `### CPU per process during a W1 join

CPU time each process used during one join (median over the runs; /proc figures have a 10 ms resolution).

${joinCpuTable(res.details)}

` : ''}${w4aCpuTable(res.details) ? `### CPU per process during W4a

CPU time each process used during each W4a run (200 joins at once), from /proc. roomgate's V8 helper threads run a major
GC's concurrent marking and the optimising compiler: a run that has either costs roomgate far more CPU than its main thread
used, on the 2 cores Prosody and the client share.

${w4aCpuTable(res.details)}

` : ''}${redisTable(res.details) ? `### Redis commands per message

From Redis \`INFO commandstats\` around the first measured run of W2 and W3 (roomgate in a child process), per 1,000 messages
(a mailbox job carries hundreds) and Redis's time per message. Commands run inside Lua scripts (\`evalsha\`: BullMQ's scripts,
roomgate's commit) are counted under their own names too, and their time is also inside the \`evalsha\` figure (the total
counts it twice).

${redisTable(res.details)}

` : ''}${cpuTable(res.details) ? `### CPU per process during W2 and W3 (through IRC too)

CPU time used by each process during the measured window (from /proc; % = share of one core over the wall time). On 2 cores, a
process at ~100 % is the bottleneck. "Other processes" is the rest of the machine meanwhile (this machine is shared: other jobs'
test runs disturb the figures when that column is large).

${cpuTable(res.details)}
` : ''}
## Where the time goes

${analysis ? `${ANALYSIS_START}\n${analysis}\n${ANALYSIS_END}` : `${ANALYSIS_START}\n_(not written yet: profile with \`npm run bench -- --only W2 --profile\` and describe here)_\n${ANALYSIS_END}`}

${Object.keys(res.profiles).length ? `## CPU profiles of roomgate\n\nV8 sampling profiles of the roomgate child (inspector Profiler, 200 µs interval, the same data as \`node --cpu-prof\`, limited to the workload's window), summarised by \`node --import tsx bench/cpuprofile-summary.ts FILE\` and drawn as flame graphs by \`node --import tsx bench/flamegraph.ts FILE\` (a page per profile and one viewer script beside them, d3-flame-graph: frames coloured by roomgate, dependencies, Node and V8, as clinic flame does).\n\n${profileSection(res.profiles)}\n` : ''}
${notMeasured(res)}`;
}

/** The workloads of the issue that have no rows in this table yet, as a section (empty when none). */
function notMeasured(res: Results): string {
  const has = (test: (r: Row) => boolean) => res.rows.some(test);
  const missing = [
    has((r) => r.workload === 'W4') ? '' : `- **W4 many rooms**: one user joining 200 rooms of 5 participants (target under 100 ms; biboumi ≈ 122 ms),
  and 1,000 users each in 10 rooms with background traffic (events/s sustained, end-to-end latency p50/p99); \`npm run bench -- --only W4\`.`,
    has((r) => r.workload === 'W6') ? '' : `- **W6 scale-out**: throughput with 1, 2 and 4 worker processes and failover time; \`npm run bench -- --only W6\`.`,
    has((r) => r.variant.startsWith('IRC,')) ? '' : `- **W1–W3 on IRC (InspIRCd)**, to compare with biboumi measured the same way; \`npm run bench -- --only IRC\`.`,
    has((r) => r.workload === 'W5' && r.variant.includes('known')) ? '' : `- **W5, 100,000 known rooms** of which 1,000 are active: the worker's RSS; \`npm run bench -- --only W5K\`.`,
  ].filter(Boolean);
  return missing.length ? `## Not measured yet\n\n${missing.join('\n')}\n` : '';
}
