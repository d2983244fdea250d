/**
 * The inspector page of a worker, on loopback: every room and session actor with its state,
 * live (server-sent events), and any actor's context on a click. Our own page, because
 * Stately's inspector UI loads from the internet (FACTS); `roomgate machines --json` gives
 * the machines to the Stately visualizer.
 *
 *   GET /            the page
 *   GET /actors      every actor (JSON)
 *   GET /actors/KEY  one actor's context (JSON)
 *   GET /events      the live stream (text/event-stream): {actor, record} per change
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Inspector } from '../actors/inspector.ts';

export interface InspectHttp { port: number; close(): Promise<void> }

export async function startInspectHttp(inspector: Inspector, opts: { host: string; port: number; log: Logger }): Promise<InspectHttp> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://inspect');
    if (req.method !== 'GET') return send(res, 405, { error: 'GET only' });
    if (url.pathname === '/') return send(res, 200, PAGE, 'text/html; charset=utf-8');
    if (url.pathname === '/actors') return send(res, 200, { actors: inspector.list(), recent: inspector.recent() });
    if (url.pathname.startsWith('/actors/')) {
      const key = decodeURIComponent(url.pathname.slice('/actors/'.length));
      const context = inspector.context(key);
      return context === undefined ? send(res, 404, { error: `no actor ${key}` }) : send(res, 200, context);
    }
    if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': roomgate inspector\n\n');
      const unsubscribe = inspector.subscribe((change) => res.write(`data: ${JSON.stringify(change)}\n\n`));
      req.on('close', unsubscribe);
      return;
    }
    send(res, 404, { error: 'no such page' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ url: `http://${opts.host}:${port}/` }, 'inspector page ready');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>roomgate inspector</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222 }
  table { border-collapse: collapse; width: 100% } td, th { padding: .3em .6em; border-bottom: 1px solid #ddd; text-align: left }
  tr:hover { background: #f4f7ff; cursor: pointer } .state { font-family: monospace; font-weight: bold }
  .hibernated, .moved, .ended { color: #999 } #log { font-family: monospace; font-size: 12px; max-height: 16em; overflow: auto; background: #fafafa; padding: .5em }
  pre { background: #f6f6f6; padding: 1em; overflow: auto; max-height: 30em }
</style></head><body>
<h1>roomgate inspector</h1>
<p>Room and session actors of this worker, live. Click one for its context.</p>
<table><thead><tr><th>kind</th><th>actor</th><th>user</th><th>state</th><th>summary</th><th>updated</th></tr></thead><tbody id="actors"></tbody></table>
<h2>Recent</h2><div id="log"></div>
<h2 id="ctx-title"></h2><pre id="ctx"></pre>
<script>
const actors = new Map();
const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
function render() {
  document.getElementById('actors').innerHTML = [...actors.values()].sort((a, b) => a.key.localeCompare(b.key)).map((a) =>
    '<tr data-key="' + esc(a.key) + '"><td>' + a.kind + '</td><td>' + esc(a.label) + '</td><td>' + esc(a.user) + '</td><td class="state ' + esc(a.state) + '">' +
    esc(a.state) + '</td><td>' + esc(JSON.stringify(a.summary)) + '</td><td>' + a.updatedAt.slice(11, 23) + '</td></tr>').join('');
}
function log(r) {
  const el = document.getElementById('log');
  el.insertAdjacentHTML('afterbegin', '<div>' + r.at.slice(11, 23) + ' ' + esc(r.key) + ' ' + esc(r.event) + ' → ' + esc(r.state) + '</div>');
}
document.getElementById('actors').addEventListener('click', async (e) => {
  const key = e.target.closest('tr')?.dataset.key;
  if (!key) return;
  document.getElementById('ctx-title').textContent = key;
  document.getElementById('ctx').textContent = JSON.stringify(await (await fetch('/actors/' + encodeURIComponent(key))).json(), null, 2);
});
fetch('/actors').then((r) => r.json()).then(({ actors: list, recent }) => {
  for (const a of list) actors.set(a.key, a);
  for (const r of recent) log(r);
  render();
  new EventSource('/events').onmessage = (m) => { const { actor, record } = JSON.parse(m.data); actors.set(actor.key, actor); log(record); render(); };
});
</script></body></html>`;
