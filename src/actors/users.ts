/** The registered users: who may reach a session (spec §2.1.4), and their registration fields. */
import type { Redis } from 'ioredis';
import type { GatewayUser } from '../legacy/session.ts';
import type { Keys } from './keys.ts';
import { avatarsOf } from './avatar-refs.ts';
import { withScripts } from './scripts.ts';

export interface UserStore {
  get(jid: string): Promise<GatewayUser | null>;
  put(user: GatewayUser): Promise<void>;
  /** Deletes the user and every room of theirs (snapshots, archives). */
  remove(jid: string): Promise<void>;
  all(): Promise<string[]>;
  /** The users of one partition. */
  ofPartition(partition: number): Promise<string[]>;
  /** Drops what a cache knows of a user (another process changed it: `roomgate users`). */
  forget(jid: string): void;
}

/**
 * The worker's view: registrations are read once and kept in memory, since every stanza and
 * legacy event asks for them (a Redis round trip each, the biggest cost in the W2/W3 profiles).
 * It stays right because a user's registration only changes through the user's own partition
 * mailbox (registration stanzas, and the control jobs `roomgate users` sends), which this
 * worker alone applies while it owns the partition.
 */
export function cachedUserStore(store: UserStore): UserStore {
  const cache = new Map<string, Promise<GatewayUser | null>>();
  return {
    ...store,
    get(jid) {
      let user = cache.get(jid);
      if (!user) {
        user = store.get(jid);
        cache.set(jid, user);
        user.catch(() => cache.delete(jid));
      }
      return user;
    },
    async put(user) {
      cache.delete(user.jid);
      await store.put(user);
    },
    async remove(jid) {
      cache.delete(jid);
      await store.remove(jid);
    },
    forget(jid) { cache.delete(jid); },
  };
}

export function userStore(redis: Redis, keys: Keys): UserStore {
  return {
    async get(jid) {
      const raw = await redis.get(keys.user(jid));
      return raw ? { jid, registration: JSON.parse(raw) as Record<string, string> } : null;
    },
    async put(user) {
      await redis.multi()
        .set(keys.user(user.jid), JSON.stringify(user.registration))
        .sadd(keys.usersIndex(), user.jid)
        .sadd(keys.partitionUsers(keys.partitionOf(user.jid)), user.jid)
        .exec();
    },
    async remove(jid) {
      const rooms = await redis.smembers(keys.userRooms(jid));
      // the images the rooms showed are used by one room fewer each (spec §3.6, §3.7)
      const snapshots = rooms.length ? await redis.mget(rooms.map((legacyId) => keys.roomSnapshot(jid, legacyId))) : [];
      const hashes = snapshots.flatMap((json) => (json ? [...avatarsOf((JSON.parse(json) as { context?: object }).context)] : []));
      const partition = keys.partitionOf(jid);
      if (hashes.length) await withScripts(redis).releaseAvatars(keys.partitionAvatars(partition), keys.partitionAvatarRefs(partition), ...hashes);
      const multi = redis.multi().del(keys.user(jid), keys.userRooms(jid), keys.sessionCursor(jid)).srem(keys.usersIndex(), jid)
        .srem(keys.partitionUsers(keys.partitionOf(jid)), jid);
      for (const legacyId of rooms) {
        multi.del(...keys.roomKeys(jid, legacyId));
      }
      await multi.exec();
    },
    async all() {
      return (await redis.smembers(keys.usersIndex())).sort();
    },
    async ofPartition(partition) {
      return (await redis.smembers(keys.partitionUsers(partition))).sort();
    },
    forget() { /* nothing cached */ },
  };
}
