/**
 * Requests to a room that a plugin hook decides: muc#admin kick, role and affiliation changes
 * (XEP-0045 §8.2–§8.6, §9), muc#owner destruction (§10.9) and leaving a group for good with
 * registration `<remove/>` (spec §2.12), and the admin lists by affiliation (§9.5, spec §3.3).
 * Room configuration (§10.2, spec §3.4): the name and description, through `onSetConfig`.
 */
import type { HookCall } from '../../machines/events.ts';
import type { MucAffiliation, MucRole } from '../../legacy/types.ts';
import { XmppError } from './errors.ts';
import { NS_REGISTER, NS_XDATA } from './ns.ts';
import { xml, type Element } from './stanza.ts';

export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const AFFILIATIONS: MucAffiliation[] = ['owner', 'admin', 'member', 'outcast', 'none'];
/** XEP-0045 §8.3–§8.6, §9.6–§9.7: voice and moderator, granted or revoked; `none` is a kick. */
const ROLES: Exclude<MucRole, 'none'>[] = ['moderator', 'participant', 'visitor'];

/**
 * The affiliation an admin list query asks for (XEP-0045 §9.5, §10.5, spec §3.3: any
 * affiliation), or null when the iq is no such query. A list by role is not supported.
 */
export function readAdminList(iq: Element): MucAffiliation | null {
  const admin = iq.getChild('query', NS_MUC_ADMIN);
  if (!admin || iq.attrs.type !== 'get') return null;
  const affiliation = admin.getChild('item')?.attrs.affiliation;
  if (!AFFILIATIONS.includes(affiliation)) throw new XmppError('bad-request', 'An admin list is asked for by affiliation');
  return affiliation as MucAffiliation;
}

/** Whether the iq asks for the room's configuration form (XEP-0045 §10.2, spec §3.4). */
export function isConfigFormRequest(iq: Element): boolean {
  return iq.attrs.type === 'get' && iq.getChild('query', NS_MUC_OWNER) !== undefined;
}

/**
 * The configuration form (spec §3.4): the room's name, and its description where the network
 * has one. Only these two can change; the plugin's `onSetConfig` decides.
 */
export function writeConfigForm(info: { name: string; description: string }, hasDescription: boolean): Element {
  const field = (name: string, label: string, value: string) => xml('field', { var: name, type: 'text-single', label }, xml('value', null, value));
  return xml('query', { xmlns: NS_MUC_OWNER },
    xml('x', { xmlns: NS_XDATA, type: 'form' },
      xml('title', null, 'Room configuration'),
      xml('instructions', null, 'Complete this form to modify the configuration of your room.'),
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, 'http://jabber.org/protocol/muc#roomconfig')),
      field('muc#roomconfig_roomname', 'Natural-Language Room Name', info.name),
      hasDescription ? field('muc#roomconfig_roomdesc', 'Short Description of Room', info.description) : null));
}

/** The hook an iq to a room asks for, or null when it is not such a request. */
export function readRoomRequest(iq: Element): HookCall | null {
  const admin = iq.getChild('query', NS_MUC_ADMIN);
  if (admin) {
    if (iq.attrs.type !== 'set') throw new XmppError('bad-request', 'An admin list is asked for by affiliation');
    const items = admin.getChildren('item');
    if (items.length !== 1) throw new XmppError('bad-request', 'One item per request');
    const item = items[0]!;
    const nick = item.attrs.nick;
    if (!nick) throw new XmppError('bad-request', 'The item needs a nick');
    const reason = item.getChildText('reason');
    const { role, affiliation } = item.attrs;
    if (role === 'none' && !affiliation) return { hook: 'kick', nick, reason };
    if (ROLES.includes(role) && !affiliation) return { hook: 'setRole', nick, role, reason };
    if (AFFILIATIONS.includes(affiliation)) return { hook: 'setAffiliation', nick, affiliation, reason };
    throw new XmppError('feature-not-implemented', 'Only kicks, role and affiliation changes are supported');
  }
  const owner = iq.getChild('query', NS_MUC_OWNER);
  if (owner && iq.attrs.type === 'set') {
    const destroy = owner.getChild('destroy');
    if (destroy) return { hook: 'destroy', reason: destroy.getChildText('reason') };
    const form = owner.getChild('x', NS_XDATA);
    // XEP-0045 §10.2: a cancel leaves the configuration as it is
    if (form?.attrs.type === 'cancel') return { hook: 'setConfig', name: null, description: null };
    if (form?.attrs.type === 'submit') {
      const value = (name: string) => {
        const field = form.getChildren('field').find((f) => f.attrs.var === name);
        return field ? (field.getChildText('value') ?? '') : null;
      };
      return { hook: 'setConfig', name: value('muc#roomconfig_roomname'), description: value('muc#roomconfig_roomdesc') };
    }
    throw new XmppError('bad-request', 'A configuration form or a destroy request is expected');
  }
  const register = iq.getChild('query', NS_REGISTER);
  if (register) {
    // spec §2.12: only <remove/> means something on a room
    if (iq.attrs.type === 'set' && register.getChild('remove')) return { hook: 'leaveGroup' };
    throw new XmppError('feature-not-implemented');
  }
  return null;
}
