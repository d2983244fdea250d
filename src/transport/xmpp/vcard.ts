/**
 * vcard-temp (XEP-0054) as rooms serve it (spec §3.6): a vCard that holds only the room's
 * avatar, and the user's request to set or remove it. No other vCard field is read or written.
 */
import { NS_VCARD } from './ns.ts';
import { XmppError } from './errors.ts';
import { xml, type Element } from './stanza.ts';

/** A vCard request: a get, or a set with the image (base64, whitespace removed) or none. */
export type VcardRequest =
  | { kind: 'get' }
  | { kind: 'set'; photo: { data: string; mime: string | null } | null };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The vCard request in an iq, or null when it holds none; a BINVAL that is not base64 is `bad-request`. */
export function readVcardRequest(iq: Element): VcardRequest | null {
  const vcard = iq.getChild('vCard', NS_VCARD);
  if (!vcard || (iq.attrs.type !== 'get' && iq.attrs.type !== 'set')) return null;
  if (iq.attrs.type === 'get') return { kind: 'get' };
  const photo = vcard.getChild('PHOTO');
  const data = (photo?.getChildText('BINVAL') ?? '').replace(/\s+/g, '');
  if (!data) return { kind: 'set', photo: null };
  if (!BASE64.test(data) || data.length % 4 !== 0) throw new XmppError('bad-request', 'The PHOTO BINVAL is not base64');
  return { kind: 'set', photo: { data, mime: photo?.getChildText('TYPE')?.trim() || null } };
}

/** The room's vCard: its avatar as PHOTO (TYPE, BINVAL), or an empty vCard when it has none. */
export function writeVcard(avatar: { mime: string; data: string } | null): Element {
  return xml('vCard', { xmlns: NS_VCARD },
    avatar ? xml('PHOTO', null, xml('TYPE', null, avatar.mime), xml('BINVAL', null, avatar.data)) : null);
}
