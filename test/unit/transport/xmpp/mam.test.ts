import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMamRequest, writeMamFin, writeMamMetadata, writeMamResult } from '../../../../src/transport/xmpp/mam.ts';
import { XmppError } from '../../../../src/transport/xmpp/errors.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';

const iq = (type: string, inner: string) => parseStanza(`<iq type="${type}" to="lobby@gw" from="romeo@localhost/gajim" id="q1">${inner}</iq>`);
const form = (fields: string) => `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field>${fields}</x>`;
const field = (name: string, ...values: string[]) => `<field var="${name}">${values.map((v) => `<value>${v}</value>`).join('')}</field>`;
const badRequest = (inner: string, text: string) => assert.throws(() => readMamRequest(iq('set', inner)),
  (e) => e instanceof XmppError && e.condition === 'bad-request' && e.text === text);

test('reads the form request, the metadata request, and nothing else', () => {
  assert.deepEqual(readMamRequest(iq('get', '<query xmlns="urn:xmpp:mam:2"/>')), { kind: 'form' });
  assert.deepEqual(readMamRequest(iq('get', '<metadata xmlns="urn:xmpp:mam:2"/>')), { kind: 'metadata' });
  assert.equal(readMamRequest(iq('get', '<query xmlns="urn:xmpp:mam:1"/>')), null);
});

test('reads a query: form filters, RSM, flip-page', () => {
  const read = readMamRequest(iq('set', `<query xmlns="urn:xmpp:mam:2" queryid="f27">${form(
    field('with', 'lobby@gw/bob') + field('start', '2026-12-01T10:00:00Z') + field('end', '2026-12-01T11:00:00.500+01:00')
    + field('after-id', 'a1') + field('before-id', 'b1') + field('ids', 'x', 'y') + field('include-groupchat', 'true'),
  )}<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><before/></set><flip-page/></query>`));
  assert.deepEqual(read, {
    kind: 'query', queryId: 'f27', query: {
      with: 'lobby@gw/bob', start: Date.parse('2026-12-01T10:00:00Z'), end: Date.parse('2026-12-01T10:00:00.500Z'),
      afterId: 'a1', beforeId: 'b1', ids: ['x', 'y'], max: 10, before: true, flip: true,
    },
  });
  const paged = readMamRequest(iq('set', '<query xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><after>s9</after><before>s5</before></set></query>'));
  assert.deepEqual(paged, { kind: 'query', query: { after: 's9', before: 's5' } });
});

test('refuses what it cannot honour with bad-request, rather than ignore it', () => {
  badRequest(`<query xmlns="urn:xmpp:mam:2">${form(field('start', 'yesterday'))}</query>`, 'Invalid date in start: yesterday');
  badRequest(`<query xmlns="urn:xmpp:mam:2">${form(field('full-text-search', 'hi'))}</query>`, 'Unknown field: full-text-search');
  badRequest('<query xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><max>ten</max></set></query>', 'Invalid max: ten');
});

test('writes a result: the archived stanza forwarded as jabber:client, its own delay replaced by the archive time', () => {
  const el = writeMamResult('lobby@gw', 'romeo@localhost/gajim', 'f27', {
    stanzaId: 's1', at: '2026-12-01T10:00:00.000Z', source: 'backfill',
    xml: '<message from="lobby@gw/bob" type="groupchat"><body>hi</body><delay xmlns="urn:xmpp:delay" stamp="2026-12-01T10:00:00Z"/></message>',
  });
  assert.equal(el.toString(), '<message from="lobby@gw" to="romeo@localhost/gajim"><result xmlns="urn:xmpp:mam:2" queryid="f27" id="s1">'
    + '<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="2026-12-01T10:00:00.000Z"/>'
    + '<message from="lobby@gw/bob" type="groupchat" xmlns="jabber:client"><body>hi</body></message></forwarded></result></message>');
});

test('writes the fin and the metadata', () => {
  assert.equal(writeMamFin({ messages: [], count: 7, index: 2, first: 'c', last: 'e', complete: false }, false).toString(),
    '<fin xmlns="urn:xmpp:mam:2" stable="false"><set xmlns="http://jabber.org/protocol/rsm"><first index="2">c</first><last>e</last><count>7</count></set></fin>');
  assert.equal(writeMamFin({ messages: [], count: 0, index: 0, complete: true }, true).toString(),
    '<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><count>0</count></set></fin>');
  assert.equal(writeMamMetadata([]).toString(), '<metadata xmlns="urn:xmpp:mam:2"/>');
  const m = (id: string, at: string) => ({ stanzaId: id, at, source: 'live' as const, xml: '<message/>' });
  assert.equal(writeMamMetadata([m('a', '2026-12-01T10:00:00.000Z'), m('b', '2026-12-01T11:00:00.000Z')]).toString(),
    '<metadata xmlns="urn:xmpp:mam:2"><start id="a" timestamp="2026-12-01T10:00:00.000Z"/><end id="b" timestamp="2026-12-01T11:00:00.000Z"/></metadata>');
});
