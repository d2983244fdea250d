/**
 * Micro-benchmark of W2-IRC's IRC side in roomgate: PRIVMSG lines as InspIRCd relays them
 * (msgid and time tags, 100 lines a write) from a scripted server on loopback (the session
 * tests' fake server), through the IRC connection and the IRC session, to the room events a room
 * queues. Prints the CPU per line over the measured lines, after a warm-up of 5,000. Compare
 * versions in alternating runs: its instruction counts (bench/micro/instructions.ts) vary from
 * run to run by more than a change's worth, as how many lines each socket read brings does.
 *
 *   node --import tsx bench/micro/irc-lines.ts [--lines N]
 */
import { parseArgs } from 'node:util';
import { startFakeServer } from '../../test/unit/legacy/irc/fake-server.ts';
import { ircHarness } from '../../test/unit/legacy/irc/fixtures.ts';

const { values } = parseArgs({ options: { lines: { type: 'string' } } });
const N = Number(values.lines ?? 20_000);
const PER_WRITE = 100;

const server = await startFakeServer();
const h = await ircHarness(server.port);
const welcome = server.nextClient();
await h.session.login();
const irc = await welcome;
await h.session.ensureJoined('#bench');
irc.send(':bob!b@bob.host JOIN #bench');
while (!(await h.take()).length) await new Promise((r) => setTimeout(r, 1));

let sent = 0;
/** Sends `count` lines from bob, 100 a write, and resolves once the room has them all. */
async function burst(count: number): Promise<void> {
  const all = roomHas(count);
  const t = Date.now(); // after the JOIN: older lines would be history
  for (let i = 0; i < count; i += PER_WRITE) {
    let chunk = '';
    for (let j = i; j < Math.min(count, i + PER_WRITE); j++) {
      const n = ++sent;
      chunk += `@msgid=${(1e9 + n).toString(36)}-LDLYHU9Z0IMRJ6R;time=${new Date(t + n).toISOString()} :bob!b@bob.host PRIVMSG #bench :message ${n}\r\n`;
    }
    irc.send(Buffer.from(chunk));
  }
  await all;
  h.events.splice(0);
}

/** Resolves when the room has recorded `count` events: no polling, whose cost would vary with timing. */
function roomHas(count: number): Promise<void> {
  return new Promise((resolve) => {
    const events = h.events;
    events.push = (...items) => {
      const n = Array.prototype.push.apply(events, items);
      if (n >= count) {
        Reflect.deleteProperty(events, 'push'); // back to Array.prototype.push
        if (n > count) throw new Error(`${n} room events for ${count} lines`);
        resolve();
      }
      return n;
    };
  });
}

await burst(5000); // warm-up: V8 optimises the per-line path
const c0 = process.cpuUsage();
await burst(N);
const c = process.cpuUsage(c0);
console.log(`IRC PRIVMSG lines to room events: ${((c.user + c.system) / N).toFixed(1)} µs of CPU per line over ${N.toLocaleString('en')}`);
await h.session.logout();
await server.close();
