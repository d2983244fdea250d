/**
 * A lean XMPP client for the bench: @xmpp/client for login, then one replaceable stanza sink
 * (no buffering of everything, as the test wrapper does) and raw writes of pre-serialised
 * stanzas, so that the client costs as little as it can on this 2-core machine.
 */
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from 'ltx';

export { xml };
export type { Element };

export type Sink = (el: Element) => void;

export interface BenchClient {
  jid: string;
  bareJid: string;
  xmpp: Client;
  /** Where received stanzas go (replaced per workload); iq replies go to `iq()` callers. */
  sink: Sink;
  /** Writes raw XML (one or many stanzas); resolves when the socket took it. */
  write(text: string): Promise<void>;
  send(el: Element): Promise<void>;
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** Resolves with the first stanza matching `predicate` (the sink is restored after). */
  waitFor(predicate: (el: Element) => boolean, timeoutMs?: number, what?: string): Promise<Element>;
  stop(): Promise<void>;
}

let iqCounter = 0;

export async function connectBenchClient(opts: { service: string; domain: string; username: string; password: string; resource?: string }): Promise<BenchClient> {
  const xmpp = client({ service: opts.service, domain: opts.domain, username: opts.username, password: opts.password, resource: opts.resource ?? 'bench' });
  (xmpp as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
  const errors: string[] = [];
  xmpp.on('error', (err: Error) => { errors.push(err.message); });
  const iqs = new Map<string, (el: Element) => void>();
  const bc: BenchClient = {
    jid: '', bareJid: '', xmpp,
    sink: () => undefined,
    write: (text) => (xmpp as unknown as { write(s: string): Promise<void> }).write(text),
    send: (el) => xmpp.send(el),
    async iq(el, timeoutMs = 10_000) {
      const id = el.attrs.id ?? `bench-iq-${++iqCounter}`;
      el.attrs.id = id;
      const reply = new Promise<Element>((resolve, reject) => {
        const timer = setTimeout(() => { iqs.delete(id); reject(new Error(`iq ${id}: no reply within ${timeoutMs} ms`)); }, timeoutMs);
        iqs.set(id, (r) => { clearTimeout(timer); resolve(r); });
      });
      await xmpp.send(el);
      return reply;
    },
    waitFor(predicate, timeoutMs = 30_000, what = 'stanza') {
      const previous = bc.sink;
      return new Promise<Element>((resolve, reject) => {
        const timer = setTimeout(() => { bc.sink = previous; reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
        bc.sink = (el) => {
          if (!predicate(el)) return previous(el);
          clearTimeout(timer);
          bc.sink = previous;
          resolve(el);
        };
      });
    },
    async stop() {
      const t = setTimeout(() => (xmpp as unknown as { socket?: { destroy(): void } | null }).socket?.destroy(), 5000);
      await xmpp.stop().catch(() => undefined);
      clearTimeout(t);
    },
  };
  xmpp.on('stanza', (el: Element) => {
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      const waiter = iqs.get(el.attrs.id);
      if (waiter) { iqs.delete(el.attrs.id); waiter(el); return; }
    }
    bc.sink(el);
  });
  try {
    await xmpp.start();
  } catch (err) {
    throw new Error(`login of ${opts.username}@${opts.domain} failed: ${(err as Error).message} ${errors.join('; ')}`);
  }
  bc.jid = String(xmpp.jid);
  bc.bareJid = bc.jid.split('/')[0]!;
  return bc;
}

/** XML-escapes text for attribute values and character data. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Writes pre-serialised stanzas in chunks of `per` stanzas per socket write. */
export async function writeAll(c: BenchClient, stanzas: string[], per = 100): Promise<void> {
  for (let i = 0; i < stanzas.length; i += per) await c.write(stanzas.slice(i, i + per).join(''));
}

/** `count` numbered groupchat messages to `room`, pre-serialised: ids and bodies `${prefix}${i}` (W3). */
export function numberedGroupchat(room: string, prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    `<message to='${esc(room)}' type='groupchat' id='${prefix}${i}'><body>${prefix}${i}</body></message>`);
}

/**
 * Watches `c` for the user's echoes (messages from `self`, the user's occupant JID) of the
 * numbered messages `echoes` checks; resolves with the time (ms) the last one arrived. Error
 * replies go to `onError`.
 */
export function echoesArrived(
  c: BenchClient, self: string, echoes: { add(body: string | null): boolean; complete: boolean }, onError: () => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    c.sink = (el) => {
      if (el.name !== 'message') return;
      if (el.attrs.type === 'error') { onError(); return; }
      if (el.attrs.from !== self) return;
      if (echoes.add(el.getChildText('body')) && echoes.complete) resolve(performance.timeOrigin + performance.now());
    };
  });
}
