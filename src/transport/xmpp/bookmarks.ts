/**
 * Rooms in the user's bookmarks (XEP-0402, spec §3.9), written in the user's own PEP through
 * XEP-0356 IQ privilege (`urn:xmpp:privilege:2`): the gateway asks the user's server to run a
 * pubsub IQ as the user. First a get of the room's item (a bookmark the user already has is
 * kept as it is), then, where there is none, a publish. The answers come back to the gateway
 * from the user's bare JID; their ids name the step and the room, as errors keep only the id.
 */
import { errorConditionOf } from './errors.ts';
import { NS_PUBSUB, PRIVATE_PUBLISH_OPTIONS, privilegedAnswer, writePrivilegedPubsub } from './privilege.ts';
import { escapeAttr, escapeText } from './stanza.ts';
import type { Element } from './stanza.ts';

export const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';

export type BookmarkStep = 'get' | 'set';
/**
 * What the user's server answered: the user has the bookmark (`found`), has none (`missing`),
 * it is published now (`published`), or the gateway may not write it (`refused`: no privilege,
 * no mod_privilege, or the publish failed).
 */
export type BookmarkOutcome = 'found' | 'missing' | 'published' | 'refused';

const PREFIX = 'roomgate-bookmark-';

/** True for the id of a bookmark IQ's answer (the edge queues those for the user's worker). */
export function isBookmarkAnswerId(id: string): boolean {
  return id.startsWith(PREFIX);
}

/** The id of a step's privileged IQ for a room; `readBookmarkAnswer` reads it back. */
export function bookmarkRequestId(step: BookmarkStep, roomJid: string): string {
  return `${PREFIX}${step}:${roomJid.slice(0, roomJid.indexOf('@'))}`;
}

/** The privileged IQ of a step, from the gateway to the user's bare JID. */
export function writeBookmarkRequest(
  r: { gateway: string; user: string; room: string; step: BookmarkStep; nick: string; autoJoin: boolean },
): string {
  const id = bookmarkRequestId(r.step, r.room);
  const item = escapeAttr(r.room);
  const payload = r.step === 'get'
    ? `<items node="${NS_BOOKMARKS}"><item id="${item}"/></items>`
    : `<publish node="${NS_BOOKMARKS}"><item id="${item}"><conference xmlns="${NS_BOOKMARKS}" autojoin="${r.autoJoin}">`
      + `<nick>${escapeText(r.nick)}</nick></conference></item></publish>${PRIVATE_PUBLISH_OPTIONS}`;
  return writePrivilegedPubsub({ gateway: r.gateway, user: r.user, type: r.step, id, payload });
}

/**
 * The answer to one of the gateway's bookmark IQs: its step, the room's local part, and the
 * outcome; null for any other stanza. An error from the user's server itself (the privileged IQ
 * refused) is `refused`; the wrapped IQ's own answer comes forwarded in a result.
 */
export function readBookmarkAnswer(iq: Element): { step: BookmarkStep; local: string; outcome: BookmarkOutcome } | null {
  const id = String(iq.attrs.id ?? '');
  if (iq.name !== 'iq' || !id.startsWith(PREFIX) || (iq.attrs.type !== 'result' && iq.attrs.type !== 'error')) return null;
  const colon = id.indexOf(':');
  const step = id.slice(PREFIX.length, colon);
  if ((step !== 'get' && step !== 'set') || colon < 0) return null;
  const local = id.slice(colon + 1);
  const inner = privilegedAnswer(iq);
  if (inner === 'refused') return { step, local, outcome: 'refused' };
  if (inner.attrs.type === 'error') {
    return { step, local, outcome: step === 'get' && errorConditionOf(inner) === 'item-not-found' ? 'missing' : 'refused' };
  }
  if (step === 'set') return { step, local, outcome: 'published' };
  const items = inner.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? [];
  return { step, local, outcome: items.length ? 'found' : 'missing' };
}
