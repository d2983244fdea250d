/**
 * irc-framework's TCP/TLS transport with two changes: each line is decoded as UTF-8 when it is
 * valid UTF-8 and as Latin-1 otherwise (irc-framework uses one fixed encoding per connection,
 * which turns the bytes of a Latin-1 client into U+FFFD); and the socket sends without Nagle's
 * delay (irc-framework leaves it on, and a line written while the last one is not yet
 * acknowledged can wait for the server's delayed ACK, up to 40 ms on Linux; IrcLink already
 * writes a turn's lines together). And `textLine` may take a line before irc-framework does
 * (IrcLink's channel messages). Everything else is irc-framework's.
 */
import type { Socket } from 'node:net';
import NetTransport from 'irc-framework/src/transports/net.js';
import { decodeIrcLine } from './mapping.ts';

export class FallbackTransport extends NetTransport {
  /** Takes a line (true) or leaves it to irc-framework (false). */
  textLine: ((line: string) => boolean) | null = null;

  override _onSocketCreate(options: Record<string, unknown>, socket: Socket): void {
    socket.setNoDelay(true);
    super._onSocketCreate(options, socket);
  }

  override onSocketData(data: Buffer): void {
    this.incoming_buffer = Buffer.concat([this.incoming_buffer, data]);
    let start = 0;
    for (;;) {
      const end = this.incoming_buffer.indexOf(0x0a, start) + 1;
      if (end === 0) break;
      const line = decodeIrcLine(this.incoming_buffer.subarray(start, end));
      if (!this.textLine?.(line)) this.emit('line', line);
      start = end;
    }
    this.incoming_buffer = this.incoming_buffer.subarray(start);
  }
}
