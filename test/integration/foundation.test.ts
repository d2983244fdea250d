// End to end on real Redis and Prosody: a real XMPP client registers with roomgate, joins a
// demo room, talks in it, hears a participant, and leaves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  NS_DELAY as DELAY, NS_DISCO_INFO, NS_MUC as MUC, NS_MUC_USER as MUC_USER, NS_REGISTER as REGISTER, NS_SID as SID, NS_XDATA as XDATA,
} from '../../src/transport/xmpp/ns.ts';
import { statusCodes as codes, errorCondition } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element } from '../support/xmpp-client.ts';
import { makeTempDir } from '../support/daemon.ts';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const WORLD = {
  rooms: [
    {
      id: 'lobby', name: 'Lobby', type: 'channel', subject: 'Welcome, all', subjectSetter: 'alice', subjectDate: hoursAgo(48),
      participants: [{ nick: 'alice', role: 'moderator', affiliation: 'owner' }, { nick: 'bob' }],
      messages: [
        { id: 'old', from: 'bob', body: 'three days ago', timestamp: hoursAgo(72) },
        { id: 'm1', from: 'alice', body: 'first', timestamp: hoursAgo(2) },
        { id: 'm2', from: 'bob', body: 'second', timestamp: hoursAgo(1) },
      ],
    },
    {
      id: 'family', name: 'Family', type: 'group', members: ['romeo@localhost'],
      participants: [{ nick: 'nurse' }],
    },
  ],
};

describe('foundation: register, join, talk, leave', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim' }, accounts: ['juliet'], gateway: { world: WORLD } });
  const GW = 'gw.localhost';
  const LOBBY = `lobby@${GW}`;

  async function redisKeys(pattern: string): Promise<string[]> {
    const redis = new Redis(suite.stack.redis.url);
    try {
      return await redis.keys(pattern);
    } finally {
      redis.disconnect();
    }
  }

  test('an unregistered user joining a room gets registration-required', async () => {
    const juliet = await suite.connect('juliet');
    try {
      await juliet.send(xml('presence', { to: `${LOBBY}/juliet`, id: 'j0' }, xml('x', { xmlns: MUC })));
      const reply = await juliet.next((el) => el.name === 'presence' && el.attrs.id === 'j0');
      assert.equal(reply.attrs.type, 'error');
      assert.equal(reply.attrs.from, `${LOBBY}/juliet`);
      assert.equal(reply.getChild('error')?.attrs.type, 'auth');
      assert.equal(errorCondition(reply), 'registration-required');
    } finally {
      await juliet.stop();
    }
  });

  test('registers with the gateway by XEP-0077 with the form the plugin declares', async () => {
    const form = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: REGISTER })));
    assert.equal(form.attrs.type, 'result');
    const fields = form.getChild('query', REGISTER)!.getChild('x', XDATA)!.getChildren('field').map((f) => f.attrs.var);
    assert.deepEqual(fields, ['FORM_TYPE', 'nickname']);
    assert.equal(form.getChild('query', REGISTER)!.getChild('registered'), undefined);

    const done = await suite.romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER },
      xml('x', { xmlns: XDATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, REGISTER)),
        xml('field', { var: 'nickname' }, xml('value', {}, 'romeo'))))));
    assert.equal(done.attrs.type, 'result');

    const again = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: REGISTER })));
    assert.ok(again.getChild('query', REGISTER)!.getChild('registered'), 'the form now says registered');
    // XEP-0100 §4.1.1: the gateway asks to be the user's contact
    const ask = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GW);
    assert.equal(ask.attrs.type, 'subscribe');
    // spec §2.1: its presence tells how the login goes, and ends with what the plugin's login() said
    const status = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GW && el.getChildText('status') !== 'Logging in…');
    assert.equal(status.attrs.type, undefined);
    assert.equal(status.getChildText('status'), 'Connected to the demo network as romeo');
    assert.equal(status.getChildText('show'), null);
  });

  /** The gateway's item in romeo's roster, as his server keeps it: its subscription state. */
  const rosterSubscription = async () => {
    const roster = await suite.romeo.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    const item = roster.getChild('query', 'jabber:iq:roster')!.getChildren('item').find((i) => i.attrs.jid === GW);
    return item ? String(item.attrs.subscription) : 'none';
  };

  test("the gateway grants the user's subscription and sends its presence with its caps; a caps node it never announced is none of its", async () => {
    await suite.romeo.send(xml('presence', { to: GW, type: 'subscribe' }));
    const presence = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GW && el.attrs.type === undefined);
    assert.equal(presence.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.node, 'urn:roomgate');
    // granted: romeo's server now has him subscribed to the gateway's presence
    assert.equal(await rosterSubscription(), 'to');
    // a caps node the gateway never announced is no node of its
    const other = await suite.romeo.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: NS_DISCO_INFO, node: 'urn:roomgate#nope' })));
    assert.equal(errorCondition(other), 'item-not-found');
  });

  test('joining a room sends occupants, then the 110 self-presence, then history, then the subject', async () => {
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id: 'join1' }, xml('x', { xmlns: MUC })));
    const received = await suite.romeo.collect(6, (el) => el.attrs.from?.startsWith(LOBBY));
    const summary = received.map((el) => `${el.name} ${el.attrs.from}${codes(el).length ? ` ${codes(el).join(',')}` : ''}`);
    assert.deepEqual(summary, [
      `presence ${LOBBY}/alice`,
      `presence ${LOBBY}/bob`,
      `presence ${LOBBY}/romeo 110`, // a CHANNEL: no 100, no real JID
      `message ${LOBBY}/alice`,
      `message ${LOBBY}/bob`,
      `message ${LOBBY}/alice`,
    ]);
    const [alice, , self, h1, h2, subject] = received as [Element, Element, Element, Element, Element, Element];
    assert.deepEqual(alice.getChild('x', MUC_USER)!.getChild('item')!.attrs, { affiliation: 'owner', role: 'moderator' });
    assert.equal(self.attrs.id, 'join1');
    assert.deepEqual(self.getChild('x', MUC_USER)!.getChild('item')!.attrs, { affiliation: 'member', role: 'participant' });
    // history: the last 24 hours only, oldest first, each delayed to its time
    assert.deepEqual([h1.getChildText('body'), h2.getChildText('body')], ['first', 'second']);
    assert.equal(h1.getChild('delay', DELAY)!.attrs.stamp, WORLD.rooms[0]!.messages![1]!.timestamp);
    assert.equal(h1.getChild('stanza-id', SID)!.attrs.id, 'm1');
    assert.equal(subject.getChildText('subject'), 'Welcome, all');
    assert.equal(subject.getChildText('body'), null);
  });

  test('history on join honours maxstanzas, seconds, since and maxchars', async () => {
    const history = async (attrs: Record<string, string>, id: string) => {
      await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id }, xml('x', { xmlns: MUC }, xml('history', attrs))));
      await suite.romeo.next((el) => el.attrs.id === id);
      const bodies: string[] = [];
      for (;;) {
        const el = await suite.romeo.next((m) => m.name === 'message' && m.attrs.from?.startsWith(LOBBY) === true);
        if (el.getChild('subject')) return bodies;
        bodies.push(el.getChildText('body')!);
      }
    };
    assert.deepEqual(await history({ maxstanzas: '1' }, 'h1'), ['second']);
    assert.deepEqual(await history({ seconds: String(90 * 60) }, 'h2'), ['second']);
    assert.deepEqual(await history({ since: hoursAgo(80) }, 'h3'), ['three days ago', 'first', 'second']);
    assert.deepEqual(await history({ maxchars: '0' }, 'h4'), []);
    assert.deepEqual(await history({ maxchars: '100000' }, 'h5'), ['first', 'second']);
  });

  test('a message from the user reaches the demo network and is echoed with a stanza-id', async () => {
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'c1' }, xml('body', {}, 'hello, lobby')));
    const echo = await suite.romeo.next((el) => el.name === 'message' && el.attrs.id === 'c1');
    assert.equal(echo.attrs.from, `${LOBBY}/romeo`);
    assert.equal(echo.attrs.type, 'groupchat');
    assert.equal(echo.getChildText('body'), 'hello, lobby');
    const room = await suite.gw.demo('GET', '/demo/rooms/lobby');
    const sent = room.json.sent as { id: string; from: string; body: string }[];
    assert.deepEqual(sent.map((m) => [m.from, m.body]), [['romeo', 'hello, lobby']]);
    assert.deepEqual(echo.getChild('stanza-id', SID)!.attrs, { xmlns: SID, by: LOBBY, id: sent[0]!.id });
  });

  test("a participant's message on the legacy network reaches every joined resource", async () => {
    const movim = await suite.connect('romeo', 'movim');
    try {
      await movim.send(xml('presence', { to: `${LOBBY}/romeo`, id: 'join2' }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
      await movim.next((el) => el.name === 'message' && el.getChild('subject') !== undefined);
      const posted = await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'hi romeo', id: 'b-1' });
      assert.equal(posted.status, 201);
      for (const client of [suite.romeo, movim]) {
        const msg = await client.next((el) => el.name === 'message' && el.getChildText('body') === 'hi romeo');
        assert.equal(msg.attrs.from, `${LOBBY}/bob`);
        assert.equal(msg.attrs.to, client.jid);
        assert.equal(msg.getChild('stanza-id', SID)!.attrs.id, 'b-1');
      }
    } finally {
      await movim.stop();
    }
  });

  test('a room the user is not a member of answers item-not-found', async () => {
    await suite.romeo.send(xml('presence', { to: `nowhere@${GW}/romeo`, id: 'j3' }, xml('x', { xmlns: MUC })));
    const reply = await suite.romeo.next((el) => el.attrs.id === 'j3');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(errorCondition(reply), 'item-not-found');
  });

  test('leaving sends the unavailable self-presence with 110', async () => {
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo`, type: 'unavailable' }));
    const bye = await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === `${LOBBY}/romeo` && el.attrs.type === 'unavailable');
    assert.deepEqual(codes(bye), [110]);
    assert.deepEqual(bye.getChild('x', MUC_USER)!.getChild('item')!.attrs, { affiliation: 'member', role: 'none' });
  });

  test('a GROUP room announces the real JID and status 100 on join', async () => {
    await suite.romeo.send(xml('presence', { to: `family@${GW}/romeo`, id: 'j4' }, xml('x', { xmlns: MUC })));
    const self = await suite.romeo.next((el) => el.attrs.id === 'j4');
    assert.deepEqual(codes(self), [110, 100]);
    assert.equal(self.getChild('x', MUC_USER)!.getChild('item')!.attrs.jid, suite.romeo.jid);
  });

  test('unregistering logs the session out and deletes everything the gateway kept for the user', async () => {
    const before = await redisKeys(`${suite.gw.prefix}:*romeo@localhost*`);
    assert.ok(before.length > 0, 'the user and their rooms are stored');
    const done = await suite.romeo.iq(xml('iq', { type: 'set', to: GW }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(done.attrs.type, 'result');
    assert.deepEqual(await redisKeys(`${suite.gw.prefix}:*romeo@localhost*`), []);
    // XEP-0100 §4.3: the gateway leaves the user's roster
    // the gateway goes offline for romeo, and his subscription to it, granted above, is cancelled
    await suite.romeo.next((el) => el.name === 'presence' && el.attrs.from === GW && el.attrs.type === 'unavailable');
    assert.equal(await rosterSubscription(), 'none');
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id: 'j5' }, xml('x', { xmlns: MUC })));
    const reply = await suite.romeo.next((el) => el.attrs.id === 'j5');
    assert.equal(errorCondition(reply), 'registration-required');
    // the legacy network no longer delivers to the logged-out session
    await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body: 'anyone?' });
    const room = await suite.gw.demo('GET', '/demo/rooms/lobby');
    assert.equal(room.status, 200);
  });

  test('`roomgate users add` registers a user who can then join', async () => {
    const run = promisify(execFile)(process.execPath, ['bin/roomgate.js', 'users', 'add', 'romeo@localhost', '--field', 'nickname=romeo'], {
      env: {
        ...process.env, ROOMGATE_COMPONENT_JID: GW, ROOMGATE_COMPONENT_SECRET: 'unused', ROOMGATE_PLUGIN: 'demo',
        ROOMGATE_REDIS_URL: suite.stack.redis.url, ROOMGATE_REDIS_PREFIX: suite.gw.prefix, ROOMGATE_PARTITIONS: '4',
        ROOMGATE_CONFIG: suite.gw.configPath,
      },
    });
    const { stdout } = await run;
    assert.match(stdout, /registered romeo@localhost/);
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo`, id: 'j6' }, xml('x', { xmlns: MUC })));
    const self = await suite.romeo.next((el) => el.attrs.id === 'j6');
    assert.equal(self.attrs.type, undefined);
    assert.deepEqual(codes(self), [110]);
  });
});

describe('roomgate start with a bad configuration', () => {
  test('exits non-zero and names each wrong field', async () => {
    const dir = makeTempDir('bad-config');
    const file = join(dir, 'roomgate.toml');
    await writeFile(file, '[component]\njid = "gw.localhost"\n[xmpp]\nport = 99999\n[plugin]\nname = "demo"\n');
    const run = promisify(execFile)(process.execPath, ['bin/roomgate.js', 'start', '--config', file], { env: { ...process.env, ROOMGATE_COMPONENT_SECRET: '' } });
    await assert.rejects(run, (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /invalid configuration/);
      assert.match(err.stderr, /component\.secret: /);
      assert.match(err.stderr, /xmpp\.port: /);
      return true;
    });
  });
});
