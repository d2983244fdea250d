// A job whose partition was lost mid-run, against a real Redis and BullMQ: its handler leaves it
// active for the next owner (LeftForNextOwner), closing the consumer does not wait for it, and
// the next owner runs it again, before the jobs added after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import {
  consumeMailbox, LeftForNextOwner, mailboxListKeys, Mailboxes, olderJobsActive, RequeuedBehindOlder, type MailboxWork,
} from '../../src/transport/mailbox.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

const USER = 'romeo@montague.lit';
const control = (n: number) => ({ kind: 'control' as const, user: `${USER}`, action: 'login' as const, n });

test('a job left for the next owner stays active, the consumer closes without waiting for it, and the next owner runs it first', async () => {
  const keys = createKeys('lease-lost', 1);
  const connection = { host: client.options.host!, port: client.options.port!, maxRetriesPerRequest: null };
  const mailboxes = new Mailboxes(keys, client);
  await mailboxes.add(control(1) as never);

  let entered!: () => void;
  const running = new Promise<void>((r) => { entered = r; });
  let release!: () => void;
  const leaseLost = new Promise<void>((r) => { release = r; });
  const first = consumeMailbox(keys, 0, connection, async () => {
    entered();
    await leaseLost; // the commit found the lease gone
    throw new LeftForNextOwner();
  });
  const errors: string[] = [];
  first.on('error', (err) => errors.push(err.message));
  await running;
  await mailboxes.add(control(2) as never); // added while the first job runs
  // a graceful close (a handover) waits for the job in progress: it ends as soon as the job gives up
  const closed = first.close();
  release();
  await closed;
  assert.deepEqual(errors, []);

  const lists = mailboxListKeys(keys, 0);
  assert.equal(await client.llen(lists.active), 1, 'the job is still active, neither completed nor failed');
  assert.equal(await client.zcard(lists.active.replace(/:active$/, ':failed')), 0);
  assert.equal(await client.zcard(lists.active.replace(/:active$/, ':completed')), 0);

  // the next owner takes the partition: the left job runs again before the one added after it
  await client.set(keys.partitionLease(0), 'w2#1');
  assert.equal(await client.recoverActive(keys.partitionLease(0), lists.active, lists.wait, 'w2#1', lists.jobPrefix), 1);
  const seen: number[] = [];
  let bothRan!: () => void;
  const done = new Promise<void>((resolve) => { bothRan = resolve; });
  const next = consumeMailbox(keys, 0, connection, async (work: MailboxWork) => {
    for (const job of work.jobs ?? []) seen.push((job as unknown as { n: number }).n);
    if (seen.length === 2) bothRan();
  });
  await done;
  await next.close();
  assert.deepEqual(seen, [1, 2]);
  await mailboxes.close();
});

test('a job fetched while an older one was left active (its fetch answer lost with the connection) waits: the older one runs first', async () => {
  const keys = createKeys('orphan', 1);
  const connection = { host: client.options.host!, port: client.options.port!, maxRetriesPerRequest: null };
  const mailboxes = new Mailboxes(keys, client);
  await mailboxes.add(control(1) as never);
  await mailboxes.add(control(2) as never);
  const lists = mailboxListKeys(keys, 0);
  // BullMQ's fetch ran for job 1 (wait → active) but its answer never came: ioredis sent it again, and it took job 2
  assert.equal(await client.rpoplpush(lists.wait, lists.active), '1');
  await client.set(keys.partitionLease(0), 'w1#1');

  const seen: number[] = [];
  let bothRan!: () => void;
  const done = new Promise<void>((resolve) => { bothRan = resolve; });
  const consumer = consumeMailbox(keys, 0, connection, async (work: MailboxWork) => {
    if (await olderJobsActive(client, keys, 0, work.jobId)) {
      assert.ok(await client.recoverActive(keys.partitionLease(0), lists.active, lists.wait, 'w1#1', lists.jobPrefix) >= 1);
      throw new RequeuedBehindOlder();
    }
    for (const job of work.jobs ?? []) seen.push((job as unknown as { n: number }).n);
    if (seen.length === 2) bothRan();
  });
  const errors: string[] = [];
  consumer.on('error', (err) => errors.push(err.message));
  await done;
  await consumer.close();
  assert.deepEqual(seen, [1, 2], 'in the order they were added, each once');
  assert.deepEqual(errors, []);
  assert.equal(await client.llen(lists.active), 0);
  assert.equal(await client.zcard(lists.active.replace(/:active$/, ':completed')), 2);
  await mailboxes.close();
});

test('an add that Redis runs twice (ioredis sends it again after a dropped connection) makes one job', async () => {
  const keys = createKeys('resent', 1);
  const connection = { host: client.options.host!, port: client.options.port!, maxRetriesPerRequest: null };
  const mailboxes = new Mailboxes(keys, client);
  // every add reaches Redis twice, with the same arguments, as a resent command does
  const add = Queue.prototype.add;
  Queue.prototype.add = async function (this: Queue, ...args: Parameters<Queue['add']>) {
    const job = await add.apply(this, args);
    await add.apply(this, args);
    return job;
  } as Queue['add'];
  try {
    await mailboxes.add(control(1) as never);
    await Promise.all(Array.from({ length: 20 }, (_, i) => mailboxes.add(control(2 + i) as never))); // one packed batch
    await mailboxes.add(control(22) as never);
  } finally {
    Queue.prototype.add = add;
  }
  const seen: number[] = [];
  let all!: () => void;
  const done = new Promise<void>((resolve) => { all = resolve; });
  const consumer = consumeMailbox(keys, 0, connection, async (work: MailboxWork) => {
    const jobs = work.jobs ?? (await import('../../src/transport/mailbox.ts').then((m) => m.readPayload(client, work.payload!))) ?? [];
    for (const job of jobs) seen.push((job as unknown as { n: number }).n);
    if (seen.length >= 22) all();
  });
  await done;
  await new Promise((resolve) => setTimeout(resolve, 200)); // a second copy would run now
  await consumer.close();
  assert.deepEqual(seen, Array.from({ length: 22 }, (_, i) => i + 1), 'each event once, in order');
  await mailboxes.close();
});
