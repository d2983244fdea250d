// What end-to-end tests read off received stanzas, one way for every test file.
import type { Element } from 'ltx';
import { NS_MUC_USER, NS_STANZAS } from '../../src/transport/xmpp/ns.ts';

/** The muc#user status codes of a presence or message, in order. */
export const statusCodes = (el: Element): number[] =>
  el.getChild('x', NS_MUC_USER)?.getChildren('status').map((s) => Number(s.attrs.code)) ?? [];

/** The RFC 6120 condition of an error stanza (`item-not-found` ...), if any. */
export const errorCondition = (el: Element): string | undefined =>
  el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS)?.name;
