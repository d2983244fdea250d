/**
 * Link previews as Cheogram sends them (spec §3.23): after the body, one RDF `Description` per
 * link, `about` the link, with Open Graph properties (`title`, `description`, `url`, `image`,
 * `type`, `site_name`). Clients write them with prefixes (`rdf:Description`, `og:title`) or
 * default namespaces; both are read. They are written with default namespaces, as Slidge does.
 */
import type { LinkPreview } from '../../legacy/types.ts';
import { xml, type Element } from './stanza.ts';

export const NS_RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const NS_OGP = 'https://ogp.me/ns#';

const PROPERTIES = [['title', 'title'], ['description', 'description'], ['url', 'url'], ['image', 'image'], ['type', 'type'], ['site_name', 'siteName']] as const;

/** The namespace and local name of an element, its prefix resolved on it or its parent. */
function qualified(el: Element, parent: Element): { ns: string | undefined; local: string } {
  const colon = el.name.indexOf(':');
  if (colon < 0) return { ns: (el.attrs.xmlns as string | undefined) ?? (parent.attrs.xmlns as string | undefined), local: el.name };
  const prefix = el.name.slice(0, colon);
  return { ns: (el.attrs[`xmlns:${prefix}`] ?? parent.attrs[`xmlns:${prefix}`]) as string | undefined, local: el.name.slice(colon + 1) };
}

/**
 * A Description's `about`: `rdf:about` with whatever prefix names the RDF namespace (servers
 * write their own: Prosody sends `xmlns:ns1=… ns1:about`), or a plain `about`.
 */
function aboutOf(d: Element, parent: Element): string {
  for (const [key, value] of Object.entries(d.attrs)) {
    if (key === 'about') return String(value);
    const colon = key.indexOf(':');
    if (colon > 0 && key.slice(colon + 1) === 'about' && key.slice(0, colon) !== 'xmlns') {
      const prefix = key.slice(0, colon);
      if ((d.attrs[`xmlns:${prefix}`] ?? parent.attrs[`xmlns:${prefix}`]) === NS_RDF) return String(value);
    }
  }
  return '';
}

/** The link previews of a message, in order; none without. */
export function readLinkPreviews(message: Element): LinkPreview[] {
  const previews: LinkPreview[] = [];
  for (const d of message.getChildElements()) {
    if (!d.name.endsWith('Description')) continue; // most messages have none: no namespace lookups
    const { ns, local } = qualified(d, message);
    if (ns !== NS_RDF || local !== 'Description') continue;
    const about = aboutOf(d, message);
    if (!about) continue;
    const preview: LinkPreview = { about };
    for (const p of d.getChildElements()) {
      const q = qualified(p, d);
      const property = PROPERTIES.find(([name]) => name === q.local);
      const text = p.getText().trim();
      if (q.ns === NS_OGP && property && text) preview[property[1]] = text;
    }
    previews.push(preview);
  }
  return previews;
}

/** The previews as `Description` elements, to follow the body. */
export function writeLinkPreviews(previews: LinkPreview[]): Element[] {
  return previews.map((p) => xml('Description', { xmlns: NS_RDF, about: p.about },
    ...PROPERTIES.flatMap(([name, key]) => (p[key] ? [xml(name, { xmlns: NS_OGP }, p[key])] : []))));
}
