// Moved to src/devstack/daemon.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/daemon.ts';
