// Spec §3.19: files of the network reach the user's clients through Prosody's upload service
// (XEP-0363, mod_http_file_share): a message per file with its URL, the OOB link and the SIMS
// and SFS metadata, and the URL gives back the same bytes. Or through a folder the operator
// serves. A file that cannot go is a message saying so, and a log line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { useGatewaySuite } from '../support/suite.ts';
import { makeTempDir } from '../support/daemon.ts';
import { Redis } from 'ioredis';
import { Uploads } from '../../src/actors/uploads.ts';
import { createKeys } from '../../src/actors/keys.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { NS_MUC, NS_SID } from '../../src/transport/xmpp/ns.ts';
import { FILE_FAILED } from '../../src/legacy/participant.ts';

const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'group', participants: [{ nick: 'bob' }, { nick: 'romeo' }] }] };
const SFS = 'urn:xmpp:sfs:0';
const SIMS = 'urn:xmpp:sims:1';
const OOB = 'jabber:x:oob';
const SIZE_LIMIT = 200_000;

describe('attachments from the network', () => {
  const lines: { msg: string; err?: string; name?: string }[] = [];
  const suite = useGatewaySuite({
    clients: { romeo: 'gajim' }, register: true,
    stack: { prosody: { httpUpload: { sizeLimit: SIZE_LIMIT } } },
    gateway: { world: WORLD, log: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line)); } }) },
  });
  const fromLobby = (el: Element) => el.name === 'message' && String(el.attrs.from ?? '').startsWith(LOBBY);
  const post = async (body: unknown) => {
    const res = await suite.gw.demo('POST', '/demo/rooms/lobby/messages', body);
    assert.equal(res.status, 201, JSON.stringify(res.json));
  };
  const file = (name: string, data: Buffer, contentType?: string) => ({ name, data: data.toString('base64'), ...(contentType ? { contentType } : {}) });
  const sfsFile = (m: Element) => m.getChild('file-sharing', SFS)?.getChild('file', 'urn:xmpp:file:metadata:0');

  const joinLobby = async () => {
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
    await suite.romeo.next((el) => fromLobby(el) && !!el.getChild('subject'));
  };
  const folder = makeTempDir('rg-files-');

  before(joinLobby);
  after(() => rmSync(folder, { recursive: true, force: true }));

  test('an image as bytes: uploaded, its URL the body and OOB link, SIMS and SFS describe it, and the URL gives it back', async () => {
    const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#c33' } }).png().toBuffer();
    await post({ from: 'bob', id: 'f-1', file: file('red.png', png) });
    const m = await suite.romeo.next(fromLobby);
    const url = m.getChildText('body')!;
    const port = suite.stack.prosody.upload!.httpPort;
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/file_share/[^/]+/red\\.png$`));
    assert.equal(m.attrs.id, 'f-1');
    assert.equal(m.getChild('stanza-id', NS_SID)!.attrs.id, 'f-1');
    assert.equal(m.getChild('x', OOB)!.getChildText('url'), url);
    const sha256 = createHash('sha256').update(png).digest('base64');
    const meta = sfsFile(m)!;
    assert.deepEqual(['media-type', 'name', 'size', 'width', 'height'].map((n) => meta.getChildText(n)), ['image/png', 'red.png', String(png.byteLength), '64', '32']);
    assert.equal(meta.getChild('hash', 'urn:xmpp:hashes:2')!.getText(), sha256);
    assert.match(meta.getChild('thumbnail', 'urn:xmpp:thumbs:1')!.attrs.uri, /^data:image\/thumbhash;base64,[A-Za-z0-9+/=]+$/);
    assert.equal(m.getChild('file-sharing', SFS)!.getChild('sources')!.getChild('url-data')!.attrs.target, url);
    const sims = m.getChild('reference', 'urn:xmpp:reference:0')!.getChild('media-sharing', SIMS)!;
    assert.equal(sims.getChild('file')!.getChild('hash')!.getText(), sha256);
    assert.equal(sims.getChild('sources')!.getChild('reference')!.attrs.uri, url);

    const got = await fetch(url);
    assert.equal(got.status, 200);
    assert.equal(Buffer.compare(Buffer.from(await got.arrayBuffer()), png), 0, 'the same bytes');
  });

  test('a file with a text: the file first, the text after it with the legacy id; what the network sends next comes after; deleted, both go', async () => {
    await post({ from: 'bob', id: 'f-2', body: 'the minutes', file: file('minutes.txt', Buffer.from('1. cake\n')) });
    await post({ from: 'bob', id: 'f-3', body: 'and then?' });
    const [attachment, text, next] = await suite.romeo.collect(3, fromLobby);
    assert.equal(attachment!.attrs.id, undefined, 'the legacy id is on the last message only');
    assert.equal(sfsFile(attachment!)!.getChildText('media-type'), 'text/plain');
    assert.equal(attachment!.getChild('file-sharing', SFS)!.attrs.disposition, 'attachment');
    assert.deepEqual([text!.getChildText('body'), text!.attrs.id], ['the minutes', 'f-2']);
    assert.deepEqual([next!.getChildText('body'), next!.attrs.id], ['and then?', 'f-3']);

    // §3.12: the network deletes the message: both of its stanzas go, the file too
    const del = await suite.gw.demo('DELETE', '/demo/rooms/lobby/messages/f-2?by=bob');
    assert.equal(del.status, 204);
    const retractions = await suite.romeo.collect(2, fromLobby);
    assert.deepEqual(retractions.map((r) => r.getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id),
      ['f-2', attachment!.getChild('stanza-id', NS_SID)!.attrs.id]);
  });

  test('the archive keeps the metadata: a MAM query gives the file message as it was sent', async () => {
    await suite.romeo.send(xml('iq', { type: 'set', to: LOBBY, id: 'mam-1' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' })));
    const results: Element[] = [];
    for (;;) {
      const el = await suite.romeo.next((s) => (s.name === 'message' && !!s.getChild('result', 'urn:xmpp:mam:2')) || s.attrs.id === 'mam-1');
      if (el.name === 'iq') break;
      results.push(el);
    }
    const archived = results.map((r) => r.getChild('result')!.getChild('forwarded')!.getChild('message')!).find((m) => m.attrs.id === 'f-1');
    assert.ok(archived, 'the image is in the archive');
    assert.equal(sfsFile(archived)!.getChildText('name'), 'red.png');
  });

  test('a file the upload service refuses (too large) is the failure text, with its legacy id, and a log line', async () => {
    await post({ from: 'bob', id: 'f-4', file: file('huge.bin', Buffer.alloc(SIZE_LIMIT + 1, 7)) });
    const m = await suite.romeo.next(fromLobby);
    assert.deepEqual([m.getChildText('body'), m.attrs.id, m.getChild('x', OOB)], [FILE_FAILED, 'f-4', undefined]);
    const line = lines.find((l) => l.msg.startsWith('attachment not shared') && l.name === 'huge.bin');
    assert.ok(line, 'logged');
    assert.match(line.err!, /refused the slot: not-acceptable: File too large/);
  });

  test('the same legacy file sent again is not uploaded again: same URL', async () => {
    const bytes = Buffer.from('same file');
    await post({ from: 'bob', id: 'f-5', file: file('same.txt', bytes) });
    const first = (await suite.romeo.next(fromLobby)).getChildText('body');
    // the demo network names a file by its message; the plugin API's way to send a known file id
    // again is the upload's: it gives the URL kept in Redis, without reading the bytes given
    const redis = new Redis(suite.stack.redis.url);
    const uploads = new Uploads({
      redis, keys: createKeys(suite.gw.prefix, 4), gatewayJid: GW,
      settings: { service: suite.stack.prosody.upload!.service }, log: pino({ level: 'silent' }),
    });
    try {
      const again = await uploads.share('romeo@localhost', { data: Buffer.from('not the same bytes'), legacyFileId: 'demo/lobby/f-5' }, new Date().toISOString());
      assert.equal(again.url, first);
      assert.equal(again.file!.sha256, createHash('sha256').update(bytes).digest('base64'));
      // once the URL no longer answers, the file is uploaded again
      const gone = first!.replace(/\/file_share\/[^/]+\//, '/file_share/no-such-slot/');
      await redis.set(`${suite.gw.prefix}:uploaded:${encodeURIComponent('demo/lobby/gone')}`, JSON.stringify({ url: gone }));
      const renewed = await uploads.share('romeo@localhost', { data: bytes, name: 'same.txt', legacyFileId: 'demo/lobby/gone' }, new Date().toISOString());
      assert.notEqual(renewed.url, gone);
      assert.equal((await fetch(renewed.url)).status, 200);
    } finally {
      await uploads.close();
      redis.disconnect();
    }
  });

  test('with a folder instead of an upload service: the file is written there, and its URL is under the prefix', async () => {
    await suite.restartGateway({ upload: { path: folder, urlPrefix: 'https://files.example/gw/' } });
    await joinLobby(); // the restart told the client the room was gone (332)
    await post({ from: 'bob', id: 'f-6', file: file('notes.txt', Buffer.from('folder bytes')) });
    const m = await suite.romeo.next((el) => fromLobby(el) && el.attrs.id === 'f-6');
    const url = m.getChildText('body')!;
    const match = /^https:\/\/files\.example\/gw\/([0-9a-f-]{36})\/notes\.txt$/.exec(url);
    assert.ok(match, url);
    assert.equal(readFileSync(join(folder, match[1]!, 'notes.txt'), 'utf8'), 'folder bytes');
    assert.equal(m.getChild('file-sharing', SFS)!.getChild('sources')!.getChild('url-data')!.attrs.target, url);

    // sent again under its legacy id: the same URL while its file is there (the gateway cannot
    // reach the URL of a folder served elsewhere), a new one once it is gone
    const redis = new Redis(suite.stack.redis.url);
    const settings = { path: folder, urlPrefix: 'https://files.example/gw/' };
    const uploads = new Uploads({ redis, keys: createKeys(suite.gw.prefix, 4), gatewayJid: GW, settings, log: pino({ level: 'silent' }) });
    try {
      const again = () => uploads.share('romeo@localhost', { data: Buffer.from('folder bytes'), name: 'notes.txt', legacyFileId: 'demo/lobby/f-6' }, new Date().toISOString());
      assert.equal((await again()).url, url);
      rmSync(join(folder, match[1]!), { recursive: true });
      const renewed = (await again()).url;
      assert.notEqual(renewed, url);
      assert.equal(readFileSync(join(folder, renewed.split('/').at(-2)!, 'notes.txt'), 'utf8'), 'folder bytes');
    } finally {
      await uploads.close();
      redis.disconnect();
    }
  });
});
