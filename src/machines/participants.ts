/**
 * Finding a room's participant by nick without scanning the list: a participant's message looked
 * the speaker up in the list several times (the speaker noted, their chat state, the stanza's
 * sender), and in a room of 10,000 a speaker near the end cost 330 µs per message instead of 13
 * (bench/micro/messages.ts --size 10000 --speaker last). Each list gets a nick → position map
 * the first time it is searched. Lists in a room's context are never changed in place (a change
 * makes a new list), so a map stays right for its list; a copy with one participant replaced
 * keeps every position and takes its list's map along (`withParticipantAt`).
 */
import type { Participant } from './room.ts';

type List = readonly Participant[];

const positions = new WeakMap<List, Map<string, number>>();

/** Where the participant with this nick is in the list, or -1. */
export function positionOf(list: List, nick: string): number {
  let byNick = positions.get(list);
  if (!byNick) {
    byNick = new Map();
    // the first of a nick, as `find` would (a room's nicks are unique: fill drops duplicates)
    for (let i = 0; i < list.length; i++) if (!byNick.has(list[i]!.nick)) byNick.set(list[i]!.nick, i);
    positions.set(list, byNick);
  }
  return byNick.get(nick) ?? -1;
}

/** The participant with this nick, if the list has one. */
export function participantNamed(list: List, nick: string): Participant | undefined {
  const i = positionOf(list, nick);
  return i < 0 ? undefined : list[i];
}

/** A copy of the list with the participant at `i` replaced (same nick): its positions carry over. */
export function withParticipantAt(list: List, i: number, p: Participant): Participant[] {
  const copy = list.slice();
  copy[i] = p;
  const byNick = positions.get(list);
  if (byNick) positions.set(copy, byNick);
  return copy;
}
