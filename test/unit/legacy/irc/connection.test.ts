// IrcLink's send window against the scripted server (fake-server.ts), which can hold back its
// answers to our PINGs: a real server cannot be told to. A burst through the real InspIRCd is
// in test/integration/irc.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IrcLink } from '../../../../src/legacy/irc/connection.ts';
import { startFakeServer, type FakeClient, type FakeServer } from './fake-server.ts';
import { eventually, silent } from './fixtures.ts';

const WINDOW = { size: 2000, markEvery: 500, answerWithinMs: 60_000 };
const LINE = (i: number) => `PRIVMSG #c :message ${String(i).padStart(4, '0')} ${'x'.repeat(70)}`;
const BYTES = (lines: string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l) + 2, 0);

let server: FakeServer;
/** The window's PINGs the server has not answered yet, by client. */
const held = new Map<FakeClient, string[]>();
let holding = true;
/** How the server answers a PING: `:fake PONG fake :token` as InspIRCd does, or `PONG :token` as some bouncers. */
let shortPong = false;

before(async () => {
  server = await startFakeServer();
  server.handlers.PING = (c, args) => {
    const token = args.join(' ');
    if (holding && token.startsWith(':rg-w-')) held.set(c, [...(held.get(c) ?? []), token]);
    else c.send(shortPong ? `PONG ${token}` : `:fake PONG fake ${token}`);
  };
});
after(async () => { await server.close(); });

function answer(c: FakeClient): void {
  for (const token of held.get(c)?.splice(0) ?? []) c.send(`:fake PONG fake ${token}`);
}

async function connected(window = WINDOW, pingTimeoutS = 120): Promise<{ link: IrcLink; irc: FakeClient }> {
  const link = new IrcLink({
    server: { host: '127.0.0.1', port: server.port, tls: false }, nick: 'romeo', username: 'romeo', realname: 'Romeo',
    throttle: { burst: 1_000_000, perSecond: 1_000_000 }, reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
    connectTimeoutMs: 3000, barrierTimeoutMs: 3000, pingIntervalS: 60, pingTimeoutS, sendWindow: window, log: silent,
  });
  const welcome = server.nextClient();
  await link.connect();
  return { link, irc: await welcome };
}

test('a burst waits for the server: never more than the window unanswered, then every line in order', async (t) => {
  holding = true;
  const { link, irc } = await connected();
  t.after(() => link.quit('bye'));
  const start = irc.lines.length;
  const sent = Array.from({ length: 100 }, (_, i) => LINE(i)); // 9 KB: four and a half windows
  for (const line of sent) link.send(line);
  await eventually(() => assert.ok(BYTES(irc.lines.slice(start)) >= WINDOW.size));
  await new Promise((r) => setTimeout(r, 100)); // anything more would have come by now
  const first = irc.lines.slice(start);
  assert.ok(BYTES(first) <= WINDOW.size + 100 + 'PING :rg-w-10\r\n'.length, `${BYTES(first)} bytes before any answer`);
  assert.ok(first.filter((l) => l.startsWith('PRIVMSG')).length < sent.length, 'the rest waits');
  assert.ok(first.some((l) => l.startsWith('PING :rg-w-')), 'marked with PINGs');

  holding = false;
  answer(irc);
  await eventually(() => assert.equal(irc.lines.slice(start).filter((l) => l.startsWith('PRIVMSG')).length, sent.length));
  assert.deepEqual(irc.lines.slice(start).filter((l) => l.startsWith('PRIVMSG')), sent, 'in order, each once');
});

test('lines still waiting when the connection drops are reported as not sent, none twice', async (t) => {
  holding = true;
  const { link, irc } = await connected();
  t.after(() => link.quit('bye'));
  const start = irc.lines.length;
  const dropped: string[] = [];
  const sent = Array.from({ length: 100 }, (_, i) => LINE(i));
  for (const line of sent) link.send(line, (l) => dropped.push(l));
  await eventually(() => assert.ok(BYTES(irc.lines.slice(start)) >= WINDOW.size));
  irc.drop();
  await eventually(() => assert.ok(dropped.length > 0));
  const received = irc.lines.slice(start).filter((l) => l.startsWith('PRIVMSG'));
  assert.deepEqual([...received, ...dropped], sent, 'each line either reached the server or was reported, in order');
});

test('a server that answers PING with the token as its only parameter opens the window too', async (t) => {
  holding = false;
  shortPong = true;
  t.after(() => { shortPong = false; });
  const { link, irc } = await connected();
  t.after(() => link.quit('bye'));
  const start = irc.lines.length;
  const sent = Array.from({ length: 100 }, (_, i) => LINE(i));
  for (const line of sent) link.send(line);
  await eventually(() => assert.deepEqual(irc.lines.slice(start).filter((l) => l.startsWith('PRIVMSG')), sent));
});

test('a server that answers no PING holds the lines answerWithinMs at most, then they go on', async (t) => {
  holding = true;
  const { link, irc } = await connected({ ...WINDOW, answerWithinMs: 200 });
  t.after(() => link.quit('bye'));
  const start = irc.lines.length;
  const sent = Array.from({ length: 100 }, (_, i) => LINE(i));
  for (const line of sent) link.send(line);
  // never answered: each closed window waits 200 ms, then counts as answered
  await eventually(() => assert.deepEqual(irc.lines.slice(start).filter((l) => l.startsWith('PRIVMSG')), sent), 5000);
});

test('channel messages alone keep the connection alive; a server silent for the ping timeout is dropped', async (t) => {
  const { link, irc } = await connected(WINDOW, 1);
  t.after(() => link.quit('bye'));
  const texts: string[] = [];
  link.client.on('privmsg', (e: { message: string }) => texts.push(e.message));
  let dropped = 0;
  link.on('disconnected', () => { dropped = Date.now(); });
  const start = Date.now();
  for (let i = 0; i < 12; i++) { // 1.8 s of nothing but PRIVMSG, the ping timeout 1 s
    irc.send(`:bob!b@bob.host PRIVMSG #c :line ${i}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(dropped, 0, 'alive while lines come');
  assert.equal(texts.length, 12);
  const quiet = Date.now();
  await eventually(() => assert.ok(dropped > 0), 4000);
  assert.ok(dropped - quiet >= 800, `dropped ${dropped - quiet} ms after the last line (${quiet - start} ms of lines)`);
});
