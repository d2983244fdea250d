/**
 * Strings appended as UTF-8 into one growing Buffer: the long values a commit sends to Redis
 * (outbound stanzas, archive entries). Writing each string as it comes costs a fifth of joining
 * them and encoding the result: 1,000 presences took 0.2–0.4 ms instead of 1.6–2.1 ms.
 */
export class ByteBuffer {
  private buf: Buffer | null = null;
  /** Bytes written so far. */
  length = 0;

  write(s: string): void {
    // a UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4)
    const needed = this.length + s.length * 3;
    if (!this.buf || this.buf.length < needed) this.grow(needed);
    this.length += this.buf!.write(s, this.length);
  }

  /** Writes `<bytes>:<s>`: the reader (Lua) counts bytes, not UTF-16 units. */
  writePrefixed(s: string): void {
    this.write(`${Buffer.byteLength(s)}:`);
    this.write(s);
  }

  /** What was written (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf ? this.buf.subarray(0, this.length) : Buffer.alloc(0);
  }

  private grow(needed: number): void {
    // doubling from what the first write needs: a buffer that stays small (a room's one archive
    // entry in a commit) comes from Node's shared pool instead of a 16 KB allocation of its own
    // (W6, a commit touching 32 rooms: ≈ 2 % of a worker's time went to allocating them)
    const next = Buffer.allocUnsafe(Math.max(needed, (this.buf?.length ?? 0) * 2));
    this.buf?.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}
