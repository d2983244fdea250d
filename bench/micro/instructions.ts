/**
 * Instructions per unit of work of a micro-benchmark, counted by Valgrind's callgrind: figures
 * that do not move with this shared machine's phase (CPU time does, by ±30 %), so that a change
 * of a few per cent shows. The micro-benchmark runs twice, with `--SIZE_FLAG n` and `2n`; the
 * difference of the two counts over n is the cost of one unit, start-up and warm-up left out.
 * JIT-compiled code runs under Valgrind too (`--smc-check=all-non-file`), ≈ 50× slower.
 *
 *   node --import tsx bench/micro/instructions.ts [--n 8000] [--size-flag --messages] MICRO.ts [ARGS...]
 *   e.g. bench/micro/instructions.ts bench/micro/messages.ts --kind user
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

// the options before the micro-benchmark's path are ours, what follows it is the micro-benchmark's
const argv = process.argv.slice(2);
const at = argv.findIndex((a) => a.endsWith('.ts'));
const { values } = parseArgs({ args: at < 0 ? argv : argv.slice(0, at), options: { n: { type: 'string' }, 'size-flag': { type: 'string' } } });
const [micro, ...args] = at < 0 ? [] : argv.slice(at);
if (!micro) throw new Error('usage: instructions.ts [--n N] [--size-flag FLAG] MICRO.ts [ARGS...]');
const n = Number(values.n ?? 8000);
const sizeFlag = String(values['size-flag'] ?? '--messages');

/** Instructions the whole run of the micro-benchmark executed with `size` units. */
function count(size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', [
      '--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null',
      // --single-threaded: the collector's and the compiler's work on the main thread, counted in
      // a repeatable order (threads scheduled by Valgrind moved the counts by ≈ 20 % between runs)
      process.execPath, '--single-threaded', '--max-semi-space-size=64', '--import', 'tsx', micro!, ...args.map(String), sizeFlag, String(size),
    ], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !m) reject(new Error(`valgrind exited ${code}:\n${err.slice(-2000)}`));
      else resolve(Number(m[1]));
    });
  });
}

const [one, two] = [await count(n), await count(2 * n)];
console.log(`${micro} ${args.join(' ')}: ${Math.round((two - one) / n).toLocaleString('en')} instructions per unit (${n.toLocaleString('en')} → ${(2 * n).toLocaleString('en')}: ${one.toLocaleString('en')} → ${two.toLocaleString('en')})`);
