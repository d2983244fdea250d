/**
 * XEP-0444 Message Reactions (spec §3.17): §3 `<reactions id><reaction/>…</reactions>` both
 * ways; an empty list removes every reaction of the sender. Restrictions (§3.1 disco form)
 * are enforced by the room, not here.
 */
import { xml, type Element } from './stanza.ts';

export const NS_REACTIONS = 'urn:xmpp:reactions:0';

/** The message reacted to and the emojis, variation selector U+FE0F stripped (spec §3.17). */
export function readReactions(el: Element): { id: string; emojis: string[] } | null {
  const reactions = el.getChild('reactions', NS_REACTIONS);
  if (!reactions?.attrs.id) return null;
  const emojis = reactions.getChildren('reaction').map((r) => r.getText().replaceAll('\uFE0F', '')).filter(Boolean);
  return { id: String(reactions.attrs.id), emojis: [...new Set(emojis)] };
}

export function writeReactions(id: string, emojis: string[]): Element {
  return xml('reactions', { xmlns: NS_REACTIONS, id }, ...emojis.map((e) => xml('reaction', null, e)));
}
