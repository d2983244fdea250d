// Answers Redis gave that never reached the gateway: Redis ran the command, and the connection
// broke before its answer came (what a Redis crash does to a command in flight, at a moment a
// test cannot aim a crash at). ioredis sends such a command again after reconnecting; for the
// reads that take something (a mailbox fetch, an outbox read) the second run takes what comes
// next, and what the first took must still be applied and delivered, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { startLobby, LOBBY, type Lobby } from '../support/lobby.ts';
import { xml } from '../support/xmpp-client.ts';
import { startRedisProxy, type RedisProxy } from '../support/redis-proxy.ts';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';

describe('answers lost with the connection', () => {
  let proxy: RedisProxy | undefined;
  let lobby: Lobby;
  let gw: Lobby['gw'];
  let romeo: Lobby['romeo'];

  before(async () => {
    lobby = await startLobby({
      gatewayRedisUrl: async (stack) => (proxy = await startRedisProxy({ host: '127.0.0.1', port: stack.redis.port })).url,
    });
    ({ gw, romeo } = lobby);
  });

  after(async () => {
    await lobby?.stop();
    await proxy?.stop();
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
    const lost = proxy!.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('fetch-lost 1') });
    await sendThrough('fetch-lost', 3, lost);
  });

  test('a legacy message whose mailbox fetch answer was lost (a lone job: its id is the event\'s) is delivered first, then the ones after it', async () => {
    const { network } = gw.gateway.shared as DemoShared;
    const lost = proxy!.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('legacy-lost 1') });
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
    const lost = proxy!.loseNextAnswer({ request: (text) => text.includes(':mailbox:'), answer: (text) => text.includes('fetch-lost-last') });
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
    const lost = proxy!.loseNextAnswer({ request: (text) => text.includes('XREADGROUP'), answer: (text) => text.includes('read-lost 1') });
    await sendThrough('read-lost', 3, lost);
  });

  /** Three user messages and three of the network's every 5 ms, tagged; `stop` ends them and says how many went each way. */
  function trafficBothWays(tag: string): { stop(): { up: number; down: number } } {
    const { network } = gw.gateway.shared as DemoShared;
    let up = 0;
    let down = 0;
    const timer = setInterval(() => {
      for (let k = 0; k < 3; k++) void romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: `${tag}-${up}` }, xml('body', {}, `${tag} up ${up++}`)));
      for (let k = 0; k < 3; k++) network.post('lobby', { from: 'bob', body: `${tag} down ${down++}` });
    }, 5);
    return { stop: () => { clearInterval(timer); return { up, down }; } };
  }

  /** What came back of `trafficBothWays(tag)`, by number: the echoes, the user messages the XMPP server refused, the network's messages. */
  async function arrivals(tag: string, sent: { up: number; down: number }, ms: number) {
    const echoed: number[] = [];
    const refused: number[] = [];
    const downs: number[] = [];
    while (echoed.length + refused.length < sent.up || downs.length < sent.down) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith(`${tag} `) ?? m.attrs.id?.startsWith(`${tag}-`) ?? false, ms);
      if (el.attrs.type === 'error') {
        refused.push(Number(el.attrs.id!.slice(tag.length + 1)));
        continue;
      }
      const [, dir, n] = el.getChildText('body')!.split(' ');
      (dir === 'up' ? echoed : downs).push(Number(n));
    }
    return { echoed, refused, downs };
  }

  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
  const heardByNetwork = (tag: string) => {
    const { network } = gw.gateway.shared as DemoShared;
    return network.room('lobby').sent.map((m) => m.body).filter((b) => b.startsWith(`${tag} up `)).map((b) => Number(b.split(' ')[2]));
  };

  test('connections cut again and again under traffic in both directions lose nothing, and duplicate nothing', async () => {
    const traffic = trafficBothWays('cut');
    let sent = { up: 0, down: 0 };
    try {
      for (let cut = 0; cut < 10; cut++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 100)));
        proxy!.cutAll();
      }
    } finally {
      sent = traffic.stop();
    }
    const { echoed, refused, downs } = await arrivals('cut', sent, 20_000);
    assert.deepEqual(refused, [], 'nothing refused');
    assert.deepEqual(echoed, upTo(sent.up), 'the echoes: each once, in order');
    assert.deepEqual(downs, upTo(sent.down), 'the network\'s messages: each once, in order');
    assert.deepEqual(heardByNetwork('cut'), upTo(sent.up), 'the network heard each once, in order');
  });

  test('Redis away longer than the leases under traffic: partitions and the edge are taken again, and what was accepted arrives once, in order', async (t) => {
    const traffic = trafficBothWays('away');
    let sent = { up: 0, down: 0 };
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy!.awayFor(4500); // the leases last 3 s
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      sent = traffic.stop();
    }
    // the network's messages wait in the gateway for Redis; the user's wait too, until the edge
    // gives its component connection up (lease lost): then the XMPP server refuses them
    const { echoed, refused, downs } = await arrivals('away', sent, 30_000);
    assert.deepEqual(downs, upTo(sent.down), 'the network\'s messages: each once, in order');
    assert.deepEqual([...echoed, ...refused].sort((a, b) => a - b), upTo(sent.up), 'each user message echoed or refused, once');
    assert.deepEqual(echoed, [...echoed].sort((a, b) => a - b), 'the echoes in order');
    assert.deepEqual(heardByNetwork('away'), echoed, 'the network heard what was echoed, once, in order');
    assert.ok(echoed.length > 0 && sent.down > 0);
    t.diagnostic(`${sent.up} user messages: ${echoed.length} echoed, ${refused.length} refused; ${sent.down} from the network`);
  });
});
