/**
 * Configuration: one file (TOML or JSON, by extension) plus environment overrides, validated
 * before anything starts. A wrong or missing field is reported with its path; roomgate never
 * starts half-configured.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.object({
  component: z.object({
    /** The gateway's JID: rooms are `<local>@<jid>`. */
    jid: z.string().regex(/^[a-z0-9.-]+$/i, 'must be a domain name like gw.example.org'),
    /** XEP-0114 shared secret, as in the XMPP server's component section. */
    secret: z.string().min(1, 'must not be empty'),
  }).strict(),
  xmpp: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    /** The XMPP server's component port (XEP-0114). */
    port: z.number().int().min(1).max(65535).default(5347),
    /** An outbound write the server has not taken after this long is a log line (a hung or cut-off server). */
    writeSilentMs: z.number().int().min(100).default(10_000),
    /**
     * Outbound stanzas leave their stream once the server took them (a ping to the gateway's own
     * JID after them came back), so a broken connection loses none. Off: once written, for a
     * server that does not route a component's stanzas to itself.
     */
    receipts: z.boolean().default(true),
  }).strict().default({ host: '127.0.0.1', port: 5347, writeSilentMs: 10_000, receipts: true }),
  redis: z.object({
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
    /** Prefix of every key, so several gateways can share one Redis. */
    prefix: z.string().min(1).default('roomgate'),
  }).strict().default({ url: 'redis://127.0.0.1:6379', prefix: 'roomgate' }),
  /** Number of partition mailboxes (users are spread over them; fixed for the life of the data). */
  partitions: z.number().int().min(1).max(4096).default(16),
  workers: z.object({
    /** A worker's partition leases (and registration) live this long without renewal: the failover time. */
    leaseTtlMs: z.number().int().min(500).default(3000),
    /** How often leases are renewed and the partition assignment is checked. */
    tickMs: z.number().int().min(100).default(1000),
  }).strict().default({ leaseTtlMs: 3000, tickMs: 1000 }),
  rooms: z.object({
    /** A room with no event for this long is dropped from memory; its snapshot stays in Redis. */
    idleBeforeHibernateMs: z.number().int().min(1000).default(300_000),
    /**
     * A room newly published in a user's bookmarks also brings an invitation from the gateway,
     * for clients that ignore the bookmarks' autojoin (Slidge's ALWAYS_INVITE_WHEN_ADDING_BOOKMARKS).
     */
    alwaysInviteWhenAddingBookmarks: z.boolean().default(true),
  }).strict().default({ idleBeforeHibernateMs: 300_000, alwaysInviteWhenAddingBookmarks: true }),
  archive: z.object({
    /** Archived messages (MAM, history on join) older than this many days are dropped; 0 keeps them all (Slidge's MAM_MAX_DAYS). */
    maxDays: z.number().min(0).default(7),
    /** How often each worker sweeps the archives of its partitions. */
    sweepEveryMs: z.number().int().min(1000).default(6 * 3600 * 1000),
  }).strict().default({ maxDays: 7, sweepEveryMs: 6 * 3600 * 1000 }),
  upload: z.object({
    /** JID of a XEP-0363 upload service that accepts the gateway's requests (Prosody: mod_http_file_share on the same server). */
    service: z.string().regex(/^[^@/\s]+$/, 'must be a domain JID like upload.example.org').optional(),
    /** Or a folder for attachments, which the operator's web server serves at `urlPrefix` (Slidge's no-upload-path). */
    path: z.string().min(1).optional(),
    urlPrefix: z.string().regex(/^https?:\/\//, 'must be an http or https URL').optional(),
    /** Attachments a plugin gives as URLs are sent as they are, not downloaded and uploaded again. */
    useOriginalUrls: z.boolean().default(false),
    slotTimeoutMs: z.number().int().min(100).default(30_000),
    /** How long a file's URL is reused for the same legacy file id (Prosody keeps uploads 7 days). */
    cacheSeconds: z.number().int().min(1).default(6 * 86400),
  }).strict().refine((u) => (u.path === undefined) === (u.urlPrefix === undefined), 'path and urlPrefix go together')
    .default({ useOriginalUrls: false, slotTimeoutMs: 30_000, cacheSeconds: 6 * 86400 }),
  inspect: z.object({
    /** Port of the inspector page (the worker's live room and session actors); 0 turns it off. */
    port: z.number().int().min(0).max(65535).default(0),
    /** It has no authentication: keep it on loopback. */
    host: z.string().min(1).default('127.0.0.1'),
  }).strict().default({ port: 0, host: '127.0.0.1' }),
  plugin: z.object({
    name: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  }).strict(),
  log: z.object({
    level: z.enum(LOG_LEVELS).default('info'),
  }).strict().default({ level: 'info' }),
}).strict();

export type Config = z.infer<typeof configSchema>;

/** Environment variables that override a field of the file. */
export const ENV_OVERRIDES: Record<string, { path: string[]; number?: boolean }> = {
  ROOMGATE_COMPONENT_JID: { path: ['component', 'jid'] },
  ROOMGATE_COMPONENT_SECRET: { path: ['component', 'secret'] },
  ROOMGATE_XMPP_HOST: { path: ['xmpp', 'host'] },
  ROOMGATE_XMPP_PORT: { path: ['xmpp', 'port'], number: true },
  ROOMGATE_REDIS_URL: { path: ['redis', 'url'] },
  ROOMGATE_REDIS_PREFIX: { path: ['redis', 'prefix'] },
  ROOMGATE_PARTITIONS: { path: ['partitions'], number: true },
  ROOMGATE_PLUGIN: { path: ['plugin', 'name'] },
  ROOMGATE_IDLE_BEFORE_HIBERNATE_MS: { path: ['rooms', 'idleBeforeHibernateMs'], number: true },
  ROOMGATE_ARCHIVE_MAX_DAYS: { path: ['archive', 'maxDays'], number: true },
  ROOMGATE_UPLOAD_SERVICE: { path: ['upload', 'service'] },
  ROOMGATE_LOG_LEVEL: { path: ['log', 'level'] },
  ROOMGATE_INSPECT_PORT: { path: ['inspect', 'port'], number: true },
};

/** A configuration that cannot be used; `problems` has one line per wrong field. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates raw data (already parsed) with the environment applied. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): Config {
  const data = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(source, ['the file must hold a table/object']);
  for (const [name, { path, number }] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = data;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1)!] = number && /^\d+$/.test(value) ? Number(value) : value;
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return result.data;
}

/** Reads and validates a config file (`.toml` or `.json`). */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    throw new ConfigError(path, [`cannot parse the file: ${(err as Error).message}`]);
  }
  return parseConfig(raw, env, path);
}
