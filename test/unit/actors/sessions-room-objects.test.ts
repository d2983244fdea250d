// The plugin's room objects a worker keeps: released when nobody asked for them lately and their
// room has no actor here (groups `bookmarks.fill()` reported but never joined), made afresh after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Sessions, type SessionsDeps } from '../../../src/actors/sessions.ts';
import { LegacyMUC, type BaseSession } from '../../../src/legacy/index.ts';
import type { MailboxJob } from '../../../src/transport/mailbox.ts';

const ROMEO = 'romeo@montague.lit';

function world() {
  const added: MailboxJob[] = [];
  const deps = {
    gatewayJid: 'aim.shakespeare.lit', log: pino({ level: 'silent' }),
    mailboxes: { add: async (job: MailboxJob) => { added.push(job); } },
  } as unknown as SessionsDeps;
  const session = {
    user: { jid: ROMEO }, plugin: { muc: LegacyMUC },
    nextEvent: () => null, legacyToXmppMsgId: (id: string) => id,
  } as unknown as BaseSession;
  return { sessions: new Sessions(deps), session, added };
}

test('room objects not asked for since the cutoff, whose room has no actor, are released; the next use makes a fresh one', () => {
  const { sessions, session } = world();
  const [coven, balcony, heath] = ['coven', 'balcony', 'heath'].map((id) => sessions.openRoom(session, id));
  const withActor = new Set(['balcony']);
  const released = sessions.releaseUnused(Date.now() + 1, (user, legacyId) => user === ROMEO && withActor.has(legacyId));
  assert.equal(released, 2);
  assert.equal(sessions.roomObjects, 1);
  assert.equal(sessions.openRoom(session, 'balcony'), balcony, 'a room with an actor keeps its object');
  const fresh = sessions.openRoom(session, 'coven');
  assert.notEqual(fresh, coven);
  assert.equal(fresh.legacyId, 'coven');
  assert.notEqual(sessions.openRoom(session, 'heath'), heath);
});

test('a room object asked for after the cutoff is kept, actor or not', () => {
  const { sessions, session } = world();
  const coven = sessions.openRoom(session, 'coven');
  assert.equal(sessions.releaseUnused(Date.now() - 60_000, () => false), 0);
  assert.equal(sessions.openRoom(session, 'coven'), coven);
});

test('a released room object the plugin still holds keeps sending its events to the user\'s mailbox', async () => {
  const { sessions, session, added } = world();
  const held = sessions.openRoom(session, 'coven');
  sessions.releaseUnused(Date.now() + 1, () => false);
  held.emit({ type: 'legacy.subject', subject: 'Fair is foul', setter: null });
  await sessions.queued(session);
  assert.deepEqual(added.map((j) => j.kind === 'legacy' && [j.user, j.legacyId, j.event.type]), [[ROMEO, 'coven', 'legacy.subject']]);
});
