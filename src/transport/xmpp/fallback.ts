/**
 * XEP-0428 Fallback Indication: §4 which part of a body is only there for clients that do not
 * know a feature (the quote of a reply, the text of a retraction). Ranges count code points.
 */
import { xml, type Element } from './stanza.ts';

export const NS_FALLBACK = 'urn:xmpp:fallback:0';

/**
 * Splits a body into the text a person wrote and the fallback for `feature` (XEP-0428 §4:
 * `<body start end/>`, or the whole body when no range is given). Null when there is none.
 */
export function readFallback(el: Element, feature: string, body: string): { text: string; fallback: string } | null {
  const fallback = el.getChildren('fallback', NS_FALLBACK).find((f) => f.attrs.for === feature);
  if (!fallback) return null;
  const points = [...body];
  const range = fallback.getChild('body');
  const start = range ? clamp(Number(range.attrs.start), points.length) : 0;
  const end = range ? clamp(Number(range.attrs.end), points.length) : points.length;
  if (end < start) return null;
  return { text: [...points.slice(0, start), ...points.slice(end)].join(''), fallback: points.slice(start, end).join('') };
}

/** `<fallback for/>`, with the body range when only part of the body is fallback. */
export function writeFallback(feature: string, range?: { start: number; end: number }): Element {
  return xml('fallback', { xmlns: NS_FALLBACK, for: feature }, range ? xml('body', { start: range.start, end: range.end }) : null);
}

function clamp(n: number, max: number): number {
  return Number.isInteger(n) ? Math.min(Math.max(n, 0), max) : 0;
}
