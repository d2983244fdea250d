/** The generated demo world of the bench: every room the workloads use, in one file. */
import { writeFile } from 'node:fs/promises';
import type { WorldRoomInput } from '../../src/legacy/demo/world.ts';

export interface WorldPlan {
  runs: number;
  w1Sizes: number[];
  w5Rooms: [number, number][];
}

/** A CHANNEL (anonymous, like an IRC channel) with `n` participants, none of them the user. */
export function benchRoom(id: string, n: number, nicks?: string[]): WorldRoomInput {
  const participants = (nicks ?? Array.from({ length: n }, (_, i) => `p${i}`)).map((nick, i) => (
    i === 0 ? { nick, role: 'moderator' as const, affiliation: 'owner' as const } : { nick }
  ));
  return {
    id, name: `Bench ${id}`, type: 'channel', subject: `Subject of ${id}`, subjectSetter: participants[0]?.nick,
    subjectDate: '2026-01-01T00:00:00.000Z', participants,
  };
}

export const w1Room = (n: number, variant: string) => `w1-n${n}-${variant}`;
export const w5Room = (n: number, k: number) => `w5-n${n}-${k}`;
/** Rooms joined then hibernated after the code is warm: the per-hibernated-room slope. */
export const w5HibernatedRoom = (k: number) => `w5h-${k}`;
export const W2_ROOM = 'w2';
export const W3_ROOM = 'w3';
/** W2 in a large room: what the per-job snapshot costs as a room grows. */
export const W2_BIG_ROOM = 'w2-n1000';
export const W2_SENDER = 'alice';
export const WARMUP_ROOM = 'warmup';

export function buildWorld(plan: WorldPlan): { rooms: WorldRoomInput[] } {
  const rooms: WorldRoomInput[] = [benchRoom(WARMUP_ROOM, 10)];
  for (const n of plan.w1Sizes) {
    rooms.push(benchRoom(w1Room(n, 'warm'), n), benchRoom(w1Room(n, 'restore'), n), benchRoom(w1Room(n, 'prof'), n));
    for (let r = 1; r <= plan.runs; r++) rooms.push(benchRoom(w1Room(n, `fresh-${r}`), n));
  }
  rooms.push(benchRoom(W2_ROOM, 10, [W2_SENDER, ...Array.from({ length: 9 }, (_, i) => `p${i}`)]));
  rooms.push(benchRoom(W2_BIG_ROOM, 1000, [W2_SENDER, ...Array.from({ length: 999 }, (_, i) => `p${i}`)]));
  rooms.push(benchRoom(W3_ROOM, 10));
  for (const [n, k] of plan.w5Rooms) for (let i = 0; i <= k; i++) rooms.push(benchRoom(w5Room(n, i), n)); // 0: warm-up
  for (let i = 1; i <= (plan.w5Rooms[0]?.[1] ?? 0); i++) rooms.push(benchRoom(w5HibernatedRoom(i), 10));
  return { rooms };
}

export async function writeWorld(path: string, plan: WorldPlan): Promise<void> {
  await writeFile(path, JSON.stringify(buildWorld(plan)));
}
