import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomOfJob } from '../../../src/actors/job-rooms.ts';
import { escapeLocalPart } from '../../../src/legacy/escape.ts';

test('the room of a job: named by a legacy event, guessed from a stanza\'s room JID, none for control', () => {
  const user = 'romeo@montague.lit';
  assert.deepEqual(roomOfJob({ kind: 'legacy', user, legacyId: '#a b', event: {} as never }), { user, legacyId: '#a b' });
  const xml = (to: string) => `<presence from="${user}/gajim" to="${to}" id="j1"><x xmlns="http://jabber.org/protocol/muc"/></presence>`;
  const job = (to: string) => ({ kind: 'xmpp' as const, user, xml: xml(to), at: '', eventId: 'e' });
  const legacyId = 'D&D "club" @home';
  const escaped = escapeLocalPart(legacyId).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  assert.deepEqual(roomOfJob(job(`${escaped}@gw.example/romeo`)), { user, legacyId });
  assert.equal(roomOfJob(job('gw.example')), null, 'the gateway itself');
  assert.equal(roomOfJob({ kind: 'xmpp', user, xml: '<iq type="get" id="1"/>', at: '', eventId: 'e' }), null, 'no to');
  assert.equal(roomOfJob({ kind: 'control', user, action: 'login' }), null);
});
