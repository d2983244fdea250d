/**
 * Micro-benchmark of W4a's roomgate part without XMPP: one job of 200 joins, each to a room of
 * 5 participants the user never joined (cold: the room is created, filled and backfilled), on a
 * real partition runtime committing to a private Redis. Wall time (apply + commit) and CPU per
 * job, over 15 jobs after 5 of warm-up; `--profile FILE` writes a CPU profile of the last 10.
 * `--warm`: the same rooms each time, left (unmeasured) before each job: W4a's warm joins.
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/join-many.ts [--rooms 200] [--warm] [--profile FILE]
 */
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { JOIN, partitionFixture } from './partition-fixture.ts';

const { values } = parseArgs({ options: { rooms: { type: 'string' }, warm: { type: 'boolean' }, profile: { type: 'string' } } });
const WARM = values.warm === true;
const ROOMS = Number(values.rooms ?? 200);
const { mucs, event, run, stop } = await partitionFixture(5);
const inspector = values.profile ? new InspectorSession() : null;
const times: number[] = []; const cpus: number[] = [];
for (let i = 0; i < 20; i++) {
  if (i === 10 && inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
    await inspector.post('Profiler.start');
  }
  const room = (r: number) => (WARM ? `room-${r}` : `room-${i}-${r}`);
  if (WARM && i > 0) await run(Array.from({ length: ROOMS }, (_, r) => event(room(r), 'xmpp.leave')));
  const jobs = Array.from({ length: ROOMS }, (_, r) => event(room(r), 'xmpp.join', JOIN));
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await run(jobs);
  const c = process.cpuUsage(c0);
  if (i >= 5) { times.push(performance.now() - t0); cpus.push((c.user + c.system) / 1000); }
  if (!WARM) mucs.clear(); // the next job's rooms are new ones
}
if (inspector && values.profile) writeFileSync(values.profile, JSON.stringify((await inspector.post('Profiler.stop')).profile));
times.sort((a, b) => a - b); cpus.sort((a, b) => a - b);
const mid = Math.floor(times.length / 2);
console.log(`${ROOMS} ${WARM ? 'warm' : 'cold'} joins in one job: wall median ${times[mid]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}), CPU median ${cpus[mid]!.toFixed(1)} ms (min ${cpus[0]!.toFixed(1)})`);
await stop();
