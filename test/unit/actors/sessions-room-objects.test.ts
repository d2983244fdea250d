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

test('a room object emits for the session that made it: a session logging out and its successor each stamp their own events', async () => {
  const { sessions, session: successor, added } = world();
  // two incarnations of the user's session, as when a partition is lost and taken again at once:
  // the old one still hands over what it heard (inside its own `delivering`) while the new one resumes
  const stamper = (prefix: string) => ({ ...successor, nextEvent: () => ({ eventId: `${prefix}-1#0`, delivery: { source: prefix, seq: 1, n: 0 } }) }) as unknown as BaseSession;
  const next = stamper('new');
  const old = stamper('old');
  // the successor is the user's session now (what `login` records)
  (sessions as unknown as { entries: Map<string, { session: BaseSession }> }).entries.set(ROMEO, { session: next });
  const nextRoom = sessions.openRoom(next, 'coven');
  const oldRoom = sessions.openRoom(old, 'coven');
  assert.notEqual(oldRoom, nextRoom);
  assert.equal(oldRoom.session, old);
  assert.equal(sessions.openRoom(next, 'coven'), nextRoom, 'the successor keeps its object');
  oldRoom.emit({ type: 'legacy.subject', subject: 'heard before the move', setter: null });
  nextRoom.emit({ type: 'legacy.subject', subject: 'heard after it', setter: null });
  await sessions.queued(old);
  await sessions.queued(next);
  assert.deepEqual(added.map((j) => j.kind === 'legacy' && [j.event.eventId, j.event.delivery?.source]), [['old-1#0', 'old'], ['new-1#0', 'new']]);
});
