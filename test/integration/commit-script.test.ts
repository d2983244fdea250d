// The fenced commit script against a real Redis: each archive entry appended once per stanza id,
// however many entries one commit carries, and read back in time order; a commit sent twice applied once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { CommitBuilder } from '../../src/actors/commit.ts';
import { archiveKeyList } from '../../src/actors/keys.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import { useScriptedRedis } from '../support/redis.ts';

let client: Redis & ScriptCommands;
useScriptedRedis((c) => { client = c; });

/** The partition's keys, as the tests name them. */
const KEYS = { partitionLease: () => 'lease', outStream: () => 'out', partitionLastCommit: () => 'last-commit' };
let commits = 0;

const archiveOf = (name: string) => ({ oldList: `${name}:old`, oldIds: `${name}:old-ids`, list: name, base: `${name}:base`, ids: `${name}:ids`, times: `${name}:times` });
const AT = Date.parse('2026-12-07T10:00:00.000Z');

async function commit(name: string, entries: [stanzaId: string, entry: string, ms?: number][]): Promise<void> {
  const c = new CommitBuilder();
  for (const [id, entry, ms = AT] of entries) c.archive(archiveOf(name), id, ms, entry);
  assert.equal(await client.commitPartition(...c.args(KEYS, 0, 'L', `c${++commits}`, Buffer.alloc(0))), 1);
}

/** The archive's entries in time order, as the read script gives them. */
const read = async (name: string) => await client.readArchive(...archiveKeyList(archiveOf(name)), 'newest', 0);

test('an entry whose stanza id is archived already, by an earlier commit or earlier in the same one, is not appended again', async () => {
  await client.set('lease', 'L');
  await commit('a1', [['s1', 'first'], ['s2', 'second']]);
  await commit('a1', [['s2', 'second again'], ['s3', 'third'], ['s3', 'third again'], ['s4', 'fourth: with ":" and é']]);
  assert.deepEqual(await read('a1'), ['first', 'second', 'third', 'fourth: with ":" and é'], 'equal times: in the order they came');
  assert.deepEqual((await client.hkeys('a1:ids')).sort(), ['s1', 's2', 's3', 's4']);
});

test('a commit of thousands of entries appends them all, read back in time order', async () => {
  await client.set('lease', 'L');
  const entries = Array.from({ length: 2_500 }, (_, i): [string, string, number] => [`m${i}`, `entry ${i}`, AT + i]);
  // 5 repeated ids, the second time ignored; the newest first: the index orders them by time
  await commit('a2', [...entries.slice(0, 10), ...entries.slice(5)].reverse());
  assert.deepEqual(await read('a2'), entries.map(([, e]) => e));
});

test('a commit sent again (its answer lost with the connection) is applied once: stanzas and own ids not doubled', async () => {
  await client.set('lease', 'L');
  const c = new CommitBuilder();
  c.push('own-ids', 10, ['["l1","x1"]']).set('snapshot', 'S1');
  const args = c.args(KEYS, 0, 'L', 'again-1', Buffer.from('<message/>'));
  assert.equal(await client.commitPartition(...args), 1);
  assert.equal(await client.commitPartition(...args), 1);
  assert.equal(await client.xlen('out'), 1);
  assert.deepEqual(await client.lrange('own-ids', 0, -1), ['["l1","x1"]']);
  // the next commit (another id) is applied
  const next = new CommitBuilder().push('own-ids', 10, ['["l2","x2"]']);
  assert.equal(await client.commitPartition(...next.args(KEYS, 0, 'L', 'again-2', Buffer.from('<message/>'))), 1);
  assert.equal(await client.xlen('out'), 2);
  assert.deepEqual(await client.lrange('own-ids', 0, -1), ['["l1","x1"]', '["l2","x2"]']);
});

test('a commit under a lease no longer held writes nothing', async () => {
  await client.set('lease', 'other');
  const c = new CommitBuilder().set('fenced', 'no');
  assert.equal(await client.commitPartition(...c.args(KEYS, 0, 'L', 'fenced-1', Buffer.from('<message/>'))), -1);
  assert.equal(await client.exists('fenced'), 0);
});

test('avatar-ref counts the rooms that use an image: stored with the first, kept while any, gone with the last', async () => {
  await client.set('lease', 'L');
  const run = async (c: CommitBuilder) => assert.equal(await client.commitPartition(...c.args(KEYS, 0, 'L', `c${++commits}`, Buffer.alloc(0))), 1);
  const big = 'x'.repeat(50_000);
  await run(new CommitBuilder().avatarRef('avatars', 'refs', 'h1', 1, big).avatarRef('avatars', 'refs', 'h1', 1, 'other bytes'));
  assert.deepEqual([await client.hget('avatars', 'h1'), await client.hget('refs', 'h1')], [big, '2'], 'the first bytes stay: an image never changes under its hash');
  await run(new CommitBuilder().avatarRef('avatars', 'refs', 'h1', -1));
  assert.deepEqual([await client.hget('avatars', 'h1'), await client.hget('refs', 'h1')], [big, '1']);
  await run(new CommitBuilder().avatarRef('avatars', 'refs', 'h1', -1).avatarRef('avatars', 'refs', 'h2', 1, 'v2'));
  assert.deepEqual([await client.hgetall('avatars'), await client.hgetall('refs')], [{ h2: 'v2' }, { h2: '1' }]);
  assert.equal(await client.releaseAvatars('avatars', 'refs', 'h2'), 1, 'an unregistration releases what its rooms used');
  assert.equal(await client.exists('avatars', 'refs'), 0);
});
