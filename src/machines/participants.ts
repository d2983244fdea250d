/**
 * Finding a room's participant by nick without scanning the list each time: a participant's
 * message looked the speaker up in the list several times (the speaker noted, their chat state,
 * the stanza's sender), and in a room of 10,000 a speaker near the end cost 330 µs per message
 * instead of 13 (bench/micro/messages.ts --size 10000 --speaker last).
 *
 * A list searched a second time gets a nick → position map; the first search scans, so a list
 * replaced after one look (a participant who joins or leaves) costs what a scan did. Lists in a
 * room's context are never changed in place (a change makes a new list), so a map stays right
 * for its list, and a copy with one participant replaced or added takes its list's map along
 * (`withParticipantAt`, `withParticipantAdded`): then a burst of joins does not rebuild it each
 * time. A map found wrong for a list (another copy of the same list took it along) is not used.
 */
import type { Participant } from './room.ts';

type List = readonly Participant[];

const positions = new WeakMap<List, Map<string, number>>();
/** Lists searched once: the next search builds their map. */
const searched = new WeakSet<List>();

/** Where the participant with this nick is in the list, or -1. */
export function positionOf(list: List, nick: string): number {
  const byNick = positions.get(list) ?? mapOnSecondSearch(list);
  if (!byNick) return scan(list, nick);
  const i = byNick.get(nick);
  // past the end: added to a later copy that shares the map, so not in this one
  if (i === undefined || i >= list.length) return -1;
  return list[i]!.nick === nick ? i : scan(list, nick);
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

/** A copy of the list with a participant it does not have added at the end. */
export function withParticipantAdded(list: List, p: Participant): Participant[] {
  const copy = [...list, p];
  const byNick = positions.get(list);
  // shared only while it describes this list exactly (no other copy added to it first)
  if (byNick && byNick.size === list.length && !byNick.has(p.nick)) {
    byNick.set(p.nick, list.length);
    positions.set(copy, byNick);
  }
  return copy;
}

function mapOnSecondSearch(list: List): Map<string, number> | undefined {
  if (!searched.has(list)) {
    searched.add(list);
    return undefined;
  }
  const byNick = new Map<string, number>();
  // the first of a nick, as a scan finds (a room's nicks are unique: fill drops duplicates)
  for (let i = 0; i < list.length; i++) if (!byNick.has(list[i]!.nick)) byNick.set(list[i]!.nick, i);
  positions.set(list, byNick);
  return byNick;
}

function scan(list: List, nick: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.nick === nick) return i;
  return -1;
}
