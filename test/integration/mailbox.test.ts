// The partition mailboxes against a real Redis and BullMQ: a burst of jobs travels as one queue
// job, a large one packed into a payload key of its own; the worker gets every job in order, and
// the job's last commit deletes the payload. A payload found gone reads as such (its events were
// applied), and one that does not unpack is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { closeConsumer, consumeMailbox, Mailboxes, MalformedPayload, PACK_FROM, readPayload, type MailboxEntry, type MailboxWork } from '../../src/transport/mailbox.ts';
import { startRedis, useScriptedRedis } from '../support/redis.ts';
import { readArchive } from '../../src/actors/archive.ts';
import { settlesWithin } from '../support/timing.ts';
import { connectRedis } from '../../src/redis.ts';
import { pino } from 'pino';
import { deliverEach, fakeWorker, legacyJob, noPoison, USER } from '../support/fake-partition.ts';
import { Queue } from 'bullmq';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

const say = (room: string, i: number) => legacyJob({
  type: 'legacy.message', eventId: `${room}-${i}`, legacyId: `${room}:${i}`, participant: { nick: 'nurse' }, body: `${room} ${i} é😀`,
}, room);

/** The jobs waiting in partition 0's queue, oldest first. */
async function waiting(prefix: string): Promise<MailboxEntry[]> {
  const queue = new Queue<MailboxEntry>('mailbox', { connection: client, prefix });
  try {
    return (await queue.getWaiting()).map((j) => j.data);
  } finally {
    await queue.close();
  }
}

/** A connection for a consumer (BullMQ's blocking reads), closed after the test. */
function consumerConnection(t: { after(fn: () => void): void }): Redis {
  const connection = client.duplicate({ maxRetriesPerRequest: null });
  t.after(() => connection.disconnect());
  return connection;
}

async function payloadKeys(keys: ReturnType<typeof createKeys>): Promise<string[]> {
  return client.keys(keys.mailboxPayload(0, '*'));
}

test('a burst of jobs is one queue job; a large one is packed in a payload that its last commit deletes', async (t) => {
  const keys = createKeys('mbx', 1);
  const mailboxes = new Mailboxes(keys, client);
  // one tick: a small burst (inline) for one room, then, once it is added, a large one for another
  await Promise.all(Array.from({ length: PACK_FROM - 1 }, (_, i) => mailboxes.add(say('small', i), `small-${i}`)));
  await Promise.all(Array.from({ length: PACK_FROM * 3 }, (_, i) => mailboxes.add(say('large', i), `large-${i}`)));
  const queued = await waiting(keys.mailboxPrefix(0));
  assert.deepEqual(queued.map((e) => e.kind), ['batch', 'packed']);
  const [payload] = await payloadKeys(keys);
  assert.ok(payload, 'the large burst is in a payload key');
  const { addId, ...packed } = queued[1] as Extract<MailboxEntry, { kind: 'packed' }>;
  assert.deepEqual(packed, { kind: 'packed', user: USER, payload, count: PACK_FROM * 3 });
  assert.match(addId ?? '', /^[0-9a-f-]{36}$/, 'the add carries its id (see `partitionAdds`)');

  await client.set(keys.partitionLease(0), 'lease-1');
  const w = fakeWorker(client, keys, 'lease-1');
  const seen: string[] = [];
  const ran = new Promise<void>((resolve, reject) => {
    let jobs = 0;
    const consumer = consumeMailbox(keys, 0, consumerConnection(t), async (work: MailboxWork) => {
      const got = work.jobs ?? await readPayload(client, work.payload!);
      if (!got) return reject(new Error('no payload should be missing'));
      seen.push(...got.map((j) => (j.kind === 'legacy' ? j.event.eventId : j.kind)));
      await w.runtime.run(got, deliverEach(w.session), noPoison, work.jobId, work.payload);
      if (++jobs === 2) void consumer.close().then(resolve, reject);
    });
  });
  await ran;
  assert.deepEqual(seen, [
    ...Array.from({ length: PACK_FROM - 1 }, (_, i) => `small-${i}`),
    ...Array.from({ length: PACK_FROM * 3 }, (_, i) => `large-${i}`),
  ], 'every job, in the order added');
  const archived = await readArchive(client, keys.archive(USER, 'large'), 0);
  assert.equal(archived.length, PACK_FROM * 3, 'the packed events were applied and archived');
  assert.match(archived.at(-1)!.xml, /large 47 é😀/, 'multibyte text kept through the payload');
  assert.deepEqual(await payloadKeys(keys), [], 'the last commit deleted the payload');
  await mailboxes.close();
});

test('a payload deleted by its job\'s last commit reads as gone; one that does not unpack is refused by name', async () => {
  const keys = createKeys('mbx-gone', 1);
  const mailboxes = new Mailboxes(keys, client);
  await Promise.all(Array.from({ length: PACK_FROM }, (_, i) => mailboxes.add(say('hall', i))));
  const [payload] = await payloadKeys(keys);
  assert.deepEqual((await readPayload(client, payload!))?.map((j) => (j.kind === 'legacy' ? j.event.eventId : j.kind)),
    Array.from({ length: PACK_FROM }, (_, i) => `hall-${i}`));

  await client.set(keys.partitionLease(0), 'lease-2');
  const w = fakeWorker(client, keys, 'lease-2');
  await w.runtime.run((await readPayload(client, payload!))!, deliverEach(w.session), noPoison, '7', payload);
  assert.equal(await readPayload(client, payload!), null, 'gone after the commit');

  await client.set(payload!, Buffer.from([0xc1, 0xc1, 0xc1])); // 0xc1: never used in MessagePack
  await assert.rejects(readPayload(client, payload!), (err: unknown) => err instanceof MalformedPayload && err.payload === payload);
  await mailboxes.close();
});

test('a drained close of a consumer ends once its job is done, though Redis went away (BullMQ\'s alone never ends then)', async () => {
  // a Redis of its own: this test kills it
  const server = await startRedis({ appendOnly: true });
  const redis = connectRedis(server.url, pino({ level: 'silent' }));
  const keys = createKeys('mb-close', 2);
  const consumers = [0, 1].map((p) => consumeMailbox(keys, p, redis, async () => undefined));
  try {
    for (const c of consumers) c.on('error', () => undefined);
    await Promise.all(consumers.map((c) => c.waitUntilReady()));
    await new Promise((r) => setTimeout(r, 300)); // both wait for jobs on their blocking connections
    process.kill(server.pid(), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500)); // the connections wait to reconnect
    let jobDone!: () => void;
    const job = new Promise<void>((r) => { jobDone = r; }); // the partition's job in progress
    const bare = consumers[0]!.close(false);
    const closed = closeConsumer(consumers[1]!, { force: false, drained: () => job, graceMs: 500 }).then(() => 'closed');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await Promise.race([closed, 'pending']), 'pending', 'the job in progress is waited for');
    jobDone();
    assert.equal(await settlesWithin(closed, 3000), true, 'closed once the job is done');
    await server.restart({ crash: true });
    assert.equal(await settlesWithin(bare, 3000), false,
      'BullMQ\'s drained close alone still waits (if this fails, BullMQ fixed it: closeConsumer may go)');
    // a lease lost while the consumer closes: forced, BullMQ's close is the same pending one
    const forced = closeConsumer(consumers[0]!, { force: true, drained: () => undefined, graceMs: 500 });
    assert.equal(await settlesWithin(forced, 3000), true, 'the forced close ended');
  } finally {
    for (const c of consumers) void c.close(true).catch(() => undefined);
    redis.disconnect();
    await server.stop();
  }
});
