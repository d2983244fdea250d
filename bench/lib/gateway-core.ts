/**
 * What the bench asks of a running roomgate, the same whether roomgate runs in the bench
 * process or in a child (bench/gateway-proc.ts relays these over IPC). Everything here talks
 * to the demo network in-process: it is the legacy side of the benchmark.
 */
import inspector from 'node:inspector';
import v8 from 'node:v8';
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import type { DemoShared } from '../../src/legacy/demo/plugin.ts';
import type { DemoEvent } from '../../src/legacy/demo/types.ts';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

export interface PostResult { t0: number; t1: number }
export interface OrderCheck { received: number; lost: number; duplicated: number; reordered: number }
export interface ObserveResult extends OrderCheck { tLast: number | null; sentListed: number; sentInOrder: boolean }
export interface MemoryResult {
  heapUsed: number; heapTotal: number; rss: number; external: number; arrayBuffers: number;
  /** What the worker holds per room, for W5 (bench/workloads/w5-known.ts); absent without a worker. */
  counts?: WorkerCounts;
}
/** Per-room structures of the worker, read through its (private) fields: what grows with rooms. */
export interface WorkerCounts { liveRooms: number; sessions: number; sessionRoomObjects: number; bookmarksKnown: number }

/** Counts numbered bodies `${prefix}${i}`, i from 0: losses, duplicates and order. */
export class OrderChecker {
  private readonly seen: Uint8Array;
  private next = 0;
  received = 0;
  duplicated = 0;
  reordered = 0;
  constructor(private readonly prefix: string, readonly expected: number) {
    this.seen = new Uint8Array(expected);
  }
  /** Returns true when the body belonged to this series. */
  add(body: string | null | undefined): boolean {
    if (!body || !body.startsWith(this.prefix)) return false;
    const i = Number(body.slice(this.prefix.length));
    if (!Number.isInteger(i) || i < 0 || i >= this.expected) return false;
    if (this.seen[i]) { this.duplicated++; return true; }
    this.seen[i] = 1;
    this.received++;
    if (i !== this.next) this.reordered++;
    this.next = i + 1;
    return true;
  }
  get complete(): boolean { return this.received >= this.expected; }
  result(): OrderCheck {
    return { received: this.received, lost: this.expected - this.received, duplicated: this.duplicated, reordered: this.reordered };
  }
}

export class GatewayCore {
  private profiler: inspector.Session | null = null;
  private observing: ((timeoutMs: number) => Promise<ObserveResult>) | null = null;

  private constructor(readonly gateway: Gateway) {}

  static async start(configPath: string): Promise<GatewayCore> {
    const config = await loadConfig(configPath, {});
    return new GatewayCore(await startGateway(config, createLogger(config.log.level)));
  }

  private get network() { return (this.gateway.shared as DemoShared).network; }

  /** W2: `count` messages from `from`, posted in a tight loop, as fast as the legacy side can. */
  post(roomId: string, from: string, prefix: string, count: number): PostResult {
    const network = this.network;
    const t0 = now();
    for (let i = 0; i < count; i++) network.post(roomId, { from, body: `${prefix}${i}` });
    return { t0, t1: now() };
  }

  /**
   * W3: starts listening as another member of the room: `observeWait` resolves when the
   * network has delivered `count` numbered messages of the XMPP user (or after its timeout),
   * and then checks the room's `sent` list too.
   */
  observeStart(roomId: string, prefix: string, count: number): void {
    const network = this.network;
    const check = new OrderChecker(prefix, count);
    let tLast: number | null = null;
    let done: () => void = () => undefined;
    const complete = new Promise<void>((resolve) => { done = resolve; });
    const conn = network.connect('observer@bench.invalid', 'observer', (event: DemoEvent) => {
      if (event.type !== 'message' || event.roomId !== roomId) return;
      if (check.add(event.body) && check.complete) {
        tLast = now();
        done();
      }
    });
    this.observing = async (timeoutMs: number) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([complete, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
      clearTimeout(timer);
      conn.disconnect();
      const sent = network.room(roomId).sent.filter((m) => m.body.startsWith(prefix));
      const sentInOrder = sent.every((m, i) => m.body === `${prefix}${i}`);
      return { ...check.result(), tLast, sentListed: sent.length, sentInOrder };
    };
  }

  observeWait(timeoutMs: number): Promise<ObserveResult> {
    const wait = this.observing;
    if (!wait) throw new Error('observeStart first');
    this.observing = null;
    return wait(timeoutMs);
  }

  /** Heap and RSS after forcing garbage collection (needs --expose-gc). */
  async memory(): Promise<MemoryResult> {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('memory: run with node --expose-gc');
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const m = process.memoryUsage();
    const counts = this.counts();
    return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, ...(counts ? { counts } : {}) };
  }

  /** Sizes of the worker's per-room maps (the plugin's room objects, Sessions.entries, each session's bookmarks). */
  private counts(): WorkerCounts | undefined {
    const worker = this.gateway.worker;
    if (!worker) return undefined;
    const s = worker.sessions as unknown as { entries?: Map<string, { session: { bookmarks: { knownLegacyIds(): string[] } } }> };
    let bookmarksKnown = 0;
    for (const e of s.entries?.values() ?? []) bookmarksKnown += e.session.bookmarks.knownLegacyIds().length;
    return { liveRooms: worker.liveRooms(), sessions: s.entries?.size ?? -1, sessionRoomObjects: worker.sessions.roomObjects, bookmarksKnown };
  }

  /**
   * Hibernates every room not busy (drops the actors from memory; their snapshots stay in
   * Redis). Null when this roomgate cannot hibernate rooms.
   */
  async hibernate(): Promise<{ hibernated: number; live: number } | null> {
    const worker = this.gateway.worker as unknown as { hibernateIdle?: (idleMs?: number) => Promise<number>; liveRooms?: () => number };
    if (!worker.hibernateIdle) return null;
    await new Promise((r) => setTimeout(r, 5)); // "idle since now" must be in the past
    const hibernated = await worker.hibernateIdle(0);
    return { hibernated, live: worker.liveRooms?.() ?? -1 };
  }

  /** Writes a V8 heap snapshot (after GC) for offline analysis; returns its path. */
  async heapSnapshot(file: string): Promise<string> {
    await this.memory();
    return v8.writeHeapSnapshot(file);
  }

  /** CPU time of this process so far, in ms (user + system). */
  cpuMs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }

  /** Starts the V8 sampling profiler (same data as `node --cpu-prof`, for a chosen window). */
  async profileStart(intervalUs = 200): Promise<void> {
    const session = new inspector.Session();
    session.connect();
    const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
    // allocations too, the collected ones included: what the garbage collector has to sweep;
    // BENCH_HEAP_SURVIVORS=1 leaves out what died young: what survived a scavenge (copied, promoted)
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 16384, includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SURVIVORS !== '1',
    });
    this.profiler = session;
  }

  /** Stops the profilers and writes the .cpuprofile file, and the allocations beside it (.heapprofile). */
  async profileStop(file: string): Promise<string> {
    const session = this.profiler;
    if (!session) throw new Error('profiler not started');
    this.profiler = null;
    const stop = (method: string) => new Promise<{ profile: unknown }>((resolve, reject) =>
      session.post(method, (err, r) => (err ? reject(err) : resolve(r as { profile: unknown }))));
    const cpu = await stop('Profiler.stop');
    const heap = await stop('HeapProfiler.stopSampling');
    session.disconnect();
    await writeFile(file, JSON.stringify(cpu.profile));
    await writeFile(file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap.profile));
    return file;
  }

  async stop(): Promise<void> {
    await this.gateway.stop();
  }
}
