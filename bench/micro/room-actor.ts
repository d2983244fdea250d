/**
 * Micro-benchmark of one room actor without servers: the real Rooms runtime and room machine,
 * a recording port and a plugin that answers at once. Per-event CPU cost of the actor path
 * for a legacy message (W2's path), a user's message (W3's path), a join and leave (W1/W4 warm),
 * and a participant joining and leaving (an IRC channel's JOIN and PART lines).
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/room-actor.ts [--events N]
 *
 * With roomgate's young generation (the flag, as bin/roomgate.js runs): without it the collector's
 * share grows and the CPU per event reads up to twice as high (17-19 against 32 µs per legacy message).
 */
import { parseArgs } from 'node:util';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin } from '../../src/legacy/index.ts';
import { GAJIM, roomOnFakes } from '../../test/unit/actors/room-on-fakes.ts';

class InstantSession extends BaseSession {
  private n = 0;
  override async login(): Promise<string> { return 'ok'; }
  override async onText(): Promise<string> { return `L${++this.n}`; }
}
const plugin = definePlugin<unknown>({
  name: 'instant', displayName: 'Instant', session: InstantSession, bookmarks: LegacyBookmarks, muc: LegacyMUC, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

const { values } = parseArgs({ options: { events: { type: 'string' } } });
const N = Number(values.events ?? 20_000);

async function measure(name: string, make: (i: number) => Record<string, unknown>): Promise<void> {
  const { sent, send } = await roomOnFakes(plugin, (host) => new InstantSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host));
  for (let i = 0; i < 2000; i++) await send(make(i)); // warm-up
  sent.length = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    await send(make(i));
    if (sent.length > 1000) sent.length = 0;
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / N;
  console.log(`${name}: ${us.toFixed(1)} µs/event wall, ${cpu.toFixed(1)} µs/event CPU (${Math.round(1e6 / us).toLocaleString('en')} events/s)`);
}

await measure('legacy.message', (i) => ({
  type: 'legacy.message', legacyId: `m${i}`, participant: { nick: 'alice', legacyId: 'alice' }, body: `message ${i}`,
}));
await measure('xmpp.message', (i) => ({
  type: 'xmpp.message', from: GAJIM, id: `x${i}`, body: `message ${i}`, xml: `<message type="groupchat" id="x${i}"><body>message ${i}</body></message>`,
}));
// W1/W4's warm path: a second resource joins (history hook, join sequence) and leaves again
await measure('xmpp.join + xmpp.leave', (i) => (i % 2 === 0
  ? { type: 'xmpp.join', from: `${GAJIM}2`, nick: 'romeo', history: { maxstanzas: 0 } }
  : { type: 'xmpp.leave', from: `${GAJIM}2` }));
// a busy IRC channel: someone joins (a presence) and leaves again
await measure('legacy.presence + legacy.participantLeft', (i) => (i % 2 === 0
  ? { type: 'legacy.presence', participant: { nick: `guest${i}`, legacyId: `guest${i}` } }
  : { type: 'legacy.participantLeft', nick: `guest${i - 1}`, kind: 'leave' }));
