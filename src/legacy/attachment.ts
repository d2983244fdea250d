/**
 * An attachment of the network made ready to share (spec §3.19): its bytes read (given, from a
 * file, or downloaded), its name and type settled, and what clients are told of it (SFS/SIMS
 * metadata: size, SHA-256, and for images their size and a ThumbHash placeholder).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { rgbaToThumbHash } from 'thumbhash';
import { loadSharp } from './avatar.ts';
import { downloadBytes } from './download.ts';
import type { LegacyAttachment, SharedFile } from './types.ts';

/** The largest attachment roomgate reads into memory to upload. */
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;
/** Slidge's ATTACHMENT_MAXIMUM_FILE_NAME_LENGTH: longer names are cut, keeping the extension. */
export const FILE_NAME_MAX = 200;
/** ThumbHash encodes images of at most 100 px a side. */
const THUMB_PX = 100;

/** An attachment's bytes and what is known of them. */
export interface AttachmentFile { data: Uint8Array; file: SharedFile }

/** A few common types by extension, for files that are not images sharp can read. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain', '.pdf': 'application/pdf', '.zip': 'application/zip', '.json': 'application/json',
  '.mp3': 'audio/mpeg', '.m4a': 'audio/mp4', '.ogg': 'audio/ogg', '.oga': 'audio/ogg', '.opus': 'audio/ogg', '.wav': 'audio/wav',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.mkv': 'video/x-matroska',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.svg': 'image/svg+xml',
  '.html': 'text/html', '.csv': 'text/csv', '.doc': 'application/msword', '.odt': 'application/vnd.oasis.opendocument.text',
};

/** sharp's formats, as MIME types. */
const IMAGE_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', heif: 'image/heif', tiff: 'image/tiff', svg: 'image/svg+xml' };

/** An attachment given by its URL alone: where nothing is to be uploaded, it is sent as that URL. */
export function urlOnly(a: LegacyAttachment): string | null {
  return a.url !== undefined && a.data === undefined && a.path === undefined ? a.url : null;
}

/** The attachment's bytes and metadata; throws when they cannot be read. */
export async function readAttachment(a: LegacyAttachment, date: string): Promise<AttachmentFile> {
  const data = a.data ?? (a.path !== undefined ? await readFile(a.path) : a.url !== undefined
    ? await downloadBytes(a.url, { maxBytes: ATTACHMENT_MAX_BYTES, timeoutMs: DOWNLOAD_TIMEOUT_MS, what: 'attachment' })
    : undefined);
  if (!data) throw new TypeError('an attachment needs data, a path or a url');
  if (data.byteLength > ATTACHMENT_MAX_BYTES) throw new Error(`attachment too large: ${data.byteLength} bytes`);
  const image = await describeImage(data);
  const name = fileName(a, image?.mediaType);
  const mediaType = a.contentType ?? image?.mediaType ?? TYPES_BY_EXTENSION[extname(name).toLowerCase()] ?? 'application/octet-stream';
  const file: SharedFile = {
    name, mediaType, size: data.byteLength,
    sha256: createHash('sha256').update(data).digest('base64'),
    date,
    ...(image ? { width: image.width, height: image.height, ...(image.thumbhash ? { thumbhash: image.thumbhash } : {}) } : {}),
  };
  return { data, file };
}

/** The name given, else the path's or URL's last part, else a random one; at most `FILE_NAME_MAX` characters. */
export function fileName(a: Pick<LegacyAttachment, 'name' | 'path' | 'url'>, mediaType?: string): string {
  const fromUrl = () => {
    try { return decodeURIComponent(basename(new URL(a.url!).pathname)); } catch { return ''; }
  };
  let name = (a.name ?? (a.path !== undefined ? basename(a.path) : a.url !== undefined ? fromUrl() : '')).replace(/[\x00-\x1f/\\]/g, '_').trim();
  if (!name || name === '.' || name === '..') {
    const ext = Object.entries(TYPES_BY_EXTENSION).find(([, type]) => type === mediaType)?.[0] ?? '';
    name = randomUUID() + ext;
  }
  if ([...name].length <= FILE_NAME_MAX) return name;
  const ext = extname(name).slice(0, 20);
  return [...name.slice(0, name.length - ext.length)].slice(0, FILE_NAME_MAX - ext.length).join('') + ext;
}

/** An image's type, size and ThumbHash; null for what sharp cannot read as an image. */
async function describeImage(data: Uint8Array): Promise<{ mediaType: string; width: number; height: number; thumbhash?: string } | null> {
  let sharp;
  try {
    sharp = await loadSharp();
  } catch {
    return null; // no libvips here: files go without image metadata
  }
  try {
    const image = sharp(data, { animated: false, limitInputPixels: 100_000_000 });
    const { format, width, height, orientation } = await image.metadata();
    const mediaType = format ? IMAGE_TYPES[format] : undefined;
    if (!mediaType || !width || !height) return null;
    // EXIF orientations 5-8 turn the image a quarter: what the user sees is the other way round
    const [w, h] = orientation && orientation >= 5 ? [height, width] : [width, height];
    const thumb = await image.rotate().resize(THUMB_PX, THUMB_PX, { fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const thumbhash = Buffer.from(rgbaToThumbHash(thumb.info.width, thumb.info.height, thumb.data)).toString('base64');
    return { mediaType, width: w, height: h, thumbhash };
  } catch {
    return null;
  }
}
