/**
 * XEP-0334 Message Processing Hints: §4.2 `<no-store/>` (chat states, never archived) and
 * §4.4 `<store/>` (reactions and retractions, archived although they may have no body).
 * Not used: `<no-permanent-store/>`, `<no-copy/>`.
 */
import { xml, type Element } from './stanza.ts';

export const NS_HINTS = 'urn:xmpp:hints';

export type StoreHint = 'store' | 'no-store';

export function writeHint(hint: StoreHint): Element {
  return xml(hint, { xmlns: NS_HINTS });
}
