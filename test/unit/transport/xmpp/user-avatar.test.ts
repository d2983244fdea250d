// The user's own avatar read through XEP-0356 IQ privilege (spec §3.7): the gateway's IQs for
// the XEP-0084 metadata and data on the user's PEP, and the answers as mod_privilege sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';
import { isUserAvatarAnswerId, readUserAvatarAnswer, writeUserAvatarRequest } from '../../../../src/transport/xmpp/user-avatar.ts';

const ASKER = { to: 'romeo@localhost/gajim', from: 'den@gw.localhost/romeo', id: 'v"1' };
const forwarded = (id: string, inner: string) => parseStanza(`<iq from="romeo@localhost" type="result" id="${id}" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:2"><forwarded xmlns="urn:xmpp:forward:0">${inner}</forwarded></privilege></iq>`);
const pubsub = (items: string) => `<iq type="result" xmlns="jabber:client"><pubsub xmlns="http://jabber.org/protocol/pubsub">${items}</pubsub></iq>`;
const idOf = (xml: string) => String(parseStanza(xml).attrs.id);

test('the privileged IQs: the newest metadata item, or the data item the hash names, from the user to the user', () => {
  const meta = parseStanza(writeUserAvatarRequest('gw.localhost', 'romeo@localhost', { step: 'metadata' }));
  assert.deepEqual([meta.attrs.type, meta.attrs.to, meta.attrs.id], ['get', 'romeo@localhost', 'roomgate-avatar-metadata']);
  const items = meta.getChild('privileged_iq', 'urn:xmpp:privilege:2')!.getChild('iq')!.getChild('pubsub')!.getChild('items')!;
  assert.deepEqual([items.attrs.node, items.attrs.max_items], ['urn:xmpp:avatar:metadata', '1']);
  const data = parseStanza(writeUserAvatarRequest('gw.localhost', 'romeo@localhost', { step: 'data', hash: 'abc', mime: 'image/png', asker: ASKER }));
  const item = data.getChild('privileged_iq')!.getChild('iq')!.getChild('pubsub')!.getChild('items')!;
  assert.deepEqual([item.attrs.node, item.getChild('item')!.attrs.id], ['urn:xmpp:avatar:data', 'abc']);
});

test('reads the metadata: the hash and type of the stored image; none, empty or refused', () => {
  const id = 'roomgate-avatar-metadata';
  assert.deepEqual(readUserAvatarAnswer(forwarded(id, pubsub('<items node="urn:xmpp:avatar:metadata"><item id="h1"><metadata xmlns="urn:xmpp:avatar:metadata">'
    + '<info id="h0" type="image/gif" url="https://example.org/a.gif" bytes="1"/><info id="h1" type="image/jpeg" bytes="2"/></metadata></item></items>'))),
  { step: 'metadata', avatar: { hash: 'h1', mime: 'image/jpeg' } }, 'the info with a url is elsewhere: the other one');
  assert.deepEqual(readUserAvatarAnswer(forwarded(id, pubsub('<items node="urn:xmpp:avatar:metadata"><item id="x"><metadata xmlns="urn:xmpp:avatar:metadata"/></item></items>'))),
    { step: 'metadata', avatar: null }, 'empty metadata: avatar turned off');
  assert.deepEqual(readUserAvatarAnswer(forwarded(id, '<iq type="error" xmlns="jabber:client"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>')),
    { step: 'metadata', avatar: null }, 'no node');
  assert.deepEqual(readUserAvatarAnswer(parseStanza(`<iq from="romeo@localhost" type="error" id="${id}"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)),
    { step: 'metadata', avatar: 'refused' }, 'no privilege');
});

test('a vCard\'s asker travels in the ids, through both steps, and comes back whatever it holds', () => {
  const metaId = idOf(writeUserAvatarRequest('gw.localhost', 'romeo@localhost', { step: 'metadata', asker: ASKER }));
  assert.deepEqual(readUserAvatarAnswer(forwarded(metaId, pubsub('<items><item id="h1"><metadata xmlns="urn:xmpp:avatar:metadata"><info id="h1" type="image/png"/></metadata></item></items>'))),
    { step: 'metadata', avatar: { hash: 'h1', mime: 'image/png' }, asker: ASKER });
  const dataId = idOf(writeUserAvatarRequest('gw.localhost', 'romeo@localhost', { step: 'data', hash: 'h1', mime: 'image/png', asker: ASKER }));
  assert.deepEqual(readUserAvatarAnswer(forwarded(dataId, pubsub('<items><item id="h1"><data xmlns="urn:xmpp:avatar:data">iVBO\nRw0K</data></item></items>'))),
    { step: 'data', data: 'iVBORw0K', mime: 'image/png', asker: ASKER });
  assert.deepEqual(readUserAvatarAnswer(forwarded(dataId, '<iq type="error" xmlns="jabber:client"/>')), { step: 'data', data: null, mime: 'image/png', asker: ASKER });
});

test('other ids, and ids it did not write, are not answers', () => {
  assert.equal(readUserAvatarAnswer(parseStanza('<iq type="result" id="roomgate-bookmark-get:x"/>')), null);
  assert.equal(readUserAvatarAnswer(parseStanza('<iq type="result" id="roomgate-avatar-data"/>')), null, 'data without its asker');
  assert.equal(readUserAvatarAnswer(parseStanza('<iq type="result" id="roomgate-avatar-metadata:not-json"/>')), null);
  assert.equal(readUserAvatarAnswer(parseStanza('<iq type="get" id="roomgate-avatar-metadata"/>')), null, 'a request, not an answer');
  assert.ok(isUserAvatarAnswerId('roomgate-avatar-metadata') && !isUserAvatarAnswerId('roomgate-bookmark-get:x'));
});
