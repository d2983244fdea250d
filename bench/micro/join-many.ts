/**
 * Micro-benchmark of W4a's roomgate part without XMPP: one job of 200 joins, each to a room of
 * 5 participants the user never joined (cold: the room is created, filled and backfilled), on a
 * real partition runtime committing to a private Redis. Wall time (apply + commit) and CPU per
 * job, over 15 jobs after 5 of warm-up; `--profile FILE` writes a CPU profile of the last 10.
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/join-many.ts [--rooms 200] [--profile FILE]
 */
import { Session as InspectorSession } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { PartitionRuntime } from '../../src/actors/partition.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import type { Sessions } from '../../src/actors/sessions.ts';
import { startRedis } from '../../src/devstack/redis.ts';
import type { MailboxJob } from '../../src/transport/mailbox.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../src/legacy/index.ts';

const { values } = parseArgs({ options: { rooms: { type: 'string' }, profile: { type: 'string' } } });
const ROOMS = Number(values.rooms ?? 200);
class Session extends BaseSession { override async login() { return 'ok'; } }
class Muc extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    for (let i = 0; i < 5; i++) yield await this.getParticipant(`participant-${i}`);
  }
}
const plugin = definePlugin<unknown>({ name: 'fake', displayName: 'Fake', session: Session, bookmarks: LegacyBookmarks, muc: Muc, participant: LegacyParticipant, registration: { instructions: '', fields: [] }, start: async () => undefined });
const server = await startRedis();
const client = withScripts(new Redis(server.url));
const keys = createKeys('jm', 1);
await client.set(keys.partitionLease(0), 'L');
const mucs = new Map<string, LegacyMUC>();
const host: SessionHost = { openRoom: (s, id) => mucs.get(id) ?? mucs.set(id, new plugin.muc(s, id, `${id}@gw`, () => undefined)).get(id)!, removeRoom: async () => {}, queued: async () => {}, loadCursor: async () => null, saveCursor: async () => {} };
const session = new plugin.session({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host);
const sessions = { peek: () => session, openRoom: host.openRoom, releaseRoom: () => undefined } as unknown as Sessions;
const runtime = new PartitionRuntime({ partition: 0, redis: client, keys, sessions, log: pino({ level: 'silent' }) });
runtime.lease = 'L';
let n = 0;
const join = (legacyId: string): MailboxJob => ({
  kind: 'legacy', user: 'romeo@montague.lit', legacyId,
  event: { type: 'xmpp.join', eventId: `e${++n}`, at: new Date().toISOString(), from: 'romeo@montague.lit/gajim', nick: 'romeo', history: { maxstanzas: 0 } } as never,
});
const handler = async (job: MailboxJob, ctx: PartitionRuntime) => {
  if (job.kind !== 'legacy') return;
  await ctx.deliver((await ctx.rooms.get(session, job.legacyId, true))!, job.event);
};
const poison = async (_j: unknown, e: unknown) => { throw e; };
const inspector = values.profile ? new InspectorSession() : null;
const times: number[] = []; const cpus: number[] = [];
for (let i = 0; i < 20; i++) {
  if (i === 10 && inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
    await inspector.post('Profiler.start');
  }
  const jobs = Array.from({ length: ROOMS }, (_, r) => join(`room-${i}-${r}`));
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await runtime.run(jobs, handler, poison);
  const c = process.cpuUsage(c0);
  if (i >= 5) { times.push(performance.now() - t0); cpus.push((c.user + c.system) / 1000); }
  mucs.clear();
}
if (inspector && values.profile) writeFileSync(values.profile, JSON.stringify((await inspector.post('Profiler.stop')).profile));
times.sort((a, b) => a - b); cpus.sort((a, b) => a - b);
const mid = Math.floor(times.length / 2);
console.log(`${ROOMS} cold joins in one job: wall median ${times[mid]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}), CPU median ${cpus[mid]!.toFixed(1)} ms (min ${cpus[0]!.toFixed(1)})`);
client.disconnect(); await server.stop();
