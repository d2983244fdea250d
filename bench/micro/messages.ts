/**
 * Micro-benchmark of W2's and W3's roomgate path between the mailbox and Redis, without XMPP:
 * jobs of 500 messages to one joined room of 10, through a real partition runtime that applies
 * them (room actor, stanzas, archive) and commits each job to a private Redis. `--kind legacy`:
 * a participant's messages (W2); `--kind user`: the user's messages, each sent to the network
 * and echoed (W3). Prints the CPU per message over the measured jobs, after a warm-up of 4 jobs
 * and at least 5,000 messages.
 * Its instructions per message, which do not move with the machine's phase: bench/micro/instructions.ts.
 * `--per-job 1`: a job per message, as a host of many quiet rooms runs them (W4b), where a
 * job's fixed cost (its commit's round trip to Redis above all) is the whole cost.
 *
 * `--size N` (default 10): the room's participants; the speaker is participant-1, or the last
 * one with `--speaker last` (a large room's speakers are found by nick). `--typing`: every other
 * event is the speaker's `composing` chat state (the messages then each reset it to `active`).
 *
 *   node --max-semi-space-size=64 --import tsx bench/micro/messages.ts [--kind legacy|user] [--messages N] [--per-job 500] [--size 10] [--speaker first|last] [--typing]
 */
import { parseArgs } from 'node:util';
import { JOIN, partitionFixture } from './partition-fixture.ts';

const { values } = parseArgs({ options: { kind: { type: 'string' }, messages: { type: 'string' }, 'per-job': { type: 'string' }, size: { type: 'string' }, speaker: { type: 'string' }, typing: { type: 'boolean' } } });
const KIND = values.kind ?? 'legacy';
const N = Number(values.messages ?? 20_000);
const PER_JOB = Number(values['per-job'] ?? 500);
if (!Number.isInteger(PER_JOB) || PER_JOB < 1) throw new Error(`--per-job: a whole number of messages, not ${values['per-job']}`);

const SIZE = Number(values.size ?? 10);
if (!Number.isInteger(SIZE) || SIZE < 2) throw new Error(`--size: a whole number of participants from 2, not ${values.size}`);
const SPEAKER = values.speaker === 'last' ? `participant-${SIZE - 1}` : 'participant-1';
/** Every other event a `composing` chat state instead of a message, as when the speaker types between them. */
const TYPING = values.typing === true;
const { event, run, stop } = await partitionFixture(SIZE);
await run([event('hall', 'xmpp.join', JOIN)]);
let i = 0;
const job = () => Array.from({ length: PER_JOB }, () => {
  const n = ++i;
  return KIND === 'user'
    ? event('hall', 'xmpp.message', { id: `c${n}`, body: `message ${n}`, xml: `<message type="groupchat" id="c${n}"><body>message ${n}</body></message>` })
    : TYPING && n % 2 ? event('hall', 'legacy.chatState', { participant: { nick: SPEAKER }, state: 'composing' })
    : event('hall', 'legacy.message', { participant: { nick: SPEAKER }, body: `message ${n}`, legacyId: `m${n}` });
});
// warm code: small jobs need many of them before V8 has optimised the per-job path
const WARMUP_JOBS = Math.max(4, Math.ceil(5000 / PER_JOB));
for (let w = 0; w < WARMUP_JOBS; w++) await run(job());
const c0 = process.cpuUsage();
for (let done = 0; done < N; done += PER_JOB) await run(job());
const c = process.cpuUsage(c0);
console.log(`${KIND} ${TYPING && KIND === 'legacy' ? 'messages and chat states' : 'messages'} in a room of ${SIZE.toLocaleString('en')}${KIND === 'legacy' ? ` from ${SPEAKER}` : ''}: ${((c.user + c.system) / N).toFixed(1)} µs of CPU per event over ${N.toLocaleString('en')}`);
await stop();
