// Spec §3.19: a file of the network made ready to share (bytes, name, type, SFS metadata), and
// LegacyParticipant.sendFiles: which messages it sends, in which order, with which ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { FILE_NAME_MAX, fileName, readAttachment } from '../../../src/legacy/attachment.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../../src/legacy/index.ts';
import { FILE_FAILED } from '../../../src/legacy/participant.ts';
import type { LegacyAttachment } from '../../../src/legacy/types.ts';
import type { UnstampedLegacyEvent } from '../../../src/machines/events.ts';

const DATE = '2026-12-07T10:00:00.000Z';

test('an image: its type and size read from it, its SHA-256, and a ThumbHash of its shape', async () => {
  const png = await sharp({ create: { width: 400, height: 100, channels: 3, background: '#36c' } }).png().toBuffer();
  const { data, file } = await readAttachment({ data: png, name: 'banner' }, DATE);
  assert.equal(Buffer.compare(Buffer.from(data), png), 0);
  assert.deepEqual({ ...file, thumbhash: undefined }, {
    name: 'banner', mediaType: 'image/png', size: png.byteLength, sha256: createHash('sha256').update(png).digest('base64'),
    date: DATE, width: 400, height: 100, thumbhash: undefined,
  });
  const ratio = thumbHashToApproximateAspectRatio(Buffer.from(file.thumbhash!, 'base64'));
  assert.ok(ratio > 3 && ratio < 5, `the placeholder keeps the 4:1 shape (${ratio})`);
});

test('a photo turned by its EXIF orientation is as wide as it is shown', async () => {
  const jpeg = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#c63' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const { file } = await readAttachment({ data: jpeg, name: 'turned.jpg' }, DATE);
  assert.deepEqual([file.mediaType, file.width, file.height], ['image/jpeg', 100, 300]);
});

test('another file: read from its path, its type from its name, or as given; no image metadata', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-att-'));
  try {
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const { file } = await readAttachment({ path: join(dir, 'notes.txt') }, DATE);
    assert.deepEqual(file, { name: 'notes.txt', mediaType: 'text/plain', size: 5, sha256: createHash('sha256').update('hello').digest('base64'), date: DATE });
    const given = await readAttachment({ data: Buffer.from('{}'), name: 'x.bin', contentType: 'application/x-demo' }, DATE);
    assert.equal(given.file.mediaType, 'application/x-demo');
    assert.equal((await readAttachment({ data: Buffer.from('?'), name: 'mystery' }, DATE)).file.mediaType, 'application/octet-stream');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names: a path or URL gives its last part; none, a random one; slashes and control characters go; long ones are cut, keeping the extension', () => {
  assert.equal(fileName({ path: '/tmp/x/report.pdf' }), 'report.pdf');
  assert.equal(fileName({ url: 'https://cdn.example/a/b/My%20Cat.jpg?sig=1' }), 'My Cat.jpg');
  assert.equal(fileName({ name: '../../etc/passwd' }), '.._.._etc_passwd');
  assert.match(fileName({ url: 'https://cdn.example/' }, 'image/png'), /^[0-9a-f-]{36}\.png$/);
  const long = fileName({ name: `${'é'.repeat(300)}.jpeg` });
  assert.equal([...long].length, FILE_NAME_MAX);
  assert.ok(long.endsWith('é.jpeg'));
});

test('an attachment with nothing to read is refused', async () => {
  await assert.rejects(readAttachment({ name: 'empty' }, DATE), /needs data, a path or a url/);
});

const plugin = definePlugin<unknown>({
  name: 'plain', displayName: 'Plain', session: BaseSession, bookmarks: LegacyBookmarks, muc: LegacyMUC, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

/** A room whose uploads answer in reverse order of asking (the messages must not). */
function room(fail: (a: LegacyAttachment) => boolean = () => false) {
  const events: UnstampedLegacyEvent[] = [];
  let delay = 30;
  const host = {
    shareAttachment: async (_s: BaseSession, a: LegacyAttachment) => {
      await new Promise((resolve) => setTimeout(resolve, delay -= 10));
      if (fail(a)) return null;
      return { url: `https://up/${a.name}`, file: { name: a.name!, mediaType: 'text/plain', size: 1, sha256: 'h' } };
    },
  } as unknown as SessionHost;
  const session = new BaseSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host);
  const muc = new LegacyMUC(session, 'r', 'r@gw', (e) => events.push(e));
  const said = () => events.map((e) => {
    const m = e as Extract<UnstampedLegacyEvent, { type: 'legacy.message' }>;
    // the legacy id the message carries, or `~id` for a sibling of the message that carries it
    return [m.url ? `file ${m.file?.name}` : m.body, m.legacyId ?? (m.siblingOf !== undefined ? `~${m.siblingOf}` : null)];
  });
  return { muc, events, said };
}

test('sendFiles: each file a message in the given order, a caption after its file, the body after them all with the legacy id, the others its siblings', async () => {
  const { muc, said } = room();
  const bob = await muc.getParticipant('bob');
  await bob.sendFiles([{ data: Buffer.from('a'), name: 'a.txt' }, { data: Buffer.from('b'), name: 'b.txt', caption: 'about b' }], 'm1', { body: 'look' });
  assert.deepEqual(said(), [['file a.txt', '~m1'], ['file b.txt', '~m1'], ['about b', '~m1'], ['look', 'm1']]);
});

test('sendFiles: without a body the last message has the id (its caption where it has one); bodyFirst puts the body first', async () => {
  const a = room();
  await (await a.muc.getParticipant('bob')).sendFiles([{ data: Buffer.from('a'), name: 'a.txt' }, { data: Buffer.from('b'), name: 'b.txt' }], 'm2');
  assert.deepEqual(a.said(), [['file a.txt', '~m2'], ['file b.txt', 'm2']]);
  const b = room();
  await (await b.muc.getParticipant('bob')).sendFiles([{ data: Buffer.from('a'), name: 'a.txt', caption: 'cap' }], 'm3', { body: 'first', bodyFirst: true });
  assert.deepEqual(b.said(), [['first', 'm3'], ['file a.txt', '~m3'], ['cap', '~m3']]);
  const c = room();
  await (await c.muc.getParticipant('bob')).sendFiles([{ data: Buffer.from('a'), name: 'a.txt', caption: 'cap' }], 'm4');
  assert.deepEqual(c.said(), [['file a.txt', '~m4'], ['cap', 'm4']]);
  const d = room();
  await (await d.muc.getParticipant('bob')).sendFiles([{ data: Buffer.from('a'), name: 'a.txt' }, { data: Buffer.from('b'), name: 'b.txt' }]);
  assert.deepEqual(d.said(), [['file a.txt', null], ['file b.txt', null]], 'without a legacy id, nothing to be siblings of');
});

test('a file that could not be shared is the failure text in its place; the others go', async () => {
  const { muc, said, events } = room((a) => a.name === 'bad.txt');
  const bob = await muc.getParticipant('bob');
  await bob.sendFiles([{ data: Buffer.from('a'), name: 'bad.txt' }, { data: Buffer.from('b'), name: 'ok.txt' }], 'm5');
  assert.deepEqual(said(), [[FILE_FAILED, '~m5'], ['file ok.txt', 'm5']]);
  assert.deepEqual((events[1] as { file?: unknown }).file, { name: 'ok.txt', mediaType: 'text/plain', size: 1, sha256: 'h' });
});

test('sendFile with a URL string sends it at once, as it is; with an attachment, as sendFiles', async () => {
  const { muc, said } = room();
  const bob = await muc.getParticipant('bob');
  void bob.sendFile('https://cdn/x.jpg', 'm6');
  assert.deepEqual(said(), [['file undefined', 'm6']], 'before any await');
  await bob.sendFile({ data: Buffer.from('z'), name: 'z.txt' }, 'm7', { when: new Date(DATE) });
  assert.deepEqual(said()[1], ['file z.txt', 'm7']);
});
