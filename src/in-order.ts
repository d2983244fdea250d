import { Turns } from './turns.ts';

/**
 * Work handled one item at a time, in the order it came: a plugin's network listener `push`es
 * each event, and `handle` turns it into room calls (which await: `byLegacyId`,
 * `getParticipant`). A promise chain does the same (`chain = chain.then(...)`) but allocates
 * its promises and closures in the listener, per event, and keeps them until their turn (W2
 * posts 10,000 at once); here an event costs an array slot (BENCHMARKS, eleventh pass). With
 * `turnMs`, the event loop gets a turn every `turnMs` of handling (see `Turns`), so a burst
 * does not hold up the process's sockets.
 */
export class InOrder<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private running: Promise<void> | null = null;
  private readonly turns: Turns | null;

  constructor(
    private readonly handle: (item: T) => Promise<void> | void,
    /** Called when `handle` throws; the next items are handled all the same. */
    private readonly failed: (err: unknown, item: T) => void,
    opts: { turnMs?: number } = {},
  ) {
    this.turns = opts.turnMs === undefined ? null : new Turns(opts.turnMs);
  }

  push(item: T): void {
    this.items.push(item);
    this.running ??= this.drain();
  }

  /** Resolves once every item pushed so far (and since) is handled. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    // the first item waits for the pusher's synchronous run to end, as a chain's would
    await undefined;
    while (this.head < this.items.length) {
      const turn = this.turns?.take();
      if (turn) await turn;
      const item = this.items[this.head] as T;
      this.items[this.head++] = undefined; // handled: not kept alive by the queue
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      try {
        await this.handle(item);
      } catch (err) {
        this.failed(err, item);
      }
    }
    this.items = [];
    this.head = 0;
    this.running = null;
  }
}
