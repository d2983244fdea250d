import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorld, parseWorld, shiftTimestamps, WorldError, SAMPLE_WORLD_PATH } from '../../../../src/legacy/demo/index.ts';
import { testWorld } from './fixtures.ts';

function rejects(json: unknown, pattern: RegExp): void {
  assert.throws(() => parseWorld(json), (err: unknown) => err instanceof WorldError && pattern.test(err.message));
}

test('a valid world gets its defaults and UTC timestamps', () => {
  const world = parseWorld({
    rooms: [{ id: 'r', name: 'R', type: 'group', participants: [{ nick: 'a' }], messages: [{ id: '1', from: 'a', body: 'x', timestamp: '2024-05-01T12:00:00+02:00' }] }],
  });
  assert.deepEqual(world.rooms[0], {
    id: 'r', name: 'R', type: 'group', description: '', subject: '',
    participants: [{ nick: 'a', role: 'participant', affiliation: 'member' }],
    messages: [{ id: '1', from: 'a', body: 'x', timestamp: '2024-05-01T10:00:00.000Z' }],
  });
});

test('a bad room type names its field path', () => {
  rejects({ rooms: [{ id: 'r', name: 'R', type: 'forum' }] }, /rooms\[0\]\.type: Invalid option/);
});

test('a bad participant nickname, role or timestamp names its field path', () => {
  const room = { id: 'r', name: 'R', type: 'channel' };
  rejects({ rooms: [{ ...room, participants: [{ nick: 'a' }, { nick: '' }] }] }, /rooms\[0\]\.participants\[1\]\.nick: a nickname cannot be empty/);
  rejects({ rooms: [{ ...room, participants: [{ nick: 'a', role: 'king' }] }] }, /rooms\[0\]\.participants\[0\]\.role/);
  rejects({ rooms: [{ ...room, messages: [{ id: '1', from: 'a', body: 'x', timestamp: 'yesterday' }] }] }, /rooms\[0\]\.messages\[0\]\.timestamp: Invalid ISO datetime/);
});

test('a member that is not a bare JID names its field path', () => {
  rejects({ rooms: [{ id: 'r', name: 'R', type: 'group', members: ['romeo@montague.lit/orchard'] }] }, /rooms\[0\]\.members\[0\]: expected a bare JID/);
});

test('duplicate room ids, nicknames and message ids are refused where they repeat', () => {
  const room = { id: 'r', name: 'R', type: 'channel' };
  rejects({ rooms: [room, { ...room }] }, /rooms\[1\]\.id: duplicate room id "r"/);
  rejects({ rooms: [{ ...room, participants: [{ nick: 'a' }, { nick: 'a' }] }] }, /rooms\[0\]\.participants\[1\]\.nick: duplicate nickname/);
  const m = { id: 'x', from: 'a', body: 'b', timestamp: '2024-05-01T10:00:00Z' };
  rejects({ rooms: [{ ...room, messages: [m, m] }] }, /rooms\[0\]\.messages\[1\]\.id: duplicate message id "x"/);
});

test('a room id with capitals is refused, as a JID would lose them', () => {
  rejects({ rooms: [{ id: 'Lobby', name: 'L', type: 'channel' }] }, /rooms\[0\]\.id: a room id cannot contain capital letters/);
});

test('a world that is not an object says so at the root', () => {
  rejects(null, /\(root\): Invalid input: expected object/);
  rejects({}, /rooms: Invalid input: expected array/);
});

test('loadWorld names the file when its JSON is broken or invalid', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'demo-world-'));
  await writeFile(join(dir, 'broken.json'), '{ "rooms": [');
  await writeFile(join(dir, 'invalid.json'), '{ "rooms": [{ "id": "r" }] }');
  await assert.rejects(loadWorld(join(dir, 'broken.json')), /cannot read demo world .*broken\.json/);
  await assert.rejects(loadWorld(join(dir, 'invalid.json')), /invalid\.json: invalid demo world: rooms\[0\]\.name/);
});

test('the bundled sample world is valid and has the documented rooms', async () => {
  const world = await loadWorld(SAMPLE_WORLD_PATH);
  assert.deepEqual(world.rooms.map((r) => r.id), ['lobby', 'family', 'dev team', 'big']);
  assert.deepEqual(world.rooms[1]!.members, ['romeo@localhost', 'juliet@localhost']);
  assert.ok(world.rooms[3]!.participants.length >= 20);
});

test('shifting timestamps makes the newest message five minutes old and keeps the gaps', () => {
  const world = parseWorld(testWorld());
  const now = new Date('2030-01-01T00:00:00Z');
  const shifted = shiftTimestamps(world, now);
  const coven = shifted.rooms[0]!;
  assert.equal(coven.messages.find((m) => m.id === 'c-5')!.timestamp, '2029-12-31T23:55:00.000Z');
  assert.equal(coven.messages.find((m) => m.id === 'c-1')!.timestamp, '2029-12-31T23:51:00.000Z');
  assert.equal(coven.subjectDate, '2029-12-31T21:51:00.000Z');
  assert.equal(world.rooms[0]!.messages[0]!.timestamp, '2024-05-01T10:00:00.000Z', 'the input is not changed');
});
