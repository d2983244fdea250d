import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.ts';

test('secrets never reach the log: component secret, passwords, registration passwords', () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = createLogger('info', sink);
  log.info({ config: { component: { jid: 'gw.example.org', secret: 'hunter2' } } }, 'config');
  log.info({ secret: 'hunter2', password: 'hunter2' }, 'top level');
  log.child({ module: 'x' }).info({ registration: { nickname: 'romeo', password: 'hunter2' } }, 'registered');
  const text = lines.join('');
  assert.equal(lines.length, 3);
  assert.ok(!text.includes('hunter2'), text);
  assert.match(text, /gw\.example\.org/);
  assert.match(text, /romeo/);
});
