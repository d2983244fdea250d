/**
 * Summarises a .cpuprofile (from `node --cpu-prof` or the inspector Profiler): self time per
 * function, self time per package / source file, and inclusive time of roomgate's own
 * functions. Usage: node --import tsx bench/cpuprofile-summary.ts FILE [--top 25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface Entry { name: string; ms: number; pct: number }
export interface ProfileSummary {
  totalMs: number;
  /** Time the thread was busy (not idle). */
  busyMs: number;
  selfByFunction: Entry[];
  selfByPackage: Entry[];
  /** roomgate's functions (src/), time spent in them and below them. */
  inclusiveSrc: Entry[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** 'bullmq', 'ioredis', '@xmpp/xml', 'src/actors/partition.ts', 'node:internal/...', '(garbage collector)'. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return `(${frame.functionName || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? `node:${url.split('/')[1]}` : url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

function frameName(frame: CallFrame): string {
  const where = packageOf(frame);
  if (!frame.url) return where;
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Each sample lasts until the next one (timeDeltas[i] precedes sample i).
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
  }
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const incl = new Map<string, number>();
  let idleMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') { idleMs += ms; continue; }
    fn.set(frameName(node.callFrame), (fn.get(frameName(node.callFrame)) ?? 0) + ms);
    const p = packageOf(node.callFrame);
    pkg.set(p, (pkg.get(p) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!packageOf(f).startsWith('src/')) continue;
      const name = frameName(f);
      if (seen.has(name)) continue;
      seen.add(name);
      incl.set(name, (incl.get(name) ?? 0) + ms);
    }
  }
  const busyMs = totalMs - idleMs;
  const list = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, pct: Math.round((ms / busyMs) * 1000) / 10 }));
  return { totalMs, busyMs, selfByFunction: list(fn), selfByPackage: list(pkg), inclusiveSrc: list(incl) };
}

export function formatSummary(s: ProfileSummary): string {
  const table = (title: string, rows: Entry[]) =>
    [`${title}`, ...rows.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`)].join('\n');
  return [
    `profile: ${s.totalMs.toFixed(0)} ms sampled, busy ${s.busyMs.toFixed(0)} ms (${((s.busyMs / s.totalMs) * 100).toFixed(0)}%)`,
    table('self time by package / file (% of busy):', s.selfByPackage),
    table('self time by function:', s.selfByFunction),
    table('inclusive time of roomgate functions (src/):', s.inclusiveSrc),
  ].join('\n\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 25;
  console.log(formatSummary(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)));
}
