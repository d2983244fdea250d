import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';
import { detached } from '../../../../src/transport/xmpp/stanza.ts';

/** Cuts an id out of a large text (as the XML parser does from a socket chunk); only the id is kept. */
function idFromChunk(marker: string, keep: (id: string) => string): string {
  const chunk = `${marker}${'x'.repeat(100_000)}<message id="a-client-message-id-of-some-length"/>`;
  const start = chunk.indexOf('a-client');
  return keep(chunk.slice(start, chunk.indexOf('"', start)));
}

/** The strings of this process's heap longer than 1,000 characters that start with `prefix`. */
async function largeStringsStartingWith(prefix: string): Promise<number> {
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const strings = (JSON.parse(json) as { strings: string[] }).strings;
  return strings.filter((s) => s.length > 1000 && s.startsWith(prefix)).length;
}

test('a detached copy equals the original, short or long', () => {
  for (const s of ['', 'short', 'exactly-13-ch', 'an id long enough to be a slice', 'é→😀 multibyte ids are ids too']) {
    assert.equal(detached(s), s);
  }
});

test('a detached id does not keep the text it was cut from alive; a plain slice does', async () => {
  const run = randomUUID();
  const kept = {
    sliced: idFromChunk(`sliced-${run}`, (id) => id),
    detached: idFromChunk(`detached-${run}`, detached),
  };
  assert.equal(kept.sliced, kept.detached);
  assert.equal(await largeStringsStartingWith(`sliced-${run}`), 1, 'the control: a slice keeps its chunk');
  assert.equal(await largeStringsStartingWith(`detached-${run}`), 0);
});
