/**
 * Requests to a room that a plugin hook decides: muc#admin kick and affiliation changes
 * (XEP-0045 §8.2, §9), muc#owner destruction (§10.9) and leaving a group for good with
 * registration `<remove/>` (spec §2.12). Not yet: admin list queries (§9.5), config forms (§10.2).
 */
import type { HookCall } from '../../machines/events.ts';
import type { MucAffiliation } from '../../legacy/types.ts';
import { XmppError } from './errors.ts';
import { NS_REGISTER } from './ns.ts';
import type { Element } from './stanza.ts';

export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const AFFILIATIONS: MucAffiliation[] = ['owner', 'admin', 'member', 'outcast', 'none'];

/** The hook an iq to a room asks for, or null when it is not such a request. */
export function readRoomRequest(iq: Element): HookCall | null {
  const admin = iq.getChild('query', NS_MUC_ADMIN);
  if (admin) {
    if (iq.attrs.type !== 'set') throw new XmppError('feature-not-implemented', 'Admin lists are not available yet');
    const items = admin.getChildren('item');
    if (items.length !== 1) throw new XmppError('bad-request', 'One item per request');
    const item = items[0]!;
    const nick = item.attrs.nick;
    if (!nick) throw new XmppError('bad-request', 'The item needs a nick');
    const reason = item.getChildText('reason');
    if (item.attrs.role === 'none' && !item.attrs.affiliation) return { hook: 'kick', nick, reason };
    if (AFFILIATIONS.includes(item.attrs.affiliation)) return { hook: 'setAffiliation', nick, affiliation: item.attrs.affiliation, reason };
    throw new XmppError('feature-not-implemented', 'Only kicks and affiliation changes are supported');
  }
  const owner = iq.getChild('query', NS_MUC_OWNER);
  if (owner) {
    const destroy = owner.getChild('destroy');
    if (iq.attrs.type === 'set' && destroy) return { hook: 'destroy', reason: destroy.getChildText('reason') };
    throw new XmppError('feature-not-implemented', 'Room configuration is not available yet');
  }
  const register = iq.getChild('query', NS_REGISTER);
  if (register) {
    // spec §2.12: only <remove/> means something on a room
    if (iq.attrs.type === 'set' && register.getChild('remove')) return { hook: 'leaveGroup' };
    throw new XmppError('feature-not-implemented');
  }
  return null;
}
