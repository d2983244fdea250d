// The IRC session against a scripted server (fake-server.ts): IRC events become room events,
// user actions become IRC commands, and the connection survives being dropped.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XmppError } from '../../../../src/legacy/index.ts';
import type { IrcSession } from '../../../../src/legacy/irc/index.ts';
import { startFakeServer, type FakeClient, type FakeServer } from './fake-server.ts';
import { eventually, ircHarness, type Recorded } from './fixtures.ts';

const T0 = Date.parse('2024-06-01T12:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const isCondition = (condition: string) => (err: unknown) => err instanceof XmppError && err.condition === condition;

/** What a channel looks like when the session joins it. */
interface ChannelScript { topic?: [string, string, number]; names?: string; history?: string[]; joinTime?: number }

function scriptJoin(server: FakeServer, channels: Record<string, ChannelScript>): void {
  server.handlers.JOIN = (c, args) => {
    const name = Object.keys(channels).find((n) => n.toLowerCase() === args[0]!.toLowerCase());
    if (!name) {
      c.send(`:fake 403 ${c.nick} ${args[0]} :No such channel`);
      return;
    }
    const s = channels[name]!;
    c.send(`@time=${at(s.joinTime ?? 100)} :${c.nick}!~romeo@gateway.test JOIN ${name}`);
    if (s.topic) {
      c.send(`:fake 332 ${c.nick} ${name} :${s.topic[0]}`);
      c.send(`:fake 333 ${c.nick} ${name} ${s.topic[1]} ${s.topic[2]}`);
    }
    c.send(`:fake 353 ${c.nick} = ${name} :${s.names ?? c.nick}`);
    c.send(`:fake 366 ${c.nick} ${name} :End of /NAMES list.`);
    if (s.history?.length) {
      c.send(`:fake BATCH +h1 chathistory ${name}`);
      for (const line of s.history) c.send(`@batch=h1;${line}`);
      c.send(':fake BATCH -h1');
    }
  };
}

const types = (rec: Recorded[]) => rec.map((r) => r.event.type);

describe('IRC session', () => {
  let server: FakeServer;
  let session: IrcSession;
  let irc: FakeClient;
  let h: Awaited<ReturnType<typeof ircHarness>>;

  before(async () => { server = await startFakeServer(); });
  after(async () => { await server.close(); });

  beforeEach(async () => {
    await h?.session.logout();
    server.takenNicks.clear();
    scriptJoin(server, {
      '#Chan': {
        topic: ['Welcome to #Chan', 'alice!a@alice.host', T0 / 1000 - 3600],
        names: '~alice @bob %carol +dave eve romeo',
        history: [
          `time=${at(10)};msgid=m1 :alice!a@alice.host PRIVMSG #Chan :before you came`,
          `time=${at(11)};msgid=m2 :bob!b@bob.host PRIVMSG #Chan :\x01ACTION waves\x01`,
          `time=${at(12)};msgid=m3 :romeo!~romeo@gateway.test PRIVMSG #Chan :my own old line`,
        ],
      },
      '#other': { names: 'romeo bob' },
    });
    h = await ircHarness(server.port);
    session = h.session;
    const welcome = server.nextClient();
    assert.equal(await session.login(), `Connected to 127.0.0.1:${server.port} as romeo`);
    irc = await welcome;
  });

  after(async () => { await h?.session.logout(); });

  test('registers with the nick from the registration, or the next free one', async () => {
    await session.logout();
    server.takenNicks.add('romeo');
    const h2 = await ircHarness(server.port);
    assert.match(await h2.session.login(), /as romeo_$/);
    assert.equal(h2.session.bookmarks.userNick, 'romeo_');
    await h2.session.logout();
  });

  test('joining a room JOINs the channel; info and participants come from TOPIC/333 and NAMES with prefixes', async () => {
    const id = await session.bookmarks.jidUsernameToLegacyId('#chan');
    assert.equal(id, '#chan');
    await irc.next(/^JOIN #chan$/);
    const muc = h.room(id);
    await muc.updateInfo();
    assert.deepEqual(muc.toInfo(), {
      name: '#Chan', description: '', subject: 'Welcome to #Chan', subjectSetter: 'alice',
      subjectDate: new Date(T0 - 3600_000).toISOString(), type: 1, nParticipants: 6, userNick: 'romeo', avatar: null,
    });
    const participants = [];
    for await (const p of muc.fillParticipants()) participants.push(p.toInit());
    assert.deepEqual(participants, [
      { nick: 'alice', role: 'moderator', affiliation: 'owner' },
      { nick: 'bob', role: 'moderator', affiliation: 'admin' },
      { nick: 'carol', role: 'moderator', affiliation: 'member' },
      { nick: 'dave', role: 'participant', affiliation: 'member' },
      { nick: 'eve', role: 'participant', affiliation: 'member' },
      { nick: 'romeo', role: 'participant', affiliation: 'member', isUser: true },
    ]);
  });

  test('history replayed on join is archive-only with its msgid and time; our own replayed lines are not added twice', async () => {
    await session.ensureJoined('#chan');
    const replayed = await h.take();
    assert.deepEqual(replayed, [
      { room: '#chan', event: { type: 'legacy.message', participant: { nick: 'alice', role: 'moderator', affiliation: 'owner' }, body: 'before you came', legacyId: 'm1', when: at(10), archiveOnly: true } },
      { room: '#chan', event: { type: 'legacy.message', participant: { nick: 'bob', role: 'moderator', affiliation: 'admin' }, body: '/me waves', legacyId: 'm2', when: at(11), archiveOnly: true } },
    ]);
    // backfill() sends them again (the runtime archives them before the first history, idempotently)
    await h.room('#chan').backfill(null, { id: 'later', timestamp: new Date(T0 + 11_000) });
    const backfilled = await h.take();
    assert.deepEqual(backfilled.map((r) => (r.event as { legacyId: string }).legacyId), ['m1', 'm2']);
    await h.room('#chan').backfill({ id: 'm1', timestamp: new Date(T0 + 10_000) }, null);
    assert.deepEqual((await h.take()).map((r) => (r.event as { legacyId: string }).legacyId), ['m2']);
  });

  test('a line stamped before our JOIN is history even outside a batch', async () => {
    scriptJoin(server, { '#old': { joinTime: 100 } });
    server.handlers.JOIN = ((orig) => (c, args, line) => {
      orig(c, args, line);
      c.send(`@time=${at(50)};msgid=x1 :eve!e@h PRIVMSG #old :from the past`);
    })(server.handlers.JOIN!);
    await session.ensureJoined('#old');
    const got = await h.take();
    assert.equal(got.length, 1);
    assert.equal((got[0]!.event as { archiveOnly?: boolean }).archiveOnly, true);
  });

  test('live channel events become room events, in order', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    irc.send(`@time=${at(200)};msgid=L1 :alice!a@alice.host PRIVMSG #Chan :hello \x02world\x02`);
    irc.send(`@time=${at(201)} :dave!d@dave.host PRIVMSG #Chan :\x01ACTION dances\x01`);
    irc.send(':eve!e@eve.host NOTICE #Chan :a notice');
    irc.send(':frank!f@frank.host JOIN #Chan');
    irc.send(':frank!f@frank.host PART #Chan :bye now');
    irc.send(':bob!b@bob.host KICK #Chan dave :behave');
    irc.send(':alice!a@alice.host MODE #Chan +o-h+v eve carol carol');
    irc.send(':bob!b@bob.host NICK robert');
    irc.send(`@time=${at(210)} :alice!a@alice.host TOPIC #Chan :New topic`);
    irc.send(':eve!e@eve.host QUIT :Quit: gone');
    irc.send(':carol!c@carol.host AWAY :lunch');
    irc.send(':carol!c@carol.host AWAY');
    const got = await eventually(async () => {
      const all = [...h.events];
      assert.ok(all.length >= 13, `${all.length} events`);
      return all;
    });
    assert.deepEqual(got.map((r) => r.event), [
      { type: 'legacy.message', participant: { nick: 'alice', role: 'moderator', affiliation: 'owner' }, body: 'hello world', legacyId: 'L1', when: at(200) },
      { type: 'legacy.message', participant: { nick: 'dave', role: 'participant', affiliation: 'member' }, body: '/me dances', legacyId: (got[1]!.event as { legacyId: string }).legacyId, when: at(201) },
      { type: 'legacy.message', participant: { nick: 'eve', role: 'participant', affiliation: 'member' }, body: 'a notice', legacyId: (got[2]!.event as { legacyId: string }).legacyId },
      { type: 'legacy.presence', participant: { nick: 'frank', role: 'participant', affiliation: 'member' } },
      { type: 'legacy.participantLeft', nick: 'frank', kind: 'leave', reason: 'bye now' },
      { type: 'legacy.participantLeft', nick: 'dave', kind: 'kick', reason: 'behave' },
      { type: 'legacy.presence', participant: { nick: 'eve', role: 'moderator', affiliation: 'admin' } },
      { type: 'legacy.presence', participant: { nick: 'carol', role: 'participant', affiliation: 'member' } },
      { type: 'legacy.rename', from: 'bob', to: 'robert' },
      { type: 'legacy.subject', subject: 'New topic', setter: 'alice', when: at(210) },
      { type: 'legacy.participantLeft', nick: 'eve', kind: 'leave', reason: 'Quit: gone' },
      { type: 'legacy.presence', participant: { nick: 'carol', role: 'participant', affiliation: 'member' }, show: 'away', status: 'lunch' },
      { type: 'legacy.presence', participant: { nick: 'carol', role: 'participant', affiliation: 'member' } },
    ].slice(0, got.length));
    assert.equal(got.length, 13);
  });

  test('CTCP requests and answers are not messages (VERSION is answered); a line to the channel ops reaches the room', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    irc.send(':bob!b@bob.host PRIVMSG #Chan :\x01VERSION\x01');
    irc.send(':bob!b@bob.host NOTICE #Chan :\x01PING 123\x01');
    irc.send(':bob!b@bob.host PRIVMSG romeo :\x01TIME\x01');
    irc.send(':alice!a@alice.host PRIVMSG @#Chan :ops only');
    irc.send(':alice!a@alice.host NOTICE +#Chan :voiced and up');
    assert.match(await irc.next(/^NOTICE bob :/), /^NOTICE bob :\x01VERSION roomgate\x01$/);
    const got = await h.takeWhen(2);
    assert.deepEqual(got.map((r) => [r.room, (r.event as { body: string }).body]), [['#chan', 'ops only'], ['#chan', 'voiced and up']]);
  });

  test('a ban that matches a member, then their kick or part, is a ban; other bans change nothing', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    irc.send(':carl!c@x JOIN #Chan');
    irc.send(':alice!a@alice.host MODE #Chan +b *!*@x');
    irc.send(':alice!a@alice.host KICK #Chan carl :go away');
    irc.send(':alice!a@alice.host MODE #Chan +b *!*@nowhere');
    irc.send(':dave!d@dave.host JOIN #Chan');
    irc.send(':alice!a@alice.host KICK #Chan dave :just a kick');
    const got = (await h.takeWhen(4)).map((r) => r.event);
    assert.deepEqual(got.filter((e) => e.type === 'legacy.participantLeft'), [
      { type: 'legacy.participantLeft', nick: 'carl', kind: 'ban', reason: 'go away' },
      { type: 'legacy.participantLeft', nick: 'dave', kind: 'kick', reason: 'just a kick' },
    ]);
  });

  test('quits reach every room the member is in', async () => {
    await session.ensureJoined('#chan');
    await session.ensureJoined('#other');
    await h.take();
    irc.send(':bob!b@bob.host QUIT :Ping timeout');
    const got = await h.takeWhen(2);
    assert.deepEqual(got.map((r) => r.room).sort(), ['#chan', '#other']);
  });

  test('bytes that are not UTF-8 are shown as Latin-1', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    irc.send(Buffer.concat([Buffer.from(':eve!e@h PRIVMSG #Chan :caf'), Buffer.from([0xe9]), Buffer.from(' cr\xe8me\r\n', 'latin1')]));
    const [msg] = await h.takeWhen(1);
    assert.equal((msg!.event as { body: string }).body, 'café crème');
  });

  test('our own PART or KICK from elsewhere deletes the room', async () => {
    await session.ensureJoined('#chan');
    await session.ensureJoined('#other');
    await h.take();
    irc.send(':romeo!~romeo@gateway.test PART #Chan :bye');
    irc.send(':bob!b@bob.host KICK #other romeo :out');
    const got = await h.takeWhen(2);
    assert.deepEqual(got, [
      { room: '#chan', event: { type: 'removed', reason: 'You left #Chan (bye)' } },
      { room: '#other', event: { type: 'removed', reason: 'Kicked from #other by bob: out' } },
    ]);
    assert.deepEqual([...session.channels.keys()], []);
  });

  test('a JOIN the server refuses is the matching XMPP error, and leaves no channel behind', async () => {
    server.handlers.JOIN = (c, args) => c.send(`:fake 474 ${c.nick} ${args[0]} :Cannot join channel (+b)`);
    await assert.rejects(session.bookmarks.jidUsernameToLegacyId('#banned'), isCondition('forbidden'));
    assert.equal(session.channels.has('#banned'), false);
    await assert.rejects(session.bookmarks.jidUsernameToLegacyId('nochannel'), isCondition('item-not-found'));
  });

  test('the user\'s messages: PRIVMSG split to the limit, /me as ACTION, an id back', async () => {
    await session.ensureJoined('#chan');
    const long = Array.from({ length: 150 }, (_, i) => `w${i}`).join(' ');
    const id = await session.onText(h.room('#chan'), `/me waves\n${long}`, {});
    assert.match(id, /^rg-/);
    assert.equal(await irc.next(/^PRIVMSG #Chan :\x01ACTION/), 'PRIVMSG #Chan :\x01ACTION waves\x01');
    const first = await irc.next(/^PRIVMSG #Chan :w0 /);
    const second = await irc.next(/^PRIVMSG #Chan :w\d+ /);
    assert.ok(Buffer.byteLength(`:romeo!~romeo@gateway.test ${first}\r\n`) <= 512);
    assert.equal(`${first.slice(15)} ${second.slice(15)}`, long);
    await assert.rejects(session.onText(h.room('#nowhere'), 'hi', {}), isCondition('not-acceptable'));
  });

  test('subject, kick, affiliations and roles from XMPP become TOPIC, KICK and MODE; refusals are errors', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    server.handlers.TOPIC = (c, args, line) => c.send(`:${c.nick}!~romeo@gateway.test TOPIC ${args[0]} :${line.split(' :')[1]}`);
    await h.room('#chan').onSetSubject('Fresh topic');
    assert.equal(await irc.next(/^TOPIC/), 'TOPIC #Chan :Fresh topic');
    const [topic, ...rest] = await h.take();
    assert.deepEqual(rest, []);
    assert.deepEqual({ ...topic!.event, when: 'now' }, { type: 'legacy.subject', subject: 'Fresh topic', setter: 'romeo', when: 'now' });

    server.handlers.KICK = (c, args) => c.send(`:fake 482 ${c.nick} ${args[0]} :You're not a channel operator`);
    await assert.rejects(h.room('#chan').onKick({ legacyId: 'eve', name: 'eve' }, 'spam'), isCondition('forbidden'));
    assert.equal(await irc.next(/^KICK/), 'KICK #Chan eve :spam');
    delete server.handlers.KICK;

    await h.room('#chan').onSetAffiliation({ legacyId: 'dave', name: 'dave' }, 'admin', null, 'dave');
    assert.equal(await irc.next(/^MODE #Chan \+o/), 'MODE #Chan +o dave');
    await h.room('#chan').onSetAffiliation({ legacyId: 'alice', name: 'alice' }, 'member', null, 'alice');
    assert.equal(await irc.next(/^MODE #Chan -q/), 'MODE #Chan -q alice');
    await h.room('#chan').onSetRole('eve', 'moderator', null);
    assert.equal(await irc.next(/^MODE #Chan \+h/), 'MODE #Chan +h eve');
    await h.room('#chan').onSetRole('carol', 'participant', null);
    assert.equal(await irc.next(/^MODE #Chan \+v-h/), 'MODE #Chan +v-h carol carol');

    irc.send(':eve!e@eve.host JOIN #Chan'); // learn eve's host
    await eventually(() => assert.equal(session.channels.get('#chan')!.members.get('eve')!.host, 'eve.host'));
    await h.room('#chan').onSetAffiliation({ legacyId: 'eve', name: 'eve' }, 'outcast', 'spam', 'eve');
    assert.equal(await irc.next(/^MODE #Chan \+b/), 'MODE #Chan +b *!*@eve.host');
    assert.equal(await irc.next(/^KICK/), 'KICK #Chan eve :spam');
    await assert.rejects(h.room('#chan').onKick({ legacyId: 'nobody' }, null), isCondition('item-not-found'));
  });

  test('a nick change from XMPP is a NICK; the server\'s answer renames the user in every room', async () => {
    await session.ensureJoined('#chan');
    await session.ensureJoined('#other');
    await h.take();
    server.handlers.NICK = (c, args) => {
      if (args[0] === 'bob') c.send(`:fake 433 ${c.nick} bob :Nickname is already in use`);
      else c.send(`:${c.nick}!~romeo@gateway.test NICK ${args[0]}`);
    };
    await assert.rejects(session.onNickChange(h.room('#chan'), 'bob'), isCondition('conflict'));
    await session.onNickChange(h.room('#chan'), 'montague');
    assert.equal(session.nick, 'montague');
    assert.equal(session.bookmarks.userNick, 'montague');
    assert.deepEqual(await h.take(), [
      { room: '#chan', event: { type: 'legacy.rename', from: 'romeo', to: 'montague' } },
      { room: '#other', event: { type: 'legacy.rename', from: 'romeo', to: 'montague' } },
    ]);
    await assert.rejects(session.onNickChange(h.room('#chan'), 'two words'), isCondition('not-acceptable'));
  });

  test('leaving for good PARTs without deleting the room twice', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    server.handlers.PART = (c, args) => c.send(`:${c.nick}!~romeo@gateway.test PART ${args[0]} :Left from XMPP`);
    await session.onLeaveGroup('#chan');
    assert.equal(await irc.next(/^PART/), 'PART #Chan :Left from XMPP');
    assert.deepEqual(await h.take(), []);
    assert.equal(session.channels.has('#chan'), false);
  });

  test('private messages: to a nick from a room, and back through the room last used (or a shared one)', async () => {
    await session.ensureJoined('#chan');
    await session.ensureJoined('#other');
    await h.take();
    await session.onPrivateText(h.room('#chan'), 'bob', 'psst', {});
    assert.equal(await irc.next(/^PRIVMSG bob/), 'PRIVMSG bob :psst');
    irc.send(':bob!b@bob.host PRIVMSG romeo :what?');
    irc.send(':dave!d@dave.host PRIVMSG romeo :hi there');
    irc.send(':stranger!s@h PRIVMSG romeo :nobody knows me');
    const got = await h.takeWhen(2);
    assert.deepEqual(got.map((r) => [r.room, r.event.type, (r.event as { participant: { nick: string } }).participant.nick, (r.event as { body: string }).body]), [
      ['#chan', 'legacy.privateMessage', 'bob', 'what?'],
      ['#chan', 'legacy.privateMessage', 'dave', 'hi there'],
    ]);
  });

  test('a dropped connection: everyone leaves with "connection lost", then comes back with the NAMES of the rejoin', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    scriptJoin(server, { '#Chan': { topic: ['Changed while away', 'bob', T0 / 1000], names: '@alice bob romeo' } });
    const reconnected = server.nextClient();
    irc.drop();
    const lost = await h.takeWhen(5);
    assert.deepEqual(lost.map((r) => r.event), ['alice', 'bob', 'carol', 'dave', 'eve'].map((nick) => ({
      type: 'legacy.participantLeft', nick, kind: 'leave', reason: 'connection lost',
    })));
    await assert.rejects(session.onText(h.room('#chan'), 'anyone?', {}), isCondition('service-unavailable'));
    const irc2 = await reconnected;
    await irc2.next(/^JOIN #Chan$/);
    const back = await h.takeWhen(3);
    assert.deepEqual(back.map((r) => r.event), [
      { type: 'legacy.presence', participant: { nick: 'alice', role: 'moderator', affiliation: 'admin' } },
      { type: 'legacy.presence', participant: { nick: 'bob', role: 'participant', affiliation: 'member' } },
      { type: 'legacy.subject', subject: 'Changed while away', setter: 'bob', when: new Date(T0).toISOString() },
    ]);
    await eventually(() => assert.equal(session.channels.get('#chan')!.joined, true));
    assert.match(await session.onText(h.room('#chan'), 'back', {}), /^rg-/);
    irc = irc2;
  });

  test('after a reconnect, a change of the user\'s own status in the rejoined channel is announced', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    // the server restarted: the user recreated the channel and is its operator
    scriptJoin(server, { '#Chan': { names: '@romeo' } });
    const reconnected = server.nextClient();
    irc.drop();
    const irc2 = await reconnected;
    await irc2.next(/^JOIN #Chan$/);
    const self = await eventually(async () => {
      const e = h.events.find((r) => r.event.type === 'legacy.presence');
      assert.ok(e);
      return e.event;
    });
    assert.deepEqual(self, { type: 'legacy.presence', participant: { nick: 'romeo', role: 'moderator', affiliation: 'admin', isUser: true } });
    assert.deepEqual(types(await h.take()), [...Array(5).fill('legacy.participantLeft'), 'legacy.presence', 'legacy.subject']);
    irc = irc2;
  });

  test('lines the server replays under a nick the user had then are theirs, also after a restart: the nicks are kept in the session cursor', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    let nick = 'romeo';
    const renamed: number[] = [];
    server.handlers.NICK = (c, args) => {
      renamed.push(Date.now());
      c.send(`@time=${new Date(renamed.at(-1)!).toISOString()} :${nick}!~romeo@gateway.test NICK ${args[0]}`);
      nick = args[0]!;
    };
    await session.onNickChange(h.room('#chan'), 'montague');
    await new Promise((r) => setTimeout(r, 20));
    await session.onNickChange(h.room('#chan'), 'romeo');
    const [t1, t2] = renamed as [number, number];
    await session.logout();
    assert.deepEqual(JSON.parse(h.cursor.value!).nicks.map((n: unknown[]) => n[0]), ['romeo', 'montague', 'romeo']);

    const iso = (ms: number) => new Date(ms).toISOString();
    scriptJoin(server, {
      '#Chan': {
        names: 'alice romeo',
        history: [
          `time=${iso(t1 - 600_000)};msgid=a1 :montague!m@elsewhere PRIVMSG #Chan :someone else, before`,
          // chanhistory replays times to the second: this one may be stamped before the NICK
          `time=${iso(Math.floor(t1 / 1000) * 1000)};msgid=a2 :montague!~romeo@gateway.test PRIVMSG #Chan :mine, as montague`,
          `time=${iso(t1 + 5)};msgid=a3 :alice!a@alice.host PRIVMSG #Chan :alice meanwhile`,
          `time=${iso(t2 + 60_000)};msgid=a4 :montague!m@elsewhere PRIVMSG #Chan :someone else, after`,
          `time=${iso(t2 + 60_001)};msgid=a5 :romeo!~romeo@gateway.test PRIVMSG #Chan :mine, as romeo`,
        ],
      },
    });
    // a new gateway process: a new session, the same cursor
    h = await ircHarness(server.port, { cursor: h.cursor });
    session = h.session;
    const welcome = server.nextClient();
    await session.login();
    irc = await welcome;
    await session.ensureJoined('#chan');
    const got = await h.take();
    assert.deepEqual(got.map((r) => (r.event as { legacyId: string }).legacyId), ['a1', 'a3', 'a4']);
    assert.deepEqual(JSON.parse(h.cursor.value!).nicks.map((n: unknown[]) => [n[0], n[2] === null]),
      [['romeo', false], ['montague', false], ['romeo', false], ['romeo', true]]);
  });

  test('while the server is down, reconnects keep trying with backoff, then the channels come back', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    server.refusing = true;
    const before = server.connections;
    irc.drop();
    await eventually(() => assert.ok(server.connections >= before + 3, 'several attempts'), 5000);
    server.refusing = false;
    const irc2 = await server.nextClient(5000);
    await irc2.next(/^JOIN #Chan$/);
    await eventually(() => assert.equal(session.channels.get('#chan')!.joined, true));
    irc = irc2;
  });

  test('after login, the rooms roomgate keeps are rejoined', async () => {
    await session.logout();
    const h2 = await ircHarness(server.port, { storedRooms: ['#chan', '#other'] });
    const c = server.nextClient();
    await h2.session.login();
    const irc2 = await c;
    await irc2.next(/^JOIN #chan$/);
    await irc2.next(/^JOIN #other$/);
    await eventually(() => assert.deepEqual([...h2.session.channels.values()].map((ch) => [ch.id, ch.joined]), [['#chan', true], ['#other', true]]));
    await h2.session.bookmarks.fill();
    assert.deepEqual(h2.session.bookmarks.knownLegacyIds(), ['#chan', '#other']);
    await h2.session.logout();
  });

  test('backfill asks CHATHISTORY for the hole where the server offers it; those lines are archive-only, ours included', async () => {
    await session.ensureJoined('#chan');
    await h.take();
    server.handlers.CHATHISTORY = (c, args) => {
      c.send(`:fake BATCH +c1 chathistory ${args[1]}`);
      c.send(`@batch=c1;time=${at(20)};msgid=old1 :alice!a@alice.host PRIVMSG #Chan :from the server's history`);
      c.send(`@batch=c1;time=${at(21)};msgid=old2 :romeo!~romeo@gateway.test PRIVMSG #Chan :mine, from another client`);
      c.send(':fake BATCH -c1');
    };
    await h.room('#chan').backfill({ id: 'm1', timestamp: new Date(T0 + 10_000) }, { id: 'h-abc', timestamp: new Date(T0 + 30_000) });
    assert.equal(await irc.next(/^CHATHISTORY/), `CHATHISTORY BETWEEN #Chan msgid=m1 timestamp=${at(30)} 100`);
    const got = await h.take();
    assert.deepEqual(got.map((r) => [(r.event as { legacyId: string }).legacyId, (r.event as { archiveOnly: boolean }).archiveOnly]), [
      ['m2', true], ['old1', true], ['old2', true],
    ]);
    assert.deepEqual(types(got), ['legacy.message', 'legacy.message', 'legacy.message']);
  });
});
