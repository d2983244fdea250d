import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InOrder } from '../../src/in-order.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('items are handled one at a time, in the order pushed, after the pusher\'s synchronous run', async () => {
  const log: string[] = [];
  let busy = false;
  const queue = new InOrder<number>(async (n) => {
    assert.equal(busy, false, 'no two items handled at once');
    busy = true;
    log.push(`start ${n}`);
    await tick(); // handling awaits, as turning a network event into room calls does
    log.push(`end ${n}`);
    busy = false;
  }, (err) => { throw err; });
  for (let n = 1; n <= 3; n++) queue.push(n);
  log.push('pushed');
  await queue.idle();
  assert.deepEqual(log, ['pushed', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});

test('an item that throws is reported and the next ones are handled all the same', async () => {
  const handled: number[] = [];
  const failed: [string, number][] = [];
  const queue = new InOrder<number>((n) => {
    if (n === 2) throw new Error('broken event');
    handled.push(n);
  }, (err, n) => failed.push([(err as Error).message, n]));
  for (const n of [1, 2, 3]) queue.push(n);
  await queue.idle();
  assert.deepEqual(handled, [1, 3]);
  assert.deepEqual(failed, [['broken event', 2]]);
});

test('idle waits for items pushed while handling, and a queue that ran dry starts again on the next push', async () => {
  const handled: number[] = [];
  const queue = new InOrder<number>(async (n) => {
    handled.push(n);
    if (n === 1) queue.push(2); // a handler that causes another network event
    await tick();
  }, (err) => { throw err; });
  await queue.idle(); // nothing pushed: resolves at once
  queue.push(1);
  await queue.idle();
  assert.deepEqual(handled, [1, 2]);
  queue.push(3);
  await queue.idle();
  assert.deepEqual(handled, [1, 2, 3]);
});

test('a long burst keeps its order across the queue\'s compaction, and lets the event loop run with turnMs', async () => {
  const handled: number[] = [];
  let immediates = 0;
  const queue = new InOrder<number>((n) => {
    handled.push(n);
    const until = performance.now() + 0.01; // a little CPU work per item, as a network event costs
    while (performance.now() < until);
  }, (err) => { throw err; }, { turnMs: 1 });
  const count = 5000;
  for (let n = 0; n < count; n++) queue.push(n);
  const counting = setInterval(() => { immediates++; }, 0);
  await queue.idle();
  clearInterval(counting);
  assert.equal(handled.length, count);
  assert.ok(handled.every((n, i) => n === i), 'every item once, in order');
  assert.ok(immediates > 0, 'timers ran while the burst was handled');
});
