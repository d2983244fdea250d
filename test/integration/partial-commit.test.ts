// A long mailbox job commits as it goes (PartitionRuntime.run): when the worker loses the
// partition after a partial commit, the next owner replays the whole job, and what the first
// commit holds is neither sent, archived nor applied twice. Real Redis (the fenced commit
// script), real room actors; the plugin and sessions are in-process fakes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { PartitionRuntime, type JobHandler } from '../../src/actors/partition.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import type { Sessions } from '../../src/actors/sessions.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../src/legacy/index.ts';
import type { MailboxJob } from '../../src/transport/mailbox.ts';
import { startRedis, type DevRedis } from '../support/redis.ts';

const GAJIM = 'romeo@montague.lit/gajim';
const USER = 'romeo@montague.lit';
const AT = '2026-12-06T12:00:00.000Z';

class Session extends BaseSession {
  override async login(): Promise<string> { return 'ok'; }
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

let redis: DevRedis;
let client: Redis & ReturnType<typeof withScripts>;
const keys = createKeys('pc', 1);

before(async () => {
  redis = await startRedis();
  client = withScripts(new Redis(redis.url));
});
after(async () => {
  client.disconnect();
  await redis.stop();
});

/** A worker's runtime of partition 0, holding the lease `lease`, committing after every event. */
function worker(lease: string): { runtime: PartitionRuntime; session: BaseSession } {
  const mucs = new Map<string, LegacyMUC>();
  const host: SessionHost = {
    openRoom: (s, legacyId) => mucs.get(legacyId) ?? mucs.set(legacyId, new plugin.muc(s, legacyId, `${legacyId}@gw`, () => undefined)).get(legacyId)!,
    removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {},
  };
  const session = new plugin.session({ jid: USER, registration: {} }, plugin, undefined, host);
  const sessions = { peek: () => session, openRoom: host.openRoom } as unknown as Sessions;
  const runtime = new PartitionRuntime({ partition: 0, redis: client, keys, sessions, log: pino({ level: 'silent' }), commitEveryMs: 0 });
  runtime.lease = lease;
  return { runtime, session };
}

/** Delivers the event each job carries to its room; `during(n)` runs after the n-th. */
const handler = (session: BaseSession, during: (n: number) => Promise<void> = async () => {}): JobHandler => {
  let n = 0;
  return async (job, ctx) => {
    if (job.kind !== 'legacy') return;
    await ctx.deliver((await ctx.rooms.get(session, job.legacyId, true))!, job.event);
    await during(++n);
  };
};

/** A job for the room `lobby` carrying `event` (the handler delivers it as it is). */
const legacy = (event: Record<string, unknown>): MailboxJob => ({
  kind: 'legacy', user: USER, legacyId: 'lobby', event: { at: AT, ...event } as never,
});
const message = (i: number) => legacy({ type: 'legacy.message', eventId: `m${i}`, legacyId: `L${i}`, participant: { nick: 'nurse' }, body: `line ${i}` });
const noPoison = async (_job: MailboxJob, err: unknown) => { throw err; };

async function outbound(): Promise<string> {
  const entries = await client.xrange(keys.outStream(0), '-', '+');
  return entries.map(([, fields]) => fields[1] ?? '').join('');
}

test('a job replayed after a partial commit sends, archives and applies each event once, in order', async () => {
  await client.set(keys.partitionLease(0), 'lease-1');
  const first = worker('lease-1');
  // the user's client joins the room (job 1)
  await first.runtime.run([legacy({ type: 'xmpp.join', eventId: 'j1', from: GAJIM, nick: 'romeo', history: { maxstanzas: 0 } })],
    handler(first.session), noPoison, '1');
  const joined = await outbound();
  assert.match(joined, /status code="110"/);

  // job 2 carries three messages; after the first is committed, another worker takes the partition
  await assert.rejects(first.runtime.run([message(1), message(2), message(3)], handler(first.session, async (n) => {
    if (n === 2) await client.set(keys.partitionLease(0), 'lease-2'); // after the first commit, before the second
  }), noPoison, '2'), { name: 'LeaseLost' });
  const partial = (await outbound()).slice(joined.length);
  assert.deepEqual([...partial.matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]), ['line 1'], 'the first event was committed alone');

  // the new owner restores the room from Redis and replays job 2 whole
  const second = worker('lease-2');
  await second.runtime.run([message(1), message(2), message(3)], handler(second.session), noPoison, '2');
  const bodies = [...(await outbound()).slice(joined.length).matchAll(/<body>([^<]*)<\/body>/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['line 1', 'line 2', 'line 3'], 'each message sent once, in order');
  const archived = (await client.lrange(keys.archive(USER, 'lobby'), 0, -1)).map((e) => /<body>([^<]*)</.exec(JSON.parse(e).xml)?.[1]);
  assert.deepEqual(archived, ['line 1', 'line 2', 'line 3'], 'each message archived once');
});
