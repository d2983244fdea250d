import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoNetwork, parseWorld, startDemoHttp, type DemoEvent, type DemoHttp } from '../../../../src/legacy/demo/index.ts';
import { ReplicaDemoNetwork } from '../../../../src/legacy/demo/replica.ts';
import { DemoError } from '../../../../src/legacy/demo/types.ts';
import { silent, testWorld } from './fixtures.ts';

let network: DemoNetwork;
let http: DemoHttp;
let replica: ReplicaDemoNetwork;

before(async () => {
  network = new DemoNetwork(parseWorld(testWorld()), { log: silent });
  network.post('coven', { from: 'firstwitch', body: 'said before the replica existed', id: 'early' });
  http = await startDemoHttp(network, { host: '127.0.0.1', port: 0, log: silent });
  replica = await ReplicaDemoNetwork.open(`http://127.0.0.1:${http.port}`, silent);
});
after(async () => {
  replica.close();
  await http.close();
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), 'in time');
}

test('a replica starts with everything the network said, numbered the same', () => {
  assert.equal(replica.lastSeq(), network.lastSeq());
  assert.ok(replica.messages('coven').some((m) => m.id === 'early'));
});

test("a replica's users hear the network's events live, with the network's numbers", async () => {
  const heard: [DemoEvent, number][] = [];
  const c = replica.connect('romeo@montague.lit', 'romeo', (e, seq) => heard.push([e, seq]));
  const { id } = network.post('coven', { from: 'secondwitch', body: 'live' });
  await until(() => heard.length === 1);
  assert.equal(heard[0]![1], network.lastSeq());
  assert.deepEqual([heard[0]![0].type, (heard[0]![0] as { id: string }).id], ['message', id]);
  c.disconnect();
});

test('a user resumes after the last event it applied', async () => {
  const from = network.lastSeq();
  network.post('coven', { from: 'secondwitch', body: 'missed one' });
  network.post('coven', { from: 'secondwitch', body: 'missed two' });
  await until(() => replica.lastSeq() === network.lastSeq());
  const heard: string[] = [];
  const c = replica.connect('romeo@montague.lit', 'romeo', (e) => { if (e.type === 'message') heard.push(e.body); }, { after: from });
  assert.deepEqual(heard, ['missed one', 'missed two']);
  c.disconnect();
});

test("a replica's writes reach the network, in order, and come back through the journal", async () => {
  const a = replica.sendFromUser('coven', 'romeo@montague.lit', 'romeo', 'first from romeo', 'r-1');
  replica.sendFromUser('coven', 'romeo@montague.lit', 'romeo', 'second from romeo', 'r-2');
  replica.correct('coven', { id: 'r-1', from: 'romeo', body: 'first, corrected', jid: 'romeo@montague.lit' });
  await replica.settled();
  assert.deepEqual(network.room('coven').sent.map((m) => m.id), ['r-1', 'r-2']);
  await until(() => replica.messages('coven').some((m) => m.id === a.id));
  assert.equal(network.messages('coven').find((m) => m.id === 'r-1')?.body, 'first, corrected');
});

test("a replica's rename of a room reaches the network and comes back as its info", async () => {
  replica.configure('coven', { name: 'The Cave', description: 'Double, double' });
  await replica.settled();
  assert.equal(network.info('coven').name, 'The Cave');
  await until(() => replica.info('coven').name === 'The Cave');
  assert.equal(replica.info('coven').description, 'Double, double');
});

test("a replica's avatar reaches the network under the id the replica gave it, and comes back", async () => {
  const id = replica.setAvatar('coven', 'AAAA');
  await replica.settled();
  assert.deepEqual(network.info('coven').avatar, { id, data: 'AAAA' });
  await until(() => replica.info('coven').avatar?.id === id);
  assert.equal(replica.setAvatar('coven', null), null);
  await replica.settled();
  await until(() => replica.info('coven').avatar === null);
  assert.equal(network.info('coven').avatar, null);
});

test('a refusal by the network comes back from settled()', async () => {
  replica.sendFromUser('coven', 'romeo@montague.lit', 'romeo', 'again', 'r-1');
  await assert.rejects(replica.settled(), (err: { status: number }) => err.status === 409);
});

test('a room created through a replica: resolved once the replica has it, refused as the network refuses', async () => {
  await replica.createRoomAndWait({ id: 'heath', name: 'Heath', type: 'group', members: ['romeo@montague.lit'] });
  assert.ok(replica.hasRoom('heath'), 'there as soon as the call resolves');
  assert.ok(network.hasRoom('heath'));
  await assert.rejects(replica.createRoomAndWait({ id: 'heath', name: 'Again', type: 'group' }), (err: unknown) => err instanceof DemoError && err.status === 409);
});
