/**
 * Service discovery (XEP-0030) of the gateway itself: identity and features, so clients offer
 * registration and know rooms live here. Room disco (spec §3.1) comes with the room actor work.
 */
import { NS_DISCO_INFO, NS_MUC, NS_PING, NS_REGISTER, NS_DISCO_ITEMS } from './ns.ts';
import { xml, type Element } from './stanza.ts';

export const GATEWAY_FEATURES = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_REGISTER, NS_PING];

export function writeGatewayInfo(name: string): Element {
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name }),
    xml('identity', { category: 'gateway', type: 'legacy', name }),
    ...GATEWAY_FEATURES.map((v) => xml('feature', { var: v })),
  );
}

/** The rooms a user is known to be in, as disco items. */
export function writeRoomItems(rooms: { jid: string; name?: string }[]): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS }, ...rooms.map((r) => xml('item', { jid: r.jid, name: r.name })));
}
