/**
 * Presences from rooms and occupants (XEP-0045 §7.2 join, §7.14 leave, §9 kick/ban,
 * §7.6 rename), with XEP-0421 occupant-id, XEP-0317 hats and the room's XEP-0153 avatar hash.
 */
import type { PresenceIntent } from '../../machines/ports.ts';
import { NS_HATS, NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID, NS_VCARD_UPDATE } from './ns.ts';
import { errorElement, escapeAttr, escapeText, xml, xmlAttr, xmlString, type Element } from './stanza.ts';

/** The occupant JID of a nickname in a room (bare room JID when `nick` is null). */
export function occupantJid(room: string, nick: string | null): string {
  return nick === null ? room : `${room}/${nick}`;
}

/**
 * `writePresence(p).toString()` without the element tree, for occupant presences (item,
 * status codes, show and status, occupant-id): a join of 10,000 writes 10,000 of them.
 * Errors, hats, reasons and destroys are written by `writePresence`. Same XML (unit-tested).
 */
export function presenceXml(p: PresenceIntent): string {
  if (p.type === 'error' || p.hats?.length || p.destroy || p.item?.reason) return writePresence(p).toString();
  let children = '';
  if (p.show) children += `<show>${escapeText(p.show)}</show>`;
  if (p.status) children += `<status>${escapeText(p.status)}</status>`;
  if (p.item) {
    // the item's attributes in its own order, as the element tree writes them
    children += `<x xmlns="${NS_MUC_USER}">${xmlString('item', { ...p.item })}`;
    for (const code of p.codes ?? []) children += `<status code="${code}"/>`;
    children += '</x>';
  }
  if (p.photo !== undefined) children += p.photo ? `<x xmlns="${NS_VCARD_UPDATE}"><photo>${escapeText(p.photo)}</photo></x>` : `<x xmlns="${NS_VCARD_UPDATE}"><photo/></x>`;
  if (p.occupantId) children += `<occupant-id xmlns="${NS_OCCUPANT_ID}" id="${escapeAttr(p.occupantId)}"/>`;
  // templates rather than xmlString's attribute objects: less garbage per presence (as messageXml)
  const head = `<presence from="${escapeAttr(occupantJid(p.room, p.nick))}"${xmlAttr('to', p.to)}${xmlAttr('id', p.id)}${xmlAttr('type', p.type)}`;
  return children ? `${head}>${children}</presence>` : `${head}/>`;
}

export function writePresence(p: PresenceIntent): Element {
  const el = xml('presence', { from: occupantJid(p.room, p.nick), to: p.to, id: p.id, type: p.type });
  if (p.type === 'error') {
    // spec §2.16: the error presence keeps the muc payload so clients match it to their join
    el.cnode(xml('x', { xmlns: NS_MUC }));
    el.cnode(errorElement(p.error!));
    return el;
  }
  if (p.show) el.cnode(xml('show', null, p.show));
  if (p.status) el.cnode(xml('status', null, p.status));
  if (p.item) {
    const { reason, ...attrs } = p.item;
    const x = xml('x', { xmlns: NS_MUC_USER },
      xml('item', attrs, reason ? xml('reason', null, reason) : null));
    for (const code of p.codes ?? []) x.cnode(xml('status', { code }));
    if (p.destroy) x.cnode(xml('destroy', null, p.destroy.reason ? xml('reason', null, p.destroy.reason) : null));
    el.cnode(x);
  }
  if (p.hats?.length) {
    el.cnode(xml('hats', { xmlns: NS_HATS }, ...p.hats.map((h) => xml('hat', { uri: h.uri, title: h.title }))));
  }
  if (p.photo !== undefined) el.cnode(xml('x', { xmlns: NS_VCARD_UPDATE }, xml('photo', null, p.photo || null)));
  if (p.occupantId) el.cnode(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: p.occupantId }));
  return el;
}
