// Moved to src/devstack/stack.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/stack.ts';
