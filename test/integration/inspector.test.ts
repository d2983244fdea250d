// The inspector page: a worker's room and session actors, their states and contexts, live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type TestStack } from '../support/stack.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectClient, xml, type TestClient } from '../support/xmpp-client.ts';
import { freePort } from '../support/ports.ts';

const MUC = 'http://jabber.org/protocol/muc';
const GW = 'gw.localhost';
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Hi', participants: [{ nick: 'bob' }, { nick: 'carol' }] }] };
const ROOM_KEY = 'room:romeo@localhost:lobby';

describe('inspector page', () => {
  let stack: TestStack;
  let gw: TestGateway;
  let romeo: TestClient;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const actors = async () => JSON.parse((await get('/actors')).text).actors as { key: string; state: string; summary: Record<string, unknown> }[];

  before(async () => {
    stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }] });
    const port = await freePort();
    gw = await startTestGateway(stack, { world: WORLD, inspectPort: port });
    base = `http://127.0.0.1:${gw.gateway.inspectPort()}`;
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo' });
    await romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: 'jabber:iq:register' }, xml('nickname', {}, 'romeo'))));
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await stack?.stop();
  });

  test('serves the page', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.type!, /text\/html/);
    assert.match(page.text, /<title>roomgate inspector<\/title>/);
  });

  test('lists the session logged in, and a room joined with its state and summary', async () => {
    await romeo.send(xml('presence', { to: `lobby@${GW}/romeo` }, xml('x', { xmlns: MUC })));
    await romeo.next((el) => !!el.getChild('subject'));
    const list = await actors();
    const session = list.find((a) => a.key === 'session:romeo@localhost');
    assert.equal(session?.state, 'loggedIn');
    const room = list.find((a) => a.key === ROOM_KEY);
    assert.equal(room?.state, 'joined.idle');
    assert.equal(room?.summary.participants, 2);
    assert.deepEqual(room?.summary.resources, [romeo.jid]);
    const context = JSON.parse((await get(`/actors/${encodeURIComponent(ROOM_KEY)}`)).text);
    assert.deepEqual(context.participants.map((p: { nick: string }) => p.nick), ['bob', 'carol']);
    assert.equal((await get('/actors/nope')).status, 404);
  });

  test('streams changes as they happen, hibernation included', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/events`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const seen: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const line of decoder.decode(value).split('\n')) {
          if (line.startsWith('data: ')) seen.push(JSON.parse(line.slice(6)).record.event);
        }
      }
    })().catch(() => undefined);
    await gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'watched' });
    await romeo.next((el) => el.getChildText('body') === 'watched');
    await gw.gateway.worker!.hibernateIdle(0);
    for (let i = 0; i < 100 && !seen.includes('runtime.hibernated'); i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await reading;
    assert.ok(seen.includes('legacy.message'), `saw ${seen.join(', ')}`);
    assert.ok(seen.includes('runtime.hibernated'), `saw ${seen.join(', ')}`);
    assert.equal((await actors()).find((a) => a.key === ROOM_KEY)?.state, 'hibernated');
  });
});
