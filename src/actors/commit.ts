import { ByteBuffer } from '../byte-buffer.ts';
import { archiveKeyList, type ArchiveKeys, type Keys } from './keys.ts';

/**
 * The arguments of one fenced commit (`scripts/commit-partition-n.lua`): each key named once by
 * its index in KEYS, and the ops as flat ARGV, values passed as they are. No JSON around
 * them: a snapshot or archive entry is not escaped into an ops document and decoded in Lua.
 * A room's archive entries travel as one length-prefixed argument, which Lua splits.
 */
export class CommitBuilder {
  private readonly keyIndex = new Map<string, number>();
  private readonly ops: (string | number | Buffer)[] = [];
  /**
   * Archive entries per list, in order, each list's as one argument: five arguments per
   * message cost more in ioredis (a length and a concatenation per argument) than in Lua.
   */
  private readonly archives = new Map<string, { keys: ArchiveKeys; payload: ByteBuffer }>();

  private k(key: string): number {
    let i = this.keyIndex.get(key);
    if (i === undefined) {
      i = this.keyIndex.size + 4; // KEYS[1] lease, KEYS[2] outbound stream, KEYS[3] last commit
      this.keyIndex.set(key, i);
    }
    return i;
  }

  set(key: string, value: string): this { this.ops.push('set', this.k(key), bulk(value)); return this; }
  del(key: string): this { this.ops.push('del', this.k(key)); return this; }
  sadd(key: string, member: string): this { this.ops.push('sadd', this.k(key), member); return this; }
  /**
   * One room more (+1) or fewer (-1) uses the image `hash`: kept in `store` with `value` (its
   * JSON, '' when not at hand) while `refs` counts any room; deleted from both at 0.
   */
  avatarRef(store: string, refs: string, hash: string, delta: 1 | -1, value = ''): this {
    this.ops.push('avatar-ref', this.k(store), this.k(refs), hash, delta, bulk(value));
    return this;
  }
  srem(key: string, member: string): this { this.ops.push('srem', this.k(key), member); return this; }
  /** Appends `values` to `list` and keeps its last `keep` items. */
  push(list: string, keep: number, values: string[]): this {
    this.ops.push('push', this.k(list), keep, values.length, ...values);
    return this;
  }
  /**
   * Appends `entry` (its time `ms`) to the room's archive unless its `stanzaId` is there already
   * (a replayed job). Archive entries are written before the other ops.
   */
  archive(archive: ArchiveKeys, stanzaId: string, ms: number, entry: string): this {
    let a = this.archives.get(archive.list);
    if (!a) this.archives.set(archive.list, a = { keys: archive, payload: new ByteBuffer() });
    a.payload.writePrefixed(stanzaId);
    a.payload.writePrefixed(String(ms));
    a.payload.writePrefixed(entry);
    return this;
  }

  /**
   * `commitPartition`'s arguments: the key count, the keys, the lease, the commit's id (unique
   * per lease: the script applies a commit sent twice once), the stanzas (UTF-8), the ops.
   */
  args(
    keys: Pick<Keys, 'partitionLease' | 'outStream' | 'partitionLastCommit'>, partition: number, lease: string, commitId: string, stanzas: Buffer,
  ): [number, ...(string | number | Buffer)[]] {
    const archives: (string | number | Buffer)[] = [];
    for (const { keys: a, payload } of this.archives.values()) {
      archives.push('archives', ...archiveKeyList(a).map((key) => this.k(key)), payload.bytes());
    }
    const named = [keys.partitionLease(partition), keys.outStream(partition), keys.partitionLastCommit(partition), ...this.keyIndex.keys()];
    return [named.length, ...named, lease, commitId, stanzas, ...archives, ...this.ops];
  }
}

/**
 * A long value as UTF-8 bytes: ioredis writes a Buffer argument as it is, where it joins string
 * arguments into one command string first and the socket encodes that (in W2's profile, the
 * commit's string write was 9 % of roomgate's time; bytes cost a third less CPU per commit).
 */
function bulk(value: string): string | Buffer {
  return value.length > 1024 ? Buffer.from(value) : value;
}
