#!/usr/bin/env -S node --max-semi-space-size=64
// A larger young generation (V8's default is 16 MB per semi-space): a gateway makes many
// short-lived objects per message, and scavenges fall by about a third (docs/BENCHMARKS.md).
// Costs up to ~100 MB more RSS under load; set NODE_OPTIONS, or run `node bin/roomgate.js`, to choose.
// Runs the TypeScript sources directly through tsx: no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
