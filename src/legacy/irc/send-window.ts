/**
 * How much an IRC connection may have written that the server has not read yet. Every
 * `markEvery` bytes a `PING :token` follows the lines; the server answers PINGs in order, after
 * the lines before them, so its PONG says that much was read. Lines wait (in the throttle)
 * while `size` bytes are unanswered.
 *
 * Why: InspIRCd 3 reads a client `netbuffersize` bytes at a time (10,240 by default; Debian's
 * 3.15 read 10,240 here with 65,536 configured). A read that fills the buffer is followed by a
 * "trial read" on its next loop turn, and what that read relays to the channel's members is
 * written only after its next `epoll_wait`: up to a second when no other socket wakes it. At
 * the end of a burst from XMPP (W3 through IRC, 10,000 messages) the channel heard its last
 * lines a second late (strace: a 10,240-byte read, a 2,049-byte trial read, a 1,000 ms wait).
 * With less than one buffer unanswered a read never fills it. It also keeps a slow server's
 * receive buffer from filling up with our lines, on any server.
 */
export interface SendWindowOptions {
  /** Bytes that may be written and not yet answered. */
  size: number;
  /** Bytes between two marking PINGs; less than `size`, so an answer always comes to open it. */
  markEvery: number;
  /**
   * How long lines wait for an answer before they go anyway (`forget`): a server that answers
   * no PING (a bouncer, a broken server) must not hold the user's lines until the connection's
   * ping timeout.
   */
  answerWithinMs: number;
}

/** Less than InspIRCd's default 10,240-byte read with a 512-byte line and its PING over it. */
export const SEND_WINDOW: SendWindowOptions = { size: 8 * 1024, markEvery: 2 * 1024, answerWithinMs: 5000 };

/** The prefix of the window's PING tokens (a barrier's are `rg-N`). */
const TOKEN = 'rg-w-';

export class SendWindow {
  /** Bytes written on this connection, and how many of them the server has answered for. */
  private written = 0;
  private answered = 0;
  private markedAt = 0;
  private marks: { token: string; upTo: number }[] = [];
  private n = 0;
  /** Set while the window is closed: it opens anyway when no answer comes in time (see `ready`). */
  private timer: NodeJS.Timeout | null = null;
  private gaveUp = false;

  /**
   * `onGiveUp` hears when the window opened without an answer, with the bytes unanswered and
   * whether it is the first time on this connection.
   */
  constructor(
    private readonly opts: SendWindowOptions = SEND_WINDOW,
    private readonly onGiveUp: (unanswered: number, first: boolean) => void = () => {},
  ) {
    if (!(opts.markEvery > 0 && opts.markEvery < opts.size)) throw new RangeError('send window: markEvery must be positive and less than size');
  }

  /** Bytes written and not answered yet. */
  get unanswered(): number { return this.written - this.answered; }

  /**
   * Whether another line may be written now. A closed window gives the server `answerWithinMs`
   * to answer; then everything written counts as answered, and `onGiveUp` is told (the caller
   * sends on: nothing else would open the window).
   */
  ready(): boolean {
    if (this.unanswered < this.opts.size) return true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const unanswered = this.unanswered;
      this.answered = this.written;
      this.marks = [];
      this.onGiveUp(unanswered, !this.gaveUp);
      this.gaveUp = true;
    }, this.opts.answerWithinMs).unref(); // the connection's socket keeps the process, not this
    return false;
  }

  /**
   * Counts a line written (without CRLF); returns the PING line to write right after it when a
   * mark is due, else null.
   */
  wrote(line: string): string | null {
    this.written += Buffer.byteLength(line) + 2;
    if (this.written - this.markedAt < this.opts.markEvery) return null;
    const token = `${TOKEN}${++this.n}`;
    const ping = `PING :${token}`;
    this.written += ping.length + 2;
    this.markedAt = this.written;
    this.marks.push({ token, upTo: this.written });
    return ping;
  }

  /** A PONG's token: true when it was one of the window's (the window may have opened). */
  answer(token: string): boolean {
    if (!token.startsWith(TOKEN)) return false;
    const i = this.marks.findIndex((m) => m.token === token);
    if (i >= 0) this.answered = this.marks.splice(0, i + 1)[i]!.upTo;
    this.stopTimer();
    return true;
  }

  /** A new connection (or none): nothing written on it yet. */
  reset(): void {
    this.written = this.answered = this.markedAt = 0;
    this.marks = [];
    this.gaveUp = false;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
