/**
 * Room avatars as the gateway keeps them (spec §3.6): a PNG of at most 200 px a side (a small
 * PNG is kept as it is), named by the SHA-1 of its bytes, the hash XEP-0153 presences carry.
 */
import { createHash } from 'node:crypto';
import { XmppError } from '../transport/xmpp/errors.ts';
import { downloadBytes } from './download.ts';

/** The longest side of a stored avatar, in pixels (Slidge's). */
export const AVATAR_MAX_PX = 200;
/** The largest image accepted, before it is scaled down: larger is refused rather than decoded. */
export const AVATAR_MAX_BYTES = 8 * 1024 * 1024;
/** How long a plugin's avatar URL may take to download. */
const FETCH_TIMEOUT_MS = 30_000;

/** A room's avatar as its snapshot keeps it; the bytes are in the partition's store (`Keys.partitionAvatars`). */
export interface AvatarRef {
  /** SHA-1 (hex) of the stored bytes. */
  hash: string;
  mime: string;
  /** The network's id of the image (Slidge's "legacy file ID"): an unchanged id is not fetched again. */
  legacyId: string | null;
}

/** An avatar with its bytes (base64), as events and the store carry it. */
export interface StoredAvatar extends AvatarRef { data: string }

/** What a plugin may give `setAvatar`: the image's bytes, or where to download them. */
export type AvatarSource = Uint8Array | URL | string;

/**
 * The avatar as stored: scaled down to `AVATAR_MAX_PX` and converted to PNG, unless it is a
 * PNG that small already. Throws `bad-request` for what is not an image.
 */
export async function normaliseAvatar(bytes: Uint8Array, legacyId: string | null = null): Promise<StoredAvatar> {
  if (bytes.byteLength > AVATAR_MAX_BYTES) throw new XmppError('not-acceptable', `An avatar may be at most ${AVATAR_MAX_BYTES} bytes`);
  const sharp = await loadSharp();
  let stored: Buffer;
  try {
    const image = sharp(bytes, { animated: false, limitInputPixels: 50_000_000 });
    const { format, width = 0, height = 0 } = await image.metadata();
    stored = format === 'png' && width <= AVATAR_MAX_PX && height <= AVATAR_MAX_PX
      ? Buffer.from(bytes)
      : await image.resize(AVATAR_MAX_PX, AVATAR_MAX_PX, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  } catch {
    throw new XmppError('bad-request', 'This is not an image the gateway can read');
  }
  return { hash: avatarHash(stored), mime: 'image/png', legacyId, data: stored.toString('base64') };
}

/**
 * sharp (libvips), loaded on the first image: where its native part cannot load (a platform
 * without a prebuilt libvips), the gateway runs on, and only avatars (and attachments'
 * thumbnails) fail, with this reason.
 */
export async function loadSharp(): Promise<typeof import('sharp').default> {
  try {
    return (await import('sharp')).default;
  } catch (err) {
    throw new XmppError('internal-server-error', `Images need the sharp package, which did not load: ${(err as Error).message}`);
  }
}

/** The avatar a plugin gives (`setAvatar` of a room or a participant): fetched where it is a URL, then normalised. */
export async function loadAvatar(image: AvatarSource, legacyId: string | number | undefined): Promise<StoredAvatar> {
  return normaliseAvatar(await avatarBytes(image), legacyId === undefined ? null : String(legacyId));
}

/** XEP-0153: the SHA-1 of the image's bytes, in hex. */
export function avatarHash(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** The image's bytes: given, or downloaded from a URL (http or https, at most `AVATAR_MAX_BYTES`). */
export async function avatarBytes(source: AvatarSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  return downloadBytes(source, { maxBytes: AVATAR_MAX_BYTES, timeoutMs: FETCH_TIMEOUT_MS, what: 'avatar' });
}
