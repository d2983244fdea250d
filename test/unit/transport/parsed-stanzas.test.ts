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
  const parsed = new BoundedMap<string, Element>(3);
  for (let i = 1; i <= 5; i++) parsed.set(`e${i}`, parseStanza(`<presence id="p${i}"/>`));
  assert.equal(parsed.size, 3);
  assert.equal(parsed.take('e1'), undefined);
  assert.equal(parsed.take('e2'), undefined);
  assert.equal(parsed.take('e5')?.attrs.id, 'p5');
});
