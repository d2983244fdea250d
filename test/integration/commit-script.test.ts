// The fenced commit script's archive op against a real Redis: each entry appended once per stanza
// id, in order, however many entries one commit carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { CommitBuilder } from '../../src/actors/commit.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

async function commit(list: string, entries: [stanzaId: string, entry: string][]): Promise<void> {
  const c = new CommitBuilder();
  for (const [id, entry] of entries) c.archive(list, `${list}:ids`, id, entry);
  assert.equal(await client.commitPartition(...c.args('lease', 'out', 'L', Buffer.alloc(0))), 1);
}

test('an entry whose stanza id is archived already, by an earlier commit or earlier in the same one, is not appended again', async () => {
  await client.set('lease', 'L');
  await commit('a1', [['s1', 'first'], ['s2', 'second']]);
  await commit('a1', [['s2', 'second again'], ['s3', 'third'], ['s3', 'third again'], ['s4', 'fourth: with ":" and é']]);
  assert.deepEqual(await client.lrange('a1', 0, -1), ['first', 'second', 'third', 'fourth: with ":" and é']);
  assert.deepEqual((await client.hkeys('a1:ids')).sort(), ['s1', 's2', 's3', 's4']);
});

test('a commit of thousands of entries appends them all, in order', async () => {
  await client.set('lease', 'L');
  const entries = Array.from({ length: 2_500 }, (_, i): [string, string] => [`m${i}`, `entry ${i}`]);
  await commit('a2', [...entries.slice(0, 10), ...entries.slice(5)]); // 5 repeated ids, the second time ignored
  const list = await client.lrange('a2', 0, -1);
  assert.equal(list.length, 2_500);
  assert.deepEqual(list, entries.map(([, e]) => e));
});
