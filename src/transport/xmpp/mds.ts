/**
 * XEP-0490 Message Displayed Synchronization in rooms (spec §3.21): how far the user has read
 * a room, as an item of their PEP node `urn:xmpp:mds:displayed:0` whose id is the room's JID
 * and whose payload names the last message read by its stanza-id. The gateway publishes it
 * (XEP-0356 IQ privilege) when the network says the user read a message elsewhere; a failure
 * is ignored, as Slidge does (the answer has no taker at the edge).
 */
import { NS_SID } from './ns.ts';
import { PRIVATE_PUBLISH_OPTIONS, writePrivilegedPubsub } from './privilege.ts';
import { escapeAttr } from './stanza.ts';

export const NS_MDS = 'urn:xmpp:mds:displayed:0';

/** The privileged publish of the room's displayed mark, from the gateway to the user's bare JID. */
export function writeMdsPublish(m: { gateway: string; user: string; room: string; stanzaId: string }): string {
  const room = escapeAttr(m.room);
  const payload = `<publish node="${NS_MDS}"><item id="${room}"><displayed xmlns="${NS_MDS}">`
    + `<stanza-id xmlns="${NS_SID}" id="${escapeAttr(m.stanzaId)}" by="${room}"/></displayed></item></publish>${PRIVATE_PUBLISH_OPTIONS}`;
  return writePrivilegedPubsub({ gateway: m.gateway, user: m.user, type: 'set', id: `roomgate-mds-${m.room.slice(0, m.room.indexOf('@'))}`, payload });
}
