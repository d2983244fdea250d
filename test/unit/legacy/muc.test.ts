// The plugin API's room helpers (src/legacy/muc.ts): what the events they send say about who speaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../../src/legacy/index.ts';
import type { UnstampedLegacyEvent } from '../../../src/machines/events.ts';
import { createHash } from 'node:crypto';
import sharp from 'sharp';

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

test('setAvatar stores a PNG of at most 200 px named by its SHA-1, once per image or legacy id; null removes it (spec §3.6)', async () => {
  const { muc, events } = room();
  const jpeg = await sharp({ create: { width: 640, height: 320, channels: 3, background: '#c33' } }).jpeg().toBuffer();
  await muc.setAvatar(jpeg, { legacyId: 42 });
  assert.equal(events.length, 1);
  const e = events[0] as Extract<UnstampedLegacyEvent, { type: 'legacy.avatar' }>;
  const png = Buffer.from(e.avatar!.data, 'base64');
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 200, 100]);
  assert.equal(e.avatar!.hash, createHash('sha1').update(png).digest('hex'));
  assert.deepEqual([e.avatar!.mime, e.avatar!.legacyId, muc.avatar, muc.avatarHash], ['image/png', '42', '42', e.avatar!.hash]);
  assert.equal(muc.toInfo().avatar!.hash, e.avatar!.hash, 'the fill reads it');

  await muc.setAvatar(jpeg, { legacyId: '42' });
  assert.equal(events.length, 1, 'the same legacy id: not fetched nor sent again');
  const small = await sharp({ create: { width: 48, height: 48, channels: 4, background: '#3c3' } }).png().toBuffer();
  await muc.setAvatar(small);
  assert.equal((events[1] as typeof e).avatar!.data, small.toString('base64'), 'a small PNG is kept as it is');
  await muc.setAvatar(null);
  assert.deepEqual(events.slice(2), [{ type: 'legacy.avatar', avatar: null }], 'removed');
  assert.equal(muc.avatarHash, null);
  await assert.rejects(muc.setAvatar(Buffer.from('not an image')), (err: Error & { condition?: string }) => err.condition === 'bad-request');
  assert.equal(events.length, 3);
});
