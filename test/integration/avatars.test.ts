// Room avatars (spec §3.6) end to end: the room's presence with its photo hash at the end of a
// join, the vCard that holds the image, the change announced with 104, the user's own avatar
// through the network, kept across a restart; participants' avatars (§3.7) in occupant
// presences and vCards where real identities show. A real client on real servers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import { NS_MUC_USER as MUC_USER, NS_REGISTER as REGISTER, NS_VCARD as VCARD, NS_VCARD_UPDATE as VCARD_UPDATE } from '../../src/transport/xmpp/ns.ts';
import { statusCodes as codes, errorCondition as condition } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { joinAndRead } from '../support/muc.ts';

const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const GALLERY = `gallery@${GW}`;
const STUDIO = `studio@${GW}`;

const image = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

const lobbyAvatar = await image(64, 64, '#c33'); // a small PNG: kept as it is
const daveAvatar = await image(40, 40, '#3cc');
const WORLD = {
  rooms: [
    // a channel hides who is who: alice's avatar is not shown there
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'alice', avatar: daveAvatar.toString('base64') }], avatar: lobbyAvatar.toString('base64') },
    { id: 'gallery', name: 'Gallery', type: 'group', participants: [{ nick: 'dave', avatar: daveAvatar.toString('base64') }, { nick: 'erin' }] },
    { id: 'studio', name: 'Studio', type: 'group', participants: [{ nick: 'erin' }] },
  ],
};

describe('room avatars', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim' }, accounts: ['mallory'], gateway: { world: WORLD }, register: true });

  const join = (room: string) => joinAndRead(suite.romeo, room, 'romeo', { history: { maxstanzas: '0' } });
  const photoOf = (presence: Element) => presence.getChild('x', VCARD_UPDATE)?.getChildText('photo');
  const vcard = (to: string) => suite.romeo.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: VCARD })));
  const photoBytes = (res: Element) => {
    const binval = res.getChild('vCard', VCARD)?.getChild('PHOTO')?.getChildText('BINVAL');
    return binval ? Buffer.from(binval, 'base64') : null;
  };

  /** A vCard set of `png` on the room `id`: answered with a result, and the network has the image. */
  const setAvatarFromXmpp = async (id: string, png: Buffer) => {
    const set = await suite.romeo.iq(xml('iq', { type: 'set', to: `${id}@${GW}` }, xml('vCard', { xmlns: VCARD },
      xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png.toString('base64'))))));
    assert.equal(set.attrs.type, 'result', set.toString());
    const room = (await suite.gw.demo('GET', `/demo/rooms/${id}`)).json as { avatar: { data: string } | null };
    assert.deepEqual(Buffer.from(room.avatar!.data, 'base64'), png, 'the network has the image');
  };

  test('a room never joined serves its avatar as a vCard, and its disco shows the hash', async () => {
    const res = await vcard(LOBBY);
    assert.equal(res.attrs.type, 'result', res.toString());
    assert.equal(res.getChild('vCard', VCARD)!.getChild('PHOTO')!.getChildText('TYPE'), 'image/png');
    assert.deepEqual(photoBytes(res), lobbyAvatar);
    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const fields = info.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field');
    const value = (name: string) => fields.find((f) => f.attrs.var === name)?.getChildText('value');
    assert.equal(value('muc#roominfo_avatarhash'), sha1(lobbyAvatar));
    assert.equal(value('{http://modules.prosody.im/mod_vcard_muc}avatar#sha1'), sha1(lobbyAvatar));
  });

  test('a join ends with the room presence and its photo hash, after the subject (spec §2.3 step 9)', async () => {
    const got = await join(LOBBY);
    const subjectAt = got.findIndex((el) => el.name === 'message' && el.getChild('subject'));
    assert.ok(subjectAt >= 0 && subjectAt === got.length - 2, 'the subject, then the room presence');
    assert.equal(photoOf(got.at(-1)!), sha1(lobbyAvatar));
    const alice = got.find((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/alice`)!;
    assert.equal(alice.getChild('x', VCARD_UPDATE), undefined, 'a channel shows no participant avatar');

    const plain = await join(GALLERY);
    assert.equal(photoOf(plain.at(-1)!), '', 'no avatar: an empty photo');
    assert.equal(photoBytes(await vcard(GALLERY)), null, 'and an empty vCard');
  });

  test('the network changing the avatar: a 104 notice, then the new hash; a large image is stored as a 200 px PNG', async () => {
    const large = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#33c' } }).jpeg().toBuffer();
    const put = await suite.gw.demo('PUT', '/demo/rooms/lobby/avatar', { data: large.toString('base64') });
    assert.equal(put.status, 200);
    const notice = await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === LOBBY && el.getChild('x', MUC_USER) !== undefined);
    assert.deepEqual(codes(notice), [104]);
    const presence = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === LOBBY);
    const stored = photoBytes(await vcard(LOBBY))!;
    assert.equal(photoOf(presence), sha1(stored), 'the hash names the bytes the vCard serves');
    const meta = await sharp(stored).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 200, 100]);

    assert.equal((await suite.gw.demo('DELETE', '/demo/rooms/lobby/avatar')).status, 204);
    assert.deepEqual(codes(await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === LOBBY && el.getChild('x', MUC_USER) !== undefined)), [104]);
    assert.equal(photoOf(await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === LOBBY)), '');
    assert.equal(photoBytes(await vcard(LOBBY)), null);
  });

  test('the user sets the avatar from XMPP: the network gets it, then 104 and the new hash; occupants have no vCard to set', async () => {
    const mine = await image(32, 32, '#3c3');
    await setAvatarFromXmpp('gallery', mine);
    assert.deepEqual(codes(await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === GALLERY && el.getChild('x', MUC_USER) !== undefined)), [104]);
    assert.equal(photoOf(await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GALLERY)), sha1(mine));
    assert.deepEqual(photoBytes(await vcard(GALLERY)), mine);

    const junk = await suite.romeo.iq(xml('iq', { type: 'set', to: GALLERY }, xml('vCard', { xmlns: VCARD },
      xml('PHOTO', {}, xml('BINVAL', {}, Buffer.from('not an image').toString('base64'))))));
    assert.deepEqual([junk.attrs.type, condition(junk)], ['error', 'bad-request']);
    const occupant = await suite.romeo.iq(xml('iq', { type: 'set', to: `${GALLERY}/dave` }, xml('vCard', { xmlns: VCARD })));
    assert.deepEqual([occupant.attrs.type, condition(occupant)], ['error', 'bad-request']);
    const occupantGet = await vcard(`${GALLERY}/erin`);
    assert.deepEqual([occupantGet.attrs.type, condition(occupantGet)], ['error', 'item-not-found'], 'erin has no avatar');
  });

  test('an avatar set on a room nobody joined yet: the room is filled for the hook, and the join shows it (spec §2.2)', async () => {
    const mine = await image(24, 24, '#cc3');
    await setAvatarFromXmpp('studio', mine);
    assert.deepEqual(photoBytes(await vcard(STUDIO)), mine);
    assert.equal(photoOf((await join(STUDIO)).at(-1)!), sha1(mine));
  });

  test('participants\' avatars: in their presences and vCards in a group, not in a channel; a change is a new presence (spec §3.7)', async () => {
    const got = await join(GALLERY); // joined already: a second join of the same resource greets again
    const presenceOf = (els: Element[], nick: string) => els.find((el) => el.name === 'presence' && el.attrs.from === `${GALLERY}/${nick}`)!;
    assert.equal(photoOf(presenceOf(got, 'dave')), sha1(daveAvatar));
    assert.equal(presenceOf(got, 'erin').getChild('x', VCARD_UPDATE), undefined, 'no avatar: no <x/> at all');
    assert.deepEqual(photoBytes(await vcard(`${GALLERY}/dave`)), daveAvatar);
    const lobby = (await vcard(`${LOBBY}/alice`));
    assert.deepEqual([lobby.attrs.type, condition(lobby)], ['error', 'item-not-found'], 'a channel shows no participant avatar');

    const erin = await image(24, 24, '#c3c');
    assert.equal((await suite.gw.demo('PUT', '/demo/rooms/gallery/participants/erin/avatar', { data: erin.toString('base64') })).status, 204);
    const changed = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${GALLERY}/erin`);
    assert.equal(photoOf(changed), sha1(erin));
    assert.deepEqual(photoBytes(await vcard(`${GALLERY}/erin`)), erin);
    assert.equal((await suite.gw.demo('DELETE', '/demo/rooms/gallery/participants/dave/avatar')).status, 204);
    const removed = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${GALLERY}/dave`);
    assert.equal(removed.getChild('x', VCARD_UPDATE), undefined);
    const gone = await vcard(`${GALLERY}/dave`);
    assert.deepEqual([gone.attrs.type, condition(gone)], ['error', 'item-not-found']);
  });

  test('the avatar survives a restart: the snapshot keeps its hash, Redis its bytes', async () => {
    const before = photoBytes(await vcard(GALLERY))!;
    await suite.restartGateway();
    const restarted = await join(GALLERY);
    assert.equal(photoOf(restarted.at(-1)!), sha1(before));
    assert.deepEqual(photoBytes(await vcard(GALLERY)), before);
  });

  test('another user cannot read this user\'s room avatar; a room that does not exist is item-not-found', async () => {
    const mallory = await suite.connect('mallory', 'x');
    try {
      const unregistered = await mallory.iq(xml('iq', { type: 'get', to: GALLERY }, xml('vCard', { xmlns: VCARD })));
      assert.deepEqual([unregistered.attrs.type, condition(unregistered)], ['error', 'registration-required']);
    } finally {
      await mallory.stop();
    }
    const missing = await vcard(`nowhere@${GW}`);
    assert.deepEqual([missing.attrs.type, condition(missing)], ['error', 'item-not-found']);
  });

  test('an image several rooms show is stored once in the partition, and goes when the last room stops showing it', async () => {
    const face = await image(30, 30, '#963');
    const room = (id: string) => ({ id, name: id, type: 'group', members: ['romeo@localhost'], participants: [{ nick: 'zed', avatar: face.toString('base64') }] });
    for (const id of ['twin1', 'twin2']) {
      assert.equal((await suite.gw.demo('POST', '/demo/rooms', room(id))).status, 201);
      await join(`${id}@${GW}`);
    }
    const redis = new Redis(suite.stack.redis.url);
    const keys = createKeys(suite.gw.prefix, 4);
    const partition = keys.partitionOf('romeo@localhost');
    const stored = async () => [
      (await redis.hget(keys.partitionAvatars(partition), sha1(face))) !== null,
      await redis.hget(keys.partitionAvatarRefs(partition), sha1(face)),
    ];
    try {
      assert.deepEqual(await stored(), [true, '2'], 'two rooms, one copy');
      for (const [id, left] of [['twin1', [true, '1']], ['twin2', [false, null]]] as const) {
        assert.equal((await suite.gw.demo('DELETE', `/demo/rooms/${id}/participants/zed/avatar`)).status, 204);
        await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${id}@${GW}/zed`);
        assert.deepEqual(await stored(), left);
      }
    } finally {
      redis.disconnect();
    }
  });

  test('unregistering releases every image the user\'s rooms showed', async () => {
    const redis = new Redis(suite.stack.redis.url);
    const keys = createKeys(suite.gw.prefix, 4);
    const partition = keys.partitionOf('romeo@localhost');
    try {
      assert.ok(await redis.hlen(keys.partitionAvatars(partition)) > 0, 'the rooms above still show some');
      const done = await suite.romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('remove'))));
      assert.equal(done.attrs.type, 'result');
      assert.deepEqual([await redis.hlen(keys.partitionAvatars(partition)), await redis.hlen(keys.partitionAvatarRefs(partition))], [0, 0]);
    } finally {
      redis.disconnect();
    }
  });
});
