import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignPartitions } from '../../../src/actors/ownership.ts';

const counts = (owners: (string | undefined)[]) => owners.reduce((m, w) => m.set(w!, (m.get(w!) ?? 0) + 1), new Map<string, number>());

test('spreads partitions evenly, however few, and every worker computes the same answer', () => {
  for (const workers of [['a'], ['a', 'b'], ['a', 'b', 'c'], ['w1', 'w2', 'w3', 'w4']]) {
    const owners = assignPartitions(8, workers);
    assert.ok(owners.every((w) => w !== undefined));
    const loads = [...counts(owners).values()];
    assert.equal(loads.length, workers.length, `every one of ${workers.length} workers gets partitions`);
    assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `even: ${loads}`);
    assert.deepEqual(assignPartitions(8, [...workers].reverse()), owners, 'order of the live set does not matter');
  }
});

test('a joining worker takes partitions from the others without reshuffling the rest', () => {
  const before = assignPartitions(64, ['a', 'b', 'c']);
  const after = assignPartitions(64, ['a', 'b', 'c', 'd']);
  const moved = before.filter((w, p) => after[p] !== w).length;
  assert.equal(counts(after).get('d'), 16);
  assert.ok(moved <= 24, `moved ${moved} of 64`);
});

test('no worker, no owner', () => {
  assert.deepEqual(assignPartitions(3, []), [undefined, undefined, undefined]);
});
