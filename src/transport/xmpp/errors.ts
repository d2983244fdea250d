/**
 * Stanza errors (RFC 6120 §8.3), raised where known and mapped to XML once, at the edge of a
 * handler (`toStanzaError`). Plugins throw `XmppError`; a hook a plugin did not write throws
 * `NotImplemented`.
 */
import { NS_STANZAS } from './ns.ts';
import type { Element } from './stanza.ts';

export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export type ErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone'
  | 'internal-server-error' | 'item-not-found' | 'jid-malformed' | 'not-acceptable'
  | 'not-allowed' | 'not-authorized' | 'policy-violation' | 'recipient-unavailable' | 'redirect'
  | 'registration-required' | 'remote-server-not-found' | 'remote-server-timeout'
  | 'resource-constraint' | 'service-unavailable' | 'subscription-required'
  | 'undefined-condition' | 'unexpected-request';

/** RFC 6120 default type of each condition (spec §0.4). */
export const DEFAULT_ERROR_TYPE: Record<ErrorCondition, ErrorType> = {
  'bad-request': 'modify', conflict: 'cancel', 'feature-not-implemented': 'cancel',
  forbidden: 'auth', gone: 'modify', 'internal-server-error': 'wait', 'item-not-found': 'cancel',
  'jid-malformed': 'modify', 'not-acceptable': 'modify', 'not-allowed': 'cancel',
  'not-authorized': 'auth', 'policy-violation': 'modify', 'recipient-unavailable': 'wait',
  redirect: 'modify', 'registration-required': 'auth', 'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait', 'resource-constraint': 'wait', 'service-unavailable': 'cancel',
  'subscription-required': 'auth', 'undefined-condition': 'cancel', 'unexpected-request': 'wait',
};

/** A stanza error with its condition, optional human text, and type (RFC 6120 default). */
export class XmppError extends Error {
  readonly condition: ErrorCondition;
  readonly text: string | undefined;
  readonly type: ErrorType;
  /** The `by` attribute of `<error/>` (XEP-0045 puts the room JID there), if any. */
  readonly by: string | undefined;

  constructor(condition: ErrorCondition, text?: string, opts: { type?: ErrorType; by?: string } = {}) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'XmppError';
    this.condition = condition;
    this.text = text;
    this.type = opts.type ?? DEFAULT_ERROR_TYPE[condition];
    this.by = opts.by;
  }
}

/**
 * Thrown by the default implementation of an optional plugin hook: an answer the runtime
 * expects (it then keeps its defaults), not a fault, so it carries no stack trace. Capturing
 * one cost more than the hook call: a cold join of a plugin without `updateInfo` spent ≈ 4 %
 * of its CPU on it (bench/micro/join-many.ts).
 */
export class NotImplemented extends Error {
  constructor(hook = 'hook') {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${hook} is not implemented by the legacy module`);
    Error.stackTraceLimit = limit;
    this.name = 'NotImplemented';
  }
}

/** Plain-JSON form of a stanza error, as it travels in machine context and queues. */
export interface StanzaError {
  condition: ErrorCondition;
  type: ErrorType;
  text?: string;
  by?: string;
}

/**
 * Maps anything thrown by a handler or hook to the stanza error the requester gets
 * (Slidge's `exceptions_to_xmpp_errors`): `XmppError` as is, `NotImplemented` to
 * `feature-not-implemented`, anything else to `internal-server-error` with its message.
 */
export function toStanzaError(err: unknown): StanzaError {
  if (err instanceof XmppError) {
    return { condition: err.condition, type: err.type, ...(err.text ? { text: err.text } : {}), ...(err.by ? { by: err.by } : {}) };
  }
  if (err instanceof NotImplemented) {
    return { condition: 'feature-not-implemented', type: 'cancel', text: 'Not implemented by the legacy module' };
  }
  const text = err instanceof Error ? err.message : String(err);
  return { condition: 'internal-server-error', type: 'wait', ...(text ? { text } : {}) };
}

/** True for errors that come from the requester or the plugin, not from a bug of ours. */
export function isExpected(err: unknown): boolean {
  return err instanceof XmppError || err instanceof NotImplemented;
}

/** The condition of an error stanza (its element in the stanzas namespace), if any. */
export function errorConditionOf(stanza: Element): string | undefined {
  return stanza.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS)?.name;
}
