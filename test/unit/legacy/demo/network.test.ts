import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoError, DemoNetwork, parseWorld, type DemoEvent } from '../../../../src/legacy/demo/index.ts';
import { ROOM_MESSAGES_KEPT } from '../../../../src/legacy/demo/network.ts';
import { pino } from 'pino';
import { silent, steppingClock, testWorld } from './fixtures.ts';

const ROMEO = 'romeo@montague.lit';
const JULIET = 'juliet@capulet.lit';
const BENVOLIO = 'benvolio@montague.lit';

function network() {
  return new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock('2024-06-01T12:00:00Z') });
}

function listen(net: DemoNetwork, jid: string, nick: string) {
  const events: DemoEvent[] = [];
  const connection = net.connect(jid, nick, (e) => events.push(e));
  return { events, connection };
}

function isStatus(status: number) {
  return (err: unknown) => err instanceof DemoError && err.status === status;
}

test('membership is the members list, or everybody when the room lists nobody', () => {
  const net = network();
  assert.equal(net.isMember('balcony', ROMEO), true);
  assert.equal(net.isMember('balcony', 'Juliet@Capulet.lit'), true);
  assert.equal(net.isMember('balcony', BENVOLIO), false);
  assert.equal(net.isMember('coven', BENVOLIO), true);
  assert.deepEqual(net.roomsOf(BENVOLIO), ['coven', 'dev team']);
  assert.deepEqual(net.roomsOf(ROMEO), ['coven', 'balcony', 'dev team']);
});

test('an unknown room is a 404 DemoError, a bad input a 400', () => {
  const net = network();
  assert.throws(() => net.room('nowhere'), isStatus(404));
  assert.throws(() => net.post('nowhere', { from: 'a', body: 'b' }), isStatus(404));
  assert.throws(() => net.post('coven', { from: '', body: 'b' }), isStatus(400));
  assert.throws(() => net.post('coven', { from: 'a', body: '' }), isStatus(400));
  assert.throws(() => net.remove('coven', 'nobody'), isStatus(404));
  assert.throws(() => net.remove('coven', 'secondwitch', { kick: true, ban: true }), isStatus(400));
  assert.throws(() => net.rename('coven', 'firstwitch', 'secondwitch'), isStatus(409));
  assert.throws(() => net.createRoom({ id: 'coven', name: 'C', type: 'channel' }), isStatus(409));
  assert.throws(() => net.createRoom({ id: 'x', name: 'X', type: 'forum' }), (err: unknown) => err instanceof DemoError && err.status === 400 && /type/.test(err.message));
});

test('a posted message reaches connected members only, with a fresh id and the time', () => {
  const net = network();
  const romeo = listen(net, ROMEO, 'romeo');
  const benvolio = listen(net, BENVOLIO, 'benvolio');
  const { id } = net.post('balcony', { from: 'juliet', body: 'Wherefore art thou?' });
  assert.match(id, /^m-\d+-[0-9a-f]{6}$/);
  assert.deepEqual(romeo.events, [{ type: 'message', roomId: 'balcony', id, from: 'juliet', body: 'Wherefore art thou?', timestamp: '2024-06-01T12:00:01.000Z' }]);
  assert.deepEqual(benvolio.events, [], 'not a member of the balcony');
});

test('a message from a user reaches the other connected members but not the sender', () => {
  const net = network();
  const romeo = listen(net, ROMEO, 'romeo');
  const juliet = listen(net, JULIET, 'juliet');
  const benvolio = listen(net, BENVOLIO, 'benvolio');
  const { id } = net.sendFromUser('coven', ROMEO, 'romeo', 'Hello witches');
  assert.deepEqual(romeo.events, []);
  assert.deepEqual(juliet.events.map((e) => e.type === 'message' && [e.id, e.from, e.body]), [[id, 'romeo', 'Hello witches']]);
  assert.equal(benvolio.events.length, 1);
  const view = net.room('coven');
  assert.deepEqual(view.sent, [{ id, from: 'romeo', body: 'Hello witches', timestamp: '2024-06-01T12:00:01.000Z', jid: ROMEO }]);
  assert.equal(view.messages.at(-1)!.id, id);
});

test('a user who is not a member cannot send into a members-only room', () => {
  const net = network();
  assert.throws(() => net.sendFromUser('balcony', BENVOLIO, 'benvolio', 'hi'), isStatus(403));
});

test('a disconnected user hears nothing more', () => {
  const net = network();
  const romeo = listen(net, ROMEO, 'romeo');
  romeo.connection.disconnect();
  net.post('coven', { from: 'firstwitch', body: 'anyone?' });
  assert.deepEqual(romeo.events, []);
});

test('joins, removals, subject changes, renames and new rooms are told to members in call order', () => {
  const net = network();
  const romeo = listen(net, ROMEO, 'romeo');
  net.join('coven', { nick: 'thirdwitch' });
  net.join('coven', { nick: 'thirdwitch', role: 'moderator' });
  net.rename('coven', 'thirdwitch', 'hecate');
  net.setSubject('coven', { subject: 'Fair is foul', by: 'hecate' });
  net.remove('coven', 'hecate', { ban: true, reason: 'too powerful' });
  net.remove('coven', 'secondwitch');
  net.createRoom({ id: 'heath', name: 'Heath', type: 'channel' });
  net.createRoom({ id: 'verona', name: 'Verona', type: 'group', members: [JULIET] });
  assert.deepEqual(romeo.events, [
    { type: 'participantJoined', roomId: 'coven', nick: 'thirdwitch', role: 'participant', affiliation: 'member' },
    { type: 'participantJoined', roomId: 'coven', nick: 'thirdwitch', role: 'moderator', affiliation: 'member' },
    { type: 'rename', roomId: 'coven', from: 'thirdwitch', to: 'hecate' },
    { type: 'subject', roomId: 'coven', subject: 'Fair is foul', by: 'hecate', date: '2024-06-01T12:00:01.000Z' },
    { type: 'participantLeft', roomId: 'coven', nick: 'hecate', kind: 'ban', reason: 'too powerful' },
    { type: 'participantLeft', roomId: 'coven', nick: 'secondwitch', kind: 'leave' },
    { type: 'roomCreated', roomId: 'heath', name: 'Heath' },
  ]);
  const coven = net.room('coven');
  assert.deepEqual(coven.participants.map((p) => p.nick), ['firstwitch']);
  assert.equal(coven.subject, 'Fair is foul');
  assert.equal(coven.subjectSetter, 'hecate');
});

test('a rename keeps the participant in its place in the list', () => {
  const net = network();
  net.rename('coven', 'firstwitch', 'hecate');
  assert.deepEqual(net.info('coven').participants, [
    { nick: 'hecate', role: 'moderator', affiliation: 'owner' },
    { nick: 'secondwitch', role: 'participant', affiliation: 'member' },
  ]);
});

test('an event caused by a listener is delivered after the one being delivered, to everyone', () => {
  const net = network();
  const seen: string[] = [];
  net.connect(ROMEO, 'romeo', (e) => {
    seen.push(`romeo ${e.type === 'message' ? e.body : e.type}`);
    if (e.type === 'message' && e.body === 'ping') net.post('coven', { from: 'secondwitch', body: 'pong' });
  });
  net.connect(JULIET, 'juliet', (e) => seen.push(`juliet ${e.type === 'message' ? e.body : e.type}`));
  net.post('coven', { from: 'firstwitch', body: 'ping' });
  assert.deepEqual(seen, ['romeo ping', 'juliet ping', 'romeo pong', 'juliet pong']);
});

test('a throwing listener is logged and does not stop delivery to the others', () => {
  const lines: { msg: string; user: string; err: { message: string } }[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const net = new DemoNetwork(parseWorld(testWorld()), { log });
  net.connect(ROMEO, 'romeo', () => { throw new Error('boom'); });
  const juliet = listen(net, JULIET, 'juliet');
  assert.doesNotThrow(() => net.post('coven', { from: 'firstwitch', body: 'hi' }));
  assert.equal(juliet.events.length, 1);
  assert.deepEqual(lines.map((l) => [l.msg, l.user, l.err.message]), [['demo listener failed', ROMEO, 'boom']]);
});

test('message ids are unique, and a given id that exists is refused', () => {
  const net = network();
  const ids = new Set(Array.from({ length: 200 }, () => net.post('coven', { from: 'a', body: 'b' }).id));
  assert.equal(ids.size, 200);
  assert.deepEqual(net.post('coven', { from: 'a', body: 'b', id: 'given-1' }), { id: 'given-1' });
  assert.throws(() => net.post('coven', { from: 'a', body: 'b', id: 'given-1' }), isStatus(409));
  assert.throws(() => net.post('coven', { from: 'a', body: 'b', id: 'c-1' }), isStatus(409));
});

test('a room keeps its last messages and sent messages (a tenth more at most); the oldest are gone', () => {
  const net = network();
  const over = ROOM_MESSAGES_KEPT + ROOM_MESSAGES_KEPT / 10 + 1;
  const first = net.post('coven', { from: 'a', body: 'first', id: 'first' }).id;
  for (let i = 1; i < over; i++) {
    net.post('coven', { from: 'a', body: `posted-${i}` });
    net.sendFromUser('coven', ROMEO, 'romeo', `sent-${i}`);
  }
  const view = net.room('coven');
  assert.ok(view.messages.length <= ROOM_MESSAGES_KEPT + ROOM_MESSAGES_KEPT / 10 && view.messages.length >= ROOM_MESSAGES_KEPT);
  assert.ok(view.sent.length <= ROOM_MESSAGES_KEPT + ROOM_MESSAGES_KEPT / 10 && view.sent.length >= ROOM_MESSAGES_KEPT);
  // the newest are kept, in order
  assert.equal(view.messages.at(-1)!.body, `sent-${over - 1}`);
  assert.equal(view.sent.at(-1)!.body, `sent-${over - 1}`);
  assert.equal(view.sent.at(-2)!.body, `sent-${over - 2}`);
  // a trimmed message is gone for good: it cannot be corrected, and its id is free again
  assert.ok(!view.messages.some((m) => m.id === first));
  assert.throws(() => net.post('coven', { from: 'a', body: 're', replyTo: first }), isStatus(404));
  assert.deepEqual(net.post('coven', { from: 'a', body: 'again', id: first }), { id: first });
});

test('the room view lists the connected members and is a copy', () => {
  const net = network();
  listen(net, ROMEO, 'romeo');
  listen(net, BENVOLIO, 'benvolio');
  const view = net.room('balcony');
  assert.deepEqual(view.online, [{ jid: ROMEO, nick: 'romeo' }]);
  view.participants.length = 0;
  view.messages.push({ id: 'x', from: 'y', body: 'z', timestamp: 't' });
  assert.equal(net.room('balcony').participants.length, 2);
  assert.equal(net.room('balcony').messages.length, 0);
});
