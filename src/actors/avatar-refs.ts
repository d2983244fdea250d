/**
 * Which images a room uses (spec §3.6, §3.7): its own avatar and its participants'. The commit
 * compares what a room used at its last commit with what it uses now, and counts the rooms of
 * the partition that use each image (`Keys.partitionAvatarRefs`), so an image is stored once
 * per partition and leaves when the last room that showed it no longer does.
 */
import type { RoomContext } from '../machines/room.ts';

/** The SHA-1s of the images a room's state uses; none for no state. */
export function avatarsOf(context: object | undefined): Set<string> {
  const used = new Set<string>();
  if (!context) return used;
  const c = context as Partial<RoomContext>;
  if (c.info?.avatar) used.add(c.info.avatar.hash);
  for (const p of c.participants ?? []) if (p.avatar) used.add(p.avatar.hash);
  return used;
}

/** The images a room started and stopped using between two of its states. */
export function avatarChanges(before: object | undefined, after: object | undefined): { added: string[]; removed: string[] } {
  const [b, a] = [before as Partial<RoomContext> | undefined, after as Partial<RoomContext> | undefined];
  // the same lists (a room's state is copied on write): nothing to compare in a room of 10,000
  if (b && a && b.info === a.info && b.participants === a.participants) return { added: [], removed: [] };
  const was = avatarsOf(before);
  const is = avatarsOf(after);
  return { added: [...is].filter((h) => !was.has(h)), removed: [...was].filter((h) => !is.has(h)) };
}
