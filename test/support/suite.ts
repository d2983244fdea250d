// The setting most end-to-end suites share: a private stack, roomgate on it, and real clients
// logged in, started before the suite's tests and stopped after them (clients, roomgate, stack).
// Called inside a `describe`; a `before` of the file's own, registered after the call, runs
// once all is up. The fields stay the suite's, so that `after` stops a restarted roomgate too.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type StackOptions, type TestStack } from './stack.ts';
import { registerUser, startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.ts';
import { connectClient, type TestClient } from './xmpp-client.ts';

/** The accounts a suite can have on the XMPP domain, with their passwords. */
const PASSWORDS = { romeo: 'r0meo', juliet: 'jul1et', mallory: 'm4llory' };
export type User = keyof typeof PASSWORDS;

export interface GatewaySuiteOptions<C extends User> {
  /** The clients connected before the tests, in this order: user → resource. */
  clients: Record<C, string>;
  /** More accounts, for clients the tests connect themselves (`suite.connect`). */
  accounts?: User[];
  /** More options of the stack (Prosody's, Redis's). */
  stack?: Omit<StackOptions, 'accounts'>;
  /** roomgate's options; a function runs once the stack is up (for what must be found first). */
  gateway: TestGatewayOptions | (() => Promise<TestGatewayOptions>);
  /** Registers each client with the gateway, under its user name as nickname (see `register`). */
  register?: boolean;
}

export type GatewaySuite<C extends User> = {
  stack: TestStack;
  /** roomgate; the one running now after `restartGateway`. */
  gw: TestGateway;
  /** Another client of `user`'s (resource 'test' unless given); the test stops it. */
  connect(user: User, resource?: string): Promise<TestClient>;
  /** Stops roomgate and starts it again on the same Redis data, with the suite's options and `more`. */
  restartGateway(more?: TestGatewayOptions): Promise<void>;
} & Record<C, TestClient>;

/** Registers the client's user with the gateway (see `registerUser`); the gateway must accept. */
export async function register(client: TestClient, nickname: string): Promise<void> {
  const done = await registerUser(client, nickname);
  assert.equal(done.attrs.type, 'result');
}

/** Starts the suite's servers and clients in a `before`, stops them in an `after`; the fields are set by `before`. */
export function useGatewaySuite<C extends User>(opts: GatewaySuiteOptions<C>): GatewaySuite<C> {
  const users = Object.keys(opts.clients) as C[];
  let gatewayOptions: TestGatewayOptions;
  const suite = {
    connect: (user: User, resource?: string) =>
      connectClient({ service: suite.stack.c2sService, domain: suite.stack.domain, username: user, password: PASSWORDS[user], resource }),
    async restartGateway(more: TestGatewayOptions = {}) {
      const prefix = suite.gw.prefix;
      await suite.gw.stop();
      suite.gw = await startTestGateway(suite.stack, { ...gatewayOptions, prefix, ...more });
    },
  } as GatewaySuite<C>;

  before(async () => {
    const accounts = [...users, ...(opts.accounts ?? [])].map((user) => ({ user, password: PASSWORDS[user] }));
    suite.stack = await startStack({ ...opts.stack, accounts });
    gatewayOptions = typeof opts.gateway === 'function' ? await opts.gateway() : opts.gateway;
    suite.gw = await startTestGateway(suite.stack, gatewayOptions);
    const clients = suite as Record<C, TestClient>;
    for (const user of users) clients[user] = await suite.connect(user, opts.clients[user]);
    if (opts.register) for (const user of users) await register(suite[user], user);
  });

  after(async () => {
    for (const user of users) await suite[user]?.stop();
    await suite.gw?.stop();
    await suite.stack?.stop();
  });

  return suite;
}
