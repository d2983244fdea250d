/**
 * irc-framework's TCP/TLS transport with one change: each line is decoded as UTF-8 when it is
 * valid UTF-8 and as Latin-1 otherwise (irc-framework uses one fixed encoding per connection,
 * which turns the bytes of a Latin-1 client into U+FFFD). Everything else is irc-framework's.
 */
import NetTransport from 'irc-framework/src/transports/net.js';
import { decodeIrcLine } from './mapping.ts';

export class FallbackTransport extends NetTransport {
  override onSocketData(data: Buffer): void {
    this.incoming_buffer = Buffer.concat([this.incoming_buffer, data]);
    let start = 0;
    for (;;) {
      const end = this.incoming_buffer.indexOf(0x0a, start) + 1;
      if (end === 0) break;
      this.emit('line', decodeIrcLine(this.incoming_buffer.subarray(start, end)));
      start = end;
    }
    this.incoming_buffer = this.incoming_buffer.subarray(start);
  }
}
