// Messages both ways (spec §3.11–§3.22) end to end: corrections, retractions, moderation,
// reactions, replies, attachments, chat states, markers and private messages, each driven
// from the demo network's HTTP API on one side and a real XMPP client on the other.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { DemoMUC } from '../../src/legacy/demo/muc.ts';
import {
  NS_CHATSTATES as STATES, NS_DELAY as DELAY, NS_DISCO_INFO as DISCO, NS_MARKERS as MARKERS, NS_MUC as MUC,
  NS_MUC_USER as MUC_USER, NS_OCCUPANT_ID as OID, NS_SID as SID, NS_STANZAS as STANZAS,
} from '../../src/transport/xmpp/ns.ts';

const LMC = 'urn:xmpp:message-correct:0';
const RETRACT = 'urn:xmpp:message-retract:1';
const RETRACT0 = 'urn:xmpp:message-retract:0';
const FALLBACK = 'urn:xmpp:fallback:0';
const FASTEN = 'urn:xmpp:fasten:0';
const MODERATE = 'urn:xmpp:message-moderate:0';
const REACTIONS = 'urn:xmpp:reactions:0';
const REPLY = 'urn:xmpp:reply:0';
const OOB = 'jabber:x:oob';
const HINTS = 'urn:xmpp:hints';
const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;
const ROMEO = 'romeo@localhost';
const JID = `${ROMEO}/gajim`;
/** The legacy id the demo network gives a message the user sent with client id `id`. */
const sentId = (id: string) => `x-${ROMEO}-${id}`;

const WORLD = {
  rooms: [{
    id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Welcome',
    participants: [
      { nick: 'alice', role: 'moderator', affiliation: 'owner' }, { nick: 'bob' },
      // the user's own entry: a moderator, who may moderate from XMPP
      { nick: 'romeo', role: 'moderator', affiliation: 'admin' },
    ],
  }],
};

/**
 * Whether a stanza is the expected one, whole: same names, attributes (any order; `*` matches
 * any value; the top-level `xmlns` and `xml:lang` are the stream's) and children in order.
 */
function same(actual: Element, expected: Element, top = true): boolean {
  if (actual.name !== expected.name) return false;
  const attrs = (el: Element) => Object.keys(el.attrs).filter((k) => !(top && (k === 'xmlns' || k === 'xml:lang'))).sort();
  if (attrs(actual).join() !== attrs(expected).join()) return false;
  if (attrs(expected).some((k) => expected.attrs[k] !== '*' && expected.attrs[k] !== actual.attrs[k])) return false;
  if (actual.children.length !== expected.children.length) return false;
  return actual.children.every((c, i) => {
    const e = expected.children[i]!;
    return typeof c === 'string' || typeof e === 'string' ? c === e : same(c, e, false);
  });
}

function assertStanza(actual: Element, expected: string): void {
  assert.ok(same(actual, parse(expected) as Element), `got\n${actual.toString()}\nexpected\n${expected}`);
}

describe('room messages', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim' }, gateway: { world: WORLD }, register: true });
  const occupantIds: Record<string, string> = {};
  const fromLobby = (el: Element) => el.name === 'message' && String(el.attrs.from ?? '').startsWith(LOBBY);
  const byId = (id: string) => (el: Element) => el.attrs.id === id;
  const demo = async (method: string, path: string, body?: unknown) => {
    const res = await suite.gw.demo(method, `/demo/rooms/lobby${path}`, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  const network = () => demo('GET', '');
  /** Sends a groupchat message to the lobby and waits for its echo. */
  const say = async (id: string, ...children: Element[]) => {
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id }, ...children));
    return suite.romeo.next(byId(id));
  };

  before(async () => {
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    for (;;) {
      const el = await suite.romeo.next((s) => String(s.attrs.from ?? '').startsWith(LOBBY));
      if (el.name === 'presence') occupantIds[String(el.attrs.from).split('/')[1]!] = el.getChild('occupant-id', OID)!.attrs.id;
      if (el.getChild('subject')) break;
    }
  });

  test("a participant's message, then its correction from the network, which replaces it by its id", async () => {
    await demo('POST', '/messages', { from: 'bob', body: 'helo', id: 'b-1' });
    await demo('POST', '/messages', { from: 'bob', body: 'hello', correct: 'b-1' });
    const [message, correction] = await suite.romeo.collect(2, fromLobby);
    const bob = occupantIds.bob;
    assertStanza(message!, `<message from="${LOBBY}/bob" to="${JID}" id="b-1" type="groupchat"><body>helo</body>`
      + `<active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/><delay xmlns="${DELAY}" stamp="*" from="${GW}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="b-1"/><occupant-id xmlns="${OID}" id="${bob}"/></message>`);
    assertStanza(correction!, `<message from="${LOBBY}/bob" to="${JID}" type="groupchat"><body>hello</body>`
      + `<replace xmlns="${LMC}" id="b-1"/><active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="${bob}"/></message>`);
    assert.equal((await network()).messages.find((m: { id: string }) => m.id === 'b-1').body, 'hello');
  });

  test("the user's correction reaches the network and is echoed; the network's refers to the client's id", async () => {
    await say('c1', xml('body', {}, 'helo all'));
    const echo = await say('c2', xml('body', {}, 'hello all'), xml('replace', { xmlns: LMC, id: 'c1' }));
    assertStanza(echo, `<message from="${LOBBY}/romeo" to="${JID}" id="c2" type="groupchat"><body>hello all</body>`
      + `<replace xmlns="${LMC}" id="c1"/><stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
    assert.equal((await network()).messages.find((m: { id: string }) => m.id === sentId('c1')).body, 'hello all');

    // edited again from the user's other (legacy) client: XEP-0308 wants the id the client sent
    await demo('POST', '/messages', { from: 'romeo', body: 'hello, all', correct: sentId('c1') });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/romeo" to="${JID}" type="groupchat"><body>hello, all</body>`
      + `<replace xmlns="${LMC}" id="c1"/><active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
  });

  test('a retraction from the network has a fallback body, <retract> and <replace>', async () => {
    await demo('POST', '/messages', { from: 'bob', body: 'oops', id: 'b-2' });
    await demo('DELETE', '/messages/b-2?by=bob');
    const [, retraction] = await suite.romeo.collect(2, fromLobby);
    assertStanza(retraction!, `<message from="${LOBBY}/bob" to="${JID}" type="groupchat"><body>/me retracted the message b-2</body>`
      + `<fallback xmlns="${FALLBACK}" for="${RETRACT}"/><retract xmlns="${RETRACT}" id="b-2"/><replace xmlns="${LMC}" id="b-2"/>`
      + `<active xmlns="${STATES}"/><store xmlns="${HINTS}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);
  });

  test("the user's retraction, and an empty correction, delete the message on the network and are echoed", async () => {
    await say('c3', xml('body', {}, 'to be deleted'));
    const echo = await say('r1', xml('retract', { xmlns: RETRACT, id: 'c3' }), xml('fallback', { xmlns: FALLBACK, for: RETRACT }),
      xml('body', {}, '/me retracted a message'));
    assertStanza(echo, `<message from="${LOBBY}/romeo" to="${JID}" id="r1" type="groupchat"><retract xmlns="${RETRACT}" id="c3"/>`
      + `<fallback xmlns="${FALLBACK}" for="${RETRACT}"/><body>/me retracted a message</body>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
    await say('c4', xml('body', {}, 'typo'));
    await say('c5', xml('body'), xml('replace', { xmlns: LMC, id: 'c4' }));
    const ids = (await network()).messages.map((m: { id: string }) => m.id);
    assert.ok(!ids.includes(sentId('c3')) && !ids.includes(sentId('c4')), 'both are gone from the network');
    assert.ok(ids.includes(sentId('c1')));
  });

  test('a moderation comes from the bare room JID, naming the moderator; the user moderates through the network', async () => {
    await demo('POST', '/messages', { from: 'bob', body: 'spam', id: 'b-3' });
    await demo('POST', '/messages/b-3/moderate', { by: 'alice', reason: 'spam' });
    const [, notice] = await suite.romeo.collect(2, fromLobby);
    assertStanza(notice!, `<message from="${LOBBY}" to="${JID}" type="groupchat">`
      + `<apply-to xmlns="${FASTEN}" id="b-3"><moderated xmlns="${MODERATE}" by="${LOBBY}/alice"><retract xmlns="${RETRACT0}"/>`
      + `<reason>spam</reason></moderated></apply-to>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="${occupantIds.alice}"/></message>`);

    await demo('POST', '/messages', { from: 'bob', body: 'more spam', id: 'b-4' });
    await suite.romeo.next(fromLobby);
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('apply-to', { xmlns: FASTEN, id: 'b-4' },
      xml('moderate', { xmlns: MODERATE }, xml('retract', { xmlns: RETRACT0 }), xml('reason', {}, 'enough')))));
    assert.equal(res.attrs.type, 'result');
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}" to="${JID}" type="groupchat">`
      + `<apply-to xmlns="${FASTEN}" id="b-4"><moderated xmlns="${MODERATE}" by="${LOBBY}/romeo"><retract xmlns="${RETRACT0}"/>`
      + `<reason>enough</reason></moderated></apply-to>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
    const ids = (await network()).messages.map((m: { id: string }) => m.id);
    assert.ok(!ids.includes('b-3') && !ids.includes('b-4'));
  });

  test('moderating a message the network does not have is refused with its error', async () => {
    const res = await suite.romeo.iq(xml('iq', { type: 'set', to: LOBBY }, xml('apply-to', { xmlns: FASTEN, id: 'nowhere' },
      xml('moderate', { xmlns: MODERATE }, xml('retract', { xmlns: RETRACT0 })))));
    assert.equal(res.attrs.type, 'error');
    assert.equal(res.getChild('error')!.getChildElements().find((c) => c.attrs.xmlns === STANZAS)!.name, 'item-not-found');
  });

  test('reactions both ways: the network tells a participant reacted; the user reacts through it', async () => {
    await demo('POST', '/messages/b-1/reactions', { from: 'alice', emojis: ['👍'] });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/alice" to="${JID}" type="groupchat">`
      + `<reactions xmlns="${REACTIONS}" id="b-1"><reaction>👍</reaction></reactions><store xmlns="${HINTS}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="${occupantIds.alice}"/></message>`);
    const echo = await say('re1', xml('reactions', { xmlns: REACTIONS, id: 'b-1' }, xml('reaction', {}, '❤\uFE0F')), xml('store', { xmlns: HINTS }));
    assertStanza(echo, `<message from="${LOBBY}/romeo" to="${JID}" id="re1" type="groupchat">`
      + `<reactions xmlns="${REACTIONS}" id="b-1"><reaction>❤\uFE0F</reaction></reactions><store xmlns="${HINTS}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
    // XEP-0444 §3: U+FE0F stripped before the network gets it (spec §3.17)
    assert.deepEqual((await network()).reactions['b-1'], { alice: ['👍'], romeo: ['❤'] });
  });

  test('replies both ways: quote fallback from the network; the user\'s reply reaches it without the quote', async () => {
    await demo('POST', '/messages', { from: 'alice', body: 'cake?', id: 'a-1' });
    await demo('POST', '/messages', { from: 'bob', body: 'yes!', replyTo: 'a-1', id: 'b-5' });
    const [, reply] = await suite.romeo.collect(2, fromLobby);
    assertStanza(reply!, `<message from="${LOBBY}/bob" to="${JID}" id="b-5" type="groupchat"><body>&gt; alice:\n&gt; cake?\nyes!</body>`
      + `<reply xmlns="${REPLY}" to="${LOBBY}/alice" id="a-1"/><fallback xmlns="${FALLBACK}" for="${REPLY}"><body start="0" end="17"/></fallback>`
      + `<active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/><delay xmlns="${DELAY}" stamp="*" from="${GW}"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="b-5"/><occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);

    await say('q1', xml('body', {}, '> alice:\n> cake?\nme too'), xml('reply', { xmlns: REPLY, to: `${LOBBY}/alice`, id: 'a-1' }),
      xml('fallback', { xmlns: FALLBACK, for: REPLY }, xml('body', { start: '0', end: '17' })));
    const sent = (await network()).sent.find((m: { id: string }) => m.id === sentId('q1'));
    assert.deepEqual([sent.body, sent.replyTo], ['me too', 'a-1']);
  });

  test('attachments both ways: a URL body with an OOB link', async () => {
    const url = 'https://files.example/cat.jpg';
    await demo('POST', '/messages', { from: 'bob', url, id: 'b-6' });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/bob" to="${JID}" id="b-6" type="groupchat"><body>${url}</body>`
      + `<x xmlns="${OOB}"><url>${url}</url></x><active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/>`
      + `<delay xmlns="${DELAY}" stamp="*" from="${GW}"/><stanza-id xmlns="${SID}" by="${LOBBY}" id="b-6"/>`
      + `<occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);
    const dog = 'https://files.example/dog.png';
    const echo = await say('f1', xml('body', {}, dog), xml('x', { xmlns: OOB }, xml('url', {}, dog)));
    assert.equal(echo.getChild('stanza-id', SID)!.attrs.id, sentId('f1'));
    const sent = (await network()).sent.find((m: { id: string }) => m.id === sentId('f1'));
    assert.deepEqual([sent.body, sent.url], [dog, dog]);
  });

  test('threads both ways (spec §3.23): a participant\'s message in a thread carries it; the user\'s <thread> reaches the network', async () => {
    await demo('POST', '/messages', { from: 'bob', body: 'about the cake', id: 'b-7', thread: 'cake' });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/bob" to="${JID}" id="b-7" type="groupchat"><body>about the cake</body>`
      + `<thread>cake</thread><active xmlns="${STATES}"/><markable xmlns="${MARKERS}"/>`
      + `<delay xmlns="${DELAY}" stamp="*" from="${GW}"/><stanza-id xmlns="${SID}" by="${LOBBY}" id="b-7"/>`
      + `<occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);
    const echo = await say('t1', xml('body', {}, 'chocolate'), xml('thread', {}, 'cake'));
    assert.equal(echo.getChildText('thread'), 'cake', 'the echo keeps the client\'s thread');
    await say('t2', xml('body', {}, 'no thread'));
    const sent = (await network()).sent.filter((m: { id: string }) => m.id === sentId('t1') || m.id === sentId('t2'));
    assert.deepEqual(sent.map((m: { body: string; thread?: string }) => [m.body, m.thread]), [['chocolate', 'cake'], ['no thread', undefined]]);
  });

  test('link previews both ways (spec §3.23): Open Graph in RDF after the body; the client\'s reach the network', async () => {
    const preview = { about: 'https://cake.example/recipe', title: 'Chocolate cake', siteName: 'Cakes' };
    await demo('POST', '/messages', { from: 'bob', body: 'https://cake.example/recipe', id: 'b-8', linkPreviews: [preview] });
    const got = await suite.romeo.next(fromLobby);
    const description = got.getChild('Description', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#');
    assert.equal(description?.attrs.about, preview.about);
    assert.equal(description?.getChildText('title', 'https://ogp.me/ns#'), 'Chocolate cake');
    assert.equal(description?.getChildText('site_name', 'https://ogp.me/ns#'), 'Cakes');
    // Cheogram's own form, with prefixes
    await say('lp1', xml('body', {}, 'look https://tea.example/'),
      xml('rdf:Description', { 'xmlns:rdf': 'http://www.w3.org/1999/02/22-rdf-syntax-ns#', 'rdf:about': 'https://tea.example/' },
        xml('og:title', { 'xmlns:og': 'https://ogp.me/ns#' }, 'Tea')));
    const sent = (await network()).sent.find((m: { id: string }) => m.id === sentId('lp1'));
    assert.deepEqual(sent.linkPreviews, [{ about: 'https://tea.example/', title: 'Tea' }]);
  });

  test('chat states from the network are not stored, and repeats are dropped except composing', async () => {
    for (const state of ['composing', 'composing', 'paused', 'paused', 'active']) {
      await demo('POST', '/participants/bob/chatstate', { state });
    }
    const got = await suite.romeo.collect(4, fromLobby);
    assert.deepEqual(got.map((el) => el.getChildElements().find((c) => c.attrs.xmlns === STATES)?.name), ['composing', 'composing', 'paused', 'active']);
    assertStanza(got[0]!, `<message from="${LOBBY}/bob" to="${JID}" type="groupchat"><composing xmlns="${STATES}"/>`
      + `<no-store xmlns="${HINTS}"/><occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);
  });

  test("the user's chat state reaches the network and is not echoed", async () => {
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat' }, xml('composing', { xmlns: STATES })));
    // the next stanza from the user's occupant JID is the echo of what follows, not the chat state
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 't1' }, xml('body', {}, 'typed')));
    const next = await suite.romeo.next((el) => el.attrs.from === `${LOBBY}/romeo`);
    assert.equal(next.attrs.id, 't1');
    assert.equal((await network()).chatStates.romeo, 'composing');
  });

  test('displayed markers both ways; the user\'s is echoed to their clients', async () => {
    await demo('POST', '/participants/bob/displayed', { id: 'a-1' });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/bob" to="${JID}" type="groupchat">`
      + `<displayed xmlns="${MARKERS}" id="a-1"/><occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);
    const echo = await say('d1', xml('displayed', { xmlns: MARKERS, id: 'b-5' }));
    assertStanza(echo, `<message from="${LOBBY}/romeo" to="${JID}" id="d1" type="groupchat"><displayed xmlns="${MARKERS}" id="b-5"/>`
      + `<stanza-id xmlns="${SID}" by="${LOBBY}" id="*"/><occupant-id xmlns="${OID}" id="user"/></message>`);
    assert.equal((await network()).displayed.romeo, 'b-5');
  });

  test('private messages both ways, advertised by allowpm', async () => {
    const { id } = await demo('POST', '/private', { from: 'bob', to: ROMEO, body: 'psst' });
    assertStanza(await suite.romeo.next(fromLobby), `<message from="${LOBBY}/bob" to="${JID}" id="${id}" type="chat"><body>psst</body>`
      + `<x xmlns="${MUC_USER}"/><occupant-id xmlns="${OID}" id="${occupantIds.bob}"/></message>`);

    await suite.romeo.send(xml('message', { to: `${LOBBY}/bob`, type: 'chat', id: 'p1' }, xml('body', {}, 'hi bob')));
    await say('t2', xml('body', {}, 'after the private message'));
    const pm = (await network()).privateMessages.at(-1);
    assert.deepEqual([pm.from, pm.to, pm.body, pm.jid], ['romeo', 'bob', 'hi bob', ROMEO]);

    await suite.romeo.send(xml('message', { to: `${LOBBY}/nobody`, type: 'chat', id: 'p2' }, xml('body', {}, 'hello?')));
    const refused = await suite.romeo.next(byId('p2'));
    assertStanza(refused, `<message from="${LOBBY}/nobody" to="${JID}" id="p2" type="error"><error type="cancel">`
      + `<item-not-found xmlns="${STANZAS}"/><text xmlns="${STANZAS}">No such occupant</text></error></message>`);

    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: DISCO })));
    const fields = info.getChild('query', DISCO)!.getChild('x', 'jabber:x:data')!.getChildren('field');
    assert.equal(fields.find((f) => f.attrs.var === 'muc#roomconfig_allowpm')!.getChildText('value'), 'anyone');
    assert.ok(info.getChild('query', DISCO)!.getChildren('feature').some((f) => f.attrs.var === MODERATE));
  });

  test('a resource that has not joined is refused a reaction with 333, and nothing reaches the network', async () => {
    const movim = await suite.connect('romeo', 'movim');
    try {
      await movim.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'm1' },
        xml('reactions', { xmlns: REACTIONS, id: 'a-1' }, xml('reaction', {}, '🎂'))));
      const [error, kicked] = await movim.collect(2, (el) => String(el.attrs.from ?? '').startsWith(LOBBY));
      assert.equal(error!.attrs.type, 'error');
      assert.equal(error!.attrs.id, 'm1');
      assert.deepEqual(kicked!.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code), ['110', '333']);
      assert.equal((await network()).reactions['a-1'], undefined);
    } finally {
      await movim.stop();
    }
  });

  test('history on join replays what was archived: corrections, retractions, moderations and reactions, not chat states or markers', async () => {
    const movim = await suite.connect('romeo', 'movim');
    try {
      await movim.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: MUC })));
      const history: Element[] = [];
      for (;;) {
        const el = await movim.next((s) => s.name === 'message' && String(s.attrs.from ?? '').startsWith(LOBBY));
        if (el.getChild('subject')) break;
        history.push(el);
      }
      const kinds = new Set(history.flatMap((el) => el.getChildElements().map((c) => c.name)));
      for (const kind of ['replace', 'retract', 'apply-to', 'reactions', 'reply', 'x']) assert.ok(kinds.has(kind), `history has <${kind}>`);
      for (const kind of ['composing', 'paused', 'displayed', 'markable', 'active', 'store']) assert.ok(!kinds.has(kind), `history has no <${kind}>`);
      assert.ok(history.every((el) => el.getChild('delay', DELAY)), 'every replayed message is delayed');
    } finally {
      await movim.stop();
    }
  });

  test('with REACTIONS_SINGLE_EMOJI, two emojis are refused: a notice, then not-acceptable', async () => {
    const saved = DemoMUC.REACTIONS_SINGLE_EMOJI;
    DemoMUC.REACTIONS_SINGLE_EMOJI = true;
    try {
      // a room created now: its actor is made with the flag
      const created = await suite.gw.demo('POST', '/demo/rooms', { id: 'solo', name: 'Solo', type: 'channel', participants: [{ nick: 'carol' }] });
      assert.equal(created.status, 201);
      const SOLO = `solo@${GW}`;
      await suite.romeo.send(xml('presence', { to: `${SOLO}/romeo` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
      await suite.romeo.next((el) => el.attrs.from === SOLO && el.getChild('subject') !== undefined);
      const { id } = (await suite.gw.demo('POST', '/demo/rooms/solo/messages', { from: 'carol', body: 'vote' })).json;
      await suite.romeo.next((el) => el.attrs.from === `${SOLO}/carol`);

      await suite.romeo.send(xml('message', { to: SOLO, type: 'groupchat', id: 'two' },
        xml('reactions', { xmlns: REACTIONS, id }, xml('reaction', {}, '👍'), xml('reaction', {}, '👎'))));
      const notice = await suite.romeo.next((el) => el.name === 'message' && el.attrs.from === GW);
      assertStanza(notice, `<message from="${GW}" to="${JID}" type="chat"><body>Maximum 1 emoji/message</body></message>`);
      assertStanza(await suite.romeo.next(byId('two')), `<message from="${SOLO}" to="${JID}" id="two" type="error"><error type="modify">`
        + `<not-acceptable xmlns="${STANZAS}"/><text xmlns="${STANZAS}">Maximum 1 emoji/message</text></error></message>`);
      const one = await suite.romeo.send(xml('message', { to: SOLO, type: 'groupchat', id: 'one' }, xml('reactions', { xmlns: REACTIONS, id }, xml('reaction', {}, '👍'))))
        .then(() => suite.romeo.next(byId('one')));
      assert.equal(one.attrs.type, 'groupchat');
      assert.deepEqual((await suite.gw.demo('GET', '/demo/rooms/solo')).json.reactions, { [id]: { romeo: ['👍'] } });

      const info = await suite.romeo.iq(xml('iq', { type: 'get', to: SOLO }, xml('query', { xmlns: DISCO })));
      const forms = info.getChild('query', DISCO)!.getChildren('x', 'jabber:x:data');
      const restrictions = forms.find((f) => f.getChildren('field').some((v) => v.getChildText('value') === `${REACTIONS}:restrictions`))!;
      assert.equal(restrictions.getChildren('field').find((f) => f.attrs.var === 'max_reactions_per_user')!.getChildText('value'), '1');
    } finally {
      DemoMUC.REACTIONS_SINGLE_EMOJI = saved;
    }
  });
});
