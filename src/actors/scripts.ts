/** The Lua scripts of `actors/scripts/`, loaded once per Redis client as custom commands. */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ArchiveKeyList } from './keys.ts';

const read = (name: string) => readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
/** A script that works on a room's archive, with the archive's functions before it. */
const withArchive = (name: string) => `${read('archive-lib')}\n${read(name)}`;

/** Name → [lua, number of KEYS] (`null`: the caller passes the count, as the script's name says n). */
const SCRIPTS: Record<string, [string, number | null]> = {
  acquireLease: [read('acquire-lease-2'), 2],
  renewLease: [read('renew-lease-1'), 1],
  releaseLease: [read('release-lease-1'), 1],
  recoverActive: [read('recover-active-3'), 3],
  commitPartition: [withArchive('commit-partition-n'), null],
  ackOutbound: [read('ack-outbound-n'), null],
  readRooms: [read('read-rooms-n'), null],
  trimArchive: [withArchive('trim-archive-7'), 7],
  readArchive: [withArchive('read-archive-6'), 6],
  releaseAvatars: [read('release-avatars-2'), 2],
};

export interface ScriptCommands {
  acquireLease(lease: string, fence: string, workerId: string, ttlMs: number): Promise<string | null>;
  renewLease(lease: string, value: string, ttlMs: number): Promise<number>;
  releaseLease(lease: string, value: string): Promise<number>;
  recoverActive(lease: string, active: string, wait: string, value: string, jobPrefix: string): Promise<number>;
  commitPartition(numKeys: number, ...args: (string | number | Buffer)[]): Promise<number>;
  ackOutbound(numKeys: number, ...args: (string | number | Buffer)[]): Promise<number>;
  /** Per room (three keys each: snapshot, marks, own ids): snapshot, marks, own ids. */
  readRooms(numKeys: number, ...keys: string[]): Promise<(string | null | string[])[]>;
  /** Drops archived messages older than `cutoffMs`; -1 when the lease is not held. */
  trimArchive(lease: string, ...keysThenArgs: [...ArchiveKeyList, string, number]): Promise<number>;
  /** A room's archive read in time order (see read-archive-6.lua for what it answers). */
  readArchive(...keysThenArgs: [...ArchiveKeyList, ...(string | number)[]]): Promise<unknown[]>;
  /** One room fewer uses each of `hashes` (once per room); returns how many images left the store. */
  releaseAvatars(store: string, refs: string, ...hashes: string[]): Promise<number>;
}

/** The client with roomgate's scripts defined on it. */
export function withScripts(redis: Redis): Redis & ScriptCommands {
  for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, numberOfKeys === null ? { lua } : { lua, numberOfKeys });
  }
  return redis as Redis & ScriptCommands;
}
