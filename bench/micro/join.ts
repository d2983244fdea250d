/**
 * Micro-benchmark of a warm join (W1's roomgate part) without XMPP: a real partition runtime and
 * commit against a private Redis, a plugin whose room has N participants. The user leaves and
 * joins again 40 times; the last 30 joins' wall time (apply + commit round trip) and CPU.
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/join.ts [N]
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKeys } from '../../src/actors/keys.ts';
import { PartitionRuntime } from '../../src/actors/partition.ts';
import { withScripts } from '../../src/actors/scripts.ts';
import type { Sessions } from '../../src/actors/sessions.ts';
import { startRedis } from '../../src/devstack/redis.ts';
import { BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost } from '../../src/legacy/index.ts';

const N = Number(process.argv[2] ?? 1000);
class Session extends BaseSession { override async login() { return 'ok'; } }
class Muc extends LegacyMUC {
  override async *fillParticipants(): AsyncIterable<LegacyParticipant> {
    for (let i = 0; i < N; i++) yield await this.getParticipant(`participant-${i}`);
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
const sessions = { peek: () => session, openRoom: host.openRoom } as unknown as Sessions;
const runtime = new PartitionRuntime({ partition: 0, redis: client, keys, sessions, log: pino({ level: 'silent' }) });
runtime.lease = 'L';
let n = 0;
const ev = (type: string, extra: object = {}) => ({ kind: 'legacy' as const, user: 'romeo@montague.lit', legacyId: 'hall', event: { type, eventId: `e${++n}`, at: new Date().toISOString(), from: 'romeo@montague.lit/gajim', ...extra } as never });
const handler = async (job: any, ctx: PartitionRuntime) => { await ctx.deliver((await ctx.rooms.get(session, job.legacyId, true))!, job.event); };
const poison = async (_j: unknown, e: unknown) => { throw e; };
await runtime.run([ev('xmpp.join', { nick: 'romeo', history: { maxstanzas: 0 } })], handler, poison);
const times: number[] = []; const cpus: number[] = [];
for (let i = 0; i < 40; i++) {
  await runtime.run([ev('xmpp.leave')], handler, poison);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await runtime.run([ev('xmpp.join', { nick: 'romeo', history: { maxstanzas: 0 } })], handler, poison);
  const c = process.cpuUsage(c0);
  if (i >= 10) { times.push(performance.now() - t0); cpus.push((c.user + c.system) / 1000); }
}
times.sort((a, b) => a - b); cpus.sort((a, b) => a - b);
console.log(`warm join of ${N}: wall median ${times[15]!.toFixed(2)} ms (min ${times[0]!.toFixed(2)}), CPU median ${cpus[15]!.toFixed(2)} ms`);
client.disconnect(); await server.stop();
