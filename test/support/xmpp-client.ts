// An @xmpp/client wrapper for end-to-end tests: every received stanza is buffered, so a
// stanza that arrives between two awaits is never lost, and next() consumes it in order.
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from 'ltx';

export { xml };
export type { Element };

export interface TestClient {
  /** Full JID after resource binding, e.g. 'alice@localhost/test'. */
  jid: string;
  bareJid: string;
  /** The underlying @xmpp/client entity, for anything not wrapped here. */
  xmpp: Client;
  send(el: Element): Promise<void>;
  /** Sends an iq (adding an id if missing) and resolves with the result or error reply. */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** Next not yet consumed stanza (message/presence/iq) matching `predicate`. */
  next(predicate?: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** The next `count` matching stanzas, within one overall timeout. */
  collect(count: number, predicate?: (el: Element) => boolean, timeoutMs?: number): Promise<Element[]>;
  /** Stanzas received and not consumed yet (oldest first). */
  unconsumed(): Element[];
  stop(): Promise<void>;
}

export interface ConnectOptions {
  /** e.g. 'xmpp://127.0.0.1:5222' */
  service: string;
  domain: string;
  username: string;
  password: string;
  resource?: string;
  /** Send initial `<presence/>` once online (default true). Prosody echoes it back to this
   * resource: that presence lands in the buffer like any other stanza. */
  initialPresence?: boolean;
  timeoutMs?: number;
}

/** Predicate: stanza `name` whose attributes include all of `attrs`. */
export function stanza(name: string, attrs: Record<string, string> = {}): (el: Element) => boolean {
  return (el) => el.name === name && Object.entries(attrs).every(([k, v]) => el.attrs[k] === v);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

let iqCounter = 0;

export async function connectClient(opts: ConnectOptions): Promise<TestClient> {
  const timeoutMs = opts.timeoutMs ?? 10000;
  const xmpp = client({
    service: opts.service,
    domain: opts.domain,
    username: opts.username,
    password: opts.password,
    resource: opts.resource ?? 'test',
  });
  // Tests want a dead connection to fail loudly, not to come back silently a second later.
  (xmpp as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();

  const errors: Error[] = [];
  xmpp.on('error', (err: Error) => { errors.push(err); }); // an unhandled 'error' would crash the process
  const unconsumed: Element[] = [];
  const waiters: { predicate: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  const iqReplies = new Map<string, (el: Element) => void>();

  xmpp.on('stanza', (el: Element) => {
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      const resolve = iqReplies.get(el.attrs.id);
      if (resolve) {
        iqReplies.delete(el.attrs.id);
        resolve(el);
        return;
      }
    }
    const i = waiters.findIndex((w) => w.predicate(el));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(el);
    else unconsumed.push(el);
  });

  try {
    await withTimeout(xmpp.start(), timeoutMs, `login of ${opts.username}@${opts.domain} at ${opts.service}`);
  } catch (err) {
    await xmpp.stop().catch(() => undefined);
    const extra = errors.length ? ` (${errors.map((e) => e.message).join('; ')})` : '';
    throw new Error(`XMPP login failed for ${opts.username}@${opts.domain}: ${(err as Error).message}${extra}`);
  }
  // Replies to the login machinery's own iqs (resource binding) are not for the test.
  for (let i = unconsumed.length - 1; i >= 0; i--) {
    const el = unconsumed[i]!;
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) unconsumed.splice(i, 1);
  }
  const jid = String(xmpp.jid);
  const bareJid = jid.split('/')[0]!;

  const describe = () =>
    `${jid} status=${xmpp.status}; errors: ${errors.map((e) => e.message).join('; ') || 'none'}; ` +
    `unconsumed (last 10):\n${unconsumed.slice(-10).map(String).join('\n')}`;

  const next = (predicate: (el: Element) => boolean = () => true, ms = timeoutMs): Promise<Element> => {
    const i = unconsumed.findIndex(predicate);
    if (i >= 0) return Promise.resolve(unconsumed.splice(i, 1)[0]!);
    return new Promise<Element>((resolve, reject) => {
      const waiter = { predicate, resolve: (el: Element) => { clearTimeout(timer); resolve(el); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`no matching stanza within ${ms} ms for ${describe()}`));
      }, ms);
      waiters.push(waiter);
    });
  };

  const send = async (el: Element) => { await xmpp.send(el); };

  const tc: TestClient = {
    jid,
    bareJid,
    xmpp,
    send,
    async iq(el, ms = timeoutMs) {
      if (!el.attrs.id) el.attrs.id = `test-iq-${++iqCounter}`;
      const id: string = el.attrs.id;
      const reply = new Promise<Element>((resolve) => iqReplies.set(id, resolve));
      await send(el);
      return withTimeout(reply, ms, `iq ${id} reply for ${describe()}`).finally(() => iqReplies.delete(id));
    },
    next,
    async collect(count, predicate = () => true, ms = timeoutMs) {
      const deadline = Date.now() + ms;
      const out: Element[] = [];
      while (out.length < count) {
        try {
          out.push(await next(predicate, Math.max(1, deadline - Date.now())));
        } catch (err) {
          throw new Error(`collected ${out.length} of ${count}: ${(err as Error).message}`);
        }
      }
      return out;
    },
    unconsumed: () => [...unconsumed],
    async stop() {
      await withTimeout(xmpp.stop(), 5000, `stop of ${jid}`).catch(() => {
        (xmpp as unknown as { socket?: { destroy(): void } | null }).socket?.destroy();
      });
    },
  };

  if (opts.initialPresence ?? true) await send(xml('presence'));
  return tc;
}
