// Rooms a plugin bookmarks (LegacyMUC.addToBookmarks, spec §3.9) on a server that grants the
// gateway IQ privilege (XEP-0356, Prosody's mod_privilege): the rooms appear in the user's own
// XEP-0402 bookmarks, a new one with an invitation too (ALWAYS_INVITE_WHEN_ADDING_BOOKMARKS, on by
// default as in Slidge); a bookmark the user already has, or removed, stays so.
// (On a server without the privilege the user is invited instead: invitations.test.ts.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { register, useGatewaySuite } from '../support/suite.ts';
import { xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const GW = 'gw.localhost';
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'alice' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }], members: ['romeo@localhost'] },
    { id: 'vault', name: 'Vault', type: 'group', participants: [{ nick: 'carol' }], members: ['juliet@localhost'] },
  ],
};
const isInvitation = (el: Element) => el.name === 'message' && el.getChild('x', 'jabber:x:conference') !== undefined;

/** The user's bookmarks, as their client reads them from its own PEP: room JID → autojoin and nick. */
async function bookmarksOf(client: TestClient): Promise<Record<string, { autojoin: string | undefined; nick: string | null }>> {
  const res = await client.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: BOOKMARKS }))));
  if (res.attrs.type === 'error') return {}; // no node yet
  const items = res.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
  return Object.fromEntries(items.map((item) => {
    const c = item.getChild('conference', BOOKMARKS)!;
    return [String(item.attrs.id), { autojoin: c.attrs.autojoin, nick: c.getChildText('nick') }];
  }));
}

describe('bookmarks through IQ privilege', () => {
  const suite = useGatewaySuite({
    clients: { romeo: 'gajim', juliet: 'dino' },
    stack: { prosody: { privilegedComponent: true } },
    gateway: { world: WORLD, demoOptions: { inviteOnLogin: true } },
  });

  /** Until the user's bookmarks satisfy `ok` (the gateway publishes them after the login's answers). */
  const until = async (client: TestClient, ok: (b: Awaited<ReturnType<typeof bookmarksOf>>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const b = await bookmarksOf(client);
      if (ok(b)) return b;
      await new Promise((r) => setTimeout(r, 50));
    }
    return bookmarksOf(client);
  };

  test('registering logs the user in: each of their rooms is in their bookmarks, autojoin, with their nick, and invited to as well', async () => {
    await register(suite.romeo, 'romeo');
    const bookmarks = await until(suite.romeo, (b) => Object.keys(b).length === 2);
    assert.deepEqual(bookmarks, {
      [`lobby@${GW}`]: { autojoin: 'true', nick: 'romeo' },
      [`den@${GW}`]: { autojoin: 'true', nick: 'romeo' },
    });
    // for clients that ignore the bookmarks' autojoin (Slidge's ALWAYS_INVITE_WHEN_ADDING_BOOKMARKS)
    const invitations = await suite.romeo.collect(2, isInvitation);
    assert.deepEqual(invitations.map((el) => el.getChild('x', 'jabber:x:conference')!.attrs.jid).sort(), [`den@${GW}`, `lobby@${GW}`]);
  });

  test('a bookmark the user already had is kept as it is', async () => {
    // juliet bookmarked the lobby herself, without autojoin and under another nick (her client
    // publishes as XEP-0402 says, with the node's options)
    const option = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));
    const mine = await suite.juliet.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB },
      xml('publish', { node: BOOKMARKS }, xml('item', { id: `lobby@${GW}` },
        xml('conference', { xmlns: BOOKMARKS, autojoin: 'false', name: 'My lobby' }, xml('nick', {}, 'jules')))),
      xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        option('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options'), option('pubsub#persist_items', '1'),
        option('pubsub#max_items', 'max'), option('pubsub#send_last_published_item', 'never'), option('pubsub#access_model', 'whitelist'))))));
    assert.equal(mine.attrs.type, 'result', mine.toString());
    await register(suite.juliet, 'juliet');
    const bookmarks = await until(suite.juliet, (b) => Object.keys(b).length === 2);
    assert.deepEqual(bookmarks, {
      [`lobby@${GW}`]: { autojoin: 'false', nick: 'jules' },
      [`vault@${GW}`]: { autojoin: 'true', nick: 'juliet' },
    });
    const [invitation] = await suite.juliet.collect(1, isInvitation);
    assert.equal(invitation!.getChild('x', 'jabber:x:conference')!.attrs.jid, `vault@${GW}`, 'the new bookmark only');
    assert.deepEqual(suite.juliet.unconsumed().filter(isInvitation), []);
  });

  test('a bookmark the user removed is not added again at the next login', async () => {
    const retract = await suite.romeo.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB },
      xml('retract', { node: BOOKMARKS, notify: 'true' }, xml('item', { id: `den@${GW}` })))));
    assert.equal(retract.attrs.type, 'result', retract.toString());
    await suite.restartGateway();
    // a room's disco is answered once the session is logged in again, and the rooms' events of
    // that login were queued by then: a second request, queued after them, is answered after them
    const disco = () => suite.romeo.iq(xml('iq', { type: 'get', to: `lobby@${GW}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal((await disco()).attrs.type, 'result');
    assert.equal((await disco()).attrs.type, 'result');
    assert.deepEqual(Object.keys(await bookmarksOf(suite.romeo)), [`lobby@${GW}`]);
    assert.deepEqual(suite.romeo.unconsumed().filter(isInvitation), []);
  });

  test('with alwaysInviteWhenAddingBookmarks off, a new bookmark brings no invitation', async () => {
    await suite.restartGateway({ rooms: { alwaysInviteWhenAddingBookmarks: false } });
    // the room the user removed comes back as a new group of the network: a new room, a new bookmark
    assert.equal((await suite.gw.demo('POST', '/demo/rooms', { id: 'attic', name: 'Attic', type: 'group', members: ['romeo@localhost'] })).status, 201);
    const bookmarks = await until(suite.romeo, (b) => `attic@${GW}` in b);
    assert.deepEqual(bookmarks[`attic@${GW}`], { autojoin: 'true', nick: 'romeo' });
    const disco = () => suite.romeo.iq(xml('iq', { type: 'get', to: `attic@${GW}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal((await disco()).attrs.type, 'result');
    assert.deepEqual(suite.romeo.unconsumed().filter(isInvitation), []);
  });
});
