// Child server processes (redis-server, prosody, inspircd) for the tests and `npm run demo`,
// that cannot outlive us.
//
// Three layers keep stray daemons from piling up:
//  1. stop() sends SIGTERM, then SIGKILL after a grace period;
//  2. a process 'exit' hook SIGKILLs whatever is still running and removes temp dirs;
//  3. the daemon is started through `setpriv --pdeathsig KILL`, so the kernel kills it even
//     when the test process itself is SIGKILLed or crashes (no 'exit' hook runs then).
// scripts/test.sh adds a fourth: pid files in $ROOMGATE_TEST_PIDDIR, swept after the run.
//
// Development tooling, not part of the gateway: src/main.ts never imports it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const KEEP_DIRS = process.env.ROOMGATE_KEEP_TEST_DIRS === '1';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** File receiving the daemon's stdout and stderr. */
  readonly outputFile: string;
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after graceMs (at once when graceMs <= 0); resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const liveDaemons = new Set<{ pid: number; pidFile?: string }>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here.
  process.on('exit', () => {
    for (const d of liveDaemons) {
      try { process.kill(d.pid, 'SIGKILL'); } catch { /* already gone */ }
      if (d.pidFile) try { unlinkSync(d.pidFile); } catch { /* ignore */ }
    }
    if (!KEEP_DIRS) for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A private temp dir (0700), removed by removeTempDir() or at process exit. */
export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `roomgate-test-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  liveDirs.delete(dir);
  if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
}

export function spawnDaemon(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  outputFile: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run it in its own session and process group, so that a Ctrl-C in the terminal (SIGINT to
   * the whole foreground group) reaches only us and we stop it in order. The kernel still kills
   * it when we die (pdeathsig).
   */
  ownProcessGroup?: boolean;
}): Daemon {
  installExitHook();
  const out = openSync(opts.outputFile, 'w'); // fresh per start: error tails show this attempt only
  const [cmd, args] = SETPRIV
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', opts.command, ...opts.args]]
    : [opts.command, opts.args];
  // Output goes straight to a file: no pipes to drain, nothing keeping our event loop alive.
  const child = spawn(cmd, args, {
    cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', out, out], detached: opts.ownProcessGroup ?? false,
  });
  closeSync(out);

  let done = false;
  const entry: { pid: number; pidFile?: string } = { pid: child.pid ?? -1 };
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo) => {
      if (done) return;
      done = true;
      liveDaemons.delete(entry);
      if (entry.pidFile) try { unlinkSync(entry.pidFile); } catch { /* ignore */ }
      resolve(info);
    };
    child.once('error', (error) => finish({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => finish({ code, signal }));
  });
  // A daemon someone forgot to stop must not keep the test process alive: the exit hook kills it.
  child.unref();

  if (child.pid !== undefined) {
    liveDaemons.add(entry);
    const pidDir = process.env.ROOMGATE_TEST_PIDDIR;
    if (pidDir) {
      entry.pidFile = join(pidDir, `${opts.name}-${child.pid}.pid`);
      try { writeFileSync(entry.pidFile, `${child.pid}\n`); } catch { entry.pidFile = undefined; }
    }
  }

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    outputFile: opts.outputFile,
    exited,
    running: () => !done,
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill(graceMs <= 0 ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => { if (!done) child.kill('SIGKILL'); }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Last `lines` lines of a file, or a note that it is missing (for error messages). */
export function tailFile(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error.message}`;
  return info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}

/** True when a TCP connection to 127.0.0.1:port is accepted. */
export function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * True when process `pid` itself has a socket listening on 127.0.0.1:port (Linux /proc).
 * Stronger than canConnect: a port picked by freePort() can be grabbed by someone else
 * between picking and binding, and then connecting would succeed against the wrong server.
 * Falls back to canConnect where /proc is not available.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  let table: string;
  try {
    table = await readFile('/proc/net/tcp', 'utf8');
  } catch {
    return canConnect(port);
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '0A' && f[9]) inodes.add(`socket:[${f[9]}]`);
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (inodes.has(await readlink(`/proc/${pid}/fd/${fd}`))) return true;
    } catch { /* fd closed meanwhile */ }
  }
  return false;
}

/** Throws when `file` matches `pattern`: a daemon that logs a fatal-for-us error but keeps running. */
export function failIfLogged(file: string, pattern: RegExp, what: string): void {
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return; }
  const m = pattern.exec(text);
  if (m) throw new Error(`${what}: ${text.slice(m.index).split('\n')[0]}`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns true. Fails early when the daemon exits, and on timeout.
 * The error says what was awaited; callers add log tails.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { daemon?: Daemon; timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15000);
  let exitInfo: ExitInfo | undefined;
  void opts.daemon?.exited.then((info) => { exitInfo = info; });
  for (;;) {
    if (exitInfo) throw new Error(`${opts.daemon?.name}: ${describeExit(exitInfo)} while waiting for ${what}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 15000} ms waiting for ${what}`);
    await sleep(opts.intervalMs ?? 25);
  }
}

/** Runs `attempt` up to `times` times (start-up races on freshly picked ports); throws the last error. */
export async function retry<T>(times: number, attempt: (n: number) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let n = 1; n <= times; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
