/**
 * Micro-benchmark of a MAM query against a real Redis (a private one), roomgate's part and
 * Redis's together, no XMPP: a room's archive of N messages, written by the partition's commit
 * script in jobs of 100, then
 *   - the last page of 50 (`<before/>`, what a client asks first) and a page in the middle
 *     (`<after>` an id), through the time index (`readArchivePage`);
 *   - a `with` filter on an occupant, which reads the archive whole (`readArchive` + `selectArchivePage`);
 *   - the archive's ends (MAM metadata);
 * and what the index costs the writer: the commit script's time per archived message; a retention
 * sweep of the oldest 1,000; moving in an archive written before the index (once per room).
 * Medians over 20 rounds after 5 of warm-up.
 *
 *   node --import tsx bench/micro/mam-redis.ts [--messages 10000]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { selectArchivePage } from '../../src/actors/archive-query.ts';
import { encodeArchived, readArchive, readArchiveEnds, readArchivePage } from '../../src/actors/archive.ts';
import { CommitBuilder } from '../../src/actors/commit.ts';
import { archiveKeyList } from '../../src/actors/keys.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import { startRedis } from '../../src/devstack/redis.ts';

const { values } = parseArgs({ options: { messages: { type: 'string' } } });
const N = Number(values.messages ?? 10_000);
const ROOM = 'lobby@gw.localhost';
const START = Date.UTC(2026, 11, 1);
const entry = (i: number) => ({
  stanzaId: `s${i}`, legacyId: `m${i}`, at: new Date(START + i * 1000).toISOString(), source: 'live' as const,
  xml: `<message from="${ROOM}/${i % 3 ? 'alice' : 'bob'}" type="groupchat" id="m${i}"><body>message number ${i}</body>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s${i}"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o${i % 3}"/></message>`,
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startRedis();
const redis = withScripts(new Redis(server.url));
try {
  const archive = { oldList: 'a:old', oldIds: 'a:old-ids', list: 'a', base: 'a:base', ids: 'a:ids', times: 'a:times' };
  const keys = { partitionLease: () => 'lease', outStream: () => 'out', partitionLastCommit: () => 'last' };
  await redis.set('lease', 'L');
  let commitMs = 0;
  for (let from = 0, n = 0; from < N; from += 100, n++) {
    const c = new CommitBuilder();
    for (let i = from; i < Math.min(N, from + 100); i++) { const e = entry(i); c.archive(archive, e.stanzaId, Date.parse(e.at), encodeArchived(e)); }
    const t = performance.now();
    await redis.commitPartition(...c.args(keys, 0, 'L', `c${n}`, Buffer.alloc(0)));
    commitMs += performance.now() - t;
  }
  const rows: Record<string, number[]> = { last: [], middle: [], with: [], ends: [] };
  for (let r = 0; r < 25; r++) {
    const t0 = performance.now();
    const last = await readArchivePage(redis, archive, { max: 50, before: true });
    const t1 = performance.now();
    const middle = await readArchivePage(redis, archive, { max: 50, after: `s${Math.floor(N / 2)}` });
    const t2 = performance.now();
    const bob = selectArchivePage(await readArchive(redis, archive, 0), { max: 50, with: `${ROOM}/bob` });
    const t3 = performance.now();
    await readArchiveEnds(redis, archive);
    const t4 = performance.now();
    if (last.messages.length !== Math.min(50, N) || last.count !== N || bob.messages.length !== Math.min(50, Math.ceil(N / 3))) throw new Error('wrong page');
    if (middle.messages[0]?.stanzaId !== `s${Math.floor(N / 2) + 1}`) throw new Error('wrong middle page');
    if (r >= 5) { rows.last!.push(t1 - t0); rows.middle!.push(t2 - t1); rows.with!.push(t3 - t2); rows.ends!.push(t4 - t3); }
  }
  const memory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

  // retention: the oldest 1,000 messages (a day of a busy room) past the cutoff
  await redis.set('lease-key', 'L');
  let t = performance.now();
  const dropped = await redis.trimArchive('lease-key', ...archiveKeyList(archive), 'L', START + Math.min(1000, N) * 1000);
  const sweepMs = performance.now() - t;
  if (dropped !== Math.min(1000, N)) throw new Error(`swept ${dropped}`);

  // an archive written before the time index (a list and an ids hash of 1s): moved in by the first script that meets it
  const old = { oldList: 'o:old', oldIds: 'o:old-ids', list: 'o', base: 'o:base', ids: 'o:ids', times: 'o:times' };
  for (let from = 0; from < N; from += 1000) {
    await redis.rpush(old.oldList, ...Array.from({ length: Math.min(1000, N - from) }, (_, i) => encodeArchived(entry(from + i))));
  }
  t = performance.now();
  await readArchiveEnds(redis, old);
  const indexMs = performance.now() - t;

  console.log(`archive of ${N.toLocaleString('en')} messages: last page ${median(rows.last!).toFixed(2)} ms, middle page ${median(rows.middle!).toFixed(2)} ms, `
    + `'with' (whole archive) ${median(rows.with!).toFixed(2)} ms, ends ${median(rows.ends!).toFixed(2)} ms (medians of 20); `
    + `commit ${(commitMs * 1000 / N).toFixed(1)} µs per message (jobs of 100, wall time); Redis used_memory ${(memory / 2 ** 20).toFixed(1)} MiB; `
    + `retention sweep of the oldest ${Math.min(1000, N).toLocaleString('en')} ${sweepMs.toFixed(1)} ms; moving in an archive written before the index ${indexMs.toFixed(0)} ms (once)`);
} finally {
  redis.disconnect();
  await server.stop();
}
