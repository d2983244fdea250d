// A partition's shutdown notice (§2.11) against a real Redis: every room with a joined resource
// says it goes away (332), those in memory and those hibernated alike, a chunk of rooms per
// commit; the hibernated ones are restored for it and leave memory again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';
import { deliverEach, fakeWorker, GAJIM, legacyJob, noPoison } from '../support/fake-partition.ts';

let client: Redis & ScriptCommands;
const keys = createKeys('sd', 1);
useScriptedRedis((c) => { client = c; });

const ROOMS = ['r1', 'r2', 'r3', 'r4', 'r5'];

test('a shutdown tells every joined room, hibernated or not, a chunk per commit, and leaves the hibernated ones out of memory', async () => {
  await client.set(keys.partitionLease(0), 'lease-1');
  const { runtime, session } = fakeWorker(client, keys, 'lease-1', { shutdownChunk: 2 });
  for (const [i, room] of ROOMS.entries()) {
    await runtime.run([legacyJob({ type: 'xmpp.join', eventId: `j-${room}`, from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } }, room)],
      deliverEach(session), noPoison, String(i + 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(await runtime.hibernateIdle(0), ROOMS.length);
  // r5 comes back into memory (an event for it): it stays there after the shutdown
  await runtime.run([legacyJob({ type: 'legacy.subject', eventId: 's5', subject: 'Last orders', setter: null }, 'r5')],
    deliverEach(session), noPoison, '6');
  assert.equal(runtime.rooms.liveCount, 1);
  const before = (await client.xrange(keys.outStream(0), '-', '+')).length;

  await runtime.shutdown();

  const commits = (await client.xrange(keys.outStream(0), '-', '+')).slice(before).map(([, fields]) => fields[1] ?? '');
  assert.equal(commits.length, 3, 'five rooms, two per commit');
  const told = commits.join('').match(/<presence [^>]*type="unavailable"[^>]*>.*?<\/presence>/g) ?? [];
  assert.deepEqual(told.map((p) => /from="([^/"]+)@gw\/romeo"/.exec(p)?.[1]).sort(), ROOMS);
  for (const p of told) assert.match(p, /<status code="110"\/><status code="332"\/>/);
  assert.equal(runtime.rooms.liveCount, 1, 'the rooms restored to be told left memory again');
  assert.deepEqual(await client.smembers(keys.joinedRooms(0)), [], 'no room has a joined resource any more');
});
