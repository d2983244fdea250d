import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inTimeOrder, selectArchivePage, type ArchiveQuery } from '../../../src/actors/archive-query.ts';
import type { ArchivedMessage } from '../../../src/machines/ports.ts';
import { XmppError } from '../../../src/transport/xmpp/errors.ts';

const ROOM = 'lobby@gw.localhost';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
/** A message `id` from `nick`, `second` seconds after T0. */
const msg = (id: string, second: number, nick = 'alice', source: 'live' | 'backfill' = 'live'): ArchivedMessage => ({
  stanzaId: id, at: new Date(T0 + second * 1000).toISOString(), source, legacyId: id,
  xml: `<message from="${ROOM}/${nick}" type="groupchat"><body>${id}</body></message>`,
});
// the archive list holds backfilled messages after the live ones they precede; c and d share a second
const ARCHIVE = [msg('e', 50), msg('f', 60, 'bob'), msg('a', 10, 'bob', 'backfill'), msg('b', 20, 'alice', 'backfill'), msg('c', 30, 'bob', 'backfill'), msg('d', 30, 'alice', 'backfill')];
const ids = (q: ArchiveQuery) => selectArchivePage(ARCHIVE, q).messages.map((m) => m.stanzaId);
const notFound = (q: ArchiveQuery, text: string) =>
  assert.throws(() => selectArchivePage(ARCHIVE, q), (e) => e instanceof XmppError && e.condition === 'item-not-found' && e.text === text);

test('the archive is read in time order, equal times in archive order, each id once', () => {
  assert.deepEqual(inTimeOrder([...ARCHIVE, msg('a', 10)]).map((m) => m.stanzaId), ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('a query without paging returns everything, complete, with the count of the query', () => {
  const page = selectArchivePage(ARCHIVE, {});
  assert.deepEqual(page.messages.map((m) => m.stanzaId), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual({ count: page.count, index: page.index, first: page.first, last: page.last, complete: page.complete },
    { count: 6, index: 0, first: 'a', last: 'f', complete: true });
});

test('paging forward with <after> visits every message once, even two in one second', () => {
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 10);
    const page = selectArchivePage(ARCHIVE, { max: 2, ...(after ? { after } : {}) });
    seen.push(...page.messages.map((m) => m.stanzaId));
    assert.equal(page.count, 6);
    if (page.complete) break;
    after = page.last;
  }
  assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('paging back from the last page with <before/> and <before>id</before>', () => {
  const last = selectArchivePage(ARCHIVE, { max: 4, before: true });
  assert.deepEqual(last.messages.map((m) => m.stanzaId), ['c', 'd', 'e', 'f']);
  assert.deepEqual({ index: last.index, complete: last.complete }, { index: 2, complete: false });
  const previous = selectArchivePage(ARCHIVE, { max: 4, before: last.first! });
  assert.deepEqual(previous.messages.map((m) => m.stanzaId), ['a', 'b']);
  assert.deepEqual({ index: previous.index, complete: previous.complete }, { index: 0, complete: true });
});

test('<flip-page/> sends the page newest first; first and last stay in time order', () => {
  const page = selectArchivePage(ARCHIVE, { max: 3, before: true, flip: true });
  assert.deepEqual(page.messages.map((m) => m.stanzaId), ['f', 'e', 'd']);
  assert.deepEqual([page.first, page.last], ['d', 'f']);
});

test('<max>0</max> counts without returning anything (DECISIONS 6.2 #19)', () => {
  const page = selectArchivePage(ARCHIVE, { max: 0 });
  assert.deepEqual({ n: page.messages.length, count: page.count, first: page.first, complete: page.complete }, { n: 0, count: 6, first: undefined, complete: false });
  assert.equal(selectArchivePage([], { max: 0 }).complete, true);
});

test('filters: with, start and end, ids, after-id and before-id; paging stays within them', () => {
  assert.deepEqual(ids({ with: `${ROOM}/bob` }), ['a', 'c', 'f']);
  assert.deepEqual(ids({ with: 'bob@localhost' }), [], 'a real JID never matches an occupant');
  assert.deepEqual(ids({ start: T0 + 20_000, end: T0 + 50_000 }), ['b', 'c', 'd', 'e']);
  assert.deepEqual(ids({ ids: ['f', 'b'] }), ['b', 'f']);
  assert.deepEqual(ids({ afterId: 'c', beforeId: 'f' }), ['d', 'e'], 'by position: d shares c\'s second and is still after it');
  assert.deepEqual(ids({ with: `${ROOM}/alice`, max: 1, after: 'b' }), ['d']);
  const page = selectArchivePage(ARCHIVE, { with: `${ROOM}/alice`, max: 2, before: true });
  assert.deepEqual([page.messages.map((m) => m.stanzaId), page.count, page.index], [['d', 'e'], 3, 1]);
});

test('unknown ids are item-not-found, within this room only', () => {
  notFound({ afterId: 'zz' }, 'Message zz not found');
  notFound({ beforeId: 'zz' }, 'Message zz not found');
  notFound({ after: 'zz' }, 'Message zz not found');
  notFound({ before: 'zz' }, 'Message zz not found');
  notFound({ ids: ['a', 'zz'] }, 'One of the requested messages IDs could not be found with the given constraints.');
  notFound({ ids: ['a'], with: `${ROOM}/alice` }, 'One of the requested messages IDs could not be found with the given constraints.');
});

test('with matches an author whose nick the stanza escapes, in either quote style', () => {
  const escaped = { ...msg('x', 70), xml: `<message type="groupchat" from="${ROOM}/o&apos;brien &amp; co"><body>x</body></message>` };
  const single = { ...msg('y', 80), xml: `<message from='${ROOM}/bob' type='groupchat'><body>y</body></message>` };
  assert.deepEqual(selectArchivePage([...ARCHIVE, escaped, single], { with: `${ROOM}/o'brien & co` }).messages.map((m) => m.stanzaId), ['x']);
  assert.deepEqual(selectArchivePage([...ARCHIVE, escaped, single], { with: `${ROOM}/bob` }).messages.map((m) => m.stanzaId), ['a', 'c', 'f', 'y']);
});
