// The edge's drain of the outbound streams, against a real Redis: what the partitions' commits
// appended goes out in each partition's order, is acknowledged and deleted once written, and
// what an edge read without acknowledging (it died mid-way) goes out first on the next one;
// with receipts, an entry is acknowledged once the XMPP server took it, not when written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { ConnectionChanged, drainOutbox, EDGE_GROUP, pendingOutbound, type OutboundLink } from '../../src/transport/outbox.ts';
import { startRedis, useScriptedRedis } from '../support/redis.ts';
import { settlesWithin } from '../support/timing.ts';
import { startRedisProxy } from '../support/redis-proxy.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import { connectRedis } from '../../src/redis.ts';

let client: Redis & ScriptCommands;
const log = pino({ level: 'silent' });
useScriptedRedis((c) => { client = c; });

/** Resolves once `n` stanza strings were sent, with what was sent so far. */
function collector(n: number, fail?: () => boolean) {
  const sent: string[] = [];
  let resolve!: (s: string[]) => void;
  const done = new Promise<string[]>((r) => { resolve = r; });
  const send = async (bytes: Buffer) => {
    if (fail?.()) throw new Error('connection lost');
    sent.push(...bytes.toString('utf8').split(/(?=<m )/));
    if (sent.length >= n) resolve(sent);
  };
  return { send, done, sent };
}

test('each partition\'s entries go out in order, and are acknowledged and deleted once written', async () => {
  const keys = createKeys('ob1', 2);
  const out = collector(9);
  const drain = await drainOutbox(client, keys, out.send, log);
  try {
    for (let i = 0; i < 3; i++) {
      await client.xadd(keys.outStream(0), '*', 's', `<m p="0" i="${i}"/>`);
      await client.xadd(keys.outStream(1), '*', 's', `<m p="1" i="${i}"/><m p="1" i="${i}b" t="é→😀"/>`);
    }
    const sent = await out.done;
    for (const p of ['0', '1']) {
      assert.deepEqual(sent.filter((s) => s.includes(`p="${p}"`)), p === '0'
        ? ['<m p="0" i="0"/>', '<m p="0" i="1"/>', '<m p="0" i="2"/>']
        : ['<m p="1" i="0"/>', '<m p="1" i="0b" t="é→😀"/>', '<m p="1" i="1"/>', '<m p="1" i="1b" t="é→😀"/>', '<m p="1" i="2"/>', '<m p="1" i="2b" t="é→😀"/>']);
    }
    // acknowledged after the write: nothing pending, nothing left in the streams
    for (let tries = 0; (await pendingOutbound(client, keys)) > 0 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pendingOutbound(client, keys), 0);
    for (let p = 0; p < 2; p++) {
      assert.deepEqual(await client.xpending(keys.outStream(p), EDGE_GROUP), [0, null, null, null]);
    }
  } finally {
    await drain.stop();
  }
});

test('what an edge read and did not write goes out first on the next edge', async () => {
  const keys = createKeys('ob2', 1);
  // the first edge reads the entries, and its connection fails before the write: it stops
  let failing = true;
  const first = collector(1, () => failing);
  const firstDrain = await drainOutbox(client, keys, first.send, log);
  await client.xadd(keys.outStream(0), '*', 's', '<m i="a"/>');
  await client.xadd(keys.outStream(0), '*', 's', '<m i="b"/>');
  for (let tries = 0; tries < 50; tries++) {
    const [count] = await client.xpending(keys.outStream(0), EDGE_GROUP) as [number];
    if (count === 2) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await firstDrain.stop();
  failing = false;
  assert.deepEqual(first.sent, []);
  assert.equal(await pendingOutbound(client, keys), 2, 'still in the stream');

  await client.xadd(keys.outStream(0), '*', 's', '<m i="c"/>');
  const next = collector(3);
  const drain = await drainOutbox(client, keys, next.send, log);
  try {
    assert.deepEqual(await next.done, ['<m i="a"/>', '<m i="b"/>', '<m i="c"/>']);
    for (let tries = 0; (await pendingOutbound(client, keys)) > 0 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pendingOutbound(client, keys), 0);
  } finally {
    await drain.stop();
  }
});

test('a drain stops while Redis is away (its reader retrying), and a drain started once Redis is back delivers what is pending', async () => {
  // a Redis of its own: this test kills it
  const server = await startRedis({ appendOnly: true });
  const redis = withScripts(connectRedis(server.url, log));
  const keys = createKeys('ob-outage', 1);
  try {
    const before = collector(1);
    const first = await drainOutbox(redis, keys, before.send, log);
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="0"/>');
    assert.deepEqual(await before.done, ['<m i="0"/>']);
    process.kill(server.pid(), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500)); // the reader's read fails; it waits to reconnect
    // the edge loses its lease in such an outage and closes its drain: that must end
    assert.equal(await settlesWithin(first.stop(), 5000), true, 'the drain stopped');
    await server.restart({ crash: true });
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="1"/>');
    const after = collector(1);
    const second = await drainOutbox(redis, keys, after.send, log);
    assert.deepEqual(await after.done, ['<m i="1"/>']);
    await second.stop();
  } finally {
    redis.disconnect();
    await server.stop();
  }
});

test('a read whose answer the connection lost (Redis ran it) still delivers its entries, first and in order', async () => {
  // Redis took the entries into the edge's pending list, and its answer never came: ioredis then
  // sends the read again, which gives only what comes after
  const server = await startRedis();
  const proxy = await startRedisProxy({ host: '127.0.0.1', port: server.port });
  const redis = withScripts(connectRedis(proxy.url, log));
  const keys = createKeys('ob-lost-answer', 1);
  const out = collector(4);
  const drain = await drainOutbox(redis, keys, out.send, log);
  try {
    // the blocking read of new entries ('>'), not a read of the pending ones ('0')
    const lost = proxy.loseNextAnswer({ request: (text) => text.includes('XREADGROUP') && text.includes('\r\n>\r\n') });
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="a"/>');
    await lost;
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="b"/>');
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="c"/>');
    await redis.xadd(keys.outStream(0), '*', 's', '<m i="d"/>');
    assert.equal(await settlesWithin(out.done, 10_000), true, `delivered: ${out.sent.join(' ')}`);
    assert.deepEqual(out.sent, ['<m i="a"/>', '<m i="b"/>', '<m i="c"/>', '<m i="d"/>']);
    for (let tries = 0; (await pendingOutbound(redis, keys)) > 0 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pendingOutbound(redis, keys), 0, 'all acknowledged');
  } finally {
    await drain.stop();
    redis.disconnect();
    await proxy.stop();
    await server.stop();
  }
});

test('a long-running drain keeps nothing of what it delivered', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const kept = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
  const keys = createKeys('ob-mem', 1);
  const stanza = `<m>${'x'.repeat(256 * 1024)}</m>`;
  let delivered = 0;
  const drain = await drainOutbox(client, keys, async () => { delivered++; }, log);
  try {
    await client.xadd(keys.outStream(0), '*', 's', stanza);
    while (delivered < 1) await new Promise((r) => setTimeout(r, 5));
    const before = kept();
    // one read and one delivery each: 50 MB, had the drain kept what it read
    for (let i = 2; i <= 201; i++) {
      await client.xadd(keys.outStream(0), '*', 's', stanza);
      while (delivered < i) await new Promise((r) => setTimeout(r, 1));
    }
    const grown = kept() - before;
    assert.ok(grown < 15 * 1024 * 1024, `${(grown / 1024 / 1024).toFixed(1)} MB kept after 200 batches of 256 KB`);
  } finally {
    await drain.stop();
  }
});

/** A link whose receipts the test gives, and whose connection it breaks. */
function linkByHand() {
  let connection = 1;
  const writes: { on: number; text: string; take: () => void; fail: (err: Error) => void; settled: boolean }[] = [];
  const link: OutboundLink = {
    connection: async () => connection,
    async write(stanzas, on) {
      if (on !== connection) throw new ConnectionChanged();
      let take!: () => void; let fail!: (err: Error) => void;
      const taken = new Promise<void>((resolve, reject) => { take = resolve; fail = reject; });
      taken.catch(() => undefined);
      const w = { on, text: stanzas.toString('utf8'), settled: false, take: () => { w.settled = true; take(); }, fail: (err: Error) => { w.settled = true; fail(err); } };
      writes.push(w);
      return { taken };
    },
  };
  return {
    link, writes,
    /** The connection breaks: what it carried without receipt fails; a new one comes. */
    reconnect() {
      for (const w of writes) if (w.on === connection && !w.settled) w.fail(new Error('broken'));
      connection++;
    },
    async written(predicate: (text: string) => boolean) {
      for (let tries = 0; tries < 250; tries++) {
        const w = writes.find((x) => predicate(x.text));
        if (w) return w;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`not written: ${writes.map((x) => x.text).join(' | ')}`);
    },
  };
}

test('an entry is acknowledged once the server took it; what a broken connection carried without receipt goes out again on the next one, first and in order', async () => {
  const keys = createKeys('ob-receipts', 1);
  const stream = keys.outStream(0);
  const hand = linkByHand();
  const drain = await drainOutbox(client, keys, hand.link, log);
  try {
    await client.xadd(stream, '*', 's', '<m i="1"/>');
    const first = await hand.written((t) => t.includes('i="1"'));
    await client.xadd(stream, '*', 's', '<m i="2"/>');
    await hand.written((t) => t.includes('i="2"'));
    assert.equal(await client.xlen(stream), 2, 'written, not yet taken: both still there');
    first.take();
    for (let tries = 0; (await client.xlen(stream)) > 1 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await client.xlen(stream), 1, 'the first one taken and acknowledged');
    await client.xadd(stream, '*', 's', '<m i="3"/>');
    await hand.written((t) => t.includes('i="3"'));
    hand.reconnect();
    await client.xadd(stream, '*', 's', '<m i="4"/>');
    await hand.written((t) => t.includes('i="4"'));
    const again = hand.writes.filter((w) => w.on === 2).map((w) => w.text).join('');
    assert.equal(again, '<m i="2"/><m i="3"/><m i="4"/>', 'what had no receipt first, in order; what was taken not again');
    for (const w of hand.writes) if (w.on === 2) w.take();
    for (let tries = 0; (await client.xlen(stream)) > 0 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await client.xlen(stream), 0);
  } finally {
    await drain.stop();
  }
});
