/**
 * What the room machine's actions send, decided from context and event, said through a
 * `RoomPort`. Bound once per worker: `roomMachine.provide({ actions: roomEffects(port) })`.
 * Messages and what is fastened to them are in `room.messages.ts`.
 */
import { MucType } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { LegacyRoomEvent } from './events.ts';
import type { ArchivedMessage, MessageIntent, OccupantItem, PresenceIntent, RoomPort } from './ports.ts';
import { messageEffects } from './room.messages.ts';
import {
  isUser, speakerOf, userNick, type JoinEvent, type Participant, type RequestEvent, type RoomContext, type RoomEvent,
  type UserMessageEvent,
} from './room.ts';

type Args = { context: RoomContext; event: RoomEvent };

/** Only CHANNEL rooms hide real JIDs (spec §4). */
const isAnonymous = (c: RoomContext) => (c.info?.type ?? MucType.CHANNEL) === MucType.CHANNEL;

function occupantItem(c: RoomContext, p: Participant): OccupantItem {
  const item: OccupantItem = { affiliation: p.affiliation, role: p.role };
  if (!isAnonymous(c) && p.contactId) item.jid = `${p.contactId}@${c.jid.split('@')[1]}`;
  return item;
}

function occupantPresence(c: RoomContext, p: Participant, to: string): PresenceIntent {
  return {
    to, room: c.jid, nick: p.nick, item: occupantItem(c, p), occupantId: p.occupantId,
    ...(p.hats.length ? { hats: p.hats } : {}),
    ...(p.show ? { show: p.show } : {}),
    ...(p.status ? { status: p.status } : {}),
  };
}

/** The subject line shown on join: the subject, else (no subject support) description or name (§2.3.8). */
function subjectText(c: RoomContext): string {
  const info = c.info;
  if (!info) return '';
  const text = c.flags.hasSubject ? info.subject : info.description || info.name;
  return text || info.name;
}

function subjectMessage(c: RoomContext, to: string[], stanzaId: string): MessageIntent {
  const setter = c.info?.subjectSetter ? c.participants.find((p) => p.nick === c.info!.subjectSetter) : undefined;
  return {
    to, room: c.jid, type: 'groupchat',
    nick: c.info?.subjectSetter ?? null,
    subject: subjectText(c),
    stanzaId,
    occupantId: setter?.occupantId ?? 'room',
    ...(c.info?.subjectDate ? { delay: { stamp: c.info.subjectDate, from: c.jid } } : {}),
  };
}

function errorPresence(c: RoomContext, join: JoinEvent, error: StanzaError): PresenceIntent {
  return {
    to: join.from, room: c.jid, nick: join.nick || null, type: 'error', error,
    ...(join.presenceId ? { id: join.presenceId } : {}),
  };
}

export function roomEffects(port: RoomPort) {
  function reply(c: RoomContext, e: RequestEvent, error: StanzaError): void {
    if (e.reply === 'iq') port.iq({ to: e.from, from: c.jid, type: 'error', error, ...(e.id ? { id: e.id } : {}) });
    else port.message({ to: [e.from], room: c.jid, nick: null, type: 'error', error, ...(e.id ? { id: e.id } : {}) });
  }

  function removeUser(c: RoomContext, reason: string): void {
    const anonymous = isAnonymous(c);
    for (const to of c.resources) {
      port.presence({
        to, room: c.jid, nick: userNick(c), type: 'unavailable',
        item: { affiliation: c.self.affiliation, role: c.self.role, reason, ...(!anonymous ? { jid: c.user } : {}) },
        codes: anonymous ? [307, 110] : [307, 110, 100], occupantId: c.self.occupantId,
      });
    }
  }

  return {
    ...messageEffects(port, occupantPresence),

    refuseMalformedJoin: ({ context, event }: Args) => {
      // XEP-0045 §7.2.1 via spec §2.3.4; DECISIONS: validated first, leaves no trace
      port.presence(errorPresence(context, event as JoinEvent, {
        condition: 'jid-malformed', type: 'modify', by: context.jid,
      }));
    },

    refuseJoins: ({ context }: Args) => {
      for (const join of context.pendingJoins) port.presence(errorPresence(context, join, context.error!));
    },

    /** §2.3: occupants (fill order), then self (110 [100] [210]), then history, then subject. */
    sendJoinSequence: ({ context: c }: Args, { history }: { history: ArchivedMessage[] }) => {
      const join = c.pendingJoins[0]!;
      for (const p of c.participants) port.presence(occupantPresence(c, p, join.from));
      const nick = userNick(c);
      const codes = [110];
      if (!isAnonymous(c)) codes.push(100);
      if (join.nick !== nick) codes.push(210);
      port.presence({
        to: join.from, room: c.jid, nick,
        ...(join.presenceId ? { id: join.presenceId } : {}),
        item: { affiliation: c.self.affiliation, role: c.self.role, ...(!isAnonymous(c) ? { jid: join.from } : {}) },
        codes, occupantId: c.self.occupantId,
      });
      for (const m of history) port.replay({ to: join.from, xml: m.xml, stamp: m.at, room: c.jid });
      port.message(subjectMessage(c, [join.from], `subject-${join.eventId}`));
    },

    /** XEP-0045 §7.14: the leaving resource gets its unavailable self-presence with 110. */
    sendLeave: ({ context: c, event }: Args) => {
      const from = (event as { from: string }).from;
      port.presence({
        to: from, room: c.jid, nick: userNick(c), type: 'unavailable',
        item: { affiliation: c.self.affiliation, role: 'none' }, codes: [110], occupantId: c.self.occupantId,
      });
    },

    /** §2.8: a groupchat stanza from a resource that has not joined. */
    refuseNotJoined: ({ context: c, event }: Args) => {
      const e = event as UserMessageEvent;
      port.message({
        to: [e.from], room: c.jid, nick: null, type: 'error', ...(e.id ? { id: e.id } : {}),
        error: { condition: 'not-acceptable', type: 'modify', text: 'You are not connected to this chat' },
      });
      port.presence({
        to: e.from, room: c.jid, nick: userNick(c), type: 'unavailable',
        item: { affiliation: 'none', role: 'none' }, codes: [110, 333],
      });
    },

    announcePresence: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>;
      if (isUser(c, e.participant)) return; // the user's own presence is theirs to send
      const old = speakerOf(c, e.participant, e.eventId);
      const p: Participant = {
        ...old,
        role: e.participant.role ?? old.role,
        affiliation: e.participant.affiliation ?? old.affiliation,
        hats: e.participant.hats ?? old.hats,
      };
      if (e.show) p.show = e.show; else delete p.show;
      if (e.status) p.status = e.status; else delete p.status;
      for (const to of c.resources) port.presence(occupantPresence(c, p, to));
    },

    /** §2.15 removal: 307 kick, 301 ban (XEP-0045 §9.1: outcast), nothing for a plain leave. */
    announceLeave: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.participantLeft' }>;
      const p = c.participants.find((q) => q.nick === e.nick);
      if (!p) return port.warn('unknown participant left', { nick: e.nick });
      if (!p.presenceSent) return; // never announced, nothing to take back
      const item: OccupantItem = {
        ...occupantItem(c, p), role: 'none',
        ...(e.kind === 'ban' ? { affiliation: 'outcast' as const } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      };
      const codes = e.kind === 'kick' ? [307] : e.kind === 'ban' ? [301] : [];
      for (const to of c.resources) {
        port.presence({ to, room: c.jid, nick: p.nick, type: 'unavailable', item, codes, occupantId: p.occupantId });
      }
    },

    announceSubject: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.subject' }>;
      if (!c.info || !c.resources.length) return;
      const next: RoomContext = { ...c, info: { ...c.info, subject: e.subject, subjectSetter: e.setter ?? null, subjectDate: e.when ?? e.at } };
      port.message(subjectMessage(next, c.resources, `subject-${e.eventId}`));
    },

    /** §2.15 rename: unavailable 303 with the new nick from the old JID, then available from the new. */
    announceRename: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      const p = c.participants.find((q) => q.nick === e.from);
      if (!p) return port.warn('unknown participant renamed', { from: e.from, to: e.to });
      if (!p.presenceSent) return;
      for (const to of c.resources) {
        const before = occupantPresence(c, p, to);
        port.presence({ ...before, type: 'unavailable', item: { ...before.item!, nick: e.to }, codes: [303] });
        port.presence(occupantPresence(c, { ...p, nick: e.to }, to));
      }
    },

    /** §2.6: the room imposes the nickname; a change is refused. */
    refuseNickChange: ({ context: c, event }: Args) => {
      const e = event as Extract<RoomEvent, { type: 'xmpp.presence' }>;
      port.presence({
        to: e.from, room: c.jid, nick: e.nick, type: 'error', ...(e.id ? { id: e.id } : {}),
        error: { condition: 'not-acceptable', type: 'cancel', by: c.jid, text: 'This gateway does not let you change your nickname in this room.' },
      });
    },

    refuseRequest: ({ context: c, event }: Args, { error }: { error: StanzaError }) => {
      const e = (c.request ?? event) as RequestEvent;
      reply(c, e, error);
    },

    answerRequest: ({ context: c }: Args) => {
      const e = c.request!;
      if (e.reply === 'iq') port.iq({ to: e.from, from: c.jid, type: 'result', ...(e.id ? { id: e.id } : {}) });
    },

    /** §2.11: every joined resource is told the room goes away for now (332). */
    announceShutdown: ({ context: c }: Args) => {
      for (const to of c.resources) {
        port.presence({ to, room: c.jid, nick: userNick(c), type: 'unavailable', item: { affiliation: 'none', role: 'none' }, codes: [110, 332] });
      }
    },

    /** §2.13: the user is out of the group: 307 + 110 (+100) with the reason, to every joined resource. */
    announceRemoval: ({ context: c }: Args, { reason, kick }: { reason: string; kick: boolean }) => {
      if (kick) removeUser(c, reason);
    },

    /** The room ends by the user's request: destroyed (XEP-0045 §10.9) or left for good (§2.12). */
    announceEnd: ({ context: c }: Args) => {
      const call = c.request!.call;
      if (call.hook === 'leaveGroup') return removeUser(c, 'You left this chat from an XMPP client.');
      for (const to of c.resources) {
        port.presence({
          to, room: c.jid, nick: userNick(c), type: 'unavailable', item: { affiliation: 'none', role: 'none' }, codes: [110],
          destroy: call.hook === 'destroy' && call.reason ? { reason: call.reason } : {},
        });
      }
    },

    warn: ({ context: c, event }: Args, { msg }: { msg: string }) => {
      const error = (event as { error?: unknown }).error;
      port.warn(msg, { room: c.jid, ...(error ? { error: String((error as Error)?.message ?? error) } : {}) });
    },
  };
}
