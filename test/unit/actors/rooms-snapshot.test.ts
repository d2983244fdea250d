// The room snapshot a commit writes (src/actors/rooms.ts `snapshotJson`): XState's persisted
// snapshot without the own message ids, written without `getPersistedSnapshot` where the room
// waits on no invoked actor. It must stay byte for byte what XState writes, and restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor } from 'xstate';
import { GAJIM, roomOnFakes } from './room-on-fakes.ts';
import { snapshotJson } from '../../../src/actors/rooms.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin } from '../../../src/legacy/index.ts';

let answerNickChange = (): void => undefined;

class Session extends BaseSession {
  private n = 0;
  override async login(): Promise<string> { return 'ok'; }
  override async onText(): Promise<string> { return `L${++this.n}`; }
  /** Held until the test answers: the room waits on its invoked `callHook` actor meanwhile. */
  override onNickChange(): Promise<void> {
    return new Promise((resolve) => { answerNickChange = resolve; });
  }
}

class Muc extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    yield await this.getParticipant('nurse');
    yield await this.getParticipant('tybalt');
    yield await this.getUserParticipant();
  }
}

const plugin = definePlugin<unknown>({
  name: 'snap', displayName: 'Snap', session: Session, bookmarks: LegacyBookmarks, muc: Muc, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

/** XState's own persisted snapshot, less the own message ids, as the commit wrote it before. */
function xstateJson(actor: { getPersistedSnapshot(): unknown }): string {
  const persisted = actor.getPersistedSnapshot() as { context: Record<string, unknown> };
  const { ownIds: _ownIds, ...context } = persisted.context;
  return JSON.stringify({ ...persisted, context });
}

test('a joined room is written as XState persists it, without its own message ids, and restores to the same state', async () => {
  const { send, handle } = await roomOnFakes(plugin);
  await send({ type: 'xmpp.message', from: GAJIM, id: 'x1', body: 'hello', xml: '<message type="groupchat" id="x1"><body>hello</body></message>' });
  await send({ type: 'legacy.message', legacyId: 'm1', participant: { nick: 'nurse', legacyId: 'nurse' }, body: 'hi' });
  assert.equal(handle.actor.getSnapshot().context.ownIds?.flat().length ?? 0, 1, 'the room knows its own message id');
  const json = snapshotJson(handle.actor);
  assert.equal(json, xstateJson(handle.actor));
  assert.equal(json.includes('ownIds'), false);

  const restored = createActor(handle.actor.logic, { snapshot: JSON.parse(json), input: undefined as never });
  restored.start();
  const was = handle.actor.getSnapshot();
  const now = restored.getSnapshot();
  assert.deepEqual(now.value, { joined: 'idle' });
  assert.deepEqual(now.context.participants, was.context.participants);
  assert.deepEqual(now.context.resources, [GAJIM]);
  restored.stop();
});

test('a room waiting on an invoked hook is written with its child, as XState persists it', async () => {
  const { handle } = await roomOnFakes(plugin);
  // sent to the actor itself: the runtime's deliver would wait for the hook's answer
  handle.actor.send({ type: 'xmpp.presence', eventId: 'n1', at: new Date().toISOString(), from: GAJIM, nick: 'montague', id: 'p1' } as never);
  assert.equal(handle.actor.getSnapshot().value, 'calling');
  const json = snapshotJson(handle.actor);
  assert.equal(json, xstateJson(handle.actor));
  assert.equal(Object.keys(JSON.parse(json).children).length, 1, 'the invoked hook is in the snapshot');
  answerNickChange();
});
