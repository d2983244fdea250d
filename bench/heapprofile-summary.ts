/**
 * Summarises a .heapprofile (the inspector's sampling heap profiler, collected objects
 * included, as `--profile` records it beside each .cpuprofile): bytes allocated per function,
 * per package / source file, and per allocating call path (the function and its two callers).
 * This is what the garbage collector sweeps. Usage:
 *   node --import tsx bench/heapprofile-summary.ts FILE [--top 25] [--per N]   (N: bytes per N units of work)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageOf } from './cpuprofile-summary.ts';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface HeapNode { callFrame: CallFrame; selfSize: number; id: number; children: HeapNode[] }
export interface HeapProfile { head: HeapNode }

export interface AllocEntry { name: string; bytes: number; pct: number }

function frameName(frame: CallFrame): string {
  const where = packageOf(frame);
  if (!frame.url) return where;
  return `${frame.functionName || '(anonymous)'} ${where}`;
}

export function summariseHeap(profile: HeapProfile, top = 25): { totalBytes: number; byFunction: AllocEntry[]; byPackage: AllocEntry[]; byPath: AllocEntry[] } {
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const path = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, callers: string[]) => {
    const name = frameName(node.callFrame);
    if (node.selfSize) {
      total += node.selfSize;
      fn.set(name, (fn.get(name) ?? 0) + node.selfSize);
      const p = packageOf(node.callFrame);
      pkg.set(p, (pkg.get(p) ?? 0) + node.selfSize);
      const key = [name, ...callers.slice(-2).reverse()].join(' ← ');
      path.set(key, (path.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, [...callers, name]);
  };
  walk(profile.head, []);
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, bytes]) => ({ name, bytes, pct: (100 * bytes) / total }));
  return { totalBytes: total, byFunction: list(fn), byPackage: list(pkg), byPath: list(path) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: heapprofile-summary.ts FILE [--top N] [--per N]');
  const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
  const per = arg('--per');
  const s = summariseHeap(JSON.parse(readFileSync(file, 'utf8')) as HeapProfile, arg('--top') ?? 25);
  const size = (b: number) => (per ? `${(b / per).toFixed(0)} B/unit` : `${(b / 1e6).toFixed(1)} MB`);
  console.log(`allocated (sampled): ${size(s.totalBytes)}`);
  for (const [title, rows] of [['package / file', s.byPackage], ['function', s.byFunction], ['path', s.byPath]] as const) {
    console.log(`\n${title}`);
    for (const r of rows) console.log(`${r.pct.toFixed(1).padStart(5)} %  ${size(r.bytes).padStart(12)}  ${r.name}`);
  }
}
