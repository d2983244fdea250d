/**
 * Service discovery (XEP-0030) of the gateway itself: identity and features, so clients offer
 * registration and know rooms live here; of rooms (spec §3.1): identity, features by type, the
 * roominfo form, and the XEP-0444 §2.2 restrictions form when reactions are restricted.
 */
import { NS_CHATSTATES, NS_DISCO_INFO, NS_MARKERS, NS_MUC, NS_PING, NS_REGISTER, NS_DISCO_ITEMS, NS_OCCUPANT_ID, NS_SID, NS_VCARD, NS_XDATA } from './ns.ts';
import { NS_CORRECT } from './message-correct.ts';
import { NS_RETRACT, NS_RETRACT_0 } from './message-retract.ts';
import { NS_OOB } from './oob.ts';
import { NS_REPLY } from './reply.ts';
import { NS_MODERATE } from './message-moderate.ts';
import { NS_REACTIONS } from './reactions.ts';
import { NS_MAM, NS_MAM_EXTENDED } from './mam.ts';
import { NS_COMMANDS } from './commands.ts';
import { MucType } from '../../legacy/types.ts';
import type { RoomInfo } from '../../legacy/muc.ts';
import { xml, type Element } from './stanza.ts';
import { capsVer, NOTIFY_FEATURES, type DiscoIdentity } from './gateway-presence.ts';

export const GATEWAY_FEATURES = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_REGISTER, NS_PING, NS_MAM, NS_MAM_EXTENDED, NS_COMMANDS, ...NOTIFY_FEATURES];

const gatewayIdentities = (name: string): DiscoIdentity[] => [
  { category: 'conference', type: 'text', name },
  { category: 'gateway', type: 'legacy', name },
];

/** The gateway's disco#info; `node`: asked under its caps node (XEP-0115 §6.2), answered the same. */
export function writeGatewayInfo(name: string, node?: string): Element {
  return xml('query', { xmlns: NS_DISCO_INFO, ...(node ? { node } : {}) },
    ...gatewayIdentities(name).map((i) => xml('identity', { ...i })),
    ...GATEWAY_FEATURES.map((v) => xml('feature', { var: v })),
  );
}

/** The XEP-0115 verification string of `writeGatewayInfo(name)`, for the gateway's presences. */
export function gatewayCapsVer(name: string): string {
  return capsVer(gatewayIdentities(name), GATEWAY_FEATURES);
}

/** The room features that follow its type (spec §4). */
const TYPE_FEATURES: Record<MucType, string[]> = {
  [MucType.GROUP]: ['muc_membersonly', 'muc_nonanonymous', 'muc_hidden'],
  [MucType.CHANNEL]: ['muc_open', 'muc_semianonymous', 'muc_public'],
  [MucType.CHANNEL_NON_ANONYMOUS]: ['muc_open', 'muc_nonanonymous', 'muc_public'],
};

/** What a room's disco says of its plugin. */
export interface RoomDiscoOptions {
  /** DECISIONS: `muc#roomconfig_allowpm` follows the plugin (`anyone` or `none`). */
  allowPm?: boolean;
  /** REACTIONS_SINGLE_EMOJI: announced as `max_reactions_per_user` 1 (spec §3.1). */
  reactionsSingleEmoji?: boolean;
}

/** A room's disco#info (spec §3.1): identity, features by type, and the roominfo form (with XEP-0486's avatar hash). */
export function writeRoomInfo(jid: string, info: RoomInfo | null, legacyId: string, opts: RoomDiscoOptions = {}): Element {
  const type = info?.type ?? MucType.CHANNEL;
  const features = [
    NS_DISCO_INFO, NS_MUC, NS_OCCUPANT_ID, NS_SID, NS_PING, NS_MODERATE, NS_MAM, NS_MAM_EXTENDED, NS_VCARD,
    'muc_persistent', 'muc_unsecured', ...TYPE_FEATURES[type],
  ];
  const field = (v: string, value: string | number | null | undefined) =>
    value === null || value === undefined ? null : xml('field', { var: v }, xml('value', null, String(value)));
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name: info?.name ?? legacyId }),
    ...features.map((v) => xml('feature', { var: v })),
    xml('x', { xmlns: NS_XDATA, type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, 'http://jabber.org/protocol/muc#roominfo')),
      field('muc#roominfo_description', info?.description || null),
      field('muc#roominfo_subject', info?.subject || null),
      field('muc#roominfo_occupants', info?.nParticipants),
      field('muc#roomconfig_roomname', info?.name ?? legacyId),
      field('muc#roomconfig_membersonly', type === MucType.GROUP ? 1 : 0),
      field('muc#roomconfig_whois', type === MucType.CHANNEL ? 'moderators' : 'anyone'),
      field('muc#roomconfig_publicroom', type === MucType.GROUP ? 0 : 1),
      field('muc#roomconfig_allowpm', opts.allowPm ? 'anyone' : 'none'),
      // spec §3.1, §3.6: the avatar's hash, whenever the room has one (Slidge: only on first access)
      field('{http://modules.prosody.im/mod_vcard_muc}avatar#sha1', info?.avatar?.hash),
      info?.avatar ? xml('field', { var: 'muc#roominfo_avatarhash', type: 'text-multi' }, xml('value', null, info.avatar.hash)) : null,
    ),
    opts.reactionsSingleEmoji
      ? xml('x', { xmlns: NS_XDATA, type: 'result' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, `${NS_REACTIONS}:restrictions`)),
        field('max_reactions_per_user', 1))
      : null,
  );
}

/**
 * An occupant's disco#info (spec §3.1): a client named by its nick, with what roomgate carries
 * for occupants (no receipts, unlike Slidge, which lists them without sending any); `vcard`:
 * its avatar is served. The same for participants linked to a contact (DECISIONS: Slidge's
 * answer there is the contact's account, a quirk).
 */
export function writeOccupantInfo(nick: string, opts: { vcard: boolean }): Element {
  const features = [
    NS_DISCO_INFO, NS_CHATSTATES, NS_CORRECT, NS_MARKERS, NS_OOB, NS_REACTIONS, NS_RETRACT_0, NS_RETRACT, NS_REPLY,
    ...(opts.vcard ? [NS_VCARD] : []),
  ];
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'client', type: 'pc', name: nick }),
    ...features.map((v) => xml('feature', { var: v })));
}

/** The rooms a user is known to be in, as disco items. */
export function writeRoomItems(rooms: { jid: string; name?: string }[]): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS }, ...rooms.map((r) => xml('item', { jid: r.jid, name: r.name })));
}
