// Moved to src/devstack/inspircd.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/inspircd.ts';
