// The archive retention script against a real Redis (scripts/trim-archive-3.lua): what is older
// than the cutoff goes, with its id, wherever it sits in the list; the rest keeps its order;
// nothing changes without the partition's lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { encodeArchived } from '../../src/actors/archive.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

const entry = (id: string, at: string) => encodeArchived({ stanzaId: id, at, source: 'live', xml: `<message><body>${id}, "quoted"\nand on</body></message>` });

async function archive(list: string, entries: string[]): Promise<void> {
  await client.del(list, `${list}:ids`);
  await client.rpush(list, ...entries);
  for (const e of entries) {
    const id = /"stanzaId":"([^"]*)"/.exec(e)?.[1];
    if (id) await client.hset(`${list}:ids`, id, 1);
  }
}

test('drops the entries older than the cutoff and their ids, wherever a backfill put them; keeps the rest in order', async () => {
  await client.set('lease', 'L');
  // live messages, then a backfill of older ones appended after them
  const kept = [entry('live-1', '2026-12-05T10:00:00.000Z'), entry('live-2', '2026-12-06T10:00:00.000Z'), entry('back-2', '2026-12-04T00:00:00.000Z')];
  await archive('a', [kept[0]!, kept[1]!, entry('back-0', '2026-11-01T00:00:00.000Z'), entry('back-1', '2026-12-01T23:59:59.999Z'), kept[2]!]);
  assert.equal(await client.trimArchive('lease', 'a', 'a:ids', 'L', '2026-12-02T00:00:00.000Z'), 2);
  assert.deepEqual(await client.lrange('a', 0, -1), kept);
  assert.deepEqual((await client.hkeys('a:ids')).sort(), ['back-2', 'live-1', 'live-2']);
  assert.equal(await client.trimArchive('lease', 'a', 'a:ids', 'L', '2026-12-02T00:00:00.000Z'), 0);
});

test('keeps what it cannot read, and an archive of thousands is trimmed whole', async () => {
  await client.set('lease', 'L');
  const old = Array.from({ length: 2_500 }, (_, i) => entry(`old-${i}`, '2026-01-01T00:00:00.000Z'));
  const recent = Array.from({ length: 1_500 }, (_, i) => entry(`new-${i}`, '2026-12-06T00:00:00.000Z'));
  await archive('b', [...old.slice(0, 1_000), 'not an entry', ...recent, ...old.slice(1_000)]);
  assert.equal(await client.trimArchive('lease', 'b', 'b:ids', 'L', '2026-12-01T00:00:00.000Z'), 2_500);
  assert.deepEqual(await client.lrange('b', 0, -1), ['not an entry', ...recent]);
  assert.equal(await client.hlen('b:ids'), 1_500);
});

test('changes nothing when the lease is not held', async () => {
  await client.set('lease', 'someone else');
  await archive('c', [entry('x', '2020-01-01T00:00:00.000Z')]);
  assert.equal(await client.trimArchive('lease', 'c', 'c:ids', 'L', '2026-12-01T00:00:00.000Z'), -1);
  assert.equal(await client.llen('c'), 1);
  assert.equal(await client.hlen('c:ids'), 1);
});
