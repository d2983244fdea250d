// What a partition's commit writes, against a real Redis (the fenced commit script) and real
// room actors; the plugin and sessions are in-process fakes. A long mailbox job commits as it
// goes (PartitionRuntime.run): when the worker loses the partition after a partial commit, the
// next owner replays the whole job, and what the first commit holds is neither sent, archived
// nor applied twice. The user's own message ids are appended to a list of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { readArchive } from '../../src/actors/archive.ts';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import type { MailboxJob } from '../../src/transport/mailbox.ts';
import { OWN_IDS_KEPT } from '../../src/machines/room.ts';
import { recentItems } from '../../src/machines/recent.ts';
import { useScriptedRedis } from '../support/redis.ts';
import { AT, deliverEach, fakeWorker, GAJIM, legacyJob, noPoison, USER } from '../support/fake-partition.ts';

let client: Redis & ScriptCommands;
const keys = createKeys('pc', 1);
useScriptedRedis((c) => { client = c; });

const worker = (lease: string) => fakeWorker(client, keys, lease);
// bodies and ids with multibyte characters and the archive payload's own separator
const message = (i: number) => legacyJob({ type: 'legacy.message', eventId: `m${i}`, legacyId: `L:${i}é`, participant: { nick: 'nurse' }, body: `line ${i} ü:1` });

async function outbound(): Promise<string> {
  const entries = await client.xrange(keys.outStream(0), '-', '+');
  return entries.map(([, fields]) => fields[1] ?? '').join('');
}

test('a job replayed after a partial commit sends, archives and applies each event once, in order', async () => {
  await client.set(keys.partitionLease(0), 'lease-1');
  const first = worker('lease-1');
  // the user's client joins the room (job 1)
  await first.runtime.run([legacyJob({ type: 'xmpp.join', eventId: 'j1', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })],
    deliverEach(first.session), noPoison, '1');
  const joined = await outbound();
  assert.match(joined, /status code="110"/);

  // job 2 carries three messages; after the first is committed, another worker takes the partition
  await assert.rejects(first.runtime.run([message(1), message(2), message(3)], deliverEach(first.session, async (n) => {
    if (n === 2) await client.set(keys.partitionLease(0), 'lease-2'); // after the first commit, before the second
  }), noPoison, '2'), { name: 'LeaseLost' });
  const partial = (await outbound()).slice(joined.length);
  assert.deepEqual([...partial.matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]), ['line 1 ü:1'], 'the first event was committed alone');

  // the new owner restores the room from Redis and replays job 2 whole
  const second = worker('lease-2');
  await second.runtime.run([message(1), message(2), message(3)], deliverEach(second.session), noPoison, '2');
  const bodies = [...(await outbound()).slice(joined.length).matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['line 1 ü:1', 'line 2 ü:1', 'line 3 ü:1'], 'each message sent once, in order');
  const archived = (await readArchive(client, keys.archive(USER, 'lobby'), 0)).map((e) => /<body>([^<]*)</.exec(e.xml)?.[1]);
  assert.deepEqual(archived, ['line 1 ü:1', 'line 2 ü:1', 'line 3 ü:1'], 'each message archived once');
  const stanzaIds = (await readArchive(client, keys.archive(USER, 'lobby'), 0)).map((e) => e.stanzaId);
  assert.deepEqual(stanzaIds, ['L:1é', 'L:2é', 'L:3é']);
  assert.deepEqual((await client.hkeys(keys.archive(USER, 'lobby').ids)).sort(), ['L:1é', 'L:2é', 'L:3é']);
});

test('the user\'s own message ids go to their own list, not into every snapshot, and come back with the room', async () => {
  await client.set(keys.partitionLease(0), 'lease-3');
  const w = worker('lease-3');
  const join = { type: 'xmpp.join', eventId: 'oj', at: AT, from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } };
  await w.runtime.run([{ kind: 'legacy', user: USER, legacyId: 'den', event: join as never }], deliverEach(w.session), noPoison, '10');
  const say = (i: number): MailboxJob => ({
    kind: 'legacy', user: USER, legacyId: 'den', event: {
      type: 'xmpp.message', eventId: `u${i}`, at: AT, from: GAJIM, id: `c${i}`, body: `hi ${i}`,
      xml: `<message to="den@gw/romeo" id="c${i}" type="groupchat"><body>hi ${i}</body></message>`,
    } as never,
  });
  const count = OWN_IDS_KEPT + 4;
  await w.runtime.run(Array.from({ length: count }, (_, i) => say(i + 1)), deliverEach(w.session), noPoison, '11');

  const snapshot = JSON.parse((await client.get(keys.roomSnapshot(USER, 'den')))!) as { context: Record<string, unknown> };
  assert.equal(snapshot.context.ownIds, undefined, 'the snapshot does not carry them');
  const list = (await client.lrange(keys.roomOwnIds(USER, 'den'), 0, -1)).map((e) => JSON.parse(e) as [string, string]);
  assert.equal(list.length, OWN_IDS_KEPT, 'the list keeps the newest');
  assert.deepEqual([list[0], list.at(-1)], [['L-hi 5', 'c5'], [`L-hi ${count}`, `c${count}`]]);

  // the room leaves memory and comes back from Redis with the same ids
  const before = recentItems((await w.runtime.rooms.get(w.session, 'den', false))!.actor.getSnapshot().context.ownIds);
  const again = worker('lease-3');
  const restored = (await again.runtime.rooms.get(again.session, 'den', false))!;
  assert.deepEqual(recentItems(restored.actor.getSnapshot().context.ownIds), before);
  // one more message appends one id, and writes no snapshot
  await again.runtime.run([say(count + 1)], deliverEach(again.session), noPoison, '12');
  assert.equal(await client.get(keys.roomSnapshot(USER, 'den')), JSON.stringify(snapshot));
  const after = await client.lrange(keys.roomOwnIds(USER, 'den'), 0, -1);
  assert.equal(after.length, OWN_IDS_KEPT);
  assert.equal(after.at(-1), JSON.stringify([`L-hi ${count + 1}`, `c${count + 1}`]));
});

test('a partial commit refused while the next events are applied: the worker forgets what both hold, and its replay sends each once', async () => {
  await client.set(keys.partitionLease(0), 'lease-5');
  const w = worker('lease-5');
  const to = (legacyId: string, event: Record<string, unknown>): MailboxJob => ({ kind: 'legacy', user: USER, legacyId, event: { at: AT, ...event } as never });
  const say = (legacyId: string, i: number) => to(legacyId, { type: 'legacy.message', eventId: `${legacyId}${i}`, legacyId: `${legacyId}:${i}`, participant: { nick: 'nurse' }, body: `${legacyId} ${i}` });
  for (const [n, legacyId] of ['hall', 'annex'].entries()) {
    await w.runtime.run([to(legacyId, { type: 'xmpp.join', eventId: `${legacyId}-j`, from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })], deliverEach(w.session), noPoison, String(20 + n));
  }
  const before = (await outbound()).length;
  const job = [say('hall', 1), say('annex', 1), say('hall', 2)];

  // the lease is taken after the hall's message, before its commit is sent: that commit is
  // refused while the worker applies the annex's (commits are not awaited in turn)
  await assert.rejects(w.runtime.run(job, deliverEach(w.session, async (n) => {
    if (n === 1) await client.set(keys.partitionLease(0), 'lease-6');
  }), noPoison, '22'), { name: 'LeaseLost' });
  assert.equal((await outbound()).length, before, 'nothing of the job was committed');

  // the lease comes back to the same worker: both rooms start again from Redis, not from memory
  await client.set(keys.partitionLease(0), 'lease-5');
  await w.runtime.run(job, deliverEach(w.session), noPoison, '22');
  const bodies = [...(await outbound()).slice(before).matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['hall 1', 'annex 1', 'hall 2']);
});

test('long stanzas, archive entries and snapshots (written as bytes) keep their multibyte characters', async () => {
  await client.set(keys.partitionLease(0), 'lease-7');
  const w = worker('lease-7');
  const to = (event: Record<string, unknown>): MailboxJob => ({ kind: 'legacy', user: USER, legacyId: 'loft', event: { at: AT, ...event } as never });
  await w.runtime.run([to({ type: 'xmpp.join', eventId: 'loft-j', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })], deliverEach(w.session), noPoison, '30');
  const before = (await outbound()).length;
  const body = 'é→😀 '.repeat(400); // 2,400 UTF-16 units, past the length where values go as bytes
  await w.runtime.run([to({ type: 'legacy.message', eventId: 'loft-1', legacyId: 'L:é', participant: { nick: 'nurse' }, body })], deliverEach(w.session), noPoison, '31');
  assert.deepEqual([...(await outbound()).slice(before).matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]), [body]);
  const [entry] = await readArchive(client, keys.archive(USER, 'loft'), 0);
  assert.equal(entry!.stanzaId, 'L:é');
  assert.ok(entry!.xml.includes(`<body>${body}</body>`));
});

test('a leave and a join again write the joined resources with the watermark, not the snapshot; a restored room has them', async () => {
  await client.set(keys.partitionLease(0), 'lease-8');
  const w = worker('lease-8');
  const to = (event: Record<string, unknown>): MailboxJob => ({ kind: 'legacy', user: USER, legacyId: 'porch', event: { at: AT, ...event } as never });
  const join = (n: number) => to({ type: 'xmpp.join', eventId: `porch-j${n}`, from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  const member = JSON.stringify([USER, 'porch']);
  await w.runtime.run([join(1)], deliverEach(w.session), noPoison, '40');
  const snapshot = await client.get(keys.roomSnapshot(USER, 'porch'));
  assert.ok(await client.sismember(keys.joinedRooms(0), member));

  await w.runtime.run([to({ type: 'xmpp.leave', eventId: 'porch-l1', from: GAJIM })], deliverEach(w.session), noPoison, '41');
  assert.equal(await client.get(keys.roomSnapshot(USER, 'porch')), snapshot, 'the leave wrote no snapshot');
  assert.deepEqual(JSON.parse((await client.get(keys.roomMarks(USER, 'porch')))!).resources, []);
  assert.equal(await client.sismember(keys.joinedRooms(0), member), 0, 'no longer a joined room');

  await w.runtime.run([join(2)], deliverEach(w.session), noPoison, '42');
  assert.equal(await client.get(keys.roomSnapshot(USER, 'porch')), snapshot, 'the join again wrote no snapshot');
  assert.deepEqual(JSON.parse((await client.get(keys.roomMarks(USER, 'porch')))!).resources, [GAJIM]);
  assert.ok(await client.sismember(keys.joinedRooms(0), member));

  // another worker restores the room from Redis: joined by the resource, as in memory here
  const again = worker('lease-8');
  const restored = (await again.runtime.rooms.get(again.session, 'porch', false))!;
  assert.deepEqual(restored.actor.getSnapshot().context.resources, [GAJIM]);
  const { ownIds: _none, ...inMemory } = (await w.runtime.rooms.get(w.session, 'porch', false))!.actor.getSnapshot().context;
  const { ownIds: _noList, ...fromRedis } = restored.actor.getSnapshot().context;
  assert.deepEqual(fromRedis, inMemory);
});

test('a participant typing writes no snapshot: the chat state goes out and the next message is sent as active', async () => {
  await client.set(keys.partitionLease(0), 'lease-10');
  const w = worker('lease-10');
  const job = (event: Record<string, unknown>) => legacyJob(event, 'nook');
  await w.runtime.run([job({ type: 'xmpp.join', eventId: 'nook-j', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } }),
    job({ type: 'legacy.message', eventId: 'nook-m1', legacyId: 'n1', participant: { nick: 'nurse' }, body: 'one' })], deliverEach(w.session), noPoison, '90');
  const snapshot = await client.get(keys.roomSnapshot(USER, 'nook'));
  const before = (await outbound()).length;
  await w.runtime.run([job({ type: 'legacy.chatState', eventId: 'nook-c1', participant: { nick: 'nurse' }, state: 'composing' })], deliverEach(w.session), noPoison, '91');
  assert.equal(await client.get(keys.roomSnapshot(USER, 'nook')), snapshot, 'the chat state wrote no snapshot');
  assert.match((await outbound()).slice(before), /<composing xmlns="http:\/\/jabber.org\/protocol\/chatstates"\/>/);
  await w.runtime.run([job({ type: 'legacy.message', eventId: 'nook-m2', legacyId: 'n2', participant: { nick: 'nurse' }, body: 'two' })], deliverEach(w.session), noPoison, '92');
  assert.equal(await client.get(keys.roomSnapshot(USER, 'nook')), snapshot, 'nor the message after it');
  assert.match((await outbound()).slice(before), /<body>two<\/body><active xmlns="http:\/\/jabber.org\/protocol\/chatstates"\/>/);
});

test('a job that touches several rooms not in memory reads them ahead together, and restores each as it was', async () => {
  await client.set(keys.partitionLease(0), 'lease-9');
  const w = worker('lease-9');
  const to = (legacyId: string, event: Record<string, unknown>): MailboxJob => ({ kind: 'legacy', user: USER, legacyId, event: { at: AT, ...event } as never });
  const say = (legacyId: string, i: number): MailboxJob => to(legacyId, {
    type: 'xmpp.message', eventId: `${legacyId}-u${i}`, from: GAJIM, id: `${legacyId}-c${i}`, body: `${legacyId} ${i}`,
    xml: `<message to="${legacyId}@gw/romeo" id="${legacyId}-c${i}" type="groupchat"><body>${legacyId} ${i}</body></message>`,
  });
  for (const [n, legacyId] of ['attic', 'cellar'].entries()) {
    await w.runtime.run([to(legacyId, { type: 'xmpp.join', eventId: `${legacyId}-j`, from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } }), say(legacyId, 1), say(legacyId, 2)],
      deliverEach(w.session), noPoison, String(50 + n));
  }
  const before = Object.fromEntries(await Promise.all(['attic', 'cellar'].map(async (id) => [id, (await w.runtime.rooms.get(w.session, id, false))!.actor.getSnapshot().context] as const)));

  // another worker: one job for both rooms (restored) and a room never seen (created)
  const again = worker('lease-9');
  const sent = (await outbound()).length;
  await again.runtime.run([say('attic', 3), say('cellar', 3), to('garret', { type: 'xmpp.join', eventId: 'garret-j', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })],
    deliverEach(again.session), noPoison, '52');
  for (const id of ['attic', 'cellar']) {
    const now = (await again.runtime.rooms.get(again.session, id, false))!.actor.getSnapshot().context;
    assert.deepEqual(now.resources, before[id]!.resources, `${id}: joined as before`);
    assert.deepEqual(recentItems(now.ownIds).slice(0, 2), recentItems(before[id]!.ownIds), `${id}: own ids as before, then the new one`);
    assert.equal(recentItems(now.ownIds).length, 3);
  }
  const out = (await outbound()).slice(sent);
  assert.deepEqual([...out.matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]), ['attic 3', 'cellar 3'], 'both echoed, in order');
  assert.match(out, /from="garret@gw\/romeo"[^>]*>.*status code="110"/s, 'the new room joined');
});
