// Bookmarks through XEP-0356 IQ privilege (spec §3.9): the gateway's privileged IQs, and the
// answers of the user's server as Prosody's mod_privilege sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bookmarkRequestId, isBookmarkAnswerId, readBookmarkAnswer, writeBookmarkRequest } from '../../../../src/transport/xmpp/bookmarks.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';

const R = 'dev\\20team@gw.localhost';
const request = (step: 'get' | 'set') =>
  parseStanza(writeBookmarkRequest({ gateway: 'gw.localhost', user: 'romeo@localhost', room: R, step, nick: 'ro<meo', autoJoin: false }));

test('the privileged IQ wraps a pubsub IQ from the user to the user: a get of the room\'s item, or its publish', () => {
  const get = request('get');
  assert.deepEqual([get.attrs.type, get.attrs.from, get.attrs.to, get.attrs.id], ['get', 'gw.localhost', 'romeo@localhost', 'roomgate-bookmark-get:dev\\20team']);
  const inner = get.getChild('privileged_iq', 'urn:xmpp:privilege:2')!.getChild('iq')!;
  assert.deepEqual([inner.attrs.xmlns, inner.attrs.type, inner.attrs.from, inner.attrs.to], ['jabber:client', 'get', 'romeo@localhost', 'romeo@localhost']);
  assert.equal(inner.getChild('pubsub')!.getChild('items')!.getChild('item')!.attrs.id, R);

  const set = request('set');
  const pubsub = set.getChild('privileged_iq')!.getChild('iq')!.getChild('pubsub')!;
  const conference = pubsub.getChild('publish')!.getChild('item')!.getChild('conference', 'urn:xmpp:bookmarks:1')!;
  assert.deepEqual([conference.attrs.autojoin, conference.getChildText('nick'), conference.attrs.name], ['false', 'ro<meo', undefined]);
  const fields = Object.fromEntries(pubsub.getChild('publish-options')!.getChild('x')!.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
  assert.deepEqual(fields, {
    FORM_TYPE: 'http://jabber.org/protocol/pubsub#publish-options', 'pubsub#persist_items': '1', 'pubsub#max_items': 'max',
    'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist',
  });
});

test('reads the answers: found, missing, published, refused (an error, or a wrapped error other than item-not-found)', () => {
  const forwarded = (id: string, inner: string) => parseStanza(`<iq from="romeo@localhost" type="result" id="${id}" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:2"><forwarded xmlns="urn:xmpp:forward:0">${inner}</forwarded></privilege></iq>`);
  const getId = bookmarkRequestId('get', R);
  const setId = bookmarkRequestId('set', R);
  const local = 'dev\\20team';
  assert.deepEqual(readBookmarkAnswer(forwarded(getId, `<iq type="result" xmlns="jabber:client"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1"><item id="${R}"><conference xmlns="urn:xmpp:bookmarks:1"/></item></items></pubsub></iq>`)),
    { step: 'get', local, outcome: 'found' });
  assert.deepEqual(readBookmarkAnswer(forwarded(getId, '<iq type="error" xmlns="jabber:client"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>')),
    { step: 'get', local, outcome: 'missing' });
  assert.deepEqual(readBookmarkAnswer(forwarded(setId, '<iq type="result" xmlns="jabber:client"/>')), { step: 'set', local, outcome: 'published' });
  assert.deepEqual(readBookmarkAnswer(forwarded(setId, '<iq type="error" xmlns="jabber:client"><error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>')),
    { step: 'set', local, outcome: 'refused' });
  assert.deepEqual(readBookmarkAnswer(parseStanza(`<iq from="romeo@localhost" type="error" id="${getId}"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)),
    { step: 'get', local, outcome: 'refused' }, 'no mod_privilege, or no privilege');
  assert.equal(readBookmarkAnswer(parseStanza('<iq type="result" id="other"/>')), null);
  assert.equal(readBookmarkAnswer(parseStanza('<iq type="result" id="roomgate-bookmark-put:x"/>')), null);
  assert.ok(isBookmarkAnswerId(getId) && !isBookmarkAnswerId('roomgate-invitation:x'));
});
