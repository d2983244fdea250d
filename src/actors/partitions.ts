/** Which partition a user belongs to: FNV-1a of the bare JID, modulo the partition count. */
export function partitionOf(user: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) {
    hash ^= user.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
