/**
 * XEP-0085 Chat State Notifications in a room (spec §3.20): §5 the five states, read from a
 * user's message and written on a participant's. Not implemented: §5.5 `gone` has no hook.
 */
import type { ChatState } from '../../legacy/types.ts';
import { NS_CHATSTATES } from './ns.ts';
import { xml, type Element } from './stanza.ts';

export const CHAT_STATES: readonly ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

/** The chat state a message carries, or null. */
export function readChatState(el: Element): ChatState | null {
  const state = el.getChildElements().find((c) => c.attrs.xmlns === NS_CHATSTATES && CHAT_STATES.includes(c.name as ChatState));
  return state ? (state.name as ChatState) : null;
}

export function writeChatState(state: ChatState): Element {
  return xml(state, { xmlns: NS_CHATSTATES });
}
