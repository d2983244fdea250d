/**
 * Micro-benchmark of a warm join (W1's roomgate part) without XMPP: a real partition runtime and
 * commit against a private Redis, a plugin whose room has N participants. The user leaves and
 * joins again 40 times; the last 30 joins' wall time (apply + commit round trip) and CPU.
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/join.ts [N]
 */
import { JOIN, partitionFixture } from './partition-fixture.ts';

const N = Number(process.argv[2] ?? 1000);
const { event, run, stop } = await partitionFixture(N);
await run([event('hall', 'xmpp.join', JOIN)]);
const times: number[] = []; const cpus: number[] = [];
for (let i = 0; i < 40; i++) {
  await run([event('hall', 'xmpp.leave')]);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await run([event('hall', 'xmpp.join', JOIN)]);
  const c = process.cpuUsage(c0);
  if (i >= 10) { times.push(performance.now() - t0); cpus.push((c.user + c.system) / 1000); }
}
times.sort((a, b) => a - b); cpus.sort((a, b) => a - b);
console.log(`warm join of ${N}: wall median ${times[15]!.toFixed(2)} ms (min ${times[0]!.toFixed(2)}), CPU median ${cpus[15]!.toFixed(2)} ms`);
await stop();
