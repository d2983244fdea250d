import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedDeadline } from '../../../src/actors/shared-deadline.ts';

/** The deadline's timer does not hold the process open (unref): the test does, meanwhile. */
async function keepingAlive<T>(work: () => Promise<T>): Promise<T> {
  const alive = setInterval(() => undefined, 1000);
  try {
    return await work();
  } finally {
    clearInterval(alive);
  }
}

test('work that settles in time is true and leaves nothing waiting on the timer', async () => {
  const deadline = new SharedDeadline(60_000);
  const calls = Array.from({ length: 1000 }, (_, i) => deadline.within(Promise.resolve(i)));
  assert.equal(deadline.waiting, 1000);
  assert.deepEqual(new Set(await Promise.all(calls)), new Set([true]));
  // the 2-minute timer still runs: nothing of these calls may wait for it
  assert.equal(deadline.waiting, 0);
});

test('work still pending when the limit passes is false, and settling later changes nothing', () => keepingAlive(async () => {
  const deadline = new SharedDeadline(5);
  let finish!: () => void;
  const slow = new Promise<void>((r) => { finish = r; });
  const [late, quick] = await Promise.all([deadline.within(slow), deadline.within(Promise.resolve())]);
  assert.equal(late, false);
  assert.equal(quick, true);
  assert.equal(deadline.waiting, 0);
  finish();
  await slow;
  assert.equal(deadline.waiting, 0);
}));

test('work that rejects in time rejects with its error', async () => {
  const deadline = new SharedDeadline(60_000);
  await assert.rejects(deadline.within(Promise.reject(new Error('hook failed'))), /hook failed/);
  assert.equal(deadline.waiting, 0);
});

test('calls started after the limit get a timer of their own', () => keepingAlive(async () => {
  const deadline = new SharedDeadline(5);
  let finish!: () => void;
  const first = deadline.within(new Promise<void>((r) => { finish = r; }));
  await new Promise((r) => setTimeout(r, 7));
  // the first timer fires at 10 ms; this call, started at 7, must get at least 5 ms
  let secondFinish!: () => void;
  const second = deadline.within(new Promise<void>((r) => { secondFinish = r; }));
  assert.equal(await first, false);
  secondFinish();
  assert.equal(await second, true);
  finish();
}));
