// A partition runtime against a real Redis, with the plugin and sessions as in-process fakes:
// for tests of what a partition applies and commits (partial commits, mailbox payloads).
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Keys } from '../../src/actors/keys.ts';
import { PartitionRuntime, type JobHandler } from '../../src/actors/partition.ts';
import type { ScriptCommands } from '../../src/actors/scripts.ts';
import type { Sessions } from '../../src/actors/sessions.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../src/legacy/index.ts';
import type { MailboxJob } from '../../src/transport/mailbox.ts';

export const GAJIM = 'romeo@montague.lit/gajim';
export const USER = 'romeo@montague.lit';
export const AT = '2026-12-06T12:00:00.000Z';

class Session extends BaseSession {
  /** What the network was sent, in order. */
  readonly texts: string[] = [];
  override async login(): Promise<string> { return 'ok'; }
  override async onText(_chat: LegacyMUC, text: string): Promise<string> {
    this.texts.push(text);
    return `L-${text}`;
  }
}
class Muc extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    yield await this.getParticipant('nurse');
  }
}
const plugin = definePlugin<unknown>({
  name: 'fake', displayName: 'Fake', session: Session, bookmarks: LegacyBookmarks, muc: Muc, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

/** A worker's runtime of partition 0, holding the lease `lease`, committing after every event (unless `commitEveryMs`). */
export function fakeWorker(
  client: Redis & ScriptCommands, keys: Keys, lease: string, opts: { shutdownChunk?: number; commitEveryMs?: number } = {},
): { runtime: PartitionRuntime; session: BaseSession & { texts: string[] } } {
  const mucs = new Map<string, LegacyMUC>();
  const host: SessionHost = {
    openRoom: (s, legacyId) => mucs.get(legacyId) ?? mucs.set(legacyId, new plugin.muc(s, legacyId, `${legacyId}@gw`, () => undefined)).get(legacyId)!,
    removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {},
  };
  const session = new plugin.session({ jid: USER, registration: {} }, plugin, undefined, host);
  const sessions = { peek: () => session, openRoom: host.openRoom, releaseRoom: (_user: string, legacyId: string) => mucs.delete(legacyId) } as unknown as Sessions;
  const runtime = new PartitionRuntime({ partition: 0, redis: client, keys, sessions, log: pino({ level: 'silent' }), commitEveryMs: 0, ...opts });
  runtime.lease = lease;
  return { runtime, session: session as Session };
}

/** Delivers the event each job carries to its room; `during(n)` runs after the n-th. */
export const deliverEach = (session: BaseSession, during: (n: number) => Promise<void> = async () => {}): JobHandler => {
  let n = 0;
  return async (job, ctx) => {
    if (job.kind !== 'legacy') return;
    await ctx.deliver((await ctx.rooms.get(session, job.legacyId, true))!, job.event);
    await during(++n);
  };
};

/** A job for the room `legacyId` (default `lobby`) carrying `event` (delivered as it is). */
export const legacyJob = (event: Record<string, unknown>, legacyId = 'lobby'): MailboxJob => ({
  kind: 'legacy', user: USER, legacyId, event: { at: AT, ...event } as never,
});

/** A dead-letter handler for jobs that must not fail: it fails the run. */
export const noPoison = async (_job: MailboxJob, err: unknown) => { throw err; };
