/**
 * The gateway as a contact of its users (XEP-0100 §4.1, spec §2.1): it asks for a presence
 * subscription at registration, answers subscriptions and probes, its presence says how the
 * user's session stands ("Logging in…", then what the plugin's `login()` said), and carries
 * entity capabilities (XEP-0115) whose features include `urn:xmpp:avatar:metadata+notify`. A
 * user's server then sends the gateway their PEP avatar changes (XEP-0163 §4.3.3 filtered
 * notifications, XEP-0084): the rooms show a new avatar during the login, not only from the next.
 */
import { createHash } from 'node:crypto';
import { NS_AVATAR_METADATA } from './user-avatar.ts';
import { NS_PUBSUB } from './privilege.ts';
import { escapeAttr, escapeText, type Element } from './stanza.ts';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_PUBSUB_EVENT = `${NS_PUBSUB}#event`;
/** XEP-0115 §4: the URI naming the software whose capabilities these are. */
export const CAPS_NODE = 'urn:roomgate';

/** The notifications the gateway wants from its users' PEP (XEP-0163 §4.3.3). */
export const NOTIFY_FEATURES = [`${NS_AVATAR_METADATA}+notify`];

export interface DiscoIdentity { category: string; type: string; name: string }

/** XEP-0115 §5.1: the verification string of a disco#info (identities, features; no forms here). */
export function capsVer(identities: DiscoIdentity[], features: string[]): string {
  const ids = identities.map((i) => `${i.category}/${i.type}//${i.name}`).sort();
  const s = [...ids, ...[...new Set(features)].sort()].map((x) => `${x}<`).join('');
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** A presence from the gateway to a user: `type` for subscription answers, else available with the caps. */
export function writeGatewayPresence(p: {
  gateway: string; to: string; type?: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'unavailable';
  ver?: string; show?: 'dnd'; status?: string;
}): string {
  const head = `<presence from="${escapeAttr(p.gateway)}" to="${escapeAttr(p.to)}"`;
  if (p.type) return `${head} type="${p.type}"/>`;
  const show = p.show ? `<show>${p.show}</show>` : '';
  const status = p.status ? `<status>${escapeText(p.status)}</status>` : '';
  return `${head}>${show}${status}<c xmlns="${NS_CAPS}" hash="sha-1" node="${CAPS_NODE}" ver="${escapeAttr(p.ver ?? '')}"/></presence>`;
}

/**
 * A PEP notification of the user's avatar (XEP-0084 §4.2 in a pubsub event): the hash of the
 * newest image (its info without url), null when the metadata is empty (no avatar); undefined
 * for any other stanza.
 */
export function readAvatarNotification(message: Element): string | null | undefined {
  const items = message.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
  if (!items || items.attrs.node !== NS_AVATAR_METADATA) return undefined;
  const item = items.getChildren('item').at(-1);
  const metadata = item?.getChild('metadata', NS_AVATAR_METADATA);
  if (!metadata) return undefined;
  const info = metadata.getChildren('info').find((i) => !i.attrs.url && i.attrs.id);
  return info ? String(info.attrs.id) : null;
}
