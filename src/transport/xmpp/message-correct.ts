/**
 * XEP-0308 Last Message Correction (spec §3.14): §3 `<replace id/>` read from the user's
 * corrections and written on participants' (and on legacy retractions, §1.4).
 */
import { xml, type Element } from './stanza.ts';

export const NS_CORRECT = 'urn:xmpp:message-correct:0';

/** The id a correction replaces, or null when the message is no correction. */
export function readReplace(el: Element): string | null {
  const replace = el.getChild('replace', NS_CORRECT);
  return replace?.attrs.id ? String(replace.attrs.id) : null;
}

export function writeReplace(id: string): Element {
  return xml('replace', { xmlns: NS_CORRECT, id });
}
