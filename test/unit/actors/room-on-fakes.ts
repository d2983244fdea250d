// A room actor with the real Rooms runtime and plugin objects, but fake Redis and sessions:
// for tests of what the runtime does with plugin hooks. It starts joined from romeo's gajim.
import { pino } from 'pino';
import { Rooms, type RoomsDeps } from '../../../src/actors/rooms.ts';
import type { Sessions } from '../../../src/actors/sessions.ts';
import type { Keys } from '../../../src/actors/keys.ts';
import type { RoomEvent } from '../../../src/machines/room.ts';
import type { AnyPlugin, BaseSession, LegacyMUC, SessionHost } from '../../../src/legacy/index.ts';
import { recordingPort } from '../machines/recording-port.ts';

export const R = 'room-private@aim.shakespeare.lit';
export const GAJIM = 'romeo@montague.lit/gajim';
export const AT = '2026-11-25T12:00:00.000Z';

/** Keys and a Redis that holds no room: every room is new (`Rooms` reads them with `readRooms`). */
export function emptyStore(): Pick<RoomsDeps, 'keys' | 'redis'> {
  const keys = { roomSnapshot: () => 'snapshot', roomMarks: () => 'marks', roomOwnIds: () => 'own-ids' } as unknown as Keys;
  // per room: no snapshot, no marks, no own ids
  const redis = { readRooms: async (_n: number, ...names: string[]) => names.map((_, i) => (i % 3 === 2 ? [] : null)) } as unknown as RoomsDeps['redis'];
  return { keys, redis };
}

export async function roomOnFakes<S extends BaseSession>(
  plugin: AnyPlugin,
  makeSession: (host: SessionHost) => S = (host) => new plugin.session({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host) as S,
) {
  const { port, sent } = recordingPort();
  let muc: LegacyMUC | null = null;
  const host: SessionHost = {
    openRoom: (s, legacyId) => (muc ??= new plugin.muc(s, legacyId, R, () => undefined)),
    removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {},
  };
  const session = makeSession(host);
  const sessions = { peek: () => session, openRoom: host.openRoom } as unknown as Sessions;
  const rooms = new Rooms({ ...emptyStore(), sessions, port, log: pino({ level: 'silent' }), pendingArchive: () => [], pendingAvatar: () => undefined });
  const handle = (await rooms.get(session, 'room-private', true))!;
  let n = 0;
  const send = (event: Record<string, unknown>) => rooms.deliver(handle, { eventId: `e${++n}`, at: AT, ...event } as unknown as RoomEvent);
  await send({ type: 'xmpp.join', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } });
  sent.length = 0;
  return { sent, session, send, handle };
}
