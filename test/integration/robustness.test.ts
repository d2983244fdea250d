// Servers going away under a running gateway: Redis restarts (data kept), the XMPP server's
// component connection drops. The gateway logs, waits, reconnects, and loses nothing accepted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLobby, LOBBY, type Lobby } from '../support/lobby.ts';
import { xml } from '../support/xmpp-client.ts';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('robustness', () => {
  let lobby: Lobby;
  let stack: Lobby['stack'];
  let gw: Lobby['gw'];
  let romeo: Lobby['romeo'];

  before(async () => {
    lobby = await startLobby({ redis: { appendOnly: true } });
    ({ stack, gw, romeo } = lobby);
  });

  after(async () => {
    await lobby?.stop();
  });

  test('messages accepted while Redis restarts are delivered once it is back', async () => {
    await stack.redis.restart({ crash: true });
    // the legacy network speaks while the gateway's Redis was just restarted
    for (let i = 1; i <= 5; i++) await gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: `after restart ${i}`, id: `r-${i}` });
    const got: string[] = [];
    while (got.length < 5) got.push((await romeo.next((el) => el.getChildText('body')?.startsWith('after restart') ?? false, 20_000)).getChildText('body')!);
    assert.deepEqual(got, [1, 2, 3, 4, 5].map((i) => `after restart ${i}`));
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'rr1' }, xml('body', {}, 'still there')));
    const echo = await romeo.next((el) => el.attrs.id === 'rr1', 20_000);
    assert.equal(echo.getChildText('body'), 'still there');
  });

  /**
   * Runs `tick` every 5 ms (5 messages a tick: 1,000 a second) before, during and after a crash
   * of Redis (SIGKILL, with commits and adds in flight), which comes back 1.5 s later from its
   * append-only file.
   */
  async function crashRedisDuring(tick: () => void): Promise<void> {
    const traffic = setInterval(tick, 5);
    try {
      await sleep(1500);
      process.kill(stack.redis.pid(), 'SIGKILL');
      await sleep(1500);
      await stack.redis.restart({ crash: true });
      await sleep(1500);
    } finally {
      clearInterval(traffic);
    }
  }

  test('a Redis crash under traffic loses nothing: every message arrives once, in order', async () => {
    const { network } = gw.gateway.shared as DemoShared;
    let posted = 0;
    await crashRedisDuring(() => { for (let k = 0; k < 5; k++) network.post('lobby', { from: 'bob', body: `load ${posted++}` }); });
    const got: number[] = [];
    while (got.length < posted) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith('load ') ?? false, 20_000);
      got.push(Number(el.getChildText('body')!.slice(5)));
    }
    assert.deepEqual(got, Array.from({ length: posted }, (_, i) => i));
    // enough traffic that adds and commits were in flight at the crash (the timer fires less on a busy machine)
    assert.ok(posted > 1500, `${posted} messages posted`);
  });

  test("a Redis crash while the user writes loses nothing: the network has every message once, in order, and so do the echoes", async () => {
    const { network } = gw.gateway.shared as DemoShared;
    let sent = 0;
    await crashRedisDuring(() => {
      for (let k = 0; k < 5; k++) void romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: `up-${sent}` }, xml('body', {}, `up ${sent++}`)));
    });
    const echoes: number[] = [];
    while (echoes.length < sent) {
      const el = await romeo.next((m) => m.getChildText('body')?.startsWith('up ') ?? false, 20_000);
      assert.notEqual(el.attrs.type, 'error', el.toString());
      echoes.push(Number(el.getChildText('body')!.slice(3)));
    }
    const all = Array.from({ length: sent }, (_, i) => i);
    assert.deepEqual(echoes, all);
    const heard = network.room('lobby').sent.filter((m) => m.body.startsWith('up ')).map((m) => Number(m.body.slice(3)));
    assert.deepEqual(heard, all);
    assert.ok(sent > 1000, `${sent} messages sent`);
  });

  test('a dropped component connection is reconnected, and what was queued meanwhile goes out', async () => {
    // Prosody drops the component when its stream breaks: simulate it by closing the socket under it
    const edge = gw.gateway.edge!;
    const socket = edge.connectionSocket();
    assert.ok(socket, 'the edge is connected');
    socket.destroy();
    await gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'during reconnect', id: 'd-1' });
    const msg = await romeo.next((el) => el.getChildText('body') === 'during reconnect', 20_000);
    assert.equal(msg.attrs.from, `${LOBBY}/bob`);
  });

  test('while the plugin restores its connection, the user is told to retry, then all works again', async () => {
    const session = gw.gateway.worker!.sessions.peek('romeo@localhost')!;
    session.connectionLost('network hiccup');
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'rc1' }, xml('body', {}, 'too early')));
    const refused = await romeo.next((el) => el.attrs.id === 'rc1' && el.attrs.type === 'error', 20_000);
    assert.equal(refused.getChild('error')?.getChildElements()[0]?.name, 'recipient-unavailable');
    session.connectionRestored();
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'rc2' }, xml('body', {}, 'back')));
    const echo = await romeo.next((el) => el.attrs.id === 'rc2', 20_000);
    assert.equal(echo.getChildText('body'), 'back');
  });
});
