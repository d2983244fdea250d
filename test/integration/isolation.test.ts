// Rooms are per user (spec §0.5, DECISIONS): two users in the same legacy group have two rooms
// that never see each other. A user can never see or act in another user's rooms.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_MUC as MUC, NS_REGISTER as REGISTER } from '../../src/transport/xmpp/ns.ts';
import { errorCondition as condition } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type TestClient } from '../support/xmpp-client.ts';

const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] },
    { id: 'secret', name: 'Secret', type: 'group', members: ['romeo@localhost'], participants: [{ nick: 'nurse' }] },
  ],
};

describe('isolation between users', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'test', juliet: 'test' }, gateway: { world: WORLD }, register: true });

  async function join(c: TestClient, room: string, nick: string) {
    await c.send(xml('presence', { to: `${room}/${nick}`, id: `join-${nick}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    return c.next((el) => el.attrs.id === `join-${nick}`);
  }

  test("a user who has not joined gets no trace of another user's room: not joined there, own echo only", async () => {
    const self = await join(suite.romeo, LOBBY, 'romeo');
    assert.equal(self.attrs.type, undefined);
    // juliet has not joined her own lobby: her groupchat is refused, nothing reaches romeo's room
    await suite.juliet.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'j1' }, xml('body', {}, 'hello?')));
    const refused = await suite.juliet.next((el) => el.attrs.id === 'j1');
    assert.equal(condition(refused), 'not-acceptable');
    const ping = await suite.juliet.iq(xml('iq', { type: 'get', to: `${LOBBY}/romeo` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(condition(ping), 'not-acceptable', "romeo's joined resource does not make juliet joined");
  });

  test("each user's echo goes to that user only; the other hears it as the legacy network delivers it", async () => {
    await join(suite.juliet, LOBBY, 'juliet');
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'r1' }, xml('body', {}, 'from romeo')));
    const echo = await suite.romeo.next((el) => el.attrs.id === 'r1');
    assert.equal(echo.attrs.from, `${LOBBY}/romeo`);
    // juliet's room gets romeo's message from the network, as a participant's message with the network's id
    const heard = await suite.juliet.next((el) => el.getChildText('body') === 'from romeo');
    assert.equal(heard.attrs.from, `${LOBBY}/romeo`);
    assert.notEqual(heard.attrs.id, 'r1', "romeo's client message id is never shown to juliet");
    assert.notEqual(heard.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id, 'user', "romeo is an ordinary occupant in juliet's room");
  });

  test('a members-only group of one user does not exist for another', async () => {
    const reply = await join(suite.juliet, `secret@${GW}`, 'juliet');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(condition(reply), 'item-not-found');
    const ok = await join(suite.romeo, `secret@${GW}`, 'romeo');
    assert.equal(ok.attrs.type, undefined);
  });

  test("a user's own data is kept apart in Redis: unregistering one leaves the other's rooms", async () => {
    const done = await suite.juliet.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(done.attrs.type, 'result');
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'r2' }, xml('body', {}, 'still here')));
    const echo = await suite.romeo.next((el) => el.attrs.id === 'r2');
    assert.equal(echo.getChildText('body'), 'still here');
  });

  test('MUC stanzas addressed to the gateway itself, not to a room, get bad-request', async () => {
    await suite.romeo.send(xml('presence', { to: `${GW}/romeo`, id: 'gwj' }, xml('x', { xmlns: MUC })));
    const reply = await suite.romeo.next((el) => el.attrs.id === 'gwj');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(condition(reply), 'bad-request');
    await suite.romeo.send(xml('message', { to: GW, type: 'groupchat', id: 'gwm' }, xml('body', {}, 'hello gateway')));
    assert.equal(condition(await suite.romeo.next((el) => el.attrs.id === 'gwm')), 'bad-request');
  });
});
