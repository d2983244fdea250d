/**
 * Groupchat messages from rooms and occupants (XEP-0045 §7.4, §8.1 subject), with XEP-0359
 * stanza-id, XEP-0421 occupant-id and XEP-0203 delay; the echo of the user's own messages
 * (spec §3.13) and history replay (§2.4).
 */
import type { EchoIntent, MessageIntent, ReplayIntent } from '../../machines/ports.ts';
import { NS_DELAY, NS_OCCUPANT_ID, NS_SID } from './ns.ts';
import { occupantJid } from './muc-presence.ts';
import { errorElement, parseStanza, xml, type Element } from './stanza.ts';

/** One stanza per recipient; `to` omitted builds the archived form. */
export function writeMessage(m: Omit<MessageIntent, 'to'>, to?: string): Element {
  const el = xml('message', { from: occupantJid(m.room, m.nick), to, id: m.id, type: m.type });
  if (m.type === 'error') {
    el.cnode(errorElement(m.error!));
    return el;
  }
  if (m.subject !== undefined) el.cnode(xml('subject', null, m.subject));
  if (m.body !== undefined) el.cnode(xml('body', null, m.body));
  if (m.delay) el.cnode(xml('delay', { xmlns: NS_DELAY, stamp: m.delay.stamp, from: m.delay.from }));
  if (m.stanzaId) el.cnode(xml('stanza-id', { xmlns: NS_SID, by: m.room, id: m.stanzaId }));
  if (m.occupantId) el.cnode(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: m.occupantId }));
  return el;
}

/**
 * The client's message reflected from the room: original payload and id kept, addressing
 * replaced, with the room's stanza-id and the user's occupant-id (spec §3.13.3).
 */
export function writeEcho(e: Omit<EchoIntent, 'to'>, to?: string): Element {
  const el = parseStanza(e.xml);
  el.attrs = { ...el.attrs, from: occupantJid(e.room, e.nick), type: 'groupchat' };
  if (to) el.attrs.to = to; else delete el.attrs.to;
  delete el.attrs.xmlns;
  // a client must not be able to forge the room's ids (XEP-0359 §3.1, XEP-0421 §4)
  el.children = el.children.filter((c) => typeof c === 'string' || !(
    (c.name === 'stanza-id' && c.attrs.by === e.room) || c.name === 'occupant-id'));
  el.cnode(xml('stanza-id', { xmlns: NS_SID, by: e.room, id: e.stanzaId }));
  el.cnode(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: e.occupantId }));
  return el;
}

/** An archived message as history on join: addressed to the joiner, delayed to its time. */
export function writeReplay(r: ReplayIntent): Element {
  const el = parseStanza(r.xml);
  el.attrs.to = r.to;
  el.children = el.children.filter((c) => typeof c === 'string' || c.name !== 'delay');
  el.cnode(xml('delay', { xmlns: NS_DELAY, stamp: r.stamp, from: r.room }));
  return el;
}
