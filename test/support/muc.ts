// Joining a room as a real client does (XEP-0045 §7.2): the presence, then everything the room
// sends for that join, up to its last stanza.
import { NS_MUC as MUC } from '../../src/transport/xmpp/ns.ts';
import { xml, type Element, type TestClient } from './xmpp-client.ts';

/**
 * Joins `room` as `nick` and returns what the room sent for it: occupants, self-presence,
 * history and subject, up to the room's own presence that ends the sequence (spec §2.3 step 9),
 * or up to an error presence. `history`: the `<history/>` attributes (none: the room's default).
 */
export async function joinAndRead(
  client: TestClient, room: string, nick: string,
  opts: { id?: string; history?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Element[]> {
  await client.send(xml('presence', { to: `${room}/${nick}`, ...(opts.id ? { id: opts.id } : {}) },
    xml('x', { xmlns: MUC }, opts.history ? xml('history', opts.history) : null)));
  const got: Element[] = [];
  for (;;) {
    const el = await client.next((s) => s.attrs.from === room || s.attrs.from?.startsWith(`${room}/`) === true, opts.timeoutMs);
    got.push(el);
    if (el.name === 'presence' && (el.attrs.type === 'error' || el.attrs.from === room)) return got;
  }
}
