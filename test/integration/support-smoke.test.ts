// Smoke test of the test stack itself: Redis, Prosody (c2s + component port), InspIRCd.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { connectIrc } from '../support/irc-client.ts';
import { startRedis } from '../support/redis.ts';
import { startStack, type TestStack } from '../support/stack.ts';
import { connectClient, stanza, xml } from '../support/xmpp-client.ts';

let stack: TestStack;

before(async () => {
  stack = await startStack({ irc: true, accounts: [{ user: 'alice', password: 'alice-pw' }] });
});

after(async () => {
  await stack?.stop();
});

test('redis answers PING', async () => {
  const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
  } finally {
    redis.disconnect();
  }
});

test('an append-only redis keeps its data across a clean restart and a crash', async () => {
  const r = await startRedis({ appendOnly: true });
  const redis = new Redis(r.url, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.set('k', 'v1');
    await r.restart();
    assert.equal(await redis.get('k'), 'v1'); // ioredis reconnects by itself
    await redis.set('k', 'v2');
    await r.restart({ crash: true });
    assert.equal(await redis.get('k'), 'v2');
  } finally {
    redis.disconnect();
    await r.stop();
  }
});

test('an XMPP client logs in and receives a message it sent to itself', async () => {
  const alice = await connectClient({
    service: stack.c2sService, domain: stack.domain, username: 'alice', password: 'alice-pw', resource: 'smoke',
  });
  try {
    assert.equal(alice.jid, 'alice@localhost/smoke');
    await alice.send(xml('message', { to: alice.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello me')));
    const msg = await alice.next(stanza('message', { id: 'm1' }));
    assert.equal(msg.getChildText('body'), 'hello me');
    // Sent before anyone awaits them: the buffer keeps them, in order.
    for (const n of [1, 2, 3]) await alice.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, `n${n}`)));
    const burst = await alice.collect(3, (el) => el.name === 'message' && /^n\d$/.test(el.getChildText('body') ?? ''));
    assert.deepEqual(burst.map((el) => el.getChildText('body')), ['n1', 'n2', 'n3']);
    const pong = await alice.iq(xml('iq', { type: 'get', to: stack.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
  } finally {
    await alice.stop();
  }
});

test('a registered account can be added later', async () => {
  await stack.prosody.register('bob', 'bob-pw');
  const bob = await connectClient({
    service: stack.c2sService, domain: stack.domain, username: 'bob', password: 'bob-pw', initialPresence: false,
  });
  await bob.stop();
});

test('the component port speaks XEP-0114', async () => {
  // Only the stream header here; the gateway's own tests do the handshake.
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: stack.prosody.componentPort }, () => {
      s.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${stack.component.jid}'>`);
    });
    let buf = '';
    s.on('data', (d) => { buf += d.toString(); if (buf.includes('id=')) { s.destroy(); resolve(buf); } });
    s.on('error', reject);
  });
  assert.match(reply, /jabber:component:accept/);
});

test('a raw IRC client registers with InspIRCd and gets 001', async () => {
  assert.ok(stack.irc);
  const irc = await connectIrc({ port: stack.irc.port, nick: 'smoke', caps: ['server-time', 'batch', 'message-tags'] });
  try {
    assert.match(irc.welcome, / 001 smoke /);
    assert.deepEqual([...irc.caps].sort(), ['batch', 'message-tags', 'server-time']);
    irc.send('JOIN #smoke');
    await irc.next((l) => / JOIN :?#smoke/.test(l));
  } finally {
    await irc.close();
  }
});
