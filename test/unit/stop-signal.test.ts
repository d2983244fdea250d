import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/stop-signal.ts', import.meta.url));

/** A process that stops as `roomgate start` does, with a graceful stop that never ends (a drain that hangs). */
function hangingStopper() {
  const script = `
    import { stopSignal } from ${JSON.stringify(MODULE)};
    import { pino } from 'pino';
    const log = pino();
    setInterval(() => undefined, 1000); // the gateway's sockets keep a gateway alive
    const signal = await stopSignal(() => log);
    log.info({ signal }, 'stopping');
    await new Promise(() => undefined);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, lines: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; signal: string }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

test('a second SIGTERM while stopping exits at once, and says so; the same signal twice in a moment (npm\'s Ctrl-C) does not', { timeout: 20_000 }, async (t) => {
  const p = hangingStopper();
  t.after(() => p.child.kill('SIGKILL'));
  await sleep(1500); // tsx compiles the script
  p.child.kill('SIGTERM');
  await until(() => p.lines().some((l) => l.msg === 'stopping'));
  p.child.kill('SIGINT'); // at once: the terminal's Ctrl-C forwarded a second time
  await sleep(300);
  assert.equal(p.child.exitCode, null, 'still stopping gracefully');
  await sleep(1400);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 130);
  assert.deepEqual(p.lines().map((l) => [l.msg, l.signal]), [['stopping', 'SIGTERM'], ['second signal: stopping now, without waiting', 'SIGTERM']]);
});
