import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBuffer } from '../../src/byte-buffer.ts';

test('strings are appended as UTF-8, growing past the first allocation, multibyte characters whole', () => {
  const b = new ByteBuffer();
  assert.equal(b.bytes().length, 0);
  const parts = Array.from({ length: 3000 }, (_, i) => `<p n="${i}">é→😀</p>`);
  for (const p of parts) b.write(p);
  assert.equal(b.bytes().toString('utf8'), parts.join(''));
  assert.equal(b.length, Buffer.byteLength(parts.join('')));
});

test('a prefixed value carries its length in bytes, not UTF-16 units', () => {
  const b = new ByteBuffer();
  b.writePrefixed('L:é');
  b.writePrefixed('😀');
  assert.equal(b.bytes().toString('utf8'), '4:L:é4:😀');
});
