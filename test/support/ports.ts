// Moved to src/devstack/ports.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/ports.ts';
