// The setting of the suites that take servers away from a running gateway: a private stack,
// roomgate with a one-room demo world (bob in #lobby), and romeo registered and joined to it
// (no history), so that each test only does what it is about.
import { NS_MUC as MUC } from '../../src/transport/xmpp/ns.ts';
import { startStack, type StackOptions, type TestStack } from './stack.ts';
import { registerUser, startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.ts';
import { connectClient, xml, type TestClient } from './xmpp-client.ts';

export const GW = 'gw.localhost';
export const LOBBY = `lobby@${GW}`;
const WORLD = { rooms: [{ id: 'lobby', name: 'Lobby', type: 'channel', participants: [{ nick: 'bob' }] }] };

export interface Lobby {
  stack: TestStack;
  gw: TestGateway;
  romeo: TestClient;
  stop(): Promise<void>;
}

/**
 * `redis`: the stack's Redis options; `gatewayRedisUrl`: another way for roomgate to reach it
 * (a proxy in front of it), given the running stack; `gateway`: more of roomgate's options.
 */
export async function startLobby(opts: {
  redis?: StackOptions['redis'];
  gatewayRedisUrl?: (stack: TestStack) => Promise<string>;
  gateway?: Omit<TestGatewayOptions, 'world' | 'redisUrl'>;
} = {}): Promise<Lobby> {
  const stack = await startStack({ accounts: [{ user: 'romeo', password: 'r0meo' }], ...(opts.redis ? { redis: opts.redis } : {}) });
  const redisUrl = await opts.gatewayRedisUrl?.(stack);
  const gw = await startTestGateway(stack, { world: WORLD, ...opts.gateway, ...(redisUrl ? { redisUrl } : {}) });
  const romeo = await connectClient({ service: stack.c2sService, domain: stack.domain, username: 'romeo', password: 'r0meo' });
  await registerUser(romeo, 'romeo');
  await romeo.send(xml('presence', { to: `${LOBBY}/romeo` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
  await romeo.next((el) => el.name === 'message' && !!el.getChild('subject'));
  return {
    stack, gw, romeo,
    async stop() {
      await romeo.stop();
      await gw.stop();
      await stack.stop();
    },
  };
}
