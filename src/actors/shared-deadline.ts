/**
 * Whether promises settle within a time limit, for many promises at once: one timer serves
 * every call started within `ms` of it (a timer per user message was W3's cost), so a call gets
 * `ms` to `2 × ms`. A call that settles in time leaves the timer's list at once. Raced against
 * one shared promise instead, every call's reaction stayed in the heap until that timer fired:
 * with the room hooks' 60 s limit, every hook of the last 2 minutes (W3: each user message).
 */
export class SharedDeadline {
  private current: { since: number; waiting: Set<(settled: boolean) => void> } | null = null;
  private pending = 0;

  constructor(private readonly ms: number) {}

  /** True once `work` fulfilled, false once the limit passed first; rejects as `work` does. */
  within(work: Promise<unknown>): Promise<boolean> {
    const { waiting } = this.timer();
    this.pending++;
    // the promise's own resolve is what the timer calls: no closure of ours per call to name
    // (tsx keeps function names, at a defineProperty per closure made: W3 makes one call a message)
    return new Promise<boolean>((resolve, reject) => {
      waiting.add(resolve);
      work.then(
        () => { if (waiting.delete(resolve)) { this.pending--; resolve(true); } },
        (err: unknown) => { if (waiting.delete(resolve)) { this.pending--; reject(err); } },
      );
    });
  }

  /** Calls not settled yet whose limit has not passed. */
  get waiting(): number {
    return this.pending;
  }

  private timer(): { waiting: Set<(settled: boolean) => void> } {
    const now = Date.now();
    if (this.current && now - this.current.since < this.ms) return this.current;
    const waiting = new Set<(settled: boolean) => void>();
    setTimeout(() => {
      this.pending -= waiting.size;
      for (const resolve of waiting) resolve(false);
      waiting.clear();
    }, 2 * this.ms).unref();
    this.current = { since: now, waiting };
    return this.current;
  }
}
