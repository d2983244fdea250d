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
/**
 * How many: five times the rooms of 10 measured active (1,000 in a full run). What a hibernated
 * room leaves is small next to the heap's noise after GC (±300 KB between readings here). The
 * world holds twice as many: a first set warms the code of their joins up (see w5-memory.ts).
 */
export const w5HibernatedCount = (w5Rooms: [number, number][]) => 5 * (w5Rooms[0]?.[1] ?? 0);
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
  // the sender last of the 1,000, as most speakers of a large room are far down its list
  rooms.push(benchRoom(W2_BIG_ROOM, 1000, [...Array.from({ length: 999 }, (_, i) => `p${i}`), W2_SENDER]));
  rooms.push(benchRoom(W3_ROOM, 10));
  for (const [n, k] of plan.w5Rooms) for (let i = 0; i <= k; i++) rooms.push(benchRoom(w5Room(n, i), n)); // 0: warm-up
  for (let i = 1; i <= 2 * w5HibernatedCount(plan.w5Rooms); i++) rooms.push(benchRoom(w5HibernatedRoom(i), 10));
  return { rooms };
}

export async function writeWorld(path: string, plan: WorldPlan): Promise<void> {
  await writeFile(path, JSON.stringify(buildWorld(plan)));
}

/*
 * W4 (bench/workloads/w4-many.ts) has a world file of its own, written next to the main one: its
 * 1,000 users must not be members of the main world's rooms (they list nobody, so everyone is a
 * member, and a session opens every room it is a member of at login), and every W4 room lists
 * its members.
 */
/** W4a: room `i` of a set of 200 rooms of 5 that one user joins at once (`set`: warm, cold-1 ...). */
export const w4aRoom = (set: string, i: number) => `w4a-${set}-${i}`;
/** W4b: the rooms shared by the W4 users, and the users (XMPP accounts `w4u<i>@localhost`). */
export const w4bRoom = (i: number) => `w4b-${i}`;
export const w4User = (i: number) => `w4u${i}`;
/** The legacy participant who posts W4b's background traffic. */
export const W4_POSTER = 'p1';

export interface W4Plan {
  /** W4a: one set of `aRooms` rooms of `aSize` participants per name, every room listing only `aUser`. */
  aSets: string[];
  aRooms: number;
  aSize: number;
  aUser: string;
  /** W4b: `users` users, each in `perUser` rooms of `perUser` users (so `users` rooms), `bSize` legacy participants each. */
  users: number;
  perUser: number;
  bSize: number;
  domain: string;
}

/** Members of W4b room `r`: users r, r + U/K, r + 2U/K ... (mod U); user u is then in K rooms. */
export function w4bMembers(plan: W4Plan, r: number): number[] {
  const step = plan.users / plan.perUser;
  return Array.from({ length: plan.perUser }, (_, k) => (r + k * step) % plan.users);
}

export function buildW4World(plan: W4Plan): { rooms: WorldRoomInput[] } {
  if (plan.users % plan.perUser) throw new Error(`W4: users (${plan.users}) must be a multiple of rooms per user (${plan.perUser})`);
  const rooms: WorldRoomInput[] = [];
  for (const set of plan.aSets) {
    for (let i = 0; i < plan.aRooms; i++) rooms.push({ ...benchRoom(w4aRoom(set, i), plan.aSize), members: [plan.aUser] });
  }
  for (let r = 0; r < plan.users; r++) {
    rooms.push({ ...benchRoom(w4bRoom(r), plan.bSize), members: w4bMembers(plan, r).map((u) => `${w4User(u)}@${plan.domain}`) });
  }
  return { rooms };
}
