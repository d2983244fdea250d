// The room actor's lifecycle end to end: requests decided by the plugin, refusals, self-ping,
// shutdown (332), restore after a restart, and hibernation, with a real client on real servers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type TestStack } from '../support/stack.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectClient, xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const REGISTER = 'jabber:iq:register';
const OID = 'urn:xmpp:occupant-id:0';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;

const WORLD = {
  rooms: [{
    id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Welcome',
    participants: [{ nick: 'alice', role: 'moderator', affiliation: 'owner' }, { nick: 'bob' }, { nick: 'carol' }],
  }],
};

const codes = (el: Element) => el.getChild('x', MUC_USER)?.getChildren('status').map((s) => Number(s.attrs.code)) ?? [];
const condition = (el: Element) => el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const occupantIds = (els: Element[]) => Object.fromEntries(els.map((el) => [el.attrs.from, el.getChild('occupant-id', OID)?.attrs.id]));

describe('room lifecycle', () => {
  let stack: TestStack;
  let gw: TestGateway;
  let romeo: TestClient;

  async function join(id: string): Promise<Element[]> {
    await romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    const got: Element[] = [];
    for (;;) {
      const el = await romeo.next((s) => s.attrs.from?.startsWith(LOBBY));
      got.push(el);
      if (el.name === 'message' && el.getChild('subject')) return got;
    }
  }

  before(async () => {
    stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }] });
    gw = await startTestGateway(stack, { world: WORLD });
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo', resource: 'gajim' });
    const done = await romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('nickname', {}, 'romeo'))));
    assert.equal(done.attrs.type, 'result');
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await stack?.stop();
  });

  test('a self-ping is answered only while joined', async () => {
    const before = await romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(before.attrs.type, 'error');
    assert.equal(condition(before), 'not-acceptable');
    await join('j1');
    const after = await romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(after.attrs.type, 'result');
  });

  test('a kick from XMPP goes through the network and comes back as a 307 presence', async () => {
    const res = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'bob', role: 'none' }, xml('reason', {}, 'spam')))));
    assert.equal(res.attrs.type, 'result');
    const gone = await romeo.next((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/bob`);
    assert.equal(gone.attrs.type, 'unavailable');
    assert.deepEqual(codes(gone), [307]);
    assert.equal(gone.getChild('x', MUC_USER)!.getChild('item')!.getChildText('reason'), 'spam');
    const room = await gw.demo('GET', '/demo/rooms/lobby');
    assert.deepEqual(room.json.participants.map((p: { nick: string }) => p.nick), ['alice', 'carol']);
  });

  test('kicking someone who is not there is refused with the network error', async () => {
    const res = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { nick: 'nobody', role: 'none' }))));
    assert.equal(res.attrs.type, 'error');
    assert.equal(condition(res), 'item-not-found');
  });

  test('a subject change from XMPP comes back from the network, set by the user', async () => {
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 's1' }, xml('subject', {}, 'New topic')));
    const subject = await romeo.next((el) => el.name === 'message' && el.getChildText('subject') === 'New topic');
    assert.equal(subject.attrs.from, `${LOBBY}/romeo`);
  });

  test('a nickname change is refused with not-acceptable', async () => {
    await romeo.send(xml('presence', { to: `${LOBBY}/montague`, id: 'n1' }));
    const reply = await romeo.next((el) => el.attrs.id === 'n1');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(reply.attrs.from, `${LOBBY}/montague`);
    assert.equal(condition(reply), 'not-acceptable');
  });

  test('destroying or leaving a demo room for good is not implemented by the demo plugin', async () => {
    const destroy = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_OWNER }, xml('destroy'))));
    assert.equal(condition(destroy), 'feature-not-implemented');
    const leave = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(condition(leave), 'feature-not-implemented');
  });

  test('a hibernated room leaves memory and comes back on the next event, as it was', async () => {
    const first = await join('j2');
    assert.ok(gw.gateway.worker!.liveRooms() >= 1);
    assert.equal(await gw.gateway.worker!.hibernateIdle(0), 1);
    assert.equal(gw.gateway.worker!.liveRooms(), 0);
    await gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'carol', body: 'still here?' });
    const msg = await romeo.next((el) => el.getChildText('body') === 'still here?');
    assert.equal(msg.attrs.from, `${LOBBY}/carol`);
    const carolId = occupantIds(first)[`${LOBBY}/carol`];
    assert.equal(msg.getChild('occupant-id', OID)!.attrs.id, carolId);
    assert.equal(gw.gateway.worker!.liveRooms(), 1);
  });

  test('after a restart the room answers a join as before, without filling it again', async () => {
    const beforeRestart = await join('j3');
    const prefix = gw.prefix;
    await gw.stop();
    // §2.11: the joined resource is told the room goes away for now
    const bye = await romeo.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${LOBBY}/romeo`);
    assert.deepEqual(codes(bye), [110, 332]);

    // the world file still lists bob: a fresh fill would bring him back
    gw = await startTestGateway(stack, { world: WORLD, prefix });
    const afterRestart = await join('j4');
    const summary = (els: Element[]) => els.map((el) => `${el.name} ${el.attrs.from} ${codes(el).join(',')}`);
    assert.deepEqual(summary(afterRestart), summary(beforeRestart));
    assert.deepEqual(occupantIds(afterRestart), occupantIds(beforeRestart));
    assert.ok(!afterRestart.some((el) => el.attrs.from === `${LOBBY}/bob`));
    assert.equal(afterRestart.at(-1)!.getChildText('subject'), 'New topic');
  });
});
