/**
 * Message Archive Management on a room (XEP-0313 `urn:xmpp:mam:2`, spec §3.2): the query form,
 * a query (data form filters, XEP-0059 RSM paging, `<flip-page/>`), its results and `<fin/>`,
 * and the archive's metadata. Reading and writing only; the page is chosen by
 * `selectArchivePage` (src/actors/archive-query.ts).
 */
import type { ArchivedMessage } from '../../machines/ports.ts';
import type { ArchivePage, ArchiveQuery } from '../../actors/archive-query.ts';
import { XmppError } from './errors.ts';
import { NS_DELAY, NS_XDATA } from './ns.ts';
import { archivedStanza } from './muc-message.ts';
import { xml, type Element } from './stanza.ts';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_XDATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate';

export type MamRequest =
  | { kind: 'form' }
  | { kind: 'metadata' }
  | { kind: 'query'; queryId?: string; query: ArchiveQuery };

/** The MAM request an iq carries, or null when it is none. */
export function readMamRequest(iq: Element): MamRequest | null {
  if (iq.attrs.type === 'get' && iq.getChild('metadata', NS_MAM)) return { kind: 'metadata' };
  const q = iq.getChild('query', NS_MAM);
  if (!q) return null;
  if (iq.attrs.type === 'get') return { kind: 'form' };
  const query: ArchiveQuery = { ...readForm(q.getChild('x', NS_XDATA)), ...readRsm(q.getChild('set', NS_RSM)) };
  if (q.getChild('flip-page')) query.flip = true;
  return { kind: 'query', ...(q.attrs.queryid ? { queryId: String(q.attrs.queryid) } : {}), query };
}

/** The filters of the query's data form (XEP-0313 §4.1, and `#extended`'s ids and before/after-id). */
function readForm(form: Element | undefined): ArchiveQuery {
  const query: ArchiveQuery = {};
  if (!form) return query;
  for (const field of form.getChildren('field')) {
    const name = String(field.attrs.var ?? '');
    const values = field.getChildren('value').map((v) => v.getText());
    const value = values[0]?.trim() ?? '';
    if (name === 'FORM_TYPE' || name === 'include-groupchat') continue; // the room's archive is its groupchat
    if (name === 'ids') { query.ids = values.map((v) => v.trim()).filter(Boolean); continue; }
    if (!value) continue;
    if (name === 'with') query.with = value;
    else if (name === 'start') query.start = readDate(value, name);
    else if (name === 'end') query.end = readDate(value, name);
    else if (name === 'after-id') query.afterId = value;
    else if (name === 'before-id') query.beforeId = value;
    else throw new XmppError('bad-request', `Unknown field: ${name}`); // XEP-0313 §4.1.1
  }
  return query;
}

/** XEP-0082 date-time; anything else is a bad request rather than a filter silently dropped. */
function readDate(value: string, field: string): number {
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new XmppError('bad-request', `Invalid date in ${field}: ${value}`);
  return ms;
}

/** XEP-0059 paging: `<max>`, `<after>`, `<before>` (empty: the last page). */
function readRsm(set: Element | undefined): ArchiveQuery {
  const query: ArchiveQuery = {};
  if (!set) return query;
  const max = set.getChildText('max');
  if (max !== null) {
    if (!/^\d+$/.test(max.trim())) throw new XmppError('bad-request', `Invalid max: ${max}`);
    query.max = Number(max.trim());
  }
  const after = set.getChildText('after');
  if (after?.trim()) query.after = after.trim();
  const before = set.getChild('before');
  if (before) query.before = before.getText().trim() || true;
  return query;
}

/** The query form (XEP-0313 §4.1.2; the fields of spec §3.2). */
export function writeMamForm(): Element {
  const field = (name: string, type: string) => xml('field', { var: name, type });
  return xml('query', { xmlns: NS_MAM },
    xml('x', { xmlns: NS_XDATA, type: 'form' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, NS_MAM)),
      field('with', 'jid-single'), field('start', 'text-single'), field('end', 'text-single'),
      field('before-id', 'text-single'), field('after-id', 'text-single'), field('include-groupchat', 'boolean'),
      xml('field', { var: 'ids', type: 'list-multi' },
        xml('validate', { xmlns: NS_XDATA_VALIDATE, datatype: 'xs:string' }, xml('open'))),
    ));
}

/** One result of a query (XEP-0313 §4.2): the archived message, forwarded, with its time. */
export function writeMamResult(room: string, to: string, queryId: string | undefined, m: ArchivedMessage): Element {
  const archived = archivedStanza(m.xml);
  archived.attrs.xmlns = 'jabber:client';
  return xml('message', { from: room, to },
    xml('result', { xmlns: NS_MAM, queryid: queryId, id: m.stanzaId },
      xml('forwarded', { xmlns: NS_FORWARD },
        xml('delay', { xmlns: NS_DELAY, stamp: m.at }),
        archived)));
}

/**
 * The end of a query (XEP-0313 §4.3): `complete` when no page is left that way, `stable='false'`
 * unless the plugin keeps its archive's ids and order (`STABLE_ARCHIVE`), and the RSM set.
 */
export function writeMamFin(page: ArchivePage, stable: boolean): Element {
  return xml('fin', { xmlns: NS_MAM, complete: page.complete ? 'true' : undefined, stable: stable ? undefined : 'false' },
    xml('set', { xmlns: NS_RSM },
      page.first !== undefined ? xml('first', { index: page.index }, page.first) : null,
      page.last !== undefined ? xml('last', null, page.last) : null,
      xml('count', null, String(page.count))));
}

/** The archive's oldest and newest messages (XEP-0313 §5.3); empty for an empty archive. */
export function writeMamMetadata(ordered: ArchivedMessage[]): Element {
  const first = ordered[0]; const last = ordered.at(-1);
  return xml('metadata', { xmlns: NS_MAM },
    first ? xml('start', { id: first.stanzaId, timestamp: first.at }) : null,
    last ? xml('end', { id: last.stanzaId, timestamp: last.at }) : null);
}
