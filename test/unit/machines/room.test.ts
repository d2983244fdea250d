import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, waitFor } from 'xstate';
import { roomMachine, backfillHook, fillHook, historyHook, sendTextHook, type RoomFlags, type SendTextOutput } from '../../../src/machines/room.ts';
import { recordingPort } from './recording-port.ts';
import { roomEffects } from '../../../src/machines/room.effects.ts';
import type { ArchivedMessage, FillOutput } from '../../../src/machines/ports.ts';
import type { RoomInputEvent, LegacyRoomEvent } from '../../../src/machines/events.ts';
import { MucType } from '../../../src/legacy/types.ts';
import { recentItems } from '../../../src/machines/recent.ts';
import { participantNamed } from '../../../src/machines/participants.ts';

const R = 'room-private@aim.shakespeare.lit';
const U = 'romeo@montague.lit';
const GAJIM = `${U}/gajim`;
const MOVIM = `${U}/movim`;
const AT = '2026-11-25T12:00:00.000Z';

const info = (type = MucType.GROUP) => ({
  name: 'Private', description: '', subject: 'Hello', subjectSetter: 'juliet', subjectDate: '2026-11-24T10:00:00.000Z',
  type, nParticipants: 2, userNick: null,
});

interface Options {
  fill?: () => Promise<FillOutput>;
  backfill?: () => Promise<LegacyRoomEvent[]>;
  sendText?: () => Promise<SendTextOutput>;
  history?: ArchivedMessage[];
  flags?: RoomFlags;
}

function harness(opts: Options = {}) {
  const { port, sent } = recordingPort();
  const calls: string[] = [];
  const machine = roomMachine.provide({
    actions: {
      ...roomEffects(port),
      startSendText: sendTextHook(async () => { calls.push('sendText'); return (opts.sendText ?? (async () => ({ legacyId: 'L1', stanzaId: 'X1' })))(); }),
      startHistory: historyHook(async () => { calls.push('history'); return opts.history ?? []; }),
      startFill: fillHook(async () => { calls.push('fill'); return (opts.fill ?? (async () => ({
        info: info(), participants: [{ nick: 'juliet', role: 'moderator', affiliation: 'owner' }, { nick: 'nurse' }], user: null,
      })))(); }),
      startBackfill: backfillHook(async () => { calls.push('backfill'); return (opts.backfill ?? (async () => []))(); }),
    },
  });
  const actor = createActor(machine, { input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo', ...(opts.flags ? { flags: opts.flags } : {}) } });
  actor.start();
  let n = 0;
  const send = async (event: Record<string, unknown>) => {
    actor.send({ eventId: `e${++n}`, at: AT, ...event } as unknown as RoomInputEvent);
    await waitFor(actor, (s) => !s.hasTag('busy'));
  };
  const join = (from = GAJIM, extra: Record<string, unknown> = {}) =>
    send({ type: 'xmpp.join', from, nick: 'romeo', presenceId: 'j1', history: {}, ...extra });
  return { actor, sent, calls, send, join, machine };
}

const kinds = (sent: [string, unknown][]) => sent.map(([k, v]) => {
  const x = v as { nick?: string | null; type?: string; codes?: number[]; subject?: string; photo?: string };
  return `${k}:${x.nick ?? ''}${x.type ? `:${x.type}` : ''}${x.codes?.length ? `:${x.codes.join(',')}` : ''}${x.subject !== undefined ? ':subject' : ''}`
    + `${x.photo !== undefined ? `:photo=${x.photo}` : ''}`;
});

test('answers a first join with occupants, then the 110/100 self-presence, then history, the subject, and the room presence without avatar', async () => {
  const h = harness({ history: [{ stanzaId: 's1', at: AT, source: 'live', xml: '<message/>' }] });
  await h.join();
  assert.deepEqual(h.calls, ['fill', 'backfill', 'history']);
  assert.deepEqual(kinds(h.sent), ['presence:juliet', 'presence:nurse', 'presence:romeo:110,100', 'replay:', 'message:juliet:groupchat:subject', 'presence::photo=']);
  const self = h.sent[2]![1] as Record<string, unknown>;
  assert.deepEqual(self, {
    to: GAJIM, room: R, nick: 'romeo', id: 'j1', codes: [110, 100], occupantId: 'user',
    item: { affiliation: 'member', role: 'participant', jid: GAJIM },
  });
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  assert.deepEqual(h.actor.getSnapshot().context.resources, [GAJIM]);
});

test('a backfill that fails still answers the join (§2.4), and counts as done: the next join does not backfill again', async () => {
  const h = harness({ backfill: async () => { throw { condition: 'internal-server-error', type: 'wait' }; } });
  await h.join();
  assert.deepEqual(h.calls, ['fill', 'backfill', 'history']);
  // a log line says so, then the join sequence goes out without that history
  assert.deepEqual(kinds(h.sent), ['warn:', 'presence:juliet', 'presence:nurse', 'presence:romeo:110,100', 'message:juliet:groupchat:subject', 'presence::photo=']);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  assert.equal(h.actor.getSnapshot().context.historyFilled, true);
  await h.join(MOVIM);
  assert.deepEqual(h.calls, ['fill', 'backfill', 'history', 'history']);
});

test('KEEP_BACKFILLED_PARTICIPANTS: who spoke in the backfill becomes a participant, shown on the join; without it, not (spec §2.4)', async () => {
  const backfill = async (): Promise<LegacyRoomEvent[]> => ['ghost', 'juliet', 'romeo', 'ghost', ''].map((nick, i) => ({
    eventId: `b${i}`, at: AT, type: 'legacy.message', participant: { nick }, body: `old ${i}`, legacyId: `old-${i}`, archiveOnly: true,
  }) as LegacyRoomEvent);
  const kept = harness({ backfill, flags: { hasSubject: true, keepBackfilledParticipants: true } });
  await kept.join();
  assert.deepEqual(kept.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'nurse', 'ghost']);
  assert.deepEqual(kinds(kept.sent).filter((k) => k.startsWith('presence:')), ['presence:juliet', 'presence:nurse', 'presence:ghost', 'presence:romeo:110,100', 'presence::photo=']);
  const plain = harness({ backfill });
  await plain.join();
  assert.deepEqual(plain.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'nurse']);
});

test('a CHANNEL hides the real JID and status 100; a different requested nick gets 210', async () => {
  const h = harness({ fill: async () => ({ info: info(MucType.CHANNEL), participants: [], user: null }) });
  await h.join(GAJIM, { nick: 'romeo-the-great' });
  const self = h.sent.find(([k, v]) => k === 'presence' && (v as { nick: string }).nick === 'romeo')![1];
  assert.deepEqual(self, {
    to: GAJIM, room: R, nick: 'romeo', id: 'j1', codes: [110, 210], occupantId: 'user',
    item: { affiliation: 'member', role: 'participant' },
  });
});

test('a join without a nickname is refused with jid-malformed and leaves no trace', async () => {
  const h = harness();
  await h.join(GAJIM, { nick: '' });
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: null, type: 'error', id: 'j1', error: { condition: 'jid-malformed', type: 'modify', by: R },
  }]]);
  assert.ok(h.actor.getSnapshot().matches('uninitialised'));
  assert.deepEqual(h.calls, []);
});

test('a room whose fill fails refuses the join with the plugin error and ends failed', async () => {
  const h = harness({ fill: async () => { throw { condition: 'item-not-found', type: 'cancel' }; } });
  await h.join();
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: 'romeo', type: 'error', id: 'j1', error: { condition: 'item-not-found', type: 'cancel' },
  }]]);
  assert.equal(h.actor.getSnapshot().status, 'done');
  assert.ok(h.actor.getSnapshot().matches('failed'));
});

test('history maxstanzas=0 skips both the backfill and the history', async () => {
  const h = harness();
  await h.join(GAJIM, { history: { maxstanzas: 0 } });
  assert.deepEqual(h.calls, ['fill', 'history']);
});

test('a MAM query backfills a room joined without history, once, and greets nobody (spec §3.2)', async () => {
  const backfilled: LegacyRoomEvent[] = [{
    type: 'legacy.message', eventId: 'b1', at: AT, participant: { nick: 'juliet' }, body: 'old', legacyId: 'L0', archiveOnly: true,
  } as unknown as LegacyRoomEvent];
  const h = harness({ backfill: async () => backfilled });
  await h.join(GAJIM, { history: { maxstanzas: 0 } });
  const sentAtJoin = h.sent.length;
  await h.send({ type: 'xmpp.archiveQuery', from: MOVIM });
  assert.deepEqual(h.calls, ['fill', 'history', 'backfill']);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  assert.equal(h.actor.getSnapshot().context.historyFilled, true);
  assert.deepEqual(kinds(h.sent.slice(sentAtJoin)), ['archive:'], 'the backfill is archived, and no join sequence goes out');
  await h.send({ type: 'xmpp.archiveQuery', from: MOVIM });
  assert.deepEqual(h.calls, ['fill', 'history', 'backfill'], 'not twice');
});

test('a MAM query to a room never joined reads the archive as it is: no fill, no backfill', async () => {
  const h = harness();
  await h.send({ type: 'xmpp.archiveQuery', from: GAJIM });
  assert.deepEqual(h.calls, []);
  assert.ok(h.actor.getSnapshot().matches('uninitialised'));
  assert.deepEqual(h.sent, []);
});

test('an admin list fills a room never joined, without presences; a filled room is not filled again (spec §3.3)', async () => {
  const h = harness();
  await h.send({ type: 'xmpp.fill', from: GAJIM });
  assert.deepEqual(h.calls, ['fill']);
  assert.deepEqual(h.sent, []);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  assert.deepEqual(h.actor.getSnapshot().context.resources, []);
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => [p.nick, p.affiliation]), [['juliet', 'owner'], ['nurse', 'member']]);
  await h.send({ type: 'xmpp.fill', from: GAJIM });
  await h.join();
  assert.deepEqual(h.calls, ['fill', 'backfill', 'history'], 'the join then needs no fill');
});

test('the network renaming the room: a 104 notice to each joined resource, and the new name kept (spec §3.5)', async () => {
  const h = harness();
  await h.send({ type: 'legacy.info', name: 'Balcony' }); // not filled yet: the fill reads it
  assert.deepEqual(h.sent, []);
  await h.join();
  await h.join(MOVIM);
  const before = h.sent.length;
  await h.send({ type: 'legacy.info', name: 'Balcony', description: 'Where it happens' });
  assert.deepEqual(h.sent.slice(before), [['message', {
    to: [GAJIM, MOVIM], room: R, nick: null, type: 'groupchat', codes: [104], stanzaId: 'config-e4', occupantId: 'room',
  }]]);
  const { info } = h.actor.getSnapshot().context;
  assert.deepEqual([info!.name, info!.description], ['Balcony', 'Where it happens']);
});

const AVATAR = { hash: 'a1b2', mime: 'image/png', legacyId: 'img-1', data: 'iVBORw0K' };

test('a new room avatar is stored, then a 104 notice and the room presence with its hash go to each joined resource (spec §3.6)', async () => {
  const h = harness();
  await h.send({ type: 'legacy.avatar', avatar: AVATAR }); // not filled yet: the fill sets it
  assert.deepEqual(h.sent, []);
  await h.join();
  await h.join(MOVIM);
  const before = h.sent.length;
  await h.send({ type: 'legacy.avatar', avatar: AVATAR });
  assert.deepEqual(h.sent.slice(before), [
    ['avatarBytes', AVATAR],
    ['message', { to: [GAJIM, MOVIM], room: R, nick: null, type: 'groupchat', codes: [104], stanzaId: 'config-e4', occupantId: 'room' }],
    ['presence', { to: GAJIM, room: R, nick: null, photo: 'a1b2' }],
    ['presence', { to: MOVIM, room: R, nick: null, photo: 'a1b2' }],
  ]);
  assert.deepEqual(h.actor.getSnapshot().context.info!.avatar, { hash: 'a1b2', mime: 'image/png', legacyId: 'img-1' });

  const same = h.sent.length;
  await h.send({ type: 'legacy.avatar', avatar: { ...AVATAR, legacyId: 'img-1-copy' } });
  assert.equal(h.sent.length, same, 'the same image under a new id: no notice');
  assert.equal(h.actor.getSnapshot().context.info!.avatar!.legacyId, 'img-1-copy');

  await h.send({ type: 'legacy.avatar', avatar: null });
  const removal = (h.sent as [string, unknown][]).slice(same);
  assert.deepEqual(removal.map(([k, v]) => [k, (v as { photo?: string }).photo ?? (v as { codes?: number[] }).codes ?? v]), [
    ['message', [104]],
    ['presence', ''],
    ['presence', ''],
  ], 'removed: the presence carries an empty photo');
  assert.equal(h.actor.getSnapshot().context.info!.avatar, null);
  const info = h.actor.getSnapshot().context.info;
  await h.send({ type: 'legacy.avatar', avatar: null });
  assert.equal(h.sent.length, same + 3, 'removing no avatar: nothing sent');
  assert.equal(h.actor.getSnapshot().context.info, info, 'nor changed');
});

test('the avatar updateInfo set while filling is stored with the fill, and the join ends with its hash (spec §2.3 step 9)', async () => {
  const h = harness({
    fill: async () => ({ info: { ...info(), avatar: { hash: 'a1b2', mime: 'image/png', legacyId: 'img-1' } }, participants: [], user: null, avatar: AVATAR }),
  });
  await h.join();
  assert.deepEqual(h.sent[0], ['avatarBytes', AVATAR]);
  assert.deepEqual(h.sent.at(-1), ['presence', { to: GAJIM, room: R, nick: null, photo: 'a1b2' }]);
});

test('a participant\'s avatar: its bytes stored, its presence again with the photo where identities show, kept in the room\'s state (spec §3.7)', async () => {
  const A = { hash: 'aaaa', mime: 'image/png', legacyId: null, data: 'QQ==' };
  const h = harness(); // a GROUP room: real identities show
  await h.join();
  const before = h.sent.length;
  await h.send({ type: 'legacy.participantAvatar', participant: { nick: 'juliet' }, avatar: A });
  await h.send({ type: 'legacy.participantAvatar', participant: { nick: 'juliet' }, avatar: A });
  await h.send({ type: 'legacy.participantAvatar', participant: { nick: 'nurse' }, avatar: A });
  const sent = (h.sent as [string, Record<string, unknown>][]).slice(before);
  assert.deepEqual(sent.map(([k, v]) => [k, k === 'presence' ? `${v.nick}:${v.photo}` : v.hash]), [
    ['avatarBytes', 'aaaa'], ['presence', 'juliet:aaaa'],
    ['avatarBytes', 'aaaa'], ['presence', 'nurse:aaaa'],
  ], 'the same image again: nothing');
  await h.send({ type: 'legacy.participantLeft', nick: 'juliet', kind: 'leave' });
  const removed = h.sent.length;
  await h.send({ type: 'legacy.participantAvatar', participant: { nick: 'nurse' }, avatar: null });
  assert.deepEqual((h.sent as [string, Record<string, unknown>][]).slice(removed).map(([k, v]) => [k, v.photo]), [['presence', undefined]],
    'removed: its presence has no photo (the commit sees the room no longer uses the image)');
  assert.equal(participantNamed(h.actor.getSnapshot().context.participants, 'nurse')!.avatar, undefined);

  const channel = harness({ fill: async () => ({ info: info(MucType.CHANNEL), participants: [{ nick: 'juliet' }], user: null, participantAvatars: { juliet: A } }) });
  await channel.join();
  assert.ok(channel.sent.some(([k, v]) => k === 'avatarBytes' && (v as { hash: string }).hash === 'aaaa'), 'the fill\'s avatars are stored');
  const juliet = channel.sent.find(([k, v]) => k === 'presence' && (v as { nick: string }).nick === 'juliet')![1] as { photo?: string };
  assert.equal(juliet.photo, undefined, 'a channel shows no participant avatar');
  assert.deepEqual(participantNamed(channel.actor.getSnapshot().context.participants, 'juliet')!.avatar, { hash: 'aaaa', legacyId: null });
});

const INVITATION = ['message', {
  to: [U], room: 'aim.shakespeare.lit', nick: null, type: 'normal', id: 'roomgate-invitation:room-private',
  invite: { jid: R, reason: 'This group could not be added automatically for you' },
}];
const bookmarkStep = (step: 'get' | 'set', autoJoin = true) =>
  ['bookmark', { gateway: 'aim.shakespeare.lit', user: U, room: R, step, nick: 'romeo', autoJoin }];

test('a bookmark the plugin adds is asked for, published where the user has none, and kept once there (spec §3.9)', async () => {
  const h = harness();
  await h.send({ type: 'legacy.bookmark', autoJoin: false, invite: false });
  assert.deepEqual(h.sent, [bookmarkStep('get', false)]);
  await h.send({ type: 'xmpp.bookmarkAnswer', from: U, step: 'get', outcome: 'missing' });
  assert.deepEqual(h.sent.slice(1), [bookmarkStep('set', false)], 'published with the autojoin the plugin gave');
  await h.send({ type: 'xmpp.bookmarkAnswer', from: U, step: 'set', outcome: 'published' });
  assert.equal(h.actor.getSnapshot().context.bookmarked, true);
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  assert.equal(h.sent.length, 2, 'once there, the next login adds nothing: the user may have edited or removed it');

  const inviting = harness({ flags: { hasSubject: true, alwaysInvite: true } });
  await inviting.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  await inviting.send({ type: 'xmpp.bookmarkAnswer', from: U, step: 'get', outcome: 'missing' });
  await inviting.send({ type: 'xmpp.bookmarkAnswer', from: U, step: 'set', outcome: 'published' });
  assert.deepEqual(inviting.sent, [bookmarkStep('get'), bookmarkStep('set'), INVITATION], 'ALWAYS_INVITE_WHEN_ADDING_BOOKMARKS: a new bookmark invites too');
  assert.deepEqual([inviting.actor.getSnapshot().context.bookmarked, inviting.actor.getSnapshot().context.invited], [true, true]);

  const found = harness({ flags: { hasSubject: true, alwaysInvite: true } });
  await found.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  await found.send({ type: 'xmpp.bookmarkAnswer', from: U, step: 'get', outcome: 'found' });
  assert.deepEqual(found.sent, [bookmarkStep('get')], 'a bookmark the user has is kept as it is');
  assert.equal(found.actor.getSnapshot().context.bookmarked, true);
});

test('where the user\'s server refuses the bookmark, the user is invited once from the gateway, and not while a resource is in the room (spec §3.8, §3.9)', async () => {
  const h = harness();
  const refused = { type: 'xmpp.bookmarkAnswer', from: U, step: 'get', outcome: 'refused' };
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  await h.send(refused);
  assert.deepEqual(h.sent, [bookmarkStep('get'), INVITATION]);
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  await h.send(refused);
  assert.deepEqual(h.sent.slice(2), [bookmarkStep('get')], 'once: the next login asks again, without a second invitation');
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: true });
  assert.deepEqual(h.sent.slice(3), [bookmarkStep('get'), INVITATION], 'unless the plugin asks for one each time');
  await h.send({ type: 'xmpp.invitationBounced', from: U });
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: false });
  await h.send({ ...refused, outcome: 'refused', step: 'set' });
  assert.deepEqual(h.sent.slice(5), [bookmarkStep('get'), INVITATION], 'or the last one bounced');
  await h.send({ type: 'xmpp.invitationBounced', from: U });
  await h.join();
  const joined = h.sent.length;
  await h.send({ type: 'legacy.bookmark', autoJoin: true, invite: true });
  await h.send(refused);
  assert.deepEqual(h.sent.slice(joined), [bookmarkStep('get')], 'a joined user needs no invitation');
});

test('a second resource gets its own join sequence; backfill and fill run once', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.join(MOVIM);
  assert.deepEqual(h.calls, ['fill', 'backfill', 'history', 'history']);
  assert.ok(h.sent.every(([k, v]) => k !== 'presence' || (v as { to: string }).to === MOVIM));
  assert.deepEqual(h.actor.getSnapshot().context.resources, [GAJIM, MOVIM]);
});

test("echoes the user's message to every joined resource with the legacy stanza-id, and archives it", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.message', from: GAJIM, id: 'c1', body: 'hi', xml: '<message id="c1"><body>hi</body></message>' });
  assert.deepEqual(kinds(h.sent), ['echo:romeo', 'archive:']);
  const echo = h.sent[0]![1] as { to: string[]; stanzaId: string; occupantId: string };
  assert.deepEqual(echo.to, [GAJIM, MOVIM]);
  assert.equal(echo.stanzaId, 'X1');
  assert.equal((h.sent[1]![1] as { legacyId: string }).legacyId, 'L1');
});

test('a message the legacy network refuses gets an error to the sender and no echo', async () => {
  const h = harness({ sendText: async () => { throw { condition: 'forbidden', type: 'auth', text: 'muted' }; } });
  await h.join();
  h.sent.length = 0;
  await h.send({ type: 'xmpp.message', from: GAJIM, id: 'c1', body: 'hi', xml: '<message/>' });
  assert.deepEqual(h.sent, [['message', {
    to: [GAJIM], room: R, nick: null, type: 'error', id: 'c1', error: { condition: 'forbidden', type: 'auth', text: 'muted' },
  }]]);
});

test('a message from a resource that has not joined gets not-acceptable, then a 333 presence', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.message', from: MOVIM, id: 'c2', body: 'hi', xml: '<message/>' });
  assert.deepEqual(kinds(h.sent), ['message::error', 'presence:romeo:unavailable:110,333']);
  assert.ok(!h.calls.includes('sendText'));
});

test("a new participant's first message comes after their presence, to every joined resource", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.message', participant: { nick: 'tybalt' }, body: 'draw', legacyId: 'm9', xmppId: 'm9' });
  assert.deepEqual(kinds(h.sent), ['presence:tybalt', 'presence:tybalt', 'message:tybalt:groupchat', 'archive:']);
  h.sent.length = 0;
  await h.send({ type: 'legacy.message', participant: { nick: 'tybalt' }, body: 'again' });
  assert.deepEqual(kinds(h.sent), ['message:tybalt:groupchat', 'archive:'], 'presence only once');
});

test("a burst of participants' messages (legacy.messages) is delivered as each message alone would be, in order", async () => {
  const burst = (ids: string[]) => ({
    type: 'legacy.messages',
    messages: ids.map((id) => ({ type: 'legacy.message', eventId: `ev-${id}`, at: AT, participant: { nick: id.startsWith('t') ? 'tybalt' : 'nurse' }, body: id, legacyId: id })),
  });
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send(burst(['n1', 't1', 't2', 'n2']));
  assert.deepEqual(kinds(h.sent), [
    'message:nurse:groupchat', 'archive:',
    // tybalt is new: both resources get his presence once, before his first message
    'presence:tybalt', 'presence:tybalt', 'message:tybalt:groupchat', 'archive:',
    'message:tybalt:groupchat', 'archive:',
    'message:nurse:groupchat', 'archive:',
  ]);
  assert.deepEqual(h.sent.filter(([k]) => k === 'message').map(([, m]) => (m as { body: string }).body), ['n1', 't1', 't2', 'n2']);
  const context = h.actor.getSnapshot().context;
  const tybalt = context.participants.find((p) => p.nick === 'tybalt');
  assert.equal(tybalt?.presenceSent, true);
  assert.equal(context.chatStates?.tybalt, undefined, 'active: no state recorded');
  const { alreadyApplied } = await import('../../../src/machines/room.ts');
  for (const id of ['n1', 't1', 't2', 'n2']) assert.ok(alreadyApplied(context, { eventId: `ev-${id}` }));

  // a room nobody joined archives them, and sends nothing
  const idle = harness();
  await idle.send(burst(['n3', 't3']));
  assert.deepEqual(kinds(idle.sent), ['archive:', 'archive:']);
  assert.ok(alreadyApplied(idle.actor.getSnapshot().context, { eventId: 'ev-t3' }));
});

test("a burst of a typing participant's messages makes them active again: their next pause is sent", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state: 'paused' });
  await h.send({
    type: 'legacy.messages',
    messages: ['n1', 'n2'].map((id) => ({ type: 'legacy.message', eventId: `ev-${id}`, at: AT, participant: { nick: 'nurse' }, body: id, legacyId: id })),
  });
  assert.equal(h.actor.getSnapshot().context.chatStates?.nurse, undefined, 'active');
  h.sent.length = 0;
  await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state: 'paused' });
  assert.deepEqual(h.sent.map(([, m]) => (m as { chatState?: string }).chatState), ['paused'], 'not dropped as a repeat');
});

test('leaving sends the unavailable 110 self-presence to the leaving resource only', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.leave', from: GAJIM });
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: 'romeo', type: 'unavailable', item: { affiliation: 'member', role: 'none' }, codes: [110], occupantId: 'user',
  }]]);
  assert.deepEqual(h.actor.getSnapshot().context.resources, []);
});

test('kick and ban announce 307 and 301; occupant-ids stay the same across events', async () => {
  const h = harness();
  await h.join(GAJIM);
  const nurseId = (h.sent.find(([, v]) => (v as { nick: string }).nick === 'nurse')![1] as { occupantId: string }).occupantId;
  h.sent.length = 0;
  await h.send({ type: 'legacy.participantLeft', nick: 'nurse', kind: 'kick', reason: 'noise' });
  await h.send({ type: 'legacy.participantLeft', nick: 'juliet', kind: 'ban' });
  assert.deepEqual(h.sent.map(([, v]) => v), [
    { to: GAJIM, room: R, nick: 'nurse', type: 'unavailable', item: { affiliation: 'member', role: 'none', reason: 'noise' }, codes: [307], occupantId: nurseId },
    { to: GAJIM, room: R, nick: 'juliet', type: 'unavailable', item: { affiliation: 'outcast', role: 'none' }, codes: [301], occupantId: 'o-fill-0' },
  ]);
  assert.deepEqual(h.actor.getSnapshot().context.participants, []);
});

test('a rename sends the 303 pair and keeps the new nickname', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.rename', from: 'nurse', to: 'angelica' });
  assert.deepEqual(kinds(h.sent), ['presence:nurse:unavailable:303', 'presence:angelica']);
  assert.equal((h.sent[0]![1] as { item: { nick: string } }).item.nick, 'angelica');
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'angelica']);
});

test('the persisted snapshot survives JSON and restores a joined room without running fill again', async () => {
  const h = harness();
  await h.join(GAJIM);
  const json = JSON.stringify(h.actor.getPersistedSnapshot());
  const again = harness();
  const restored = createActor(again.machine, { snapshot: JSON.parse(json), input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo' } });
  restored.start();
  assert.ok(restored.getSnapshot().matches({ joined: 'idle' }));
  assert.deepEqual(restored.getSnapshot().context, h.actor.getSnapshot().context);
  restored.send({ type: 'xmpp.join', eventId: 'r1', at: AT, from: MOVIM, nick: 'romeo', history: {} } as RoomInputEvent);
  await waitFor(restored, (s) => !s.hasTag('busy'));
  assert.deepEqual(again.calls, ['history'], 'neither fill nor backfill again');
  assert.deepEqual(kinds(again.sent), ['presence:juliet', 'presence:nurse', 'presence:romeo:110,100', 'message:juliet:groupchat:subject', 'presence::photo=']);
});

test('a nickname change from a joined resource is refused; a status change is ignored', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'romeo', id: 'p1' });
  assert.deepEqual(h.sent, []);
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'montague', id: 'p2' });
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: 'montague', type: 'error', id: 'p2',
    error: { condition: 'not-acceptable', type: 'cancel', by: R, text: 'This gateway does not let you change your nickname in this room.' },
  }]]);
});

test('a bounced error removes the resource silently', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.bounce', from: GAJIM });
  assert.deepEqual(h.sent, []);
  assert.deepEqual(h.actor.getSnapshot().context.resources, []);
});

test('shutdown tells every joined resource 110+332 and forgets them', async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send({ type: 'runtime.shutdown' });
  assert.deepEqual(kinds(h.sent), ['presence:romeo:unavailable:110,332', 'presence:romeo:unavailable:110,332']);
  assert.deepEqual(h.actor.getSnapshot().context.resources, []);
});

function hookHarness(result: () => Promise<void>, flags?: RoomFlags) {
  const calls: unknown[] = [];
  const h = harness();
  const machine = h.machine.provide({ actors: { callHook: fromPromise(async ({ input }) => { calls.push(input); return result(); }) } });
  const actor = createActor(machine, { input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo', ...(flags ? { flags } : {}) } });
  actor.start();
  let n = 0;
  const send = async (event: Record<string, unknown>) => {
    actor.send({ eventId: `k${++n}`, at: AT, ...event } as unknown as RoomInputEvent);
    await waitFor(actor, (s) => !s.hasTag('busy'));
  };
  return { ...h, actor, send, calls };
}

test('a kick request goes to the plugin with the participant, and the iq is answered', async () => {
  const h = hookHarness(async () => undefined);
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'k1', reply: 'iq', call: { hook: 'kick', nick: 'nurse', reason: 'noise' } });
  assert.deepEqual(h.calls, [{
    room: { user: U, legacyId: 'room-private', jid: R }, call: { hook: 'kick', nick: 'nurse', reason: 'noise' },
    participant: { nick: 'nurse', role: 'participant', affiliation: 'member' },
  }]);
  assert.deepEqual(h.sent, [['iq', { to: GAJIM, from: R, type: 'result', id: 'k1' }]]);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
});

test('a refused subject change gets the plugin error as a message error', async () => {
  const h = hookHarness(async () => { throw { condition: 'forbidden', type: 'auth', text: 'not an op' }; });
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 's1', reply: 'message', call: { hook: 'setSubject', subject: 'new' } });
  assert.deepEqual(h.sent, [['message', {
    to: [GAJIM], room: R, nick: null, type: 'error', id: 's1', error: { condition: 'forbidden', type: 'auth', text: 'not an op' },
  }]]);
});

test('destroying answers the iq, sends the destroy presence and ends the room', async () => {
  const h = hookHarness(async () => undefined);
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'd1', reply: 'iq', call: { hook: 'destroy', reason: 'bye' } });
  assert.deepEqual(h.sent, [
    ['iq', { to: GAJIM, from: R, type: 'result', id: 'd1' }],
    ['presence', { to: GAJIM, room: R, nick: 'romeo', type: 'unavailable', item: { affiliation: 'none', role: 'none' }, codes: [110], destroy: { reason: 'bye' } }],
  ]);
  assert.ok(h.actor.getSnapshot().matches('destroyed'));
});

test('leaving a group for good answers first, then kicks every joined resource with 307', async () => {
  const h = hookHarness(async () => undefined);
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'l1', reply: 'iq', call: { hook: 'leaveGroup' } });
  assert.deepEqual(h.sent, [
    ['iq', { to: GAJIM, from: R, type: 'result', id: 'l1' }],
    ['presence', {
      to: GAJIM, room: R, nick: 'romeo', type: 'unavailable', codes: [307, 110, 100], occupantId: 'user',
      item: { affiliation: 'member', role: 'participant', reason: 'You left this chat from an XMPP client.', jid: U },
    }],
  ]);
  assert.ok(h.actor.getSnapshot().matches('destroyed'));
});

test('the plugin removing the user kicks every joined resource and ends the room', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.removed', reason: 'You left this group from the official client.', kick: true });
  assert.deepEqual(kinds(h.sent), ['presence:romeo:unavailable:307,110,100']);
  assert.ok(h.actor.getSnapshot().matches('destroyed'));
});

test('a request before the room was ever joined is refused, except leaving the group', async () => {
  const h = hookHarness(async () => undefined);
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'k0', reply: 'iq', call: { hook: 'kick', nick: 'nurse', reason: null } });
  assert.deepEqual(h.sent, [['iq', { to: GAJIM, from: R, type: 'error', id: 'k0', error: { condition: 'not-acceptable', type: 'modify', text: 'Join the room first' } }]]);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'l0', reply: 'iq', call: { hook: 'leaveGroup' } });
  assert.deepEqual(h.sent, [['iq', { to: GAJIM, from: R, type: 'result', id: 'l0' }]]);
  assert.ok(h.actor.getSnapshot().matches('destroyed'));
});

test("the user's own presence changes their role and re-sends the 110/100 self-presence to every resource, never an occupant", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.presence', participant: { nick: 'romeo', role: 'moderator', affiliation: 'admin', isUser: true } });
  assert.deepEqual(h.sent, [GAJIM, MOVIM].map((to) => ['presence', {
    to, room: R, nick: 'romeo', item: { affiliation: 'admin', role: 'moderator', jid: to }, codes: [110, 100], occupantId: 'user',
  }]));
  const { self, participants } = h.actor.getSnapshot().context;
  assert.deepEqual(self, { role: 'moderator', affiliation: 'admin', occupantId: 'user' });
  assert.deepEqual(participants.map((p) => p.nick), ['juliet', 'nurse']);
});

test("in a CHANNEL the user's self-presence has 110 only and no JID; the room itself has no presence", async () => {
  const h = harness({ fill: async () => ({ info: info(MucType.CHANNEL), participants: [{ nick: 'nurse' }], user: null }) });
  await h.join(GAJIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.presence', participant: { nick: 'romeo', role: 'visitor' }, show: 'away' });
  await h.send({ type: 'legacy.presence', participant: { nick: '', role: 'none', affiliation: 'none', isSystem: true } });
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: 'romeo', item: { affiliation: 'member', role: 'visitor' }, codes: [110], occupantId: 'user', show: 'away',
  }]]);
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => p.nick), ['nurse']);
});

test("the user's rename sends 303+110 from the old nick, then 110 from the new one, to every resource; later stanzas use the new nick", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  h.sent.length = 0;
  await h.send({ type: 'legacy.rename', from: 'romeo', to: 'montague' });
  assert.deepEqual(h.sent, [GAJIM, MOVIM].flatMap((to) => [
    ['presence', {
      to, room: R, nick: 'romeo', type: 'unavailable', item: { affiliation: 'member', role: 'participant', jid: to, nick: 'montague' },
      codes: [303, 110], occupantId: 'user',
    }],
    ['presence', { to, room: R, nick: 'montague', item: { affiliation: 'member', role: 'participant', jid: to }, codes: [110], occupantId: 'user' }],
  ]));
  assert.equal(h.actor.getSnapshot().context.info!.userNick, 'montague');
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'nurse']);

  h.sent.length = 0;
  // the plugin's room object may still know the user by the old nick: the tag says who it is
  await h.send({ eventId: 'm1', type: 'legacy.message', participant: { nick: 'romeo', isUser: true }, body: 'from the official client' });
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'montague', id: 'p1' });
  assert.deepEqual(h.sent, [
    ['message', {
      to: [GAJIM, MOVIM], room: R, nick: 'montague', type: 'groupchat', body: 'from the official client', stanzaId: 'm1', occupantId: 'user',
      chatState: 'active', markable: true,
    }],
    ['archive', {
      user: U, roomId: 'room-private', room: R, stanzaId: 'm1', at: AT, source: 'live',
      message: { room: R, nick: 'montague', type: 'groupchat', body: 'from the official client', stanzaId: 'm1', occupantId: 'user' },
    }],
  ]);
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'nurse']);
  h.sent.length = 0;
  await h.join(GAJIM, { presenceId: 'j2' });
  assert.deepEqual(h.sent.find(([, v]) => (v as { id?: string }).id === 'j2'), ['presence', {
    to: GAJIM, room: R, nick: 'montague', id: 'j2', item: { affiliation: 'member', role: 'participant', jid: GAJIM },
    codes: [110, 100, 210], occupantId: 'user',
  }]);
});

test('with the plugin\'s onNickChange, a nick change goes to the hook: nothing back on success, an error presence from the nick asked for when refused', async () => {
  const results: (() => Promise<void>)[] = [
    async () => undefined,
    async () => { throw { condition: 'conflict', type: 'cancel', text: 'Nickname is already in use' }; },
  ];
  const h = hookHarness(() => results.shift()!(), { hasSubject: true, nickChange: true });
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'romeo', id: 'p0' }); // a status change
  await h.send({ type: 'xmpp.presence', from: MOVIM, nick: 'montague', id: 'p1' }); // not joined: ignored
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'montague', id: 'p2' });
  assert.deepEqual(h.sent, []);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  await h.send({ type: 'xmpp.presence', from: GAJIM, nick: 'bob', id: 'p3' });
  assert.deepEqual(h.calls, ['montague', 'bob'].map((nick) => ({
    room: { user: U, legacyId: 'room-private', jid: R }, call: { hook: 'nickChange', nick }, participant: null,
  })));
  assert.deepEqual(h.sent, [['presence', {
    to: GAJIM, room: R, nick: 'bob', type: 'error', id: 'p3', error: { by: R, condition: 'conflict', type: 'cancel', text: 'Nickname is already in use' },
  }]]);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
  assert.equal(h.actor.getSnapshot().context.request, null);
});

test('a role change goes to the plugin with the participant; the iq gets the result, or the plugin error', async () => {
  const results: (() => Promise<void>)[] = [
    async () => undefined,
    async () => { throw { condition: 'feature-not-implemented', type: 'cancel', text: 'Not implemented by the legacy module' }; },
  ];
  const h = hookHarness(() => results.shift()!());
  await h.send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  h.sent.length = 0;
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'r1', reply: 'iq', call: { hook: 'setRole', nick: 'nurse', role: 'moderator', reason: 'trusted' } });
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'r2', reply: 'iq', call: { hook: 'setRole', nick: 'juliet', role: 'visitor', reason: null } });
  assert.deepEqual(h.calls, [
    {
      room: { user: U, legacyId: 'room-private', jid: R }, call: { hook: 'setRole', nick: 'nurse', role: 'moderator', reason: 'trusted' },
      participant: { nick: 'nurse', role: 'participant', affiliation: 'member' },
    },
    {
      room: { user: U, legacyId: 'room-private', jid: R }, call: { hook: 'setRole', nick: 'juliet', role: 'visitor', reason: null },
      participant: { nick: 'juliet', role: 'moderator', affiliation: 'owner' },
    },
  ]);
  assert.deepEqual(h.sent, [
    ['iq', { to: GAJIM, from: R, type: 'result', id: 'r1' }],
    ['iq', { to: GAJIM, from: R, type: 'error', id: 'r2', error: { condition: 'feature-not-implemented', type: 'cancel', text: 'Not implemented by the legacy module' } }],
  ]);
});

test('the room itself speaks from the bare room JID with occupant-id room, and is no occupant', async () => {
  const h = harness();
  await h.join(GAJIM);
  h.sent.length = 0;
  const room = { nick: '', role: 'none', affiliation: 'none', isSystem: true };
  await h.send({ eventId: 'n1', type: 'legacy.message', participant: room, body: 'Channel is now moderated' });
  await h.send({ eventId: 's1', type: 'legacy.subject', subject: 'Set by the server', setter: '' });
  assert.deepEqual(h.sent, [
    ['message', {
      to: [GAJIM], room: R, nick: null, type: 'groupchat', body: 'Channel is now moderated', stanzaId: 'n1', occupantId: 'room',
      chatState: 'active', markable: true,
    }],
    ['archive', {
      user: U, roomId: 'room-private', room: R, stanzaId: 'n1', at: AT, source: 'live',
      message: { room: R, nick: null, type: 'groupchat', body: 'Channel is now moderated', stanzaId: 'n1', occupantId: 'room' },
    }],
    ['message', {
      to: [GAJIM], room: R, type: 'groupchat', nick: null, subject: 'Set by the server', stanzaId: 'subject-s1', occupantId: 'room',
      delay: { stamp: AT, from: R },
    }],
  ]);
  const { participants, info: roomInfo } = h.actor.getSnapshot().context;
  assert.deepEqual(participants.map((p) => p.nick), ['juliet', 'nurse']);
  assert.equal(roomInfo!.subjectSetter, null);
});

test("the user's own avatar (spec §3.7): a join brings its hash into the self-presence, kept through the fill; a change re-sends it, the same hash nothing", async () => {
  const h = harness();
  await h.join(GAJIM, { userAvatar: 'h1' });
  assert.equal(kinds(h.sent)[2], 'presence:romeo:110,100:photo=h1');
  assert.equal(h.actor.getSnapshot().context.self.avatar, 'h1');
  h.sent.length = 0;
  await h.send({ type: 'xmpp.userAvatar', hash: 'h1' });
  assert.deepEqual(h.sent, [], 'unchanged: nothing sent');
  await h.send({ type: 'xmpp.userAvatar', hash: 'h2' });
  assert.deepEqual(kinds(h.sent), ['presence:romeo:110,100:photo=h2']);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.userAvatar', hash: null });
  assert.deepEqual(kinds(h.sent), ['presence:romeo:110,100'], 'removed: the self-presence without <x/>');
  await h.send({ type: 'xmpp.userAvatar', hash: 'h3' });
  h.sent.length = 0;
  await h.join(`${U}/dino`, {}); // not known when it came: what the room has stays
  assert.equal(kinds(h.sent).find((k) => k.includes('110')), 'presence:romeo:110,100:photo=h3');
});

test('events from a resumable network are dropped by position once applied, however many are replayed', async () => {
  const { alreadyApplied } = await import('../../../src/machines/room.ts');
  const h = harness();
  await h.join(GAJIM);
  const at = (seq: number, n: number, source = 'net-a') => ({ eventId: `x${seq}.${n}`, delivery: { source, seq, n } });
  for (let seq = 1; seq <= 300; seq++) {
    await h.send({ type: 'legacy.message', participant: { nick: 'nurse' }, body: `m${seq}`, ...at(seq, 0) });
  }
  const ctx = h.actor.getSnapshot().context;
  assert.deepEqual(ctx.delivered, { 'net-a': [300, 0] });
  assert.equal(recentItems(ctx.applied).length, 1, 'positions do not fill the id list (only the join is there)');
  assert.ok(alreadyApplied(ctx, at(1, 0)), 'the first of 300 is still known as applied');
  assert.ok(alreadyApplied(ctx, at(300, 0)));
  assert.ok(!alreadyApplied(ctx, at(300, 1)), 'the next event of the same delivery is new');
  assert.ok(!alreadyApplied(ctx, at(301, 0)));
  assert.ok(!alreadyApplied(ctx, at(1, 0, 'net-b')), 'another network (or run of it) has its own watermark');
});

test('a second event of one position (a stanza that fills, then asks) has its own place in the watermark', async () => {
  const { alreadyApplied } = await import('../../../src/machines/room.ts');
  const h = harness();
  await h.join(GAJIM);
  const at = (seq: number, n: number, k?: number) => ({ eventId: `x${seq}.${n}.${k}`, delivery: { source: 'mailbox-0', seq, n, ...(k ? { k } : {}) } });
  await h.send({ type: 'legacy.message', participant: { nick: 'nurse' }, body: 'first', ...at(7, 2) });
  let ctx = h.actor.getSnapshot().context;
  assert.deepEqual(ctx.delivered, { 'mailbox-0': [7, 2] }, 'a first event keeps the two-number watermark');
  assert.ok(!alreadyApplied(ctx, at(7, 2, 1)), 'the same position\'s second event is new');
  await h.send({ type: 'legacy.message', participant: { nick: 'nurse' }, body: 'second', ...at(7, 2, 1) });
  ctx = h.actor.getSnapshot().context;
  assert.deepEqual(ctx.delivered, { 'mailbox-0': [7, 2, 1] });
  assert.ok(alreadyApplied(ctx, at(7, 2)) && alreadyApplied(ctx, at(7, 2, 1)) && alreadyApplied(ctx, at(7, 1, 5)), 'a replay skips both, and all before');
  assert.ok(!alreadyApplied(ctx, at(7, 2, 2)) && !alreadyApplied(ctx, at(7, 3)) && !alreadyApplied(ctx, at(8, 0)));
});

test('events without positions are dropped by id: the newest 256 ids are known, older ones forgotten', async () => {
  const { alreadyApplied, APPLIED_EVENTS_KEPT } = await import('../../../src/machines/room.ts');
  const h = harness();
  await h.join(GAJIM);
  for (let i = 1; i <= 300; i++) await h.send({ type: 'legacy.message', eventId: `m${i}`, participant: { nick: 'nurse' }, body: `m${i}` });
  const ctx = h.actor.getSnapshot().context;
  const ids = recentItems(ctx.applied);
  assert.equal(ids.length, APPLIED_EVENTS_KEPT);
  assert.equal(ids.at(-1), 'm300');
  assert.ok(alreadyApplied(ctx, { eventId: 'm300' }));
  assert.ok(alreadyApplied(ctx, { eventId: `m${300 - APPLIED_EVENTS_KEPT + 1}` }), 'the oldest id kept');
  assert.ok(!alreadyApplied(ctx, { eventId: `m${300 - APPLIED_EVENTS_KEPT}` }), 'one older is forgotten');
  assert.ok(!alreadyApplied(ctx, { eventId: 'm301' }));
  // a snapshot written before pages holds a flat list: it is read as one page
  assert.ok(alreadyApplied({ ...ctx, applied: ['old-1', 'old-2'] as unknown as string[][] }, { eventId: 'old-1' }));
});

test('a room restored while greeting a join (written after the hook timeout) asks for the history again on runtime.resume', async () => {
  const h = harness();
  await h.join(GAJIM);
  // a second resource's join whose history never comes: the room stays in greeting
  const stuck = createActor(h.machine.provide({ actions: { startHistory: historyHook(() => new Promise(() => undefined)) } }), {
    snapshot: h.actor.getPersistedSnapshot(), input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo' },
  });
  stuck.start();
  stuck.send({ type: 'xmpp.join', eventId: 'j2', at: AT, from: MOVIM, nick: 'romeo', history: {} } as RoomInputEvent);
  assert.ok(stuck.getSnapshot().matches({ joined: 'greeting' }));
  const json = JSON.stringify(stuck.getPersistedSnapshot());

  const again = harness();
  const restored = createActor(again.machine, { snapshot: JSON.parse(json), input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo' } });
  restored.start();
  assert.ok(restored.getSnapshot().hasTag('busy'));
  restored.send({ type: 'runtime.resume' });
  await waitFor(restored, (s) => !s.hasTag('busy'));
  assert.deepEqual(again.calls, ['history']);
  assert.deepEqual(kinds(again.sent), ['presence:juliet', 'presence:nurse', 'presence:romeo:110,100', 'message:juliet:groupchat:subject', 'presence::photo=']);
  assert.deepEqual(restored.getSnapshot().context.resources, [GAJIM, MOVIM]);
});
