// How a room actor's request hooks reach a plugin (src/actors/rooms.ts), without servers: a
// nick change from XMPP (DECISIONS: only where the session implements onNickChange) and
// muc#admin role changes (onSetRole), against a plugin with those hooks and one without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GAJIM, R, roomOnFakes } from './room-on-fakes.ts';
import {
  BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, XmppError, definePlugin, type MucRole, type SessionHost,
} from '../../../src/legacy/index.ts';

const calls: unknown[][] = [];

class PlainSession extends BaseSession {
  override async login(): Promise<string> { return 'ok'; }
}

class NickSession extends PlainSession {
  override async onNickChange(chat: LegacyMUC, nickname: string): Promise<void> {
    calls.push(['onNickChange', chat.legacyId, nickname]);
    if (nickname === 'juliet') throw new XmppError('conflict', 'Nickname is already in use');
  }
}

/** The nurse is in every room; the user too. */
class PlainMUC extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    yield await this.getParticipant('nurse');
    yield await this.getUserParticipant();
  }
}

class RoleMUC extends PlainMUC {
  override async onSetRole(nickname: string, role: MucRole, reason: string | null): Promise<void> {
    calls.push(['onSetRole', nickname, role, reason]);
  }
}

const start = async () => undefined;
const registration = { instructions: '', fields: [] };
const withHooks = definePlugin<unknown>({
  name: 'hooks', displayName: 'Hooks', session: NickSession, bookmarks: LegacyBookmarks, muc: RoleMUC, participant: LegacyParticipant,
  registration, start,
});
const without = definePlugin<unknown>({
  name: 'plain', displayName: 'Plain', session: PlainSession, bookmarks: LegacyBookmarks, muc: PlainMUC, participant: LegacyParticipant,
  registration, start,
});

function setup(plugin: typeof withHooks) {
  calls.length = 0;
  return roomOnFakes(plugin);
}

test('a session that implements onNickChange gets the nick change; its refusal is an error presence from the nick asked for', async () => {
  const { sent, send, handle } = await setup(withHooks);
  assert.equal(handle.actor.getSnapshot().context.flags.nickChange, true);
  await send({ type: 'xmpp.presence', from: GAJIM, nick: 'montague', id: 'n1' });
  await send({ type: 'xmpp.presence', from: GAJIM, nick: 'juliet', id: 'n2' });
  assert.deepEqual(calls, [['onNickChange', 'room-private', 'montague'], ['onNickChange', 'room-private', 'juliet']]);
  assert.deepEqual(sent, [['presence', {
    to: GAJIM, room: R, nick: 'juliet', type: 'error', id: 'n2',
    error: { by: R, condition: 'conflict', type: 'cancel', text: 'Nickname is already in use' },
  }]]);
});

test('without onNickChange the nick change is refused with not-acceptable, and the plugin hears nothing', async () => {
  const { sent, send, handle } = await setup(without);
  assert.equal(handle.actor.getSnapshot().context.flags.nickChange, false);
  await send({ type: 'xmpp.presence', from: GAJIM, nick: 'montague', id: 'n1' });
  assert.deepEqual(calls, []);
  assert.deepEqual(sent, [['presence', {
    to: GAJIM, room: R, nick: 'montague', type: 'error', id: 'n1',
    error: { condition: 'not-acceptable', type: 'cancel', by: R, text: 'This gateway does not let you change your nickname in this room.' },
  }]]);
});

test('a role change reaches onSetRole with the nick, role and reason; an unknown nick is item-not-found', async () => {
  const { sent, send } = await setup(withHooks);
  await send({ type: 'xmpp.request', from: GAJIM, id: 'r1', reply: 'iq', call: { hook: 'setRole', nick: 'nurse', role: 'visitor', reason: 'hush' } });
  await send({ type: 'xmpp.request', from: GAJIM, id: 'r2', reply: 'iq', call: { hook: 'setRole', nick: 'tybalt', role: 'moderator', reason: null } });
  assert.deepEqual(calls, [['onSetRole', 'nurse', 'visitor', 'hush']]);
  assert.deepEqual(sent, [
    ['iq', { to: GAJIM, from: R, type: 'result', id: 'r1' }],
    ['iq', { to: GAJIM, from: R, type: 'error', id: 'r2', error: { condition: 'item-not-found', type: 'cancel', text: 'No participant named tybalt' } }],
  ]);
});

test('a role change to a plugin without onSetRole is feature-not-implemented', async () => {
  const { sent, send } = await setup(without);
  await send({ type: 'xmpp.request', from: GAJIM, id: 'r1', reply: 'iq', call: { hook: 'setRole', nick: 'nurse', role: 'moderator', reason: null } });
  assert.deepEqual(sent, [['iq', {
    to: GAJIM, from: R, type: 'error', id: 'r1', error: { condition: 'feature-not-implemented', type: 'cancel', text: 'Not implemented by the legacy module' },
  }]]);
});
