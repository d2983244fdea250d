/** Reading a MUC join presence (XEP-0045 §7.2) and its history request (§7.2.15). */
import type { HistoryRequest } from '../../machines/events.ts';
import { NS_MUC } from './ns.ts';
import { resourceOf, type Element } from './stanza.ts';

/** True for a presence that asks to join: it carries `<x xmlns='muc'/>` and is not unavailable. */
export function isJoin(presence: Element): boolean {
  return presence.name === 'presence' && !presence.attrs.type && !!presence.getChild('x', NS_MUC);
}

function nonNegativeInt(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The requested nickname (the `to` resource) and history parameters of a join. */
export function readJoin(presence: Element): { nick: string; history: HistoryRequest } {
  const h = presence.getChild('x', NS_MUC)?.getChild('history');
  const history: HistoryRequest = {};
  if (h) {
    const maxchars = nonNegativeInt(h.attrs.maxchars);
    const maxstanzas = nonNegativeInt(h.attrs.maxstanzas);
    const seconds = nonNegativeInt(h.attrs.seconds);
    if (maxchars !== undefined) history.maxchars = maxchars;
    if (maxstanzas !== undefined) history.maxstanzas = maxstanzas;
    if (seconds !== undefined) history.seconds = seconds;
    if (typeof h.attrs.since === 'string' && !Number.isNaN(Date.parse(h.attrs.since))) {
      history.since = new Date(h.attrs.since).toISOString();
    }
  }
  return { nick: resourceOf(String(presence.attrs.to ?? '')), history };
}
