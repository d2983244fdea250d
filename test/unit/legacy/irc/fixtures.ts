import assert from 'node:assert/strict';
import { pino } from 'pino';
import { escapeLocalPart, type SessionHost } from '../../../../src/legacy/index.ts';
import { ircPlugin, IrcSession, type IrcOptions, type IrcShared } from '../../../../src/legacy/irc/index.ts';
import type { UnstampedLegacyEvent } from '../../../../src/machines/events.ts';
import type { LegacyMUC } from '../../../../src/legacy/muc.ts';

export const silent = pino({ level: process.env.ROOMGATE_TEST_LOG ?? 'silent' });

export interface Recorded { room: string; event: UnstampedLegacyEvent | { type: 'removed'; reason: string } }

/**
 * An IrcSession against a server on `port`, with a host whose rooms record what they emit,
 * as the room actor would receive it.
 */
export async function ircHarness(port: number, opts: {
  nickname?: string; options?: Partial<IrcOptions>; storedRooms?: string[];
  /** The session cursor (Redis in the gateway); share one between harnesses for a restart. */
  cursor?: { value: string | null };
} = {}) {
  const cursor = opts.cursor ?? { value: null };
  const shared: IrcShared = await ircPlugin.start({
    options: {
      server: { host: '127.0.0.1', port, tls: false },
      throttle: { burst: 100, linesPerSecond: 100 },
      reconnect: { minDelayMs: 100, maxDelayMs: 200 },
      commandTimeoutMs: 3000,
      ...opts.options,
    },
    log: silent,
  });
  const events: Recorded[] = [];
  const rooms = new Map<string, LegacyMUC>();
  const host = {
    openRoom(session, legacyId) {
      let muc = rooms.get(legacyId);
      if (!muc) {
        muc = new ircPlugin.muc(session as IrcSession, legacyId, `${escapeLocalPart(legacyId)}@gw.localhost`, (event) => events.push({ room: legacyId, event }));
        rooms.set(legacyId, muc);
      }
      return muc;
    },
    async removeRoom(_session, legacyId, reason) {
      rooms.delete(legacyId);
      events.push({ room: legacyId, event: { type: 'removed', reason } });
    },
    async queued() {},
    async loadCursor() { return cursor.value; },
    async saveCursor(_session, value) { cursor.value = value; },
    async storedRoomIds() { return opts.storedRooms ?? []; },
  } as SessionHost;
  const session = new IrcSession({ jid: 'romeo@localhost', registration: { nickname: opts.nickname ?? 'romeo' } }, ircPlugin, shared, host);
  /** The events recorded so far, then forgets them. */
  const take = async (): Promise<Recorded[]> => {
    await session.flushed();
    return events.splice(0);
  };
  /** Waits until exactly `count` events are recorded (IRC lines arrive on their own time), then takes them. */
  const takeWhen = (count: number): Promise<Recorded[]> => eventually(() => {
    assert.equal(events.length, count);
    return events.splice(0);
  });
  return { shared, session, host, events, take, takeWhen, cursor, room: (id: string) => host.openRoom(session, id) };
}

/** Polls until `check` passes (the session applies IRC events asynchronously). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
