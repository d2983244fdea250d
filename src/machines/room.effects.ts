/**
 * What the room machine's actions send, decided from context and event, said through a
 * `RoomPort`. Bound once per worker: `roomMachine.provide({ actions: roomEffects(port) })`.
 * Messages and what is fastened to them are in `room.messages.ts`.
 */
import { MucType, type MucAffiliation } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { LegacyRoomEvent } from './events.ts';
import type { ArchivedMessage, MessageIntent, OccupantItem, PresenceIntent, RoomPort } from './ports.ts';
import { messageEffects } from './room.messages.ts';
import { participantNamed } from './participants.ts';
import {
  presenceUpdate, userNick, type JoinEvent, type Participant, type RequestEvent, type RoomContext, type RoomEvent,
  type UserMessageEvent,
} from './room.ts';

type Args = { context: RoomContext; event: RoomEvent };

/** The gateway's JID: the room JID's domain. */
const gatewayOf = (c: RoomContext) => c.jid.slice(c.jid.indexOf('@') + 1);

/** Only CHANNEL rooms hide real JIDs (spec §4). */
const isAnonymous = (c: RoomContext) => (c.info?.type ?? MucType.CHANNEL) === MucType.CHANNEL;

/**
 * The hash of a participant's avatar where the room shows it (spec §3.7: where real identities
 * show), for its presences, vCard and disco; undefined otherwise.
 */
export function shownAvatarOf(c: RoomContext, p: Participant | undefined): string | undefined {
  return p?.avatar && !isAnonymous(c) ? p.avatar.hash : undefined;
}

function occupantItem(c: RoomContext, p: Participant): OccupantItem {
  const item: OccupantItem = { affiliation: p.affiliation, role: p.role };
  if (!isAnonymous(c) && p.contactId) item.jid = `${p.contactId}@${c.jid.split('@')[1]}`;
  return item;
}

/**
 * The id of the gateway's invitation to a room: an error the user's server bounces keeps it
 * (and nothing else of the message), so it names the room (see `invitedRoom`).
 */
export function invitationId(roomJid: string): string {
  return `${INVITATION_PREFIX}${roomJid.slice(0, roomJid.indexOf('@'))}`;
}

/** The room local part an invitation's id names, or null for another id. */
export function invitedRoom(id: string): string | null {
  return id.startsWith(INVITATION_PREFIX) ? id.slice(INVITATION_PREFIX.length) : null;
}
const INVITATION_PREFIX = 'roomgate-invitation:';

/**
 * An admin list (XEP-0045 §9.5, spec §3.3): the participants with `affiliation`, the user
 * among them, each with its nick and role, and its real JID where the room shows them.
 */
export function affiliationList(c: RoomContext, affiliation: MucAffiliation): (OccupantItem & { nick: string })[] {
  const items = c.participants.filter((p) => p.affiliation === affiliation).map((p) => ({ nick: p.nick, ...occupantItem(c, p) }));
  if (c.self.affiliation === affiliation) {
    items.push({ nick: userNick(c), affiliation, role: c.self.role, ...(!isAnonymous(c) ? { jid: c.user } : {}) });
  }
  return items;
}

function occupantPresence(c: RoomContext, p: Participant, to: string): PresenceIntent {
  const photo = shownAvatarOf(c, p);
  return {
    to, room: c.jid, nick: p.nick, item: occupantItem(c, p), occupantId: p.occupantId,
    ...(p.hats.length ? { hats: p.hats } : {}),
    // spec §3.7: no avatar shown is no <x/> at all (not an empty photo)
    ...(photo ? { photo } : {}),
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

/** §3.5: from the setter's occupant JID, or from the room itself (bare JID, occupant-id `room`). */
function subjectMessage(c: RoomContext, to: string[], stanzaId: string): MessageIntent {
  const nick = c.info?.subjectSetter || null;
  const setter = nick === null ? undefined : nick === userNick(c) ? c.self : participantNamed(c.participants, nick);
  return {
    to, room: c.jid, type: 'groupchat',
    nick,
    subject: subjectText(c),
    stanzaId,
    occupantId: setter?.occupantId ?? 'room',
    ...(c.info?.subjectDate ? { delay: { stamp: c.info.subjectDate, from: c.jid } } : {}),
  };
}

/** XEP-0153 via spec §3.6: the room's own presence, with its avatar's hash (empty: none). */
function roomPresence(c: RoomContext, to: string, hash: string | null | undefined): PresenceIntent {
  return { to, room: c.jid, nick: null, photo: hash ?? '' };
}

/**
 * The user's own presence to one joined resource: 110 (only ever on the self-presence), with
 * 100 and the resource's full JID where real JIDs are shown (spec §2.3, §4).
 */
function selfPresence(c: RoomContext, to: string, nick: string): PresenceIntent {
  const anonymous = isAnonymous(c);
  return {
    to, room: c.jid, nick,
    item: { affiliation: c.self.affiliation, role: c.self.role, ...(!anonymous ? { jid: to } : {}) },
    codes: anonymous ? [110] : [110, 100], occupantId: c.self.occupantId,
    // spec §3.7: the user's own avatar, in every room type; none known: no <x/>
    ...(c.self.avatar ? { photo: c.self.avatar } : {}),
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
    const id = e.id ? { id: e.id } : {};
    if (e.reply === 'iq') port.iq({ to: e.from, from: c.jid, type: 'error', error, ...id });
    else if (e.reply === 'message') port.message({ to: [e.from], room: c.jid, nick: null, type: 'error', error, ...id });
    // XEP-0045 §7.6: a refused nick change is an error presence from the nick asked for
    else if (e.call.hook === 'nickChange') {
      port.presence({ to: e.from, room: c.jid, nick: e.call.nick, type: 'error', ...id, error: { by: c.jid, ...error } });
    }
  }

  /** §2.8: the error, and the unavailable self-presence that tells the client it is not in the room. */
  function refuseNotJoined(c: RoomContext, e: { from: string; id?: string }): void {
    port.message({
      to: [e.from], room: c.jid, nick: null, type: 'error', ...(e.id ? { id: e.id } : {}),
      error: { condition: 'not-acceptable', type: 'modify', text: 'You are not connected to this chat' },
    });
    port.presence({
      to: e.from, room: c.jid, nick: userNick(c), type: 'unavailable',
      item: { affiliation: 'none', role: 'none' }, codes: [110, 333],
    });
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

    /** §2.3: occupants (fill order), then self (110 [100] [210]), then history, subject, and the room's avatar. */
    sendJoinSequence: ({ context: c }: Args, { history }: { history: ArchivedMessage[] }) => {
      const join = c.pendingJoins[0]!;
      for (const p of c.participants) port.presence(occupantPresence(c, p, join.from));
      const nick = userNick(c);
      const self = selfPresence(c, join.from, nick);
      port.presence({
        ...self, ...(join.presenceId ? { id: join.presenceId } : {}),
        codes: join.nick !== nick ? [...self.codes!, 210] : self.codes!, // §2.3: the room imposed its nick
      });
      for (const m of history) port.replay({ to: join.from, xml: m.xml, stamp: m.at, room: c.jid });
      port.message(subjectMessage(c, [join.from], `subject-${join.eventId}`));
      port.presence(roomPresence(c, join.from, c.info?.avatar?.hash));
    },

    /** XEP-0045 §7.14: the leaving resource gets its unavailable self-presence with 110. */
    sendLeave: ({ context: c, event }: Args) => {
      const from = (event as { from: string }).from;
      port.presence({
        to: from, room: c.jid, nick: userNick(c), type: 'unavailable',
        item: { affiliation: c.self.affiliation, role: 'none' }, codes: [110], occupantId: c.self.occupantId,
      });
    },

    /** §2.8: a groupchat stanza from a resource that has not joined (of a burst of messages: each one that is). */
    refuseNotJoined: ({ context: c, event }: Args) => {
      if (event.type === 'xmpp.messages') {
        for (const m of event.messages) if (!c.resources.includes(m.from)) refuseNotJoined(c, m);
      } else refuseNotJoined(c, event as UserMessageEvent);
    },

    announcePresence: ({ context: c, event }: Args) => {
      const p = presenceUpdate(c, event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>);
      for (const to of c.resources) port.presence(occupantPresence(c, p, to));
    },

    /** §2.15 removal: 307 kick, 301 ban (XEP-0045 §9.1: outcast), nothing for a plain leave. */
    announceLeave: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.participantLeft' }>;
      const p = participantNamed(c.participants, e.nick);
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

    /**
     * Spec §3.8, §3.9: a XEP-0249 invitation from the gateway to the user's bare JID, where the
     * plugin asks for one, or where the user's server refused the bookmark (the forced invitation).
     */
    inviteUser: ({ context: c }: Args) => {
      port.message({
        to: [c.user], room: gatewayOf(c), nick: null, type: 'normal', id: invitationId(c.jid),
        invite: { jid: c.jid, reason: 'This group could not be added automatically for you' },
      });
    },

    /** Spec §3.9: does the user have this room in their bookmarks? (a privileged get; the answer is `xmpp.bookmarkAnswer`) */
    askBookmark: ({ context: c, event }: Args) => {
      const { autoJoin } = event as Extract<LegacyRoomEvent, { type: 'legacy.bookmark' }>;
      port.bookmark({ gateway: gatewayOf(c), user: c.user, room: c.jid, step: 'get', nick: userNick(c), autoJoin });
    },

    /** Spec §3.9: the user has no bookmark of this room: it is published, with the user's nickname in it. */
    publishBookmark: ({ context: c }: Args) => {
      port.bookmark({ gateway: gatewayOf(c), user: c.user, room: c.jid, step: 'set', nick: userNick(c), autoJoin: c.bookmarkAutoJoin ?? true });
    },

    /** Spec §3.5: a name or description change is a 104 notice from the room (not archived). */
    announceInfoChange: ({ context: c, event }: Args) => {
      if (!c.info || !c.resources.length) return;
      port.message({
        to: c.resources, room: c.jid, nick: null, type: 'groupchat', codes: [104],
        stanzaId: `config-${(event as { eventId: string }).eventId}`, occupantId: 'room',
      });
    },

    /** Spec §3.6: the new avatar's bytes go to Redis with the job's commit. */
    storeAvatar: ({ event }: Args) => {
      const { avatar } = event as Extract<LegacyRoomEvent, { type: 'legacy.avatar' }>;
      if (avatar) port.avatarBytes(avatar);
    },

    /** The avatars `updateInfo()` and `fillParticipants()` set while the room filled. */
    storeFilledAvatar: ({ event }: Args) => {
      const { avatar, participantAvatars } = (event as Extract<RoomEvent, { type: 'runtime.filled' }>).output;
      if (avatar) port.avatarBytes(avatar);
      for (const a of Object.values(participantAvatars ?? {})) port.avatarBytes(a);
    },

    /** Spec §3.7: a participant's new avatar's bytes go to Redis with the job's commit. */
    storeParticipantAvatar: ({ event }: Args) => {
      const { avatar } = event as Extract<LegacyRoomEvent, { type: 'legacy.participantAvatar' }>;
      if (avatar) port.avatarBytes(avatar);
    },

    /** Spec §3.7: joined resources see the participant's presence again, with its new avatar (or none). */
    announceParticipantAvatar: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.participantAvatar' }>;
      const p = participantNamed(c.participants, e.participant.nick);
      if (!p?.presenceSent || isAnonymous(c)) return;
      const { avatar: _old, ...rest } = p;
      const next: Participant = e.avatar ? { ...rest, avatar: { hash: e.avatar.hash, legacyId: e.avatar.legacyId } } : rest;
      for (const to of c.resources) port.presence(occupantPresence(c, next, to));
    },

    /** Spec §3.6: a new avatar (or none) is the 104 notice, then the room's presence with the new hash. */
    announceAvatar: ({ context: c, event }: Args) => {
      const { avatar, eventId } = event as Extract<LegacyRoomEvent, { type: 'legacy.avatar' }>;
      if (!c.resources.length) return;
      port.message({
        to: c.resources, room: c.jid, nick: null, type: 'groupchat', codes: [104], stanzaId: `config-${eventId}`, occupantId: 'room',
      });
      for (const to of c.resources) port.presence(roomPresence(c, to, avatar?.hash));
    },

    /** §2.15 rename: unavailable 303 with the new nick from the old JID, then available from the new. */
    announceRename: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      const p = participantNamed(c.participants, e.from);
      if (!p) return port.warn('unknown participant renamed', { from: e.from, to: e.to });
      if (!p.presenceSent) return;
      for (const to of c.resources) {
        const before = occupantPresence(c, p, to);
        port.presence({ ...before, type: 'unavailable', item: { ...before.item!, nick: e.to }, codes: [303] });
        port.presence(occupantPresence(c, { ...p, nick: e.to }, to));
      }
    },

    /** spec §3.7: the user's own avatar changed: every joined resource sees its self-presence again. */
    announceUserAvatar: ({ context: c }: Args) => {
      for (const to of c.resources) port.presence(selfPresence(c, to, userNick(c)));
    },

    /** The network changed the user's role or affiliation: every joined resource sees its self-presence again. */
    announceSelfPresence: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>;
      const status = { ...(e.show ? { show: e.show } : {}), ...(e.status ? { status: e.status } : {}) };
      for (const to of c.resources) port.presence({ ...selfPresence(c, to, userNick(c)), ...status });
    },

    /**
     * XEP-0045 §7.6: the user was renamed: unavailable from the old nick with the new one in the
     * item and 303+110, then the self-presence from the new nick, to every joined resource.
     */
    announceSelfRename: ({ context: c, event }: Args) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      for (const to of c.resources) {
        const before = selfPresence(c, to, e.from);
        port.presence({ ...before, type: 'unavailable', item: { ...before.item!, nick: e.to }, codes: [303, 110] });
        port.presence({ ...selfPresence(c, to, e.to), codes: [110] });
      }
    },

    /** §2.6: the room imposes the nickname; without the plugin's `onNickChange` a change is refused. */
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

    /** Only an iq gets a result; a subject or nick change shows as what the network reports back. */
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
