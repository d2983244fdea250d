import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoPlugin, DemoMUC, parseDemoOptions, SAMPLE_WORLD_PATH } from '../../../../src/legacy/demo/index.ts';
import { MucType, XmppError, type LegacyParticipant } from '../../../../src/legacy/index.ts';
import { harness, silent } from './fixtures.ts';

const isCondition = (condition: string) => (err: unknown) => err instanceof XmppError && err.condition === condition;

test('login connects with the nickname and turns network events into room events, in order', async () => {
  const { network, session, events } = harness();
  assert.equal(await session.login(), 'Connected to the demo network as romeo');
  const { id } = network.post('coven', { from: 'firstwitch', body: 'Hail!' });
  network.join('coven', { nick: 'hecate', role: 'moderator', affiliation: 'admin' });
  network.remove('coven', 'hecate', { kick: true, reason: 'out' });
  network.remove('coven', 'secondwitch', { ban: true });
  network.remove('coven', 'firstwitch');
  network.setSubject('coven', { subject: 'Fog', by: 'hecate' });
  network.setSubject('coven', { subject: 'Filthy air' });
  network.join('coven', { nick: 'banquo' });
  network.rename('coven', 'banquo', 'ghost');
  await session.flushed();
  assert.deepEqual(events, [
    { room: 'coven', event: { type: 'legacy.message', participant: { nick: 'firstwitch', role: 'participant', affiliation: 'member' }, body: 'Hail!', legacyId: id, when: '2024-06-01T12:00:01.000Z' } },
    { room: 'coven', event: { type: 'legacy.presence', participant: { nick: 'hecate', role: 'moderator', affiliation: 'admin' } } },
    { room: 'coven', event: { type: 'legacy.participantLeft', nick: 'hecate', kind: 'kick', reason: 'out' } },
    { room: 'coven', event: { type: 'legacy.participantLeft', nick: 'secondwitch', kind: 'ban' } },
    { room: 'coven', event: { type: 'legacy.participantLeft', nick: 'firstwitch', kind: 'leave' } },
    { room: 'coven', event: { type: 'legacy.subject', subject: 'Fog', setter: 'hecate', when: '2024-06-01T12:00:02.000Z' } },
    { room: 'coven', event: { type: 'legacy.subject', subject: 'Filthy air', setter: null, when: '2024-06-01T12:00:03.000Z' } },
    { room: 'coven', event: { type: 'legacy.presence', participant: { nick: 'banquo', role: 'participant', affiliation: 'member' } } },
    { room: 'coven', event: { type: 'legacy.rename', from: 'banquo', to: 'ghost' } },
  ]);
});

test('a message posted under the user\'s own nickname comes from the user participant', async () => {
  const { network, session, events, host } = harness();
  await session.login();
  network.post('coven', { from: 'romeo', body: 'from my phone' });
  await session.flushed();
  const muc = host.openRoom(session, 'coven');
  const user = await muc.getUserParticipant();
  assert.deepEqual(events.map((e) => e.event.type === 'legacy.message' && e.event.participant), [user.toInit()]);
});

test('the session hears only rooms it is a member of, and nothing after logout', async () => {
  const { network, session, events } = harness('benvolio@montague.lit', 'benvolio');
  await session.login();
  network.post('balcony', { from: 'juliet', body: 'private' });
  await session.logout();
  network.post('coven', { from: 'firstwitch', body: 'too late' });
  await session.flushed();
  assert.deepEqual(events, []);
});

test('onText sends into the network under the user\'s nick and returns the legacy id; the user gets no copy', async () => {
  const { network, session, events, host } = harness();
  await session.login();
  const heard: string[] = [];
  network.connect('juliet@capulet.lit', 'juliet', (e) => e.type === 'message' && heard.push(`${e.from}: ${e.body}`));
  const id = await session.onText(host.openRoom(session, 'balcony'), 'But soft!', {});
  await session.flushed();
  assert.deepEqual(heard, ['romeo: But soft!']);
  assert.equal(network.room('balcony').sent[0]!.id, id);
  assert.deepEqual(events, []);
});

test('onText into a room that does not exist is item-not-found', async () => {
  const { session, host } = harness();
  await assert.rejects(session.onText(host.openRoom(session, 'nowhere'), 'hello?', {}), isCondition('item-not-found'));
});

test('bookmarks fill opens every room the user is a member of', async () => {
  const romeo = harness();
  await romeo.session.bookmarks.fill();
  assert.deepEqual(romeo.session.bookmarks.knownLegacyIds(), ['coven', 'balcony', 'dev team']);
  const benvolio = harness('benvolio@montague.lit', 'benvolio');
  await benvolio.session.bookmarks.fill();
  assert.deepEqual(benvolio.session.bookmarks.knownLegacyIds(), ['coven', 'dev team']);
});

test('a room JID unescapes to its room id, and unknown or foreign rooms are item-not-found', async () => {
  const { session } = harness('benvolio@montague.lit', 'benvolio');
  assert.equal(await session.bookmarks.jidUsernameToLegacyId('dev\\20team'), 'dev team');
  await assert.rejects(session.bookmarks.jidUsernameToLegacyId('nowhere'), (err: unknown) => err instanceof XmppError && err.condition === 'item-not-found' && err.text === 'No such group');
  await assert.rejects(session.bookmarks.jidUsernameToLegacyId('balcony'), isCondition('item-not-found'));
  assert.equal((await session.bookmarks.byJid('dev\\20team@gw.montague.lit/nick')).legacyId, 'dev team');
});

test('updateInfo copies the room from the network', async () => {
  const { session, host } = harness();
  const coven = host.openRoom(session, 'coven');
  await coven.updateInfo();
  assert.deepEqual(coven.toInfo(), {
    name: 'Coven', description: 'Thunder, lightning, or in rain?', subject: 'When shall we three meet again',
    subjectSetter: 'firstwitch', subjectDate: '2024-05-01T08:00:00.000Z', type: MucType.CHANNEL,
    nParticipants: 3, userNick: null, avatar: null,
  });
  const balcony = host.openRoom(session, 'balcony');
  await balcony.updateInfo();
  assert.equal(balcony.type, MucType.GROUP);
  assert.equal(balcony.nParticipants, 2, 'the world lists romeo already');
  const dev = host.openRoom(session, 'dev team');
  await dev.updateInfo();
  assert.equal(dev.type, MucType.CHANNEL_NON_ANONYMOUS);
  await assert.rejects(host.openRoom(session, 'nowhere').updateInfo(), isCondition('item-not-found'));
});

test('fillParticipants yields the world\'s participants, then the user with its listed role', async () => {
  const { session, host } = harness();
  const collect = async (id: string) => {
    const out: LegacyParticipant[] = [];
    for await (const p of host.openRoom(session, id).fillParticipants()) out.push(p);
    return out.map((p) => [p.nickname, p.role, p.affiliation, p.isUser]);
  };
  assert.deepEqual(await collect('coven'), [
    ['firstwitch', 'moderator', 'owner', false], ['secondwitch', 'participant', 'member', false], ['romeo', 'participant', 'member', true],
  ]);
  assert.deepEqual(await collect('balcony'), [['juliet', 'participant', 'member', false], ['romeo', 'moderator', 'owner', true]]);
});

/** The legacy ids (and archive flags) backfill sends for these bounds. */
async function backfilled(after: { id: string; timestamp: string } | null, before: { id: string; timestamp: string } | null) {
  const { session, host, events } = harness();
  const bound = (b: typeof after) => b && { id: b.id, timestamp: new Date(b.timestamp) };
  await host.openRoom(session, 'coven').backfill(bound(after), bound(before));
  return events.map(({ event }) => {
    assert.equal(event.type, 'legacy.message');
    assert.equal(event.archiveOnly, true);
    return event.legacyId;
  });
}

test('backfill with no bounds sends every past message, oldest first, with its time', async () => {
  const { session, host, events } = harness();
  await host.openRoom(session, 'coven').backfill(null, null);
  assert.deepEqual(events.map(({ event }) => event.type === 'legacy.message' && [event.legacyId, event.participant.nick, event.when, event.archiveOnly]), [
    ['c-1', 'firstwitch', '2024-05-01T10:00:00.000Z', true],
    ['c-2', 'secondwitch', '2024-05-01T10:01:00.000Z', true],
    ['c-3', 'firstwitch', '2024-05-01T10:02:00.000Z', true],
    ['c-4', 'romeo', '2024-05-01T10:03:00.000Z', true],
    ['c-5', 'secondwitch', '2024-05-01T10:04:00.000Z', true],
  ]);
});

test('backfill sends only what is strictly between the bounds', async () => {
  assert.deepEqual(await backfilled({ id: 'c-2', timestamp: '2024-05-01T10:01:00Z' }, null), ['c-3', 'c-4', 'c-5']);
  assert.deepEqual(await backfilled(null, { id: 'c-4', timestamp: '2024-05-01T10:03:00Z' }), ['c-1', 'c-2', 'c-3']);
  assert.deepEqual(await backfilled({ id: 'c-1', timestamp: '2024-05-01T10:00:00Z' }, { id: 'c-5', timestamp: '2024-05-01T10:04:00Z' }), ['c-2', 'c-3', 'c-4']);
  assert.deepEqual(await backfilled({ id: 'c-3', timestamp: '2024-05-01T10:02:00Z' }, { id: 'c-4', timestamp: '2024-05-01T10:03:00Z' }), []);
});

test('backfill never re-sends a bound, even when the gateway stamped it with another time', async () => {
  // the gateway's clock put c-2 a little later and c-4 a little earlier than the network did
  assert.deepEqual(await backfilled({ id: 'c-2', timestamp: '2024-05-01T10:00:59Z' }, { id: 'c-4', timestamp: '2024-05-01T10:03:01Z' }), ['c-3']);
});

test('backfill sends messages the users sent through the gateway, the user\'s own as the user', async () => {
  const { network, session, host, events } = harness();
  network.sendFromUser('coven', 'romeo@montague.lit', 'romeo', 'from XMPP');
  await host.openRoom(session, 'coven').backfill({ id: 'c-5', timestamp: new Date('2024-05-01T10:04:00Z') }, null);
  assert.deepEqual(events.map(({ event }) => event.type === 'legacy.message' && [event.body, event.participant.nick]), [['from XMPP', 'romeo']]);
});

test('backfill sends at most BACKFILL_MAX messages, the newest', async () => {
  const { session, host, events } = harness();
  const saved = DemoMUC.BACKFILL_MAX;
  DemoMUC.BACKFILL_MAX = 2;
  try {
    await host.openRoom(session, 'coven').backfill(null, null);
  } finally {
    DemoMUC.BACKFILL_MAX = saved;
  }
  assert.deepEqual(events.map(({ event }) => event.type === 'legacy.message' && event.legacyId), ['c-4', 'c-5']);
});

test('a subject the user sets goes through the network and comes back to the user', async () => {
  const { session, host, events } = harness();
  await session.login();
  await host.openRoom(session, 'coven').onSetSubject('Something wicked');
  await session.flushed();
  assert.deepEqual(events.map((e) => e.event), [{ type: 'legacy.subject', subject: 'Something wicked', setter: 'romeo', when: '2024-06-01T12:00:01.000Z' }]);
});

test('options get their defaults, and a bad option is named', () => {
  assert.deepEqual(parseDemoOptions({}), { world: SAMPLE_WORLD_PATH, shiftTimestamps: true, httpPort: 8470, httpHost: '127.0.0.1', journalKept: 200_000, inviteOnLogin: false });
  assert.throws(() => parseDemoOptions({ journalKept: 0 }), /journalKept: Too small/);
  assert.throws(() => parseDemoOptions({ httpPort: 'eighty' }), /demo plugin options: httpPort: Invalid input: expected number/);
  assert.throws(() => parseDemoOptions({ chatter: { messagesPerSecond: 0, rooms: 2 } }), /chatter\.messagesPerSecond: Too small/);
  assert.throws(() => parseDemoOptions({ chatter: { messagesPerSecond: 1, rooms: [] } }), /chatter\.rooms/);
});

test('start loads the sample world and serves it over HTTP; stop closes it', async () => {
  const shared = await demoPlugin.start({ options: { httpPort: 0 }, log: silent });
  try {
    assert.deepEqual(shared.network.roomIds(), ['lobby', 'family', 'dev team', 'big']);
    const newest = Math.max(...shared.network.roomIds().flatMap((id) => shared.network.messages(id).map((m) => Date.parse(m.timestamp))));
    assert.ok(Date.now() - newest < 10 * 60_000, 'the sample world was shifted to look recent');
    const res = await fetch(`http://127.0.0.1:${shared.http!.port}/demo/rooms/family`);
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).members, ['romeo@localhost', 'juliet@localhost']);
  } finally {
    await demoPlugin.stop!(shared);
  }
  await assert.rejects(fetch(`http://127.0.0.1:${shared.http!.port}/demo/rooms`));
});

test('start refuses a world file that does not validate, naming it', async () => {
  await assert.rejects(demoPlugin.start({ options: { world: '/nonexistent/world.json', httpPort: 0 }, log: silent }), /cannot read demo world \/nonexistent\/world\.json/);
  await assert.rejects(demoPlugin.start({ options: { httpPort: 0, chatter: { messagesPerSecond: 1, rooms: ['nowhere'] } }, log: silent }), /chatter\.rooms: no room "nowhere"/);
});

test('a burst of network events leaves the process turns of the event loop while it becomes room events', async () => {
  const { network, session, events } = harness();
  await session.login();
  const BURST = 5_000;
  for (let i = 0; i < BURST; i++) network.post('coven', { from: 'firstwitch', body: `m${i}` });
  // what else the process has to do (sockets, Redis answers, lease timers) gets a turn early in the burst
  const handledAtFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(events.length)));
  await session.flushed();
  assert.equal(events.length, BURST);
  assert.ok(handledAtFirstTurn < BURST, `the event loop's first turn came after all ${BURST} events`);
  assert.deepEqual(events.slice(0, 2).map((e) => e.event.type === 'legacy.message' && e.event.body), ['m0', 'm1']);
});

test('a room avatar on the network reaches the room: read by updateInfo, changed and removed by events, set by the user (spec §3.6)', async () => {
  const { default: sharp } = await import('sharp');
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c33' } }).png().toBuffer();
  const { network, session, events, host } = harness();
  await session.login();
  const first = network.setAvatar('coven', png.toString('base64'))!;
  await session.flushed();
  assert.deepEqual(events.map((e) => e.event.type === 'legacy.avatar' && e.event.avatar?.legacyId), [first]);
  const coven = host.openRoom(session, 'coven');
  await coven.updateInfo();
  await coven.updateInfo();
  assert.equal(events.length, 2, 'the same id again: not decoded nor sent again');
  assert.equal(coven.avatar, first);

  const id = await coven.onAvatar(png, 'image/png');
  assert.equal(network.info('coven').avatar!.id, id, 'the user\'s image is on the network, under the id returned');
  network.setAvatar('coven', null);
  await session.flushed();
  assert.deepEqual(events.at(-1)!.event, { type: 'legacy.avatar', avatar: null });
});
