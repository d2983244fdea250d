// vcard-temp on rooms (spec §3.6): the request read from an iq, the avatar written as a vCard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVcardRequest, writeVcard } from '../../../../src/transport/xmpp/vcard.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';
import { writeRoomInfo } from '../../../../src/transport/xmpp/disco.ts';
import { MucType } from '../../../../src/legacy/types.ts';

const iq = (type: string, vcard: string) => parseStanza(`<iq type="${type}" id="v1" to="room@gw" from="u@s/r">${vcard}</iq>`);

test('reads a vCard get, a set with its photo (whitespace in BINVAL dropped), and a set without one', () => {
  assert.deepEqual(readVcardRequest(iq('get', '<vCard xmlns="vcard-temp"/>')), { kind: 'get' });
  assert.deepEqual(
    readVcardRequest(iq('set', '<vCard xmlns="vcard-temp"><PHOTO><TYPE> image/jpeg </TYPE><BINVAL>iVBO\n Rw0K\n</BINVAL></PHOTO></vCard>')),
    { kind: 'set', photo: { data: 'iVBORw0K', mime: 'image/jpeg' } },
  );
  assert.deepEqual(readVcardRequest(iq('set', '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>AAAA</BINVAL></PHOTO></vCard>')),
    { kind: 'set', photo: { data: 'AAAA', mime: null } });
  assert.deepEqual(readVcardRequest(iq('set', '<vCard xmlns="vcard-temp"><FN>x</FN></vCard>')), { kind: 'set', photo: null });
  assert.deepEqual(readVcardRequest(iq('set', '<vCard xmlns="vcard-temp"><PHOTO/></vCard>')), { kind: 'set', photo: null });
  assert.equal(readVcardRequest(iq('get', '<vCard xmlns="urn:other"/>')), null);
  assert.equal(readVcardRequest(iq('result', '<vCard xmlns="vcard-temp"/>')), null);
  assert.throws(() => readVcardRequest(iq('set', '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>not base64!</BINVAL></PHOTO></vCard>')),
    (err: Error & { condition?: string }) => err.condition === 'bad-request');
});

test('writes the avatar as PHOTO, or an empty vCard without one', () => {
  assert.equal(writeVcard({ mime: 'image/png', data: 'iVBORw0K' }).toString(),
    '<vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0K</BINVAL></PHOTO></vCard>');
  assert.equal(writeVcard(null).toString(), '<vCard xmlns="vcard-temp"/>');
});

test('room disco shows the avatar hash in both fields while the room has one (spec §3.1, XEP-0486)', () => {
  const info = { name: 'R', description: '', subject: '', subjectSetter: null, subjectDate: null, type: MucType.GROUP, nParticipants: null, userNick: null };
  const fields = (avatar: { hash: string; mime: string; legacyId: null } | null) => writeRoomInfo('room@gw', { ...info, avatar }, 'room')
    .getChild('x')!.getChildren('field').filter((f) => /avatar/.test(String(f.attrs.var))).map((f) => [f.attrs.var, f.attrs.type, f.getChildText('value')]);
  assert.deepEqual(fields({ hash: 'a1b2', mime: 'image/png', legacyId: null }), [
    ['{http://modules.prosody.im/mod_vcard_muc}avatar#sha1', undefined, 'a1b2'],
    ['muc#roominfo_avatarhash', 'text-multi', 'a1b2'],
  ]);
  assert.deepEqual(fields(null), []);
  assert.ok(writeRoomInfo('room@gw', null, 'room').getChildren('feature').some((f) => f.attrs.var === 'vcard-temp'));
});
