// The bench's flame graphs (bench/flamegraph.ts): the call tree's times, and the page around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWER, callTree, codeOf, flamegraphHtml, flamegraphViewer } from '../../bench/flamegraph.ts';
import type { CpuProfile } from '../../bench/cpuprofile-summary.ts';

const here = new URL('../../src/actors/partition.ts', import.meta.url).href; // the checkout's own path, wherever it is
const frame = (id: number, functionName: string, url: string, children: number[] = []) =>
  ({ id, callFrame: { functionName, url, lineNumber: 9, columnNumber: 0 }, children });

// (root) → run (roomgate) → sendCommand (ioredis); (root) → (idle); (root) → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 4, 5]),
    frame(2, 'run', here, [3]),
    frame(3, 'sendCommand', new URL('../../node_modules/ioredis/built/Redis.js', import.meta.url).href),
    frame(4, '(idle)', ''),
    frame(5, '(garbage collector)', ''),
  ],
  startTime: 0, endTime: 100,
  // each sample lasts until the next one: run 10, sendCommand 30, idle 50, GC 10
  samples: [2, 3, 4, 5, 2],
  timeDeltas: [0, 10, 30, 50, 10, 0],
};

test('each frame holds its time with its callees; idle time is left out', () => {
  const tree = callTree(profile);
  assert.equal(tree.value, 50);
  const [run, gc] = tree.children;
  assert.deepEqual([run!.name, run!.value, run!.code], ['run src/actors/partition.ts:10', 40, 'roomgate']);
  assert.deepEqual([run!.children[0]!.value, run!.children[0]!.code], [30, 'ioredis']);
  assert.deepEqual([gc!.name, gc!.value, gc!.code], ['(garbage collector)', 10, 'v8']);
  assert.ok(!JSON.stringify(tree).includes('(idle)'));
});

test('frames are told apart by where their code lives', () => {
  assert.equal(codeOf('file:///x/node_modules/@xmpp/xml/lib/Parser.js', 'write'), '@xmpp/xml');
  assert.equal(codeOf('node:internal/process/task_queues', 'processTicksAndRejections'), 'node');
  assert.equal(codeOf(new URL('../../bench/run.ts', import.meta.url).href, 'main'), 'bench');
  assert.equal(codeOf('', '(program)'), 'v8');
});

test('the page carries the tree inside its script, where a name cannot close the element', () => {
  const html = flamegraphHtml({ name: 'f </script><b>', value: 1, code: 'roomgate', children: [] }, 'a <title>');
  assert.ok(html.includes('<title>a &lt;title></title>'));
  assert.ok(!html.includes('f </script>'));
  assert.ok(html.includes(`<script src="${VIEWER}"></script>`));
});

test('the viewer the pages share carries d3-flame-graph and the drawing function', () => {
  const viewer = flamegraphViewer();
  assert.match(viewer, /function showFlamegraph\(tree\)/);
  assert.match(viewer, /defaultFlamegraphTooltip/);
});
