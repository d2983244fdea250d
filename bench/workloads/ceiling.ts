/**
 * The ceiling: what Prosody moves on this machine with no gateway at all.
 *  - client → client: two @xmpp/client sessions, pre-serialised chat messages written as
 *    fast as the socket takes them, timed until the receiver has them all.
 *  - component → client: a bare XEP-0114 component (the gateway's JID, roomgate stopped)
 *    writes pre-serialised groupchat messages shaped like roomgate's; the bound for W2.
 *  - client → component → client: the client writes W3's messages to the bare component,
 *    which echoes each at once (stanza-id, occupant-id); the bound for W3.
 */
import { Component } from '@xmpp/component-core';
import type { Element } from 'ltx';
import { esc, numberedGroupchat, writeAll, type BenchClient } from '../lib/client.ts';
import { echoXml, messageXml, readGroupchat } from '../../src/transport/xmpp/muc-message.ts';
import { GW, type BenchContext } from '../lib/context.ts';
import { now, OrderChecker } from '../lib/gateway-core.ts';
import { cpuMeter, sleep, spread, waitQuiet, withTimeout } from '../lib/stats.ts';
import type { Row, WorkloadResult } from '../lib/types.ts';

function receiveAll(c: BenchClient, check: OrderChecker, filter: (el: Element) => boolean): Promise<number> {
  return new Promise((resolve) => {
    c.sink = (el) => {
      if (!filter(el)) return;
      // messages carry the number in the body, occupant presences in the nickname
      const n = el.name === 'message' ? el.getChildText('body') : el.name === 'presence' ? String(el.attrs.from).split('/')[1] : null;
      if (check.add(n) && check.complete) {
        c.sink = () => undefined;
        resolve(now());
      }
    };
  });
}

interface Measured { rates: number[]; checks: string[]; runs: unknown[] }

/**
 * Run 0 (warming Prosody and the JIT) then `ctx.opts.runs` measured runs: `n` numbered stanzas
 * from `stanzas(prefix)` go out through `write`, timed until `receiver` has them all.
 */
async function measure(
  ctx: BenchContext, receiver: BenchClient, label: string, n: number,
  stanzas: (prefix: string) => string[], write: (stanzas: string[]) => Promise<void>, prefixOf: (run: number) => string,
): Promise<Measured> {
  const { prosody, redis } = await ctx.serverPids();
  const out: Measured = { rates: [], checks: [], runs: [] };
  for (let r = 0; r <= ctx.opts.runs; r++) {
    const prefix = prefixOf(r);
    const batch = stanzas(prefix);
    const check = new OrderChecker(prefix, n);
    await waitQuiet();
    const done = receiveAll(receiver, check, () => true);
    const cpu = cpuMeter({ prosody, redis, bench: process.pid });
    const t0 = now();
    await write(batch);
    const tLast = await withTimeout(done, ctx.opts.timeoutMs, `${label} run ${r}`).catch(() => NaN);
    const used = cpu.stop();
    if (r === 0) continue;
    const rate = (n / (tLast - t0)) * 1000;
    out.rates.push(rate);
    const c = check.result();
    out.checks.push(c.lost || c.duplicated || c.reordered ? `lost ${c.lost}, dup ${c.duplicated}, reordered ${c.reordered}` : 'ok');
    out.runs.push({ ms: tLast - t0, rate, cpuMs: used, ...c });
    await sleep(200);
  }
  return out;
}

export async function ceiling(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.opts.ceilingMessages;
  const sender = await ctx.connect('ceila');
  const receiver = await ctx.connect('ceilb');
  let m: Measured;
  try {
    m = await measure(ctx, receiver, 'ceiling', n,
      (prefix) => Array.from({ length: n }, (_, i) =>
        `<message to='${esc(receiver.jid)}' type='chat' id='${prefix}${i}'><body>${prefix}${i}</body></message>`),
      (stanzas) => writeAll(sender, stanzas), (r) => `c${r}-`);
  } finally {
    await sender.stop();
    await receiver.stop();
  }
  const row: Row = {
    workload: 'ceiling', variant: 'client → client', metric: `${n.toLocaleString('en')} chat messages through Prosody`,
    unit: 'msg/s', spread: spread(m.rates), checks: m.checks, peer: 'FACTS: ≈ 19,600 msg/s',
  };
  return { rows: [row], details: { clientToClient: m.runs } };
}

/**
 * The gateway's own bound: a bare component writing groupchat messages, shaped like roomgate's
 * (stanza-id, occupant-id) and with a body only; the first is what W2 can reach at best.
 */
export async function componentCeiling(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.opts.ceilingMessages;
  const receiver = await ctx.connect('bench', 'ceiling');
  const comp = new Component({ service: ctx.stack.component.service, domain: GW });
  comp.on('open', (el: Element) => { comp.authenticate(String(el.attrs.id), ctx.stack.component.secret).catch((e: Error) => comp.emit('error', e)); });
  comp.on('error', () => undefined);
  comp.on('connect', () => comp.socket?.setNoDelay?.(true));
  await withTimeout(comp.start(), 15_000, 'component connect');
  const room = `ceiling@${GW}`;
  const to = esc(receiver.jid);
  const shapes = {
    'roomgate-shaped': (p: string, i: number) =>
      `<message from='${room}/alice' to='${to}' id='${p}${i}' type='groupchat'><body>${p}${i}</body>` +
      `<stanza-id xmlns='urn:xmpp:sid:0' by='${room}' id='${p}${i}'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='o-fill-0'/></message>`,
    // byte for byte what W2's participant messages are (roomgate's own writer): with the chat
    // state and marker request Slidge adds to every participant message (spec §1.4)
    "W2's stanzas": (p: string, i: number) => messageXml({
      room, nick: 'alice', type: 'groupchat', body: `${p}${i}`, id: `${p}${i}`, stanzaId: `${p}${i}`, occupantId: 'o-fill-0',
      chatState: 'active', markable: true,
    }, receiver.jid),
    'body only': (p: string, i: number) => `<message from='${room}/alice' to='${to}' type='groupchat'><body>${p}${i}</body></message>`,
    // what a join sends N times: W1's floor
    'occupant presences': (p: string, i: number) =>
      `<presence from='${room}/${p}${i}' to='${to}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/></x>` +
      `<occupant-id xmlns='urn:xmpp:occupant-id:0' id='o-fill-${i}'/></presence>`,
  };
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const [shape, make] of Object.entries(shapes)) {
      const m = await measure(ctx, receiver, 'component ceiling', n,
        (prefix) => Array.from({ length: n }, (_, i) => make(prefix, i)),
        async (stanzas) => { for (let i = 0; i < stanzas.length; i += 100) await comp.write(stanzas.slice(i, i + 100).join('')); },
        (r) => `k${shape.length}${r}-`);
      rows.push({
        workload: 'ceiling', variant: `component → client, ${shape}`,
        metric: `${n.toLocaleString('en')} ${shape === 'occupant presences' ? 'presences' : 'groupchat messages'}, bare XEP-0114 component`,
        unit: 'msg/s', spread: spread(m.rates), checks: m.checks, ...(shape === 'body only' ? { peer: 'FACTS: ≈ 17,000–19,000 msg/s' } : {}),
      });
      details[`componentToClient ${shape}`] = m.runs;
    }
    // W3's bound: the client's groupchat messages through Prosody to a component that only
    // echoes them, byte for byte as roomgate does (its own reader and echo writer), written once
    // per tick as roomgate's edge writes
    const echoRoom = `ceiling-echo@${GW}`;
    let echoes: string[] = [];
    comp.on('stanza', (el: Element) => {
      const read = el.name === 'message' && el.attrs.type === 'groupchat' ? readGroupchat(el) : null;
      if (read?.type !== 'xmpp.message') return;
      if (!echoes.length) setImmediate(() => { const out = echoes.join(''); echoes = []; comp.write(out).catch(() => undefined); });
      const echo = { room: echoRoom, nick: 'bench', xml: read.xml, stanzaId: `s-${el.attrs.id}`, occupantId: 'o-bench' };
      echoes.push(echoXml(echo, String(el.attrs.from)));
    });
    const m = await measure(ctx, receiver, 'echo ceiling', n,
      (prefix) => numberedGroupchat(echoRoom, prefix, n), (stanzas) => writeAll(receiver, stanzas), (r) => `e${r}-`);
    rows.push({
      workload: 'ceiling', variant: 'client → component → client, echoes',
      metric: `${n.toLocaleString('en')} groupchat messages echoed by a bare XEP-0114 component (W3's traffic)`,
      unit: 'msg/s', spread: spread(m.rates), checks: m.checks,
    });
    details['echo loop'] = m.runs;
  } finally {
    await comp.stop().catch(() => undefined);
    await receiver.stop();
  }
  return { rows, details };
}
