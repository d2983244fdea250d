/**
 * Where the network's attachments go before clients see them (spec §3.19, Slidge's two ways):
 * - an upload service (XEP-0363, `upload.service`): the worker asks it for a slot from the
 *   gateway's JID and PUTs the bytes there. The request joins the user's partition's outbound
 *   stream; the edge publishes the answer on a Redis channel, which the worker that asked
 *   listens to. Not through the user's mailbox: a plugin may upload inside a job of that
 *   mailbox (a backfill), which would then wait for itself;
 * - a folder the operator's web server serves (`upload.path` and `upload.urlPrefix`).
 * A file with a legacy id is uploaded once: its URL is kept in Redis (`upload.cacheSeconds`)
 * and sent again while the URL still answers.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { readAttachment, urlOnly } from '../legacy/attachment.ts';
import type { LegacyAttachment, SharedFile } from '../legacy/types.ts';
import { logRedisErrors } from '../redis.ts';
import { readSlotAnswer, uploadRequestId, writeSlotRequest, type Slot } from '../transport/xmpp/http-upload.ts';
import { bareJid, parseStanza } from '../transport/xmpp/stanza.ts';
import type { SharedAttachment } from '../legacy/session.ts';
import type { Keys } from './keys.ts';

export interface UploadSettings {
  /** JID of a XEP-0363 upload service that accepts the gateway's requests. */
  service?: string;
  /** Or: a folder, served by the operator's web server at `urlPrefix`. */
  path?: string;
  urlPrefix?: string;
  /** Attachments given as URLs are sent as those URLs, not downloaded and uploaded again. */
  useOriginalUrls?: boolean;
  /** How long a slot request may wait for its answer. */
  slotTimeoutMs?: number;
  /** How long an uploaded file's URL is reused for the same legacy file id. */
  cacheSeconds?: number;
}

/** What Redis keeps of an uploaded file, by its legacy id: where it is, and for a folder's file its path. */
interface KeptUpload { url: string; file?: SharedFile; local?: string }

export interface UploadDeps { redis: Redis; keys: Keys; gatewayJid: string; settings: UploadSettings; log: Logger }

const SLOT_TIMEOUT_MS = 30_000;
const PUT_TIMEOUT_MS = 300_000;
const CHECK_TIMEOUT_MS = 10_000;
/** Prosody's mod_http_file_share keeps files 7 days: a day less. */
const CACHE_SECONDS = 6 * 86400;

export class Uploads {
  private readonly pending = new Map<string, { service: string; resolve: (slot: Slot) => void; reject: (err: Error) => void }>();
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> | null = null;

  constructor(private readonly deps: UploadDeps) {}

  /** Whether attachments with bytes can be shared at all (else they are a failure message). */
  get configured(): boolean {
    const { service, path, urlPrefix } = this.deps.settings;
    return Boolean(service || (path && urlPrefix));
  }

  /** The attachment uploaded (or found uploaded before) and described; throws why it could not be. */
  async share(user: string, a: LegacyAttachment, date: string): Promise<SharedAttachment> {
    const { settings } = this.deps;
    const url = urlOnly(a);
    if (url !== null && (settings.useOriginalUrls || !this.configured)) return { url };
    if (!this.configured) throw new Error('no upload service or attachment folder is configured (upload.service, or upload.path and upload.urlPrefix)');
    if (a.legacyFileId !== undefined) {
      const known = await this.uploadedBefore(a.legacyFileId);
      if (known) return known;
    }
    const { data, file } = await readAttachment(a, date);
    const stored = settings.service ? { url: await this.viaService(user, settings.service, data, file) } : await this.toFolder(data, file);
    if (a.legacyFileId !== undefined) {
      const kept: KeptUpload = { ...stored, file };
      await this.deps.redis.set(this.deps.keys.uploadedFile(a.legacyFileId), JSON.stringify(kept), 'EX', settings.cacheSeconds ?? CACHE_SECONDS);
    }
    return { url: stored.url, file };
  }

  /** The edge published an answer to a slot request: the worker that asked takes it. */
  answered(xml: string): void {
    let answer;
    try {
      answer = readSlotAnswer(parseStanza(xml));
    } catch {
      return;
    }
    const waiting = answer && this.pending.get(answer.id);
    // only the service asked answers: a client that guessed an id cannot answer for it
    if (!answer || !waiting || bareJid(answer.from) !== waiting.service) return;
    this.pending.delete(answer.id);
    if ('slot' in answer) waiting.resolve(answer.slot);
    else waiting.reject(new Error(`the upload service refused the slot: ${answer.error}`));
  }

  async close(): Promise<void> {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(new Error('the worker is stopping'));
    }
    const sub = this.subscriber;
    this.subscriber = null;
    this.subscribed = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /** The file uploaded before under this legacy id, if it is still there (else it is uploaded again). */
  private async uploadedBefore(legacyFileId: string): Promise<SharedAttachment | null> {
    const text = await this.deps.redis.get(this.deps.keys.uploadedFile(legacyFileId));
    let kept: KeptUpload;
    try {
      kept = JSON.parse(text ?? 'null') as KeptUpload;
    } catch {
      return null;
    }
    if (!kept?.url) return null;
    // Slidge's check: the upload service may have dropped it since (the folder's URL may not be
    // one the gateway can reach: its file is looked for instead)
    const still = kept.local !== undefined
      ? await access(kept.local).then(() => true, () => false)
      : await fetch(kept.url, { method: 'HEAD', signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) }).then((r) => r.ok, () => false);
    return still ? { url: kept.url, ...(kept.file ? { file: kept.file } : {}) } : null;
  }

  private async viaService(user: string, service: string, data: Uint8Array, file: SharedFile): Promise<string> {
    const slot = await this.askSlot(user, service, file);
    const response = await fetch(slot.put, {
      method: 'PUT', body: Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as BodyInit, headers: { ...slot.headers, 'content-type': file.mediaType },
      signal: AbortSignal.timeout(PUT_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`the upload service refused the file: HTTP ${response.status}`);
    return slot.get;
  }

  private async askSlot(user: string, service: string, file: SharedFile): Promise<Slot> {
    await this.listen();
    const id = uploadRequestId(randomUUID());
    const timeoutMs = this.deps.settings.slotTimeoutMs ?? SLOT_TIMEOUT_MS;
    const answer = new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the upload service did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        service: bareJid(service),
        resolve: (slot) => { clearTimeout(timer); resolve(slot); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
    });
    const request = writeSlotRequest({ id, from: this.deps.gatewayJid, service, filename: file.name, size: file.size, contentType: file.mediaType });
    // the user's partition's stream: the edge sends it like the partition's other stanzas
    await this.deps.redis.xadd(this.deps.keys.outStream(this.deps.keys.partitionOf(user)), '*', 's', request).catch((err: Error) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      waiting?.reject(err);
    });
    return answer;
  }

  /** Subscribed to the answers' channel before the first request goes out. */
  private listen(): Promise<void> {
    if (this.subscribed) return this.subscribed;
    const sub = this.subscriber = this.deps.redis.duplicate();
    sub.on('error', logRedisErrors(this.deps.log, {}, 'upload answers connection error'));
    sub.on('message', (_channel: string, xml: string) => this.answered(xml));
    this.subscribed = sub.subscribe(this.deps.keys.uploadAnswers()).then(() => undefined, (err: Error) => {
      this.subscribed = null;
      throw err;
    });
    return this.subscribed;
  }

  private async toFolder(data: Uint8Array, file: SharedFile): Promise<{ url: string; local: string }> {
    const { path, urlPrefix } = this.deps.settings;
    // a random folder per file: URLs nobody can guess, and names that never collide
    const folder = randomUUID();
    const local = join(path!, folder, file.name);
    await mkdir(join(path!, folder), { recursive: true });
    await writeFile(local, data, { mode: 0o644 });
    return { url: `${urlPrefix!.replace(/\/+$/, '')}/${folder}/${encodeURIComponent(file.name)}`, local };
  }
}
