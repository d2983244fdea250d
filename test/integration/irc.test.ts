// The IRC plugin end to end: roomgate in-process with the irc plugin, a private InspIRCd
// (chanhistory, server-time, msgid, custom prefixes ~ & %), raw IRC bots, Prosody and a real
// XMPP client. Every mapping of the contract that the core wires today is checked both ways.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startStack, type TestStack } from '../support/stack.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectIrc, type RawIrcClient } from '../support/irc-client.ts';
import { statusCodes as codes } from '../support/stanza-reading.ts';
import { connectClient, xml, type Element, type TestClient } from '../support/xmpp-client.ts';
import { joinAndRead } from '../support/muc.ts';
import { NS_MUC_ADMIN as MUC_ADMIN } from '../../src/transport/xmpp/muc-admin.ts';
import {
  NS_DELAY as DELAY, NS_MUC_USER as MUC_USER, NS_OCCUPANT_ID as OID, NS_REGISTER as REGISTER, NS_SID as SID, NS_STANZAS as STANZAS,
  NS_XDATA as XDATA,
} from '../../src/transport/xmpp/ns.ts';

const GW = 'gw.localhost';
const LOBBY = `#lobby@${GW}`;
const SIDE = `#side@${GW}`;

const OPER = { name: 'admin', password: 's3cret' };
const IRCD = {
  // the creator of a channel is its founder (~); history of 50 lines for a day is replayed on join
  defaultModes: 'nqtH 50:1d',
  modules: ['customprefix'],
  extraConfig: `<customprefix name="founder" letter="q" prefix="~" rank="50000" ranktoset="50000">
<customprefix name="admin" letter="a" prefix="&amp;" rank="40000" ranktoset="50000">
<customprefix name="halfop" letter="h" prefix="%" rank="20000" ranktoset="30000">
<class name="Everything" commands="*" privs="*" usermodes="*" chanmodes="*" snomasks="*">
<type name="Admin" classes="Everything">
<oper name="${OPER.name}" password="${OPER.password}" host="*@*" type="Admin">`,
};

const item = (el: Element) => el.getChild('x', MUC_USER)?.getChild('item');
const role = (el: Element) => { const i = item(el); return i ? `${i.attrs.affiliation}/${i.attrs.role}` : undefined; };
const isPresence = (room: string, nick: string, type?: string) => (el: Element) =>
  el.name === 'presence' && el.attrs.from === `${room}/${nick}` && el.attrs.type === type;
const isBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
/** The server-time tag of a raw line, as a Date. */
const serverTime = (line: string) => new Date(/(?:^@|;)time=([^; ]+)/.exec(line)![1]!);

describe('IRC plugin end to end', () => {
  let stack: TestStack;
  let gw: TestGateway;
  let romeo: TestClient;
  let alice: RawIrcClient;
  let bob: RawIrcClient;
  const bots: RawIrcClient[] = [];

  const bot = async (nick: string, caps?: string[]) => {
    const c = await connectIrc({ port: stack.irc!.port, nick, ...(caps ? { caps } : {}) });
    bots.push(c);
    return c;
  };
  const gatewayOptions = () => ({
    name: 'irc',
    options: {
      server: { host: '127.0.0.1', port: stack.irc!.port, tls: false },
      throttle: { burst: 50, linesPerSecond: 50 },
      reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
    },
  });

  /** Joins a room and returns what the room sent, up to the room's own presence (or an error). */
  const join = (client: TestClient, room: string, id: string, history?: Record<string, string>) =>
    joinAndRead(client, room, 'romeo', { id, ...(history ? { history } : {}), timeoutMs: 15000 });

  before(async () => {
    stack = await startStack({ irc: IRCD, accounts: [{ user: 'romeo', password: 'r0meo' }] });
    // the channel exists before the gateway: founder alice, op bob, halfop carol, voiced dave
    alice = await bot('alice', ['server-time', 'message-tags', 'echo-message']);
    alice.send('JOIN #Lobby');
    await alice.next((l) => / 366 /.test(l));
    bob = await bot('bob');
    const carol = await bot('carol');
    const dave = await bot('dave');
    for (const b of [bob, carol, dave]) {
      b.send('JOIN #lobby');
      await b.next((l) => / 366 /.test(l));
    }
    alice.send('MODE #Lobby +ohv bob carol dave');
    alice.send('TOPIC #Lobby :Welcome to the lobby');
    alice.send('PRIVMSG #Lobby :said before the gateway came');
    alice.send('PRIVMSG #Lobby :\x01ACTION waves\x01');
    await alice.next((l) => l.includes('PRIVMSG #Lobby :\x01ACTION waves'));
    gw = await startTestGateway(stack, { plugin: gatewayOptions() });
    romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo', resource: 'gajim' });
  });

  after(async () => {
    await romeo?.stop();
    await gw?.stop();
    await Promise.all(bots.map((b) => b.close().catch(() => undefined)));
    await stack?.stop();
  });

  test('the registration form asks for the nickname and the server password (the server is fixed)', async () => {
    const form = await romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: REGISTER })));
    const fields = form.getChild('query', REGISTER)!.getChild('x', XDATA)!.getChildren('field');
    assert.deepEqual(fields.map((f) => [f.attrs.var, f.attrs.type]), [['FORM_TYPE', 'hidden'], ['nickname', 'text-single'], ['password', 'text-private']]);
    const done = await romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER },
      xml('x', { xmlns: XDATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, REGISTER)),
        xml('field', { var: 'nickname' }, xml('value', {}, 'romeo'))))));
    assert.equal(done.attrs.type, 'result');
  });

  test('joining #lobby JOINs the channel: occupants from NAMES with roles, self 110, replayed history, subject from TOPIC', async () => {
    const joined = alice.next((l) => / JOIN :?#Lobby/.test(l) && l.includes(':romeo!'), 15000);
    const got = await join(romeo, LOBBY, 'j1');
    await joined;
    const presences = got.filter((el) => el.name === 'presence');
    assert.deepEqual(presences.map((el) => [el.attrs.from, role(el), codes(el)]), [
      [`${LOBBY}/alice`, 'owner/moderator', []],
      [`${LOBBY}/bob`, 'admin/moderator', []],
      [`${LOBBY}/carol`, 'member/moderator', []],
      [`${LOBBY}/dave`, 'member/participant', []],
      [`${LOBBY}/romeo`, 'member/participant', [110]],
      [LOBBY, undefined, []], // the room's own: an IRC channel has no avatar
    ]);
    assert.equal(presences.at(-2)!.attrs.id, 'j1');
    const messages = got.filter((el) => el.name === 'message');
    const history = messages.slice(0, -1);
    assert.deepEqual(history.map((el) => [el.attrs.from, el.getChildText('body')]), [
      [`${LOBBY}/alice`, 'said before the gateway came'],
      [`${LOBBY}/alice`, '/me waves'],
    ]);
    for (const h of history) {
      assert.ok(h.getChild('delay', DELAY), 'history is delayed');
      assert.match(h.getChild('stanza-id', SID)!.attrs.id, /~/, 'the stanza-id is the IRCv3 msgid');
    }
    const subject = messages.at(-1)!;
    assert.equal(subject.getChildText('subject'), 'Welcome to the lobby');
    assert.equal(subject.attrs.from, `${LOBBY}/alice`);
  });

  test("a bot's PRIVMSG reaches the client, with the server's time and msgid", async () => {
    alice.send('PRIVMSG #Lobby :hello romeo');
    const echo = await alice.next((l) => l.includes('PRIVMSG #Lobby :hello romeo'));
    const msg = await romeo.next(isBody('hello romeo'));
    assert.equal(msg.attrs.from, `${LOBBY}/alice`);
    assert.equal(msg.attrs.type, 'groupchat');
    assert.equal(msg.getChild('stanza-id', SID)!.attrs.id, /msgid=([^; ]+)/.exec(echo)![1]);
    assert.equal(msg.getChild('delay', DELAY)!.attrs.stamp, serverTime(echo).toISOString());
  });

  test("the client's groupchat message reaches the channel, and comes back as the echo", async () => {
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'c1' }, xml('body', {}, 'hello from xmpp')));
    const line = await bob.next((l) => l.includes('PRIVMSG #Lobby :hello from xmpp'));
    assert.match(line, /^:romeo!/);
    const echo = await romeo.next((el) => el.name === 'message' && el.attrs.id === 'c1');
    assert.equal(echo.attrs.from, `${LOBBY}/romeo`);
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'c2' }, xml('body', {}, '/me dances')));
    assert.ok(await bob.next((l) => l.includes('PRIVMSG #Lobby :\x01ACTION dances\x01')));
  });

  test('a long message arrives whole, split into lines the server relays without cutting', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `mot${i}-été`);
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'c3' }, xml('body', {}, words.join(' '))));
    const received: string[] = [];
    while (received.join(' ').split(' ').length < words.length) {
      const line = await bob.next((l) => /^:romeo!\S+ PRIVMSG #Lobby :mot/.test(l));
      assert.ok(Buffer.byteLength(`${line}\r\n`) <= 512, 'within the line length as relayed');
      received.push(line.slice(line.indexOf(' :') + 2));
    }
    assert.ok(received.length > 1);
    assert.equal(received.join(' '), words.join(' '));
  });

  test('private messages: a PRIVMSG to the user is a chat message from the room, a chat message to room/nick is a PRIVMSG', async () => {
    bob.send('PRIVMSG romeo :psst, romeo');
    const pm = await romeo.next(isBody('psst, romeo'));
    // from the channel the user shares with bob (the only one so far)
    assert.deepEqual([pm.attrs.from, pm.attrs.type], [`${LOBBY}/bob`, 'chat']);
    assert.ok(pm.getChild('x', MUC_USER), 'marked as a MUC private message (XEP-0045 §7.5)');
    bob.send('PRIVMSG romeo :\x01ACTION whispers\x01');
    assert.equal((await romeo.next(isBody('/me whispers'))).attrs.from, `${LOBBY}/bob`);

    await romeo.send(xml('message', { to: `${LOBBY}/bob`, type: 'chat', id: 'p1' }, xml('body', {}, 'psst, bob')));
    assert.match(await bob.next((l) => l.endsWith(' PRIVMSG bob :psst, bob')), /^:romeo!/);
    await romeo.send(xml('message', { to: `${LOBBY}/bob`, type: 'chat', id: 'p2' }, xml('body', {}, '/me nods')));
    assert.match(await bob.next((l) => l.endsWith(' PRIVMSG bob :\x01ACTION nods\x01')), /^:romeo!/);
    // nothing of it went to the channel
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(romeo.unconsumed().filter((el) => el.attrs.type === 'groupchat' && /psst|nods|whispers/.test(el.getChildText('body') ?? '')), []);
  });

  test('JOIN, NICK, MODE, TOPIC, PART of bots are presences, renames and subjects', async () => {
    const eve = await bot('eve');
    eve.send('JOIN #Lobby');
    const joined = await romeo.next(isPresence(LOBBY, 'eve'));
    assert.equal(role(joined), 'member/participant');

    eve.send('NICK evelyn');
    const gone = await romeo.next(isPresence(LOBBY, 'eve', 'unavailable'));
    assert.deepEqual(codes(gone), [303]);
    assert.equal(item(gone)!.attrs.nick, 'evelyn');
    await romeo.next(isPresence(LOBBY, 'evelyn'));

    alice.send('MODE #Lobby +o evelyn');
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'evelyn'))), 'admin/moderator');
    alice.send('MODE #Lobby -o+h evelyn evelyn');
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'evelyn'))), 'member/moderator');

    bob.send('TOPIC #Lobby :A new topic');
    const subject = await romeo.next((el) => el.name === 'message' && el.getChildText('subject') === 'A new topic');
    assert.equal(subject.attrs.from, `${LOBBY}/bob`);

    eve.send('PART #Lobby :see you');
    const left = await romeo.next(isPresence(LOBBY, 'evelyn', 'unavailable'));
    assert.deepEqual(codes(left), []);
    assert.match(item(left)!.getChildText('reason') ?? '', /see you/);
  });

  test('KICK is 307; a ban mask that matches, then the kick, is 301 outcast', async () => {
    const frank = await bot('frank');
    frank.send('JOIN #Lobby');
    await romeo.next(isPresence(LOBBY, 'frank'));
    alice.send('KICK #Lobby frank :behave');
    const kicked = await romeo.next(isPresence(LOBBY, 'frank', 'unavailable'));
    assert.deepEqual(codes(kicked), [307]);
    assert.equal(item(kicked)!.getChildText('reason'), 'behave');

    frank.send('JOIN #Lobby');
    await romeo.next(isPresence(LOBBY, 'frank'));
    alice.send('MODE #Lobby +b frank!*@*');
    alice.send('KICK #Lobby frank :banned');
    const banned = await romeo.next(isPresence(LOBBY, 'frank', 'unavailable'));
    assert.deepEqual(codes(banned), [301]);
    assert.equal(item(banned)!.attrs.affiliation, 'outcast');
    alice.send('MODE #Lobby -b frank!*@*');
  });

  test('a QUIT is a leave with its reason', async () => {
    const gus = await bot('gus');
    gus.send('JOIN #Lobby');
    await romeo.next(isPresence(LOBBY, 'gus'));
    await gus.close();
    const left = await romeo.next(isPresence(LOBBY, 'gus', 'unavailable'));
    assert.match(item(left)!.getChildText('reason') ?? '', /bye/);
  });

  test('bytes that are not UTF-8 are shown (Latin-1), not dropped', async () => {
    const socket = connect({ host: '127.0.0.1', port: stack.irc!.port });
    let seen = '';
    socket.on('data', (d) => { seen += d.toString('latin1'); });
    socket.write('NICK hugo\r\nUSER hugo 0 * :hugo\r\n');
    await waitFor(() => / 001 /.test(seen), 10000);
    socket.write('JOIN #Lobby\r\n');
    await waitFor(() => / 366 /.test(seen), 10000);
    socket.write(Buffer.from('PRIVMSG #Lobby :caf\xe9 cr\xe8me\r\nQUIT\r\n', 'latin1'));
    const msg = await romeo.next(isBody('café crème'));
    assert.equal(msg.attrs.from, `${LOBBY}/hugo`);
    socket.destroy();
    await romeo.next(isPresence(LOBBY, 'hugo', 'unavailable'));
  });

  test('subject, kick and affiliations from XMPP become TOPIC, KICK and MODE', async () => {
    alice.send('MODE #Lobby +o romeo');
    await bob.next((l) => l.includes('MODE #Lobby +o') && l.includes('romeo'));
    // the user's own modes are their self-presence (110; an IRC channel shows no real JID)
    const op = await romeo.next(isPresence(LOBBY, 'romeo'));
    assert.deepEqual([role(op), codes(op), item(op)!.attrs.jid], ['admin/moderator', [110], undefined]);

    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 's1' }, xml('subject', {}, 'Set from XMPP')));
    assert.match(await alice.next((l) => l.includes('TOPIC #Lobby :Set from XMPP')), /^\S* ?:romeo!/);
    const subject = await romeo.next((el) => el.name === 'message' && el.getChildText('subject') === 'Set from XMPP');
    assert.equal(subject.attrs.from, `${LOBBY}/romeo`);

    const ivan = await bot('ivan');
    ivan.send('JOIN #Lobby');
    await romeo.next(isPresence(LOBBY, 'ivan'));
    const admin = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'ivan', affiliation: 'admin' }))));
    assert.equal(admin.attrs.type, 'result');
    assert.ok(await alice.next((l) => /MODE #Lobby \+o :?ivan/.test(l)));
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'ivan'))), 'admin/moderator');

    const kick = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'ivan', role: 'none' }, xml('reason', {}, 'from xmpp')))));
    assert.equal(kick.attrs.type, 'result');
    assert.ok(await alice.next((l) => l.includes('KICK #Lobby ivan :from xmpp')));
    assert.deepEqual(codes(await romeo.next(isPresence(LOBBY, 'ivan', 'unavailable'))), [307]);

    ivan.send('JOIN #Lobby');
    await romeo.next(isPresence(LOBBY, 'ivan'));
    const ban = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'ivan', affiliation: 'outcast' }, xml('reason', {}, 'enough')))));
    assert.equal(ban.attrs.type, 'result');
    assert.ok(await alice.next((l) => /MODE #Lobby \+b :?\*!\*@127\.0\.0\.1/.test(l)));
    const banned = await romeo.next(isPresence(LOBBY, 'ivan', 'unavailable'));
    assert.deepEqual(codes(banned), [301]);
    alice.send('MODE #Lobby -b *!*@127.0.0.1');
    await alice.next((l) => l.includes('MODE #Lobby -b'));
  });

  test('a refusal of the server is the XMPP error', async () => {
    alice.send('MODE #Lobby -o romeo');
    await bob.next((l) => l.includes('MODE #Lobby -o') && l.includes('romeo'));
    const deopped = await romeo.next(isPresence(LOBBY, 'romeo'));
    assert.deepEqual([role(deopped), codes(deopped)], ['member/participant', [110]]);
    const kick = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick: 'bob', role: 'none' }))));
    assert.equal(kick.attrs.type, 'error');
    assert.ok(kick.getChild('error')!.getChild('forbidden', STANZAS));
  });

  test('roles from XMPP become MODE +h and -h (XEP-0045 §8.3, §9.6, §9.7), and come back as presences', async () => {
    alice.send('MODE #Lobby +o romeo');
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'romeo'))), 'admin/moderator');
    const setRole = (nick: string, to: string) => romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MUC_ADMIN },
      xml('item', { nick, role: to }))));

    assert.equal((await setRole('dave', 'moderator')).attrs.type, 'result');
    assert.ok(await alice.next((l) => /MODE #Lobby \+h :?dave/.test(l)));
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'dave'))), 'member/moderator');
    assert.equal((await setRole('dave', 'participant')).attrs.type, 'result');
    assert.ok(await alice.next((l) => /MODE #Lobby -h :?dave/.test(l)));
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'dave'))), 'member/participant');

    const refused = await setRole('bob', 'participant'); // an op: only an affiliation change takes that away
    assert.equal(refused.attrs.type, 'error');
    assert.ok(refused.getChild('error')!.getChild('not-allowed', STANZAS));
  });

  test('a nick change from XMPP is a NICK: the 303/110 pair comes back and later stanzas use the new nick; a nick in use is a conflict', async () => {
    await romeo.send(xml('presence', { to: `${LOBBY}/montague`, id: 'n1' }));
    assert.match(await bob.next((l) => / NICK :?montague$/.test(l)), /^:romeo!/);
    const gone = await romeo.next(isPresence(LOBBY, 'romeo', 'unavailable'));
    assert.deepEqual([codes(gone), item(gone)!.attrs.nick, role(gone)], [[303, 110], 'montague', 'admin/moderator']);
    const back = await romeo.next(isPresence(LOBBY, 'montague'));
    assert.deepEqual([codes(back), item(back)!.attrs.nick, role(back)], [[110], undefined, 'admin/moderator']);

    // a line under this nick: the server replays it later (after the reconnect, after the gateway
    // restart) and it must stay the user's own line, archived once (the last test checks)
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'm9' }, xml('body', {}, 'said as montague')));
    assert.match(await bob.next((l) => l.endsWith('PRIVMSG #Lobby :said as montague')), /^:montague!/);
    await romeo.next((el) => el.name === 'message' && el.attrs.id === 'm9');
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 's9' }, xml('subject', {}, 'Renamed')));
    assert.match(await bob.next((l) => l.includes('TOPIC #Lobby :Renamed')), /^\S* ?:montague!/);
    const subject = await romeo.next((el) => el.name === 'message' && el.getChildText('subject') === 'Renamed');
    assert.deepEqual([subject.attrs.from, subject.getChild('occupant-id', OID)!.attrs.id], [`${LOBBY}/montague`, 'user']);
    const oldNick = romeo.unconsumed().filter((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/romeo`);
    assert.deepEqual(oldNick, [], 'no occupant under the old nick');

    await romeo.send(xml('presence', { to: `${LOBBY}/bob`, id: 'n2' }));
    const conflict = await romeo.next((el) => el.name === 'presence' && el.attrs.id === 'n2');
    assert.deepEqual([conflict.attrs.from, conflict.attrs.type], [`${LOBBY}/bob`, 'error']);
    assert.ok(conflict.getChild('error')!.getChild('conflict', STANZAS));

    await romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id: 'n3' }));
    assert.deepEqual(codes(await romeo.next(isPresence(LOBBY, 'montague', 'unavailable'))), [303, 110]);
    assert.deepEqual(codes(await romeo.next(isPresence(LOBBY, 'romeo'))), [110]);
    alice.send('MODE #Lobby -o romeo');
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'romeo'))), 'member/participant');
  });

  test('when the connection drops, everyone leaves, and comes back after the reconnect and rejoin', async () => {
    alice.send(`OPER ${OPER.name} ${OPER.password}`);
    await alice.next((l) => / 381 /.test(l));
    alice.send('KILL romeo :testing reconnects');
    for (const nick of ['alice', 'bob', 'carol', 'dave']) {
      const left = await romeo.next(isPresence(LOBBY, nick, 'unavailable'), 15000);
      assert.equal(item(left)!.getChildText('reason'), 'connection lost');
    }
    const rejoined = await alice.next((l) => / JOIN :?#Lobby/.test(l) && l.includes(':romeo!'), 20000);
    assert.ok(rejoined);
    const back: [string, string | undefined][] = [];
    for (const nick of ['alice', 'bob', 'carol', 'dave']) back.push([nick, role(await romeo.next(isPresence(LOBBY, nick), 15000))]);
    assert.deepEqual(back, [['alice', 'owner/moderator'], ['bob', 'admin/moderator'], ['carol', 'member/moderator'], ['dave', 'member/participant']]);
    alice.send('PRIVMSG #Lobby :are you back?');
    await romeo.next(isBody('are you back?'));
  });

  test('leaving a room for good PARTs the channel', async () => {
    const joined = alice.next((l) => / JOIN :?#side/i.test(l) && l.includes(':romeo!'), 15000);
    alice.send('JOIN #side');
    await alice.next((l) => / 366 .*#side/.test(l));
    const got = await join(romeo, SIDE, 'j2');
    assert.equal(got.find((el) => el.attrs.id === 'j2')!.attrs.type, undefined);
    await joined;
    const done = await romeo.iq(xml('iq', { type: 'set', to: SIDE }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(done.attrs.type, 'result');
    assert.ok(await alice.next((l) => / PART #side/i.test(l) && l.includes(':romeo!')));
  });

  test('what the channel said while the gateway was down is archived once, in order, with the server times', async () => {
    await gw.stop();
    await romeo.next(isPresence(LOBBY, 'romeo', 'unavailable'), 10000); // 332: the gateway shut down
    await bob.next((l) => / QUIT /.test(l) && l.includes(':romeo!'));
    const said: { body: string; time: Date }[] = [];
    for (const body of ['while you were away 1', 'while you were away 2', 'while you were away 3']) {
      alice.send(`PRIVMSG #Lobby :${body}`);
      said.push({ body, time: serverTime(await alice.next((l) => l.endsWith(`PRIVMSG #Lobby :${body}`))) });
    }
    gw = await startTestGateway(stack, { plugin: gatewayOptions(), prefix: gw.prefix });
    // the client comes back: the room rejoins the channel and the server replays its history
    const rejoin = await join(romeo, LOBBY, 'j3', { maxstanzas: '0' });
    assert.deepEqual(codes(rejoin.find((el) => el.attrs.id === 'j3')!), [110]);
    await alice.next((l) => / JOIN :?#Lobby/.test(l) && l.includes(':romeo!'), 15000);
    // none of it arrives as a live message
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(romeo.unconsumed().filter((el) => el.getChildText('body')?.startsWith('while you were away')).length, 0);

    const movim = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo', resource: 'movim' });
    try {
      const got = await join(movim, LOBBY, 'j4', { maxstanzas: '100' });
      const history = got.filter((el) => el.name === 'message' && el.getChildText('body') !== null);
      const bodies = history.map((el) => el.getChildText('body')!);
      assert.equal(new Set(bodies).size, bodies.length, `archived once: ${bodies.map((b) => b.slice(0, 30)).join(' | ')}`);
      // the user's line under an earlier nick, replayed by the server, is the user's own, once
      // (archived when sent, under the nick of then)
      assert.deepEqual(history.filter((el) => el.getChildText('body') === 'said as montague')
        .map((el) => [el.attrs.from, el.getChild('occupant-id', OID)?.attrs.id]), [[`${LOBBY}/montague`, 'user']]);
      const away = history.filter((el) => el.getChildText('body')!.startsWith('while you were away'));
      assert.deepEqual(away.map((el) => el.getChildText('body')), said.map((s) => s.body), 'in order');
      away.forEach((el, i) => {
        const stamp = Date.parse(el.getChild('delay', DELAY)!.attrs.stamp);
        assert.equal(Math.floor(stamp / 1000), Math.floor(said[i]!.time.getTime() / 1000), 'the server time');
      });
      assert.ok(bodies.indexOf('said before the gateway came') < bodies.indexOf('while you were away 1'));
    } finally {
      await movim.stop();
    }
  });

  test("MAM on a channel: the archive's last page, ids the server's msgids, the archive stable (spec §3.2)", async () => {
    const MAM = 'urn:xmpp:mam:2';
    const res = await romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('query', { xmlns: MAM, queryid: 'irc1' },
      xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '4'), xml('before')))));
    assert.equal(res.attrs.type, 'result', res.toString());
    const mine = (el: Element) => el.getChild('result', MAM)?.attrs.queryid === 'irc1';
    const results: Element[] = [];
    while (romeo.unconsumed().some(mine)) results.push(await romeo.next(mine));
    const forwarded = results.map((r) => r.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!);
    // the server replays history with times in whole seconds: 'are you back?', said live just
    // before the gateway went down, may sort after them when it fell in the same second
    const bodies = forwarded.map((f) => f.getChild('message')!.getChildText('body'));
    assert.deepEqual([...bodies].sort(), ['are you back?', 'while you were away 1', 'while you were away 2', 'while you were away 3']);
    assert.deepEqual(bodies.filter((b) => b!.startsWith('while')), ['while you were away 1', 'while you were away 2', 'while you were away 3']);
    for (const r of results) assert.match(r.getChild('result', MAM)!.attrs.id, /~/, 'the IRCv3 msgid');
    const fin = res.getChild('fin', MAM)!;
    assert.equal(fin.attrs.stable, undefined, 'the IRC plugin sets STABLE_ARCHIVE');
    assert.equal(fin.attrs.complete, undefined, 'older messages are left');
  });

  // Last: the restarted server has forgotten the channel, its modes and its history.
  test('an IRC server restart: everyone leaves, the session reconnects with backoff and rejoins, and messages flow both ways again', async () => {
    const restarted = stack.irc!.restart();
    for (const nick of ['alice', 'bob', 'carol', 'dave']) {
      const left = await romeo.next(isPresence(LOBBY, nick, 'unavailable'), 15000);
      assert.deepEqual([codes(left), item(left)!.getChildText('reason')], [[], 'connection lost']);
    }
    await restarted;
    // the session rejoins, so it recreates the channel: the user is its founder now
    const self = await romeo.next(isPresence(LOBBY, 'romeo'), 20000);
    assert.deepEqual([role(self), codes(self)], ['owner/moderator', [110]]);
    assert.deepEqual(romeo.unconsumed().filter((el) => el.name === 'presence' && el.attrs.type === 'error'), []);

    const alice2 = await bot('alice');
    alice2.send('JOIN #Lobby');
    assert.ok(await alice2.next((l) => / 353 .*[~&@%+]?romeo\b/.test(l)), 'the session is in the channel');
    assert.equal(role(await romeo.next(isPresence(LOBBY, 'alice'), 15000)), 'member/participant');
    alice2.send('PRIVMSG #Lobby :the server is back');
    assert.equal((await romeo.next(isBody('the server is back'))).attrs.from, `${LOBBY}/alice`);
    await romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'r1' }, xml('body', {}, 'so am I')));
    assert.match(await alice2.next((l) => l.endsWith('PRIVMSG #Lobby :so am I')), /^:romeo!/);
    await romeo.next((el) => el.name === 'message' && el.attrs.id === 'r1');
    // private messages too
    alice2.send('PRIVMSG romeo :welcome back');
    const pm = await romeo.next(isBody('welcome back'));
    assert.deepEqual([pm.attrs.from, pm.attrs.type], [`${LOBBY}/alice`, 'chat']);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
