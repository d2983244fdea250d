// W2's and W3's CPU rows (bench/workloads/w2-w3.ts): what a message costs, and the rate the
// machine's cores allow at that cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { cpuRows } from '../../bench/workloads/w2-w3.ts';

test("the CPU rows give roomgate's CPU per 1,000 messages, the path's, and the rate the cores allow", () => {
  const base = { workload: 'W3', variant: 'v', mode: 'child' };
  // 10,000 messages per run; `others` (other jobs on the machine) is not the path's
  const runs = [
    { cpuMs: { roomgate: 900, prosody: 700, redis: 150, bench: 250, others: 400 } },
    { cpuMs: { roomgate: 1100, prosody: 700, redis: 150, bench: 250, others: 0 } },
    { cpuMs: { roomgate: 1000, prosody: 700, redis: 150, bench: 150, others: 0 } },
  ];
  const [own, path, bound] = cpuRows(base, runs, 10_000);
  assert.deepEqual(own!.spread.values, [90, 110, 100]);
  assert.equal(own!.spread.median, 100);
  assert.deepEqual(path!.spread.values, [200, 220, 200]);
  assert.equal(path!.spread.median, 200);
  const cores = availableParallelism();
  // 200 ms of CPU per 1,000 messages: each core carries 5,000 a second
  assert.equal(bound!.spread.median, cores * 5_000);
  assert.equal(bound!.unit, 'msg/s (bound)');
  for (const row of [own!, path!, bound!]) assert.equal(row.variant, 'v');
});

test('through IRC, InspIRCd is on the path and named in it', () => {
  const runs = [{ cpuMs: { roomgate: 500, prosody: 600, redis: 100, inspircd: 100, bench: 300, others: 50 } }];
  const [own, path] = cpuRows({ workload: 'W2', variant: 'IRC, v', mode: 'child' }, runs, 10_000);
  assert.equal(own!.spread.median, 50);
  assert.equal(path!.spread.median, 160);
  assert.match(path!.metric, /Redis, InspIRCd and the client/);
});
