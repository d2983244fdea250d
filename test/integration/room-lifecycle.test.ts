// The room actor's lifecycle end to end: requests decided by the plugin, refusals, self-ping,
// shutdown (332), restore after a restart, and hibernation, with a real client on real servers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import { NS_MUC_ADMIN as MUC_ADMIN, NS_MUC_OWNER as MUC_OWNER } from '../../src/transport/xmpp/muc-admin.ts';
import {
  NS_MUC as MUC, NS_MUC_USER as MUC_USER, NS_OCCUPANT_ID as OID, NS_REGISTER as REGISTER, NS_STANZAS as STANZAS,
} from '../../src/transport/xmpp/ns.ts';
import { startTestGateway } from '../support/gateway.ts';
import { statusCodes as codes, errorCondition as condition } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { joinAndRead } from '../support/muc.ts';

const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;

const WORLD = {
  rooms: [
    {
      id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Welcome',
      participants: [{ nick: 'alice', role: 'moderator', affiliation: 'owner' }, { nick: 'bob' }, { nick: 'carol' }],
    },
    // rooms that end in the tests below
    { id: 'attic', name: 'Attic', type: 'group', participants: [{ nick: 'bob' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }] },
    { id: 'cellar', name: 'Cellar', type: 'group', participants: [{ nick: 'bob' }] },
    // never joined: its admin lists fill it
    { id: 'gallery', name: 'Gallery', type: 'group', participants: [{ nick: 'dave', affiliation: 'admin' }, { nick: 'erin' }] },
  ],
};

const occupantIds = (els: Element[]) => Object.fromEntries(els.map((el) => [el.attrs.from, el.getChild('occupant-id', OID)?.attrs.id]));

describe('room lifecycle', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim' }, gateway: { world: WORLD }, register: true });

  const join = (id: string) => joinAndRead(suite.romeo, LOBBY, 'romeo', { id, history: { maxstanzas: '0' } });

  test('a self-ping is answered only while joined', async () => {
    const before = await suite.romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(before.attrs.type, 'error');
    assert.equal(condition(before), 'not-acceptable');
    await join('j1');
    const after = await suite.romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(after.attrs.type, 'result');
  });

  test('admin lists by affiliation: the participants with it, the user among them; a room never joined fills for them', async () => {
    const list = async (room: string, affiliation: string) => {
      const res = await suite.romeo.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation }))));
      assert.equal(res.attrs.type, 'result', res.toString());
      return res.getChild('query', MUC_ADMIN)!.getChildren('item').map((i) => i.attrs);
    };
    // the lobby is a CHANNEL: no real JIDs
    assert.deepEqual(await list(LOBBY, 'owner'), [{ nick: 'alice', affiliation: 'owner', role: 'moderator' }]);
    assert.deepEqual(await list(LOBBY, 'member'), [
      { nick: 'bob', affiliation: 'member', role: 'participant' }, { nick: 'carol', affiliation: 'member', role: 'participant' },
      { nick: 'romeo', affiliation: 'member', role: 'participant' },
    ]);
    assert.deepEqual(await list(LOBBY, 'outcast'), []);
    // a GROUP shows the user's real JID; filling it for the list sent no presence
    const gallery = `gallery@${GW}`;
    assert.deepEqual(await list(gallery, 'admin'), [{ nick: 'dave', affiliation: 'admin', role: 'participant' }]);
    assert.deepEqual(await list(gallery, 'member'), [
      { nick: 'erin', affiliation: 'member', role: 'participant' }, { nick: 'romeo', affiliation: 'member', role: 'participant', jid: suite.romeo.bareJid },
    ]);
    assert.ok(!suite.romeo.unconsumed().some((el) => String(el.attrs.from ?? '').startsWith(gallery)), 'no presence from a room not joined');
    const byRole = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { role: 'moderator' }))));
    assert.deepEqual([byRole.attrs.type, condition(byRole)], ['error', 'bad-request']);
    const unknown = await suite.romeo.iq(xml('iq', { type: 'get', to: `nowhere@${GW}` }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation: 'owner' }))));
    assert.deepEqual([unknown.attrs.type, condition(unknown)], ['error', 'item-not-found']);
  });

  test('disco#info on an occupant: a client named by its nick, with what the gateway carries for it; an unknown nick is item-not-found (spec §3.1)', async () => {
    const disco = (to: string) => suite.romeo.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const alice = await disco(`${LOBBY}/alice`);
    assert.equal(alice.attrs.type, 'result', alice.toString());
    const query = alice.getChild('query')!;
    assert.deepEqual(query.getChildren('identity').map((i) => [i.attrs.category, i.attrs.type, i.attrs.name]), [['client', 'pc', 'alice']]);
    const features = query.getChildren('feature').map((f) => f.attrs.var);
    for (const f of ['http://jabber.org/protocol/chatstates', 'urn:xmpp:reactions:0', 'urn:xmpp:reply:0', 'urn:xmpp:message-correct:0']) assert.ok(features.includes(f), f);
    assert.ok(!features.includes('http://jabber.org/protocol/muc'), 'not the room\'s');
    const unknown = await disco(`${LOBBY}/nobody`);
    assert.deepEqual([unknown.attrs.type, condition(unknown)], ['error', 'item-not-found']);
    const gallery = await disco(`gallery@${GW}/dave`);
    assert.equal(gallery.attrs.type, 'result', 'a room never joined fills for it');
    for (const to of [LOBBY, `${LOBBY}/alice`]) {
      const items = await suite.romeo.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
      assert.deepEqual([items.attrs.type, items.getChild('query')!.getChildren('item').length], ['result', 0], `disco#items on ${to}: empty`);
    }
  });

  test('the configuration form: its name and description, changed through the network, announced with 104 (spec §3.4, §3.5)', async () => {
    const form = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: MUC_OWNER })));
    assert.equal(form.attrs.type, 'result', form.toString());
    const value = (x: Element, name: string) => x.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
    const x = form.getChild('query', MUC_OWNER)!.getChild('x', 'jabber:x:data')!;
    assert.deepEqual([x.attrs.type, value(x, 'FORM_TYPE'), value(x, 'muc#roomconfig_roomname'), value(x, 'muc#roomconfig_roomdesc')],
      ['form', 'http://jabber.org/protocol/muc#roomconfig', 'Lobby', '']);

    const field = (name: string, v: string) => xml('field', { var: name }, xml('value', {}, v));
    const set = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'), field('muc#roomconfig_roomname', 'Great Hall'),
      field('muc#roomconfig_roomdesc', 'Where everyone meets')))));
    assert.equal(set.attrs.type, 'result', set.toString());
    const notice = await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === LOBBY && el.getChild('x', MUC_USER) !== undefined);
    assert.deepEqual(codes(notice), [104]);
    assert.equal(notice.getChild('body'), undefined);
    const room = (await suite.gw.demo('GET', '/demo/rooms/lobby')).json as { name: string; description: string };
    assert.deepEqual([room.name, room.description], ['Great Hall', 'Where everyone meets']);
    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(info.getChild('query')!.getChild('identity')!.attrs.name, 'Great Hall');

    // the network renaming the room on its own is announced the same way
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/lobby/info', { name: 'Lobby' })).status, 204);
    const again = await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === LOBBY && el.getChild('x', MUC_USER) !== undefined);
    assert.deepEqual(codes(again), [104]);
    const empty = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_OWNER })));
    assert.deepEqual([empty.attrs.type, condition(empty)], ['error', 'bad-request']);
  });

  test('a kick from XMPP goes through the network and comes back as a 307 presence', async () => {
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'bob', role: 'none' }, xml('reason', {}, 'spam')))));
    assert.equal(res.attrs.type, 'result');
    const gone = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/bob`);
    assert.equal(gone.attrs.type, 'unavailable');
    assert.deepEqual(codes(gone), [307]);
    assert.equal(gone.getChild('x', MUC_USER)!.getChild('item')!.getChildText('reason'), 'spam');
    const room = await suite.gw.demo('GET', '/demo/rooms/lobby');
    assert.deepEqual(room.json.participants.map((p: { nick: string }) => p.nick), ['alice', 'carol']);
  });

  test('kicking someone who is not there is refused with the network error', async () => {
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { nick: 'nobody', role: 'none' }))));
    assert.equal(res.attrs.type, 'error');
    assert.equal(condition(res), 'item-not-found');
  });

  test('a subject change from XMPP comes back from the network, set by the user', async () => {
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 's1' }, xml('subject', {}, 'New topic')));
    const subject = await suite.romeo.next((el) => el.name === 'message' && el.getChildText('subject') === 'New topic');
    assert.equal(subject.attrs.from, `${LOBBY}/romeo`);
  });

  test('a nickname change is refused with not-acceptable', async () => {
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/montague`, id: 'n1' }));
    const reply = await suite.romeo.next((el) => el.attrs.id === 'n1');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(reply.attrs.from, `${LOBBY}/montague`);
    assert.equal(condition(reply), 'not-acceptable');
  });

  async function joinRoom(room: string, id: string): Promise<Element> {
    await suite.romeo.send(xml('presence', { to: `${room}@${GW}/romeo`, id }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    const self = await suite.romeo.next((el) => el.attrs.id === id);
    if (self.attrs.type !== 'error') await suite.romeo.next((el) => el.name === 'message' && el.attrs.from?.startsWith(`${room}@${GW}`) === true && !!el.getChild('subject'));
    return self;
  }

  test('destroying a room: the iq is answered, then the destroy presence, and the room is gone', async () => {
    await joinRoom('attic', 'a1');
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: `attic@${GW}` }, xml('query', { xmlns: MUC_OWNER }, xml('destroy', {}, xml('reason', {}, 'spring cleaning')))));
    assert.equal(res.attrs.type, 'result');
    const gone = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `attic@${GW}/romeo`);
    assert.equal(gone.attrs.type, 'unavailable');
    assert.equal(gone.getChild('x', MUC_USER)!.getChild('destroy')!.getChildText('reason'), 'spring cleaning');
    assert.equal(condition(await joinRoom('attic', 'a2')), 'item-not-found');
  });

  test('leaving a group for good: the iq is answered, then 307 with 110, and the group is gone for the user', async () => {
    await joinRoom('den', 'd1');
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: `den@${GW}` }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(res.attrs.type, 'result');
    const out = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `den@${GW}/romeo`);
    assert.equal(out.attrs.type, 'unavailable');
    assert.deepEqual(codes(out), [307, 110, 100]);
    assert.equal(out.getChild('x', MUC_USER)!.getChild('item')!.getChildText('reason'), 'You left this chat from an XMPP client.');
    assert.equal(condition(await joinRoom('den', 'd2')), 'item-not-found');
  });

  test('leaving the group from the official client (the network says so) kicks the user with 307', async () => {
    await joinRoom('cellar', 'c1');
    const res = await suite.gw.demo('DELETE', `/demo/rooms/cellar/members/${encodeURIComponent('romeo@localhost')}`);
    assert.equal(res.status, 204);
    const out = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `cellar@${GW}/romeo`);
    assert.equal(out.attrs.type, 'unavailable');
    assert.deepEqual(codes(out), [307, 110, 100]);
    assert.equal(out.getChild('x', MUC_USER)!.getChild('item')!.getChildText('reason'), 'You left this group from the official client.');
  });

  test('an error the user\'s server bounces for a resource that is gone removes it from the room', async () => {
    await join('b1');
    const before = await suite.romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(before.attrs.type, 'result');
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'error' }, xml('error', { type: 'cancel' }, xml('recipient-unavailable', { xmlns: STANZAS }))));
    const after = await suite.romeo.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(condition(after), 'not-acceptable');
  });

  test('a message from a resource that has not joined gets not-acceptable, then the 333 presence', async () => {
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'nj1' }, xml('body', {}, 'am I in?')));
    const refused = await suite.romeo.next((el) => el.attrs.id === 'nj1');
    assert.equal(condition(refused), 'not-acceptable');
    const kicked = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/romeo` && el.attrs.type === 'unavailable');
    assert.deepEqual(codes(kicked), [110, 333]);
  });

  test('a hibernated room leaves memory and comes back on the next event, as it was', async () => {
    const first = await join('j2');
    const live = suite.gw.gateway.worker!.liveRooms(); // the lobby, and the gallery filled for its admin lists
    assert.ok(live >= 1);
    assert.equal(await suite.gw.gateway.worker!.hibernateIdle(0), live);
    assert.equal(suite.gw.gateway.worker!.liveRooms(), 0);
    await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'carol', body: 'still here?' });
    const msg = await suite.romeo.next((el) => el.getChildText('body') === 'still here?');
    assert.equal(msg.attrs.from, `${LOBBY}/carol`);
    const carolId = occupantIds(first)[`${LOBBY}/carol`];
    assert.equal(msg.getChild('occupant-id', OID)!.attrs.id, carolId);
    assert.equal(suite.gw.gateway.worker!.liveRooms(), 1);
  });

  test('a message that changes nothing but the watermark writes the watermark, not the snapshot; a restore takes it', async () => {
    const redis = new Redis(suite.stack.redis.url);
    try {
      const keys = createKeys(suite.gw.prefix, 4);
      const user = 'romeo@localhost';
      await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'carol', body: 'first' });
      await suite.romeo.next((el) => el.getChildText('body') === 'first');
      const snapshot = await redis.get(keys.roomSnapshot(user, 'lobby'));
      await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'carol', body: 'second' });
      await suite.romeo.next((el) => el.getChildText('body') === 'second');
      // carol is known and announced, still 'active': only the watermark moved
      assert.equal(await redis.get(keys.roomSnapshot(user, 'lobby')), snapshot);
      const marks = JSON.parse((await redis.get(keys.roomMarks(user, 'lobby')))!) as { delivered: Record<string, [number, number]> };
      assert.notDeepEqual(marks.delivered, JSON.parse(snapshot!).context.delivered);

      // restored from snapshot + marks: the next message comes once, after the two before it
      assert.equal(await suite.gw.gateway.worker!.hibernateIdle(0), 1);
      await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'dave', body: 'third' });
      // §2.15: the new speaker's presence comes first
      await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/dave`);
      const third = await suite.romeo.next((el) => el.getChildText('body') === 'third');
      assert.equal(third.attrs.from, `${LOBBY}/dave`);
      // a new speaker changes the room: a whole snapshot again, and no older marks beside it
      assert.notEqual(await redis.get(keys.roomSnapshot(user, 'lobby')), snapshot);
      assert.equal(await redis.exists(keys.roomMarks(user, 'lobby')), 0);
      await assert.rejects(suite.romeo.next((el) => ['first', 'second', 'third'].includes(el.getChildText('body') ?? ''), 300));
    } finally {
      redis.disconnect();
    }
  });

  test('after a restart the room answers a join as before, without filling it again', async () => {
    const beforeRestart = await join('j3');
    const prefix = suite.gw.prefix;
    await suite.gw.stop();
    // §2.11: the joined resource is told the room goes away for now
    const bye = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === `${LOBBY}/romeo`);
    assert.deepEqual(codes(bye), [110, 332]);

    // the world file still lists bob: a fresh fill would bring him back
    suite.gw = await startTestGateway(suite.stack, { world: WORLD, prefix });
    const afterRestart = await join('j4');
    const summary = (els: Element[]) => els.map((el) => `${el.name} ${el.attrs.from} ${codes(el).join(',')}`);
    assert.deepEqual(summary(afterRestart), summary(beforeRestart));
    assert.deepEqual(occupantIds(afterRestart), occupantIds(beforeRestart));
    assert.ok(!afterRestart.some((el) => el.attrs.from === `${LOBBY}/bob`));
    assert.equal(afterRestart.find((el) => el.getChild('subject'))!.getChildText('subject'), 'New topic');
  });
});
