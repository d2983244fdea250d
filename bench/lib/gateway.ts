/**
 * roomgate under test, either in a child process (the default: the client load of the bench
 * then does not share roomgate's event loop, as in a real deployment) or in the bench process.
 * Both run the same `startGateway` from a generated config file.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayCore, type MemoryResult, type ObserveResult, type PostResult } from './gateway-core.ts';

export type GatewayMode = 'child' | 'inproc';

export interface GatewaySpec {
  dir: string;
  component: { jid: string; secret: string; port: number };
  redisUrl: string;
  prefix: string;
  worldPath: string;
  partitions?: number;
  /** roomgate's `[workers]` table (W5K: longer leases, see bench/workloads/w5-known.ts). */
  workers?: { leaseTtlMs?: number; tickMs?: number };
  /** Another plugin than the demo one, with its options (the IRC workloads: bench/workloads/irc.ts). */
  plugin?: { name: string; options: Record<string, unknown> };
}

export interface GatewayHandle {
  mode: GatewayMode;
  /** The process running roomgate (the bench's own in-process). */
  pid: number;
  post(roomId: string, from: string, prefix: string, count: number): Promise<PostResult>;
  observeStart(roomId: string, prefix: string, count: number): Promise<void>;
  observeWait(timeoutMs: number): Promise<ObserveResult>;
  memory(): Promise<MemoryResult>;
  /** Drops every idle room actor from memory (null: this roomgate cannot). */
  hibernate(): Promise<{ hibernated: number; live: number } | null>;
  /** V8 heap snapshot of roomgate's process (after GC), for offline analysis. */
  heapSnapshot(file: string): Promise<string>;
  cpuMs(): Promise<number>;
  profileStart(intervalUs?: number): Promise<void>;
  profileStop(file: string): Promise<string>;
  stop(): Promise<void>;
}

const PROC = fileURLToPath(new URL('../gateway-proc.ts', import.meta.url));

export async function writeGatewayConfig(spec: GatewaySpec): Promise<string> {
  const file = join(spec.dir, `roomgate-${spec.prefix.replace(/[^a-z0-9-]/gi, '_')}.json`);
  await writeFile(file, JSON.stringify({
    component: { jid: spec.component.jid, secret: spec.component.secret },
    xmpp: { host: '127.0.0.1', port: spec.component.port },
    redis: { url: spec.redisUrl, prefix: spec.prefix },
    ...(spec.partitions ? { partitions: spec.partitions } : {}),
    ...(spec.workers ? { workers: spec.workers } : {}),
    plugin: spec.plugin ?? { name: 'demo', options: { world: spec.worldPath, httpPort: 0, shiftTimestamps: false } },
    log: { level: process.env.ROOMGATE_BENCH_LOG ?? process.env.ROOMGATE_TEST_LOG ?? 'silent' },
  }, null, 2));
  return file;
}

export async function startGateway(mode: GatewayMode, spec: GatewaySpec): Promise<GatewayHandle> {
  const configPath = await writeGatewayConfig(spec);
  return mode === 'child' ? startChild(configPath, spec.dir) : startInProcess(configPath);
}

async function startInProcess(configPath: string): Promise<GatewayHandle> {
  const core = await GatewayCore.start(configPath);
  return {
    mode: 'inproc',
    pid: process.pid,
    post: async (...a) => core.post(...a),
    observeStart: async (...a) => core.observeStart(...a),
    observeWait: (t) => core.observeWait(t),
    memory: () => core.memory(),
    hibernate: () => core.hibernate(),
    heapSnapshot: (f) => core.heapSnapshot(f),
    cpuMs: async () => core.cpuMs(),
    profileStart: (i) => core.profileStart(i),
    profileStop: (f) => core.profileStop(f),
    stop: () => core.stop(),
  };
}

/** The node flags `bin/roomgate.js` runs with. */
export const ROOMGATE_NODE_FLAGS = '--max-semi-space-size=64';

let childCounter = 0;

async function startChild(configPath: string, dir: string): Promise<GatewayHandle> {
  // BENCH_CHILD_LOG=PREFIX keeps each child's output as PREFIX-N.log (e.g. with BENCH_NODE_FLAGS='... --trace-gc')
  const n = ++childCounter;
  const logFile = process.env.BENCH_CHILD_LOG ? `${process.env.BENCH_CHILD_LOG}-${n}.log` : join(dir, `gateway-${n}.log`);
  const out = openSync(logFile, 'w');
  const child: ChildProcess = fork(PROC, [configPath], {
    // roomgate's own node flags (bin/roomgate.js); BENCH_NODE_FLAGS replaces them ('' for node's defaults)
    execArgv: ['--expose-gc', ...(process.env.BENCH_NODE_FLAGS ?? ROOMGATE_NODE_FLAGS).split(' ').filter(Boolean), '--import', 'tsx'],
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env },
  });
  closeSync(out);
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (msg: { ready?: boolean; error?: string; id?: number; ok?: boolean; result?: unknown }) => {
      if (msg.ready !== undefined) {
        if (msg.ready) resolve(); else reject(new Error(`roomgate child failed to start:\n${msg.error}`));
        return;
      }
      const p = pending.get(msg.id!);
      if (!p) return;
      pending.delete(msg.id!);
      if (msg.ok) p.resolve(msg.result); else p.reject(new Error(`roomgate child: ${msg.error}`));
    });
    child.once('exit', (code, signal) => {
      exited = true;
      const err = new Error(`roomgate child exited (${signal ?? code}); log: ${logFile}`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  // The child dies with us even on SIGKILL of the bench: it exits when the IPC channel closes.
  process.once('exit', () => { if (!exited) child.kill('SIGKILL'); });
  await ready;
  const call = <T>(cmd: string, ...args: unknown[]): Promise<T> => new Promise<T>((resolve, reject) => {
    if (exited) return reject(new Error('roomgate child is gone'));
    const id = ++nextId;
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, cmd, args });
  });
  return {
    mode: 'child',
    pid: child.pid!,
    post: (...a) => call('post', ...a),
    observeStart: (...a) => call('observeStart', ...a),
    observeWait: (t) => call('observeWait', t),
    memory: () => call('memory'),
    hibernate: () => call('hibernate'),
    heapSnapshot: (f) => call('heapSnapshot', f),
    cpuMs: () => call('cpuMs'),
    profileStart: (i) => call('profileStart', i),
    profileStop: (f) => call('profileStop', f),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await call('stop').catch(() => undefined);
      await gone;
      clearTimeout(timer);
    },
  };
}
