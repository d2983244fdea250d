// The component connection breaks with stanzas the gateway wrote still on their way (in the
// kernel's buffers, as XEP-0114 has no acknowledgements): they go out again on the next
// connection, in order, before anything newer, and the client, connected all along, has each once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type TestStack } from '../support/stack.ts';
import { registerUser, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy.ts';
import { connectClient, xml, type TestClient } from '../support/xmpp-client.ts';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { pendingOutbound } from '../../src/transport/outbox.ts';
import { NS_MUC } from '../../src/transport/xmpp/ns.ts';

const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] }] };

describe('receipts for what the gateway writes to the XMPP server', () => {
  let stack: TestStack;
  let proxy: HoldingProxy;
  let gw: TestGateway;
  let romeo: TestClient;
  const lines: { msg: string; entries?: number; cause?: string }[] = [];

  before(async () => {
    stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }] });
    // the gateway reaches Prosody's component port through the proxy; the client goes direct
    proxy = await startHoldingProxy({ host: '127.0.0.1', port: Number(new URL(stack.component.service).port) });
    gw = await startTestGateway({ ...stack, component: { ...stack.component, service: `xmpp://127.0.0.1:${proxy.port}` } }, {
      world: WORLD, log: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line)); } }),
    });
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo' });
    assert.equal((await registerUser(romeo, 'romeo')).attrs.type, 'result');
    await romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
    await romeo.next((el) => el.name === 'message' && !!el.getChild('subject'));
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await proxy?.stop();
    await stack?.stop();
  });

  const post = (body: string) => gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body, id: body.replace(/ /g, '-') });

  test('stanzas written but lost with the connection go out again on the next one, first and in order, each once', async () => {
    await post('before 0');
    await romeo.next((el) => el.getChildText('body') === 'before 0', 20_000);
    proxy.hold();
    for (let i = 0; i < 10; i++) await post(`lost ${i}`);
    // all of them written by the gateway, none taken by the server
    for (let tries = 0; !proxy.held().includes('lost 9') && tries < 500; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(proxy.held().includes('lost 9'), 'the gateway wrote them');
    proxy.cut();
    await post('after 0');
    const bodies: string[] = [];
    while (bodies.at(-1) !== 'after 0') {
      const el = await romeo.next((m) => m.name === 'message' && m.attrs.type === 'groupchat' && !!m.getChildText('body'), 20_000);
      bodies.push(el.getChildText('body')!);
    }
    assert.deepEqual(bodies, [...Array.from({ length: 10 }, (_, i) => `lost ${i}`), 'after 0']);
    // the operator reads what happened
    const again = lines.filter((l) => l.msg === 'pending outbound entries sent again');
    assert.equal(again.length, 1, JSON.stringify(again));
    assert.equal(again[0]!.cause, 'xmpp connection broke');
    assert.ok(again[0]!.entries! >= 1, `${again[0]!.entries} entries`); // entries are jobs: the ten may share some
  });

  test('what the server took before a break is not sent again', async () => {
    await post('taken 0');
    await romeo.next((el) => el.getChildText('body') === 'taken 0', 20_000);
    // its receipt came: nothing is left in the outbound streams
    const redis = new Redis(stack.redis.url);
    const pending = () => pendingOutbound(redis, createKeys(gw.prefix, 4));
    for (let tries = 0; (await pending()) > 0 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pending(), 0);
    redis.disconnect();
    proxy.cut();
    await post('taken 1');
    const next = await romeo.next((m) => m.name === 'message' && !!m.getChildText('body'), 20_000);
    assert.equal(next.getChildText('body'), 'taken 1');
  });
});
