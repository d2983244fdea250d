// The message XEPs of spec §3.14–§3.22 on the wire: what a user's groupchat message asks for,
// and the participants' messages the room writes, compared whole with literal XML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoXml, messageXml, readGroupchat, writeEcho, writeMessage } from '../../../../src/transport/xmpp/muc-message.ts';
import { readModeration } from '../../../../src/transport/xmpp/message-moderate.ts';
import { writeRoomInfo } from '../../../../src/transport/xmpp/disco.ts';
import { XmppError } from '../../../../src/transport/xmpp/errors.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';
import { MucType } from '../../../../src/legacy/types.ts';

const R = 'room-private@aim.shakespeare.lit';
const TO = 'romeo@montague.lit/gajim';
const SID = `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="s1"/>`;
const OID = '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="o2"/>';
const base = { room: R, nick: 'juliet', type: 'groupchat' as const, stanzaId: 's1', occupantId: 'o2' };

test("writes a participant's text with active, markable and its delay from the gateway", () => {
  const el = writeMessage({
    ...base, id: 'm1', body: 'Wherefore art thou?', chatState: 'active', markable: true,
    delay: { stamp: '2026-11-25T11:00:00.000Z', from: 'aim.shakespeare.lit' },
  }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" id="m1" type="groupchat"><body>Wherefore art thou?</body>`
    + '<active xmlns="http://jabber.org/protocol/chatstates"/><markable xmlns="urn:xmpp:chat-markers:0"/>'
    + `<delay xmlns="urn:xmpp:delay" stamp="2026-11-25T11:00:00.000Z" from="aim.shakespeare.lit"/>${SID}${OID}</message>`);
});

test('writes a correction with <replace> of the corrected id (XEP-0308 §3)', () => {
  const el = writeMessage({ ...base, body: 'But soft, what light through yonder window breaks?', replace: 'bad1' }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><body>But soft, what light through yonder window breaks?</body>`
    + `<replace xmlns="urn:xmpp:message-correct:0" id="bad1"/>${SID}${OID}</message>`);
});

test('writes a retraction with its fallback body, <retract>, <replace> and the store hint (spec §1.4)', () => {
  const el = writeMessage({
    ...base, body: '/me retracted the message origin-id-1', retract: 'origin-id-1', replace: 'origin-id-1', chatState: 'active', hint: 'store',
  }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><body>/me retracted the message origin-id-1</body>`
    + '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>'
    + '<retract xmlns="urn:xmpp:message-retract:1" id="origin-id-1"/><replace xmlns="urn:xmpp:message-correct:0" id="origin-id-1"/>'
    + `<active xmlns="http://jabber.org/protocol/chatstates"/><store xmlns="urn:xmpp:hints"/>${SID}${OID}</message>`);
});

test('writes reactions with the store hint (XEP-0444 §3)', () => {
  const el = writeMessage({ ...base, reactions: { id: '744f6e18-a57a-11e9-a656-4889e7820c76', emojis: ['👋', '🐢'] }, hint: 'store' }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat">`
    + '<reactions xmlns="urn:xmpp:reactions:0" id="744f6e18-a57a-11e9-a656-4889e7820c76"><reaction>👋</reaction><reaction>🐢</reaction></reactions>'
    + `<store xmlns="urn:xmpp:hints"/>${SID}${OID}</message>`);
});

test('writes a reply to the author\'s occupant JID, with the quote as a fallback range (XEP-0461 §3, XEP-0428)', () => {
  const quote = '> romeo:\n> We should bake a cake\n';
  const el = writeMessage({ ...base, body: `${quote}Great idea!`, reply: { id: 'message-id1', nick: 'romeo', quoteLength: [...quote].length } }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><body>&gt; romeo:\n&gt; We should bake a cake\nGreat idea!</body>`
    + `<reply xmlns="urn:xmpp:reply:0" to="${R}/romeo" id="message-id1"/>`
    + `<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="33"/></fallback>${SID}${OID}</message>`);
});

test('writes an attachment as its URL and an OOB link (XEP-0066 §3)', () => {
  const url = 'http://www.jabber.org/images/psa-license.jpg';
  const el = writeMessage({ ...base, body: url, oob: url }, TO);
  assert.equal(el.toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><body>${url}</body>`
    + `<x xmlns="jabber:x:oob"><url>${url}</url></x>${SID}${OID}</message>`);
});

test('writes a moderation notice from the bare room JID naming the moderator (XEP-0425 v0.2, spec §3.16)', () => {
  const el = writeMessage({ ...base, nick: null, moderated: { id: 'stanza-id-1', by: 'juliet', reason: 'This message contains inappropriate content' } }, TO);
  assert.equal(el.toString(),
    `<message from="${R}" to="${TO}" type="groupchat"><apply-to xmlns="urn:xmpp:fasten:0" id="stanza-id-1">`
    + `<moderated xmlns="urn:xmpp:message-moderate:0" by="${R}/juliet"><retract xmlns="urn:xmpp:message-retract:0"/>`
    + `<reason>This message contains inappropriate content</reason></moderated></apply-to>${SID}${OID}</message>`);
  const byRoom = writeMessage({ ...base, nick: null, occupantId: 'room', moderated: { id: 'stanza-id-1', by: null } }, TO);
  assert.equal(byRoom.toString(),
    `<message from="${R}" to="${TO}" type="groupchat"><apply-to xmlns="urn:xmpp:fasten:0" id="stanza-id-1">`
    + `<moderated xmlns="urn:xmpp:message-moderate:0" by="${R}"><retract xmlns="urn:xmpp:message-retract:0"/></moderated></apply-to>`
    + `${SID}<occupant-id xmlns="urn:xmpp:occupant-id:0" id="room"/></message>`);
});

test('writes a chat state with no-store and no stanza-id, and a displayed marker (XEP-0085, XEP-0333)', () => {
  const { stanzaId: _s, ...unstored } = base;
  assert.equal(writeMessage({ ...unstored, chatState: 'composing', hint: 'no-store' }, TO).toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><composing xmlns="http://jabber.org/protocol/chatstates"/>`
    + `<no-store xmlns="urn:xmpp:hints"/>${OID}</message>`);
  assert.equal(writeMessage({ ...unstored, displayed: 'message-1' }, TO).toString(),
    `<message from="${R}/juliet" to="${TO}" type="groupchat"><displayed xmlns="urn:xmpp:chat-markers:0" id="message-1"/>${OID}</message>`);
});

test('writes a private message from an occupant with the muc#user <x/> (XEP-0045 §7.5), and a gateway notice', () => {
  const { stanzaId: _s, ...pm } = base;
  assert.equal(writeMessage({ ...pm, type: 'chat', id: 'p1', body: 'I\'ll be brief.', private: true }, TO).toString(),
    `<message from="${R}/juliet" to="${TO}" id="p1" type="chat"><body>I'll be brief.</body>`
    + `<x xmlns="http://jabber.org/protocol/muc#user"/>${OID}</message>`);
  assert.equal(writeMessage({ room: 'aim.shakespeare.lit', nick: null, type: 'chat', body: 'Maximum 1 emoji/message' }, TO).toString(),
    `<message from="aim.shakespeare.lit" to="${TO}" type="chat"><body>Maximum 1 emoji/message</body></message>`);
});

test('the archived form of an echo leaves out chat states, marker requests and hints (spec §3.2)', () => {
  const client = `<message xmlns="jabber:client" to="${R}" from="${TO}" id="c1" type="groupchat"><body>hi</body>`
    + '<active xmlns="http://jabber.org/protocol/chatstates"/><markable xmlns="urn:xmpp:chat-markers:0"/><store xmlns="urn:xmpp:hints"/></message>';
  const echo = { room: R, nick: 'romeo', xml: client, stanzaId: 'X1', occupantId: 'user' };
  assert.equal(writeEcho(echo).toString(),
    `<message from="${R}/romeo" id="c1" type="groupchat"><body>hi</body>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="X1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="user"/></message>`);
  assert.equal(writeEcho(echo, TO).toString(),
    `<message to="${TO}" from="${R}/romeo" id="c1" type="groupchat"><body>hi</body>`
    + '<active xmlns="http://jabber.org/protocol/chatstates"/><markable xmlns="urn:xmpp:chat-markers:0"/><store xmlns="urn:xmpp:hints"/>'
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="X1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="user"/></message>`);
});

test('echoXml writes the same XML as writeEcho, for every resource and archived (forged ids dropped, text escaped)', () => {
  const shapes = [
    '<body>hi</body>',
    '<body>a &lt; b &amp;&amp; c &gt; d "q" \'a\'</body><active xmlns="http://jabber.org/protocol/chatstates"/>',
    `<body>x</body><stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="forged"/><stanza-id xmlns="urn:xmpp:sid:0" by="other.lit" id="kept"/>`
      + '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="forged"/><markable xmlns="urn:xmpp:chat-markers:0"/>'
      + '<received xmlns="urn:xmpp:chat-markers:0" id="r1"/><store xmlns="urn:xmpp:hints"/>',
    '<body>with <b>nested</b> text</body><x xmlns="jabber:x:oob"><url>http://x/?a=1&amp;b=2</url></x>',
  ];
  for (const inner of shapes) {
    const client = `<message xmlns="jabber:component:accept" to="${R}" from="${TO}" id="c&amp;1" type="groupchat">${inner}tail &amp; text</message>`;
    const echo = { room: R, nick: 'rom"eo', xml: client, stanzaId: 'X1', occupantId: 'user' };
    assert.equal(echoXml(echo, TO), writeEcho(echo, TO).toString());
    assert.equal(echoXml(echo, `${TO}2`), writeEcho(echo, `${TO}2`).toString());
    assert.equal(echoXml(echo), writeEcho(echo).toString());
    assert.equal(echoXml({ ...echo, room: 'other@gw' }, TO), writeEcho({ ...echo, room: 'other@gw' }, TO).toString());
  }
});

const read = (inner: string) => {
  const text = `<message to="${R}" from="${TO}" id="m1" type="groupchat">${inner}</message>`;
  return { text, read: readGroupchat(parseStanza(text)) };
};

test('reads text, a correction, and an empty correction as a retraction (XEP-0308, spec §3.14)', () => {
  const text = read('<body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/>');
  assert.deepEqual(text.read, { type: 'xmpp.message', body: 'hi', xml: text.text });
  const fix = read('<body>But soft</body><replace id="bad1" xmlns="urn:xmpp:message-correct:0"/>');
  assert.deepEqual(fix.read, { type: 'xmpp.correction', replaceId: 'bad1', body: 'But soft', xml: fix.text });
  const empty = read('<body> </body><replace id="bad1" xmlns="urn:xmpp:message-correct:0"/>');
  assert.deepEqual(empty.read, { type: 'xmpp.retraction', targetId: 'bad1', xml: empty.text });
});

test('reads a retraction, new or fastened, never as text (XEP-0424 §4, spec §3.15)', () => {
  const now = read('<retract id="origin-id-1" xmlns="urn:xmpp:message-retract:1"/>'
    + '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/><body>This person attempted to retract a previous message</body>');
  assert.deepEqual(now.read, { type: 'xmpp.retraction', targetId: 'origin-id-1', xml: now.text });
  const old = read('<apply-to xmlns="urn:xmpp:fasten:0" id="origin-id-1"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>');
  assert.deepEqual(old.read, { type: 'xmpp.retraction', targetId: 'origin-id-1', xml: old.text });
});

test('reads reactions without the emoji variation selector, once each (XEP-0444, spec §3.17)', () => {
  const r = read('<reactions id="744f6e18" xmlns="urn:xmpp:reactions:0"><reaction>❤\uFE0F</reaction><reaction>🐢</reaction><reaction>❤</reaction></reactions>');
  assert.deepEqual(r.read, { type: 'xmpp.reaction', targetId: '744f6e18', emojis: ['❤', '🐢'], xml: r.text });
});

test('reads a reply: the quote comes apart from the text, counted in code points (XEP-0461 §3, spec §3.18)', () => {
  const r = read('<body>&gt; Anna 🎂 wrote:\n&gt; We should bake a cake\nGreat idea!</body>'
    + `<reply to="${R}/anna" id="message-id1" xmlns="urn:xmpp:reply:0"/>`
    + '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="40"/></fallback>');
  assert.deepEqual(r.read, {
    type: 'xmpp.message', body: 'Great idea!', xml: r.text,
    replyTo: { id: 'message-id1', nick: 'anna', fallbackText: '> Anna 🎂 wrote:\n> We should bake a cake\n' },
  });
});

test('reads an attachment, with or without a body (XEP-0066, spec §3.19)', () => {
  const url = 'http://www.jabber.org/images/psa-license.jpg';
  const both = read(`<body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x>`);
  assert.deepEqual(both.read, { type: 'xmpp.message', body: url, oob: url, xml: both.text });
  const bare = read(`<x xmlns="jabber:x:oob"><url>${url}</url></x>`);
  assert.deepEqual(bare.read, { type: 'xmpp.message', body: url, oob: url, xml: bare.text });
});

test('reads a displayed marker and chat states without a body; gone and other markers are nothing (spec §3.20, §3.21)', () => {
  const seen = read('<displayed xmlns="urn:xmpp:chat-markers:0" id="message-1"/>');
  assert.deepEqual(seen.read, { type: 'xmpp.displayed', targetId: 'message-1', xml: seen.text });
  assert.deepEqual(read('<composing xmlns="http://jabber.org/protocol/chatstates"/>').read, { type: 'xmpp.chatState', state: 'composing' });
  assert.equal(read('<gone xmlns="http://jabber.org/protocol/chatstates"/>').read, null);
  assert.equal(read('<received xmlns="urn:xmpp:chat-markers:0" id="message-1"/>').read, null);
  assert.equal(read('').read, null);
});

test('reads a moderation request, refusing one without an id or a retraction (XEP-0425 v0.2, spec §3.3)', () => {
  const iq = (inner: string) => parseStanza(`<iq type="set" to="${R}" from="${TO}" id="retract-request-1">${inner}</iq>`);
  assert.deepEqual(readModeration(iq('<apply-to id="stanza-id-1" xmlns="urn:xmpp:fasten:0"><moderate xmlns="urn:xmpp:message-moderate:0">'
    + '<retract xmlns="urn:xmpp:message-retract:0"/><reason>This message contains inappropriate content</reason></moderate></apply-to>')), {
    hook: 'moderate', id: 'stanza-id-1', reason: 'This message contains inappropriate content',
  });
  assert.throws(() => readModeration(iq('<apply-to xmlns="urn:xmpp:fasten:0"><moderate xmlns="urn:xmpp:message-moderate:0">'
    + '<retract xmlns="urn:xmpp:message-retract:0"/></moderate></apply-to>')),
  (err: unknown) => err instanceof XmppError && err.condition === 'bad-request' && err.text === 'Missing moderated message ID');
  assert.throws(() => readModeration(iq('<apply-to id="s" xmlns="urn:xmpp:fasten:0"><moderate xmlns="urn:xmpp:message-moderate:0"/></apply-to>')),
    (err: unknown) => err instanceof XmppError && err.condition === 'feature-not-implemented');
  assert.equal(readModeration(iq('<query xmlns="http://jabber.org/protocol/muc#admin"/>')), null);
});

test('room disco announces moderation, MAM, whether private messages are allowed, and a reaction restriction (spec §3.1)', () => {
  const info = { name: 'Private', description: '', subject: '', subjectSetter: null, subjectDate: null, type: MucType.GROUP, nParticipants: null, userNick: null };
  const field = (v: string, value: string | number) => `<field var="${v}"><value>${value}</value></field>`;
  assert.equal(writeRoomInfo(R, info, 'room-private', { allowPm: true, reactionsSingleEmoji: true }).toString(),
    '<query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text" name="Private"/>'
    + ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/muc', 'urn:xmpp:occupant-id:0', 'urn:xmpp:sid:0', 'urn:xmpp:ping',
      'urn:xmpp:message-moderate:0', 'urn:xmpp:mam:2', 'urn:xmpp:mam:2#extended', 'vcard-temp', 'muc_persistent', 'muc_unsecured', 'muc_membersonly', 'muc_nonanonymous', 'muc_hidden']
      .map((v) => `<feature var="${v}"/>`).join('')
    + '<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>'
    + field('muc#roomconfig_roomname', 'Private') + field('muc#roomconfig_membersonly', 1) + field('muc#roomconfig_whois', 'anyone')
    + field('muc#roomconfig_publicroom', 0) + field('muc#roomconfig_allowpm', 'anyone') + '</x>'
    + '<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:reactions:0:restrictions</value></field>'
    + field('max_reactions_per_user', 1) + '</x></query>');
  const plain = writeRoomInfo(R, info, 'room-private');
  assert.equal(plain.getChildren('x').length, 1);
  assert.equal(plain.getChild('x')!.getChildren('field').find((f) => f.attrs.var === 'muc#roomconfig_allowpm')!.getChildText('value'), 'none');
});

test('the fast message writer gives the same XML as the element tree, escaping included', () => {
  const base = { room: R, nick: 'juliet', type: 'groupchat' as const };
  const shapes = [
    { ...base, id: 'm1', body: 'a & b <c> "d" \'e\'', stanzaId: 's1', occupantId: 'o2', chatState: 'active' as const, markable: true },
    { ...base, id: 'm2', body: 'in a thread', thread: 't<1>', stanzaId: 's2', occupantId: 'o2' },
    { ...base, nick: 'o\'brien & co', body: '', stanzaId: 'a"b' },
    { ...base, body: 'late', delay: { stamp: '2026-11-25T12:00:00.000Z', from: 'aim.shakespeare.lit' }, stanzaId: 's1', occupantId: 'o2' },
    { ...base, body: 'no from', delay: { stamp: '2026-11-25T12:00:00.000Z' } },
    { ...base, subject: 'Topic <1>', stanzaId: 's1' },
    { ...base },
    { room: 'aim.shakespeare.lit', nick: null, type: 'chat' as const, body: 'notice' },
    // with more than text: the element tree writes it
    { ...base, body: 'see', oob: 'https://example.org/a.png', stanzaId: 's1' },
    { ...base, body: 'fixed', replace: 'm1' },
  ];
  for (const m of shapes) {
    assert.equal(messageXml(m as Parameters<typeof messageXml>[0], TO), writeMessage(m as Parameters<typeof writeMessage>[0], TO).toString());
    assert.equal(messageXml(m as Parameters<typeof messageXml>[0]), writeMessage(m as Parameters<typeof writeMessage>[0]).toString());
  }
  assert.equal(
    messageXml({ ...base, id: 'm1', body: 'x<y', stanzaId: 's1' }, TO),
    `<message from="${R}/juliet" to="${TO}" id="m1" type="groupchat"><body>x&lt;y</body><stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="s1"/></message>`,
  );
});

test('a 104 notice from the room: the status code in a muc#user x, no body (spec §3.5)', () => {
  const m = { room: R, nick: null, type: 'groupchat' as const, codes: [104], stanzaId: 'config-1', occupantId: 'room' };
  const expected = `<message from="${R}" to="romeo@montague.lit/gajim" type="groupchat"><x xmlns="http://jabber.org/protocol/muc#user"><status code="104"/></x>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${R}" id="config-1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="room"/></message>`;
  assert.equal(writeMessage(m, 'romeo@montague.lit/gajim').toString(), expected);
  assert.equal(messageXml(m, 'romeo@montague.lit/gajim'), expected);
});

test('an invitation from the gateway: a XEP-0249 direct invitation to the room (spec §3.8)', () => {
  const m = { room: 'aim.shakespeare.lit', nick: null, type: 'normal' as const, invite: { jid: R, reason: 'Come & see' } };
  const expected = `<message from="aim.shakespeare.lit" to="romeo@montague.lit" type="normal"><x xmlns="jabber:x:conference" jid="${R}" reason="Come &amp; see"/></message>`;
  assert.equal(writeMessage(m, 'romeo@montague.lit').toString(), expected);
  assert.equal(messageXml(m, 'romeo@montague.lit'), expected);
});

test("a user's message in a thread (spec §3.23): its <thread> is read; without one there is none", () => {
  const read = (text: string) => readGroupchat(parseStanza(text));
  assert.equal((read('<message type="groupchat" to="r@gw"><body>hi</body><thread> T1 </thread></message>') as { thread?: string }).thread, 'T1');
  assert.equal('thread' in read('<message type="groupchat" to="r@gw"><body>hi</body></message>')!, false);
  const reaction = read('<message type="groupchat" to="r@gw"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions><thread>T2</thread></message>');
  assert.deepEqual([reaction?.type, (reaction as { thread?: string }).thread], ['xmpp.reaction', 'T2']);
});
