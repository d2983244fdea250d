import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Turns } from '../../src/turns.ts';

test('a turn of the event loop is due once everyMs have passed since the last one, and not before', async () => {
  const turns = new Turns(20);
  assert.equal(turns.take(), undefined, 'nothing to wait for right away');
  await new Promise((resolve) => setTimeout(resolve, 25));
  let immediateRan = false;
  setImmediate(() => { immediateRan = true; });
  const turn = turns.take();
  assert.ok(turn, 'a turn is due after 20 ms');
  await turn;
  assert.ok(immediateRan, 'callbacks already waiting for the event loop ran during the turn');
  assert.equal(turns.take(), undefined, 'the next turn is due 20 ms after this one');
});
