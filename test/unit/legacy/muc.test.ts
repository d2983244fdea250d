// The plugin API's room helpers (src/legacy/muc.ts): what the events they send say about who speaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../../src/legacy/index.ts';
import type { UnstampedLegacyEvent } from '../../../src/machines/events.ts';

const plugin = definePlugin<unknown>({
  name: 'plain', displayName: 'Plain', session: BaseSession, bookmarks: LegacyBookmarks, muc: LegacyMUC, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

function room() {
  const events: UnstampedLegacyEvent[] = [];
  const host = {} as SessionHost;
  const session = new BaseSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host);
  const muc = new LegacyMUC(session, 'room-private', 'room-private@aim.shakespeare.lit', (e) => events.push(e));
  return { muc, events };
}

test("the user's participant and the room's own say what they are in their events", async () => {
  const { muc, events } = room();
  muc.userNick = 'romeo';
  (await muc.getUserParticipant()).setRole('moderator');
  muc.getSystemParticipant().sendText('Channel is now moderated');
  muc.getSystemParticipant().setRoomSubject('Set by the server');
  assert.deepEqual(events, [
    { type: 'legacy.presence', participant: { nick: 'romeo', role: 'moderator', affiliation: 'member', isUser: true } },
    { type: 'legacy.message', participant: { nick: '', role: 'none', affiliation: 'none', isSystem: true }, body: 'Channel is now moderated' },
    { type: 'legacy.subject', subject: 'Set by the server', setter: null },
  ]);
});

test("renaming the user moves the room's userNick, so the user participant has the new nick", async () => {
  const { muc, events } = room();
  muc.userNick = 'romeo';
  muc.renameParticipant('nurse', 'angelica');
  muc.renameParticipant('romeo', 'montague');
  assert.equal(muc.userNick, 'montague');
  assert.equal((await muc.getUserParticipant()).nickname, 'montague');
  assert.deepEqual(events, [{ type: 'legacy.rename', from: 'nurse', to: 'angelica' }, { type: 'legacy.rename', from: 'romeo', to: 'montague' }]);
});
