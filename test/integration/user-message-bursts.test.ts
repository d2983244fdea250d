// Messages that come one after the other in a mailbox job go to their room as one event
// (PartitionRuntime.deliver: the user's as `xmpp.messages`, participants' as `legacy.messages`),
// against a real Redis and real room actors.
// What the user notices must not change: every message reaches the network once and in order,
// with whatever else the user did in between in its place, and each is echoed in that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';
import { deliverEach, fakeWorker, GAJIM, legacyJob, noPoison } from '../support/fake-partition.ts';

let client: Redis & ScriptCommands;
const keys = createKeys('ub', 1);
useScriptedRedis((c) => { client = c; });

const say = (id: string, from = GAJIM) => legacyJob({
  type: 'xmpp.message', eventId: `ev-${id}`, from, id, body: id, xml: `<message to="lobby@gw/romeo" id="${id}" type="groupchat"><body>${id}</body></message>`,
});
const correct = (id: string, replaceId: string, body: string) => legacyJob({
  type: 'xmpp.correction', eventId: `ev-${id}`, from: GAJIM, id, replaceId, body,
  xml: `<message to="lobby@gw/romeo" id="${id}" type="groupchat"><body>${body}</body><replace xmlns="urn:xmpp:message-correct:0" id="${replaceId}"/></message>`,
});

async function outbound(): Promise<string> {
  return (await client.xrange(keys.outStream(0), '-', '+')).map(([, fields]) => fields[1] ?? '').join('');
}

test("a job's burst of the user's messages reaches the network once and in order, a correction between them in its place", async () => {
  await client.set(keys.partitionLease(0), 'lease-1');
  // one commit for the whole job: the messages wait for each other
  const w = fakeWorker(client, keys, 'lease-1', { commitEveryMs: 3_600_000 });
  await w.runtime.run([legacyJob({ type: 'xmpp.join', eventId: 'j1', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })],
    deliverEach(w.session), noPoison, '1');
  const joined = (await outbound()).length;

  const job = [say('a'), say('b'), correct('a2', 'a', 'a, corrected'), say('c'), say('d', 'romeo@montague.lit/stranger'), say('e')];
  await w.runtime.run(job, deliverEach(w.session), noPoison, '2');
  // the fake network has no corrections: the correction goes as a new message (§3.14)
  assert.deepEqual(w.session.texts, ['a', 'b', 'Correction: a, corrected', 'c', 'e']);
  const out = (await outbound()).slice(joined);
  const seen = [...out.matchAll(/<message [^>]*?id="([^"]+)"[^>]*?type="(groupchat|error|chat)"/g)].map((m) => `${m[2]}:${m[1]}`);
  assert.deepEqual(seen.filter((s) => s.startsWith('groupchat')), ['groupchat:a', 'groupchat:b', 'groupchat:a2', 'groupchat:c', 'groupchat:e'],
    'the echoes, in the order the user wrote');
  assert.ok(seen.includes('error:d'), 'the message from a resource that has not joined is refused');

  // the job again (BullMQ ran it a second time): nothing reaches the network or the user twice
  await w.runtime.run(job, deliverEach(w.session), noPoison, '2');
  assert.equal(w.session.texts.length, 5);
  assert.equal((await outbound()).slice(joined), out);
});

test("a job's burst of participants' messages reaches the user once and in order, a presence between them in its place", async () => {
  await client.set(keys.partitionLease(0), 'lease-2');
  const w = fakeWorker(client, keys, 'lease-2', { commitEveryMs: 3_600_000 });
  await w.runtime.run([legacyJob({ type: 'xmpp.join', eventId: 'j2', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } }, 'hall')],
    deliverEach(w.session), noPoison, '10');
  const before = (await outbound()).length;
  const post = (id: string, nick: string) => legacyJob({ type: 'legacy.message', eventId: `ev-${id}`, participant: { nick }, body: id, legacyId: id }, 'hall');
  const job = [post('m1', 'nurse'), post('m2', 'tybalt'), legacyJob({ type: 'legacy.presence', eventId: 'p1', participant: { nick: 'nurse' }, show: 'away' }, 'hall'),
    post('m3', 'nurse'), post('m4', 'tybalt')];
  await w.runtime.run(job, deliverEach(w.session), noPoison, '11');
  const out = (await outbound()).slice(before);
  const seen = [...out.matchAll(/<(message|presence) from="hall@gw\/(\w+)"[^>]*>(?:<body>(\w+)<\/body>|<show>(\w+)<\/show>)?/g)]
    .map((m) => `${m[1]}:${m[2]}${m[3] ? `:${m[3]}` : ''}${m[4] ? `:${m[4]}` : ''}`);
  assert.deepEqual(seen, [
    'message:nurse:m1',
    'presence:tybalt', 'message:tybalt:m2', // tybalt is new to the room: his presence first (§2.15)
    'presence:nurse:away',
    'message:nurse:m3', 'message:tybalt:m4',
  ]);
  await w.runtime.run(job, deliverEach(w.session), noPoison, '11');
  assert.equal((await outbound()).slice(before), out, 'the job run again sends nothing twice');
});
