/**
 * What Prosody spends per stanza, in instructions: a private Prosody run under Valgrind's
 * callgrind, counting only while `n` stanzas of one shape go through it (component → client,
 * as roomgate sends them, or client → component, as users write). Instructions do not move
 * with the machine's phase as wall time and CPU time do here (±30 % between runs), so a
 * change of Prosody's settings shows even when it is a few per cent.
 *
 *   node --import tsx bench/micro/prosody-cost.ts [--n 5000] [--shape w2|presence|w3in] [--lua 'EXTRA CONFIG']
 *
 * --lua appends Lua to Prosody's global config, for settings the private Prosody does not set
 * itself (Prosody refuses an option set twice: `gc` and `network_settings` are set by
 * src/devstack/prosody.ts). Needs Valgrind (Debian: `apt-get install valgrind`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Component } from '@xmpp/component-core';
import type { Element } from 'ltx';
import { startProsody } from '../../src/devstack/prosody.ts';
import { messageXml } from '../../src/transport/xmpp/muc-message.ts';
import { presenceXml } from '../../src/transport/xmpp/muc-presence.ts';
import { connectBenchClient, numberedGroupchat } from '../lib/client.ts';

const { values } = parseArgs({ options: { n: { type: 'string' }, shape: { type: 'string' }, lua: { type: 'string' } } });
const N = Number(values.n ?? 5000);
const SHAPE = values.shape ?? 'w2';
const GW = 'gw.localhost';
const ROOM = `room@${GW}`;

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('prosody-cost: needs Valgrind (Debian: apt-get install valgrind)');
  process.exit(2);
}

// `prosody` on the PATH becomes Prosody under callgrind, counting nothing until told to
const bin = mkdtempSync(join(tmpdir(), 'prosody-cost-'));
const out = join(bin, 'callgrind.out');
writeFileSync(join(bin, 'prosody'), `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=${out} lua5.4 /usr/bin/prosody "$@"\n`);
chmodSync(join(bin, 'prosody'), 0o755);
process.env.PATH = `${bin}:${process.env.PATH}`;

const prosody = await startProsody({
  component: { jid: GW, secret: 'secret' }, accounts: [{ user: 'bench', password: 'pw' }], logLevel: 'warn',
  ...(values.lua ? { extraConfig: values.lua } : {}),
});
const pid = Number(readFileSync(join(prosody.dir, 'prosody.pid'), 'utf8').trim()); // Valgrind runs Prosody in its own process
const client = await connectBenchClient({ service: `xmpp://127.0.0.1:${prosody.c2sPort}`, domain: 'localhost', username: 'bench', password: 'pw' });
const comp = new Component({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: GW });
comp.on('open', (el: Element) => { comp.authenticate(String(el.attrs.id), 'secret').catch((e: Error) => comp.emit('error', e)); });
comp.on('error', () => undefined);
await comp.start();

/** The stanzas of one run, and who receives them. */
function stanzas(prefix: string): { text: string[]; from: 'component' | 'client' } {
  const to = client.jid;
  if (SHAPE === 'presence') {
    return { from: 'component', text: Array.from({ length: N }, (_, i) => presenceXml({
      room: ROOM, nick: `${prefix}${i}`, to, item: { affiliation: 'member', role: 'participant' }, occupantId: `o-${i}`,
    })) };
  }
  if (SHAPE === 'w3in') return { from: 'client', text: numberedGroupchat(ROOM, prefix, N) };
  return { from: 'component', text: Array.from({ length: N }, (_, i) => messageXml({
    room: ROOM, nick: 'alice', type: 'groupchat', body: `${prefix}${i}`, id: `${prefix}${i}`, stanzaId: `${prefix}${i}`,
    occupantId: 'o-fill-0', chatState: 'active', markable: true,
  }, to)) };
}

async function run(prefix: string): Promise<void> {
  const { text, from } = stanzas(prefix);
  let got = 0;
  const all = new Promise<void>((resolve) => {
    const count = () => { if (++got === N) resolve(); };
    if (from === 'component') client.sink = count;
    else comp.on('stanza', count);
  });
  const write = from === 'component' ? (s: string) => comp.write(s) : (s: string) => client.write(s);
  for (let i = 0; i < text.length; i += 100) await write(text.slice(i, i + 100).join(''));
  await all;
  comp.removeAllListeners('stanza');
  client.sink = () => undefined;
}

await run('warm-');
execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
await run('m-');
execFileSync('callgrind_control', ['-i', 'off', String(pid)], { stdio: 'ignore' });
await comp.stop().catch(() => undefined);
await client.stop();
await prosody.stop();
const file = readdirSync(bin).filter((f) => f.startsWith('callgrind.out')).map((f) => join(bin, f))[0]!;
const totals = /^totals: (\d+)/m.exec(readFileSync(file, 'utf8'));
const ir = Number(totals?.[1] ?? NaN);
console.log(`${SHAPE}: ${N} stanzas, Prosody ${(ir / N).toFixed(0)} instructions per stanza${values.lua ? ` (with ${values.lua.replace(/\s+/g, ' ')})` : ''}`);
rmSync(bin, { recursive: true, force: true });
