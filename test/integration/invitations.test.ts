// Rooms a plugin adds to the user's bookmarks (LegacyMUC.addToBookmarks, spec §3.8, §3.9): with
// no privileged access to the user's PEP, the user gets a XEP-0249 invitation from the gateway,
// once per room, kept across a restart; a room the user is not a member of invites nobody.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type TestStack } from '../support/stack.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectClient, xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const CONFERENCE = 'jabber:x:conference';
const REGISTER = 'jabber:iq:register';
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
  let stack: TestStack;
  let gw: TestGateway;
  let romeo: TestClient;

  before(async () => {
    stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }] });
    gw = await startTestGateway(stack, { world: WORLD, demoOptions: { inviteOnLogin: true } });
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo', resource: 'gajim' });
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await stack?.stop();
  });

  test('registering logs the user in: one invitation per room they are a member of, from the gateway', async () => {
    const done = await romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('nickname', {}, 'romeo'))));
    assert.equal(done.attrs.type, 'result');
    const invitations = await romeo.collect(2, isInvitation);
    for (const el of invitations) {
      assert.equal(el.attrs.from, GW);
      assert.equal(el.attrs.to, 'romeo@localhost');
      assert.equal(el.attrs.type, 'normal');
      assert.equal(el.getChild('x', CONFERENCE)!.attrs.reason, 'This group could not be added automatically for you');
    }
    assert.deepEqual(invitations.map((el) => el.getChild('x', CONFERENCE)!.attrs.jid).sort(), [`den@${GW}`, `lobby@${GW}`]);
  });

  test('after a restart the user logs in again and is not invited twice', async () => {
    const prefix = gw.prefix;
    await gw.stop();
    gw = await startTestGateway(stack, { world: WORLD, demoOptions: { inviteOnLogin: true }, prefix });
    // a room's disco is answered once the session is logged in again, and the rooms' events of
    // that login were queued by then: a second request, queued after them, is answered after them
    const disco = () => romeo.iq(xml('iq', { type: 'get', to: `lobby@${GW}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal((await disco()).attrs.type, 'result');
    assert.equal((await disco()).attrs.type, 'result');
    assert.deepEqual(romeo.unconsumed().filter(isInvitation), []);
  });
});
