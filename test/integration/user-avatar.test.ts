// The user's own avatar in rooms (spec §3.7) on a server that grants the gateway IQ privilege
// (XEP-0356, Prosody's mod_privilege): read from the user's PEP (XEP-0084), its hash goes in
// the user's self-presences, in every room type; a vCard get on their own occupant answers
// with the image. A user without one gets no <x/> and item-not-found. Real servers, real clients.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { NS_VCARD as VCARD, NS_VCARD_UPDATE as VCARD_UPDATE } from '../../src/transport/xmpp/ns.ts';
import { errorCondition as condition, statusCodes as codes } from '../support/stanza-reading.ts';
import { register, useGatewaySuite } from '../support/suite.ts';
import { xml, type Element, type TestClient } from '../support/xmpp-client.ts';
import { joinAndRead } from '../support/muc.ts';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const CAPS = 'http://jabber.org/protocol/caps';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const METADATA = 'urn:xmpp:avatar:metadata';
const DATA = 'urn:xmpp:avatar:data';
const GW = 'gw.localhost';
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'alice' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }] },
  ],
};

const photoOf = (presence: Element) => presence.getChild('x', VCARD_UPDATE)?.getChildText('photo');
const isSelfPresence = (room: string, nick: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === `${room}@${GW}/${nick}` && codes(el).includes(110);

/** Publishes an avatar on the client's own PEP as XEP-0084 says: the data, then the metadata that names it. */
async function publishAvatar(client: TestClient, png: Buffer): Promise<string> {
  const hash = createHash('sha1').update(png).digest('hex');
  const publish = (node: string, payload: Element) => client.iq(xml('iq', { type: 'set' },
    xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node }, xml('item', { id: hash }, payload)))));
  assert.equal((await publish(DATA, xml('data', { xmlns: DATA }, png.toString('base64')))).attrs.type, 'result');
  assert.equal((await publish(METADATA, xml('metadata', { xmlns: METADATA },
    xml('info', { bytes: String(png.length), id: hash, type: 'image/png', width: '32', height: '32' })))).attrs.type, 'result');
  return hash;
}

describe("the user's own avatar, read from their PEP", () => {
  const suite = useGatewaySuite({
    clients: { romeo: 'gajim', juliet: 'dino' },
    stack: { prosody: { privilegedComponent: true } },
    gateway: { world: WORLD },
  });
  let png: Buffer;
  let hash: string;

  before(async () => {
    png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#36c' } }).png().toBuffer();
    hash = await publishAvatar(suite.romeo, png);
    await register(suite.romeo, 'romeo');
    await register(suite.juliet, 'juliet');
  });

  test('the first join of a login asks for it: the self-presence comes again with its hash, even in a channel', async () => {
    const got = await joinAndRead(suite.romeo, `lobby@${GW}`, 'romeo', { history: { maxstanzas: '0' } });
    const first = got.find(isSelfPresence('lobby', 'romeo'))!;
    const again = photoOf(first) === hash ? first : await suite.romeo.next(isSelfPresence('lobby', 'romeo'));
    assert.equal(photoOf(again), hash);
    assert.deepEqual(again.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!.attrs.role, 'participant', 'the same self-presence, with the photo');
  });

  test('a later join shows it in its own self-presence', async () => {
    const got = await joinAndRead(suite.romeo, `den@${GW}`, 'romeo', { history: { maxstanzas: '0' } });
    assert.equal(photoOf(got.find(isSelfPresence('den', 'romeo'))!), hash);
  });

  test('a vCard get on the own occupant answers with the image from PEP', async () => {
    const res = await suite.romeo.iq(xml('iq', { type: 'get', to: `den@${GW}/romeo` }, xml('vCard', { xmlns: VCARD })));
    assert.equal(res.attrs.type, 'result', res.toString());
    const photo = res.getChild('vCard', VCARD)!.getChild('PHOTO')!;
    assert.equal(photo.getChildText('TYPE'), 'image/png');
    assert.deepEqual(Buffer.from(photo.getChildText('BINVAL')!, 'base64'), png);
  });

  test('a user without one: no <x/> in the self-presence, and item-not-found for the vCard', async () => {
    const got = await joinAndRead(suite.juliet, `lobby@${GW}`, 'juliet', { history: { maxstanzas: '0' } });
    assert.equal(got.find(isSelfPresence('lobby', 'juliet'))!.getChild('x', VCARD_UPDATE), undefined);
    const res = await suite.juliet.iq(xml('iq', { type: 'get', to: `lobby@${GW}/juliet` }, xml('vCard', { xmlns: VCARD })));
    assert.deepEqual([res.attrs.type, condition(res)], ['error', 'item-not-found']);
    // her second join, after the answer: still none
    const den = await joinAndRead(suite.juliet, `den@${GW}`, 'juliet', { history: { maxstanzas: '0' } });
    assert.equal(den.find(isSelfPresence('den', 'juliet'))!.getChild('x', VCARD_UPDATE), undefined);
  });

  test('the gateway is the user\'s contact: its presence asks for their avatar notifications, and a new avatar reaches every joined room during the login', async () => {
    // an avatar published while the gateway is no contact yet: the rooms still show the first one
    const second = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c63' } }).png().toBuffer();
    const secondHash = await publishAvatar(suite.romeo, second);
    // the registration asked for a subscription; the user's client grants it
    await suite.romeo.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === GW);
    await suite.romeo.send(xml('presence', { to: GW, type: 'subscribed' }));
    const presence = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GW && !el.attrs.type);
    const caps = presence.getChild('c', CAPS)!;
    assert.equal(caps.attrs.hash, 'sha-1');
    // what the caps name is the gateway's disco, with the notifications it wants
    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: DISCO_INFO, node: `${caps.attrs.node}#${caps.attrs.ver}` })));
    assert.equal(info.attrs.type, 'result', info.toString());
    assert.ok(info.getChild('query', DISCO_INFO)!.getChildren('feature').some((f) => f.attrs.var === `${METADATA}+notify`));
    // the user's server tells the gateway their avatar (the last one, at once): both joined rooms show it
    for (const room of ['lobby', 'den']) {
      await suite.romeo.next((el) => isSelfPresence(room, 'romeo')(el) && photoOf(el) === secondHash, 20_000);
    }
    // and a change from now on, as it happens
    const third = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3c6' } }).png().toBuffer();
    const thirdHash = await publishAvatar(suite.romeo, third);
    const again = await suite.romeo.next((el) => isSelfPresence('lobby', 'romeo')(el) && photoOf(el) === thirdHash, 20_000);
    assert.equal(again.attrs.to, `romeo@localhost/gajim`);
  });
});
