/**
 * Receipts for what the edge writes to the XMPP server. XEP-0114 has no acknowledgements, and
 * bytes written to a socket are not yet the server's: a connection that breaks loses what its
 * buffers held. A ping the component sends to its own JID comes back once the server has
 * routed everything written before it (a server handles one connection's stanzas in order), so
 * a write is taken when a ping written after it is back. One ping at a time covers every write
 * before it: under load they cost one stanza per round trip. One instance per connection.
 */
import { escapeAttr } from './xmpp/stanza.ts';

/** How long a ping may stay out before a log line says so (the entries stay pending meanwhile). */
export const RECEIPT_SILENT_MS = 30_000;

export interface WriteReceiptsOptions {
  /** The component's JID: the pings go from it to it. */
  jid: string;
  /** Tells pings of different connections apart. */
  connection: number;
  /** Writes a ping after what was written so far. */
  send(xml: string): void;
  /** Called once when a ping has not come back after `silentMs`. */
  silent(waitedMs: number): void;
  silentMs?: number;
}

export interface WriteReceipts {
  /** Call after each write: resolves once the server has taken it, rejects if the connection breaks first. */
  wrote(): Promise<void>;
  /** An iq from the component's own JID: true when it was one of these pings coming back. */
  answered(id: string): boolean;
  /** The connection broke: every receipt still waiting fails, and later ones fail at once. */
  broken(): void;
}

export const RECEIPT_ID_PREFIX = 'roomgate-receipt-';

export function writeReceipts(opts: WriteReceiptsOptions): WriteReceipts {
  let written = 0; // writes on this connection
  let covered = 0; // writes the ping out covers
  let pings = 0;
  let out: string | null = null; // the ping out, by id
  let isBroken = false;
  let timer: NodeJS.Timeout | undefined;
  const waiting: { upTo: number; resolve: () => void; reject: (err: Error) => void }[] = [];

  const ping = () => {
    covered = written;
    out = `${RECEIPT_ID_PREFIX}${opts.connection}-${++pings}`;
    const jid = escapeAttr(opts.jid);
    opts.send(`<iq type="get" from="${jid}" to="${jid}" id="${out}"><ping xmlns="urn:xmpp:ping"/></iq>`);
    clearTimeout(timer);
    const silentMs = opts.silentMs ?? RECEIPT_SILENT_MS;
    timer = setTimeout(() => opts.silent(silentMs), silentMs);
    timer.unref?.();
  };

  return {
    wrote() {
      if (isBroken) return Promise.reject(new Error('the XMPP connection broke'));
      written++;
      const receipt = new Promise<void>((resolve, reject) => waiting.push({ upTo: written, resolve, reject }));
      if (out === null) ping();
      return receipt;
    },
    answered(id) {
      if (!id.startsWith(RECEIPT_ID_PREFIX)) return false;
      if (id !== out) return true; // a ping of an earlier connection: nothing waits on it
      out = null;
      clearTimeout(timer);
      let n = 0;
      while (n < waiting.length && waiting[n]!.upTo <= covered) waiting[n++]!.resolve();
      waiting.splice(0, n);
      if (written > covered) ping();
      return true;
    },
    broken() {
      isBroken = true;
      out = null;
      clearTimeout(timer);
      const err = new Error('the XMPP connection broke before the server took these stanzas');
      for (const w of waiting.splice(0)) w.reject(err);
    },
  };
}
