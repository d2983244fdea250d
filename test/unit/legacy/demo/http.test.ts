import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DemoNetwork, MAX_BODY_BYTES, parseWorld, startDemoHttp, type DemoEvent, type DemoHttp } from '../../../../src/legacy/demo/index.ts';
import { silent, steppingClock, testWorld } from './fixtures.ts';

let network: DemoNetwork;
let http: DemoHttp;
let base: string;
const heard: DemoEvent[] = [];

before(async () => {
  network = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  network.connect('romeo@montague.lit', 'romeo', (e) => heard.push(e));
  http = await startDemoHttp(network, { host: '127.0.0.1', port: 0, log: silent });
  base = `http://127.0.0.1:${http.port}/demo/rooms`;
});
after(() => http.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

test('POST messages posts into the room and answers 201 with the legacy id', async () => {
  heard.length = 0;
  const res = await call('POST', '/coven/messages', { from: 'firstwitch', body: 'Double, double' });
  assert.equal(res.status, 201);
  assert.match(res.json.id, /^m-/);
  assert.deepEqual(heard.map((e) => e.type === 'message' && [e.id, e.from, e.body]), [[res.json.id, 'firstwitch', 'Double, double']]);
  const given = await call('POST', '/coven/messages', { from: 'firstwitch', body: 'toil and trouble', id: 'spell-1' });
  assert.deepEqual(given, { status: 201, json: { id: 'spell-1' } });
  assert.equal((await call('POST', '/coven/messages', { from: 'firstwitch', body: 'again', id: 'spell-1' })).status, 409);
});

test('room ids in paths are URL-encoded', async () => {
  const res = await call('POST', `/${encodeURIComponent('dev team')}/messages`, { from: 'frank', body: 'ship it' });
  assert.equal(res.status, 201);
  const room = await call('GET', '/dev%20team');
  assert.equal(room.status, 200);
  assert.equal(room.json.id, 'dev team');
  assert.equal(room.json.messages.at(-1).body, 'ship it');
});

test('POST participants adds a participant, DELETE removes it as leave, kick or ban', async () => {
  heard.length = 0;
  assert.deepEqual(await call('POST', '/coven/participants', { nick: 'hecate', role: 'moderator' }), {
    status: 201, json: { nick: 'hecate', role: 'moderator', affiliation: 'member' },
  });
  await call('POST', '/coven/participants', { nick: 'third witch' });
  await call('POST', '/coven/participants', { nick: 'banquo' });
  assert.equal((await call('DELETE', '/coven/participants/hecate?kick=1&reason=Begone')).status, 204);
  assert.equal((await call('DELETE', `/coven/participants/${encodeURIComponent('third witch')}?ban=1`)).status, 204);
  assert.equal((await call('DELETE', '/coven/participants/banquo')).status, 204);
  assert.deepEqual(heard.filter((e) => e.type === 'participantLeft'), [
    { type: 'participantLeft', roomId: 'coven', nick: 'hecate', kind: 'kick', reason: 'Begone' },
    { type: 'participantLeft', roomId: 'coven', nick: 'third witch', kind: 'ban' },
    { type: 'participantLeft', roomId: 'coven', nick: 'banquo', kind: 'leave' },
  ]);
  assert.equal((await call('DELETE', '/coven/participants/banquo')).status, 404);
  assert.equal((await call('DELETE', '/coven/participants/firstwitch?kick=1&ban=1')).status, 400);
});

test('POST subject and POST rename answer 204 and change the room', async () => {
  assert.equal((await call('POST', '/coven/subject', { subject: 'By the pricking of my thumbs', by: 'secondwitch' })).status, 204);
  assert.equal((await call('POST', '/coven/rename', { from: 'secondwitch', to: 'weird sister' })).status, 204);
  const room = (await call('GET', '/coven')).json;
  assert.equal(room.subject, 'By the pricking of my thumbs');
  assert.equal(room.subjectSetter, 'secondwitch');
  assert.ok(room.participants.some((p: { nick: string }) => p.nick === 'weird sister'));
  assert.equal((await call('POST', '/coven/rename', { from: 'nobody', to: 'x' })).status, 404);
});

test('POST info renames the room or describes it anew, and members hear both as they are now', async () => {
  heard.length = 0;
  assert.equal((await call('POST', '/coven/info', { name: 'The Heath' })).status, 204);
  assert.equal((await call('POST', '/coven/info', { description: 'When the hurlyburly is done' })).status, 204);
  const room = (await call('GET', '/coven')).json;
  assert.deepEqual([room.name, room.description], ['The Heath', 'When the hurlyburly is done']);
  assert.deepEqual(heard.filter((e) => e.type === 'info'), [
    { type: 'info', roomId: 'coven', name: 'The Heath', description: 'Thunder, lightning, or in rain?' },
    { type: 'info', roomId: 'coven', name: 'The Heath', description: 'When the hurlyburly is done' },
  ]);
  assert.equal((await call('POST', '/coven/info', { name: '' })).status, 400);
  assert.equal((await call('POST', '/nowhere/info', { name: 'x' })).status, 404);
});

test('PUT avatar sets the room avatar under a new id (or the one given), DELETE removes it; members hear both', async () => {
  heard.length = 0;
  const put = await call('PUT', '/coven/avatar', { data: 'iVBORw0KGgo=' });
  assert.equal(put.status, 200);
  assert.match(put.json.id, /^avatar-/);
  assert.deepEqual((await call('PUT', '/coven/avatar', { data: 'AAAA', id: 'cauldron' })).json, { id: 'cauldron' });
  assert.deepEqual((await call('GET', '/coven')).json.avatar, { id: 'cauldron', data: 'AAAA' });
  assert.equal((await call('DELETE', '/coven/avatar')).status, 204);
  assert.equal((await call('GET', '/coven')).json.avatar, null);
  assert.deepEqual(heard.filter((e) => e.type === 'avatar'), [
    { type: 'avatar', roomId: 'coven', avatar: { id: put.json.id, data: 'iVBORw0KGgo=' } },
    { type: 'avatar', roomId: 'coven', avatar: { id: 'cauldron', data: 'AAAA' } },
    { type: 'avatar', roomId: 'coven', avatar: null },
  ]);
  assert.equal((await call('PUT', '/coven/avatar', { data: 'not base64!' })).status, 400);
  assert.equal((await call('PUT', '/coven/avatar', {})).status, 400);
  assert.equal((await call('PUT', '/nowhere/avatar', { data: 'AAAA' })).status, 404);
});

test('PUT and DELETE a participant\'s avatar: kept in the room, members hear both', async () => {
  heard.length = 0;
  assert.equal((await call('PUT', '/coven/participants/firstwitch/avatar', { data: 'AAAA' })).status, 204);
  const witch = (await call('GET', '/coven')).json.participants.find((p: { nick: string }) => p.nick === 'firstwitch');
  assert.equal(witch.avatar, 'AAAA');
  assert.equal((await call('DELETE', '/coven/participants/firstwitch/avatar')).status, 204);
  assert.deepEqual(heard.filter((e) => e.type === 'participantAvatar'), [
    { type: 'participantAvatar', roomId: 'coven', nick: 'firstwitch', avatar: 'AAAA' },
    { type: 'participantAvatar', roomId: 'coven', nick: 'firstwitch', avatar: null },
  ]);
  assert.equal((await call('PUT', '/coven/participants/nobody/avatar', { data: 'AAAA' })).status, 404);
  assert.equal((await call('PUT', '/coven/participants/firstwitch/avatar', { data: '!!' })).status, 400);
});

test('POST rooms creates a room that GET rooms then lists', async () => {
  const created = await call('POST', '', { id: 'heath', name: 'Heath', type: 'channel', participants: [{ nick: 'macbeth' }] });
  assert.equal(created.status, 201);
  assert.equal(created.json.id, 'heath');
  assert.deepEqual(created.json.participants, [{ nick: 'macbeth', role: 'participant', affiliation: 'member' }]);
  const list = await call('GET', '');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.rooms.find((r: { id: string }) => r.id === 'heath'), {
    id: 'heath', name: 'Heath', type: 'channel', members: null, nParticipants: 1, nMessages: 0,
  });
  assert.equal((await call('POST', '', { id: 'heath', name: 'Heath', type: 'channel' })).status, 409);
});

test('GET of a room shows what XMPP users sent', async () => {
  const { id } = network.sendFromUser('coven', 'juliet@capulet.lit', 'juliet', 'Hello from XMPP');
  const room = (await call('GET', '/coven')).json;
  assert.deepEqual(room.sent.at(-1), { id, from: 'juliet', body: 'Hello from XMPP', timestamp: room.sent.at(-1).timestamp, jid: 'juliet@capulet.lit' });
});

test('bad JSON and missing fields are 400 with an error naming the field', async () => {
  const broken = await call('POST', '/coven/messages', '{"from": ');
  assert.equal(broken.status, 400);
  assert.match(broken.json.error, /^bad JSON/);
  const missing = await call('POST', '/coven/messages', { from: 'firstwitch' });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /^body: /);
  const badRole = await call('POST', '/coven/participants', { nick: 'x', role: 'queen' });
  assert.match(badRole.json.error, /^role: Invalid option/);
  const badRoom = await call('POST', '', { id: 'x', name: 'X', type: 'channel', members: ['nobody'] });
  assert.deepEqual(badRoom, { status: 400, json: { error: 'members[0]: expected a bare JID such as romeo@localhost' } });
  assert.equal((await call('POST', '/coven/messages', [])).status, 400);
});

test('unknown rooms and routes are 404, wrong methods 405', async () => {
  assert.equal((await call('GET', '/nowhere')).status, 404);
  assert.equal((await call('POST', '/nowhere/messages', { from: 'a', body: 'b' })).status, 404);
  assert.equal((await call('GET', '/coven/elsewhere')).status, 404);
  assert.equal((await call('GET', '/coven/')).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${http.port}/other`)).status, 404);
  assert.equal((await call('PUT', '/coven')).status, 405);
  assert.equal((await call('GET', '/coven/messages')).status, 405);
  assert.equal((await call('GET', '/%E0%A4%A')).status, 400);
});

test('a body over 1 MiB is refused with 413, and the server goes on', async () => {
  const big = JSON.stringify({ from: 'firstwitch', body: 'x'.repeat(MAX_BODY_BYTES) });
  const res = await call('POST', '/coven/messages', big);
  assert.equal(res.status, 413);
  assert.match(res.json.error, /body over/);
  assert.equal((await call('GET', '/coven')).status, 200);
});

test('a chunked body over 1 MiB is refused with 413 too', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/coven/messages`, { method: 'POST' }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) req.write(chunk);
    req.end();
  });
  assert.equal(status, 413);
  assert.equal((await call('GET', '/coven')).status, 200);
});
