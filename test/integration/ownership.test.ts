// Partition leases against a real Redis (the lease scripts): a worker renews every lease it
// keeps in one pipelined round trip each tick, and a lease taken from under it is given up
// (its partition stops) while the others stay held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { acquireLease, renewLeases } from '../../src/actors/lease.ts';
import { assignPartitions, Ownership } from '../../src/actors/ownership.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });
const silent = pino({ level: 'silent' });

test('renewing leases in one pipeline: each is extended if still ours, and only then', async () => {
  const keys = createKeys('own-renew', 3);
  const ours = await acquireLease(client, keys, 0, 'w1', 1000);
  const stolen = await acquireLease(client, keys, 1, 'w1', 1000);
  const expired = await acquireLease(client, keys, 2, 'w1', 1000);
  await client.set(keys.partitionLease(1), 'w2#9', 'PX', 1000); // another worker holds it now
  await client.del(keys.partitionLease(2)); // expired
  assert.deepEqual(await renewLeases(client, keys, [[0, ours!], [1, stolen!], [2, expired!]], 60_000), [true, false, false]);
  assert.ok((await client.pttl(keys.partitionLease(0))) > 50_000, 'the lease still ours got the new TTL');
  assert.equal(await client.get(keys.partitionLease(1)), 'w2#9', "the other worker's lease is left alone");
  assert.equal(await client.get(keys.partitionLease(2)), null, 'an expired lease is not brought back');
  assert.deepEqual(await renewLeases(client, keys, [], 1000), []);
});

test("a lease taken from under a worker stops that partition; the worker keeps the others and does not take it back while it is held", async () => {
  const keys = createKeys('own-tick', 4);
  const lost: number[] = [];
  const gained: number[] = [];
  const ownership = new Ownership(client, keys, 'w1', {
    async gain(p) { gained.push(p); },
    async lose(p, wasLost) { if (wasLost) lost.push(p); },
  }, silent, { leaseTtlMs: 2000, tickMs: 50 });
  await ownership.start();
  try {
    assert.deepEqual(ownership.heldPartitions(), [0, 1, 2, 3]);
    await client.set(keys.partitionLease(2), 'w2#1'); // no TTL: held by the other worker until it says otherwise
    const until = Date.now() + 10_000;
    while (!lost.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(lost, [2]);
    await new Promise((r) => setTimeout(r, 300)); // several more ticks
    assert.deepEqual(ownership.heldPartitions(), [0, 1, 3]);
    assert.deepEqual(gained, [0, 1, 2, 3], 'partition 2 was not taken back from its holder');
    for (const p of [0, 1, 3]) {
      assert.match(String(await client.get(keys.partitionLease(p))), /^w1#/);
      assert.ok((await client.pttl(keys.partitionLease(p))) > 1500, `lease ${p} renewed by the ticks`);
    }
  } finally {
    await ownership.stop();
  }
  assert.equal(await client.get(keys.partitionLease(2)), 'w2#1', "stopping does not release another worker's lease");
  assert.equal(await client.get(keys.partitionLease(0)), null, 'stopping releases the leases it held');
});

test('while a handover drains a slow job, the leases the worker keeps are still renewed', async () => {
  const keys = createKeys('own-drain', 4);
  const lost: number[] = [];
  let draining = 0;
  const ownership = new Ownership(client, keys, 'w1', {
    async gain() {},
    async lose(p, wasLost) {
      if (wasLost) { lost.push(p); return; }
      draining++;
      await new Promise((r) => setTimeout(r, 1500)); // the job in progress waits on a plugin's hook
      draining--;
    },
  }, silent, { leaseTtlMs: 600, tickMs: 50 });
  await ownership.start();
  try {
    // a second worker joins: w1 hands over its share, one slow drain at a time, 1.5 s each (> the 600 ms TTL)
    await client.zadd(keys.workers(), Date.now() + 60_000, 'w2');
    const mine = assignPartitions(4, ['w1', 'w2']).flatMap((w, p) => (w === 'w1' ? [p] : []));
    const until = Date.now() + 15_000;
    while ((ownership.heldPartitions().length > mine.length || draining) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ownership.heldPartitions(), mine);
    assert.deepEqual(lost, [], 'no lease lost during the drains');
    for (const p of mine) assert.match(String(await client.get(keys.partitionLease(p))), /^w1#/);
  } finally {
    await client.zrem(keys.workers(), 'w2');
    await ownership.stop();
  }
});

test('once paused, a worker takes no partition any more (a balancing in progress ends first), and still renews the leases it holds', async () => {
  const keys = createKeys('own-pause', 4);
  // another worker holds partitions 1-3 until they expire: w1 takes them one tick after the other
  for (const p of [1, 2, 3]) await client.set(keys.partitionLease(p), `w0#${p}`, 'PX', 300 * p);
  const gained: number[] = [];
  let gaining = 0;
  const ownership = new Ownership(client, keys, 'w1', {
    async gain(p) {
      gaining++;
      await new Promise((r) => setTimeout(r, 100)); // a consumer starting
      gained.push(p);
      gaining--;
    },
    async lose() {},
  }, silent, { leaseTtlMs: 1000, tickMs: 50 });
  await ownership.start();
  try {
    assert.deepEqual(gained, [0]);
    const until = Date.now() + 5000;
    while (!gaining && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.equal(gaining, 1, 'a partition is being taken');
    await ownership.pause();
    assert.equal(gaining, 0, 'pause waited for it');
    const held = ownership.heldPartitions();
    assert.deepEqual(gained, held);
    assert.ok(held.length < 4, 'some partitions were still held by w0 when w1 paused');
    await new Promise((r) => setTimeout(r, 1500)); // every lease of w0 expired long ago, many ticks
    assert.deepEqual(ownership.heldPartitions(), held, 'nothing taken once paused');
    assert.deepEqual(gained, held);
    for (const p of held) {
      assert.ok((await client.pttl(keys.partitionLease(p))) > 500, `lease ${p} still renewed while paused`);
    }
  } finally {
    await ownership.stop();
  }
  assert.equal(await client.get(keys.partitionLease(0)), null, 'stopping after a pause releases the leases');
});
