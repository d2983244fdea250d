/**
 * XEP-0333 Displayed Markers in a room (spec §3.21): §3 `<markable/>` on participants'
 * messages, §4 the `<displayed/>` marker both ways. `received` and `acknowledged` markers
 * from the user are ignored (spec §3.21). The user's own marker from the network is also their
 * XEP-0490 displayed mark (mds.ts).
 */
import { NS_MARKERS } from './ns.ts';
import { xml, type Element } from './stanza.ts';

/** The id a `<displayed/>` marker points at, or null when the message carries none. */
export function readDisplayed(el: Element): string | null {
  const marker = el.getChild('displayed', NS_MARKERS);
  return marker?.attrs.id ? String(marker.attrs.id) : null;
}

export function writeDisplayed(id: string): Element {
  return xml('displayed', { xmlns: NS_MARKERS, id });
}

export function writeMarkable(): Element {
  return xml('markable', { xmlns: NS_MARKERS });
}
