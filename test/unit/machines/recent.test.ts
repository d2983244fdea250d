import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRecent, findRecent, hasRecent, newestRecent, PAGE_SIZE, recentItems, recentOf, type Recent } from '../../../src/machines/recent.ts';

test('keeps the newest items, oldest first, across pages', () => {
  let list: Recent<number> | undefined;
  for (let i = 1; i <= 100; i++) list = addRecent(list, i, 40);
  assert.deepEqual(recentItems(list), Array.from({ length: 40 }, (_, i) => 61 + i));
  assert.ok(list!.every((page) => page.length <= PAGE_SIZE));
});

test('an add leaves the list it was given as it was', () => {
  const before = addRecent(addRecent(undefined, 1, 10), 2, 10);
  const copy = JSON.parse(JSON.stringify(before));
  addRecent(before, 3, 10);
  assert.deepEqual(before, copy);
});

test('finds the newest match', () => {
  let list: Recent<{ k: string; v: number }> | undefined;
  for (let i = 0; i < 70; i++) list = addRecent(list, { k: i % 2 ? 'odd' : 'even', v: i }, 256);
  assert.equal(findRecent(list, (x) => x.k === 'even')?.v, 68);
  assert.equal(findRecent(list, (x) => x.k === 'none'), undefined);
  assert.equal(newestRecent(list)?.v, 69);
  assert.equal(newestRecent(undefined), undefined);
});

test('a flat list (snapshots written before pages) reads as one page and grows into pages', () => {
  const flat = [{ id: 'a' }, { id: 'b' }];
  assert.equal(findRecent(flat, (x) => x.id === 'a')?.id, 'a');
  assert.deepEqual(recentItems(addRecent(flat, { id: 'c' }, 2)), [{ id: 'b' }, { id: 'c' }]);
  assert.deepEqual(recentItems(undefined), []);
});

test('a list built at once holds what adding one by one would', () => {
  const items = Array.from({ length: 300 }, (_, i) => i);
  let added: Recent<number> | undefined;
  for (const i of items) added = addRecent(added, i, 256);
  const built = recentOf(items, 256);
  assert.deepEqual(recentItems(built), recentItems(added));
  assert.ok(built.every((page) => page.length <= PAGE_SIZE));
  assert.deepEqual(recentOf([], 256), []);
});

test('knows whether an item is kept, in pages or in a flat list', () => {
  let list: Recent<string> | undefined;
  for (let i = 0; i < 300; i++) list = addRecent(list, `e${i}`, 256);
  assert.ok(hasRecent(list, 'e299'));
  assert.ok(hasRecent(list, 'e44'), 'the oldest of the 256 kept');
  assert.ok(!hasRecent(list, 'e43'), 'older ones are forgotten');
  assert.ok(hasRecent(['a', 'b'], 'a'));
  assert.ok(!hasRecent(undefined, 'a'));
});
