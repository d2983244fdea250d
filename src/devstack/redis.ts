// A private redis-server: own loopback port, own data dir, no persistence unless asked
// (appendOnly is for tests that restart Redis and expect data to survive, and for the demo).
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { listensOn, makeTempDir, removeTempDir, retry, spawnDaemon, tailFile, waitUntil, type Daemon } from './daemon.ts';

export interface RedisOptions {
  /** Append-only file on: data survives a restart. */
  appendOnly?: boolean;
  /** Data dir to use and keep (created if missing); default: a temp dir removed by stop(). */
  dir?: string;
  /** Port to listen on; default: a free one (picked again if the start fails). */
  port?: number;
  /** See `spawnDaemon`: keep terminal signals away from redis-server. */
  ownProcessGroup?: boolean;
}

export interface DevRedis {
  port: number;
  url: string;
  /** Data dir (kept across restart()). */
  dir: string;
  /** Stops and starts redis-server on the same port and dir; `crash` uses SIGKILL instead of a clean shutdown. */
  restart(opts?: { crash?: boolean }): Promise<void>;
  /** The server's process id (another after `restart`), for tests that crash or pause it. */
  pid(): number;
  stop(): Promise<void>;
}

/** Former name, from when only the tests used it. */
export type TestRedis = DevRedis;

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

function launch(port: number, dir: string, appendOnly: boolean, ownProcessGroup: boolean): Daemon {
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
    ownProcessGroup,
  });
}

async function waitReady(daemon: Daemon, port: number, dir: string): Promise<void> {
  try {
    // Ours on that port first (redis exits if it cannot bind, but another server may answer).
    await waitUntil(`redis listening on port ${port}`, () => listensOn(daemon.pid, port), { daemon, timeoutMs: 15000 });
    // PING answers -LOADING while an append-only file is read back.
    await waitUntil(`redis PING on port ${port}`, () => pingOnce(port), { daemon, timeoutMs: 15000 });
  } catch (err) {
    await daemon.stop(1000);
    throw new Error(`${(err as Error).message}\n--- redis output ---\n${tailFile(join(dir, 'redis.out'))}`);
  }
}

export async function startRedis(opts: RedisOptions = {}): Promise<DevRedis> {
  const appendOnly = opts.appendOnly ?? false;
  const ownProcessGroup = opts.ownProcessGroup ?? false;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir('redis');
  const dispose = () => (ownDir ? removeTempDir(dir) : Promise.resolve());
  try {
    if (!ownDir) mkdirSync(dir, { recursive: true });
    let port = 0;
    // A port picked by freePort() can be taken before redis binds it: pick again. A given port
    // is tried once.
    let daemon = await retry(opts.port ? 1 : 3, async () => {
      port = opts.port ?? await freePort();
      const d = launch(port, dir, appendOnly, ownProcessGroup);
      await waitReady(d, port, dir);
      return d;
    });
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      dir,
      pid: () => daemon.pid,
      async restart(r = {}) {
        await daemon.stop(r.crash ? 0 : 10000);
        daemon = launch(port, dir, appendOnly, ownProcessGroup);
        await waitReady(daemon, port, dir);
      },
      async stop() {
        await daemon.stop();
        await dispose();
      },
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
