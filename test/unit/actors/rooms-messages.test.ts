// How a room actor's message hooks reach a plugin (src/actors/rooms.ts), without servers: what
// the session is called with, and what falls back when the plugin has no hook for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORRECTION_NOTICE } from '../../../src/actors/rooms.ts';
import { GAJIM, R, roomOnFakes } from './room-on-fakes.ts';
import {
  BaseSession, LegacyBookmarks, LegacyMUC, LegacyParticipant, definePlugin, type SessionHost, type TextOptions,
} from '../../../src/legacy/index.ts';


/** A plugin with text, reactions and retractions, and none of the optional hooks. */
class PlainSession extends BaseSession {
  readonly calls: unknown[][] = [];
  override async login(): Promise<string> { return 'ok'; }
  override async onText(_chat: LegacyMUC, text: string, opts: TextOptions): Promise<string> {
    this.calls.push(['onText', text, opts]);
    return `L${this.calls.length}`;
  }
  override async onReact(_chat: LegacyMUC, legacyMsgId: string, emojis: string[]): Promise<void> { this.calls.push(['onReact', legacyMsgId, emojis]); }
  override async onRetract(_chat: LegacyMUC, legacyMsgId: string): Promise<void> { this.calls.push(['onRetract', legacyMsgId]); }
  override legacyToXmppMsgId(legacyId: string): string { return `x-${legacyId}`; }
  override xmppToLegacyMsgId(xmppId: string): string {
    if (!xmppId.startsWith('x-')) throw new Error('not one of ours');
    return xmppId.slice(2);
  }
}

const plugin = definePlugin<unknown>({
  name: 'plain', displayName: 'Plain', session: PlainSession, bookmarks: LegacyBookmarks, muc: LegacyMUC, participant: LegacyParticipant,
  registration: { instructions: '', fields: [] }, start: async () => undefined,
});

function setup() {
  return roomOnFakes(plugin, (host) => new PlainSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host));
}

test("a correction the plugin cannot make goes as new text, and the user is told (spec §3.14)", async () => {
  const { sent, session, send } = await setup();
  await send({ type: 'xmpp.correction', from: GAJIM, id: 'c2', replaceId: 'x-L0', body: 'hello', xml: '<message id="c2"/>' });
  assert.deepEqual(session.calls, [['onText', 'Correction: hello', {}]]);
  assert.deepEqual(sent.slice(0, 2), [
    ['message', { to: [GAJIM], room: 'aim.shakespeare.lit', nick: null, type: 'chat', body: CORRECTION_NOTICE }],
    ['echo', { to: [GAJIM], room: R, nick: 'romeo', xml: '<message id="c2"/>', stanzaId: 'x-L1', occupantId: 'user' }],
  ]);
});

test("a file goes as text without onFile; a reply gets the target's legacy id, its author and the quote", async () => {
  const { session, send } = await setup();
  await send({ type: 'xmpp.message', from: GAJIM, id: 'f1', body: 'https://example.org/a.png', oob: 'https://example.org/a.png', xml: '<message/>' });
  await send({
    type: 'xmpp.message', from: GAJIM, id: 'q1', body: 'me too', xml: '<message/>',
    replyTo: { id: 'x-L9', nick: 'romeo', fallbackText: '> romeo:\n> cake\n' },
  });
  await send({ type: 'xmpp.message', from: GAJIM, id: 'q2', body: 'and me', xml: '<message/>', replyTo: { id: 'alien', nick: 'juliet', fallbackText: '> juliet:\n> pie\n' } });
  assert.deepEqual(session.calls, [
    ['onText', 'https://example.org/a.png', { xmppId: 'f1' }],
    ['onText', 'me too', { xmppId: 'q1', replyTo: { legacyId: 'L9', author: 'user' }, replyToFallbackText: '> romeo:\n> cake\n' }],
    // §3.18: a target the plugin cannot convert: the body goes as the client wrote it
    ['onText', '> juliet:\n> pie\nand me', { xmppId: 'q2' }],
  ]);
});

test('chat states and markers the plugin does not implement are dropped quietly; the marker is still echoed', async () => {
  const { sent, session, send } = await setup();
  await send({ type: 'xmpp.chatState', from: GAJIM, state: 'composing' });
  await send({ type: 'xmpp.displayed', from: GAJIM, id: 'd1', targetId: 'x-L3', xml: '<message id="d1"/>' });
  assert.deepEqual(session.calls, []);
  assert.deepEqual(sent.map(([k]) => k), ['echo']);
});

test("reactions and retractions reach the plugin with the legacy id; an id it cannot convert is internal-server-error", async () => {
  const { sent, session, send } = await setup();
  await send({ type: 'xmpp.message', from: GAJIM, id: 'c1', body: 'hi', xml: '<message id="c1"/>' });
  // the client's own id of its own message is known to the room (spec §3.12)
  await send({ type: 'xmpp.retraction', from: GAJIM, id: 'r1', targetId: 'c1', xml: '<message id="r1"/>' });
  await send({ type: 'xmpp.reaction', from: GAJIM, id: 'r2', targetId: 'x-L7', emojis: ['👍'], xml: '<message id="r2"/>' });
  sent.length = 0;
  await send({ type: 'xmpp.reaction', from: GAJIM, id: 'r3', targetId: 'alien', emojis: ['👍'], xml: '<message id="r3"/>' });
  assert.deepEqual(session.calls.slice(1), [['onRetract', 'L1'], ['onReact', 'L7', ['👍']]]);
  assert.deepEqual(sent, [['message', {
    to: [GAJIM], room: R, nick: null, type: 'error', id: 'r3',
    error: { condition: 'internal-server-error', type: 'wait', text: "Couldn't convert xmpp msg ID to legacy ID." },
  }]]);
});

test('a moderation request to a plugin without onModerate is feature-not-implemented', async () => {
  const { sent, send } = await setup();
  await send({ type: 'xmpp.request', from: GAJIM, id: 'm1', reply: 'iq', call: { hook: 'moderate', id: 'x-L1', reason: null } });
  assert.deepEqual(sent, [['iq', {
    to: GAJIM, from: R, type: 'error', id: 'm1', error: { condition: 'feature-not-implemented', type: 'cancel', text: 'Not implemented by the legacy module' },
  }]]);
});

test("a client's file reaches onFile with the URL and what the client said of it (SFS/SIMS)", async () => {
  class FileSession extends PlainSession {
    override async onFile(_chat: LegacyMUC, url: string, opts: TextOptions): Promise<string> {
      this.calls.push(['onFile', url, opts]);
      return 'F1';
    }
  }
  const { session, send } = await roomOnFakes(plugin, (host) => new FileSession({ jid: 'romeo@montague.lit', registration: {} }, plugin, undefined, host));
  const file = { name: 'a.png', mediaType: 'image/png', size: 12, sha256: 'abc=' };
  await send({ type: 'xmpp.message', from: GAJIM, id: 'f1', body: 'https://example.org/a.png', oob: 'https://example.org/a.png', file, xml: '<message/>' });
  assert.deepEqual(session.calls, [['onFile', 'https://example.org/a.png', { xmppId: 'f1', file }]]);
});
