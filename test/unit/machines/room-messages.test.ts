// The room machine's message events (spec §3.11–§3.22), driven with events only: the intents
// it emits, whole and in order, through a recording port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, waitFor } from 'xstate';
import {
  OWN_IDS_KEPT, backfillHook, fillHook, historyHook, roomMachine, sendTextHook,
  type RoomFlags, type SendTextInput, type SendTextOutput, type UserActionInput, type UserActionOutput,
} from '../../../src/machines/room.ts';
import { recordingPort } from './recording-port.ts';
import { recentItems } from '../../../src/machines/recent.ts';
import { roomEffects } from '../../../src/machines/room.effects.ts';
import type { ArchivedMessage, FillOutput, HookInput } from '../../../src/machines/ports.ts';
import type { LegacyRoomEvent, RoomInputEvent } from '../../../src/machines/events.ts';
import { MucType } from '../../../src/legacy/types.ts';

const R = 'room-private@aim.shakespeare.lit';
const GW = 'aim.shakespeare.lit';
const U = 'romeo@montague.lit';
const GAJIM = `${U}/gajim`;
const MOVIM = `${U}/movim`;
const AT = '2026-11-25T12:00:00.000Z';
const ROOM = { user: U, legacyId: 'room-private', jid: R };
const JULIET = 'o-fill-0';

interface Options {
  userAction?: (input: UserActionInput) => Promise<UserActionOutput>;
  sendText?: (input: SendTextInput) => Promise<SendTextOutput>;
  flags?: RoomFlags;
}

function harness(opts: Options = {}) {
  const { port, sent } = recordingPort();
  const actions: UserActionInput[] = [];
  const hooks: HookInput[] = [];
  const texts: string[] = [];
  const machine = roomMachine.provide({
    actions: {
      ...roomEffects(port),
      // the network takes each message but `bad`, and says which it had, in order
      startSendText: sendTextHook(async (input) => {
        const { message } = input;
        if (opts.sendText) return opts.sendText(input);
        texts.push(message.id!);
        if (message.id === 'bad') throw { condition: 'forbidden', type: 'auth', text: 'muted' };
        return { legacyId: `L-${message.id}`, stanzaId: `X-${message.id}` };
      }),
      startHistory: historyHook(async (): Promise<ArchivedMessage[]> => []),
      startFill: fillHook(async (): Promise<FillOutput> => ({
        info: { name: 'Private', description: '', subject: 'Hello', subjectSetter: null, subjectDate: null, type: MucType.GROUP, nParticipants: 2, userNick: null },
        participants: [{ nick: 'juliet', role: 'moderator', affiliation: 'owner' }, { nick: 'nurse' }],
        user: null,
      })),
      startBackfill: backfillHook(async (): Promise<LegacyRoomEvent[]> => []),
    },
    actors: {
      userAction: fromPromise(async ({ input }: { input: UserActionInput }) => {
        actions.push(input);
        return (opts.userAction ?? (async () => ({ legacyId: null, stanzaId: null })))(input);
      }),
      callHook: fromPromise(async ({ input }: { input: HookInput }) => { hooks.push(input); }),
    },
  });
  const input = { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo', ...(opts.flags ? { flags: opts.flags } : {}) };
  const actor = createActor(machine, { input });
  actor.start();
  let n = 0;
  const send = async (event: Record<string, unknown>) => {
    actor.send({ eventId: `e${++n}`, at: AT, ...event } as unknown as RoomInputEvent);
    await waitFor(actor, (s) => !s.hasTag('busy'));
  };
  /** Joins `from` (no history), then forgets what the join sent. */
  const join = async (from = GAJIM) => {
    await send({ type: 'xmpp.join', from, nick: 'romeo', history: { maxstanzas: 0 } });
    sent.length = 0;
  };
  /** The user writes `id`; the network calls it `L-<id>`, its stanza-id is `X-<id>`. */
  const say = async (id: string) => {
    await send({ type: 'xmpp.message', from: GAJIM, id, body: 'hi', xml: `<message id="${id}"><body>hi</body></message>` });
    sent.length = 0;
  };
  return { actor, sent, actions, hooks, texts, send, join, say, machine };
}

/** What the room archives for a message intent: the same without addressing, chat state, marker request or hint. */
function archived(m: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { to: _to, chatState: _c, markable: _m, hint: _h, ...message } = m;
  return ['archive', { user: U, roomId: 'room-private', room: R, stanzaId: m.stanzaId, at: AT, source: 'live', message, ...extra }];
}

test("a participant's correction replaces the stanza-id of another's message, and the client's id of the user's own", async () => {
  const h = harness();
  await h.join();
  await h.say('c1');
  await h.send({ eventId: 'j2', type: 'legacy.message', participant: { nick: 'juliet' }, body: 'fixed', replaces: { legacyId: 'J1', xmppId: 'XJ1' } });
  await h.send({ eventId: 'u2', type: 'legacy.message', participant: { nick: 'romeo' }, body: 'hi!', replaces: { legacyId: 'L-c1', xmppId: 'X-c1' } });
  const juliet = {
    to: [GAJIM], room: R, nick: 'juliet', type: 'groupchat', body: 'fixed', stanzaId: 'j2', occupantId: JULIET,
    replace: 'XJ1', chatState: 'active', markable: true,
  };
  const romeo = { ...juliet, nick: 'romeo', body: 'hi!', stanzaId: 'u2', occupantId: 'user', replace: 'c1' };
  assert.deepEqual(h.sent, [['message', juliet], archived(juliet), ['message', romeo], archived(romeo)]);
  assert.deepEqual(h.actor.getSnapshot().context.participants.map((p) => p.nick), ['juliet', 'nurse'], 'the user is no occupant');
});

test("the user's correction goes to the network with the corrected message's legacy id, and is echoed under the new one", async () => {
  const h = harness({ userAction: async () => ({ legacyId: 'L2', stanzaId: 'X2' }) });
  await h.join();
  await h.join(MOVIM);
  await h.say('c1');
  const correction = { eventId: 'k1', at: AT, type: 'xmpp.correction', from: GAJIM, id: 'c2', replaceId: 'c1', body: 'hello', xml: '<message id="c2"/>' };
  await h.send(correction);
  assert.deepEqual(h.actions, [{ room: ROOM, action: correction, legacyId: 'L-c1' }]);
  const echo = { room: R, nick: 'romeo', xml: '<message id="c2"/>', stanzaId: 'X2', occupantId: 'user' };
  assert.deepEqual(h.sent, [
    ['echo', { ...echo, to: [GAJIM, MOVIM] }],
    ['archive', { user: U, roomId: 'room-private', room: R, stanzaId: 'X2', at: AT, source: 'live', message: echo, legacyId: 'L2' }],
  ]);
  // the network's new id for it is still the message the client knows as c1
  h.sent.length = 0;
  await h.send({ eventId: 'u3', type: 'legacy.message', participant: { nick: 'romeo' }, body: 'hello!', replaces: { legacyId: 'L2', xmppId: 'X2' } });
  assert.equal((h.sent[0]![1] as { replace: string }).replace, 'c1');
});

test('a correction the network cannot take goes as new text: the gateway tells the user before the echo', async () => {
  const h = harness({ userAction: async () => ({ legacyId: null, stanzaId: null, notice: 'Sent as a new message.' }) });
  await h.join();
  await h.send({ eventId: 'k1', type: 'xmpp.correction', from: GAJIM, id: 'c2', replaceId: 'c1', body: 'hello', xml: '<message id="c2"/>' });
  assert.equal(h.actions[0]!.legacyId, null, 'an id the room does not know is converted by the session');
  const echo = { room: R, nick: 'romeo', xml: '<message id="c2"/>', stanzaId: 'k1', occupantId: 'user' };
  assert.deepEqual(h.sent, [
    ['message', { to: [GAJIM], room: GW, nick: null, type: 'chat', body: 'Sent as a new message.' }],
    ['echo', { ...echo, to: [GAJIM] }],
    ['archive', { user: U, roomId: 'room-private', room: R, stanzaId: 'k1', at: AT, source: 'live', message: echo }],
  ]);
});

test("the user's retraction, reaction and marker are echoed; only the marker is not archived", async () => {
  const h = harness();
  await h.join();
  await h.send({ eventId: 'r1', type: 'xmpp.retraction', from: GAJIM, id: 'm1', targetId: 'X9', xml: '<message id="m1"/>' });
  await h.send({ eventId: 'r2', type: 'xmpp.reaction', from: GAJIM, id: 'm2', targetId: 'X9', emojis: ['👍'], xml: '<message id="m2"/>' });
  await h.send({ eventId: 'r3', type: 'xmpp.displayed', from: GAJIM, id: 'm3', targetId: 'X9', xml: '<message id="m3"/>' });
  const echo = (id: string, stanzaId: string) => ({ room: R, nick: 'romeo', xml: `<message id="${id}"/>`, stanzaId, occupantId: 'user' });
  const archive = (id: string, stanzaId: string) => ['archive', { user: U, roomId: 'room-private', room: R, stanzaId, at: AT, source: 'live', message: echo(id, stanzaId) }];
  assert.deepEqual(h.sent, [
    ['echo', { ...echo('m1', 'r1'), to: [GAJIM] }], archive('m1', 'r1'),
    ['echo', { ...echo('m2', 'r2'), to: [GAJIM] }], archive('m2', 'r2'),
    ['echo', { ...echo('m3', 'r3'), to: [GAJIM] }],
  ]);
  assert.deepEqual(h.actions.map((a) => [a.action.type, a.legacyId]), [['xmpp.retraction', null], ['xmpp.reaction', null], ['xmpp.displayed', null]]);
});

test("a chat state goes to the network and is not echoed; a refused action gets the network's error", async () => {
  const h = harness({ userAction: async (input) => {
    if (input.action.type === 'xmpp.retraction') throw { condition: 'forbidden', type: 'auth', text: 'too late' };
    return { legacyId: null, stanzaId: null };
  } });
  await h.join();
  await h.send({ type: 'xmpp.chatState', from: GAJIM, state: 'composing' });
  assert.deepEqual(h.sent, []);
  await h.send({ type: 'xmpp.retraction', from: GAJIM, id: 'm1', targetId: 'X9', xml: '<message/>' });
  assert.deepEqual(h.sent, [['message', {
    to: [GAJIM], room: R, nick: null, type: 'error', id: 'm1', error: { condition: 'forbidden', type: 'auth', text: 'too late' },
  }]]);
  assert.equal(h.actor.getSnapshot().context.action, null);
});

test('a resource that has not joined gets not-acceptable and 333 for any groupchat action, and the network nothing', async () => {
  const h = harness();
  await h.join();
  await h.send({ type: 'xmpp.reaction', from: MOVIM, id: 'm1', targetId: 'X9', emojis: ['👍'], xml: '<message/>' });
  await h.send({ type: 'xmpp.chatState', from: MOVIM, state: 'composing' });
  const refusal = (id?: string) => [
    ['message', { to: [MOVIM], room: R, nick: null, type: 'error', ...(id ? { id } : {}), error: { condition: 'not-acceptable', type: 'modify', text: 'You are not connected to this chat' } }],
    ['presence', { to: MOVIM, room: R, nick: 'romeo', type: 'unavailable', item: { affiliation: 'none', role: 'none' }, codes: [110, 333] }],
  ];
  assert.deepEqual(h.sent, [...refusal('m1'), ...refusal()]);
  assert.deepEqual(h.actions, []);
});

test('with REACTIONS_SINGLE_EMOJI, two emojis get a gateway notice and not-acceptable, and never reach the network', async () => {
  const h = harness({ flags: { hasSubject: true, reactionsSingleEmoji: true } });
  await h.join();
  await h.send({ type: 'xmpp.reaction', from: GAJIM, id: 'm1', targetId: 'X9', emojis: ['👍', '👎'], xml: '<message/>' });
  assert.deepEqual(h.sent, [
    ['message', { to: [GAJIM], room: GW, nick: null, type: 'chat', body: 'Maximum 1 emoji/message' }],
    ['message', { to: [GAJIM], room: R, nick: null, type: 'error', id: 'm1', error: { condition: 'not-acceptable', type: 'modify', text: 'Maximum 1 emoji/message' } }],
  ]);
  assert.deepEqual(h.actions, []);
  h.sent.length = 0;
  await h.send({ type: 'xmpp.reaction', from: GAJIM, id: 'm2', targetId: 'X9', emojis: ['👍'], xml: '<message/>' });
  assert.deepEqual(h.sent.map(([k]) => k), ['echo', 'archive']);
});

test('a legacy retraction has a fallback body, <retract> and <replace> of the id the user knows, and is archived', async () => {
  const h = harness();
  await h.join();
  await h.say('c1');
  await h.send({ eventId: 'x1', type: 'legacy.retraction', participant: { nick: 'juliet' }, target: { legacyId: 'J1', xmppId: 'XJ1' } });
  await h.send({ eventId: 'x2', type: 'legacy.retraction', participant: { nick: 'romeo' }, target: { legacyId: 'L-c1', xmppId: 'X-c1' } });
  const juliet = {
    to: [GAJIM], room: R, nick: 'juliet', type: 'groupchat', body: '/me retracted the message J1', stanzaId: 'x1', occupantId: JULIET,
    retract: 'XJ1', replace: 'XJ1', chatState: 'active', hint: 'store',
  };
  const romeo = { ...juliet, nick: 'romeo', body: '/me retracted the message L-c1', stanzaId: 'x2', occupantId: 'user', retract: 'c1', replace: 'c1' };
  assert.deepEqual(h.sent, [['message', juliet], archived(juliet), ['message', romeo], archived(romeo)]);
});

test("a participant's first reaction comes after their lazy presence, refers to the stanza-id, and is archived", async () => {
  const h = harness();
  await h.join();
  await h.say('c1');
  await h.send({ eventId: 'x1', type: 'legacy.reaction', participant: { nick: 'tybalt' }, target: { legacyId: 'L-c1', xmppId: 'X-c1' }, emojis: ['🗡'] });
  const reaction = {
    to: [GAJIM], room: R, nick: 'tybalt', type: 'groupchat', stanzaId: 'x1', occupantId: 'o-x1',
    reactions: { id: 'X-c1', emojis: ['🗡'] }, hint: 'store',
  };
  assert.deepEqual(h.sent, [
    ['presence', { to: GAJIM, room: R, nick: 'tybalt', item: { affiliation: 'member', role: 'participant' }, occupantId: 'o-x1' }],
    ['message', reaction], archived(reaction),
  ]);
});

test('a moderation comes from the bare room JID with the moderator, or the room itself, and is archived', async () => {
  const h = harness();
  await h.join();
  await h.send({ eventId: 'x1', type: 'legacy.moderation', moderator: { nick: 'juliet' }, target: { legacyId: 'N1', xmppId: 'XN1' }, reason: 'rude' });
  await h.send({ eventId: 'x2', type: 'legacy.moderation', moderator: null, target: { legacyId: 'N2', xmppId: 'XN2' } });
  const byJuliet = {
    to: [GAJIM], room: R, nick: null, type: 'groupchat', stanzaId: 'x1', occupantId: JULIET,
    moderated: { id: 'XN1', by: 'juliet', reason: 'rude' },
  };
  const byRoom = { ...byJuliet, stanzaId: 'x2', occupantId: 'room', moderated: { id: 'XN2', by: null } };
  assert.deepEqual(h.sent, [['message', byJuliet], archived(byJuliet), ['message', byRoom], archived(byRoom)]);
});

test('legacy chat states are not archived; repeats are dropped except composing, and a message means active', async () => {
  const h = harness();
  await h.join();
  for (const state of ['composing', 'composing', 'paused', 'paused']) {
    await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state });
  }
  await h.send({ eventId: 'n1', type: 'legacy.message', participant: { nick: 'nurse' }, body: 'anon' });
  await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state: 'active' });
  await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state: 'inactive' });
  const state = (s: string) => ['message', { to: [GAJIM], room: R, nick: 'nurse', type: 'groupchat', occupantId: 'o-fill-1', chatState: s, hint: 'no-store' }];
  assert.deepEqual(h.sent.filter(([, m]) => !(m as { body?: string }).body && (m as { stanzaId?: string }).stanzaId !== 'n1'), [
    state('composing'), state('composing'), state('paused'), state('inactive'),
  ]);
  assert.deepEqual(h.actor.getSnapshot().context.chatStates, { nurse: 'inactive' });
});

test('a participant\'s chat state follows a rename and goes with a leave', async () => {
  const h = harness();
  await h.join();
  await h.send({ type: 'legacy.chatState', participant: { nick: 'nurse' }, state: 'composing' });
  await h.send({ type: 'legacy.rename', from: 'nurse', to: 'angelica' });
  assert.deepEqual(h.actor.getSnapshot().context.chatStates, { angelica: 'composing' });
  await h.send({ type: 'legacy.participantLeft', nick: 'angelica', kind: 'leave' });
  assert.deepEqual(h.actor.getSnapshot().context.chatStates, {});
});

test('a legacy displayed marker refers to the stanza-id and is not archived', async () => {
  const h = harness();
  await h.join();
  await h.send({ type: 'legacy.displayed', participant: { nick: 'juliet' }, target: { legacyId: 'L-c1', xmppId: 'X-c1' } });
  assert.deepEqual(h.sent, [['message', { to: [GAJIM], room: R, nick: 'juliet', type: 'groupchat', occupantId: JULIET, displayed: 'X-c1' }]]);
});

test("the user's own displayed marker from the network is echoed to the joined resources and published to their PEP (MDS); another participant's is not published", async () => {
  const h = harness();
  await h.join();
  await h.send({ type: 'legacy.displayed', participant: { nick: 'romeo' }, target: { legacyId: 'L-c2', xmppId: 'X-c2' } });
  const self = h.actor.getSnapshot().context.self.occupantId;
  assert.deepEqual(h.sent, [
    ['message', { to: [GAJIM], room: R, nick: 'romeo', type: 'groupchat', occupantId: self, displayed: 'X-c2' }],
    ['displayedMark', { gateway: GW, user: U, room: R, stanzaId: 'X-c2' }],
  ]);
  h.sent.length = 0;
  await h.send({ type: 'legacy.displayed', participant: { nick: 'juliet' }, target: { legacyId: 'L-c3', xmppId: 'X-c3' } });
  assert.deepEqual(h.sent.map(([kind]) => kind), ['message']);
});

test("the user's displayed marker in a room nobody joined yet still reaches their PEP (MDS)", async () => {
  const h = harness();
  await h.send({ type: 'legacy.displayed', participant: { nick: 'romeo', isUser: true }, target: { legacyId: 'L-c4' } });
  assert.deepEqual(h.sent, [['displayedMark', { gateway: GW, user: U, room: R, stanzaId: 'L-c4' }]]);
  assert.equal(h.actor.getSnapshot().value, 'uninitialised');
});

test("threads (spec §3.23): a participant's message carries its thread, as the XMPP thread it was made for where the network made one", async () => {
  const seen: [string | undefined, string[]][] = [];
  const h = harness({ sendText: async ({ message, threads }) => {
    seen.push([message.thread, threads.map((t) => `${t.xmpp}>${t.legacy}`)]);
    // the network makes a thread of its own for an XMPP thread it has not seen
    const made = message.thread && !threads.some((t) => t.xmpp === message.thread) ? { xmpp: message.thread, legacy: `L-${message.thread}` } : undefined;
    return { legacyId: `L-${message.id}`, stanzaId: `X-${message.id}`, ...(made ? { thread: made } : {}) };
  } });
  await h.join();
  await h.send({ type: 'xmpp.message', from: GAJIM, id: 'a', body: 'hi', thread: 'T1', xml: '<message id="a"><body>hi</body><thread>T1</thread></message>' });
  await h.send({ type: 'xmpp.message', from: GAJIM, id: 'b', body: 'again', thread: 'T1', xml: '<message id="b"><body>again</body><thread>T1</thread></message>' });
  assert.deepEqual(seen, [['T1', []], ['T1', ['T1>L-T1']]], 'the second message finds the thread the first made');
  assert.deepEqual(h.actor.getSnapshot().context.threads, [{ xmpp: 'T1', legacy: 'L-T1' }]);
  h.sent.length = 0;
  await h.send({ type: 'legacy.message', participant: { nick: 'juliet' }, body: 'in it', legacyId: 'j1', thread: { legacyId: 'L-T1' } });
  await h.send({ type: 'legacy.message', participant: { nick: 'juliet' }, body: 'elsewhere', legacyId: 'j2', thread: { legacyId: 'net-7' } });
  await h.send({ type: 'legacy.message', participant: { nick: 'juliet' }, body: 'by id', legacyId: 'j3', thread: { legacyId: 'net-8', xmppId: 'X-net-8' } });
  await h.send({ type: 'legacy.reaction', participant: { nick: 'juliet' }, target: { legacyId: 'j1' }, emojis: ['👍'], thread: { legacyId: 'L-T1' } });
  await h.send({ type: 'legacy.retraction', participant: { nick: 'juliet' }, target: { legacyId: 'j2' }, thread: { legacyId: 'net-7' } });
  const threads = h.sent.filter(([kind]) => kind === 'message').map(([, m]) => (m as { thread?: string }).thread);
  assert.deepEqual(threads, ['T1', 'net-7', 'X-net-8', 'T1', 'net-7']);
  // what the user does in a thread names its legacy thread to the hook: the one the network made, else the XMPP id
  await h.send({ type: 'xmpp.reaction', from: GAJIM, id: 'r1', targetId: 'X-j1', emojis: ['🎂'], thread: 'T1', xml: '<message id="r1"/>' });
  await h.send({ type: 'xmpp.chatState', from: GAJIM, state: 'composing', thread: 'T9' });
  await h.send({ type: 'xmpp.retraction', from: GAJIM, id: 'r2', targetId: 'X-a', xml: '<message id="r2"/>' });
  assert.deepEqual(h.actions.map((a) => [a.action.type, a.thread]), [['xmpp.reaction', 'L-T1'], ['xmpp.chatState', 'T9'], ['xmpp.retraction', undefined]]);
});

test('a legacy reply quotes its target and points at its author; an attachment only points', async () => {
  const h = harness();
  await h.join();
  await h.send({
    eventId: 'y1', type: 'legacy.message', participant: { nick: 'juliet' }, body: 'Yes.', legacyId: 'J2', xmppId: 'XJ2',
    replyTo: { legacyId: 'L-c1', xmppId: 'X-c1', author: 'user', body: 'Shall I hear more,\nor shall I speak?' },
  });
  await h.send({
    eventId: 'y2', type: 'legacy.message', participant: { nick: 'nurse' }, body: 'https://example.org/a.png', url: 'https://example.org/a.png',
    replyTo: { legacyId: 'J2', xmppId: 'XJ2', author: 'juliet', body: 'Yes.' },
  });
  const quote = '> romeo:\n> Shall I hear more,\n> or shall I speak?\n';
  const reply = {
    to: [GAJIM], room: R, nick: 'juliet', type: 'groupchat', body: `${quote}Yes.`, id: 'XJ2', stanzaId: 'XJ2', occupantId: JULIET,
    reply: { id: 'X-c1', nick: 'romeo', quoteLength: [...quote].length }, chatState: 'active', markable: true,
  };
  const file = {
    to: [GAJIM], room: R, nick: 'nurse', type: 'groupchat', body: 'https://example.org/a.png', stanzaId: 'y2', occupantId: 'o-fill-1',
    reply: { id: 'XJ2', nick: 'juliet' }, oob: 'https://example.org/a.png', chatState: 'active', markable: true,
  };
  assert.deepEqual(h.sent, [['message', reply], archived(reply, { legacyId: 'J2' }), ['message', file], archived(file)]);
});

test('a private message from a participant goes to every joined resource; with none joined, to the bare JID', async () => {
  const h = harness();
  await h.join();
  await h.join(MOVIM);
  await h.send({ type: 'legacy.privateMessage', participant: { nick: 'juliet' }, body: 'Romeo!', legacyId: 'P1', xmppId: 'XP1' });
  const pm = { room: R, nick: 'juliet', type: 'chat', occupantId: JULIET, private: true };
  assert.deepEqual(h.sent, [['message', { ...pm, to: [GAJIM, MOVIM], body: 'Romeo!', id: 'XP1' }]]);
  // before any join the room knows nobody: the sender's occupant-id comes from the event
  const first = harness();
  await first.send({ type: 'legacy.privateMessage', participant: { nick: 'juliet' }, body: 'Romeo?', legacyId: 'P0', xmppId: 'XP0' });
  assert.deepEqual(first.sent, [['message', { ...pm, to: [U], body: 'Romeo?', id: 'XP0', occupantId: 'o-e1' }]]);
});

test("the user's private message goes to the network for a known occupant only, and is not echoed", async () => {
  const h = harness({ userAction: async (input) => {
    if (input.action.type === 'xmpp.privateMessage' && input.action.body === 'refused') throw { condition: 'forbidden', type: 'auth' };
    return { legacyId: 'P1', stanzaId: 'P1' };
  } });
  await h.send({ type: 'xmpp.privateMessage', from: GAJIM, id: 'p0', nick: 'juliet', body: 'too early' });
  await h.join();
  await h.send({ type: 'xmpp.privateMessage', from: GAJIM, id: 'p1', nick: 'juliet', body: 'Juliet?' });
  await h.send({ type: 'xmpp.privateMessage', from: GAJIM, id: 'p2', nick: 'benvolio', body: 'Hello?' });
  await h.send({ type: 'xmpp.privateMessage', from: MOVIM, id: 'p3', nick: 'juliet', body: 'Not joined' });
  await h.send({ type: 'xmpp.privateMessage', from: GAJIM, id: 'p4', nick: 'juliet', body: 'refused' });
  const notJoined = { condition: 'not-acceptable', type: 'modify', text: 'You are not connected to this chat' };
  assert.deepEqual(h.actions.map((a) => (a.action as { id: string }).id), ['p1', 'p4']);
  assert.deepEqual(h.sent, [
    ['message', { to: [GAJIM], room: R, nick: 'benvolio', type: 'error', id: 'p2', error: { condition: 'item-not-found', type: 'cancel', text: 'No such occupant' } }],
    ['message', { to: [MOVIM], room: R, nick: 'juliet', type: 'error', id: 'p3', error: notJoined }],
    ['message', { to: [GAJIM], room: R, nick: 'juliet', type: 'error', id: 'p4', error: { condition: 'forbidden', type: 'auth' } }],
  ]);
});

test('a moderation request goes to the plugin with the stanza-id and its iq is answered', async () => {
  const h = harness();
  await h.join();
  await h.send({ type: 'xmpp.request', from: GAJIM, id: 'q1', reply: 'iq', call: { hook: 'moderate', id: 'X9', reason: 'spam' } });
  assert.deepEqual(h.hooks, [{ room: ROOM, call: { hook: 'moderate', id: 'X9', reason: 'spam' }, participant: null }]);
  assert.deepEqual(h.sent, [['iq', { to: GAJIM, from: R, type: 'result', id: 'q1' }]]);
});

test("the user's own message ids survive a snapshot round trip, bounded", async () => {
  const h = harness();
  await h.join();
  await h.say('c1');
  const snapshot = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
  assert.deepEqual(recentItems(snapshot.context.ownIds), [{ legacyId: 'L-c1', xmppId: 'c1' }]);
  const again = harness();
  const restored = createActor(again.machine, { snapshot, input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo' } });
  restored.start();
  restored.send({ eventId: 'z1', at: AT, type: 'legacy.retraction', participant: { nick: 'romeo' }, target: { legacyId: 'L-c1', xmppId: 'X-c1' } } as RoomInputEvent);
  assert.equal((again.sent[0]![1] as { retract: string }).retract, 'c1');

  for (let i = 2; i <= OWN_IDS_KEPT + 1; i++) await h.say(`c${i}`);
  const ownIds = recentItems(h.actor.getSnapshot().context.ownIds);
  assert.equal(ownIds.length, OWN_IDS_KEPT);
  assert.deepEqual([ownIds[0], ownIds.at(-1)], [{ legacyId: 'L-c2', xmppId: 'c2' }, { legacyId: `L-c${OWN_IDS_KEPT + 1}`, xmppId: `c${OWN_IDS_KEPT + 1}` }]);
});

test("a burst of the user's messages (xmpp.messages) goes to the network in order; each is echoed or refused on its own", async () => {
  const h = harness();
  await h.join(GAJIM);
  await h.join(MOVIM);
  const message = (id: string, from = GAJIM) =>
    ({ type: 'xmpp.message', eventId: `ev-${id}`, at: AT, from, id, body: id, xml: `<message id="${id}"><body>${id}</body></message>` });
  await h.send({ type: 'xmpp.messages', messages: [message('a'), message('b', 'romeo@montague.lit/stranger'), message('bad'), message('c', MOVIM)] });
  assert.deepEqual(h.texts, ['a', 'bad', 'c'], 'the one from a resource that has not joined never reaches the network');
  assert.deepEqual(h.sent.map(([kind, v]) => {
    const x = v as { id?: string; xml?: string; type?: string; to?: string | string[]; codes?: number[]; stanzaId?: string };
    return `${kind}:${x.type ?? ''}:${x.id ?? x.stanzaId ?? ''}:${[x.to].flat().join(',')}${x.codes ? `:${x.codes.join(',')}` : ''}`;
  }), [
    // §2.8 first: the stranger's message is refused as the burst comes in
    'message:error:b:romeo@montague.lit/stranger', 'presence:unavailable::romeo@montague.lit/stranger:110,333',
    `echo::X-a:${GAJIM},${MOVIM}`, 'archive::X-a:',
    `message:error:bad:${GAJIM}`,
    `echo::X-c:${GAJIM},${MOVIM}`, 'archive::X-c:',
  ]);
  const context = h.actor.getSnapshot().context;
  assert.equal(context.sending, null);
  assert.deepEqual(recentItems(context.ownIds).map((o) => `${o.xmppId}=${o.legacyId}`), ['a=L-a', 'c=L-c'], 'corrections can find what the network took');
  const { alreadyApplied } = await import('../../../src/machines/room.ts');
  for (const id of ['a', 'b', 'bad', 'c']) assert.ok(alreadyApplied(context, { eventId: `ev-${id}` }), `${id} is applied: a replay drops it`);
});

test('a burst from resources none of which has joined is refused whole, and nothing is sent', async () => {
  const h = harness();
  await h.join(GAJIM);
  const stranger = 'romeo@montague.lit/stranger';
  await h.send({ type: 'xmpp.messages', messages: ['x', 'y'].map((id) => ({ type: 'xmpp.message', eventId: `ev-${id}`, at: AT, from: stranger, id, body: id, xml: '<message/>' })) });
  assert.deepEqual(h.texts, []);
  assert.deepEqual(h.sent.map(([kind, v]) => `${kind}:${(v as { type?: string }).type ?? ''}`), ['message:error', 'presence:unavailable', 'message:error', 'presence:unavailable']);
  assert.ok(h.actor.getSnapshot().matches({ joined: 'idle' }));
});

/** Juliet's message sent as three stanzas (`sendFiles`): two files, then the text with the legacy id M1. */
async function sentAsSeveral(h: ReturnType<typeof harness>, archiveOnly = false) {
  const juliet = { nick: 'juliet' };
  const more = archiveOnly ? { archiveOnly: true, when: AT } : {};
  await h.send({ eventId: 'f1', type: 'legacy.message', participant: juliet, body: 'https://u/a.png', url: 'https://u/a.png', siblingOf: 'M1', ...more });
  await h.send({ eventId: 'f2', type: 'legacy.message', participant: juliet, body: 'https://u/b.png', url: 'https://u/b.png', siblingOf: 'M1', ...more });
  await h.send({ eventId: 'f3', type: 'legacy.message', participant: juliet, body: 'our photos', legacyId: 'M1', xmppId: 'XM1', ...more });
  h.sent.length = 0;
}

/** The stanzas of a message intent's kind, as [kind, the id they refer to, their stanza-id]. */
const refs = (sent: unknown[][]) => sent.filter(([kind]) => kind === 'message').map(([, m]) => {
  const i = m as { retract?: string; moderated?: { id: string }; replace?: string; stanzaId: string };
  return [i.retract ? 'retract' : i.moderated ? 'moderated' : i.replace ? 'replace' : 'message', i.retract ?? i.moderated?.id ?? i.replace, i.stanzaId];
});

test('§3.12: a message the network sent as several stanzas is retracted and moderated whole: each sibling gets its own, archived', async () => {
  const h = harness();
  await h.join();
  await sentAsSeveral(h);
  await h.send({ eventId: 'x1', type: 'legacy.retraction', participant: { nick: 'juliet' }, target: { legacyId: 'M1', xmppId: 'XM1' } });
  assert.deepEqual(refs(h.sent), [['retract', 'XM1', 'x1'], ['retract', 'f1', 'x1-1'], ['retract', 'f2', 'x1-2']]);
  assert.equal(h.sent.filter(([kind]) => kind === 'archive').length, 3);
  assert.equal((h.sent[2]![1] as { body: string }).body, '/me retracted the message M1');
  h.sent.length = 0;
  await h.send({ eventId: 'x2', type: 'legacy.moderation', moderator: null, target: { legacyId: 'M1', xmppId: 'XM1' } });
  assert.deepEqual(refs(h.sent), [['moderated', 'XM1', 'x2'], ['moderated', 'f1', 'x2-1'], ['moderated', 'f2', 'x2-2']]);
  // another message's retraction reaches it alone
  h.sent.length = 0;
  await h.send({ eventId: 'x3', type: 'legacy.retraction', participant: { nick: 'juliet' }, target: { legacyId: 'M2', xmppId: 'XM2' } });
  assert.deepEqual(refs(h.sent), [['retract', 'XM2', 'x3']]);
});

test('§3.12: correcting a message sent as several stanzas replaces the one with the id and retracts the others', async () => {
  const h = harness();
  await h.join();
  await sentAsSeveral(h);
  await h.send({ eventId: 'c1', type: 'legacy.message', participant: { nick: 'juliet' }, body: 'one photo was enough', replaces: { legacyId: 'M1', xmppId: 'XM1' } });
  assert.deepEqual(refs(h.sent), [['replace', 'XM1', 'c1'], ['retract', 'f1', 'c1-1'], ['retract', 'f2', 'c1-2']]);
});

test("§3.12: the user's action on a sibling stanza reaches the network with the whole message's legacy id", async () => {
  const h = harness();
  await h.join();
  await sentAsSeveral(h);
  await h.send({ type: 'xmpp.reaction', from: GAJIM, id: 'm1', targetId: 'f2', emojis: ['👍'], xml: '<message id="m1"/>' });
  await h.send({ type: 'xmpp.displayed', from: GAJIM, id: 'm2', targetId: 'f1', xml: '<message id="m2"/>' });
  await h.send({ type: 'xmpp.reaction', from: GAJIM, id: 'm3', targetId: 'XM1', emojis: ['👍'], xml: '<message id="m3"/>' });
  assert.deepEqual(h.actions.map((a) => a.legacyId), ['M1', 'M1', null], 'the stanza with the id: the session converts it');
});

test('§3.12: siblings archived before anyone joined, or backfilled, are known too, and survive a snapshot', async () => {
  const h = harness();
  await sentAsSeveral(h); // not joined: archived only
  const snapshot = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
  const again = harness();
  const restored = createActor(again.machine, { snapshot, input: { user: U, legacyId: 'room-private', jid: R, defaultUserNick: 'romeo' } });
  restored.start();
  restored.send({ eventId: 'x1', at: AT, type: 'legacy.retraction', participant: { nick: 'juliet' }, target: { legacyId: 'M1', xmppId: 'XM1' } } as RoomInputEvent);
  const retracted = again.sent.filter(([kind]) => kind === 'archive').map(([, a]) => (a as { message: { retract: string } }).message.retract);
  assert.deepEqual(retracted, ['XM1', 'f1', 'f2']);
});
