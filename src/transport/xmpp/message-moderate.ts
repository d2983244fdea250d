/**
 * XEP-0425 Message Moderation, v0.2 (`urn:xmpp:message-moderate:0`), the syntax spec §3.3 and
 * §3.16 describe: the fastened request `<apply-to id><moderate><retract/><reason/></moderate>`
 * in an iq set to the room, and the notice `<apply-to id><moderated by><retract/><reason/>`
 * from the bare room JID. Not implemented: v0.3 (`…:1`), moderation other than retraction.
 */
import type { HookCall } from '../../machines/events.ts';
import { XmppError } from './errors.ts';
import { NS_FASTEN, NS_RETRACT_0 } from './message-retract.ts';
import { xml, type Element } from './stanza.ts';

export const NS_MODERATE = 'urn:xmpp:message-moderate:0';

/** The moderation an iq asks for, or null when it is no moderation request. */
export function readModeration(iq: Element): Extract<HookCall, { hook: 'moderate' }> | null {
  const applyTo = iq.getChild('apply-to', NS_FASTEN);
  const moderate = applyTo?.getChild('moderate', NS_MODERATE);
  if (!applyTo || !moderate || iq.attrs.type !== 'set') return null;
  if (!applyTo.attrs.id) throw new XmppError('bad-request', 'Missing moderated message ID');
  if (!moderate.getChild('retract', NS_RETRACT_0)) {
    throw new XmppError('feature-not-implemented', 'Only moderation by retraction is implemented');
  }
  return { hook: 'moderate', id: String(applyTo.attrs.id), reason: moderate.getChildText('reason') };
}

/** The notice that message `id` was removed by `by` (an occupant JID, or the room's). */
export function writeModerated(id: string, by: string, reason?: string): Element {
  return xml('apply-to', { xmlns: NS_FASTEN, id },
    xml('moderated', { xmlns: NS_MODERATE, by },
      xml('retract', { xmlns: NS_RETRACT_0 }),
      reason ? xml('reason', null, reason) : null));
}
