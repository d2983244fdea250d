import { test } from 'node:test';
import assert from 'node:assert/strict';
import { participantNamed, positionOf, withParticipantAdded, withParticipantAt } from '../../../src/machines/participants.ts';
import { newParticipant, type Participant } from '../../../src/machines/room.ts';

const room = (n: number): Participant[] => Array.from({ length: n }, (_, i) => newParticipant({ nick: `p${i}` }, `s${i}`));
const p = (nick: string) => newParticipant({ nick }, nick);

test('a participant is found by nick wherever it is in the list, the first search and the next ones alike', () => {
  const list = room(10_000);
  for (let search = 0; search < 3; search++) {
    assert.equal(positionOf(list, 'p9999'), 9999);
    assert.equal(participantNamed(list, 'p0'), list[0]);
    assert.equal(positionOf(list, 'nobody'), -1);
    assert.equal(participantNamed(list, 'nobody'), undefined);
  }
});

test('a new list is searched as itself, not as the list it came from', () => {
  const list = room(3);
  positionOf(list, 'p2');
  assert.equal(positionOf(list, 'p2'), 2);
  const without = list.filter((q) => q.nick !== 'p0');
  assert.equal(positionOf(without, 'p2'), 1);
  assert.equal(positionOf(without, 'p0'), -1);
  const renamed = list.map((q) => (q.nick === 'p1' ? { ...q, nick: 'q1' } : q));
  assert.equal(positionOf(renamed, 'p1'), -1);
  assert.equal(participantNamed(renamed, 'q1')?.occupantId, list[1]!.occupantId);
});

test('replacing one participant keeps the others where they were; the original list is left as it was', () => {
  const list = room(5);
  positionOf(list, 'p0');
  positionOf(list, 'p0'); // searched twice: mapped, and the copy takes the map along
  const changed = withParticipantAt(list, 3, { ...list[3]!, show: 'away' });
  assert.equal(participantNamed(changed, 'p3')?.show, 'away');
  assert.equal(participantNamed(list, 'p3')?.show, list[3]!.show);
  assert.equal(participantNamed(changed, 'p4'), list[4]);
});

test('participants added one by one are found in the new lists, never in the older ones', () => {
  let list = room(3);
  positionOf(list, 'p0');
  positionOf(list, 'p0');
  const lists = [list];
  for (const nick of ['a', 'b', 'c']) lists.push(list = withParticipantAdded(list, p(nick)));
  assert.equal(positionOf(list, 'c'), 5);
  assert.equal(positionOf(list, 'a'), 3);
  assert.equal(positionOf(lists[1]!, 'a'), 3);
  assert.equal(positionOf(lists[1]!, 'b'), -1, 'added after this list');
  assert.equal(positionOf(lists[0]!, 'a'), -1);
  // another copy of an older list, with someone else added: each list still answers for itself
  const other = withParticipantAdded(lists[1]!, p('z'));
  assert.equal(positionOf(other, 'z'), 4);
  assert.equal(positionOf(other, 'b'), -1);
  assert.equal(positionOf(list, 'z'), -1);
  assert.equal(positionOf(list, 'b'), 4);
});

test('with the same nick twice, the first one is found, as a scan would', () => {
  const [a, b] = room(2);
  const twice = [a!, { ...b!, nick: 'p0' }];
  assert.equal(participantNamed(twice, 'p0'), a);
  assert.equal(participantNamed(twice, 'p0'), a);
});
