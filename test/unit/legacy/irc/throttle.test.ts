import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../../../../src/legacy/irc/throttle.ts';

/** A fake clock with timers that fire when the test moves time. */
function fakeTime() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => { const t = { at: now + ms, fn }; timers.push(t); return t; },
    clearTimer: (t: unknown) => { timers = timers.filter((x) => x !== t); },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = end;
    },
  };
}

test('a burst goes out at once, then one line per 1/perSecond', () => {
  const time = fakeTime();
  const sent: [number, string][] = [];
  const t = new Throttle({ burst: 3, perSecond: 2, write: (l) => sent.push([time.now(), l]), ...time });
  for (let i = 1; i <= 6; i++) t.push(`L${i}`);
  assert.deepEqual(sent.map((s) => s[1]), ['L1', 'L2', 'L3']);
  assert.equal(t.pending, 3);
  time.advance(2000);
  assert.deepEqual(sent, [[0, 'L1'], [0, 'L2'], [0, 'L3'], [500, 'L4'], [1000, 'L5'], [1500, 'L6']]);
});

test('the bucket refills while idle, up to the burst', () => {
  const time = fakeTime();
  const sent: string[] = [];
  const t = new Throttle({ burst: 2, perSecond: 1, write: (l) => sent.push(l), ...time });
  t.push('a'); t.push('b'); t.push('c');
  assert.deepEqual(sent, ['a', 'b']);
  time.advance(60_000);
  assert.deepEqual(sent, ['a', 'b', 'c']);
  // a long pause gives back the burst, not more
  t.push('d'); t.push('e'); t.push('f');
  assert.deepEqual(sent, ['a', 'b', 'c', 'd', 'e']);
});

test('never more than burst + perSecond × seconds lines in any window: no flood kick', () => {
  const time = fakeTime();
  const sent: number[] = [];
  const t = new Throttle({ burst: 5, perSecond: 2, write: () => sent.push(time.now()), ...time });
  for (let i = 0; i < 100; i++) t.push(`line ${i}`);
  time.advance(60_000);
  assert.equal(sent.length, 100);
  for (let i = 0; i < sent.length; i++) {
    const inTenSeconds = sent.filter((at) => at >= sent[i]! && at < sent[i]! + 10_000).length;
    assert.ok(inTenSeconds <= 5 + 2 * 10, `${inTenSeconds} lines in 10 s`);
  }
});

test('clear drops what waits and says so through onDrop; lines keep their order', () => {
  const time = fakeTime();
  const sent: string[] = [];
  const dropped: string[] = [];
  const t = new Throttle({ burst: 1, perSecond: 1, write: (l) => sent.push(l), ...time });
  for (const l of ['a', 'b', 'c']) t.push(l, { onDrop: (x) => dropped.push(x) });
  assert.equal(t.clear(), 2);
  assert.deepEqual(sent, ['a']);
  assert.deepEqual(dropped, ['b', 'c']);
  time.advance(10_000);
  assert.deepEqual(sent, ['a'], 'nothing left to send');
});

test('while the connection is not ready lines wait, tokens or not, and go in order on resume', () => {
  const time = fakeTime();
  const sent: string[] = [];
  let ready = true;
  const t = new Throttle({ burst: 10, perSecond: 10, write: (l) => { sent.push(l); if (sent.length === 2) ready = false; }, ready: () => ready, ...time });
  for (const l of ['a', 'b', 'c', 'd']) t.push(l);
  assert.deepEqual(sent, ['a', 'b']);
  time.advance(10_000);
  assert.deepEqual(sent, ['a', 'b'], 'time alone does not send past a closed connection');
  ready = true;
  t.resume();
  assert.deepEqual(sent, ['a', 'b', 'c', 'd']);
});

test('bad settings are refused', () => {
  assert.throws(() => new Throttle({ burst: 0, perSecond: 1, write: () => {} }), /burst/);
  assert.throws(() => new Throttle({ burst: 1, perSecond: 0, write: () => {} }), /perSecond/);
});
