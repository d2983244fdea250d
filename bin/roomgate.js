#!/usr/bin/env -S node --max-semi-space-size=64
// Runs the TypeScript sources directly through tsx: no build step to forget.
//
// The flag above: roomgate allocates fast (stanzas, events, snapshots per message) and with
// V8's default young generation much of that survives a scavenge while a mailbox job is in
// flight; 64 MB semi-spaces cut roomgate's CPU per message by 15–30 % in W2/W3, for up to
// ~100 MB more RSS under load (docs/BENCHMARKS.md). `node bin/roomgate.js` runs without it:
// give it there (`node --max-semi-space-size=64 bin/roomgate.js`), as the Dockerfile does.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
