/**
 * Outgoing IRC lines through a token bucket, so a burst from XMPP (a long pasted message, many
 * joins) never gets the gateway flood-kicked: up to `burst` lines at once, then `perSecond`.
 */

export interface ThrottleOptions {
  /** Lines that may go out at once after a quiet period. */
  burst: number;
  /** Sustained lines per second. */
  perSecond: number;
  /** Writes one line (without CRLF) to the connection. */
  write(line: string): void;
  /**
   * Whether the connection takes another line now (IrcLink's send window); while it does not,
   * lines wait here, tokens or not, until `resume()`. Default: always.
   */
  ready?: () => boolean;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Timer (tests pass a fake one). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

interface Queued {
  line: string;
  /** Called with the line when it is dropped instead of sent (the connection went away). */
  onDrop: ((line: string) => void) | undefined;
  /** Called when the line was written. */
  onSent: (() => void) | undefined;
}

export class Throttle {
  private tokens: number;
  private last: number;
  private readonly queue: Queued[] = [];
  private timer: unknown = null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly opts: ThrottleOptions) {
    if (!(opts.burst >= 1)) throw new RangeError('throttle burst must be at least 1');
    if (!(opts.perSecond > 0)) throw new RangeError('throttle perSecond must be positive');
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    this.tokens = opts.burst;
    this.last = this.now();
  }

  /** Lines waiting for a token. */
  get pending(): number { return this.queue.length; }

  /** Queues a line; it goes out now if a token is free, else in order when one is. */
  push(line: string, hooks: { onDrop?: (line: string) => void; onSent?: () => void } = {}): void {
    this.queue.push({ line, onDrop: hooks.onDrop, onSent: hooks.onSent });
    this.drain();
  }

  /** Sends what waits as far as tokens and `ready` allow: call it when `ready` turns true. */
  resume(): void {
    this.drain();
  }

  /** Drops every queued line (calling their `onDrop`); returns how many. */
  clear(): number {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    const dropped = this.queue.splice(0);
    for (const q of dropped) q.onDrop?.(q.line);
    return dropped.length;
  }

  /** Refills the bucket for the time passed, then sends while tokens last. */
  private drain(): void {
    this.refill();
    const ready = this.opts.ready;
    while (this.queue.length && this.tokens >= 1 && (!ready || ready())) {
      this.tokens -= 1;
      const q = this.queue.shift()!;
      this.opts.write(q.line);
      q.onSent?.();
    }
    // out of tokens: a timer for the next one; not ready: `resume()` comes
    if (this.queue.length && this.tokens < 1 && this.timer === null) {
      const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.opts.perSecond) * 1000));
      this.timer = this.setTimer(() => {
        this.timer = null;
        this.drain();
      }, wait);
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) / 1000) * this.opts.perSecond);
    this.last = now;
  }
}
