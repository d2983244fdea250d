// Message Archive Management on a room (XEP-0313, spec §3.2 and DECISIONS), end to end: a real
// client queries the room's archive through Prosody; the archive is what roomgate keeps in Redis.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_DELAY as DELAY, NS_MUC as MUC, NS_XDATA as XDATA } from '../../src/transport/xmpp/ns.ts';
import { errorCondition as condition } from '../support/stanza-reading.ts';
import { useGatewaySuite } from '../support/suite.ts';
import { xml, type Element, type TestClient } from '../support/xmpp-client.ts';

const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const FORWARD = 'urn:xmpp:forward:0';
const GW = 'gw.localhost';
const LOBBY = `lobby@${GW}`;

// five past messages the network backfills; two share a second
const PAST = [
  { id: 'p1', from: 'alice', body: 'one', timestamp: '2026-12-01T10:00:01.000Z' },
  { id: 'p2', from: 'bob', body: 'two', timestamp: '2026-12-01T10:00:02.000Z' },
  { id: 'p3', from: 'alice', body: 'three', timestamp: '2026-12-01T10:00:03.000Z' },
  { id: 'p4', from: 'bob', body: 'four', timestamp: '2026-12-01T10:00:03.000Z' },
  { id: 'p5', from: 'alice', body: 'five', timestamp: '2026-12-01T10:00:05.000Z' },
];
const WORLD = {
  rooms: [{
    id: 'lobby', name: 'Lobby', type: 'group', subject: 'Welcome',
    participants: [{ nick: 'alice' }, { nick: 'bob' }], messages: PAST,
  }],
};

interface Answer { iq: Element; results: Element[] }
const bodies = (a: Answer) => a.results.map((r) => r.getChild('result', MAM)!.getChild('forwarded', FORWARD)!.getChild('message')!.getChildText('body'));
const fin = (a: Answer) => a.iq.getChild('fin', MAM)!;
const rsm = (a: Answer) => {
  const set = fin(a).getChild('set', RSM)!;
  return { first: set.getChildText('first'), index: set.getChild('first')?.attrs.index, last: set.getChildText('last'), count: set.getChildText('count') };
};

describe('message archive management on a room', () => {
  const suite = useGatewaySuite({ clients: { romeo: 'gajim', juliet: 'dino' }, gateway: { world: WORLD }, register: true });
  let n = 0;

  /** A MAM query of `client` to `to`, and the results it got before the iq's answer. */
  async function query(client: TestClient, opts: { fields?: Record<string, string | string[]>; set?: Element[]; flip?: boolean; to?: string } = {}): Promise<Answer> {
    const queryId = `q${++n}`;
    const fields = Object.entries(opts.fields ?? {}).map(([name, v]) =>
      xml('field', { var: name }, ...[v].flat().map((value) => xml('value', {}, value))));
    const iq = await client.iq(xml('iq', { type: 'set', to: opts.to ?? LOBBY }, xml('query', { xmlns: MAM, queryid: queryId },
      fields.length ? xml('x', { xmlns: XDATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM)), ...fields) : null,
      opts.set ? xml('set', { xmlns: RSM }, ...opts.set) : null,
      opts.flip ? xml('flip-page') : null)));
    const mine = (el: Element) => el.getChild('result', MAM)?.attrs.queryid === queryId;
    const results: Element[] = [];
    while (client.unconsumed().some(mine)) results.push(await client.next(mine));
    return { iq, results };
  }
  const max = (m: number) => xml('max', {}, String(m));

  before(async () => {
    // as a client with MAM joins: no history on join, so no backfill yet
    await suite.romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    for (;;) if ((await suite.romeo.next((s) => String(s.attrs.from ?? '').startsWith(LOBBY))).getChild('subject')) break;
  });

  test('the room and the gateway announce MAM, and the room gives its query form', async () => {
    const info = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    assert.ok(features.includes(MAM) && features.includes(`${MAM}#extended`), features.join(' '));
    const form = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('query', { xmlns: MAM })));
    const fields = form.getChild('query', MAM)!.getChild('x', XDATA)!.getChildren('field');
    assert.deepEqual(fields.map((f) => f.attrs.var), ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'include-groupchat', 'ids']);
    assert.equal(fields[0]!.getChildText('value'), MAM);
  });

  test('a first query backfills the room, then returns its archive oldest first, forwarded and delayed', async () => {
    const all = await query(suite.romeo);
    assert.equal(all.iq.attrs.type, 'result');
    assert.deepEqual(bodies(all), ['one', 'two', 'three', 'four', 'five']);
    const first = all.results[0]!;
    assert.equal(first.attrs.from, LOBBY);
    assert.equal(first.attrs.to, suite.romeo.jid);
    const forwarded = first.getChild('result', MAM)!.getChild('forwarded', FORWARD)!;
    assert.equal(forwarded.getChild('delay', DELAY)!.attrs.stamp, '2026-12-01T10:00:01.000Z');
    const message = forwarded.getChild('message')!;
    assert.equal(message.attrs.xmlns, 'jabber:client');
    assert.equal(message.attrs.from, `${LOBBY}/alice`);
    assert.equal(message.attrs.type, 'groupchat');
    // the result's id is the message's stanza-id in the room
    assert.equal(first.getChild('result', MAM)!.attrs.id, message.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id);
    assert.equal(fin(all).attrs.complete, 'true');
    assert.equal(fin(all).attrs.stable, 'false', 'the demo network does not keep its archive stable');
    assert.deepEqual(rsm(all), { first: all.results[0]!.getChild('result', MAM)!.attrs.id, index: '0', last: all.results[4]!.getChild('result', MAM)!.attrs.id, count: '5' });
    // backfilled once: the same query gives the same archive
    assert.deepEqual(bodies(await query(suite.romeo)), ['one', 'two', 'three', 'four', 'five']);
  });

  test('live messages and the user\'s own are archived after the backfilled ones; paging back visits each once', async () => {
    for (const body of ['six', 'seven']) {
      const res = await suite.gw.demo('POST', '/demo/rooms/lobby/messages', { from: 'bob', body });
      assert.equal(res.status, 201);
      await suite.romeo.next((el) => el.name === 'message' && el.getChildText('body') === body);
    }
    await suite.romeo.send(xml('message', { to: LOBBY, type: 'groupchat', id: 'r1' }, xml('body', {}, 'eight')));
    await suite.romeo.next((el) => el.attrs.id === 'r1' && el.attrs.from === `${LOBBY}/romeo`);

    const last = await query(suite.romeo, { set: [max(3), xml('before')] });
    assert.deepEqual(bodies(last), ['six', 'seven', 'eight']);
    assert.equal(fin(last).attrs.complete, undefined);
    assert.deepEqual({ index: rsm(last).index, count: rsm(last).count }, { index: '5', count: '8' });
    const previous = await query(suite.romeo, { set: [max(3), xml('before', {}, rsm(last).first!)] });
    assert.deepEqual(bodies(previous), ['three', 'four', 'five'], 'three and four share a second; neither is skipped');
    const oldest = await query(suite.romeo, { set: [max(3), xml('before', {}, rsm(previous).first!)] });
    assert.deepEqual(bodies(oldest), ['one', 'two']);
    assert.equal(fin(oldest).attrs.complete, 'true');

    // forward from the oldest, as a client catching up does
    const forward: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const page = await query(suite.romeo, { set: [max(3), ...(after ? [xml('after', {}, after)] : [])] });
      forward.push(...bodies(page).map(String));
      if (fin(page).attrs.complete === 'true') break;
      after = rsm(page).last;
    }
    assert.deepEqual(forward, ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
  });

  test('filters: with an occupant, a time window, ids; flip-page; max 0 counts only', async () => {
    assert.deepEqual(bodies(await query(suite.romeo, { fields: { with: `${LOBBY}/bob` } })), ['two', 'four', 'six', 'seven']);
    assert.deepEqual(bodies(await query(suite.romeo, { fields: { with: `${LOBBY}/romeo` } })), ['eight']);
    assert.deepEqual(bodies(await query(suite.romeo, { fields: { start: '2026-12-01T10:00:02Z', end: '2026-12-01T10:00:03Z' } })), ['two', 'three', 'four']);
    const all = await query(suite.romeo);
    const idOf = (body: string) => all.results[bodies(all).indexOf(body)]!.getChild('result', MAM)!.attrs.id;
    assert.deepEqual(bodies(await query(suite.romeo, { fields: { ids: [idOf('seven'), idOf('two')] } })), ['two', 'seven']);
    assert.deepEqual(bodies(await query(suite.romeo, { fields: { 'after-id': idOf('three'), 'before-id': idOf('six') } })), ['four', 'five']);
    assert.deepEqual(bodies(await query(suite.romeo, { set: [max(2), xml('before')], flip: true })), ['eight', 'seven']);
    const counted = await query(suite.romeo, { set: [max(0)] });
    assert.deepEqual([counted.results.length, rsm(counted).count, rsm(counted).first], [0, '8', null]);
  });

  test('the archive\'s metadata names its oldest and newest messages', async () => {
    const all = await query(suite.romeo);
    const ids = all.results.map((r) => r.getChild('result', MAM)!.attrs.id);
    const res = await suite.romeo.iq(xml('iq', { type: 'get', to: LOBBY }, xml('metadata', { xmlns: MAM })));
    const metadata = res.getChild('metadata', MAM)!;
    assert.deepEqual(metadata.getChild('start')!.attrs, { id: ids[0], timestamp: '2026-12-01T10:00:01.000Z' });
    assert.equal(metadata.getChild('end')!.attrs.id, ids.at(-1));
  });

  test('bad queries get clear errors and change nothing', async () => {
    const unknown = await query(suite.romeo, { set: [max(3), xml('after', {}, 'no-such-id')] });
    assert.deepEqual([unknown.iq.attrs.type, condition(unknown.iq)], ['error', 'item-not-found']);
    const badDate = await query(suite.romeo, { fields: { start: 'last tuesday' } });
    assert.deepEqual([badDate.iq.attrs.type, condition(badDate.iq)], ['error', 'bad-request']);
    const toGateway = await query(suite.romeo, { to: GW });
    assert.deepEqual([toGateway.iq.attrs.type, condition(toGateway.iq)], ['error', 'bad-request']);
    assert.equal(bodies(await query(suite.romeo)).length, 8);
  });

  test('retention drops what is older than archive.maxDays (7 by default), from MAM and from the ids it knows', async () => {
    const before = bodies(await query(suite.romeo));
    assert.deepEqual(before, ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
    // seven days after 10:00:02.5 on 1 December: 'one' and 'two' are older than the cutoff
    const dropped = await suite.gw.gateway.worker!.sweepArchives(Date.parse('2026-12-08T10:00:02.500Z'));
    assert.ok(dropped >= 2, `dropped ${dropped}`); // juliet's room is swept too, but holds nothing that old
    const after = await query(suite.romeo);
    assert.deepEqual(bodies(after), ['three', 'four', 'five', 'six', 'seven', 'eight']);
    assert.equal(rsm(after).count, '6');
    assert.equal(fin(after).attrs.complete, 'true');
    const again = await suite.gw.gateway.worker!.sweepArchives(Date.parse('2026-12-08T10:00:02.500Z'));
    assert.equal(again, 0, 'nothing left to drop');
  });

  test('another user sees only the archive of their own room under the same JID, never this one', async () => {
    // juliet is a member of the same legacy group: her room archived what the network told her
    // session while she was logged in (romeo's message too, as the network relays it: the same
    // message has the same stanza-id in both rooms), and nothing of romeo's room's backfill
    const theirs = await query(suite.juliet);
    assert.equal(theirs.iq.attrs.type, 'result');
    assert.deepEqual(bodies(theirs), ['six', 'seven', 'eight']);
    const mine = (await query(suite.romeo)).results.map((r) => r.getChild('result', MAM)!.attrs.id);
    const guessed = await query(suite.juliet, { fields: { ids: [mine[0]!] } }); // romeo's backfilled 'one'
    assert.deepEqual([guessed.iq.attrs.type, condition(guessed.iq)], ['error', 'item-not-found'], "romeo's message ids mean nothing in juliet's room");
  });
});
