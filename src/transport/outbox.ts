/**
 * The outbound stanzas: each partition has a Redis stream that its owner's commit appends to
 * (atomically with the room state, under the partition's fencing token) and the edge drains.
 * One entry holds the stanzas one mailbox job produced, in order. The edge reads through a
 * consumer group: an entry is acknowledged and deleted once written to the XMPP connection,
 * so an edge that dies mid-way leaves it pending for the next active edge (at least once).
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

/** Entries not yet written to XMPP, all partitions together. */
export async function pendingOutbound(redis: Redis, keys: Keys): Promise<number> {
  const pipeline = redis.pipeline();
  for (let p = 0; p < keys.partitions; p++) pipeline.xlen(keys.outStream(p));
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((n, [, len]) => n + Number(len ?? 0), 0);
}

export interface OutboxDrain { stop(): Promise<void> }

/**
 * Drains every partition's stream in order: first what a previous edge left unacknowledged,
 * then new entries. `send` resolves once the stanzas are written to the connection.
 */
export async function drainOutbox(redis: Redis & ScriptCommands, keys: Keys, send: (stanzas: Buffer) => Promise<void>, log: Logger): Promise<OutboxDrain> {
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
  // string and encoded back (W2: ≈ 2 % of roomgate's time)
  const read = async (from: '0' | '>'): Promise<[Buffer, [Buffer, Buffer[]][]][] | null> => {
    const args = ['GROUP', EDGE_GROUP, CONSUMER, 'COUNT', BATCH, ...(from === '>' ? ['BLOCK', BLOCK_MS] : []), 'STREAMS', ...streams, ...streams.map(() => from)];
    return (await reader.callBuffer('XREADGROUP', ...args)) as [Buffer, [Buffer, Buffer[]][]][] | null;
  };

  // What one read brought from every partition goes out in one write and is acknowledged in one
  // step (`ack-outbound-n.lua`): each partition's entries stay in their order, partitions need
  // none between them.
  const deliver = async (result: [Buffer, [Buffer, Buffer[]][]][] | null): Promise<number> => {
    let count = 0;
    const chunks: Buffer[] = [];
    const read: Buffer[] = [];
    const ids: (Buffer | number)[] = [];
    for (const [stream, entries] of result ?? []) {
      if (!entries.length) continue;
      read.push(stream);
      ids.push(entries.length);
      for (const [id, fields] of entries) {
        ids.push(id);
        if (fields?.[1]?.length) chunks.push(fields[1]);
      }
      count += entries.length;
    }
    if (!count) return 0;
    if (chunks.length) await send(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    await redis.ackOutbound(read.length, ...read, EDGE_GROUP, ...ids);
    return count;
  };

  // Our pending entries go out before any new read: at the start, what an edge before us read
  // but did not acknowledge; after a failed delivery, what it read; and after the reader's
  // connection closed, what a read lost. Redis may have run a read whose answer the connection
  // lost (a crash just after it): its entries wait in our pending list, and the read ioredis
  // sends again gives only newer ones, so its answer is not delivered either: the pending read
  // brings them all, in order (a Redis crash under traffic lost echoes so, rarely).
  let pendingFirst = true;
  reader.on('close', () => { pendingFirst = true; });

  const deliverPending = async () => {
    pendingFirst = false;
    for (;;) {
      const result = await unlessStopped(read('0'));
      if (!running || !(await unlessStopped(deliver(result)))) return;
    }
  };

  const loop = (async () => {
    while (running) {
      try {
        if (pendingFirst) {
          await deliverPending();
          continue;
        }
        const result = await unlessStopped(read('>'));
        // read across a closed connection: its entries, if any, are pending (above)
        if (running && !pendingFirst) await unlessStopped(deliver(result));
      } catch (err) {
        pendingFirst = true;
        if (!running) break;
        log.warn({ err: (err as Error).message }, 'outbox read failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    async stop() {
      running = false;
      for (const cut of cutShort) cut();
      reader.disconnect();
      await loop.catch(() => undefined);
    },
  };
}
