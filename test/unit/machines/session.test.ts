import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, waitFor } from 'xstate';
import { sessionMachine } from '../../../src/machines/session.ts';

function session(login: () => Promise<void>) {
  const actor = createActor(sessionMachine.provide({ actors: { login: fromPromise(login) } }), { input: { user: 'romeo@montague.lit' } });
  actor.start();
  return actor;
}

test('logs in through the plugin, then is logged in', async () => {
  const calls: string[] = [];
  const a = session(async () => { calls.push('login'); });
  assert.ok(a.getSnapshot().matches('loggedOut'));
  a.send({ type: 'login' });
  assert.ok(a.getSnapshot().matches('loggingIn'));
  await waitFor(a, (s) => !s.hasTag('busy'));
  assert.ok(a.getSnapshot().matches('loggedIn'));
  assert.deepEqual(calls, ['login']);
});

test('a failed login goes back to logged out and keeps why', async () => {
  const a = session(async () => { throw new Error('bad password'); });
  a.send({ type: 'login' });
  await waitFor(a, (s) => !s.hasTag('busy'));
  assert.ok(a.getSnapshot().matches('loggedOut'));
  assert.equal(a.getSnapshot().context.error, 'bad password');
});

test('a lost connection is reconnecting until the plugin says it is back', async () => {
  const a = session(async () => undefined);
  a.send({ type: 'login' });
  await waitFor(a, (s) => s.matches('loggedIn'));
  a.send({ type: 'legacy.disconnected', reason: 'ping timeout' });
  assert.ok(a.getSnapshot().matches('reconnecting'));
  assert.deepEqual([a.getSnapshot().context.error, a.getSnapshot().context.reconnects], ['ping timeout', 1]);
  a.send({ type: 'legacy.connected' });
  assert.ok(a.getSnapshot().matches('loggedIn'));
  assert.equal(a.getSnapshot().context.error, null);
});

test('logout ends any state; events of the wrong state change nothing', async () => {
  const a = session(async () => undefined);
  a.send({ type: 'legacy.connected' });
  assert.ok(a.getSnapshot().matches('loggedOut'));
  a.send({ type: 'login' });
  await waitFor(a, (s) => s.matches('loggedIn'));
  a.send({ type: 'legacy.disconnected' });
  a.send({ type: 'logout' });
  assert.ok(a.getSnapshot().matches('loggedOut'));
});

test('the persisted snapshot survives JSON', async () => {
  const a = session(async () => undefined);
  a.send({ type: 'login' });
  await waitFor(a, (s) => s.matches('loggedIn'));
  const json = JSON.parse(JSON.stringify(a.getPersistedSnapshot()));
  const b = createActor(sessionMachine, { snapshot: json, input: { user: 'romeo@montague.lit' } });
  b.start();
  assert.ok(b.getSnapshot().matches('loggedIn'));
});

test('the session machine\'s states are flat: a snapshot\'s value is the state\'s name (Sessions.get compares it)', () => {
  for (const [name, node] of Object.entries(sessionMachine.root.states)) {
    assert.deepEqual(Object.keys(node.states), [], `${name} has no child states`);
  }
  assert.deepEqual(Object.keys(sessionMachine.root.states).sort(), ['loggedIn', 'loggedOut', 'loggingIn', 'reconnecting']);
});
