// Answers Redis gave that never reached the gateway: Redis ran the command, and the connection
// broke before its answer came (what a Redis crash does to a command in flight, at a moment a
// test cannot aim a crash at). ioredis sends such a command again after reconnecting; for the
// reads that take something (a mailbox fetch, an outbox read) the second run takes what comes
// next, and what the first took must still be applied and delivered, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type TestStack } from '../support/stack.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectClient, xml, type TestClient } from '../support/xmpp-client.ts';
import { startRedisProxy, type RedisProxy } from '../support/redis-proxy.ts';
import { Queue } from 'bullmq';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';

const MUC = 'http://jabber.org/protocol/muc';
const REGISTER = 'jabber:iq:register';
const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] }] };

describe('answers lost with the connection', () => {
  let stack: TestStack;
  let proxy: RedisProxy;
  let gw: TestGateway;
  let romeo: TestClient;

  before(async () => {
    stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }] });
    proxy = await startRedisProxy({ host: '127.0.0.1', port: stack.redis.port });
    gw = await startTestGateway(stack, { world: WORLD, redisUrl: proxy.url });
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo' });
    await romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('nickname', {}, 'romeo'))));
    await romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    await romeo.next((el) => el.name === 'message' && !!el.getChild('subject'));
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await proxy?.stop();
    await stack?.stop();
  });

  /** Sends `tag 1` … `tag n`, the first once its answer is armed to be lost; checks echoes and the network. */
  async function sendThrough(tag: string, n: number, lost: Promise<void>): Promise<void> {
    const send = (i: number) => romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: `${tag}-${i}` }, xml('body', {}, `${tag} ${i}`)));
    await send(1);
    await lost;
    for (let i = 2; i <= n; i++) await send(i);
    const echoes: string[] = [];
    while (echoes.length < n) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith(`${tag} `) ?? false, 15_000);
      assert.notEqual(el.attrs.type, 'error', el.toString());
      echoes.push(el.getChildText('body')!);
    }
    const all = Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`);
    assert.deepEqual(echoes, all, 'every echo once, in order');
    const { network } = gw.gateway.shared as DemoShared;
    assert.deepEqual(network.room('lobby').sent.map((m) => m.body).filter((b) => b.startsWith(`${tag} `)), all, 'the network heard each once, in order');
  }

  test('a message whose mailbox fetch answer was lost is applied first, then the ones after it', async () => {
    // BullMQ's fetch (wait → active) of the job that carries the message
    const lost = proxy.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('fetch-lost 1') });
    await sendThrough('fetch-lost', 3, lost);
  });

  test('a legacy message whose mailbox fetch answer was lost (a lone job: its id is the event\'s) is delivered first, then the ones after it', async () => {
    const { network } = gw.gateway.shared as DemoShared;
    const lost = proxy.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('legacy-lost 1') });
    network.post('lobby', { from: 'bob', body: 'legacy-lost 1' });
    await lost;
    for (let i = 2; i <= 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // each a lone job of its own
      network.post('lobby', { from: 'bob', body: `legacy-lost ${i}` });
    }
    const got: string[] = [];
    while (got.length < 3) got.push((await romeo.next((m) => m.getChildText('body')?.startsWith('legacy-lost ') ?? false, 10_000)).getChildText('body')!);
    assert.deepEqual(got, ['legacy-lost 1', 'legacy-lost 2', 'legacy-lost 3']);
  });

  test('a message whose mailbox fetch answer was lost, with nothing after it, is applied within seconds', async () => {
    // no newer job comes to find it left active: BullMQ's stall check alone would take 30-60 s
    const lost = proxy.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('fetch-lost-last') });
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'fll' }, xml('body', {}, 'fetch-lost-last')));
    await lost;
    const echo = await romeo.next((el) => el.attrs.id === 'fll', 10_000);
    assert.equal(echo.getChildText('body'), 'fetch-lost-last');
  });

  test('an add Redis ran twice, the second time after its job was done (another process reconnected late), applies its message once', async () => {
    // the edge's add ran, its answer was lost, and ioredis sent it again once reconnected: in a
    // process apart from the workers, that can come after a worker ran the job and finished it
    const add = Queue.prototype.add;
    let addArgs: { queue: Queue; args: Parameters<Queue['add']> } | undefined;
    Queue.prototype.add = async function (this: Queue, ...args: Parameters<Queue['add']>) {
      const data = args[1] as { jobs?: { xml?: string }[]; xml?: string };
      if ((data.xml ?? data.jobs?.[0]?.xml ?? '').includes('added-twice')) addArgs = { queue: this, args };
      return add.apply(this, args);
    } as Queue['add'];
    try {
      await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'twice' }, xml('body', {}, 'added-twice')));
      await romeo.next((el) => el.getChildText('body') === 'added-twice', 10_000);
    } finally {
      Queue.prototype.add = add;
    }
    assert.ok(addArgs, 'the add was seen');
    await add.apply(addArgs.queue, addArgs.args); // the job is done: its echo came
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'after-twice' }, xml('body', {}, 'after-twice')));
    await romeo.next((el) => el.attrs.id === 'after-twice', 10_000);
    assert.deepEqual(romeo.unconsumed().filter((el) => el.getChildText('body') === 'added-twice').map((el) => el.toString()), [], 'no second echo');
    const { network } = gw.gateway.shared as DemoShared;
    assert.equal(network.room('lobby').sent.filter((m) => m.body === 'added-twice').length, 1, 'the network heard it once');
  });

  test('an echo whose outbox read answer was lost goes out first, then the ones after it', async () => {
    const lost = proxy.loseNextAnswer({ request: (text) => text.includes('XREADGROUP'), answer: (text) => text.includes('read-lost 1') });
    await sendThrough('read-lost', 3, lost);
  });

  test('connections cut again and again under traffic in both directions lose nothing, and duplicate nothing', async () => {
    const { network } = gw.gateway.shared as DemoShared;
    let up = 0;
    let down = 0;
    const traffic = setInterval(() => {
      for (let k = 0; k < 3; k++) void romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: `cut-${up}` }, xml('body', {}, `cut up ${up++}`)));
      for (let k = 0; k < 3; k++) network.post('lobby', { from: 'bob', body: `cut down ${down++}` });
    }, 5);
    try {
      for (let cut = 0; cut < 10; cut++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 100)));
        proxy.cutAll();
      }
    } finally {
      clearInterval(traffic);
    }
    const ups: number[] = [];
    const downs: number[] = [];
    while (ups.length < up || downs.length < down) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith('cut ') ?? false, 20_000);
      assert.notEqual(el.attrs.type, 'error', el.toString());
      const [, dir, n] = el.getChildText('body')!.split(' ');
      (dir === 'up' ? ups : downs).push(Number(n));
    }
    assert.deepEqual(ups, Array.from({ length: up }, (_, i) => i), 'the echoes: each once, in order');
    assert.deepEqual(downs, Array.from({ length: down }, (_, i) => i), 'the network\'s messages: each once, in order');
    const heard = network.room('lobby').sent.map((m) => m.body).filter((b) => b.startsWith('cut up '));
    assert.deepEqual(heard, Array.from({ length: up }, (_, i) => `cut up ${i}`), 'the network heard each once, in order');
  });

  test('Redis away longer than the leases under traffic: partitions and the edge are taken again, and what was accepted arrives once, in order', async (t) => {
    const { network } = gw.gateway.shared as DemoShared;
    let up = 0;
    let down = 0;
    const traffic = setInterval(() => {
      for (let k = 0; k < 3; k++) void romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: `away-${up}` }, xml('body', {}, `away up ${up++}`)));
      for (let k = 0; k < 3; k++) network.post('lobby', { from: 'bob', body: `away down ${down++}` });
    }, 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy.awayFor(4500); // the leases last 3 s
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      clearInterval(traffic);
    }
    // the network's messages wait in the gateway for Redis; the user's wait too, until the edge
    // gives its component connection up (lease lost): then the XMPP server refuses them
    const echoed: number[] = [];
    const refused: number[] = [];
    const downs: number[] = [];
    while (echoed.length + refused.length < up || downs.length < down) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith('away ') ?? m.attrs.id?.startsWith('away-') ?? false, 30_000);
      if (el.attrs.type === 'error') {
        refused.push(Number(el.attrs.id!.slice(5)));
        continue;
      }
      const [, dir, n] = el.getChildText('body')!.split(' ');
      (dir === 'up' ? echoed : downs).push(Number(n));
    }
    assert.deepEqual(downs, Array.from({ length: down }, (_, i) => i), 'the network\'s messages: each once, in order');
    assert.deepEqual([...echoed, ...refused].sort((a, b) => a - b), Array.from({ length: up }, (_, i) => i), 'each user message echoed or refused, once');
    assert.deepEqual(echoed, [...echoed].sort((a, b) => a - b), 'the echoes in order');
    const heard = network.room('lobby').sent.map((m) => m.body).filter((b) => b.startsWith('away up '));
    assert.deepEqual(heard, echoed.map((n) => `away up ${n}`), 'the network heard what was echoed, once, in order');
    assert.ok(echoed.length > 0 && down > 0);
    t.diagnostic(`${up} user messages: ${echoed.length} echoed, ${refused.length} refused; ${down} from the network`);
  });
});
