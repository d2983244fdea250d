// An XMPP server that keeps the component connection open but reads nothing (hung, or cut off
// without a reset): the edge says so once its outbound write has waited `xmpp.writeSilentMs`,
// and again when the server reads; the stanzas wait in their streams, and none is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startLobby, type Lobby } from '../support/lobby.ts';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';

// enough to fill the loopback socket's buffers on both sides (several MB each)
const MESSAGES = 12_000;
const BODY = 'x'.repeat(2000);

let lobby: Lobby;
let stack: Lobby['stack'];
let gw: Lobby['gw'];
let romeo: Lobby['romeo'];
const lines: { msg: string; waitedMs?: number }[] = [];

before(async () => {
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line)); } });
  lobby = await startLobby({ gateway: { writeSilentMs: 1500, log } });
  ({ stack, gw, romeo } = lobby);
});

after(async () => {
  await lobby?.stop();
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log: ${lines.map((l) => l.msg).join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a server that stops reading is one line once a write has waited, one more when it reads, and nothing is lost', async () => {
  process.kill(stack.prosody.pid, 'SIGSTOP');
  try {
    const { network } = gw.gateway.shared as DemoShared;
    for (let i = 0; i < MESSAGES; i++) network.post('lobby', { from: 'bob', body: `${i} ${BODY}` });
    await until('the stall to be said', () => lines.some((l) => l.msg === 'xmpp server not reading: outbound stanzas wait'));
  } finally {
    process.kill(stack.prosody.pid, 'SIGCONT');
  }
  await until('the server to read again', () => lines.some((l) => l.msg === 'xmpp server reading again'));
  assert.equal(lines.filter((l) => l.msg === 'xmpp server not reading: outbound stanzas wait').length, 1);
  assert.ok(lines.find((l) => l.msg === 'xmpp server reading again')!.waitedMs! >= 1500);
  // every message arrives, in order
  let next = 0;
  while (next < MESSAGES) {
    const el = await romeo.next((m) => m.name === 'message' && m.attrs.type === 'groupchat' && !!m.getChildText('body'), 30_000);
    assert.equal(el.getChildText('body')!.split(' ')[0], String(next));
    next++;
  }
});
