/**
 * Micro-benchmark of a MAM query's roomgate part without Redis or XMPP: a room's archive of N
 * messages as LRANGE returns it, decoded (`decodeArchived`), then a page chosen
 * (`selectArchivePage`): the last 50 (`<before/>`, what a client asks first), and a `with`
 * filter on an occupant. Medians over 30 rounds after 10 of warm-up.
 *
 *   node --import tsx bench/micro/mam-page.ts [--messages 10000]
 */
import { parseArgs } from 'node:util';
import { selectArchivePage } from '../../src/actors/archive-query.ts';
import { decodeArchived, encodeArchived } from '../../src/actors/archive.ts';

const { values } = parseArgs({ options: { messages: { type: 'string' } } });
const N = Number(values.messages ?? 10_000);
const ROOM = 'lobby@gw.localhost';
const raw = Array.from({ length: N }, (_, i) => encodeArchived({
  stanzaId: `s${i}`, legacyId: `m${i}`, at: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(), source: 'live',
  xml: `<message from="${ROOM}/${i % 3 ? 'alice' : 'bob'}" type="groupchat" id="m${i}"><body>message number ${i}</body>`
    + `<stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s${i}"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o${i % 3}"/></message>`,
}));
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const decode: number[] = []; const last: number[] = []; const withBob: number[] = [];
for (let r = 0; r < 40; r++) {
  const t0 = performance.now();
  const all = raw.map(decodeArchived);
  const t1 = performance.now();
  if (selectArchivePage(all, { max: 50, before: true }).messages.length !== Math.min(50, N)) throw new Error('wrong page');
  const t2 = performance.now();
  selectArchivePage(all, { max: 50, with: `${ROOM}/bob` });
  const t3 = performance.now();
  if (r >= 10) { decode.push(t1 - t0); last.push(t2 - t1); withBob.push(t3 - t2); }
}
console.log(`archive of ${N.toLocaleString('en')} messages: decode ${median(decode).toFixed(2)} ms, last page ${median(last).toFixed(2)} ms, `
  + `'with' filter ${median(withBob).toFixed(2)} ms (medians of 30)`);
