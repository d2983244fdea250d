import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoError, DemoNetwork, parseWorld, startChatter, type DemoEvent } from '../../../../src/legacy/demo/index.ts';
import { silent, testWorld } from './fixtures.ts';

test('chatter posts messages from existing participants of the chosen rooms', async () => {
  const network = new DemoNetwork(parseWorld(testWorld()), { log: silent });
  const got: DemoEvent[] = [];
  let done!: () => void;
  // the chatter's timer is unref'd: this one keeps the test alive, and fails it if nothing comes
  const tenHeard = new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`only ${got.length} messages in 5 s`)), 5000);
    done = () => { clearTimeout(guard); resolve(); };
  });
  network.connect('romeo@montague.lit', 'romeo', (e) => { got.push(e); if (got.length === 10) done(); });
  const chatter = startChatter(network, { messagesPerSecond: 200, rooms: ['coven', 'balcony'] });
  await tenHeard;
  chatter.stop();
  const rooms = new Set(got.map((e) => e.roomId));
  assert.deepEqual([...rooms].sort(), ['balcony', 'coven']);
  for (const e of got) {
    assert.equal(e.type, 'message');
    const nicks = parseWorld(testWorld()).rooms.find((r) => r.id === e.roomId)!.participants.map((p) => p.nick);
    assert.ok(e.type === 'message' && nicks.includes(e.from), `${e.type === 'message' && e.from} is a participant`);
  }
});

test('chatter refuses rooms that do not exist and rates that are not positive', () => {
  const network = new DemoNetwork(parseWorld(testWorld()), { log: silent });
  assert.throws(() => startChatter(network, { messagesPerSecond: 1, rooms: ['nowhere'] }), (err: unknown) => err instanceof DemoError && err.status === 404);
  assert.throws(() => startChatter(network, { messagesPerSecond: 0, rooms: 1 }), (err: unknown) => err instanceof DemoError && err.status === 400);
});
