/**
 * XEP-0424 Message Retraction (spec §3.15): v0.4 `<retract xmlns='urn:xmpp:message-retract:1'
 * id/>` both ways, and the older fastened form (`<apply-to><retract xmlns=…:0/></apply-to>`)
 * read from clients. A legacy retraction carries a fallback body and `<replace/>` (spec §1.4).
 */
import { writeFallback } from './fallback.ts';
import { xml, type Element } from './stanza.ts';

export const NS_RETRACT = 'urn:xmpp:message-retract:1';
export const NS_RETRACT_0 = 'urn:xmpp:message-retract:0';
export const NS_FASTEN = 'urn:xmpp:fasten:0';

/** The id a retraction points at, or null when the message is no retraction. */
export function readRetract(el: Element): string | null {
  const retract = el.getChild('retract', NS_RETRACT);
  if (retract?.attrs.id) return String(retract.attrs.id);
  const applyTo = el.getChild('apply-to', NS_FASTEN);
  if (applyTo?.attrs.id && applyTo.getChild('retract', NS_RETRACT_0)) return String(applyTo.attrs.id);
  return null;
}

/** `<fallback for=retract/>` then `<retract id/>`: the whole body is the fallback. */
export function writeRetract(id: string): Element[] {
  return [writeFallback(NS_RETRACT), xml('retract', { xmlns: NS_RETRACT, id })];
}
