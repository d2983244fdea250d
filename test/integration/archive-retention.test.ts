// The archive retention script against a real Redis (scripts/trim-archive-7.lua): what is older
// than the cutoff goes, with its id, wherever a backfill put it; the rest keeps its order;
// an archive written before the time index is moved into it first;
// nothing changes without the partition's lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { encodeArchived } from '../../src/actors/archive.ts';
import { CommitBuilder } from '../../src/actors/commit.ts';
import { archiveKeyList } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

const KEYS = { partitionLease: () => 'lease', outStream: () => 'out', partitionLastCommit: () => 'last-commit' };
const archiveOf = (name: string) => ({ oldList: `${name}:old`, oldIds: `${name}:old-ids`, list: name, base: `${name}:base`, ids: `${name}:ids`, times: `${name}:times` });
const entry = (id: string, at: string) => encodeArchived({ stanzaId: id, at, source: 'live', xml: `<message><body>${id}, "quoted"\nand on</body></message>` });
const idOf = (e: string) => /"stanzaId":"([^"]*)"/.exec(e)![1]!;
const atOf = (e: string) => /"at":"([^"]*)"/.exec(e)![1]!;
let commits = 0;

/** Archives `entries` in this order, as the partition's commit does. */
async function archive(name: string, entries: string[]): Promise<void> {
  const c = new CommitBuilder();
  for (const e of entries) c.archive(archiveOf(name), idOf(e), Date.parse(atOf(e)), e);
  assert.equal(await client.commitPartition(...c.args(KEYS, 0, 'L', `r${++commits}`, Buffer.alloc(0))), 1);
}
const trim = (name: string, cutoff: string, lease = 'L') => client.trimArchive('lease', ...archiveKeyList(archiveOf(name)), lease, Date.parse(cutoff));
const read = (name: string) => client.readArchive(...archiveKeyList(archiveOf(name)), 'newest', 0);

test('drops the entries older than the cutoff and their ids, wherever a backfill put them; keeps the rest in time order', async () => {
  await client.set('lease', 'L');
  // live messages, then a backfill of older ones archived after them
  const kept = [entry('back-2', '2026-12-04T00:00:00.000Z'), entry('live-1', '2026-12-05T10:00:00.000Z'), entry('live-2', '2026-12-06T10:00:00.000Z')];
  await archive('a', [entry('live-0', '2026-11-30T00:00:00.000Z'), kept[1]!, kept[2]!, entry('back-0', '2026-11-01T00:00:00.000Z'), entry('back-1', '2026-12-01T23:59:59.999Z'), kept[0]!]);
  assert.equal(await trim('a', '2026-12-02T00:00:00.000Z'), 3);
  assert.deepEqual(await read('a'), kept);
  assert.deepEqual((await client.hkeys('a:ids')).sort(), ['back-2', 'live-1', 'live-2']);
  assert.equal(await client.zcard('a:times'), 3);
  // the head left the list; the backfill's old entries further on are emptied until an end of the list reaches them
  assert.deepEqual(await client.lrange('a', 0, -1), [kept[1], kept[2], '', '', kept[0]]);
  assert.equal(await client.get('a:base'), '1');
  assert.equal(await trim('a', '2026-12-02T00:00:00.000Z'), 0);

  // the tail reaches the emptied ones: they go with it; what stays keeps its number
  assert.equal(await trim('a', '2026-12-06T00:00:00.000Z'), 2);
  assert.deepEqual(await client.lrange('a', 0, -1), [kept[2]]);
  assert.equal(await client.get('a:base'), '2');
  const later = entry('live-3', '2026-12-07T10:00:00.000Z');
  await archive('a', [later]);
  assert.deepEqual(await read('a'), [kept[2], later]);
  assert.deepEqual(await client.hmget('a:ids', 'live-2', 'live-3'), ['000000000003', '000000000004']);
});

test('an archive of thousands written before the time index is moved in, then trimmed whole', async () => {
  await client.set('lease', 'L');
  const old = Array.from({ length: 2_500 }, (_, i) => entry(`old-${i}`, '2026-01-01T00:00:00.000Z'));
  const recent = Array.from({ length: 1_500 }, (_, i) => entry(`new-${i}`, `2026-12-06T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0').slice(-3)}Z`));
  // the keys before: a list, oldest first except backfills, and an ids hash of 1s
  await client.rpush('b:old', ...old.slice(0, 1_000), ...recent, ...old.slice(1_000));
  await client.hset('b:old-ids', Object.fromEntries([...old, ...recent].map((e) => [idOf(e), '1'])));
  assert.equal(await trim('b', '2026-12-01T00:00:00.000Z'), 2_500);
  const byTime = [...recent].sort((x, y) => atOf(x).localeCompare(atOf(y)));
  assert.deepEqual(await read('b'), byTime);
  assert.equal(await client.hlen('b:ids'), 1_500);
  assert.equal(await client.llen('b'), 1_500, 'the old head and the old tail left the list');
  assert.equal(await client.exists('b:old', 'b:old-ids'), 0, 'the keys before are gone');
});

test('an entry written before the time index that cannot be read is moved in as the oldest, for retention to drop', async () => {
  await client.set('lease', 'L');
  const good = entry('fine', '2026-12-06T00:00:00.000Z');
  await client.rpush('u:old', good, 'not an entry');
  assert.deepEqual(await read('u'), ['not an entry', good]);
  assert.equal(await trim('u', '2026-12-01T00:00:00.000Z'), 1);
  assert.deepEqual(await read('u'), [good]);
});

test('an archive retention empties whole is gone whole', async () => {
  await client.set('lease', 'L');
  await archive('w', [entry('w1', '2026-01-01T00:00:00.000Z'), entry('w2', '2026-01-02T00:00:00.000Z')]);
  assert.equal(await trim('w', '2026-12-01T00:00:00.000Z'), 2);
  assert.equal(await client.exists('w', 'w:base', 'w:ids', 'w:times'), 0);
});

test('changes nothing when the lease is not held', async () => {
  await client.set('lease', 'L');
  await archive('c', [entry('x', '2020-01-01T00:00:00.000Z')]);
  await client.set('lease', 'someone else');
  assert.equal(await trim('c', '2026-12-01T00:00:00.000Z'), -1);
  assert.equal(await client.zcard('c:times'), 1);
  assert.equal(await client.hlen('c:ids'), 1);
});
