/**
 * XEP-0461 Message Replies (spec §3.18): §3 `<reply to id/>` both ways, with the quote of the
 * replied message marked as a XEP-0428 fallback. A reply in a thread carries its `<thread>`
 * like any message (spec §3.23, muc-message.ts).
 */
import { readFallback, writeFallback } from './fallback.ts';
import { xml, type Element } from './stanza.ts';

export const NS_REPLY = 'urn:xmpp:reply:0';

export interface ReadReply {
  /** The id of the message replied to. */
  id: string;
  /** Its author's occupant JID, when the client said. */
  to?: string;
  /** The body without the quote, and the quote (spec §3.18: passed to `onText` apart). */
  text: string;
  fallback?: string;
}

/** The reply a message with `body` carries, or null. */
export function readReply(el: Element, body: string): ReadReply | null {
  const reply = el.getChild('reply', NS_REPLY);
  if (!reply?.attrs.id) return null;
  const quote = readFallback(el, NS_REPLY, body);
  return {
    id: String(reply.attrs.id),
    ...(reply.attrs.to ? { to: String(reply.attrs.to) } : {}),
    text: quote ? quote.text : body,
    ...(quote ? { fallback: quote.fallback } : {}),
  };
}

/** `<reply/>`, then the fallback of the quote that starts the body, `quoteLength` code points. */
export function writeReply(id: string, to: string | undefined, quoteLength?: number): Element[] {
  const reply = xml('reply', { xmlns: NS_REPLY, to, id });
  return quoteLength ? [reply, writeFallback(NS_REPLY, { start: 0, end: quoteLength })] : [reply];
}
