// Moved to src/devstack/redis.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/redis.ts';
