/**
 * XEP-0066 Out of Band Data, `jabber:x:oob` (spec §3.19): the URL of an attachment, both ways.
 * SIMS (XEP-0385) and SFS (XEP-0447) metadata are in file-sharing.ts. Not implemented: stickers (XEP-0231).
 */
import { xml, type Element } from './stanza.ts';

export const NS_OOB = 'jabber:x:oob';

/** The attachment URL a message carries, or null. */
export function readOobUrl(el: Element): string | null {
  const url = el.getChild('x', NS_OOB)?.getChildText('url')?.trim();
  return url ? url : null;
}

export function writeOob(url: string): Element {
  return xml('x', { xmlns: NS_OOB }, xml('url', null, url));
}
