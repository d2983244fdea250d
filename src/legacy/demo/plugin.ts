/**
 * The demo plugin: roomgate's own simulated legacy network, for the quick start, the tests and
 * the benchmarks. Every user registered with it shares one `DemoNetwork`; the HTTP API plays
 * the other people on it.
 */
import type { Logger } from 'pino';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { definePlugin, LegacyParticipant } from '../index.ts';
import { DemoBookmarks } from './bookmarks.ts';
import { startChatter } from './chatter.ts';
import { startDemoHttp, type DemoHttp } from './http.ts';
import { DemoMUC } from './muc.ts';
import { DemoNetwork } from './network.ts';
import { JOURNAL_MAX } from './journal.ts';
import { ReplicaDemoNetwork } from './replica.ts';
import { DemoSession } from './session.ts';
import { formatIssues, loadWorld, shiftTimestamps } from './world.ts';

/** The world used when the options name none. */
export const SAMPLE_WORLD_PATH = fileURLToPath(new URL('./sample-world.json', import.meta.url));
/** Port of the demo HTTP API when the options name none. */
export const DEFAULT_HTTP_PORT = 8470;

const optionsSchema = z.object({
  /** Path of a world file; default: the bundled sample world. */
  world: z.string().min(1).default(SAMPLE_WORLD_PATH),
  /**
   * Move every date of the world so that its newest message is five minutes old at start-up:
   * a static file then still falls inside the history clients ask for on join.
   */
  shiftTimestamps: z.boolean().default(true),
  /** Port of the HTTP API; 0 picks a free one. */
  httpPort: z.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
  /** Interface of the HTTP API; it has no authentication, so keep it on loopback. */
  httpHost: z.string().min(1).default('127.0.0.1'),
  /**
   * URL of a demo network served by another process (`roomgate demo-network`): this process
   * keeps a replica of it instead of its own world. Needed when several workers share users.
   */
  networkUrl: z.string().url().optional(),
  /**
   * How many events the network's journal keeps for users and replicas to catch up from (at
   * least, up to a tenth more): ≈ 250 bytes of heap each. The bench keeps few, so that what the
   * gateway itself keeps per message shows.
   */
  journalKept: z.number().int().min(1).default(JOURNAL_MAX),
  /**
   * At login, and when a room is created, add every room the user is in to their bookmarks (`LegacyMUC.addToBookmarks`):
   * published in their PEP where their server grants the gateway IQ privilege, else a XEP-0249
   * invitation per room; once per room either way.
   */
  inviteOnLogin: z.boolean().default(false),
  /** Background chatter; none when absent. */
  chatter: z.object({
    messagesPerSecond: z.number().positive(),
    rooms: z.union([z.number().int().positive(), z.array(z.string().min(1)).min(1)]),
  }).optional(),
});

/** The demo plugin's options (`[plugin.options]` in the config file). */
export type DemoOptions = z.input<typeof optionsSchema>;

/** What every demo session shares: the network and what serves it. */
export interface DemoShared {
  network: DemoNetwork;
  /** The HTTP API, when this process serves the network (not with `networkUrl`). */
  http: DemoHttp | null;
  chatter: { stop(): void } | null;
  log: Logger;
  /** See the `inviteOnLogin` option. */
  inviteOnLogin: boolean;
}

/** Validates the plugin's options; throws naming each bad field (`chatter.rooms: ...`). */
export function parseDemoOptions(options: unknown): z.output<typeof optionsSchema> {
  const result = optionsSchema.safeParse(options);
  if (!result.success) throw new Error(`demo plugin options: ${formatIssues(result.error)}`);
  return result.data;
}

export const demoPlugin = definePlugin<DemoShared>({
  name: 'demo',
  displayName: 'Demo network',
  session: DemoSession,
  bookmarks: DemoBookmarks,
  muc: DemoMUC,
  participant: LegacyParticipant,
  registration: {
    instructions: 'Join the roomgate demo network. Pick the nickname you will have in its rooms, or leave it empty to use your JID\'s user name.',
    fields: [{ var: 'nickname', label: 'Nickname', required: false }],
  },

  async start({ options, log: parent }) {
    const log = parent.child({ module: 'demo' });
    const opts = parseDemoOptions(options);
    // unknown keys are most likely typos: say so, but a stray key is no reason to refuse to start
    const unknown = Object.keys(options).filter((key) => !(key in optionsSchema.shape));
    if (unknown.length) log.warn({ keys: unknown }, 'unknown demo plugin options ignored');

    if (opts.networkUrl) {
      const network = await ReplicaDemoNetwork.open(opts.networkUrl, log);
      log.info({ network: opts.networkUrl, rooms: network.roomIds().length }, 'demo network replica ready');
      return { network, http: null, chatter: null, log, inviteOnLogin: opts.inviteOnLogin };
    }
    const world = await loadWorld(opts.world);
    const network = new DemoNetwork(opts.shiftTimestamps ? shiftTimestamps(world, new Date()) : world, { log, journalKept: opts.journalKept });
    const chatter = opts.chatter ? startChatter(network, opts.chatter) : null;
    try {
      const http = await startDemoHttp(network, { host: opts.httpHost, port: opts.httpPort, log });
      log.info({ world: opts.world, rooms: network.roomIds().length, http: `${opts.httpHost}:${http.port}` }, 'demo network ready');
      return { network, http, chatter, log, inviteOnLogin: opts.inviteOnLogin };
    } catch (err) {
      chatter?.stop();
      throw err;
    }
  },

  async stop(shared) {
    shared.chatter?.stop();
    if (shared.network instanceof ReplicaDemoNetwork) shared.network.close();
    await shared.http?.close();
  },
});
