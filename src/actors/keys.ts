/**
 * Every Redis key and BullMQ prefix roomgate uses. Keys of one partition carry the hash tag
 * `{p:N}`, so on Redis Cluster a partition's queue, users, snapshots and archives share a slot.
 * No other file joins key parts with ':'.
 */
import { partitionOf } from './partitions.ts';

export interface Keys {
  partitions: number;
  partitionOf(user: string): number;
  /** BullMQ prefix of partition N's mailbox queue. */
  mailboxPrefix(partition: number): string;
  /** A packed batch of a partition's mailbox (see `PACK_FROM`), until its job's last commit. */
  mailboxPayload(partition: number, id: string): string;
  /** Stream of a partition's outbound stanzas, written by the commit, drained by the edge. */
  outStream(partition: number): string;
  /** A partition's lease ("<worker>#<token>") and its fencing counter. */
  partitionLease(partition: number): string;
  /** The id of a partition's last commit: a commit sent again is applied once (commit-partition-n.lua). */
  partitionLastCommit(partition: number): string;
  partitionFence(partition: number): string;
  /**
   * List of the ids of the mailbox adds a partition's jobs finished, newest last: an add that
   * Redis ran twice (sent again after its answer was lost) and whose first job is done is dropped.
   */
  partitionAdds(partition: number): string;
  /** Set of the registered users of a partition (logged in by whoever owns it). */
  partitionUsers(partition: number): string;
  /** Sorted set of live workers: member worker id, score the time its registration expires. */
  workers(): string;
  /** The edge's lease: one active component connection, standbys wait for it. */
  edgeLease(): string;
  /** Set of every registered user's bare JID. */
  usersIndex(): string;
  /** Hash: a registered user's registration fields (JSON). */
  user(user: string): string;
  /** Set of a user's room legacy ids that have a snapshot. */
  userRooms(user: string): string;
  roomSnapshot(user: string, legacyId: string): string;
  /**
   * A room's replay watermark (`delivered`, `applied`, JSON) when it changed since the snapshot
   * and nothing else did: newer than the snapshot's own, which a restore then takes it over.
   */
  roomMarks(user: string, legacyId: string): string;
  /**
   * List of the user's own message ids in a room (JSON [legacyId, xmppId]), newest last: the
   * room's `ownIds`, appended at each commit instead of rewritten inside the snapshot.
   */
  roomOwnIds(user: string, legacyId: string): string;
  /** A session's resume point on its legacy network. */
  sessionCursor(user: string): string;
  /** A room's message archive: its keys (layout in scripts/archive-lib.lua). */
  archive(user: string, legacyId: string): ArchiveKeys;
  /**
   * Hash of the images the partition's rooms show (spec §3.6, §3.7), each once: SHA-1 → JSON
   * (hash, mime, legacy id, bytes in base64). A group's avatar seen by many users, or a person's
   * in many groups, is kept once per partition.
   */
  partitionAvatars(partition: number): string;
  /** Hash SHA-1 → how many of the partition's rooms use that image; at 0 it leaves `partitionAvatars`. */
  partitionAvatarRefs(partition: number): string;
  /** Every key of a room above (snapshot, marks, own ids, archive): what an ended or removed room deletes. */
  roomKeys(user: string, legacyId: string): string[];
  /** Set of the partition's rooms that have joined resources (JSON [user, legacyId]): told at shutdown. */
  joinedRooms(partition: number): string;
  /** List of events that could not be processed, with the reason (JSON). */
  deadLetters(): string;
  /** Pub/sub channel: the edge publishes there the answers to the workers' upload slot requests (XEP-0363). */
  uploadAnswers(): string;
  /** JSON of an attachment already uploaded, by its legacy file id: sent again without a new upload. */
  uploadedFile(legacyFileId: string): string;
}

/**
 * A room's archive, in four keys (layout in scripts/archive-lib.lua), and the two that archives
 * were kept in before it had a time index: a worker of an older version still writes those
 * during a rolling upgrade, and the scripts move what they find there into the four.
 */
export interface ArchiveKeys {
  /** The list of entries written before the time index (oldest first, backfills after). */
  oldList: string;
  /** Its hash stanza id → 1. */
  oldIds: string;
  /** The entries, in the order they reached the archive. */
  list: string;
  /** How many entries retention took from the list's head. */
  base: string;
  /** Hash stanza id → the entry's number: appends are idempotent, anchors are found. */
  ids: string;
  /** The time index: entry numbers by time. */
  times: string;
}

/** The archive's keys in the order the archive scripts take them. */
export type ArchiveKeyList = [oldList: string, oldIds: string, list: string, base: string, ids: string, times: string];
export const archiveKeyList = (a: ArchiveKeys): ArchiveKeyList => [a.oldList, a.oldIds, a.list, a.base, a.ids, a.times];

export function createKeys(prefix: string, partitions: number): Keys {
  const tag = (user: string) => `${prefix}:{p:${partitionOf(user, partitions)}}`;
  const room = (user: string, legacyId: string) => `${tag(user)}:room:${user}:${encodeURIComponent(legacyId)}`;
  const keys: Keys = {
    partitions,
    partitionOf: (user) => partitionOf(user, partitions),
    mailboxPrefix: (n) => `${prefix}:{p:${n}}`,
    mailboxPayload: (n, id) => `${prefix}:{p:${n}}:payload:${id}`,
    outStream: (n) => `${prefix}:{p:${n}}:out`,
    partitionLease: (n) => `${prefix}:{p:${n}}:lease`,
    partitionLastCommit: (n) => `${prefix}:{p:${n}}:last-commit`,
    partitionFence: (n) => `${prefix}:{p:${n}}:fence`,
    partitionAdds: (n) => `${prefix}:{p:${n}}:adds`,
    partitionUsers: (n) => `${prefix}:{p:${n}}:users`,
    workers: () => `${prefix}:workers`,
    edgeLease: () => `${prefix}:edge-lease`,
    usersIndex: () => `${prefix}:users`,
    user: (user) => `${tag(user)}:user:${user}`,
    userRooms: (user) => `${tag(user)}:rooms:${user}`,
    sessionCursor: (user) => `${tag(user)}:cursor:${user}`,
    roomSnapshot: (user, legacyId) => `${room(user, legacyId)}:snapshot`,
    roomMarks: (user, legacyId) => `${room(user, legacyId)}:marks`,
    roomOwnIds: (user, legacyId) => `${room(user, legacyId)}:own-ids`,
    archive: (user, legacyId) => {
      const r = room(user, legacyId);
      return { oldList: `${r}:archive`, oldIds: `${r}:archive-ids`, list: `${r}:archive2`, base: `${r}:archive2-base`, ids: `${r}:archive2-ids`, times: `${r}:archive2-times` };
    },
    partitionAvatars: (n) => `${prefix}:{p:${n}}:avatars`,
    partitionAvatarRefs: (n) => `${prefix}:{p:${n}}:avatar-refs`,
    roomKeys: (user, legacyId) => [
      keys.roomSnapshot(user, legacyId), keys.roomMarks(user, legacyId), keys.roomOwnIds(user, legacyId),
      ...archiveKeyList(keys.archive(user, legacyId)),
    ],
    joinedRooms: (n) => `${prefix}:{p:${n}}:joined-rooms`,
    deadLetters: () => `${prefix}:dead-letters`,
    uploadAnswers: () => `${prefix}:upload-answers`,
    uploadedFile: (legacyFileId) => `${prefix}:uploaded:${encodeURIComponent(legacyFileId)}`,
  };
  return keys;
}
