// Redis going away under a running roomgate process, as its operator reads the log: one line
// when Redis becomes unreachable (or stops answering) and one when it is back, however many
// connections and partition consumers fail meanwhile; nothing printed outside the JSON log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startStack, type TestStack } from '../support/stack.ts';
import { makeTempDir, removeTempDir } from '../support/daemon.ts';
import { freePort } from '../support/ports.ts';
import { spawnRoomgate, type RoomgateProcess } from '../support/processes.ts';
import { connectClient, xml, type TestClient } from '../support/xmpp-client.ts';
import { settlesWithin } from '../support/timing.ts';

const PARTITIONS = 16;

let stack: TestStack;
let dir: string;
let gw: RoomgateProcess;
let romeo: TestClient;

before(async () => {
  stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }], redis: { appendOnly: true } });
  dir = makeTempDir('outage');
  const worldPath = join(dir, 'world.json');
  await writeFile(worldPath, JSON.stringify({ rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] }] }));
  const config = {
    component: { jid: 'gw.localhost', secret: stack.component.secret },
    xmpp: { host: '127.0.0.1', port: Number(new URL(stack.component.service).port) },
    redis: { url: stack.redis.url, prefix: `test:${randomUUID()}` },
    partitions: PARTITIONS,
    plugin: { name: 'demo', options: { world: worldPath, httpPort: await freePort(), shiftTimestamps: false } },
    log: { level: 'info' },
  };
  const configPath = join(dir, 'roomgate.json');
  await writeFile(configPath, JSON.stringify(config));
  gw = spawnRoomgate('start', configPath, dir, 'gateway');
  await gw.waitForLog(/"worker started"/, 30_000);
  await gw.waitForLog(/"edge active"/, 30_000);
  // a stanza through the edge: its partition's mailbox queue is open when Redis goes away
  romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo' });
  await romeo.iq(xml('iq', { type: 'get', to: 'gw.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
});

after(async () => {
  await romeo?.stop();
  await gw?.kill();
  await stack?.stop();
  if (dir) await removeTempDir(dir);
});

test('a Redis outage is one line in the log, and its end another; the process keeps running', async () => {
  // a crash, not a restart: every connection is refused for a while
  process.kill(stack.redis.pid(), 'SIGKILL');
  await gw.waitForLog(/"redis unreachable, retrying"/);
  // long enough for each of the 16 partition consumers and the outbox reader to retry several times
  await new Promise((resolve) => setTimeout(resolve, 4000));
  await stack.redis.restart({ crash: true });
  await gw.waitForLog(/"redis reachable again"/, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // what the reconnected consumers say, if anything

  const lines = readFileSync(gw.logFile, 'utf8').split('\n').filter(Boolean);
  const notJson = lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } });
  assert.deepEqual(notJson, [], 'everything is in the JSON log (no "Unhandled error event" from an ioredis connection)');
  const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
  const problems = entries.filter((e) => e.level >= 40).map((e) => e.msg);
  assert.equal(problems.filter((m) => m === 'redis unreachable, retrying').length, 1);
  // besides: the leases that expired meanwhile (a partition's or the edge's), a line each
  const expected = new Set(['redis unreachable, retrying', 'partition lease lost', 'edge lease lost: going back to standby']);
  assert.deepEqual(problems.filter((m) => !expected.has(m)), []);
  assert.equal(entries.filter((e) => e.msg === 'redis reachable again').length, 1);
  assert.equal(gw.child.exitCode, null);
});

test('a Redis that keeps the connection but stops answering is said once, and its answer again', async () => {
  const before = readFileSync(gw.logFile, 'utf8').split('\n').filter(Boolean).length;
  process.kill(stack.redis.pid(), 'SIGSTOP');
  try {
    await gw.waitForLog(/"redis not answering"/, 15_000);
  } finally {
    process.kill(stack.redis.pid(), 'SIGCONT');
  }
  await gw.waitForLog(/"redis answering again"/, 15_000);
  const entries = readFileSync(gw.logFile, 'utf8').split('\n').filter(Boolean).slice(before).map((l) => JSON.parse(l) as { msg: string; waitedMs?: number });
  assert.equal(entries.filter((e) => e.msg === 'redis not answering').length, 1);
  assert.ok(entries.find((e) => e.msg === 'redis answering again')!.waitedMs! >= 5000);
  // the connection never dropped: it is not reported as unreachable
  assert.equal(entries.filter((e) => e.msg === 'redis unreachable, retrying').length, 0);
  assert.equal(gw.child.exitCode, null);
});

test('after both, the gateway answers again', async () => {
  // the outages outlived the edge's lease: the edge went back to standby, closed its drain while
  // its reader waited for Redis, and must have become active again since
  const until = Date.now() + 20_000;
  for (;;) {
    const msgs = readFileSync(gw.logFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    const lost = msgs.lastIndexOf('edge lease lost: going back to standby');
    assert.ok(lost >= 0, 'the outage outlived the edge lease');
    if (msgs.indexOf('component online', lost) > lost) break;
    assert.ok(Date.now() < until, 'the edge became active again, with a component connection');
    await new Promise((r) => setTimeout(r, 100));
  }
  const disco = () => romeo.iq(xml('iq', { type: 'get', to: 'gw.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), 20_000);
  const answer = await disco();
  assert.equal(answer.attrs.type, 'result', answer.toString());
});

test('told to stop while Redis is away, it stops once Redis is back', async () => {
  process.kill(stack.redis.pid(), 'SIGKILL');
  await gw.waitForLog(/"redis unreachable, retrying"/);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // its connections wait to reconnect
  const stopping = gw.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 2000)); // it may wait for Redis: leases, cursors, the 332s
  await stack.redis.restart({ crash: true });
  assert.equal(await settlesWithin(stopping, 20_000), true, 'stopped once Redis is back');
  assert.equal(gw.child.exitCode, 0);
});
