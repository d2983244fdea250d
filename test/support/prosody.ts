// Moved to src/devstack/prosody.ts (the demo uses it too); kept so test imports stay as they are.
export * from '../../src/devstack/prosody.ts';
