import { test } from 'node:test';
import assert from 'node:assert/strict';
import { participantNamed, positionOf, withParticipantAt } from '../../../src/machines/participants.ts';
import { newParticipant, type Participant } from '../../../src/machines/room.ts';

const room = (n: number): Participant[] => Array.from({ length: n }, (_, i) => newParticipant({ nick: `p${i}` }, `s${i}`));

test('a participant is found by nick wherever it is in the list, and a nick the room lacks is not', () => {
  const list = room(10_000);
  assert.equal(positionOf(list, 'p9999'), 9999);
  assert.equal(participantNamed(list, 'p0'), list[0]);
  assert.equal(participantNamed(list, 'p9999'), list[9999]);
  assert.equal(positionOf(list, 'nobody'), -1);
  assert.equal(participantNamed(list, 'nobody'), undefined);
});

test('a new list is searched as itself, not as the list it came from', () => {
  const list = room(3);
  assert.equal(positionOf(list, 'p2'), 2);
  const without = list.filter((p) => p.nick !== 'p0');
  assert.equal(positionOf(without, 'p2'), 1);
  assert.equal(positionOf(without, 'p0'), -1);
  const renamed = list.map((p) => (p.nick === 'p1' ? { ...p, nick: 'q1' } : p));
  assert.equal(positionOf(renamed, 'p1'), -1);
  assert.equal(participantNamed(renamed, 'q1')?.occupantId, list[1]!.occupantId);
});

test('replacing one participant keeps the others where they were; the original list is left as it was', () => {
  const list = room(5);
  positionOf(list, 'p0'); // searched once: the copy takes its positions along
  const changed = withParticipantAt(list, 3, { ...list[3]!, chatState: 'composing' });
  assert.equal(participantNamed(changed, 'p3')?.chatState, 'composing');
  assert.equal(participantNamed(list, 'p3')?.chatState, list[3]!.chatState);
  assert.equal(participantNamed(changed, 'p4'), list[4]);
});

test('with the same nick twice, the first one is found, as a scan would', () => {
  const [a, b] = room(2);
  const twice = [a!, { ...b!, nick: 'p0' }];
  assert.equal(participantNamed(twice, 'p0'), a);
});
