/**
 * Micro-benchmark of a room's participant list as joins and leaves change it: 10,000 joins one
 * by one (a lookup, then the list with the newcomer added), then 2,000 leaves (a lookup, then
 * the list without them), through src/machines/participants.ts and, for reference, a plain
 * scan. A list is replaced after each, so a nick map built for every new list would cost more
 * than the scans it saves (the twelfth pass: 2,134 ms for the leaves, against 164 scanning).
 *
 *   node --import tsx bench/micro/participant-lists.ts
 */
import { positionOf, withParticipantAdded } from '../../src/machines/participants.ts';
import { newParticipant, type Participant } from '../../src/machines/room.ts';

const JOINS = 10_000;
const LEAVES = 2_000;
const scan = (list: Participant[], nick: string) => list.findIndex((q) => q.nick === nick);
const ways = {
  scan: { find: scan, add: (list: Participant[], p: Participant) => [...list, p] },
  'participants.ts': { find: positionOf, add: withParticipantAdded },
};

for (let round = 1; round <= 3; round++) {
  const line: string[] = [];
  for (const [name, way] of Object.entries(ways)) {
    let t = performance.now();
    let list: Participant[] = [];
    for (let i = 0; i < JOINS; i++) {
      const p = newParticipant({ nick: `n${i}` }, `s${i}`);
      if (way.find(list, p.nick) < 0) list = way.add(list, p);
    }
    const joins = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < LEAVES; i++) {
      const nick = `n${i * 5}`;
      if (way.find(list, nick) >= 0) list = list.filter((q) => q.nick !== nick);
    }
    line.push(`${name}: ${JOINS.toLocaleString('en')} joins ${joins.toFixed(0)} ms, ${LEAVES.toLocaleString('en')} leaves ${(performance.now() - t).toFixed(0)} ms`);
  }
  console.log(`round ${round}: ${line.join('; ')}`);
}
