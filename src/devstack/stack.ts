// A whole private stack: Redis + Prosody with the gateway component, IRC optional. The tests
// start one per suite in temp dirs; `npm run demo` starts one with its data kept in a dir.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startInspircd, type DevInspircd, type InspircdOptions } from './inspircd.ts';
import { startProsody, type DevProsody, type ProsodyOptions } from './prosody.ts';
import { startRedis, type DevRedis, type RedisOptions } from './redis.ts';

export interface StackOptions {
  /** Start InspIRCd too (true, or its options). */
  irc?: boolean | InspircdOptions;
  /** Accounts to create on the XMPP domain. */
  accounts?: { user: string; password: string }[];
  /** Gateway component JID (default 'gw.localhost'). */
  componentJid?: string;
  /** Component secret (default: random). */
  componentSecret?: string;
  redis?: Pick<RedisOptions, 'appendOnly' | 'port'>;
  prosody?: Pick<ProsodyOptions, 'domain' | 'logLevel' | 'extraConfig' | 'modules' | 'disabledModules' | 'privilegedComponent' | 'c2sPort' | 'componentPort' | 'gc' | 'httpUpload'>;
  /**
   * Keep Redis's and Prosody's data here (`redis/`, `prosody/` under it), across stop() and the
   * next start; default: temp dirs removed by stop(). InspIRCd always runs in a temp dir.
   */
  dir?: string;
  /** See `spawnDaemon`: keep terminal signals (Ctrl-C) away from the servers. */
  ownProcessGroup?: boolean;
}

export interface DevStack {
  redis: DevRedis;
  prosody: DevProsody;
  irc?: DevInspircd;
  /** What a gateway needs to connect as the XEP-0114 component. */
  component: { jid: string; secret: string; service: string };
  /** Service URL for @xmpp/client logins, e.g. 'xmpp://127.0.0.1:PORT'. */
  c2sService: string;
  domain: string;
  stop(): Promise<void>;
}

/** Former name, from when only the tests used it. */
export type TestStack = DevStack;

export async function startStack(opts: StackOptions = {}): Promise<DevStack> {
  const component = { jid: opts.componentJid ?? 'gw.localhost', secret: opts.componentSecret ?? randomBytes(12).toString('hex') };
  const ircOpts = opts.irc === true ? {} : opts.irc || undefined;
  const placement = (name: string) => ({ dir: opts.dir && join(opts.dir, name), ownProcessGroup: opts.ownProcessGroup });
  // Start all three in parallel; if one fails, stop the others before rethrowing.
  const results = await Promise.allSettled([
    startRedis({ ...opts.redis, ...placement('redis') }),
    startProsody({ ...opts.prosody, component, accounts: opts.accounts, ...placement('prosody') }),
    ircOpts ? startInspircd({ ...ircOpts, ownProcessGroup: opts.ownProcessGroup }) : Promise.resolve(undefined),
  ] as const);
  const [r, p, i] = results;
  if (r.status === 'rejected' || p.status === 'rejected' || i.status === 'rejected') {
    await Promise.all(results.map((s) => (s.status === 'fulfilled' && s.value ? s.value.stop() : undefined)));
    const reasons = results.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    throw reasons.length === 1 ? reasons[0] : new AggregateError(reasons, reasons.map((e) => e.message).join('\n\n'));
  }
  const redis = r.value;
  const prosody = p.value;
  const irc = i.value;
  return {
    redis,
    prosody,
    irc,
    component: { ...component, service: `xmpp://127.0.0.1:${prosody.componentPort}` },
    c2sService: `xmpp://127.0.0.1:${prosody.c2sPort}`,
    domain: prosody.domain,
    async stop() {
      await Promise.all([redis.stop(), prosody.stop(), irc?.stop()]);
    },
  };
}
