// Ad-hoc commands (XEP-0050): the request read from an iq, and the list, form and result written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCommand, writeCommandDone, writeCommandForm, writeCommandList } from '../../../../src/transport/xmpp/commands.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';

const NS = 'http://jabber.org/protocol/commands';

test('reads a command: node, action (execute by default), session and the submitted fields', () => {
  assert.deepEqual(readCommand(parseStanza(`<iq type="set"><command xmlns="${NS}" node="groups"/></iq>`)),
    { node: 'groups', action: 'execute', sessionId: null, fields: null });
  assert.deepEqual(readCommand(parseStanza(`<iq type="set"><command xmlns="${NS}" node="leave-group" action="complete" sessionid="s1"><x xmlns="jabber:x:data" type="submit"><field var="room"><value>den@gw</value></field><field var="confirm"><value>1</value></field></x></command></iq>`)),
    { node: 'leave-group', action: 'complete', sessionId: 's1', fields: { room: 'den@gw', confirm: '1' } });
  assert.equal(readCommand(parseStanza(`<iq type="get"><command xmlns="${NS}" node="groups"/></iq>`)), null);
  assert.equal(readCommand(parseStanza('<iq type="set"><query xmlns="jabber:iq:register"/></iq>')), null);
  for (const bad of [`<command xmlns="${NS}"/>`, `<command xmlns="${NS}" node="groups" action="explode"/>`]) {
    assert.throws(() => readCommand(parseStanza(`<iq type="set">${bad}</iq>`)), (err: Error & { condition?: string }) => err.condition === 'bad-request');
  }
});

test('writes the list, a form whose one action completes, and a result table', () => {
  assert.equal(writeCommandList('gw', [{ node: 'groups', name: 'List groups' }]).toString(),
    `<query xmlns="http://jabber.org/protocol/disco#items" node="${NS}"><item jid="gw" node="groups" name="List groups"/></query>`);
  assert.equal(writeCommandForm('leave-group', 's1', {
    title: 'Leave', fields: [{ var: 'room', type: 'list-single', label: 'Group', required: true, options: [{ label: 'Den', value: 'den@gw' }] }],
  }).toString(),
  `<command xmlns="${NS}" node="leave-group" sessionid="s1" status="executing"><actions execute="complete"><complete/></actions>`
    + '<x xmlns="jabber:x:data" type="form"><title>Leave</title><field var="room" type="list-single" label="Group"><required/><option label="Den"><value>den@gw</value></option></field></x></command>');
  assert.equal(writeCommandDone('groups', 's1', { table: { title: 'T', columns: [{ var: 'jid', label: 'JID', type: 'jid-single' }], rows: [{ jid: 'den@gw' }] } }).toString(),
    `<command xmlns="${NS}" node="groups" sessionid="s1" status="completed"><x xmlns="jabber:x:data" type="result"><title>T</title>`
    + '<reported><field var="jid" label="JID" type="jid-single"/></reported><item><field var="jid"><value>den@gw</value></field></item></x></command>');
});
