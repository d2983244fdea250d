// Rooms a plugin adds to the user's bookmarks (LegacyMUC.addToBookmarks, spec §3.8, §3.9): with
// no privileged access to the user's PEP, the user gets a XEP-0249 invitation from the gateway,
// once per room, kept across a restart; a room the user is not a member of invites nobody.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser } from '../support/gateway.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/actors/keys.ts';
import { Mailboxes } from '../../src/transport/mailbox.ts';

const CONFERENCE = 'jabber:x:conference';
const GW = 'gw.localhost';
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'alice' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }], members: ['romeo@localhost'] },
    { id: 'vault', name: 'Vault', type: 'group', participants: [{ nick: 'carol' }], members: ['juliet@localhost'] },
  ],
};
const isInvitation = (el: Element) => el.name === 'message' && el.getChild('x', CONFERENCE) !== undefined;

describe('invitations to the rooms a plugin bookmarks', () => {
  const suite = useGatewaySuite({
    clients: { romeo: 'gajim' },
    accounts: ['juliet'],
    // no offline storage (Prosody loads it unless told not to): a message to a user who is not
    // connected is bounced, as some servers do
    stack: { prosody: { disabledModules: ['offline'] } },
    gateway: { world: WORLD, demoOptions: { inviteOnLogin: true } },
  });

  test('registering logs the user in: one invitation per room they are a member of, from the gateway', async () => {
    const done = await registerUser(suite.romeo, 'romeo');
    assert.equal(done.attrs.type, 'result');
    const invitations = await suite.romeo.collect(2, isInvitation);
    for (const el of invitations) {
      assert.equal(el.attrs.from, GW);
      assert.equal(el.attrs.to, 'romeo@localhost');
      assert.equal(el.attrs.type, 'normal');
      assert.equal(el.getChild('x', CONFERENCE)!.attrs.reason, 'This group could not be added automatically for you');
    }
    assert.deepEqual(invitations.map((el) => el.getChild('x', CONFERENCE)!.attrs.jid).sort(), [`den@${GW}`, `lobby@${GW}`]);
  });

  test('after a restart the user logs in again and is not invited twice', async () => {
    await suite.restartGateway();
    // a room's disco is answered once the session is logged in again, and the rooms' events of
    // that login were queued by then: a second request, queued after them, is answered after them
    const disco = () => suite.romeo.iq(xml('iq', { type: 'get', to: `lobby@${GW}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal((await disco()).attrs.type, 'result');
    assert.equal((await disco()).attrs.type, 'result');
    assert.deepEqual(suite.romeo.unconsumed().filter(isInvitation), []);
  });

  test('an invitation the user\'s server bounces (offline, no offline storage) is sent again at the next login', async () => {
    // juliet is registered from outside (as `roomgate users add` does) while offline: her
    // server has no offline storage here and bounces the invitation
    const redis = new Redis(suite.stack.redis.url);
    const keys = createKeys(suite.gw.prefix, 4);
    const snapshot = async () => JSON.parse((await redis.get(keys.roomSnapshot('juliet@localhost', 'vault'))) ?? '{}').context?.invited;
    try {
      await suite.gw.gateway.worker!.users.put({ jid: 'juliet@localhost', registration: { nickname: 'juliet' } });
      const mailboxes = new Mailboxes(keys, redis);
      await mailboxes.add({ kind: 'control', user: 'juliet@localhost', action: 'login' });
      await mailboxes.close();
      // invited, then the bounce undoes it
      for (let i = 0; i < 100 && (await snapshot()) !== false; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await snapshot(), false, 'the bounce was taken');
    } finally {
      redis.disconnect();
    }
    const juliet = await suite.connect('juliet', 'dino');
    try {
      await suite.restartGateway();
      const invitations = await juliet.collect(2, isInvitation);
      assert.deepEqual(invitations.map((el) => el.getChild('x', CONFERENCE)!.attrs.jid).sort(), [`lobby@${GW}`, `vault@${GW}`]);
    } finally {
      await juliet.stop();
    }
  });
});
