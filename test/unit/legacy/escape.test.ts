import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLocalPart, unescapeLocalPart } from '../../../src/legacy/escape.ts';

// XEP-0106 §5 (Table 3): transformation of unescaped to escaped local parts
const XEP_EXAMPLES: [string, string][] = [
  ['space cadet', 'space\\20cadet'],
  ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
  ['at&t guy', 'at\\26t\\20guy'],
  ["d'artagnan", 'd\\27artagnan'],
  ['/.fanboy', '\\2f.fanboy'],
  ['::foo::', '\\3a\\3afoo\\3a\\3a'],
  ['<foo>', '\\3cfoo\\3e'],
  ['user@host', 'user\\40host'],
  ['c:\\net', 'c\\3a\\net'],
  ['c:\\\\net', 'c\\3a\\\\net'],
  ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
  ['c:\\5commas', 'c\\3a\\5c5commas'],
];

test('escapes every example of XEP-0106 §5 as the XEP does', () => {
  for (const [raw, escaped] of XEP_EXAMPLES) assert.equal(escapeLocalPart(raw), escaped, raw);
});

test('unescapes every example of XEP-0106 §5 back to the original', () => {
  for (const [raw, escaped] of XEP_EXAMPLES) assert.equal(unescapeLocalPart(escaped), raw, escaped);
});

test('leaves plain ids and IRC channel names untouched', () => {
  assert.equal(escapeLocalPart('lobby'), 'lobby');
  assert.equal(escapeLocalPart('#bench'), '#bench');
  assert.equal(unescapeLocalPart('#bench'), '#bench');
});

test('reads escape sequences case-insensitively', () => {
  assert.equal(unescapeLocalPart('dev\\20Team\\2F1'), 'dev Team/1');
});
