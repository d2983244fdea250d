import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap } from '../../../src/bounded-map.ts';
import type { Element } from '../../../src/transport/xmpp/stanza.ts';
import { parseStanza } from '../../../src/transport/xmpp/stanza.ts';

test('a parsed stanza is taken once, by its event id', () => {
  const parsed = new BoundedMap<string, Element>(4096);
  const el = parseStanza('<message to="room@gw" from="romeo@montague.lit/x" type="groupchat"><body>hi</body></message>');
  parsed.set('e1', el);
  assert.equal(parsed.take('e2'), undefined);
  assert.equal(parsed.take('e1'), el);
  assert.equal(parsed.take('e1'), undefined, 'a replayed job parses its XML again');
});

test('stanzas nobody takes (another process consumes their partition) are bounded: the oldest go', () => {
  const parsed = new BoundedMap<string, Element>(4);
  for (let i = 1; i <= 7; i++) {
    parsed.set(`e${i}`, parseStanza(`<presence id="p${i}"/>`));
    assert.ok(parsed.size <= 4, 'never more than its bound');
  }
  assert.equal(parsed.size, 3);
  for (const gone of ['e1', 'e2', 'e3', 'e4']) assert.equal(parsed.take(gone), undefined, `${gone} is gone`);
  assert.deepEqual(['e5', 'e6', 'e7'].map((e) => parsed.take(e)?.attrs.id), ['p5', 'p6', 'p7'], 'the newest half at least is kept');
  assert.equal(parsed.size, 0);
});

test('a value set again is the newest one, and taking it leaves no older copy behind', () => {
  const parsed = new BoundedMap<string, string>(4);
  parsed.set('a', 'old').set('b', 'x').set('a', 'new');
  assert.equal(parsed.get('a'), 'new');
  assert.equal(parsed.take('a'), 'new');
  assert.equal(parsed.get('a'), undefined);
});
