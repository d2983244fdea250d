/** Medians and spreads, and the CPU time of other processes from /proc. */
import { readFileSync } from 'node:fs';

export interface Spread { median: number; min: number; max: number; n: number; values: number[] }

export function spread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { median: NaN, min: NaN, max: NaN, n: 0, values };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length, values };
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** user + system CPU time of a process, in ms (0 when it cannot be read). */
export function procCpuMs(pid: number, file = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15: utime, stime
  } catch {
    return 0;
  }
}

/**
 * user + system CPU time of a process's main thread, in ms (0 when it cannot be read): the rest
 * of its CPU is V8's helper threads (concurrent marking for a major GC, optimising compiles).
 */
export function mainThreadCpuMs(pid: number): number {
  return procCpuMs(pid, `/proc/${pid}/task/${pid}/stat`);
}

/** Busy CPU time of the whole machine (all cores), in ms, from /proc/stat. */
export function machineCpuMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU time of several processes over a window: `stop()` returns ms of CPU per name, plus
 * `others`: what the rest of the machine used meanwhile (other jobs on a shared machine).
 */
export function cpuMeter(pids: Record<string, number>): { stop(): Record<string, number> } {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)]));
  const machine = machineCpuMs();
  return {
    stop: () => {
      const used: Record<string, number> = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid) - start[k]!]));
      const seen = new Set<number>();
      let ours = 0;
      for (const [k, pid] of Object.entries(pids)) if (!seen.has(pid)) { seen.add(pid); ours += used[k]!; }
      used.others = Math.max(0, machineCpuMs() - machine - ours);
      return used;
    },
  };
}

/**
 * Messages of a throughput workload's warm-up run (run 0, not counted): as many as a measured
 * run. With a tenth, the first measured run of a fresh roomgate cost it up to twice the CPU of
 * the next ones (its per-message code was still being optimised), which the median then took.
 */
export function warmUpCount(n: number): number {
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export type CommandStats = Record<string, { calls: number; usec: number }>;

/** Redis commands per message between two `INFO commandstats` readings, busiest first. */
export function commandsPerMessage(before: CommandStats, after: CommandStats, messages: number): { command: string; calls: number; usec: number }[] {
  return Object.entries(after)
    .map(([command, a]) => ({
      command,
      calls: (a.calls - (before[command]?.calls ?? 0)) / messages,
      usec: (a.usec - (before[command]?.usec ?? 0)) / messages,
    }))
    .filter((c) => c.calls > 0)
    .sort((x, y) => y.calls - x.calls);
}

/** Seconds waited for a quiet machine, over the whole bench (reported in the results). */
export const quietStats = { waits: 0, waitedMs: 0, notQuiet: 0 };

/**
 * Waits (at most `maxWaitMs`) until the whole machine is nearly idle for 500 ms: this machine is
 * shared, and another job's test run on 2 cores would halve what the bench measures. Returns
 * whether it got quiet in time.
 */
export async function waitQuiet(maxWaitMs = 20_000, maxBusyFraction = 0.15): Promise<boolean> {
  const start = Date.now();
  quietStats.waits++;
  for (;;) {
    const a = machineCpuMs();
    await sleep(500);
    const busy = machineCpuMs() - a;
    if (busy <= 500 * maxBusyFraction) {
      quietStats.waitedMs += Date.now() - start - 500;
      return true;
    }
    if (Date.now() - start > maxWaitMs) {
      quietStats.waitedMs += Date.now() - start;
      quietStats.notQuiet++;
      return false;
    }
  }
}
