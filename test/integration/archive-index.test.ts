// A MAM page read through the archive's time index (scripts/read-archive-6.lua) against a real
// Redis is the page the whole archive gives (selectArchivePage), and history's newest messages
// from a time on are the archive's: random archives with equal
// times and backfills older than what came before them, random queries, in archives indexed as they were written and in one indexed later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { archivedMs, encodeArchived, readArchive, readArchiveEnds, readArchivePage } from '../../src/actors/archive.ts';
import { inTimeOrder, selectArchivePage, type ArchivePage, type ArchiveQuery } from '../../src/actors/archive-query.ts';
import { CommitBuilder } from '../../src/actors/commit.ts';
import type { ArchivedMessage } from '../../src/machines/ports.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

const KEYS = { partitionLease: () => 'lease', outStream: () => 'out', partitionLastCommit: () => 'last-commit' };
const archiveOf = (name: string) => ({ oldList: `${name}:old`, oldIds: `${name}:old-ids`, list: name, base: `${name}:base`, ids: `${name}:ids`, times: `${name}:times` });
const BASE = Date.parse('2026-12-07T10:00:00.000Z');

/** A seeded generator: a failure names its seed and comes again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

/** Messages in the order they reach the archive: live ones forward in time (often several in one ms), backfills older. */
function messages(rnd: () => number, n: number): ArchivedMessage[] {
  const out: ArchivedMessage[] = [];
  let live = BASE;
  for (let i = 0; i < n; i++) {
    const backfill = rnd() < 0.2;
    if (!backfill && rnd() < 0.5) live += Math.floor(rnd() * 3);
    const ms = backfill ? BASE - 1 - Math.floor(rnd() * 50) : live;
    const nick = ['alice', 'bob', 'carol'][Math.floor(rnd() * 3)]!;
    const stanzaId = `m${i}`;
    out.push({ stanzaId, at: new Date(ms).toISOString(), source: backfill ? 'backfill' : 'live', xml: `<message from="room@gw/${nick}" type="groupchat"><body>${i}</body></message>` });
  }
  return out;
}

function query(rnd: () => number, all: ArchivedMessage[]): ArchiveQuery {
  const pick = () => (rnd() < 0.1 ? 'nope' : all[Math.floor(rnd() * all.length)]!.stanzaId);
  const time = () => BASE - 60 + Math.floor(rnd() * 120);
  const q: ArchiveQuery = {};
  if (rnd() < 0.3) q.start = time();
  if (rnd() < 0.3) q.end = time();
  if (rnd() < 0.15) q.afterId = pick();
  if (rnd() < 0.15) q.beforeId = pick();
  const rsm = rnd();
  if (rsm < 0.3) q.after = pick();
  else if (rsm < 0.5) q.before = pick();
  else if (rsm < 0.7) q.before = true;
  if (rnd() < 0.2) q.ids = Array.from({ length: 1 + Math.floor(rnd() * 4) }, pick);
  if (rnd() < 0.8) q.max = Math.floor(rnd() * 12);
  if (rnd() < 0.2) q.flip = true;
  return q;
}

const summary = (page: ArchivePage) => ({ ...page, messages: page.messages.map((m) => m.stanzaId) });
async function outcome(read: () => Promise<ArchivePage> | ArchivePage): Promise<unknown> {
  try {
    return summary(await read());
  } catch (err) {
    return { error: (err as { condition?: string }).condition, text: (err as Error).message };
  }
}

async function commit(name: string, all: ArchivedMessage[], n: number): Promise<void> {
  const c = new CommitBuilder();
  for (const m of all) c.archive(archiveOf(name), m.stanzaId, archivedMs(m), encodeArchived(m));
  assert.equal(await client.commitPartition(...c.args(KEYS, 0, 'L', `i${n}`, Buffer.alloc(0))), 1);
}

test('random queries on random archives: the index gives the page, count, index and completeness the whole archive gives', async () => {
  await client.set('lease', 'L');
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = random(seed);
    const all = messages(rnd, 1 + Math.floor(rnd() * 80));
    const name = `r${seed}`;
    // in a few commits, a job's worth each
    for (let from = 0, n = 0; from < all.length; n++) {
      const to = from + 1 + Math.floor(rnd() * 20);
      await commit(name, all.slice(from, to), seed * 1000 + n);
      from = to;
    }
    for (let k = 0; k < 40; k++) {
      const q = query(rnd, all);
      assert.deepEqual(await outcome(() => readArchivePage(client, archiveOf(name), q)), await outcome(() => selectArchivePage(all, q)),
        `seed ${seed}, query ${JSON.stringify(q)}`);
    }
    const ordered = inTimeOrder(all);
    assert.deepEqual((await readArchiveEnds(client, archiveOf(name))).map((m) => m.stanzaId), [ordered[0]!.stanzaId, ordered.at(-1)!.stanzaId]);
    // history on join: the newest n from a time on
    for (let k = 0; k < 10; k++) {
      const n = Math.floor(rnd() * 15);
      const since = rnd() < 0.3 ? undefined : BASE - 60 + Math.floor(rnd() * 120);
      const window = ordered.filter((m) => since === undefined || archivedMs(m) >= since);
      assert.deepEqual((await readArchive(client, archiveOf(name), n, since)).map((m) => m.stanzaId),
        (n ? window.slice(-n) : window).map((m) => m.stanzaId), `seed ${seed}, newest ${n} since ${since}`);
    }
  }
});

test('an archive written before the time index answers the same pages, once moved in', async () => {
  const rnd = random(99);
  const all = messages(rnd, 300);
  await client.rpush('old:old', ...all.map(encodeArchived));
  await client.hset('old:old-ids', Object.fromEntries(all.map((m) => [m.stanzaId, '1'])));
  for (let k = 0; k < 60; k++) {
    const q = query(rnd, all);
    assert.deepEqual(await outcome(() => readArchivePage(client, archiveOf('old'), q)), await outcome(() => selectArchivePage(all, q)), JSON.stringify(q));
  }
  assert.equal(await client.zcard('old:times'), 300, 'moved in');
  assert.equal(await client.exists('old:old', 'old:old-ids'), 0);
  // a replayed commit of messages the list held adds nothing: the ids hash knows them
  await client.set('lease', 'L');
  await commit('old', all.slice(0, 10), 1);
  assert.equal(await client.zcard('old:times'), 300);
});

test('a rolling upgrade: what a worker of the version before writes meanwhile is moved in at the next commit, in time order', async () => {
  await client.set('lease', 'L');
  const rnd = random(7);
  const all = messages(rnd, 60);
  await commit('mixed', all.slice(0, 20), 101); // commit ids unique across the file: a repeated one is a replay
  // an older worker held the partition for a while: it appended to the keys it knows
  await client.rpush('mixed:old', ...all.slice(15, 40).map(encodeArchived));
  await client.hset('mixed:old-ids', Object.fromEntries(all.slice(15, 40).map((m) => [m.stanzaId, '1'])));
  await commit('mixed', all.slice(40), 102);
  assert.equal(await client.exists('mixed:old', 'mixed:old-ids'), 0);
  for (let k = 0; k < 30; k++) {
    const q = query(rnd, all);
    assert.deepEqual(await outcome(() => readArchivePage(client, archiveOf('mixed'), q)), await outcome(() => selectArchivePage(all, q)), JSON.stringify(q));
  }
});

test('an empty archive: an empty page, complete; no ends', async () => {
  const page = await readArchivePage(client, archiveOf('empty'), { max: 10, before: true });
  assert.deepEqual(summary(page), { messages: [], count: 0, index: 0, complete: true });
  assert.deepEqual(await readArchiveEnds(client, archiveOf('empty')), []);
});
