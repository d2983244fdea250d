/**
 * Holds a process to a fixed share of one core with a Linux CPU cgroup (v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us` where the cpu controller is mounted on its own), so that W6 can show how
 * throughput grows with worker processes on a machine with too few cores to give each worker
 * one: each worker gets the same small share, and the machine keeps cores to spare for the rest.
 * Needs root (or a delegated cgroup); `cpuCapRoot()` says whether this machine allows it.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The quota is enforced per period: a short one keeps a capped worker from stalling 100 ms at a time. */
const PERIOD_US = 20_000;

export interface CgroupRoot { dir: string; version: 1 | 2 }

/** Where a CPU cgroup can be made here, or why not. */
export function cpuCapRoot(): CgroupRoot | { reason: string } {
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = '/sys/fs/cgroup';
  const candidates: CgroupRoot[] = [];
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) candidates.push({ dir: v1, version: 1 });
  try {
    if (readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')) candidates.push({ dir: v2, version: 2 });
  } catch { /* no unified hierarchy with the cpu controller */ }
  for (const root of candidates) {
    const probe = join(root.dir, `roomgate-bench-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      return root;
    } catch { /* not writable: try the next */ }
  }
  return { reason: candidates.length ? 'the CPU cgroup is not writable (run the bench as root)' : 'no CPU cgroup controller on this machine' };
}

export interface CpuCap {
  /** The cgroup's directory. */
  dir: string;
  /** How many periods the capped process wanted more CPU than its share. */
  throttled(): number;
  /** Removes the group (once its process is gone; the kernel keeps a group that still has one). */
  release(): void;
}

/** Puts process `pid` in a new CPU cgroup limited to `cores` (e.g. 0.1 = a tenth of a core). */
export function capCpu(root: CgroupRoot, pid: number, cores: number, name: string): CpuCap {
  const dir = join(root.dir, `roomgate-bench-${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const quota = Math.max(1000, Math.round(cores * PERIOD_US));
  if (root.version === 1) {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
  } else {
    writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
  }
  writeFileSync(join(dir, 'cgroup.procs'), String(pid)); // the whole process, all its threads
  return {
    dir,
    throttled() {
      const line = readFileSync(join(dir, 'cpu.stat'), 'utf8').split('\n').find((l) => l.startsWith('nr_throttled '));
      return Number(line?.split(' ')[1] ?? 0);
    },
    release() {
      try { rmdirSync(dir); } catch { /* its process has not exited yet */ }
    },
  };
}
