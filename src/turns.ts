import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Turns of the event loop for a long run of work whose awaits resolve without I/O (a job's
 * events applied one after the other, a burst of network events turned into room events).
 * Such work is one chain of microtasks: nothing else in the process runs until it ends, not
 * the socket reads and writes, not the Redis answers, not the lease timers. `take()` gives the
 * event loop a turn once `everyMs` have passed since the last one, and costs nothing otherwise.
 */
export class Turns {
  private last = performance.now();

  constructor(private readonly everyMs: number) {}

  /** A turn of the event loop when one is due; undefined (nothing to wait for) otherwise. */
  take(): Promise<void> | undefined {
    if (performance.now() - this.last < this.everyMs) return undefined;
    return nextTurn().then(() => { this.last = performance.now(); });
  }
}
