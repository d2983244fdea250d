/**
 * What the partition micro-benchmarks share: a real partition runtime committing to a private
 * Redis, one user's session of a plugin whose rooms have `participants` participants, and a job
 * of legacy events (`xmpp.join`, `xmpp.leave` ... as the handler would deliver them).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { PartitionRuntime } from '../../src/actors/partition.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import type { Sessions } from '../../src/actors/sessions.ts';
import { startRedis } from '../../src/devstack/redis.ts';
import type { MailboxJob } from '../../src/transport/mailbox.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../src/legacy/index.ts';

const USER = 'romeo@montague.lit';

export async function partitionFixture(participants: number) {
  class Session extends BaseSession {
    private sent = 0;
    override async login() { return 'ok'; }
    /** The network takes the user's message at once (W3's path, bench/micro/messages.ts). */
    override async onText() { return `sent-${++this.sent}`; }
  }
  class Muc extends LegacyMUC {
    override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
      for (let i = 0; i < participants; i++) yield await this.getParticipant(`participant-${i}`);
    }
  }
  const plugin = definePlugin<unknown>({
    name: 'fake', displayName: 'Fake', session: Session, bookmarks: LegacyBookmarks, muc: Muc, participant: LegacyParticipant,
    registration: { instructions: '', fields: [] }, start: async () => undefined,
  });
  const server = await startRedis();
  const client = withScripts(new Redis(server.url));
  const keys = createKeys('jm', 1);
  await client.set(keys.partitionLease(0), 'L');
  /** The plugin's room objects; a benchmark of cold joins clears it between jobs. */
  const mucs = new Map<string, LegacyMUC>();
  const host: SessionHost = {
    openRoom: (s, id) => mucs.get(id) ?? mucs.set(id, new plugin.muc(s, id, `${id}@gw`, () => undefined)).get(id)!,
    removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {},
  };
  const session = new plugin.session({ jid: USER, registration: {} }, plugin, undefined, host);
  const sessions = { peek: () => session, openRoom: host.openRoom, releaseRoom: () => undefined } as unknown as Sessions;
  // one commit per job, whatever the machine's speed (under Valgrind too): counts that repeat
  const runtime = new PartitionRuntime({ partition: 0, redis: client, keys, sessions, log: pino({ level: 'silent' }), commitEveryMs: 3_600_000 });
  runtime.lease = 'L';
  let n = 0;
  let jobIds = 0;
  /** An event of the user's resource for one room. */
  const event = (legacyId: string, type: string, extra: object = {}): MailboxJob => ({
    kind: 'legacy', user: USER, legacyId,
    event: { type, eventId: `e${++n}`, at: new Date().toISOString(), from: `${USER}/gajim`, ...extra } as never,
  });
  const handler = async (job: MailboxJob, ctx: PartitionRuntime) => {
    if (job.kind === 'legacy') await ctx.deliver((await ctx.rooms.get(session, job.legacyId, true))!, job.event);
  };
  const poison = async (_j: unknown, e: unknown) => { throw e; };
  return {
    mucs, event,
    /** Runs one job of these events and commits it. */
    // numbered as BullMQ numbers a partition's jobs: their events get mailbox positions, as in a worker
    // and each carries its add's id, which its commit notes done, as every add without an id of its own
    run: (jobs: MailboxJob[]) => runtime.run(jobs, handler, poison, String(++jobIds), undefined, randomUUID()),
    async stop() { client.disconnect(); await server.stop(); },
  };
}

/** A join without history (the benchmarks time the join sequence, not the archive). */
export const JOIN = { nick: 'romeo', history: { maxstanzas: 0 } };
