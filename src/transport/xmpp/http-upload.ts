/**
 * XEP-0363 HTTP File Upload (spec §3.19): the slot the gateway asks the upload service for,
 * before it PUTs an attachment of the network there. The request goes out from the gateway's
 * JID; its answer is not a user's stanza, so the edge hands it to the worker that asked by its
 * id (`isUploadAnswerId`), over Redis (actors/uploads.ts), not through a user's mailbox.
 */
import { errorConditionOf } from './errors.ts';
import { escapeAttr, type Element } from './stanza.ts';

export const NS_HTTP_UPLOAD = 'urn:xmpp:http:upload:0';
const PREFIX = 'roomgate-upload-';

/** What to ask a slot for. */
export interface SlotRequest { id: string; from: string; service: string; filename: string; size: number; contentType: string }

/** A slot: where to PUT the file (with these headers), and where it will be got from. */
export interface Slot { put: string; headers: Record<string, string>; get: string }

export type SlotAnswer = { id: string; from: string; slot: Slot } | { id: string; from: string; error: string };

/** XEP-0363 §5: the only headers a client passes on from the slot to its PUT. */
const ALLOWED_HEADERS = new Set(['authorization', 'cookie', 'expires']);

/** A fresh id for a slot request (the edge recognises its answer by it). */
export function uploadRequestId(unique: string): string {
  return PREFIX + unique;
}

/** True for the id of a slot request's answer. */
export function isUploadAnswerId(id: string): boolean {
  return id.startsWith(PREFIX);
}

export function writeSlotRequest(r: SlotRequest): string {
  return `<iq type="get" id="${escapeAttr(r.id)}" from="${escapeAttr(r.from)}" to="${escapeAttr(r.service)}">`
    + `<request xmlns="${NS_HTTP_UPLOAD}" filename="${escapeAttr(r.filename)}" size="${r.size}" content-type="${escapeAttr(r.contentType)}"/></iq>`;
}

/** The slot of an answer, or why there is none; null for what is no answer to a slot request. */
export function readSlotAnswer(iq: Element): SlotAnswer | null {
  const id = String(iq.attrs.id ?? '');
  if (iq.name !== 'iq' || !isUploadAnswerId(id)) return null;
  const from = String(iq.attrs.from ?? '');
  if (iq.attrs.type === 'error') {
    const text = iq.getChild('error')?.getChildText('text') ?? '';
    return { id, from, error: [errorConditionOf(iq) ?? 'error', text].filter(Boolean).join(': ') };
  }
  if (iq.attrs.type !== 'result') return null;
  const slot = iq.getChild('slot', NS_HTTP_UPLOAD);
  const put = slot?.getChild('put');
  const get = slot?.getChild('get')?.attrs.url;
  if (!put?.attrs.url || !get || !isHttpUrl(String(put.attrs.url)) || !isHttpUrl(String(get))) {
    return { id, from, error: 'the upload service answered without a usable slot' };
  }
  const headers: Record<string, string> = {};
  for (const h of put.getChildren('header')) {
    const name = String(h.attrs.name ?? '');
    // a header's value must not carry a line break (XEP-0363 §5)
    if (ALLOWED_HEADERS.has(name.toLowerCase())) headers[name] = h.getText().replace(/[\r\n]/g, '');
  }
  return { id, from, slot: { put: String(put.attrs.url), headers, get: String(get) } };
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
