// The demo network beyond plain messages: corrections, retractions, reactions, moderation,
// presence, chat states, markers, private messages, files and replies; in the network, through
// the plugin's session both ways, and over the HTTP API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoError, DemoNetwork, parseWorld, startDemoHttp, type DemoEvent, type DemoHttp } from '../../../../src/legacy/demo/index.ts';
import { XmppError } from '../../../../src/legacy/index.ts';
import { harness, silent, steppingClock, testWorld } from './fixtures.ts';

const ROMEO = 'romeo@montague.lit';
const JULIET = 'juliet@capulet.lit';
const isStatus = (status: number) => (err: unknown) => err instanceof DemoError && err.status === status;

function listen(net: DemoNetwork, jid: string, nick: string) {
  const events: DemoEvent[] = [];
  net.connect(jid, nick, (e) => events.push(e));
  return events;
}

test('an edit, a deletion and reactions change the room and are told to everyone but the XMPP user who made them', () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  const romeo = listen(net, ROMEO, 'romeo');
  const juliet = listen(net, JULIET, 'juliet');
  const { id } = net.sendFromUser('balcony', ROMEO, 'romeo', 'helo', 'r-1');
  net.correct('balcony', { id, from: 'romeo', body: 'hello', jid: ROMEO });
  net.react('balcony', id, 'juliet', ['❤'], JULIET);
  net.react('balcony', id, 'juliet', ['❤', '🌹'], JULIET);
  net.retract('balcony', id, 'romeo', ROMEO);
  assert.deepEqual(romeo, [
    { type: 'reactions', roomId: 'balcony', id, from: 'juliet', emojis: ['❤'] },
    { type: 'reactions', roomId: 'balcony', id, from: 'juliet', emojis: ['❤', '🌹'] },
  ]);
  assert.deepEqual(juliet.map((e) => e.type), ['message', 'correction', 'retraction']);
  assert.deepEqual(juliet[1], { type: 'correction', roomId: 'balcony', id, from: 'romeo', body: 'hello' });
  const view = net.room('balcony');
  assert.deepEqual([view.messages, view.reactions], [[], {}], 'the deleted message takes its reactions along');
});

test('only its author edits or deletes a message, only a moderator moderates one, and unknown ids are 404', () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  assert.throws(() => net.correct('coven', { id: 'c-1', from: 'secondwitch', body: 'mine now' }), isStatus(403));
  assert.throws(() => net.retract('coven', 'c-1', 'secondwitch'), isStatus(403));
  assert.throws(() => net.moderate('coven', 'c-1', 'secondwitch'), isStatus(403));
  assert.throws(() => net.react('coven', 'nope', 'secondwitch', ['👍']), isStatus(404));
  assert.throws(() => net.post('coven', { from: 'secondwitch', body: 're', replyTo: 'nope' }), isStatus(404));
  const all = listen(net, ROMEO, 'romeo');
  net.moderate('coven', 'c-2', 'firstwitch', 'off topic');
  assert.deepEqual(all, [{ type: 'moderation', roomId: 'coven', id: 'c-2', by: 'firstwitch', reason: 'off topic' }]);
  assert.ok(!net.messages('coven').some((m) => m.id === 'c-2'));
});

test('presence, chat states and markers are told with what the room records of them', () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  const romeo = listen(net, ROMEO, 'romeo');
  net.setPresence('coven', 'firstwitch', { show: 'away', status: 'brewing' });
  net.chatState('coven', 'secondwitch', 'composing');
  net.displayed('coven', 'secondwitch', 'c-1');
  net.chatState('coven', 'romeo', 'paused', ROMEO);
  assert.deepEqual(romeo, [
    { type: 'presence', roomId: 'coven', nick: 'firstwitch', role: 'moderator', affiliation: 'owner', show: 'away', status: 'brewing' },
    { type: 'chatState', roomId: 'coven', nick: 'secondwitch', state: 'composing' },
    { type: 'displayed', roomId: 'coven', nick: 'secondwitch', id: 'c-1' },
  ]);
  const view = net.room('coven');
  assert.deepEqual([view.presences, view.chatStates, view.displayed], [
    { firstwitch: { show: 'away', status: 'brewing' } }, { secondwitch: 'composing', romeo: 'paused' }, { secondwitch: 'c-1' },
  ]);
  assert.throws(() => net.setPresence('coven', 'hecate', {}), isStatus(404));
});

test('a private message is told to its recipient only, a user by JID or a participant by nick', () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  const romeo = listen(net, ROMEO, 'romeo');
  const juliet = listen(net, JULIET, 'juliet');
  const { id } = net.sendPrivate('balcony', { from: 'juliet', to: ROMEO, body: 'Romeo!' });
  net.sendPrivate('balcony', { from: 'romeo', to: 'juliet', body: 'Juliet!', jid: ROMEO, id: 'p-2' });
  assert.deepEqual(romeo, [{ type: 'privateMessage', roomId: 'balcony', id, from: 'juliet', to: ROMEO, body: 'Romeo!' }]);
  assert.deepEqual(juliet, [{ type: 'privateMessage', roomId: 'balcony', id: 'p-2', from: 'romeo', to: 'juliet', body: 'Juliet!' }]);
  assert.deepEqual(net.room('balcony').privateMessages.map((m) => [m.from, m.to, m.jid]), [['juliet', ROMEO, undefined], ['romeo', 'juliet', ROMEO]]);
  assert.throws(() => net.sendPrivate('balcony', { from: 'nurse', to: ROMEO, body: '?' }), isStatus(404));
  assert.throws(() => net.sendPrivate('balcony', { from: 'juliet', to: 'benvolio@montague.lit', body: '?' }), isStatus(404));
});

test('the journal keeps the newest journalKept events, up to a tenth more', async () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock(), journalKept: 10 });
  for (let i = 0; i < 100; i++) net.post('coven', { from: 'firstwitch', body: `m${i}` });
  const kept = await net.journalAfter(0);
  assert.ok(kept.length >= 10 && kept.length <= 11, `${kept.length} events kept`);
  assert.equal(kept.at(-1)!.seq, net.lastSeq(), 'the newest ones');
  assert.deepEqual(kept.map((e) => e.seq), kept.map((_, i) => net.lastSeq() - kept.length + 1 + i), 'in order, none missing');
});

test('a replica applying the journal ends up with the same room', async () => {
  const net = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  const { id } = net.post('coven', { from: 'firstwitch', url: 'https://example.org/cauldron.png' });
  net.post('coven', { from: 'secondwitch', body: 'nice', replyTo: id });
  net.correct('coven', { id: 'c-1', from: 'firstwitch', body: 'uno' });
  net.react('coven', 'c-1', 'secondwitch', ['🔥']);
  net.retract('coven', 'c-3', 'firstwitch');
  net.moderate('coven', 'c-5', 'firstwitch');
  net.setPresence('coven', 'secondwitch', { show: 'dnd' });
  net.chatState('coven', 'secondwitch', 'composing');
  net.displayed('coven', 'secondwitch', 'c-1');
  net.sendPrivate('coven', { from: 'firstwitch', to: ROMEO, body: 'psst', id: 'p-1' });
  const replica = new DemoNetwork(net.initialWorld, { log: silent, now: steppingClock() });
  for (const entry of await net.journalAfter(0)) replica.applyJournal(entry);
  const { online: _a, privateMessages: mine, ...original } = net.room('coven');
  const { online: _b, privateMessages: theirs, ...copy } = replica.room('coven');
  assert.deepEqual(copy, original);
  assert.deepEqual(theirs.map(({ timestamp: _t, ...m }) => m), mine.map(({ timestamp: _t, ...m }) => m));
});

test('network events become the participants\' calls: edits, deletions, reactions, moderation, presence, chat states, markers, private messages', async () => {
  const { network, session, events } = harness();
  await session.login();
  const { id } = network.post('coven', { from: 'firstwitch', url: 'https://example.org/a.png' });
  network.post('coven', { from: 'secondwitch', body: 'nice', replyTo: 'c-4', id: 'r-1' });
  network.correct('coven', { id: 'c-1', from: 'firstwitch', body: 'uno' });
  network.retract('coven', 'c-2', 'secondwitch');
  network.react('coven', 'c-1', 'secondwitch', ['🔥']);
  network.moderate('coven', 'c-3', 'firstwitch', 'spoilers');
  network.setPresence('coven', 'secondwitch', { show: 'xa', status: 'asleep' });
  network.chatState('coven', 'secondwitch', 'composing');
  network.displayed('coven', 'secondwitch', 'c-1');
  network.sendPrivate('coven', { from: 'firstwitch', to: ROMEO, body: 'psst', id: 'p-1' });
  await session.flushed();
  const first = { nick: 'firstwitch', role: 'participant', affiliation: 'member' };
  const second = { nick: 'secondwitch', role: 'participant', affiliation: 'member' };
  assert.deepEqual(events.map((e) => e.event), [
    { type: 'legacy.message', participant: first, body: 'https://example.org/a.png', url: 'https://example.org/a.png', legacyId: id, when: '2024-06-01T12:00:01.000Z' },
    {
      type: 'legacy.message', participant: second, body: 'nice', legacyId: 'r-1', when: '2024-06-01T12:00:02.000Z',
      replyTo: { legacyId: 'c-4', author: 'user', body: 'four' },
    },
    { type: 'legacy.message', participant: first, body: 'uno', replaces: { legacyId: 'c-1' } },
    { type: 'legacy.retraction', participant: second, target: { legacyId: 'c-2' } },
    { type: 'legacy.reaction', participant: second, target: { legacyId: 'c-1' }, emojis: ['🔥'] },
    { type: 'legacy.moderation', moderator: first, target: { legacyId: 'c-3' }, reason: 'spoilers' },
    { type: 'legacy.presence', participant: { nick: 'secondwitch', role: 'participant', affiliation: 'member' }, show: 'xa', status: 'asleep' },
    { type: 'legacy.chatState', participant: second, state: 'composing' },
    { type: 'legacy.displayed', participant: second, target: { legacyId: 'c-1' } },
    { type: 'legacy.privateMessage', participant: first, body: 'psst', legacyId: 'p-1' },
  ]);
});

test('the user\'s edits, deletions, reactions, markers, chat states, files and private messages go into the network', async () => {
  const { network, session, host, events } = harness();
  await session.login();
  const balcony = host.openRoom(session, 'balcony');
  const id = await session.onText(balcony, 'helo', { xmppId: 'c1' });
  assert.equal(await session.onCorrect(balcony, 'hello', id), null, 'the network keeps the id of an edited message');
  await session.onReact(balcony, id, ['🌹']);
  await session.onDisplayed(balcony, id);
  await session.onComposing(balcony);
  const file = await session.onFile(balcony, 'https://example.org/rose.png', { replyTo: { legacyId: id } });
  const pm = await session.onPrivateText(balcony, 'juliet', 'meet me', { xmppId: 'p1' });
  await session.onRetract(balcony, id);
  await session.flushed();
  const view = network.room('balcony');
  assert.deepEqual(view.messages.map((m) => [m.id, m.body, m.url, m.replyTo]), [[file, 'https://example.org/rose.png', 'https://example.org/rose.png', id]]);
  assert.deepEqual([view.reactions, view.displayed, view.chatStates], [{}, { romeo: id }, { romeo: 'composing' }]);
  assert.deepEqual(view.privateMessages.map((m) => [m.id, m.from, m.to, m.body]), [[pm, 'romeo', 'juliet', 'meet me']]);
  assert.deepEqual(events, [], 'the user hears none of it back');
  await assert.rejects(session.onRetract(balcony, 'nope'), (err: unknown) => err instanceof XmppError && err.condition === 'item-not-found');
  await assert.rejects(session.onModerate(balcony, 'nope', null), (err: unknown) => err instanceof XmppError && err.condition === 'item-not-found');
});

test('the user moderates when the network says they are a moderator, and hears it back like everyone', async () => {
  const { network, session, host, events } = harness();
  await session.login();
  const balcony = host.openRoom(session, 'balcony');
  const { id } = network.post('balcony', { from: 'juliet', body: 'oops' });
  await session.onModerate(balcony, id, 'too soon');
  await session.flushed();
  assert.deepEqual(events.at(-1)!.event, {
    type: 'legacy.moderation', moderator: { nick: 'romeo', role: 'participant', affiliation: 'member', isUser: true }, target: { legacyId: id }, reason: 'too soon',
  });
  const coven = host.openRoom(session, 'coven');
  await assert.rejects(session.onModerate(coven, 'c-1', null), (err: unknown) => err instanceof XmppError && err.condition === 'forbidden');
});

let network: DemoNetwork;
let http: DemoHttp;
const heard: DemoEvent[] = [];
before(async () => {
  network = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  network.connect(ROMEO, 'romeo', (e) => heard.push(e));
  http = await startDemoHttp(network, { host: '127.0.0.1', port: 0, log: silent });
});
after(() => http.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${http.port}/demo/rooms${path}`, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

test('the HTTP API edits, deletes, reacts, moderates, and posts files and replies', async () => {
  heard.length = 0;
  assert.deepEqual(await call('POST', '/coven/messages', { from: 'firstwitch', body: 'uno', correct: 'c-1' }), { status: 201, json: { id: 'c-1' } });
  assert.equal((await call('DELETE', '/coven/messages/c-3?by=firstwitch')).status, 204);
  assert.equal((await call('POST', '/coven/messages/c-1/reactions', { from: 'secondwitch', emojis: ['🔥'] })).status, 204);
  assert.equal((await call('POST', '/coven/messages/c-2/moderate', { by: 'firstwitch', reason: 'spoilers' })).status, 204);
  const file = await call('POST', '/coven/messages', { from: 'secondwitch', url: 'https://example.org/a.png', replyTo: 'c-1' });
  assert.equal(file.status, 201);
  assert.deepEqual(heard.map((e) => e.type), ['correction', 'retraction', 'reactions', 'moderation', 'message']);
  assert.deepEqual(heard.at(-1), {
    type: 'message', roomId: 'coven', id: file.json.id, from: 'secondwitch', body: 'https://example.org/a.png',
    timestamp: (heard.at(-1) as { timestamp: string }).timestamp, url: 'https://example.org/a.png', replyTo: 'c-1',
  });
});

test('the HTTP API sets presence, chat states and markers, and sends private messages', async () => {
  heard.length = 0;
  assert.equal((await call('POST', '/coven/participants/secondwitch/presence', { show: 'dnd', status: 'busy' })).status, 204);
  assert.equal((await call('POST', '/coven/participants/secondwitch/chatstate', { state: 'paused' })).status, 204);
  assert.equal((await call('POST', '/coven/participants/secondwitch/displayed', { id: 'c-1' })).status, 204);
  const pm = await call('POST', '/coven/private', { from: 'firstwitch', to: ROMEO, body: 'psst' });
  assert.equal(pm.status, 201);
  assert.deepEqual(heard, [
    { type: 'presence', roomId: 'coven', nick: 'secondwitch', role: 'participant', affiliation: 'member', show: 'dnd', status: 'busy' },
    { type: 'chatState', roomId: 'coven', nick: 'secondwitch', state: 'paused' },
    { type: 'displayed', roomId: 'coven', nick: 'secondwitch', id: 'c-1' },
    { type: 'privateMessage', roomId: 'coven', id: pm.json.id, from: 'firstwitch', to: ROMEO, body: 'psst' },
  ]);
});

test('the HTTP API refuses bad writes with 400, 403, 404 and 405', async () => {
  assert.equal((await call('DELETE', '/coven/messages/c-1')).status, 400, 'by is required');
  assert.match((await call('POST', '/coven/messages', { from: 'x', correct: 'c-1' })).json.error, /^body: an edit needs a body/);
  assert.equal((await call('POST', '/coven/messages', { from: 'x', url: 'not a url' })).status, 400);
  assert.equal((await call('POST', '/coven/participants/secondwitch/chatstate', { state: 'dancing' })).status, 400);
  assert.equal((await call('DELETE', '/coven/messages/c-1?by=secondwitch')).status, 403);
  assert.equal((await call('POST', '/coven/messages/c-1/moderate', { by: 'secondwitch' })).status, 403);
  assert.equal((await call('POST', '/coven/messages/nope/reactions', { from: 'x', emojis: [] })).status, 404);
  assert.equal((await call('POST', '/coven/participants/hecate/presence', {})).status, 404);
  assert.equal((await call('GET', '/coven/messages/c-1/reactions')).status, 405);
  assert.equal((await call('POST', '/coven/messages/c-1/elsewhere', {})).status, 404);
  assert.equal((await call('POST', '/coven/messages/c-1/reactions/more', {})).status, 404);
});
