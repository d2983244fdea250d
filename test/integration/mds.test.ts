// Message Displayed Synchronization (XEP-0490, spec §3.21) on a server that grants the gateway
// IQ privilege (XEP-0356, Prosody's mod_privilege): when the network says the user read a room
// elsewhere, the user's PEP gets the room's displayed mark, naming the stanza-id their clients
// saw on that message, whether a client of theirs is in the room or not. Real servers, real clients.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_SID } from '../../src/transport/xmpp/ns.ts';
import { joinAndRead } from '../support/muc.ts';
import { register, useGatewaySuite } from '../support/suite.ts';
import { xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const MDS = 'urn:xmpp:mds:displayed:0';
const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const DEN = `den@${GW}`;
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }] },
  ],
};

/** The user's displayed marks, by room JID, as their own client reads them from their PEP. */
async function displayedMarks(client: TestClient): Promise<Record<string, string | undefined>> {
  const res = await client.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: MDS }))));
  if (res.attrs.type === 'error') return {};
  const items = res.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
  return Object.fromEntries(items.map((item: Element) => {
    const sid = item.getChild('displayed', MDS)?.getChild('stanza-id', NS_SID);
    assert.equal(sid?.attrs.by, item.attrs.id, 'the stanza-id is the room\'s');
    return [String(item.attrs.id), sid?.attrs.id as string | undefined];
  }));
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let tries = 0; tries < 100; tries++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the user read a room elsewhere: their displayed mark in their PEP', () => {
  const suite = useGatewaySuite({
    clients: { romeo: 'gajim' },
    stack: { prosody: { privilegedComponent: true } },
    gateway: { world: WORLD },
  });

  before(async () => {
    await register(suite.romeo, 'romeo');
  });

  test('in a joined room: the mark names the stanza-id the client saw, and the marker reaches the client too', async () => {
    await joinAndRead(suite.romeo, LOBBY, 'romeo', { history: { maxstanzas: '0' } });
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'read me', id: 'b-1' })).status, 201);
    const message = await suite.romeo.next((el) => el.getChildText('body') === 'read me', 20_000);
    const stanzaId = message.getChild('stanza-id', NS_SID)!.attrs.id as string;
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/lobby/participants/romeo/displayed', { id: 'b-1' })).status, 204);
    const marker = await suite.romeo.next((el) => !!el.getChild('displayed', 'urn:xmpp:chat-markers:0'), 20_000);
    assert.equal(marker.attrs.from, `${LOBBY}/romeo`);
    const marks = await until('the lobby\'s mark', () => displayedMarks(suite.romeo), (m) => m[LOBBY] !== undefined);
    assert.equal(marks[LOBBY], stanzaId);
  });

  test('in a room no client of the user joined: the mark is published all the same; another participant\'s marker publishes nothing', async () => {
    for (const id of ['b-2', 'b-3']) assert.equal((await suite.gw.demo('POST', '/demo/rooms/den/messages', { from: 'bob', body: id, id })).status, 201);
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/den/participants/romeo/displayed', { id: 'b-2' })).status, 204);
    assert.equal((await until('the den\'s mark', () => displayedMarks(suite.romeo), (m) => m[DEN] !== undefined))[DEN], 'b-2');
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/den/participants/bob/displayed', { id: 'b-3' })).status, 204);
    // a mark of the user's after bob's marker: once it is there, bob's was handled (one mailbox, in order)
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'later', id: 'b-4' })).status, 201);
    assert.equal((await suite.gw.demo('POST', '/demo/rooms/lobby/participants/romeo/displayed', { id: 'b-4' })).status, 204);
    const marks = await until('the lobby\'s new mark', () => displayedMarks(suite.romeo), (m) => m[LOBBY] === 'b-4');
    assert.equal(marks[DEN], 'b-2', 'bob read b-3, the user did not');
  });
});
