import { pino } from 'pino';
import { demoPlugin, DemoNetwork, DemoSession, parseWorld, type DemoShared } from '../../../../src/legacy/demo/index.ts';
import { escapeLocalPart, type SessionHost } from '../../../../src/legacy/index.ts';
import type { UnstampedLegacyEvent } from '../../../../src/machines/events.ts';

export const silent = pino({ level: 'silent' });

/** A world with an open room, a members-only room and a room id that needs escaping. */
export function testWorld(): unknown {
  return {
    rooms: [
      {
        id: 'coven', name: 'Coven', type: 'channel', description: 'Thunder, lightning, or in rain?',
        subject: 'When shall we three meet again', subjectSetter: 'firstwitch', subjectDate: '2024-05-01T08:00:00Z',
        participants: [
          { nick: 'firstwitch', role: 'moderator', affiliation: 'owner' },
          { nick: 'secondwitch' },
        ],
        messages: [
          { id: 'c-1', from: 'firstwitch', body: 'one', timestamp: '2024-05-01T10:00:00Z' },
          { id: 'c-2', from: 'secondwitch', body: 'two', timestamp: '2024-05-01T10:01:00Z' },
          { id: 'c-4', from: 'romeo', body: 'four', timestamp: '2024-05-01T10:03:00Z' },
          // listed out of order on purpose: backfill sorts by time
          { id: 'c-3', from: 'firstwitch', body: 'three', timestamp: '2024-05-01T10:02:00Z' },
          { id: 'c-5', from: 'secondwitch', body: 'five', timestamp: '2024-05-01T10:04:00Z' },
        ],
      },
      {
        id: 'balcony', name: 'Balcony', type: 'group', members: ['romeo@montague.lit', 'juliet@capulet.lit'],
        participants: [{ nick: 'romeo', role: 'moderator', affiliation: 'owner' }, { nick: 'juliet' }],
        messages: [],
      },
      { id: 'dev team', name: 'Dev team', type: 'channel-non-anonymous', participants: [{ nick: 'frank' }], messages: [] },
    ],
  };
}

/** A fixed clock that moves one second per reading. */
export function steppingClock(start = '2024-06-01T12:00:00Z'): () => Date {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
}

export interface RoomEventRecord { room: string; event: UnstampedLegacyEvent }

/**
 * A DemoSession on a fresh network, with a host whose rooms record what they emit, as the
 * room actor would receive it.
 */
export function harness(jid = 'romeo@montague.lit', nickname = 'romeo') {
  const network = new DemoNetwork(parseWorld(testWorld()), { log: silent, now: steppingClock() });
  const shared: DemoShared = { network, http: { port: 0, close: async () => {} }, chatter: null, log: silent, inviteOnLogin: false };
  const events: RoomEventRecord[] = [];
  let cursor: string | null = null;
  const host: SessionHost = {
    openRoom: (session, legacyId) =>
      new demoPlugin.muc(session as DemoSession, legacyId, `${escapeLocalPart(legacyId)}@gw.montague.lit`, (event) => events.push({ room: legacyId, event })),
    removeRoom: async () => {},
    queued: async () => {},
    loadCursor: async () => cursor,
    saveCursor: async (_session, value) => { cursor = value; },
  };
  const session = new DemoSession({ jid, registration: { nickname } }, demoPlugin, shared, host);
  return { network, shared, session, events, host };
}
