/**
 * The edge: the one XEP-0114 component connection. Inbound stanzas go to their sender's
 * partition mailbox untouched; the partitions' outbound streams are drained onto the connection.
 *
 * Prosody accepts one connection per component JID (FACTS), so one edge is active at a time:
 * it holds the edge lease; standbys wait for it and take over when it expires. What the dead
 * edge read but the server did not take (see receipts.ts) is still pending in the streams, so
 * nothing accepted is lost.
 *
 * Built on @xmpp/component-core, the core of @xmpp/component without its iq middleware, which
 * would answer every iq itself with service-unavailable before a worker saw it. xmpp.js
 * reconnects every second, throws while offline and does not buffer (FACTS): the streams are
 * our buffer, and the drain waits for the connection; reconnects back off.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Component } from '@xmpp/component-core';
import reconnect from '@xmpp/reconnect';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../actors/keys.ts';
import { withScripts } from '../actors/scripts.ts';
import type { Mailboxes } from './mailbox.ts';
import { ConnectionChanged, drainOutbox, type OutboundLink, type OutboxDrain } from './outbox.ts';
import { writeReceipts, type WriteReceipts } from './receipts.ts';
import { bareJid, type Element } from './xmpp/stanza.ts';
import { isBookmarkAnswerId } from './xmpp/bookmarks.ts';
import { isUserAvatarAnswerId } from './xmpp/user-avatar.ts';
import { isUploadAnswerId } from './xmpp/http-upload.ts';

export interface EdgeOptions {
  service: string;
  domain: string;
  secret: string;
  keys: Keys;
  redis: Redis;
  mailboxes: Mailboxes;
  log: Logger;
  /** The edge lease's life without renewal; a standby takes over after it. */
  leaseTtlMs?: number;
  /** After how long an outbound write not yet taken by the XMPP server is said (`WRITE_SILENT_MS`). */
  writeSilentMs?: number;
  /** Config `xmpp.receipts` (default on): an entry leaves its stream once the server took it, not once written. */
  receipts?: boolean;
}

/**
 * An outbound write the XMPP server has not taken after this long is a log line (config
 * `xmpp.writeSilentMs`): a server that hangs, or is cut off without a reset, keeps the
 * connection open and reads nothing, and the drain would wait in silence (the stanzas stay in
 * their streams meanwhile: nothing is lost). A write of W2's largest batches takes milliseconds.
 */
export const WRITE_SILENT_MS = 10_000;

/** Reconnect delays: doubling from 1 s up to 30 s, back to 1 s once online. */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 30_000;
export const DEFAULT_EDGE_LEASE_TTL_MS = 3000;

export interface Edge {
  edgeId: string;
  /** Resolves once this edge is the active one and online. */
  active: Promise<void>;
  /** The component connection's socket while active (diagnostics; tests cut it). */
  connectionSocket(): import('node:net').Socket | null;
  stop(): Promise<void>;
}

/** Starts an edge: active at once when the lease is free, standby until then otherwise. */
export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const { log, keys } = opts;
  const redis = withScripts(opts.redis);
  const edgeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ttlMs = opts.leaseTtlMs ?? DEFAULT_EDGE_LEASE_TTL_MS;
  let stopped = false;
  let lease: string | null = null;
  let connection: ActiveConnection | null = null;
  let becameActive: () => void = () => undefined;
  const active = new Promise<void>((resolve) => { becameActive = resolve; });

  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (lease) {
      if (await redis.renewLease(keys.edgeLease(), lease, ttlMs)) return;
      log.warn('edge lease lost: going back to standby');
      lease = null;
      await connection?.close();
      connection = null;
      return;
    }
    lease = await redis.acquireLease(keys.edgeLease(), `${keys.edgeLease()}:fence`, edgeId, ttlMs);
    if (!lease) return;
    log.info({ edge: edgeId }, 'edge active');
    try {
      connection = await connect(opts);
      becameActive();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'component connection failed');
      await redis.releaseLease(keys.edgeLease(), lease);
      lease = null;
      throw err;
    }
  };

  await tick();
  let timer: NodeJS.Timeout;
  const loop = () => {
    timer = setTimeout(() => {
      tick().catch((err: Error) => log.warn({ err: err.message }, 'edge lease tick failed')).finally(() => { if (!stopped) loop(); });
    }, Math.floor(ttlMs / 3));
  };
  loop();
  if (!lease) log.info({ edge: edgeId }, 'edge standing by');

  return {
    edgeId,
    active,
    connectionSocket: () => connection?.socket() ?? null,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await connection?.close();
      if (lease) await redis.releaseLease(keys.edgeLease(), lease).catch(() => undefined);
    },
  };
}

interface ActiveConnection { socket(): import('node:net').Socket | null; close(): Promise<void> }

/** The component connection of the active edge, with its inbound routing and outbound drain. */
async function connect(opts: EdgeOptions): Promise<ActiveConnection> {
  const { log } = opts;
  const xmpp = new Component({ service: opts.service, domain: opts.domain });
  const retry = reconnect({ entity: xmpp });
  let closing = false;
  let online: Promise<void>;
  let setOnline: () => void = () => undefined;
  const waitOnline = () => { online = new Promise((resolve) => { setOnline = resolve; }); };
  waitOnline();
  // each time online: a new connection, with its receipts (what it carried without one goes again)
  let connection = 0;
  let receipts: WriteReceipts | null = null;
  const brokenConnection = () => {
    receipts?.broken();
    receipts = null;
  };

  xmpp.on('open', (el: Element) => {
    xmpp.authenticate(String(el.attrs.id), opts.secret).catch((err: Error) => xmpp.emit('error', err));
  });
  xmpp.on('error', (err: Error) => log.warn({ err: err.message }, 'xmpp connection error'));
  xmpp.on('connect', () => xmpp.socket?.setNoDelay?.(true)); // FACTS: Nagle adds ~40 ms stalls
  xmpp.on('online', () => {
    retry.delay = RECONNECT_MIN_MS;
    brokenConnection();
    receipts = writeReceipts({
      jid: opts.domain, connection: ++connection,
      send: (ping) => { xmpp.write(ping).catch(() => undefined); }, // a failed write breaks the connection, and its receipts with it
      silent: (waitedMs) => log.error({ waitedMs }, 'xmpp server has not routed back the receipt ping: outbound stanzas stay pending until it does'),
    });
    log.info({ domain: opts.domain }, 'component online');
    setOnline();
  });
  xmpp.on('offline', () => { brokenConnection(); waitOnline(); });
  xmpp.on('disconnect', () => {
    brokenConnection();
    waitOnline();
    if (closing) return;
    log.warn({ retryInMs: retry.delay }, 'component disconnected, reconnecting');
    retry.delay = Math.min(retry.delay * 2, RECONNECT_MAX_MS);
  });

  xmpp.on('stanza', (stanza: Element) => {
    const from = stanza.attrs.from;
    if (!from) return;
    // a receipt ping coming back (only the server can send from the gateway's own JID)
    if (stanza.name === 'iq' && from === opts.domain && receipts?.answered(String(stanza.attrs.id ?? ''))) return;
    // an upload slot (spec §3.19) for the worker that asked, whichever user it was for
    if (stanza.name === 'iq' && isUploadAnswerId(String(stanza.attrs.id ?? ''))) {
      opts.redis.publish(opts.keys.uploadAnswers(), stanza.toString())
        .catch((err: Error) => log.warn({ err: err.message }, 'upload slot answer not passed on: that upload fails'));
      return;
    }
    // Only what a worker must answer is queued, and the answers a worker takes a next step on
    // (a room's bookmark, spec §3.9; the user's avatar, §3.7): other replies to the gateway's iqs have no taker.
    if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error') && !isAnswerTaken(String(stanza.attrs.id ?? ''))) return;
    const user = bareJid(String(from));
    opts.mailboxes.add({ kind: 'xmpp', user, xml: stanza.toString(), at: new Date().toISOString(), eventId: randomUUID() }, undefined, stanza)
      .catch((err: Error) => log.error({ err: err.message, from: user }, 'could not queue inbound stanza'));
  });

  await xmpp.start();

  const link: OutboundLink = {
    async connection() {
      await online;
      // closing: no more connections (the drain's stop cuts this wait short)
      return closing ? new Promise<number>(() => undefined) : connection;
    },
    async write(stanzas, on) {
      const current = receipts;
      if (on !== connection || !current || closing) throw new ConnectionChanged();
      try {
        // one write per batch: already in order, and the callback means it was flushed
        await sayIfSlow(xmpp.write(stanzas), opts.writeSilentMs ?? WRITE_SILENT_MS, log);
      } catch (err) {
        if (!closing) {
          // what it held may be half written: the next connection sends it again, first
          log.warn({ err: (err as Error).message }, 'outbound write failed, waiting for the connection');
          brokenConnection();
          waitOnline();
          xmpp.socket?.destroy();
        }
        throw new ConnectionChanged();
      }
      if (opts.receipts === false) return { taken: Promise.resolve() };
      const taken = current.wrote();
      taken.catch(() => undefined); // the drain takes it; a break before then is no unhandled rejection
      return { taken };
    },
  };
  const drain: OutboxDrain = await drainOutbox(withScripts(opts.redis), opts.keys, link, log);

  return {
    socket: () => xmpp.socket,
    async close() {
      closing = true;
      setOnline(); // a write waiting for the connection gives up now
      await drain.stop();
      retry.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}

/** Waits for a write; one line when it takes longer than `afterMs`, and one when it is done after all. */
async function sayIfSlow(write: Promise<void>, afterMs: number, log: Logger): Promise<void> {
  const t0 = Date.now();
  let said = false;
  const timer = setTimeout(() => {
    said = true;
    log.error({ waitedMs: afterMs }, 'xmpp server not reading: outbound stanzas wait');
  }, afterMs);
  try {
    await write;
    if (said) log.info({ waitedMs: Date.now() - t0 }, 'xmpp server reading again');
  } finally {
    clearTimeout(timer);
  }
}

/** The answers to the gateway's own iqs that a worker takes a next step on. */
function isAnswerTaken(id: string): boolean {
  return isBookmarkAnswerId(id) || isUserAvatarAnswerId(id);
}
