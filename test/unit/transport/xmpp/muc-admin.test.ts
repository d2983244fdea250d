import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConfigFormRequest, readAdminList, readRoomRequest, writeConfigForm } from '../../../../src/transport/xmpp/muc-admin.ts';
import { XmppError } from '../../../../src/transport/xmpp/errors.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';

const admin = (item: string, type = 'set') => parseStanza(
  `<iq from="crone1@shakespeare.lit/desktop" id="voice2" to="coven@chat.shakespeare.lit" type="${type}">`
  + `<query xmlns="http://jabber.org/protocol/muc#admin">${item}</query></iq>`);

test('reads voice and moderator grants and revocations as role changes (XEP-0045 §8.3, §8.4, §9.6, §9.7)', () => {
  assert.deepEqual(readRoomRequest(admin('<item nick="thirdwitch" role="visitor"><reason>Not so worthy after all!</reason></item>')), {
    hook: 'setRole', nick: 'thirdwitch', role: 'visitor', reason: 'Not so worthy after all!',
  });
  assert.deepEqual(readRoomRequest(admin('<item nick="thirdwitch" role="participant"/>')), {
    hook: 'setRole', nick: 'thirdwitch', role: 'participant', reason: null,
  });
  assert.deepEqual(readRoomRequest(admin('<item nick="thirdwitch" role="moderator"/>')), {
    hook: 'setRole', nick: 'thirdwitch', role: 'moderator', reason: null,
  });
});

test('reads a kick (role none) and an affiliation change, which wins over a role in the same item (XEP-0045 §8.2, §9)', () => {
  assert.deepEqual(readRoomRequest(admin('<item nick="pistol" role="none"><reason>Avaunt, you cullion!</reason></item>')), {
    hook: 'kick', nick: 'pistol', reason: 'Avaunt, you cullion!',
  });
  assert.deepEqual(readRoomRequest(admin('<item nick="thirdwitch" affiliation="member" role="participant"/>')), {
    hook: 'setAffiliation', nick: 'thirdwitch', affiliation: 'member', reason: null,
  });
});

test('refuses an unknown role, an item without a nick, and a list by role (spec §3.3: bad-request)', () => {
  const is = (condition: string) => (err: unknown) => err instanceof XmppError && err.condition === condition;
  assert.throws(() => readRoomRequest(admin('<item nick="thirdwitch" role="overlord"/>')), is('feature-not-implemented'));
  assert.throws(() => readRoomRequest(admin('<item role="moderator"/>')), is('bad-request'));
  assert.throws(() => readRoomRequest(admin('<item role="moderator"/>', 'get')), is('bad-request'));
});

test('reads an admin list query by affiliation (XEP-0045 §9.5, §10.5); a list by role, or none, is a bad request', () => {
  assert.equal(readAdminList(admin('<item affiliation="outcast"/>', 'get')), 'outcast');
  assert.equal(readAdminList(admin('<item affiliation="owner"/>', 'get')), 'owner');
  assert.equal(readAdminList(admin('<item affiliation="outcast"/>', 'set')), null, 'a set is a change, not a list');
  for (const item of ['<item role="moderator"/>', '<item affiliation="king"/>', '']) {
    assert.throws(() => readAdminList(admin(item, 'get')), (e) => e instanceof XmppError && e.condition === 'bad-request', item);
  }
});

const owner = (inner: string, type = 'set') => parseStanza(
  `<iq from="crone1@shakespeare.lit/desktop" id="c1" to="coven@chat.shakespeare.lit" type="${type}">`
  + `<query xmlns="http://jabber.org/protocol/muc#owner">${inner}</query></iq>`);

test('reads the configuration form request, a submitted form, a cancelled one, and refuses anything else (spec §3.4)', () => {
  assert.equal(isConfigFormRequest(owner('', 'get')), true);
  assert.equal(isConfigFormRequest(owner('', 'set')), false);
  const field = (name: string, value: string) => `<field var="${name}"><value>${value}</value></field>`;
  assert.deepEqual(readRoomRequest(owner(`<x xmlns="jabber:x:data" type="submit">${field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig')}`
    + `${field('muc#roomconfig_roomname', 'A Dark Cave')}${field('muc#roomconfig_roomdesc', '')}</x>`)), {
    hook: 'setConfig', name: 'A Dark Cave', description: '',
  });
  assert.deepEqual(readRoomRequest(owner(`<x xmlns="jabber:x:data" type="submit">${field('muc#roomconfig_roomname', 'Cave')}</x>`)),
    { hook: 'setConfig', name: 'Cave', description: null }, 'a field not submitted is not changed');
  assert.deepEqual(readRoomRequest(owner('<x xmlns="jabber:x:data" type="cancel"/>')), { hook: 'setConfig', name: null, description: null });
  assert.deepEqual(readRoomRequest(owner('<destroy><reason>bye</reason></destroy>')), { hook: 'destroy', reason: 'bye' });
  assert.throws(() => readRoomRequest(owner('')), (e) => e instanceof XmppError && e.condition === 'bad-request');
});

test('writes the configuration form: the name, and the description where the network has one', () => {
  const form = writeConfigForm({ name: 'Coven', description: 'Witches & co' }, true);
  assert.equal(form.toString(), '<query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="form">'
    + '<title>Room configuration</title><instructions>Complete this form to modify the configuration of your room.</instructions>'
    + '<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roomconfig</value></field>'
    + '<field var="muc#roomconfig_roomname" type="text-single" label="Natural-Language Room Name"><value>Coven</value></field>'
    + '<field var="muc#roomconfig_roomdesc" type="text-single" label="Short Description of Room"><value>Witches &amp; co</value></field></x></query>');
  const fields = writeConfigForm({ name: 'Coven', description: '' }, false).getChild('x')!.getChildren('field').map((f) => f.attrs.var);
  assert.deepEqual(fields, ['FORM_TYPE', 'muc#roomconfig_roomname']);
});
