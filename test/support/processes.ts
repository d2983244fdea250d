// roomgate as separate processes (`bin/roomgate.js edge|worker|demo-network ...`), for the
// scale-out and failover tests: each logs to its own file, and can be killed like a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface RoomgateProcess {
  role: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the first log line matching `pattern` (pino JSON, parsed). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnRoomgate(role: string, configPath: string, dir: string, name = role): RoomgateProcess {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // with the node flags of bin/roomgate.js's first line, as an operator runs it; ROOMGATE_EXTRA_NODE_FLAGS
  // adds some (\`--cpu-prof --cpu-prof-dir=DIR\` to profile W6's workers)
  const extra = (process.env.ROOMGATE_EXTRA_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, ['--max-semi-space-size=64', ...extra, 'bin/roomgate.js', role, '--config', configPath], {
    stdio: ['ignore', fd, fd], env: { ...process.env },
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // a test that dies must not leave gateways running
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    role, child, logFile,
    async waitForLog(pattern, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        for (const line of readFileSync(logFile, 'utf8').split('\n')) {
          if (!pattern.test(line)) continue;
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { line };
          }
        }
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${name}: no log line matching ${pattern} within ${timeoutMs} ms:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      process.off('exit', onExit);
    },
  };
}
