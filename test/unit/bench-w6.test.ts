// W6's set-up (bench/workloads/w6-scale.ts, bench/lib/cpu-cap.ts): users spread evenly over the
// partitions, and workers held to a share of a core by a CPU cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionOf } from '../../src/actors/partitions.ts';
import { USERS } from '../../bench/workloads/w6-scale.ts';
import { capCpu, cpuCapRoot } from '../../bench/lib/cpu-cap.ts';

test('W6 has one user per partition, so every worker carries the same share of the traffic', () => {
  const partitions = USERS.map((u) => partitionOf(`${u}@localhost`, 16));
  assert.equal(USERS.length, 16);
  assert.deepEqual(partitions, Array.from({ length: 16 }, (_, p) => p));
});

test('a capped process is held to its share of a core', async (t) => {
  const root = cpuCapRoot();
  if ('reason' in root) return t.skip(root.reason);
  const busy = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
  let cap: ReturnType<typeof capCpu>;
  try {
    cap = capCpu(root, busy.pid!, 0.3, 'unit-test');
  } catch (err) {
    busy.kill('SIGKILL');
    // a container may show a CPU cgroup it cannot move processes into
    if (['EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '')) return t.skip((err as Error).message);
    throw err;
  }
  try {
    const { dir } = cap;
    assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(busy.pid)));
    const quota = root.version === 1
      ? `${readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()} ${readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim()}`
      : readFileSync(join(dir, 'cpu.max'), 'utf8').trim();
    assert.equal(quota, '6000 20000'); // 0.3 of each 20 ms period
    // a process that wants a whole core is held back period after period
    const deadline = Date.now() + 10_000;
    while (cap.throttled() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(cap.throttled() >= 3, `throttled ${cap.throttled()} times`);
  } finally {
    busy.kill('SIGKILL');
    await new Promise((r) => busy.once('exit', r));
    cap.release();
  }
});
