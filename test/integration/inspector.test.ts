// The inspector page: a worker's room and session actors, their states and contexts, live.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_MUC as MUC } from '../../src/transport/xmpp/ns.ts';
import { registerUser } from '../support/gateway.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml } from '../support/xmpp-client.ts';
import { freePort } from '../support/ports.ts';

const GW = 'gw.localhost';
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Hi', participants: [{ nick: 'bob' }, { nick: 'carol' }] }] };
const ROOM_KEY = 'room:romeo@localhost:lobby';

describe('inspector page', () => {
  const suite = useGatewaySuite({
    clients: { romeo: 'test' },
    // a port found when roomgate starts, not at load
    gateway: async () => ({ world: WORLD, inspectPort: await freePort() }),
  });
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const actors = async () => JSON.parse((await get('/actors')).text).actors as { key: string; state: string; summary: Record<string, unknown> }[];

  before(async () => {
    base = `http://127.0.0.1:${suite.gw.gateway.inspectPort()}`;
    await registerUser(suite.romeo, 'romeo');
  });

  test('serves the page', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.type!, /text\/html/);
    assert.match(page.text, /<title>roomgate inspector<\/title>/);
  });

  test('lists the session logged in, and a room joined with its state and summary', async () => {
    await suite.romeo.send(xml('presence', { to: `lobby@${GW}/romeo` }, xml('x', { xmlns: MUC })));
    await suite.romeo.next((el) => !!el.getChild('subject'));
    const list = await actors();
    const session = list.find((a) => a.key === 'session:romeo@localhost');
    assert.equal(session?.state, 'loggedIn');
    const room = list.find((a) => a.key === ROOM_KEY);
    assert.equal(room?.state, 'joined.idle');
    assert.equal(room?.summary.participants, 2);
    assert.deepEqual(room?.summary.resources, [suite.romeo.jid]);
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
    await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'watched' });
    await suite.romeo.next((el) => el.getChildText('body') === 'watched');
    await suite.gw.gateway.worker!.hibernateIdle(0);
    for (let i = 0; i < 100 && !seen.includes('runtime.hibernated'); i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await reading;
    assert.ok(seen.includes('legacy.message'), `saw ${seen.join(', ')}`);
    assert.ok(seen.includes('runtime.hibernated'), `saw ${seen.join(', ')}`);
    assert.equal((await actors()).find((a) => a.key === ROOM_KEY)?.state, 'hibernated');
  });
});
