/**
 * How fast is this shared machine right now? Two fixed workloads, timed: an arithmetic loop
 * (3·10⁸ steps) and a random walk through 64 MB of memory (10⁷ dependent reads, each a cache
 * and TLB miss). The machine's phase moves the second far more than the first (1.5–2.1 s in the
 * fourteenth pass's slow phase, where Prosody moved half the messages it moves in a fast one),
 * so read it before a table run: a few seconds, where the ceiling takes minutes.
 *
 *   node --import tsx bench/micro/machine-probe.ts
 */
const N = 16 * 1024 * 1024;

function arithmeticMs(): number {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 3e8; i++) x = (x + i * 7) % 1000003;
  if (x < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
  return performance.now() - t0;
}

function memoryMs(): number {
  // one cycle through all N slots (Sattolo's shuffle, fixed seed): every read depends on the last
  const next = new Int32Array(N);
  for (let i = 0; i < N; i++) next[i] = i;
  let seed = 12345;
  for (let i = N - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const k = seed % i;
    const t = next[i]!; next[i] = next[k]!; next[k] = t;
  }
  const t0 = performance.now();
  let j = 0;
  for (let i = 0; i < 1e7; i++) j = next[j]!;
  if (j < 0) throw new Error('unreachable');
  return performance.now() - t0;
}

console.log(`arithmetic ${arithmeticMs().toFixed(0)} ms, memory walk ${memoryMs().toFixed(0)} ms`);
