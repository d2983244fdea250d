// The "Groups" ad-hoc commands (XEP-0050, spec §1.7) on the gateway, with a real client: the
// list a registered user sees, `groups`, `create-group` and `leave-group` through the demo network.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_MUC as MUC, NS_XDATA as XDATA } from '../../src/transport/xmpp/ns.ts';
import { registerUser } from '../support/gateway.ts';
import { errorCondition as condition, statusCodes as codes } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const COMMANDS = 'http://jabber.org/protocol/commands';
const GW = 'gw.localhost';
const WORLD = {
  rooms: [
    { id: 'lobby', name: 'lobby of all', type: 'channel', participants: [{ nick: 'alice' }] },
    { id: 'den', name: 'Den', type: 'group', participants: [{ nick: 'bob' }], members: ['romeo@localhost'] },
    { id: 'vault', name: 'Vault', type: 'group', participants: [{ nick: 'carol' }], members: ['juliet@localhost'] },
  ],
};

const command = (client: TestClient, node: string, action?: string, sessionid?: string, fields?: Record<string, string>) =>
  client.iq(xml('iq', { type: 'set', to: GW }, xml('command', { xmlns: COMMANDS, node, action, sessionid },
    fields ? xml('x', { xmlns: XDATA, type: 'submit' }, ...Object.entries(fields).map(([v, value]) => xml('field', { var: v }, xml('value', {}, value)))) : null)));
const rowsOf = (res: Element) => res.getChild('command', COMMANDS)!.getChild('x', XDATA)!.getChildren('item')
  .map((item) => Object.fromEntries(item.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')])));

describe('group commands', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim' }, gateway: { world: WORLD } });

  test('the gateway announces commands; an unregistered user is offered none and may run none', async () => {
    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === COMMANDS));
    const list = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: COMMANDS })));
    assert.deepEqual(list.getChild('query')!.getChildren('item'), []);
    const refused = await command(suite.romeo, 'groups');
    assert.deepEqual([refused.attrs.type, condition(refused)], ['error', 'registration-required']);
  });

  test('a registered user is offered the three; groups lists theirs by name, whatever the case', async () => {
    const done = await registerUser(suite.romeo, 'romeo');
    assert.equal(done.attrs.type, 'result');
    const list = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: COMMANDS })));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => [i.attrs.jid, i.attrs.node]),
      [[GW, 'groups'], [GW, 'leave-group'], [GW, 'create-group']]);
    const res = await command(suite.romeo, 'groups');
    assert.equal(res.getChild('command', COMMANDS)!.attrs.status, 'completed');
    assert.deepEqual(rowsOf(res), [{ name: 'Den', jid: `den@${GW}` }, { name: 'lobby of all', jid: `lobby@${GW}` }]);
  });

  test('create-group: a form for the name, then the group exists on the network and can be joined', async () => {
    const form = await command(suite.romeo, 'create-group');
    const cmd = form.getChild('command', COMMANDS)!;
    assert.equal(cmd.attrs.status, 'executing');
    assert.deepEqual(cmd.getChild('x', XDATA)!.getChildren('field').map((f) => f.attrs.var), ['name']);
    const res = await command(suite.romeo, 'create-group', 'complete', String(cmd.attrs.sessionid), { name: 'Book Club' });
    assert.equal(res.attrs.type, 'result', res.toString());
    assert.deepEqual(rowsOf(res), [{ name: 'Book Club', jid: `xmpp:book\\20club@${GW}?join` }]);
    const room = (await suite.gw.demo('GET', '/demo/rooms/book%20club')).json as { name: string; members: string[] };
    assert.deepEqual([room.name, room.members], ['Book Club', ['romeo@localhost']]);
    await suite.romeo.send(xml('presence', { to: `book\\20club@${GW}/romeo` }, xml('x', { xmlns: MUC })));
    const self = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `book\\20club@${GW}/romeo`);
    assert.ok(codes(self).includes(110));
    assert.ok(rowsOf(await command(suite.romeo, 'groups')).some((r) => r.jid === `book\\20club@${GW}`));
  });

  test('leave-group: a form of the user\'s groups, then out of it on the network and on XMPP (307)', async () => {
    const form = await command(suite.romeo, 'leave-group');
    const cmd = form.getChild('command', COMMANDS)!;
    const options = cmd.getChild('x', XDATA)!.getChildren('field').find((f) => f.attrs.var === 'room')!.getChildren('option').map((o) => o.getChildText('value'));
    assert.deepEqual(options, [`book\\20club@${GW}`, `den@${GW}`, `lobby@${GW}`]);
    const notConfirmed = await command(suite.romeo, 'leave-group', 'complete', String(cmd.attrs.sessionid), { room: `book\\20club@${GW}`, confirm: 'false' });
    assert.equal(notConfirmed.getChild('command', COMMANDS)!.getChildText('note'), 'Nothing was done.');

    const res = await command(suite.romeo, 'leave-group', 'complete', String(cmd.attrs.sessionid), { room: `book\\20club@${GW}`, confirm: 'true' });
    assert.equal(res.getChild('command', COMMANDS)!.getChildText('note'), 'You left Book Club.');
    const kicked = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `book\\20club@${GW}/romeo` && el.attrs.type === 'unavailable');
    assert.ok(codes(kicked).includes(307));
    // the group stays on the network, without the user (connected, but no longer a member)
    const room = (await suite.gw.demo('GET', '/demo/rooms/book%20club')).json as { online: { jid: string }[] };
    assert.deepEqual(room.online, []);
    assert.ok(!rowsOf(await command(suite.romeo, 'groups')).some((r) => r.jid === `book\\20club@${GW}`));

    const foreign = await command(suite.romeo, 'leave-group', 'complete', 'x', { room: `vault@${GW}`, confirm: 'true' });
    assert.deepEqual([foreign.attrs.type, condition(foreign)], ['error', 'item-not-found'], 'another user\'s group');
    const canceled = await command(suite.romeo, 'leave-group', 'cancel', 'x');
    assert.equal(canceled.getChild('command', COMMANDS)!.attrs.status, 'canceled');
    const unknown = await command(suite.romeo, 'no-such-command');
    assert.deepEqual([unknown.attrs.type, condition(unknown)], ['error', 'item-not-found']);
  });
});
