import { test } from 'node:test';
import assert from 'node:assert/strict';
import { merge } from '../../src/merge.ts';

test('merge: a new object with the later parts winning, as a spread would give; the parts untouched', () => {
  const meta = { eventId: 'e1', at: 't' };
  const read = { type: 'xmpp.message', body: 'hi', at: 'later' };
  const event = merge(meta, { from: 'romeo@montague.lit/gajim' }, read);
  assert.deepEqual(event, { ...meta, from: 'romeo@montague.lit/gajim', ...read });
  assert.deepEqual(Object.keys(event), ['eventId', 'at', 'from', 'type', 'body'], 'keys in spread order');
  assert.deepEqual(meta, { eventId: 'e1', at: 't' });
  assert.notEqual(merge(meta, {}), meta);
});
