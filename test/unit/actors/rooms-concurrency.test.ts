// How a job's rooms share the wait for their networks (src/actors/rooms.ts, `background`):
// a room busy with its fill does not hold up another room, and its own next event waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Rooms } from '../../../src/actors/rooms.ts';
import type { Sessions } from '../../../src/actors/sessions.ts';
import type { RoomEvent } from '../../../src/machines/room.ts';
import {
  BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost,
} from '../../../src/legacy/index.ts';
import { recordingPort } from '../machines/recording-port.ts';
import { emptyStore } from './room-on-fakes.ts';

const AT = '2026-11-25T12:00:00.000Z';
const GAJIM = 'romeo@montague.lit/gajim';

/** Room 'slow' fills once the test opens the gate; any other room at once. */
let openGate!: () => void;
const gate = new Promise<void>((resolve) => { openGate = resolve; });

class GatedMUC extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    if (this.legacyId === 'slow') await gate;
    yield await this.getParticipant('nurse');
  }
}

class PlainSession extends BaseSession {
  override async login(): Promise<string> { return 'ok'; }
}

const plugin = definePlugin<unknown>({
  name: 'gated', displayName: 'Gated', session: PlainSession, bookmarks: LegacyBookmarks, muc: GatedMUC, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

test("a room waiting on its network does not hold up another room's join; its own next event waits for it", async () => {
  const { port, sent } = recordingPort();
  const mucs = new Map<string, LegacyMUC>();
  const host: SessionHost = {
    openRoom: (s, id) => mucs.get(id) ?? mucs.set(id, new plugin.muc(s, id, `${id}@aim.shakespeare.lit`, () => undefined)).get(id)!,
    removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {},
  };
  const session = new PlainSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host);
  const sessions = { peek: () => session, openRoom: host.openRoom } as unknown as Sessions;
  const rooms = new Rooms({ ...emptyStore(), sessions, port, log: pino({ level: 'silent' }), pendingArchive: () => [], pendingAvatar: () => undefined });
  let n = 0;
  const event = (e: Record<string, unknown>) => ({ eventId: `e${++n}`, at: AT, ...e }) as unknown as RoomEvent;
  const join = event({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  const selfPresences = () => sent.filter(([kind, p]) => kind === 'presence' && (p as { codes?: number[] }).codes?.includes(110))
    .map(([, p]) => (p as { room: string }).room);

  const slow = (await rooms.get(session, 'slow', true))!;
  await rooms.deliver(slow, join, { background: true }); // returns while 'slow' fills
  const fast = (await rooms.get(session, 'fast', true))!;
  await rooms.deliver(fast, event({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } }), { background: true });
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(selfPresences(), ['fast@aim.shakespeare.lit']);

  // the slow room's next event waits for its fill, then comes after its join sequence
  let subjectDelivered = false;
  const next = rooms.deliver(slow, event({ type: 'legacy.subject', subject: 'Soup', setter: null }), { background: true })
    .then(() => { subjectDelivered = true; });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(subjectDelivered, false);
  let settled = false;
  const all = rooms.settled().then(() => { settled = true; });
  openGate();
  await next;
  await all;
  assert.ok(settled);
  assert.deepEqual(selfPresences(), ['fast@aim.shakespeare.lit', 'slow@aim.shakespeare.lit']);
  const slowSubjects = sent.filter(([kind, m]) => kind === 'message' && (m as { room: string }).room === 'slow@aim.shakespeare.lit'
    && (m as { subject?: string }).subject !== undefined).map(([, m]) => (m as { subject: string }).subject);
  assert.equal(slowSubjects.at(-1), 'Soup');
  assert.ok(slow.actor.getSnapshot().matches({ joined: 'idle' }));
});
