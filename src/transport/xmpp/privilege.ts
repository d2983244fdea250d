/**
 * XEP-0356 IQ privilege (`urn:xmpp:privilege:2`): the gateway asks the user's server to run a
 * pubsub IQ on the user's own PEP as the user (bookmarks, spec §3.9; the user's avatar, §3.7).
 */
import { NS_XDATA } from './ns.ts';
import { escapeAttr, type Element } from './stanza.ts';

export const NS_PRIVILEGE = 'urn:xmpp:privilege:2';
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_FORWARD = 'urn:xmpp:forward:0';

/**
 * A pubsub IQ on the user's own PEP, which the gateway asks the user's server to run as the
 * user (XEP-0356 IQ privilege); `payload` goes inside `<pubsub/>` as it is.
 */
export function writePrivilegedPubsub(r: { gateway: string; user: string; type: 'get' | 'set'; id: string; payload: string }): string {
  const user = escapeAttr(r.user);
  const id = escapeAttr(r.id);
  return `<iq type="${r.type}" from="${escapeAttr(r.gateway)}" to="${user}" id="${id}"><privileged_iq xmlns="${NS_PRIVILEGE}">`
    + `<iq xmlns="jabber:client" type="${r.type}" from="${user}" to="${user}" id="${id}"><pubsub xmlns="${NS_PUBSUB}">${r.payload}</pubsub></iq>`
    + '</privileged_iq></iq>';
}

/**
 * What a privileged IQ's answer holds: the wrapped IQ's own answer (forwarded in a result), or
 * 'refused' when the user's server did not run it (no privilege, no mod_privilege).
 */
export function privilegedAnswer(iq: Element): Element | 'refused' {
  if (iq.attrs.type === 'error') return 'refused';
  return iq.getChild('privilege', NS_PRIVILEGE)?.getChild('forwarded', NS_FORWARD)?.getChild('iq') ?? 'refused';
}

/**
 * Publish options of an item only the user reads (XEP-0402 §3, XEP-0490 §4): kept, private to
 * the user, not pushed on subscription. Both bookmarks and displayed marks are published so.
 */
export const PRIVATE_PUBLISH_OPTIONS = `<publish-options><x xmlns="${NS_XDATA}" type="submit">`
  + field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options', 'hidden')
  + field('pubsub#persist_items', '1') + field('pubsub#max_items', 'max')
  + field('pubsub#send_last_published_item', 'never') + field('pubsub#access_model', 'whitelist')
  + '</x></publish-options>';

function field(name: string, value: string, type?: string): string {
  return `<field var="${name}"${type ? ` type="${type}"` : ''}><value>${value}</value></field>`;
}
