// A private redis-server per test suite: own loopback port, own data dir, no persistence
// unless asked (appendOnly is for tests that restart Redis and expect data to survive).
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { listensOn, makeTempDir, removeTempDir, retry, spawnDaemon, tailFile, waitUntil, type Daemon } from './daemon.ts';

export interface TestRedis {
  port: number;
  url: string;
  /** Data dir (kept across restart()). */
  dir: string;
  /** Stops and starts redis-server on the same port and dir; `crash` uses SIGKILL instead of a clean shutdown. */
  restart(opts?: { crash?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** Sends an inline PING and resolves true on +PONG (false while loading, refused, etc.). */
function pingOnce(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let buf = '';
    const finish = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) finish(buf.startsWith('+PONG'));
    });
  });
}

function launch(port: number, dir: string, appendOnly: boolean): Daemon {
  return spawnDaemon({
    name: 'redis',
    command: 'redis-server',
    // Foreground (no --daemonize) so we own the process; logfile "" = stdout = our output file.
    args: [
      '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no',
      '--save', '', '--appendonly', appendOnly ? 'yes' : 'no', '--appendfsync', 'everysec',
      '--dir', dir, '--daemonize', 'no', '--logfile', '', '--databases', '16',
    ],
    cwd: dir,
    outputFile: join(dir, 'redis.out'),
  });
}

async function waitReady(daemon: Daemon, port: number, dir: string): Promise<void> {
  try {
    // Ours on that port first (redis exits if it cannot bind, but another server may answer).
    await waitUntil(`redis listening on port ${port}`, () => listensOn(daemon.pid, port), { daemon, timeoutMs: 15000 });
    await waitUntil(`redis PING on port ${port}`, () => pingOnce(port), { daemon, timeoutMs: 15000 });
  } catch (err) {
    await daemon.stop(1000);
    throw new Error(`${(err as Error).message}\n--- redis output ---\n${tailFile(join(dir, 'redis.out'))}`);
  }
}

export async function startRedis(opts: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const appendOnly = opts.appendOnly ?? false;
  const dir = makeTempDir('redis');
  try {
    let port = 0;
    let daemon = await retry(3, async () => {
      port = await freePort();
      const d = launch(port, dir, appendOnly);
      await waitReady(d, port, dir);
      return d;
    });
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      dir,
      async restart(r = {}) {
        await daemon.stop(r.crash ? 0 : 10000);
        daemon = launch(port, dir, appendOnly);
        await waitReady(daemon, port, dir);
      },
      async stop() {
        await daemon.stop();
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
