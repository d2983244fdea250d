/** Small helpers shared by the stanza readers and writers. */
import { Element, parse as parseXml } from 'ltx';
import { NS_STANZAS } from './ns.ts';
import type { StanzaError } from './errors.ts';

export { Element };
export const xml = (name: string, attrs?: Record<string, string | number | undefined> | null, ...children: (Element | string | null | undefined | false)[]): Element => {
  const el = new Element(name, dropUndefined(attrs));
  for (const c of children) {
    if (typeof c === 'string') el.t(c);
    else if (c) el.cnode(c);
  }
  return el;
};

function dropUndefined(attrs?: Record<string, string | number | undefined> | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = String(v);
  return out;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeChar = (c: string) => ESCAPES[c]!;
// made once: a regular expression literal is a new object each time it is evaluated
const ATTR_SPECIAL = /["&'<>]/;
const ATTR_SPECIALS = /["&'<>]/g;
const TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIALS = /[&<>]/g;
/** ltx's escaping, for stanzas written as strings: all five in attribute values, `& < >` in text. */
export const escapeAttr = (v: string) => (ATTR_SPECIAL.test(v) ? v.replace(ATTR_SPECIALS, escapeChar) : v);
export const escapeText = (v: string) => (TEXT_SPECIAL.test(v) ? v.replace(TEXT_SPECIALS, escapeChar) : v);

/** ` name="value"`, escaped, or nothing for no value: for stanzas written as templates. */
export function xmlAttr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeAttr(value)}"`;
}

/**
 * `<name a="…">children</name>`, or `<name a="…"/>` without children, as ltx writes it:
 * attributes in their order, undefined ones left out. For stanzas built as strings.
 */
export function xmlString(name: string, attrs: Record<string, string | number | undefined>, children = ''): string {
  let s = `<${name}`;
  for (const k in attrs) {
    const v = attrs[k];
    s += xmlAttr(k, v === undefined ? v : String(v));
  }
  return children ? `${s}>${children}</${name}>` : `${s}/>`;
}

/**
 * A copy of `s` that does not keep alive the text it was cut from. V8 keeps a substring of 13
 * characters or more as a slice of its parent: an id parsed from the XMPP socket kept the
 * whole chunk read with it (up to 64 KB), for as long as the room remembered the id (W3: 256
 * own ids per room). Concatenating flattens into a new string; the slice taken from that one
 * keeps only it.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : `${s} `.slice(0, -1);
}

/** Parses one stanza; throws on malformed XML. */
export function parseStanza(text: string): Element {
  const el = parseXml(text);
  if (!(el instanceof Element)) throw new Error('not an XML element');
  return el as Element;
}

/** `<error type by><condition/><text/></error>` (RFC 6120 §8.3.2). */
export function errorElement(e: StanzaError): Element {
  return xml('error', { type: e.type, by: e.by },
    xml(e.condition, { xmlns: NS_STANZAS }),
    e.text ? xml('text', { xmlns: NS_STANZAS }, e.text) : null,
  );
}

/** An error reply to a stanza: same name and id, from/to swapped, payload dropped. */
export function errorReply(stanza: Element, e: StanzaError): Element {
  return xml(stanza.name, { from: stanza.attrs.to, to: stanza.attrs.from, id: stanza.attrs.id, type: 'error' }, errorElement(e));
}

/** An iq answer; an error carries no payload. */
export function writeIq(i: { to: string; from: string; id?: string; type: 'result' | 'error'; error?: StanzaError }): Element {
  return xml('iq', { from: i.from, to: i.to, id: i.id, type: i.type }, i.error ? errorElement(i.error) : null);
}

export function bareJid(jid: string): string {
  const i = jid.indexOf('/');
  return i < 0 ? jid : jid.slice(0, i);
}

export function resourceOf(jid: string): string {
  const i = jid.indexOf('/');
  return i < 0 ? '' : jid.slice(i + 1);
}

export function localOf(jid: string): string {
  const bare = bareJid(jid);
  const i = bare.indexOf('@');
  return i < 0 ? '' : bare.slice(0, i);
}

export function domainOf(jid: string): string {
  const bare = bareJid(jid);
  return bare.slice(bare.indexOf('@') + 1);
}
