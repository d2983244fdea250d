// Moved to src/devstack/redis.ts (the demo uses it too); kept so test imports stay as they are.
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { withScripts, type ScriptCommands } from '../../src/actors/scripts.ts';
import { startRedis } from '../../src/devstack/redis.ts';

export * from '../../src/devstack/redis.ts';

/**
 * A private Redis for a test file, started before its tests and stopped after them, and a
 * client with roomgate's scripts, handed to `use` once connected.
 */
export function useScriptedRedis(use: (client: Redis & ScriptCommands) => void): void {
  let stop: () => Promise<void> = async () => undefined;
  before(async () => {
    const redis = await startRedis();
    const client = withScripts(new Redis(redis.url));
    stop = async () => { client.disconnect(); await redis.stop(); };
    use(client);
  });
  after(() => stop());
}
