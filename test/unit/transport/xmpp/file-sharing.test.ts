// Spec §3.19: what clients are told about a file of the network (SIMS, SFS), and the XEP-0363
// slot the gateway asks for before uploading it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClientFile, writeSfs, writeSims } from '../../../../src/transport/xmpp/file-sharing.ts';
import { isUploadAnswerId, readSlotAnswer, uploadRequestId, writeSlotRequest } from '../../../../src/transport/xmpp/http-upload.ts';
import { messageXml, readGroupchat, writeMessage } from '../../../../src/transport/xmpp/muc-message.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';
import type { SharedFile } from '../../../../src/legacy/types.ts';

const URL = 'https://upload.example/f/summit.jpg';
const PHOTO: SharedFile = {
  name: 'summit.jpg', mediaType: 'image/jpeg', size: 3032449, sha256: 'IsvCmdJvvNrvT7RpRb0uXDP3mqwJRZhtY01/Jc84/Gk=',
  date: '2026-12-07T10:00:00.000Z', width: 4096, height: 2160, thumbhash: 'YJqGPQw7sFlslqhFafSE+Q6oJ1h2iHB2Rw==',
};

test('an image: SIMS with the jingle file and its source, SFS inline with size in pixels, both with the hash and a ThumbHash thumbnail', () => {
  const file = (dims: string) => `<media-type>image/jpeg</media-type><name>summit.jpg</name><size>3032449</size>${dims}`
    + `<date>2026-12-07T10:00:00.000Z</date><hash xmlns="urn:xmpp:hashes:2" algo="sha-256">${PHOTO.sha256}</hash>`
    + `<thumbnail xmlns="urn:xmpp:thumbs:1" uri="data:image/thumbhash;base64,${PHOTO.thumbhash}" media-type="image/thumbhash" width="4096" height="2160"/>`;
  assert.equal(writeSims(PHOTO, URL).toString(), '<reference xmlns="urn:xmpp:reference:0" type="data"><media-sharing xmlns="urn:xmpp:sims:1">'
    + `<file xmlns="urn:xmpp:jingle:apps:file-transfer:5">${file('')}</file>`
    + `<sources><reference xmlns="urn:xmpp:reference:0" type="data" uri="${URL}"/></sources></media-sharing></reference>`);
  assert.equal(writeSfs(PHOTO, URL).toString(), '<file-sharing xmlns="urn:xmpp:sfs:0" disposition="inline">'
    + `<file xmlns="urn:xmpp:file:metadata:0">${file('<width>4096</width><height>2160</height>')}</file>`
    + `<sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${URL}"/></sources></file-sharing>`);
});

test('another file: an attachment, with neither size in pixels nor thumbnail', () => {
  const notes: SharedFile = { name: 'notes & plans.txt', mediaType: 'text/plain', size: 12, sha256: 'abc=' };
  const sfs = writeSfs(notes, 'https://u/n.txt');
  assert.equal(sfs.attrs.disposition, 'attachment');
  assert.equal(sfs.toString().includes('width') || sfs.toString().includes('thumbnail'), false);
  assert.equal(sfs.getChild('file')!.getChildText('name'), 'notes & plans.txt');
});

test('a message with a file carries the OOB link, then SIMS and SFS; the fast writer gives the same XML', () => {
  const m = { room: 'lobby@gw.localhost', nick: 'bob', type: 'groupchat' as const, body: URL, oob: URL, file: PHOTO, stanzaId: 's1', occupantId: 'o1', markable: true };
  const el = writeMessage(m, 'romeo@localhost/gajim');
  assert.deepEqual(el.children.map((c) => typeof c === 'string' ? c : `${c.name} ${c.attrs.xmlns}`), [
    'body undefined', 'x jabber:x:oob', 'reference urn:xmpp:reference:0', 'file-sharing urn:xmpp:sfs:0',
    'markable urn:xmpp:chat-markers:0', 'stanza-id urn:xmpp:sid:0', 'occupant-id urn:xmpp:occupant-id:0',
  ]);
  assert.equal(messageXml(m, 'romeo@localhost/gajim'), el.toString());
  // a file's metadata without its URL says nothing
  assert.equal(writeMessage({ ...m, oob: undefined }).getChild('file-sharing', 'urn:xmpp:sfs:0'), undefined);
});

test('the slot request names the file, its size and type, from the gateway to the service', () => {
  const id = uploadRequestId('u1');
  assert.ok(isUploadAnswerId(id));
  assert.ok(!isUploadAnswerId('roomgate-avatar-x'));
  const iq = parseStanza(writeSlotRequest({ id, from: 'gw.localhost', service: 'upload.localhost', filename: 'a "b".txt', size: 5, contentType: 'text/plain' }));
  assert.deepEqual(iq.attrs, { type: 'get', id, from: 'gw.localhost', to: 'upload.localhost' });
  assert.deepEqual(iq.getChild('request', 'urn:xmpp:http:upload:0')!.attrs, {
    xmlns: 'urn:xmpp:http:upload:0', filename: 'a "b".txt', size: '5', 'content-type': 'text/plain',
  });
});

test("a slot: its URLs and only the headers XEP-0363 lets through, without line breaks", () => {
  const id = uploadRequestId('u2');
  const answer = readSlotAnswer(parseStanza(`<iq type="result" id="${id}" from="upload.localhost" to="gw.localhost"><slot xmlns="urn:xmpp:http:upload:0">`
    + '<put url="https://u/put/1"><header name="Authorization">Bearer x</header><header name="Cookie">a=b\r\nX: y</header>'
    + '<header name="Host">evil</header></put><get url="https://u/get/1"/></slot></iq>'));
  assert.deepEqual(answer, { id, from: 'upload.localhost', slot: { put: 'https://u/put/1', headers: { Authorization: 'Bearer x', Cookie: 'a=bX: y' }, get: 'https://u/get/1' } });
});

test('a refused slot says why; a slot without usable URLs is refused; other answers are not slots', () => {
  const id = uploadRequestId('u3');
  assert.deepEqual(readSlotAnswer(parseStanza(`<iq type="error" id="${id}" from="upload.localhost"><error type="modify">`
    + '<not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">File too large</text></error></iq>')),
  { id, from: 'upload.localhost', error: 'not-acceptable: File too large' });
  assert.deepEqual(readSlotAnswer(parseStanza(`<iq type="result" id="${id}" from="upload.localhost"><slot xmlns="urn:xmpp:http:upload:0">`
    + '<put url="file:///etc/passwd"/><get url="https://u/get"/></slot></iq>')),
  { id, from: 'upload.localhost', error: 'the upload service answered without a usable slot' });
  assert.equal(readSlotAnswer(parseStanza('<iq type="result" id="roomgate-avatar-1" from="romeo@localhost"/>')), null);
});

test("a client's file: its SFS metadata reach onFile with the URL, else its SIMS metadata; what is malformed is left out", () => {
  const url = 'https://share.example/u/cake.jpg';
  const sfs = `<message type="groupchat" to="lobby@gw.localhost" id="m1"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x>`
    + '<file-sharing xmlns="urn:xmpp:sfs:0" disposition="inline"><file xmlns="urn:xmpp:file:metadata:0"><media-type>image/jpeg</media-type>'
    + '<name>cake.jpg</name><size>2048</size><width>800</width><height>600</height><date>2026-12-07T09:00:00Z</date>'
    + '<hash xmlns="urn:xmpp:hashes:2" algo="sha-1">ignored</hash><hash xmlns="urn:xmpp:hashes:2" algo="sha-256">abc=</hash></file>'
    + `<sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${url}"/></sources></file-sharing></message>`;
  const read = readGroupchat(parseStanza(sfs));
  assert.deepEqual(read && 'file' in read ? [read.oob, read.file] : null, [url, {
    name: 'cake.jpg', mediaType: 'image/jpeg', size: 2048, width: 800, height: 600, sha256: 'abc=', date: '2026-12-07T09:00:00Z',
  }]);
  const sims = `<message type="groupchat" id="m2"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x>`
    + '<reference xmlns="urn:xmpp:reference:0" type="data"><media-sharing xmlns="urn:xmpp:sims:1"><file xmlns="urn:xmpp:jingle:apps:file-transfer:5">'
    + '<name>cake.jpg</name><size>-3</size><date>yesterday</date></file></media-sharing></reference></message>';
  assert.deepEqual(readClientFile(parseStanza(sims)), { name: 'cake.jpg' });
  const plain = readGroupchat(parseStanza(`<message type="groupchat" id="m3"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x></message>`));
  assert.equal(plain && 'file' in plain, false);
});
