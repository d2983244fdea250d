// The gateway's presence to a user follows their session (spec §2.1): "Logging in…" while the
// plugin logs in, then what its login() said; a failed login says why; a state change queues
// a status job to the user's partition, which sends the presence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Sessions, type SessionsDeps } from '../../../src/actors/sessions.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC } from '../../../src/legacy/index.ts';
import type { MailboxJob } from '../../../src/transport/mailbox.ts';

const ROMEO = 'romeo@montague.lit';

function world(login: () => Promise<string | void>) {
  const added: MailboxJob[] = [];
  class Session extends BaseSession {
    override login() { return login(); }
  }
  const plugin = { session: Session, muc: LegacyMUC, bookmarks: LegacyBookmarks };
  const deps = {
    gatewayJid: 'aim.shakespeare.lit', log: pino({ level: 'silent' }), plugin, shared: {},
    mailboxes: { add: async (job: MailboxJob) => { added.push(job); } },
  } as unknown as SessionsDeps;
  return { sessions: new Sessions(deps), added };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

test("logging in, then logged in with what login() said; each change queues the user's status job", async () => {
  let done!: (status: string) => void;
  const { sessions, added } = world(() => new Promise((resolve) => { done = resolve; }));
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: false }, 'no session: offline');
  sessions.login({ jid: ROMEO, registration: {} });
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: true, show: 'dnd', status: 'Logging in…' });
  done('Connected as romeo');
  await settle();
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: true, status: 'Connected as romeo' });
  assert.deepEqual(added, [
    { kind: 'control', user: ROMEO, action: 'status' }, { kind: 'control', user: ROMEO, action: 'status' },
  ]);
});

test('a login that says nothing is "Logged in"; a failed one says why until the next login', async () => {
  let fail = true;
  const { sessions } = world(async () => { if (fail) throw new Error('bad password'); });
  sessions.login({ jid: ROMEO, registration: {} });
  await settle();
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: true, show: 'dnd', status: 'Login failed: bad password' });
  fail = false;
  sessions.login({ jid: ROMEO, registration: {} });
  await settle();
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: true, status: 'Logged in' });
  await sessions.logout(ROMEO);
  assert.deepEqual(sessions.gatewayStatus(ROMEO), { available: false });
});
