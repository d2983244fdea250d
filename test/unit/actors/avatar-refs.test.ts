// Which images a room uses, and what changed between two of its states (the commit counts them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avatarChanges, avatarsOf } from '../../../src/actors/avatar-refs.ts';

const state = (room: string | null, ...participants: (string | null)[]) => ({
  info: { avatar: room ? { hash: room, mime: 'image/png', legacyId: null } : null },
  participants: participants.map((hash, i) => ({ nick: `p${i}`, ...(hash ? { avatar: { hash, legacyId: null } } : {}) })),
});

test('a room uses its own image and its participants\', each once', () => {
  assert.deepEqual([...avatarsOf(state('r', 'a', 'a', null, 'b'))], ['r', 'a', 'b']);
  assert.deepEqual([...avatarsOf(undefined)], []);
  assert.deepEqual([...avatarsOf({ info: null, participants: [] })], [], 'a room not filled');
});

test('changes: what a room started and stopped using; a new room adds all, an ended one removes all', () => {
  assert.deepEqual(avatarChanges(state('r', 'a', 'b'), state('r', 'a', 'c', 'c')), { added: ['c'], removed: ['b'] });
  assert.deepEqual(avatarChanges(state('r', 'a', 'a'), state('r', 'a')), { added: [], removed: [] }, 'one of two with the same image left');
  assert.deepEqual(avatarChanges(undefined, state('r', 'a')), { added: ['r', 'a'], removed: [] });
  assert.deepEqual(avatarChanges(state('r', 'a'), undefined), { added: [], removed: ['r', 'a'] });
});
