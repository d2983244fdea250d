/**
 * The outbound stanzas: each partition has a Redis stream that its owner's commit appends to
 * (atomically with the room state, under the partition's fencing token) and the edge drains.
 * One entry holds the stanzas one mailbox job produced, in order. The edge reads through a
 * consumer group: an entry is acknowledged and deleted once the XMPP server has taken its
 * stanzas (its receipt, see `OutboundLink`), so an edge that dies mid-way, or a connection that
 * breaks with stanzas still in its buffers, leaves them pending: they go out again, first and
 * in order (at least once).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../actors/keys.ts';
import type { ScriptCommands } from '../actors/scripts.ts';
import { logRedisErrors } from '../redis.ts';

export const EDGE_GROUP = 'edge';
/** One consumer name for every edge: only the lease holder reads, and it inherits what is pending. */
const CONSUMER = 'active-edge';
const BATCH = 512;
const BLOCK_MS = 1000;
/** An acknowledgement Redis refused is tried again after this long (its entries are not sent again meanwhile). */
const ACK_RETRY_MS = 500;
/** How long a stop waits for the receipts of what was written (else those entries go out again at the next start). */
export const STOP_RECEIPTS_MS = 2000;
/** An entry whose receipt came, its acknowledgement still on its way to Redis. */
const TAKEN = 'taken';
/**
 * An entry acknowledged (gone from Redis) while a read may be on its way that still has it: the
 * acknowledgements run beside the reads, and a read issued before one ended brings its entries
 * back. Forgotten when the next read is issued, which cannot have them.
 */
const ACKED = 'acked';

/** Entries not yet taken by the XMPP server, all partitions together. */
export async function pendingOutbound(redis: Redis, keys: Keys): Promise<number> {
  const pipeline = redis.pipeline();
  for (let p = 0; p < keys.partitions; p++) pipeline.xlen(keys.outStream(p));
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((n, [, len]) => n + Number(len ?? 0), 0);
}

/**
 * The XMPP side of the drain. Bytes written to a socket are not yet taken by the server: a
 * connection that breaks loses what its buffers held (XEP-0114 has no acknowledgements), so
 * each write comes with a receipt, and the drain acknowledges an entry only on its receipt.
 */
export interface OutboundLink {
  /** The connection now, once one is online; a reconnect gives a new one. */
  connection(): Promise<number>;
  /**
   * Writes on that connection; throws `ConnectionChanged` if it is gone. `taken` resolves once
   * the server has taken these stanzas, and rejects if the connection broke first.
   */
  write(stanzas: Buffer, connection: number): Promise<{ taken: Promise<void> }>;
}

/** A write for a connection that has since been replaced: what it carried is sent again first. */
export class ConnectionChanged extends Error {
  constructor() { super('the XMPP connection changed'); }
}

/** A link whose writes are taken once written (one connection, no receipts): the tests' senders. */
function writtenIsTaken(send: (stanzas: Buffer) => Promise<void>): OutboundLink {
  return {
    connection: async () => 0,
    write: async (stanzas) => { await send(stanzas); return { taken: Promise.resolve() }; },
  };
}

export interface OutboxDrain { stop(): Promise<void> }

type ReadResult = [Buffer, [Buffer, Buffer[]][]][] | null;

/**
 * Drains every partition's stream in order: first what is pending (what a previous edge, or a
 * connection before this one, did not get taken), then new entries. A plain `send` function
 * is a link whose writes are taken once written.
 */
export async function drainOutbox(redis: Redis & ScriptCommands, keys: Keys, link: OutboundLink | ((stanzas: Buffer) => Promise<void>), log: Logger): Promise<OutboxDrain> {
  const out = typeof link === 'function' ? writtenIsTaken(link) : link;
  const streams = Array.from({ length: keys.partitions }, (_, p) => keys.outStream(p));
  for (const stream of streams) {
    await redis.xgroup('CREATE', stream, EDGE_GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!/BUSYGROUP/.test(err.message)) throw err;
    });
  }
  const reader = redis.duplicate(); // XREADGROUP BLOCK holds its connection
  reader.on('error', logRedisErrors(log, {}, 'outbox reader error'));
  let running = true;
  // `stop` does not wait for the read in progress: a reader that lost Redis and waits to
  // reconnect never settles it once disconnected (ioredis flushes no command of a client
  // without a socket), and the edge, closing its drain on losing its lease in such an outage,
  // hung there for good: standing by, it never became active again
  // (not `Promise.race` with one promise that settles at stop: each race adds a reaction to
  // it that holds the race's result, so every batch read stayed in memory until the stop)
  const cutShort = new Set<() => void>();
  const unlessStopped = <T>(work: Promise<T>): Promise<T | null> => new Promise<T | null>((resolve, reject) => {
    const cut = () => resolve(null);
    cutShort.add(cut);
    // what it throws after the drain stopped is nobody's concern: that promise has settled
    work.then(resolve, reject).finally(() => cutShort.delete(cut));
  });

  // read as bytes: the stanzas go to the XMPP socket as Redis holds them, never decoded to a
  // string and encoded back (W2: ≈ 2 % of roomgate's time). `from`: '>' new entries, else
  // our pending ones after these ids (one per stream).
  const read = async (from: '>' | string[]): Promise<ReadResult> => {
    for (const [key, state] of inFlight) if (state === ACKED) inFlight.delete(key);
    const ids = from === '>' ? streams.map(() => '>') : from;
    const args = ['GROUP', EDGE_GROUP, CONSUMER, 'COUNT', BATCH, ...(from === '>' ? ['BLOCK', BLOCK_MS] : []), 'STREAMS', ...streams, ...ids];
    return (await reader.callBuffer('XREADGROUP', ...args)) as ReadResult;
  };

  // The connection whose pending entries were last sent, and the entries written since whose
  // acknowledgement is still to come: on that connection, `TAKEN` once their receipt came, or
  // `ACKED` until the next read. A pending read leaves them alone; a new connection sends again
  // those still on the old one.
  let synced: number | null = null;
  const inFlight = new Map<string, number | typeof TAKEN | typeof ACKED>();
  const receipts = new Set<Promise<void>>();

  // What was taken, to acknowledge and delete in one step (`ack-outbound-n.lua`), by stream.
  // One acknowledgement runs at a time and takes all that was taken meanwhile: a receipt covers
  // several writes, and under load writes come faster than Redis answers.
  let toAck = new Map<string, { stream: Buffer; ids: Buffer[] }>();
  let acking: Promise<void> | null = null;
  let ackFailing = false; // one line while acknowledgements fail, one when they work again
  let stopsAt = Infinity; // a stop lets acknowledgements be tried until then

  const acknowledge = async (batch: Map<string, { stream: Buffer; ids: Buffer[] }>): Promise<void> => {
    const ackStreams: Buffer[] = [];
    const args: (Buffer | number)[] = [];
    for (const { stream, ids } of batch.values()) {
      ackStreams.push(stream);
      args.push(ids.length, ...ids);
    }
    // a refusal (Redis away) is tried again: the server has the stanzas, sending them again would repeat them
    for (;;) {
      try {
        await redis.ackOutbound(ackStreams.length, ...ackStreams, EDGE_GROUP, ...args);
        break;
      } catch (err) {
        // given up at the stop's deadline: still pending, the next start sends them again
        if (!running && Date.now() >= stopsAt) return;
        if (!ackFailing) log.warn({ err: (err as Error).message }, 'outbound acknowledgement failed, retrying');
        ackFailing = true;
        await new Promise((resolve) => setTimeout(resolve, ACK_RETRY_MS));
      }
    }
    if (ackFailing) log.info('outbound acknowledgements work again');
    ackFailing = false;
    for (const [name, { ids }] of batch) for (const id of ids) inFlight.set(`${name} ${id}`, ACKED);
  };

  /** Resolves once what was taken so far is acknowledged. */
  const flushAcks = (): Promise<void> => {
    if (acking) return acking.then(flushAcks);
    if (!toAck.size) return Promise.resolve();
    const batch = toAck;
    toAck = new Map();
    acking = acknowledge(batch).finally(() => { acking = null; });
    return acking;
  };

  // What one read brought from every partition goes out in one write; each partition's entries
  // stay in their order, partitions need none between them. Returns the number of entries read.
  // `pending`: a pending read's, which may hold entries in flight (left alone) and counts what
  // it writes for its log line; a read of new entries holds none.
  const deliver = async (result: ReadResult, connection: number, pending?: { sent: number }): Promise<number> => {
    let count = 0;
    const chunks: Buffer[] = [];
    const written: [string, Buffer, Buffer[]][] = [];
    for (const [stream, entries] of result ?? []) {
      if (!entries.length) continue;
      count += entries.length;
      const name = stream.toString();
      const fresh = pending && inFlight.size ? entries.filter(([id]) => !inFlight.has(`${name} ${id}`)) : entries;
      if (!fresh.length) continue;
      const ids: Buffer[] = [];
      for (const [id, fields] of fresh) {
        ids.push(id);
        if (fields?.[1]?.length) chunks.push(fields[1]);
      }
      written.push([name, stream, ids]);
      if (pending) pending.sent += ids.length;
    }
    if (!written.length) return count;
    const { taken } = chunks.length
      ? await out.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), connection)
      : { taken: Promise.resolve() };
    for (const [name, , ids] of written) for (const id of ids) inFlight.set(`${name} ${id}`, connection);
    // the next read does not wait for the receipt: the server answers in the order written
    const receipt = taken.then(() => {
      for (const [name, stream, ids] of written) {
        for (const id of ids) inFlight.set(`${name} ${id}`, TAKEN);
        const to = toAck.get(name);
        if (to) to.ids.push(...ids);
        else toAck.set(name, { stream, ids });
      }
      void flushAcks();
    }, () => undefined /* the connection broke: the next one sends these again (`syncPending`) */)
      .finally(() => receipts.delete(receipt));
    receipts.add(receipt);
    return count;
  };

  // Our pending entries go out before any new read: at the start, what an edge before us read
  // but did not get taken; on a new connection, what the one before carried without receipt;
  // after a failed delivery, what it read; and after the reader's connection closed, what a
  // read lost. Redis may have run a read whose answer the connection lost (a crash just after
  // it): its entries wait in our pending list, and the read ioredis sends again gives only
  // newer ones, so its answer is not delivered either: the pending read brings them all, in
  // order (a Redis crash under traffic lost echoes so, rarely).
  let pendingFirst = true;
  reader.on('close', () => { pendingFirst = true; });

  const syncPending = async (connection: number) => {
    // for the log line: what left these entries pending
    const cause = synced === null ? 'start' : synced !== connection ? 'xmpp connection broke' : 'redis connection or delivery failed';
    if (synced !== connection) {
      // written on a connection that is gone, without receipt: they go again
      for (const [key, on] of inFlight) if (typeof on === 'number') inFlight.delete(key);
      synced = connection;
    }
    pendingFirst = false;
    const after = streams.map(() => '0');
    const tally = { sent: 0 };
    try {
      await sendPending(after, connection, tally);
    } finally {
      if (tally.sent) log.info({ entries: tally.sent, cause }, 'pending outbound entries sent again');
    }
  };

  const sendPending = async (after: string[], connection: number, tally: { sent: number }) => {
    for (;;) {
      const result = await unlessStopped(read(after));
      if (!running || !(await unlessStopped(deliver(result, connection, tally)))) return;
      let moved = false;
      for (const [stream, entries] of result ?? []) {
        const at = streams.indexOf(stream.toString());
        const last = entries.at(-1);
        if (at >= 0 && last) { after[at] = last[0].toString(); moved = true; }
      }
      if (!moved) return;
    }
  };

  const loop = (async () => {
    while (running) {
      try {
        const connection = await unlessStopped(out.connection());
        if (connection === null) break;
        if (pendingFirst || connection !== synced) {
          await syncPending(connection);
          continue;
        }
        const result = await unlessStopped(read('>'));
        // read across a closed connection: its entries, if any, are pending (above)
        if (running && !pendingFirst && (await unlessStopped(deliver(result, connection)))) {
          // what earlier receipts covered is acknowledged before the next read, as when an entry
          // was acknowledged once written: reads then take what came meanwhile, in fewer writes
          await unlessStopped(flushAcks());
        }
      } catch (err) {
        pendingFirst = true;
        if (!running) break;
        if (err instanceof ConnectionChanged) continue; // what it was to write goes with the pending entries
        log.warn({ err: (err as Error).message }, 'outbox read failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    async stop() {
      running = false;
      stopsAt = Date.now() + STOP_RECEIPTS_MS;
      for (const cut of cutShort) cut();
      reader.disconnect();
      await loop.catch(() => undefined);
      // what was written gets its receipt (else the next start sends it again), for a while
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...receipts]).then(flushAcks),
        new Promise((resolve) => { timer = setTimeout(resolve, STOP_RECEIPTS_MS); }),
      ]);
      clearTimeout(timer);
    },
  };
}
