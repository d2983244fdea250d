/**
 * Flame graphs of the bench's CPU profiles, as clinic flame draws them: one HTML page per
 * .cpuprofile and one viewer script beside them all (d3-flame-graph and its d3 modules: the pages
 * open offline), a frame's width its time with its callees, click to zoom, search by name, hover
 * for milliseconds and share. Frames are coloured by where their code lives: roomgate's own, a
 * dependency (one hue per package), Node's, or V8's (the garbage collector, compiled code).
 *
 *   node --import tsx bench/flamegraph.ts FILE.cpuprofile [OUT.html]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CpuProfile } from './cpuprofile-summary.ts';

/**
 * A frame of the graph: `value` its time with its callees (µs), `code` where its code lives
 * (d3-flame-graph reads `c`, `n`, `v`, `l` and `d` as its own short keys).
 */
export interface Frame { name: string; value: number; code: string; children: Frame[] }

/** Frames under this share of the busy time are left out: the page stays small, and they would be under a pixel wide. */
const MIN_SHARE = 0.0005;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** roomgate, bench, a package's name, node, or v8. */
export function codeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? 'v8' : 'native';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  // relative to this checkout; a profile recorded in another one falls back to its path's last src/
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(ROOT)) return path.slice(ROOT.length).startsWith('src/') ? 'roomgate' : 'bench';
  return path.includes('/src/') && !/\/(bench|test)\//.test(path) ? 'roomgate' : 'bench';
}

function frameName(functionName: string, url: string, line: number): string {
  const file = url.startsWith('file://') ? fileURLToPath(url).replace(ROOT, '').replace(/^.*node_modules\//, '') : url;
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${line + 1}` : ''}`;
}

/**
 * The profile's call tree with each node's time (µs, from the sample deltas): idle time left
 * out, frames under `MIN_SHARE` of the busy time pruned. The root is the whole busy time.
 */
export function callTree(profile: CpuProfile): Frame {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const build = (id: number): Frame | null => {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') return null;
    const children = (n.children ?? []).map(build).filter((f): f is Frame => f !== null);
    const value = (self.get(id) ?? 0) + children.reduce((sum, c) => sum + c.value, 0);
    return { name: frameName(functionName, url, lineNumber), value, code: codeOf(url, functionName), children };
  };
  const root = build(profile.nodes[0]!.id)!;
  root.name = 'all (busy time)';
  const prune = (f: Frame): void => {
    f.children = f.children.filter((c) => c.value >= root.value * MIN_SHARE).sort((a, b) => b.value - a.value);
    f.children.forEach(prune);
  };
  prune(root);
  return root;
}

const D3_MODULES = [
  'internmap', 'd3-array', 'd3-color', 'd3-interpolate', 'd3-format', 'd3-time', 'd3-time-format', 'd3-scale',
  'd3-dispatch', 'd3-timer', 'd3-ease', 'd3-selection', 'd3-transition', 'd3-hierarchy',
];

function moduleFile(path: string): string {
  return readFileSync(new URL(`../node_modules/${path}`, import.meta.url), 'utf8');
}

/** The viewer every page loads (`VIEWER`, beside the pages): the d3 modules, d3-flame-graph and `showFlamegraph`. */
export const VIEWER = 'flamegraph-viewer.js';

export function flamegraphViewer(): string {
  const libraries = [...D3_MODULES.map((m) => `${m}/dist/${m}.min.js`), 'd3-flame-graph/dist/d3-flamegraph.umd.min.js'].map(moduleFile);
  return `${libraries.join('\n;\n')}
;
/* roomgate: draws a call tree of bench/flamegraph.ts into #chart */
function showFlamegraph(tree) {
  const total = tree.value;
  const hue = (s) => { let h = 0; for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 360; return h; };
  const color = (d) => {
    if (d.highlight) return '#e600e6';
    const c = d.data.code;
    if (c === 'roomgate') return 'hsl(15, 80%, ' + (60 + (hue(d.data.name) % 15)) + '%)';
    if (c === 'bench') return 'hsl(45, 80%, 65%)';
    if (c === 'node') return 'hsl(120, 45%, ' + (65 + (hue(d.data.name) % 12)) + '%)';
    if (c === 'v8' || c === 'native') return '#c8c8c8';
    return 'hsl(' + (190 + hue(c) % 50) + ', 55%, ' + (68 + (hue(d.data.name) % 12)) + '%)';
  };
  const label = (d) => d.data.name + ' [' + d.data.code + ']: ' + (d.value / 1000).toFixed(1) + ' ms, ' + (100 * d.value / total).toFixed(2) + ' %';
  const tip = flamegraph.tooltip.defaultFlamegraphTooltip().text(label);
  const chart = flamegraph.default().width(document.getElementById('chart').clientWidth || 1200).cellHeight(18).minFrameSize(1)
    .setColorMapper(color).setLabelHandler(label).tooltip(tip).setDetailsElement(document.getElementById('details'));
  d3.select('#chart').datum(tree).call(chart);
  document.getElementById('term').addEventListener('input', (e) => e.target.value ? chart.search(e.target.value) : chart.clear());
  document.getElementById('reset').addEventListener('click', () => chart.resetZoom());
}
`;
}

/** A page: the tree as JSON, a legend of the colours, and the viewer beside it. */
export function flamegraphHtml(tree: Frame, title: string): string {
  // `</` closes the script element whatever the JSON string means
  const data = JSON.stringify(tree).replace(/<\//g, '<\\/');
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: Verdana, sans-serif; font-size: 13px; margin: 12px; }
#chart { width: 100%; } .legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border-radius: 3px; }
.d3-flame-graph-tip { background: #fff; border: 1px solid #999; padding: 4px 6px; font-size: 12px; }
</style></head><body>
<h3>${esc(title)}</h3>
<p class="legend"><span style="background:#f08050">roomgate</span><span style="background:#7fb0e0">dependencies</span><span style="background:#90d090">Node</span><span style="background:#c8c8c8">V8 (GC, compiled code)</span>
<input id="term" placeholder="search" size="30"> <button id="reset">reset zoom</button> <span id="details"></span></p>
<div id="chart"></div>
<script src="${VIEWER}"></script>
<script>showFlamegraph(${data});</script>
</body></html>
`;
}

/** Writes `out` (default: the profile's path with .html) and the viewer beside it; returns the page's path. */
export function writeFlamegraph(profileFile: string, title: string, out = profileFile.replace(/\.cpuprofile$/, '') + '.html'): string {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  writeFileSync(out, flamegraphHtml(callTree(profile), title));
  writeFileSync(join(dirname(out), VIEWER), flamegraphViewer());
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/flamegraph.ts FILE.cpuprofile [OUT.html]');
    process.exit(2);
  }
  console.log(writeFlamegraph(file, `CPU flame graph: ${file}`, out));
}
