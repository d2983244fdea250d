// Receipts for the edge's writes: a write is taken once a ping written after it comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeReceipts } from '../../../src/transport/receipts.ts';

function setup(silentMs?: number) {
  const pings: string[] = [];
  const silences: number[] = [];
  const receipts = writeReceipts({
    jid: 'gw.example', connection: 3, send: (xml) => pings.push(xml), silent: (ms) => silences.push(ms),
    ...(silentMs !== undefined ? { silentMs } : {}),
  });
  const idOf = (xml: string) => /id="([^"]+)"/.exec(xml)![1]!;
  const state = (p: Promise<void>) => {
    let s = 'waiting';
    p.then(() => { s = 'taken'; }, () => { s = 'broken'; });
    return () => s;
  };
  return { receipts, pings, silences, idOf, state };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('a write is taken when the ping written after it comes back; one ping at a time covers every write before it', async () => {
  const { receipts, pings, idOf, state } = setup();
  const first = state(receipts.wrote());
  assert.equal(pings.length, 1);
  assert.equal(pings[0], `<iq type="get" from="gw.example" to="gw.example" id="${idOf(pings[0]!)}"><ping xmlns="urn:xmpp:ping"/></iq>`);
  const second = state(receipts.wrote());
  const third = state(receipts.wrote());
  assert.equal(pings.length, 1, 'no second ping while one is out');
  assert.ok(receipts.answered(idOf(pings[0]!)));
  await turn();
  assert.deepEqual([first(), second(), third()], ['taken', 'waiting', 'waiting']);
  assert.equal(pings.length, 2, 'the writes after the first ping get one of their own');
  assert.ok(receipts.answered(idOf(pings[1]!)));
  await turn();
  assert.deepEqual([second(), third()], ['taken', 'taken']);
  assert.equal(pings.length, 2, 'nothing waits: no ping');
});

test('a broken connection fails every receipt still waiting, and the ones after; other iqs and stale pings are told apart', async () => {
  const { receipts, pings, idOf, state } = setup();
  const a = state(receipts.wrote());
  assert.equal(receipts.answered('some-user-iq'), false);
  assert.equal(receipts.answered('roomgate-receipt-2-1'), true, "an earlier connection's ping is ours, and changes nothing");
  await turn();
  assert.equal(a(), 'waiting');
  receipts.broken();
  const b = state(receipts.wrote());
  await turn();
  assert.deepEqual([a(), b()], ['broken', 'broken']);
  assert.equal(receipts.answered(idOf(pings[0]!)), true);
  assert.equal(pings.length, 1);
});

test('a ping that does not come back is said once, and its writes keep waiting', async () => {
  const { receipts, silences, state } = setup(20);
  const a = state(receipts.wrote());
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(silences, [20]);
  assert.equal(a(), 'waiting');
  receipts.broken();
});
