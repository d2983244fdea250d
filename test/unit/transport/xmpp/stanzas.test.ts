import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presenceXml, writePresence } from '../../../../src/transport/xmpp/muc-presence.ts';
import { writeEcho, writeMessage, writeReplay } from '../../../../src/transport/xmpp/muc-message.ts';
import { errorReply, parseStanza } from '../../../../src/transport/xmpp/stanza.ts';
import { readJoin, isJoin } from '../../../../src/transport/xmpp/muc-join.ts';

const R = 'room-private@aim.shakespeare.lit';

test('writes the self-presence of a join with 110 and 100 and the full JID', () => {
  const el = writePresence({
    to: 'romeo@montague.lit/gajim', room: R, nick: 'romeo', id: 'j1', codes: [110, 100], occupantId: 'user',
    item: { affiliation: 'member', role: 'participant', jid: 'romeo@montague.lit/gajim' },
  });
  assert.equal(el.toString(),
    `<presence from="${R}/romeo" to="romeo@montague.lit/gajim" id="j1">`
    + '<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant" jid="romeo@montague.lit/gajim"/>'
    + '<status code="110"/><status code="100"/></x>'
    + '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="user"/></presence>');
});

test('writes a kick with its reason inside the item and status 307', () => {
  const el = writePresence({
    to: 'romeo@montague.lit/gajim', room: R, nick: 'nurse', type: 'unavailable', codes: [307], occupantId: 'o1',
    item: { affiliation: 'member', role: 'none', reason: 'noise' },
  });
  assert.equal(el.toString(),
    `<presence from="${R}/nurse" to="romeo@montague.lit/gajim" type="unavailable">`
    + '<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="none"><reason>noise</reason></item>'
    + '<status code="307"/></x><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o1"/></presence>');
});

test('writes an error presence with the muc payload and by', () => {
  const el = writePresence({
    to: 'romeo@montague.lit/gajim', room: R, nick: null, type: 'error', id: 'j1',
    error: { condition: 'jid-malformed', type: 'modify', by: R },
  });
  assert.equal(el.toString(),
    `<presence from="${R}" to="romeo@montague.lit/gajim" id="j1" type="error"><x xmlns="http://jabber.org/protocol/muc"/>`
    + `<error type="modify" by="${R}"><jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`);
});

test('writes the subject with its delay, stanza-id and occupant-id, and no body', () => {
  const el = writeMessage({
    room: R, nick: 'juliet', type: 'groupchat', subject: 'Balcony', stanzaId: 's1', occupantId: 'o2',
    delay: { stamp: '2026-11-24T10:00:00.000Z', from: R },
  }, 'romeo@montague.lit/gajim');
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="romeo@montague.lit/gajim" type="groupchat"><subject>Balcony</subject>`
    + `<delay xmlns="urn:xmpp:delay" stamp="2026-11-24T10:00:00.000Z" from="${R}"/>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="s1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o2"/></message>`);
});

test("echoes the client's payload and id, but replaces any stanza-id or occupant-id it tried to forge", () => {
  const client = `<message xmlns="jabber:client" to="${R}" from="romeo@montague.lit/gajim" id="c1" type="groupchat"><body>a &amp; b</body>`
    + `<origin-id xmlns="urn:xmpp:sid:0" id="c1"/><stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="forged"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="forged"/></message>`;
  const el = writeEcho({ room: R, nick: 'romeo', xml: client, stanzaId: 'X1', occupantId: 'user' }, 'romeo@montague.lit/movim');
  assert.equal(el.toString(),
    `<message to="romeo@montague.lit/movim" from="${R}/romeo" id="c1" type="groupchat"><body>a &amp; b</body>`
    + '<origin-id xmlns="urn:xmpp:sid:0" id="c1"/>'
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="X1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="user"/></message>`);
});

test('replays an archived message to the joiner with a delay from the room', () => {
  const archived = writeMessage({ room: R, nick: 'juliet', type: 'groupchat', body: 'hi', stanzaId: 's1', occupantId: 'o2' }).toString();
  const el = writeReplay({ to: 'romeo@montague.lit/gajim', room: R, xml: archived, stamp: '2026-11-25T11:00:00.000Z' });
  assert.equal(el.toString(),
    `<message from="${R}/juliet" type="groupchat" to="romeo@montague.lit/gajim"><body>hi</body>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="s1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o2"/>`
    + `<delay xmlns="urn:xmpp:delay" stamp="2026-11-25T11:00:00.000Z" from="${R}"/></message>`);
});

test('an error reply swaps the addresses, keeps the id and drops the payload', () => {
  const iq = parseStanza(`<iq from="romeo@montague.lit/gajim" to="${R}" id="q1" type="get"><query xmlns="x"/></iq>`);
  assert.equal(errorReply(iq, { condition: 'registration-required', type: 'auth' }).toString(),
    `<iq from="${R}" to="romeo@montague.lit/gajim" id="q1" type="error"><error type="auth">`
    + '<registration-required xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>');
});

test('reads the nickname and history request of a join, ignoring malformed values', () => {
  const p = parseStanza(`<presence to="${R}/romeo"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="5" maxchars="-1" seconds="60" since="1970-01-01T00:00:00Z"/></x></presence>`);
  assert.ok(isJoin(p));
  assert.deepEqual(readJoin(p), { nick: 'romeo', history: { maxstanzas: 5, seconds: 60, since: '1970-01-01T00:00:00.000Z' } });
  assert.ok(!isJoin(parseStanza(`<presence to="${R}/romeo" type="unavailable"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)));
  assert.ok(!isJoin(parseStanza(`<presence to="${R}/romeo"/>`)));
});

test('the fast presence writer gives the same XML as the element tree, escaping included', () => {
  const R = 'room-private@aim.shakespeare.lit';
  const TO = 'romeo@montague.lit/gajim';
  const shapes = [
    { to: TO, room: R, nick: 'juliet', item: { affiliation: 'owner' as const, role: 'moderator' as const }, occupantId: 'o1' },
    { to: TO, room: R, nick: 'o\'brien <&>', id: 'j1', item: { affiliation: 'member' as const, role: 'participant' as const, jid: 'a"b@c/d', nick: undefined }, codes: [110, 100], occupantId: 'x&y' },
    { to: TO, room: R, nick: 'nurse', type: 'unavailable' as const, item: { affiliation: 'none' as const, role: 'none' as const }, codes: [307] },
    { to: TO, room: R, nick: 'nurse', show: 'away' as const, status: 'brb <3', item: { affiliation: 'none' as const, role: 'visitor' as const } },
    { to: TO, room: R, nick: null },
    // with more than an item: the element tree writes it
    { to: TO, room: R, nick: 'nurse', type: 'unavailable' as const, item: { affiliation: 'outcast' as const, role: 'none' as const, reason: 'spam' }, codes: [301] },
    { to: TO, room: R, nick: 'nurse', item: { affiliation: 'member' as const, role: 'participant' as const }, hats: [{ uri: 'urn:h', title: 'Hat' }] },
    // the room's own presence with its avatar's hash, and without an avatar (spec §3.6)
    { to: TO, room: R, nick: null, photo: 'a1b2' },
    { to: TO, room: R, nick: null, photo: '' },
  ];
  for (const p of shapes) assert.equal(presenceXml(p as Parameters<typeof presenceXml>[0]), writePresence(p as Parameters<typeof writePresence>[0]).toString());
  assert.equal(
    presenceXml({ to: TO, room: R, nick: 'a<b', item: { affiliation: 'member', role: 'participant' }, codes: [110] }),
    `<presence from="${R}/a&lt;b" to="${TO}"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant"/><status code="110"/></x></presence>`,
  );
  assert.equal(presenceXml({ to: TO, room: R, nick: null, photo: 'a1b2' }),
    `<presence from="${R}" to="${TO}"><x xmlns="vcard-temp:x:update"><photo>a1b2</photo></x></presence>`);
  assert.equal(presenceXml({ to: TO, room: R, nick: null, photo: '' }),
    `<presence from="${R}" to="${TO}"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`);
});
