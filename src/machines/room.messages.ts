/**
 * What the room machine's message actions send (spec §3.11–§3.22): participants' messages and
 * what is fastened to them (corrections, retractions, reactions, moderation, markers, chat
 * states, private messages), and the echo or refusal of what the user does. Part of
 * `roomEffects`, which binds it; the message XEPs' XML is in `transport/xmpp/`.
 */
import type { MessageReference } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { LegacyRoomEvent } from './events.ts';
import type { MessageIntent, PresenceIntent, RoomPort } from './ports.ts';
import { merge } from '../merge.ts';
import {
  afterMessages, chatStateOf, isSystem, isUser, knownXmppId, occupantNick, siblingIds, speakerOf, userNick, xmppThreadOf, type Participant, type RoomContext, type RoomEvent,
  type SendResult, type UserActionEvent, type UserActionOutput,
} from './room.ts';

type Args = { context: RoomContext; event: RoomEvent };
type Legacy<T extends LegacyRoomEvent['type']> = Extract<LegacyRoomEvent, { type: T }>;
/** A message before it is addressed: what is sent to each joined resource, and archived. */
type Outgoing = Omit<MessageIntent, 'to'>;

/** The occupant presence a resource gets before a participant's first message (§2.15). */
export type PresenceOf = (c: RoomContext, p: Participant, to: string) => PresenceIntent;

const domainOf = (c: RoomContext) => c.jid.split('@')[1]!;

/** A participant's text or attachment, with what it corrects or replies to (spec §1.4, §3.18). */
export function legacyMessage(c: RoomContext, e: Legacy<'legacy.message'>): Outgoing {
  const p = speakerOf(c, e.participant, e.eventId);
  const xmppId = e.xmppId ?? e.legacyId;
  // §3.18: attachments never get the quote, only <reply>
  const reply = e.replyTo ? replyOf(c, e.replyTo, e.url === undefined) : null;
  return {
    // spec §3.11: the room itself speaks from its bare JID
    room: c.jid, nick: occupantNick(p), type: 'groupchat', body: (reply?.quote ?? '') + e.body,
    ...(xmppId ? { id: xmppId } : {}),
    stanzaId: xmppId ?? e.eventId,
    occupantId: p.occupantId,
    ...(reply ? { reply: reply.ref } : {}),
    ...(e.thread ? { thread: xmppThreadOf(c, e.thread) } : {}),
    ...(e.linkPreviews?.length ? { linkPreviews: e.linkPreviews } : {}),
    // §3.12: a correction refers to the id the user knows: their client's, for their own messages
    ...(e.replaces ? { replace: knownXmppId(c, e.replaces, true) } : {}),
    ...(e.url ? { oob: e.url } : {}),
    ...(e.url && e.file ? { file: e.file } : {}),
    chatState: 'active', markable: true,
    ...(e.when ? { delay: { stamp: e.when, from: domainOf(c) } } : {}),
  };
}

/** `<reply>` to the author's occupant JID (`user`: the user's), and the quote of the body (§3.18). */
function replyOf(c: RoomContext, r: MessageReference & { xmppId?: string }, quote: boolean) {
  const nick = r.author === 'user' ? userNick(c) : r.author;
  const lines = quote && r.body !== undefined ? r.body.split('\n').map((line) => `> ${line}\n`).join('') : '';
  const text = lines && nick !== undefined ? `> ${nick}:\n${lines}` : lines;
  const ref: NonNullable<MessageIntent['reply']> = {
    id: r.xmppId ?? r.legacyId,
    ...(nick !== undefined ? { nick } : {}),
    ...(text ? { quoteLength: [...text].length } : {}), // XEP-0428 counts code points
  };
  return { ref, quote: text };
}

export function messageEffects(port: RoomPort, presenceOf: PresenceOf) {
  /** §3.2: the archived form has no chat state, marker request or hint. */
  function archive(c: RoomContext, m: Outgoing, at: string, source: 'live' | 'backfill', legacyId?: string): void {
    const { chatState: _state, markable: _markable, hint: _hint, ...message } = m;
    port.archive({
      user: c.user, roomId: c.legacyId, room: c.jid, stanzaId: m.stanzaId!, at, source, message,
      ...(legacyId ? { legacyId } : {}),
    });
  }

  /** To every joined resource, after the sender's lazy presence if they never saw it (§2.15). */
  function send(c: RoomContext, p: Participant, m: Outgoing): void {
    if (!c.resources.length) return;
    // DECISIONS 6.2 #18: every joined resource gets the lazy presence
    if (!p.presenceSent) for (const to of c.resources) port.presence(presenceOf(c, p, to));
    port.message(merge(m, { to: c.resources }));
  }

  function deliverOne(c: RoomContext, event: LegacyRoomEvent): void {
    const e = event as Legacy<'legacy.message'>;
    const m = legacyMessage(c, e);
    const source = e.archiveOnly ? 'backfill' : 'live';
    if (!e.archiveOnly) send(c, speakerOf(c, e.participant, e.eventId), m);
    archive(c, m, e.when ?? e.at, source, e.legacyId);
    // §3.12: a message sent as several stanzas, corrected, is its corrected text alone
    if (e.replaces) retractSiblings(c, speakerOf(c, e.participant, e.eventId), e.replaces.legacyId, e, source, m.thread);
  }

  /** A participant's retraction of a message the user knows by `id` (§1.4 `retract`). */
  function retraction(c: RoomContext, p: Participant, id: string, legacyId: string, stanzaId: string, thread: string | undefined): Outgoing {
    return {
      room: c.jid, nick: occupantNick(p), type: 'groupchat', body: `/me retracted the message ${legacyId}`,
      stanzaId, occupantId: p.occupantId, retract: id, replace: id, chatState: 'active', hint: 'store',
      ...(thread !== undefined ? { thread } : {}),
    };
  }

  /**
   * §3.12: the other stanzas of a message the network sent as several (files, captions, text)
   * are retracted with it, each in turn; their stanza-ids are the event's, numbered.
   */
  function retractSiblings(
    c: RoomContext, p: Participant, legacyId: string, e: { eventId: string; at: string; when?: string }, source: 'live' | 'backfill', thread: string | undefined,
  ): void {
    siblingIds(c, legacyId).forEach((id, i) => {
      const m = retraction(c, p, id, legacyId, `${e.eventId}-${i + 1}`, thread);
      if (source === 'live') send(c, p, m);
      archive(c, m, e.when ?? e.at, source);
    });
  }

  /** A chat message from the gateway itself, which clients show apart from the room. */
  function notice(c: RoomContext, to: string, body: string): void {
    port.message({ to: [to], room: domainOf(c), nick: null, type: 'chat', body });
  }

  function errorTo(c: RoomContext, e: { from: string; id?: string }, nick: string | null, error: StanzaError): void {
    port.message({ to: [e.from], room: c.jid, nick, type: 'error', ...(e.id ? { id: e.id } : {}), error });
  }

  return {
    /**
     * §3.13: each message the network took is echoed to every joined resource, sender included,
     * and archived; each it refused gets its error, in the messages' order.
     */
    answerUserMessages: ({ context: c }: Args, { results }: { results: SendResult[] }) => {
      results.forEach((r, i) => {
        const e = c.sending![i]!;
        if ('error' in r) return errorTo(c, e, null, r.error);
        const out = r.output;
        const stanzaId = out.stanzaId ?? e.eventId;
        const echo = { room: c.jid, nick: userNick(c), xml: e.xml, stanzaId, occupantId: c.self.occupantId };
        port.echo(merge(echo, { to: c.resources }));
        port.archive({
          user: c.user, roomId: c.legacyId, room: c.jid, stanzaId, at: e.at, source: 'live', message: echo,
          ...(out.legacyId ? { legacyId: out.legacyId } : {}),
        });
      });
    },

    /**
     * §3.14–§3.21: what the network accepted is echoed like a message (a correction under the
     * id the network gave it), except chat states (§3.20) and private messages (XEP-0045
     * §7.5); markers are echoed but not archived (§3.2).
     */
    echoUserAction: ({ context: c }: Args, out: UserActionOutput) => {
      const e = c.action!;
      if (out.notice) notice(c, e.from, out.notice);
      if (e.type === 'xmpp.chatState' || e.type === 'xmpp.privateMessage') return;
      const stanzaId = out.stanzaId ?? e.eventId;
      const echo = { room: c.jid, nick: userNick(c), xml: e.xml, stanzaId, occupantId: c.self.occupantId };
      port.echo(merge(echo, { to: c.resources }));
      if (e.type === 'xmpp.displayed') return;
      port.archive({
        user: c.user, roomId: c.legacyId, room: c.jid, stanzaId, at: e.at, source: 'live', message: echo,
        ...(out.legacyId ? { legacyId: out.legacyId } : {}),
      });
    },

    /** The network refused: an error to the sender, from the occupant a private message was for. */
    refuseUserAction: ({ context: c }: Args, { error }: { error: StanzaError }) => {
      const e: UserActionEvent = c.action!;
      errorTo(c, { from: e.from, ...('id' in e && e.id ? { id: e.id } : {}) }, e.type === 'xmpp.privateMessage' ? e.nick : null, error);
    },

    /** §3.17: a restriction broken is told by the gateway, then refused; nothing reaches the network. */
    refuseReaction: ({ context: c, event }: Args, { text }: { text: string }) => {
      const e = event as Extract<UserActionEvent, { type: 'xmpp.reaction' }>;
      notice(c, e.from, text);
      errorTo(c, e, null, { condition: 'not-acceptable', type: 'modify', text });
    },

    refusePrivateMessage: ({ context: c, event }: Args, { error }: { error: StanzaError }) => {
      const e = event as Extract<UserActionEvent, { type: 'xmpp.privateMessage' }>;
      errorTo(c, e, e.nick, error);
    },

    /** A participant's message (or a burst of them, each with the room as it was then) to every joined resource, archived. */
    deliverLegacyMessage: ({ context, event }: Args) => {
      if (event.type === 'legacy.messages') afterMessages(context, event.messages, deliverOne);
      else deliverOne(context, event as Legacy<'legacy.message'>);
    },

    archiveLegacyMessage: ({ context: c, event }: Args) => {
      for (const e of event.type === 'legacy.messages' ? event.messages : [event as Legacy<'legacy.message'>]) {
        archive(c, legacyMessage(c, e), e.when ?? e.at, e.archiveOnly ? 'backfill' : 'live', e.legacyId);
      }
    },

    archiveBackfill: ({ context: c, event }: Args) => {
      const events = (event as unknown as { output: LegacyRoomEvent[] }).output;
      for (const e of events) if (e.type === 'legacy.message') archive(c, legacyMessage(c, e), e.when ?? e.at, 'backfill', e.legacyId);
    },

    /** §1.4 `retract`: a fallback body, `<retract>` and `<replace>` of the id the user knows; archived. */
    deliverRetraction: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.retraction'>;
      const p = speakerOf(c, e.participant, e.eventId);
      const thread = e.thread ? xmppThreadOf(c, e.thread) : undefined;
      const m = retraction(c, p, knownXmppId(c, e.target, true), e.target.legacyId, e.eventId, thread);
      send(c, p, m);
      archive(c, m, e.at, 'live');
      retractSiblings(c, p, e.target.legacyId, e, 'live', thread);
    },

    /** §1.4 `react`: the participant's whole set of reactions to a message (by stanza-id); archived. */
    deliverReaction: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.reaction'>;
      const p = speakerOf(c, e.participant, e.eventId);
      const m: Outgoing = {
        room: c.jid, nick: occupantNick(p), type: 'groupchat', stanzaId: e.eventId, occupantId: p.occupantId,
        reactions: { id: knownXmppId(c, e.target, false), emojis: e.emojis }, hint: 'store',
        ...(e.thread ? { thread: xmppThreadOf(c, e.thread) } : {}),
      };
      send(c, p, m);
      archive(c, m, e.at, 'live');
    },

    /** §3.16: from the bare room JID, naming the moderator (or the room) and their occupant-id; archived. */
    deliverModeration: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.moderation'>;
      const by = e.moderator ? speakerOf(c, e.moderator, e.eventId) : null;
      // §3.12: every stanza of a message sent as several, each a notice of its own
      const ids = [knownXmppId(c, e.target, false), ...siblingIds(c, e.target.legacyId)];
      ids.forEach((id, i) => {
        const m: Outgoing = {
          room: c.jid, nick: null, type: 'groupchat', stanzaId: i ? `${e.eventId}-${i}` : e.eventId, occupantId: by?.occupantId ?? 'room',
          moderated: { id, by: by ? occupantNick(by) : null, ...(e.reason ? { reason: e.reason } : {}) },
        };
        if (c.resources.length) port.message(merge(m, { to: c.resources }));
        archive(c, m, e.at, 'live');
      });
    },

    /** §3.20: never archived; a repeated state is dropped, except `composing` (§1.4). */
    deliverChatState: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.chatState'>;
      if (isSystem(e.participant)) return; // the room itself neither types nor reads
      const p = speakerOf(c, e.participant, e.eventId);
      // none recorded is `active`: a participant's first `active` is a repeat of nothing worth sending
      if (e.state === chatStateOf(c, p.nick) && e.state !== 'composing') return;
      send(c, p, { room: c.jid, nick: p.nick, type: 'groupchat', occupantId: p.occupantId, chatState: e.state, hint: 'no-store' });
    },

    /** §3.21: the participant has seen a message (by stanza-id); not archived. */
    deliverDisplayed: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.displayed'>;
      if (isSystem(e.participant)) return;
      const p = speakerOf(c, e.participant, e.eventId);
      send(c, p, { room: c.jid, nick: p.nick, type: 'groupchat', occupantId: p.occupantId, displayed: knownXmppId(c, e.target, false) });
    },

    /**
     * Spec §3.21: the user read the room elsewhere (their own participant's marker): their
     * displayed mark goes to their PEP, so that their clients, joined or not, show it read.
     */
    publishDisplayed: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.displayed'>;
      if (!isUser(c, e.participant)) return;
      port.displayedMark({ gateway: domainOf(c), user: c.user, room: c.jid, stanzaId: knownXmppId(c, e.target, false) });
    },

    /**
     * XEP-0045 §7.5: `type=chat` from the occupant to every joined resource; with none joined,
     * to the bare JID, so the user's server keeps it rather than the room dropping it.
     */
    deliverPrivateMessage: ({ context: c, event }: Args) => {
      const e = event as Legacy<'legacy.privateMessage'>;
      if (isUser(c, e.participant)) return port.warn('private message from the user to themselves, dropped', { room: c.jid });
      if (isSystem(e.participant)) return port.warn('private message from the room itself, dropped', { room: c.jid });
      const p = speakerOf(c, e.participant, e.eventId);
      const xmppId = e.xmppId ?? e.legacyId;
      const m: Outgoing = {
        room: c.jid, nick: p.nick, type: 'chat', body: e.body, ...(xmppId ? { id: xmppId } : {}), occupantId: p.occupantId, private: true,
        ...(e.when ? { delay: { stamp: e.when, from: domainOf(c) } } : {}),
      };
      if (c.resources.length) send(c, p, m);
      else port.message({ ...m, to: [c.user] });
    },
  };
}
