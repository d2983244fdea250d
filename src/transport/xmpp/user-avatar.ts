/**
 * The user's own avatar in rooms (spec §3.7), read from the user's PEP (XEP-0084) through
 * XEP-0356 IQ privilege: its metadata gives the hash the user's self-presences carry; a vCard
 * get on the user's own occupant asks for the metadata, then the data, and answers with the
 * image. The answers come back to the gateway from the user's bare JID; their ids carry what
 * the next step needs (who asked for the vCard), as an error keeps only the id.
 */
import { errorConditionOf } from './errors.ts';
import { NS_PUBSUB, privilegedAnswer, writePrivilegedPubsub } from './privilege.ts';
import { escapeAttr, type Element } from './stanza.ts';

export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
const PREFIX = 'roomgate-avatar-';

/** Who asked for the vCard of the user's own occupant: the iq the image answers. */
export interface VcardAsker { to: string; from: string; id: string }

/** A step of reading the user's avatar: its metadata (for the hash, or for a vCard), then its data. */
export type UserAvatarRequest =
  | { step: 'metadata'; asker?: VcardAsker }
  | { step: 'data'; hash: string; mime: string; asker: VcardAsker };

export type UserAvatarAnswer =
  /** `avatar` null: the user has none (no node, or empty metadata); 'refused': the server would not read it. */
  | { step: 'metadata'; avatar: { hash: string; mime: string } | null | 'refused'; asker?: VcardAsker }
  /** `data` null: not read (refused, gone meanwhile). */
  | { step: 'data'; data: string | null; mime: string; asker: VcardAsker };

/** True for the id of a user-avatar IQ's answer (the edge queues those for the user's worker). */
export function isUserAvatarAnswerId(id: string): boolean {
  return id.startsWith(PREFIX);
}

/** The privileged IQ of a step, from the gateway to the user's bare JID. */
export function writeUserAvatarRequest(gateway: string, user: string, r: UserAvatarRequest): string {
  const payload = r.step === 'metadata'
    ? `<items node="${NS_AVATAR_METADATA}" max_items="1"/>`
    : `<items node="${NS_AVATAR_DATA}"><item id="${escapeAttr(r.hash)}"/></items>`;
  const carried = r.step === 'metadata' ? (r.asker ? `:${encode([r.asker.to, r.asker.from, r.asker.id])}` : '')
    : `:${encode([r.asker.to, r.asker.from, r.asker.id, r.mime])}`;
  return writePrivilegedPubsub({ gateway, user, type: 'get', id: `${PREFIX}${r.step}${carried}`, payload });
}

/** The answer to one of the gateway's user-avatar IQs, or null for any other stanza (or an id it did not write). */
export function readUserAvatarAnswer(iq: Element): UserAvatarAnswer | null {
  const id = String(iq.attrs.id ?? '');
  if (iq.name !== 'iq' || !id.startsWith(PREFIX) || (iq.attrs.type !== 'result' && iq.attrs.type !== 'error')) return null;
  const [step, carried] = splitOnce(id.slice(PREFIX.length), ':');
  const fields = carried === undefined ? [] : decode(carried);
  if (!fields) return null;
  const asker = fields.length >= 3 ? { to: fields[0]!, from: fields[1]!, id: fields[2]! } : undefined;
  const inner = privilegedAnswer(iq);
  if (step === 'metadata') {
    const avatar = inner === 'refused' ? 'refused'
      : inner.attrs.type === 'error' ? (errorConditionOf(inner) === 'item-not-found' ? null : 'refused')
      : metadataOf(inner);
    return { step, avatar, ...(asker ? { asker } : {}) };
  }
  if (step !== 'data' || !asker || fields.length !== 4) return null;
  const data = inner === 'refused' || inner.attrs.type === 'error' ? null : dataOf(inner);
  return { step, data, mime: fields[3]!, asker };
}

/** XEP-0084 §4.2: the published image's info (the one in the data node: no url); none for empty metadata. */
function metadataOf(result: Element): { hash: string; mime: string } | null {
  const item = result.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChild('item');
  const info = item?.getChild('metadata', NS_AVATAR_METADATA)?.getChildren('info').find((i) => !i.attrs.url && i.attrs.id);
  return info ? { hash: String(info.attrs.id), mime: String(info.attrs.type ?? 'image/png') } : null;
}

/** The image of a data item, base64 without whitespace; null when there is none. */
function dataOf(result: Element): string | null {
  const text = result.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChild('item')?.getChildText('data', NS_AVATAR_DATA);
  const data = text?.replace(/\s+/g, '') ?? '';
  return data || null;
}

const encode = (fields: string[]) => Buffer.from(JSON.stringify(fields)).toString('base64url');

function decode(carried: string): string[] | null {
  try {
    const fields: unknown = JSON.parse(Buffer.from(carried, 'base64url').toString());
    return Array.isArray(fields) && fields.every((f) => typeof f === 'string') ? fields as string[] : null;
  } catch {
    return null;
  }
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const at = s.indexOf(sep);
  return at < 0 ? [s, undefined] : [s.slice(0, at), s.slice(at + 1)];
}
