/**
 * What a message carrying a file of the network tells clients about it (spec §3.19), in both
 * forms Slidge sends until clients settle on one: XEP-0385 SIMS (a reference to the media) and
 * XEP-0447 SFS (the file's metadata and where to get it). Size, SHA-256 (XEP-0300), date, and
 * for images their size and a XEP-0264 thumbnail that is a ThumbHash data URI.
 */
import type { SharedFile } from '../../legacy/types.ts';
import { xml, type Element } from './stanza.ts';

export const NS_SIMS = 'urn:xmpp:sims:1';
export const NS_SFS = 'urn:xmpp:sfs:0';
export const NS_REFERENCE = 'urn:xmpp:reference:0';
export const NS_FILE_METADATA = 'urn:xmpp:file:metadata:0';
export const NS_JINGLE_FT = 'urn:xmpp:jingle:apps:file-transfer:5';
export const NS_HASHES = 'urn:xmpp:hashes:2';
export const NS_THUMBS = 'urn:xmpp:thumbs:1';
export const NS_URL_DATA = 'http://jabber.org/protocol/url-data';

/** The children common to both forms' `<file>`. */
function fileChildren(f: SharedFile, withDimensions: boolean): Element[] {
  return [
    xml('media-type', null, f.mediaType),
    xml('name', null, f.name),
    xml('size', null, String(f.size)),
    ...(withDimensions && f.width !== undefined && f.height !== undefined ? [xml('width', null, String(f.width)), xml('height', null, String(f.height))] : []),
    ...(f.date ? [xml('date', null, f.date)] : []),
    xml('hash', { xmlns: NS_HASHES, algo: 'sha-256' }, f.sha256),
    ...(f.thumbhash ? [xml('thumbnail', {
      xmlns: NS_THUMBS, uri: `data:image/thumbhash;base64,${f.thumbhash}`, 'media-type': 'image/thumbhash',
      ...(f.width !== undefined && f.height !== undefined ? { width: f.width, height: f.height } : {}),
    })] : []),
  ];
}

/** XEP-0385: `<reference type="data"><media-sharing>` with the file and its URL. */
export function writeSims(f: SharedFile, url: string): Element {
  return xml('reference', { xmlns: NS_REFERENCE, type: 'data' },
    xml('media-sharing', { xmlns: NS_SIMS },
      xml('file', { xmlns: NS_JINGLE_FT }, ...fileChildren(f, false)),
      xml('sources', null, xml('reference', { xmlns: NS_REFERENCE, type: 'data', uri: url }))));
}

/** XEP-0447: `<file-sharing>` with the file's metadata (XEP-0446) and its URL. */
export function writeSfs(f: SharedFile, url: string): Element {
  const disposition = /^(image|video|audio)\//.test(f.mediaType) ? 'inline' : 'attachment';
  return xml('file-sharing', { xmlns: NS_SFS, disposition },
    xml('file', { xmlns: NS_FILE_METADATA }, ...fileChildren(f, true)),
    xml('sources', null, xml('url-data', { xmlns: NS_URL_DATA, target: url })));
}

/** What a client said of the file it sent (spec §3.19), as far as it said anything. */
export type ClientFile = Partial<SharedFile>;

/**
 * The metadata of a client's file: SFS's (XEP-0447), else SIMS's (XEP-0385); null where the
 * message has neither. Only what is there and well-formed is kept.
 */
export function readClientFile(el: Element): ClientFile | null {
  const file = el.getChild('file-sharing', NS_SFS)?.getChild('file', NS_FILE_METADATA)
    ?? el.getChild('reference', NS_REFERENCE)?.getChild('media-sharing', NS_SIMS)?.getChild('file', NS_JINGLE_FT);
  if (!file) return null;
  const text = (name: string) => file.getChildText(name)?.trim() || undefined;
  const count = (name: string) => {
    const n = Number(text(name));
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  const sha256 = file.getChildren('hash').find((h) => h.attrs.xmlns === NS_HASHES && h.attrs.algo === 'sha-256')?.getText().trim();
  const date = text('date');
  const read: ClientFile = {
    name: text('name'), mediaType: text('media-type'), size: count('size'), width: count('width'), height: count('height'),
    sha256: sha256 || undefined, date: date && !Number.isNaN(Date.parse(date)) ? date : undefined,
  };
  for (const key of Object.keys(read) as (keyof ClientFile)[]) if (read[key] === undefined) delete read[key];
  return Object.keys(read).length ? read : null;
}
