/**
 * The edge: the one XEP-0114 component connection. Inbound stanzas go to their sender's
 * partition mailbox untouched; the outbox is drained in order onto the connection.
 *
 * Built on @xmpp/component-core, the core of @xmpp/component without its iq middleware, which
 * would answer every iq itself with service-unavailable before a worker saw it.
 * xmpp.js reconnects every second, throws while offline and does not buffer (FACTS): the
 * outbox is our buffer. A job waits until the connection is online and stays in the queue
 * until written, so nothing accepted is dropped across a reconnect; reconnects back off.
 */
import { Component } from '@xmpp/component-core';
import reconnect, { type Reconnect } from '@xmpp/reconnect';
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Keys } from '../actors/keys.ts';
import type { Mailboxes } from './mailbox.ts';
import { drainOutbox } from './outbox.ts';
import { bareJid, type Element } from './xmpp/stanza.ts';

export interface EdgeOptions {
  service: string;
  domain: string;
  secret: string;
  keys: Keys;
  connection: ConnectionOptions;
  mailboxes: Mailboxes;
  log: Logger;
}

/** Reconnect delays: doubling from 1 s up to 30 s, back to 1 s once online. */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;

export interface Edge {
  xmpp: Component;
  reconnect: Reconnect;
  stop(): Promise<void>;
}

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const { log } = opts;
  const xmpp = new Component({ service: opts.service, domain: opts.domain });
  const retry = reconnect({ entity: xmpp });
  xmpp.on('open', (el: Element) => {
    xmpp.authenticate(String(el.attrs.id), opts.secret).catch((err: Error) => xmpp.emit('error', err));
  });
  let online: Promise<void>;
  let setOnline: () => void = () => undefined;
  const waitOnline = () => { online = new Promise((resolve) => { setOnline = resolve; }); };
  waitOnline();

  xmpp.on('error', (err: Error) => log.warn({ err: err.message }, 'xmpp connection error'));
  xmpp.on('connect', () => xmpp.socket?.setNoDelay?.(true)); // FACTS: Nagle adds ~40 ms stalls
  xmpp.on('online', () => {
    retry.delay = RECONNECT_MIN_MS;
    log.info({ domain: opts.domain }, 'component online');
    setOnline();
  });
  xmpp.on('offline', () => waitOnline());
  let stopping = false;
  xmpp.on('disconnect', () => {
    waitOnline();
    if (stopping) return;
    log.warn({ retryInMs: retry.delay }, 'component disconnected, reconnecting');
    retry.delay = Math.min(retry.delay * 2, RECONNECT_MAX_MS);
  });

  xmpp.on('stanza', (stanza: Element) => {
    const from = stanza.attrs.from;
    if (!from) return;
    // Only what a worker must answer is queued: replies to our own iqs have no taker yet.
    if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) return;
    opts.mailboxes.add({ kind: 'xmpp', user: bareJid(String(from)), xml: stanza.toString(), at: new Date().toISOString() })
      .catch((err: Error) => log.error({ err: err.message, from: bareJid(String(from)) }, 'could not queue inbound stanza'));
  });

  await xmpp.start();

  const drain = drainOutbox(opts.keys, opts.connection, async (stanzas) => {
    for (;;) {
      await online;
      try {
        // one write per job: the batch is already in order, and the callback means it was flushed
        await xmpp.write(stanzas.join(''));
        return;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'outbound write failed, waiting for the connection');
        waitOnline();
      }
    }
  });
  drain.on('error', (err) => log.error({ err: err.message }, 'outbox worker error'));

  return {
    xmpp,
    reconnect: retry,
    async stop() {
      stopping = true;
      await drain.close();
      retry.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}
