// The whole private test stack: Redis + Prosody with the gateway component, IRC optional.
import { randomBytes } from 'node:crypto';
import { startInspircd, type InspircdOptions, type TestInspircd } from './inspircd.ts';
import { startProsody, type ProsodyOptions, type TestProsody } from './prosody.ts';
import { startRedis, type TestRedis } from './redis.ts';

export interface StackOptions {
  /** Start InspIRCd too (true, or its options). */
  irc?: boolean | InspircdOptions;
  /** Accounts to create on the XMPP domain. */
  accounts?: { user: string; password: string }[];
  /** Gateway component JID (default 'gw.localhost'). */
  componentJid?: string;
  redis?: { appendOnly?: boolean };
  prosody?: Pick<ProsodyOptions, 'domain' | 'logLevel' | 'extraConfig'>;
}

export interface TestStack {
  redis: TestRedis;
  prosody: TestProsody;
  irc?: TestInspircd;
  /** What a gateway needs to connect as the XEP-0114 component. */
  component: { jid: string; secret: string; service: string };
  /** Service URL for @xmpp/client logins, e.g. 'xmpp://127.0.0.1:PORT'. */
  c2sService: string;
  domain: string;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  const component = { jid: opts.componentJid ?? 'gw.localhost', secret: randomBytes(12).toString('hex') };
  const ircOpts = opts.irc === true ? {} : opts.irc || undefined;
  // Start all three in parallel; if one fails, stop the others before rethrowing.
  const results = await Promise.allSettled([
    startRedis(opts.redis),
    startProsody({ ...opts.prosody, component, accounts: opts.accounts }),
    ircOpts ? startInspircd(ircOpts) : Promise.resolve(undefined),
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
