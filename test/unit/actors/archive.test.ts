import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_READ_MAX, decodeArchived, encodeArchived, historyWindow, holeBounds, selectHistory } from '../../../src/actors/archive.ts';
import type { ArchivedMessage } from '../../../src/machines/ports.ts';

const NOW = '2026-11-25T12:00:00.000Z';
const msg = (id: string, hoursAgo: number, source: 'live' | 'backfill' = 'live', xml = `<m>${id}</m>`, legacyId: string | null = id): ArchivedMessage => ({
  stanzaId: id, at: new Date(Date.parse(NOW) - hoursAgo * 3600_000).toISOString(), source, xml, ...(legacyId ? { legacyId } : {}),
});

test('history defaults to the last 24 hours, oldest first', () => {
  const all = [msg('a', 30), msg('b', 20), msg('c', 1)];
  assert.deepEqual(selectHistory(all, {}, NOW).map((m) => m.stanzaId), ['b', 'c']);
});

test('history honours seconds, since and maxstanzas (the newest N)', () => {
  const all = [msg('a', 30), msg('b', 20), msg('c', 1), msg('d', 0.5)];
  assert.deepEqual(selectHistory(all, { seconds: 3600 * 2 }, NOW).map((m) => m.stanzaId), ['c', 'd']);
  assert.deepEqual(selectHistory(all, { since: '2026-11-23T00:00:00Z' }, NOW).map((m) => m.stanzaId), ['a', 'b', 'c', 'd']);
  assert.deepEqual(selectHistory(all, { since: '2026-11-23T00:00:00Z', maxstanzas: 2 }, NOW).map((m) => m.stanzaId), ['c', 'd']);
});

test('history honours maxchars by whole stanzas, newest kept', () => {
  const all = [msg('a', 3, 'live', 'x'.repeat(10)), msg('b', 2, 'live', 'x'.repeat(10)), msg('c', 1, 'live', 'x'.repeat(10))];
  assert.deepEqual(selectHistory(all, { maxchars: 25 }, NOW).map((m) => m.stanzaId), ['b', 'c']);
  assert.deepEqual(selectHistory(all, { maxchars: 9 }, NOW), []);
});

test('a history request reads only its window: from its time, the newest maxstanzas (none for 0), at most 1,000', () => {
  const now = Date.parse(NOW);
  assert.deepEqual(historyWindow({}, NOW), { fromMs: now - 24 * 3600_000, max: HISTORY_READ_MAX });
  assert.deepEqual(historyWindow({ seconds: 60, maxstanzas: 20 }, NOW), { fromMs: now - 60_000, max: 20 });
  assert.deepEqual(historyWindow({ since: '2026-11-23T00:00:00Z', maxstanzas: 5000 }, NOW), { fromMs: Date.parse('2026-11-23T00:00:00Z'), max: HISTORY_READ_MAX });
  assert.equal(historyWindow({ maxstanzas: 0 }, NOW).max, 0);
  assert.equal(historyWindow({ maxchars: 0 }, NOW).max, 0, 'no characters: no stanza');
  assert.equal(historyWindow({ maxchars: 500 }, NOW).max, HISTORY_READ_MAX, 'how many fit is known once read');
});

test('hole bounds follow spec §2.4', () => {
  assert.deepEqual(holeBounds([]), { after: null, before: null });
  assert.deepEqual(holeBounds([msg('x', 1, 'live', '', null)]), { after: null, before: null });
  const b1 = msg('b1', 5, 'backfill');
  assert.deepEqual(holeBounds([b1]), { after: b1, before: null });
  const l1 = msg('l1', 3);
  const l2 = msg('l2', 2);
  assert.deepEqual(holeBounds([l1, l2]), { after: null, before: l1 });
  assert.deepEqual(holeBounds([b1, l1, l2]), { after: b1, before: l1 });
});

test('an archive entry keeps its stanza as it is after its metadata, and entries written as JSON still read', () => {
  const xml = '<message from="r@gw/n&quot;ick" id="x" type="groupchat"><body>line 1\nline "2" \\ é😀</body></message>';
  const entry = { stanzaId: 's:1\n', at: '2026-12-06T04:00:00.000Z', source: 'live' as const, xml, legacyId: 'L"1' };
  const encoded = encodeArchived(entry);
  assert.ok(encoded.endsWith(`\n${xml}`), 'the stanza is not escaped');
  assert.deepEqual(decodeArchived(encoded), entry);
  assert.deepEqual(decodeArchived(JSON.stringify(entry)), entry, 'an entry from before: one JSON object');
});
