/**
 * The room actor (LegacyMUC): one legacy group as one user sees it.
 *
 *   uninitialised ─join→ filling ─→ backfilling ─→ joined ⇄ (greeting | sending)
 *                            └──────────────────→ joined
 *   filling ─error→ failed                              (ends: failed, destroyed)
 *
 * Invariant kept by the runtime: an event is delivered only when the room has no `busy` tag,
 * so states that wait on a hook need no handlers for mailbox events.
 *
 * Pure: hooks are invoked actors and effects are actions, both bound with `provide` by the
 * worker (`roomEffects`); the placeholders below throw so a missed binding is loud.
 */
import { and, assign, fromPromise, setup } from 'xstate';
import type { RoomInfo } from '../legacy/muc.ts';
import type { MucAffiliation, MucRole, Show, Hat } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { RoomInputEvent, XmppRoomEvent, LegacyRoomEvent, HistoryRequest, HookCall, ParticipantInit } from './events.ts';
import type { ArchivedMessage, FillOutput, HistoryInput, HookInput, RoomRef } from './ports.ts';

/** How many applied event ids a room remembers to drop replays (at-least-once delivery). */
export const APPLIED_EVENTS_KEPT = 256;

export interface Participant {
  nick: string;
  role: MucRole;
  affiliation: MucAffiliation;
  hats: Hat[];
  occupantId: string;
  contactId?: string;
  /** Whether joined resources have seen this participant's presence (lazy presence, §2.15). */
  presenceSent: boolean;
  show?: Show;
  status?: string;
}

export type JoinEvent = Extract<XmppRoomEvent, { type: 'xmpp.join' }>;
export type UserMessageEvent = Extract<XmppRoomEvent, { type: 'xmpp.message' }>;
export type RequestEvent = Extract<XmppRoomEvent, { type: 'xmpp.request' }>;

export interface RoomContext extends RoomRef {
  /** The nickname the user gets when the room has none of its own (bookmarks.userNick). */
  defaultUserNick: string;
  /** Class flags of the plugin's LegacyMUC that change behaviour. */
  flags: { hasSubject: boolean };
  info: RoomInfo | null;
  participants: Participant[];
  /** The user's own participant. */
  self: { role: MucRole; affiliation: MucAffiliation; occupantId: string };
  /** Full JIDs of the user's resources that have joined, in join order. */
  resources: string[];
  /** Joins waiting for the room to be filled or for their history. */
  pendingJoins: JoinEvent[];
  /** The user's message waiting for the legacy network's answer. */
  sending: UserMessageEvent | null;
  /** The user's request waiting for a plugin hook. */
  request: RequestEvent | null;
  historyFilled: boolean;
  applied: string[];
  /** Why the room failed to initialise. */
  error: StanzaError | null;
}

/** What the legacy network answered to the user's message: its id there and its stanza-id. */
export interface SendTextOutput { legacyId: string | null; stanzaId: string | null }

export interface RoomInput extends RoomRef {
  defaultUserNick: string;
  flags?: { hasSubject: boolean };
}

/** Events from the runtime itself (not replayed from a mailbox). */
export type RuntimeEvent = { type: 'runtime.shutdown'; eventId: string; at: string };

export type RoomEvent = RoomInputEvent | RuntimeEvent;

const notBound = (name: string) => () => {
  throw new Error(`room machine: '${name}' is not bound; use roomMachine.provide(roomEffects(...))`);
};
const unboundActor = (name: string) => fromPromise<never, unknown>(async () => notBound(name)());

/** History on join is skipped, and backfill not triggered, for maxchars=0 or maxstanzas=0 (§2.4). */
export function wantsHistory(h: HistoryRequest): boolean {
  return h.maxchars !== 0 && h.maxstanzas !== 0;
}

export const roomMachine = setup({
  types: {
    context: {} as RoomContext,
    events: {} as RoomEvent,
    input: {} as RoomInput,
  },
  actors: {
    fill: unboundActor('fill') as unknown as ReturnType<typeof fromPromise<FillOutput, RoomRef>>,
    backfill: unboundActor('backfill') as unknown as ReturnType<typeof fromPromise<LegacyRoomEvent[], RoomRef>>,
    history: unboundActor('history') as unknown as ReturnType<typeof fromPromise<ArchivedMessage[], HistoryInput>>,
    callHook: unboundActor('callHook') as unknown as ReturnType<typeof fromPromise<void, HookInput>>,
    sendText: unboundActor('sendText') as unknown as ReturnType<typeof fromPromise<SendTextOutput, { room: RoomRef; message: UserMessageEvent }>>,
  },
  actions: {
    refuseMalformedJoin: notBound('refuseMalformedJoin'),
    refuseJoins: notBound('refuseJoins'),
    sendJoinSequence: notBound('sendJoinSequence') as (_: unknown, params: { history: ArchivedMessage[] }) => void,
    sendLeave: notBound('sendLeave'),
    refuseNotJoined: notBound('refuseNotJoined'),
    echoUserMessage: notBound('echoUserMessage') as (_: unknown, params: SendTextOutput) => void,
    refuseUserMessage: notBound('refuseUserMessage') as (_: unknown, params: { error: StanzaError }) => void,
    deliverLegacyMessage: notBound('deliverLegacyMessage'),
    archiveLegacyMessage: notBound('archiveLegacyMessage'),
    archiveBackfill: notBound('archiveBackfill'),
    announcePresence: notBound('announcePresence'),
    announceLeave: notBound('announceLeave'),
    announceSubject: notBound('announceSubject'),
    announceRename: notBound('announceRename'),
    warn: notBound('warn') as (_: unknown, params: { msg: string }) => void,
    refuseNickChange: notBound('refuseNickChange'),
    refuseRequest: notBound('refuseRequest') as (_: unknown, params: { error: StanzaError }) => void,
    answerRequest: notBound('answerRequest'),
    announceShutdown: notBound('announceShutdown'),
    announceRemoval: notBound('announceRemoval') as (_: unknown, params: { reason: string; kick: boolean }) => void,
    announceEnd: notBound('announceEnd'),
    keepRequest: assign(({ event }) => ({ request: event as RequestEvent })),
    markApplied: assign(({ context, event }) => ({
      applied: 'eventId' in event
        ? [...context.applied.slice(-(APPLIED_EVENTS_KEPT - 1)), event.eventId]
        : context.applied,
    })),
    queueJoin: assign(({ context, event }) => ({
      pendingJoins: [...context.pendingJoins, event as JoinEvent],
    })),
    noteSpeaker: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.message' }>;
      const p = { ...speakerOf(context, e.participant, e.eventId) };
      p.presenceSent ||= context.resources.length > 0;
      return { participants: upsert(context.participants, p) };
    }),
    upsertParticipant: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>;
      const old = speakerOf(context, e.participant, e.eventId);
      const p: Participant = {
        ...old,
        role: e.participant.role ?? old.role,
        affiliation: e.participant.affiliation ?? old.affiliation,
        hats: e.participant.hats ?? old.hats,
        presenceSent: old.presenceSent || context.resources.length > 0,
      };
      if (e.show) p.show = e.show; else delete p.show;
      if (e.status) p.status = e.status; else delete p.status;
      return { participants: upsert(context.participants, p) };
    }),
    dropParticipant: assign(({ context, event }) => ({
      participants: context.participants.filter((p) => p.nick !== (event as { nick: string }).nick),
    })),
    applySubject: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.subject' }>;
      if (!context.info) return {};
      return { info: { ...context.info, subject: e.subject, subjectSetter: e.setter ?? null, subjectDate: e.when ?? e.at } };
    }),
    applyRename: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      // DECISIONS 2.15: the new nickname is what the room keeps
      return { participants: context.participants.map((p) => (p.nick === e.from ? { ...p, nick: e.to } : p)) };
    }),
    removeResource: assign(({ context, event }) => ({
      resources: context.resources.filter((r) => r !== (event as { from: string }).from),
    })),
  },
  guards: {
    joinIsMalformed: ({ event }) => {
      const e = event as JoinEvent;
      return !e.nick || !e.from.includes('/');
    },
    joinWantsBackfill: ({ context, event }) =>
      !context.historyFilled && wantsHistory((event as JoinEvent).history),
    pendingWantsBackfill: ({ context }) =>
      !context.historyFilled && context.pendingJoins.some((j) => wantsHistory(j.history)),
    hasPendingJoin: ({ context }) => context.pendingJoins.length > 0,
    isFilled: ({ context }) => context.info !== null,
    isNickChange: ({ context, event }) => (event as { nick: string }).nick !== userNick(context),
    isLeaveGroup: ({ event }) => (event as RequestEvent).call.hook === 'leaveGroup',
    requestEndsRoom: ({ context }) => context.request?.call.hook === 'destroy' || context.request?.call.hook === 'leaveGroup',
    // §2.8: a groupchat request (a subject change) must come from a joined resource
    requestFromJoined: ({ context, event }) => {
      const e = event as RequestEvent;
      return e.reply === 'iq' || context.resources.includes(e.from);
    },
    fromJoinedResource: ({ context, event }) => context.resources.includes((event as { from: string }).from),
  },
}).createMachine({
  id: 'room',
  context: ({ input }) => ({
    user: input.user,
    legacyId: input.legacyId,
    jid: input.jid,
    defaultUserNick: input.defaultUserNick,
    flags: input.flags ?? { hasSubject: true },
    info: null,
    participants: [],
    self: { role: 'participant', affiliation: 'member', occupantId: 'user' },
    resources: [],
    pendingJoins: [],
    sending: null,
    request: null,
    historyFilled: false,
    applied: [],
    error: null,
  }),
  initial: 'uninitialised',
  states: {
    uninitialised: {
      on: {
        'xmpp.join': [
          { guard: 'joinIsMalformed', actions: ['refuseMalformedJoin', 'markApplied'] },
          { target: 'filling', actions: ['queueJoin', 'markApplied'] },
        ],
        'xmpp.message': { actions: ['refuseNotJoined', 'markApplied'] },
        // Live messages before anyone joined are kept for history; the rest is fetched by fill.
        'legacy.message': { actions: ['archiveLegacyMessage', 'markApplied'] },
        'legacy.removed': { target: 'destroyed', actions: 'markApplied' },
        'xmpp.request': [
          { guard: 'isLeaveGroup', target: 'calling', actions: ['keepRequest', 'markApplied'] },
          {
            actions: [{ type: 'refuseRequest', params: { error: { condition: 'not-acceptable', type: 'modify', text: 'Join the room first' } } }, 'markApplied'],
          },
        ],
      },
    },
    filling: {
      tags: 'busy',
      invoke: {
        src: 'fill',
        input: ({ context }) => ({ user: context.user, legacyId: context.legacyId, jid: context.jid }),
        onDone: [
          {
            guard: 'pendingWantsBackfill',
            target: 'backfilling',
            actions: assign(({ event }) => fromFill(event.output)),
          },
          { target: 'joined', actions: assign(({ event }) => fromFill(event.output)) },
        ],
        onError: {
          target: 'failed',
          actions: [
            assign({ error: ({ event }) => event.error as StanzaError }),
            'refuseJoins',
          ],
        },
      },
    },
    backfilling: {
      tags: 'busy',
      invoke: {
        src: 'backfill',
        input: ({ context }) => ({ user: context.user, legacyId: context.legacyId, jid: context.jid }),
        onDone: {
          target: 'joined',
          actions: ['archiveBackfill', assign({ historyFilled: true })],
        },
        // §2.4: a backfill that failed counts as done; the room goes on without that history.
        onError: {
          target: 'joined',
          actions: [{ type: 'warn', params: { msg: 'backfill failed' } }, assign({ historyFilled: true })],
        },
      },
    },
    joined: {
      initial: 'idle',
      on: {
        'xmpp.join': [
          { guard: 'joinIsMalformed', actions: ['refuseMalformedJoin', 'markApplied'] },
          { guard: 'joinWantsBackfill', target: 'backfilling', actions: ['queueJoin', 'markApplied'] },
          { target: '.greeting', actions: ['queueJoin', 'markApplied'] },
        ],
        'xmpp.leave': [
          { guard: 'fromJoinedResource', actions: ['sendLeave', 'removeResource', 'markApplied'] },
          { actions: 'markApplied' },
        ],
        'legacy.message': { actions: ['deliverLegacyMessage', 'noteSpeaker', 'markApplied'] },
        'legacy.presence': { actions: ['announcePresence', 'upsertParticipant', 'markApplied'] },
        'legacy.participantLeft': { actions: ['announceLeave', 'dropParticipant', 'markApplied'] },
        'legacy.subject': { actions: ['announceSubject', 'applySubject', 'markApplied'] },
        'legacy.rename': { actions: ['announceRename', 'applyRename', 'markApplied'] },
        'legacy.removed': {
          target: 'destroyed',
          actions: [{ type: 'announceRemoval', params: ({ event }) => ({ reason: event.reason, kick: event.kick }) }, 'markApplied'],
        },
        'xmpp.presence': [
          { guard: and(['fromJoinedResource', 'isNickChange']), actions: ['refuseNickChange', 'markApplied'] },
          { actions: 'markApplied' }, // §2.6: status changes are not propagated
        ],
        'xmpp.bounce': { actions: ['removeResource', 'markApplied'] },
        'xmpp.request': [
          { guard: 'requestFromJoined', target: 'calling', actions: ['keepRequest', 'markApplied'] },
          { actions: ['refuseNotJoined', 'markApplied'] },
        ],
        'runtime.shutdown': { actions: ['announceShutdown', assign({ resources: [] })] },
      },
      states: {
        idle: {
          always: { guard: 'hasPendingJoin', target: 'greeting' },
          on: {
            'xmpp.message': [
              {
                guard: 'fromJoinedResource',
                target: 'sending',
                actions: [assign({ sending: ({ event }) => event as UserMessageEvent }), 'markApplied'],
              },
              { actions: ['refuseNotJoined', 'markApplied'] },
            ],
          },
        },
        // Answers the oldest pending join: occupants, self, history, subject (§2.3).
        greeting: {
          tags: 'busy',
          invoke: {
            src: 'history',
            input: ({ context }) => ({
              room: { user: context.user, legacyId: context.legacyId, jid: context.jid },
              request: context.pendingJoins[0]!.history,
              now: context.pendingJoins[0]!.at,
            }),
            onDone: {
              target: 'idle',
              actions: [
                { type: 'sendJoinSequence', params: ({ event }) => ({ history: event.output }) },
                assign(({ context }) => joinDone(context)),
              ],
            },
            onError: {
              target: 'idle',
              actions: [
                { type: 'warn', params: { msg: 'history unavailable for join' } },
                { type: 'sendJoinSequence', params: { history: [] } },
                assign(({ context }) => joinDone(context)),
              ],
            },
          },
        },
        // The user's message is with the legacy network; the echo waits for its answer (§3.13).
        sending: {
          tags: 'busy',
          invoke: {
            src: 'sendText',
            input: ({ context }) => ({
              room: { user: context.user, legacyId: context.legacyId, jid: context.jid },
              message: context.sending!,
            }),
            onDone: {
              target: 'idle',
              actions: [
                { type: 'echoUserMessage', params: ({ event }) => event.output },
                assign({ sending: null }),
              ],
            },
            onError: {
              target: 'idle',
              actions: [
                { type: 'refuseUserMessage', params: ({ event }) => ({ error: event.error as StanzaError }) },
                assign({ sending: null }),
              ],
            },
          },
        },
      },
    },
    // A plugin hook decides the user's request (subject, kick, affiliation, destroy, leave).
    calling: {
      tags: 'busy',
      invoke: {
        src: 'callHook',
        input: ({ context }) => ({
          room: { user: context.user, legacyId: context.legacyId, jid: context.jid },
          call: context.request!.call,
          participant: participantOf(context, context.request!.call),
        }),
        onDone: [
          {
            guard: 'requestEndsRoom',
            target: 'destroyed',
            actions: ['answerRequest', 'announceEnd'],
          },
          { guard: 'isFilled', target: 'joined', actions: ['answerRequest', assign({ request: null })] },
          { target: 'uninitialised', actions: ['answerRequest', assign({ request: null })] },
        ],
        onError: [
          {
            guard: 'isFilled',
            target: 'joined',
            actions: [{ type: 'refuseRequest', params: ({ event }) => ({ error: event.error as StanzaError }) }, assign({ request: null })],
          },
          {
            target: 'uninitialised',
            actions: [{ type: 'refuseRequest', params: ({ event }) => ({ error: event.error as StanzaError }) }, assign({ request: null })],
          },
        ],
      },
    },
    failed: { type: 'final' },
    destroyed: { type: 'final' },
  },
});

/** The participant a request is about (kick, affiliation), as plain data. */
function participantOf(context: RoomContext, call: HookCall): ParticipantInit | null {
  if (call.hook !== 'kick' && call.hook !== 'setAffiliation') return null;
  const p = context.participants.find((q) => q.nick === call.nick);
  if (!p) return null;
  return { nick: p.nick, role: p.role, affiliation: p.affiliation, ...(p.contactId ? { contactId: p.contactId } : {}) };
}

/** Context after a successful fill: info, participants in fill order, the user's own item. */
function fromFill(out: FillOutput): Partial<RoomContext> {
  const participants: Participant[] = [];
  for (const p of out.participants) {
    if (participants.some((q) => q.nick === p.nick)) continue; // duplicates are dropped (§2.3.5)
    participants.push(newParticipant(p, `fill-${participants.length}`));
  }
  return {
    info: out.info,
    participants,
    self: {
      role: out.user?.role ?? 'participant',
      affiliation: out.user?.affiliation ?? 'member',
      occupantId: 'user',
    },
  };
}

/** Removes the answered join; its resource is now joined (once, in join order) and has seen everyone. */
function joinDone(context: RoomContext): Partial<RoomContext> {
  const [join, ...rest] = context.pendingJoins;
  const resources = context.resources.includes(join!.from) ? context.resources : [...context.resources, join!.from];
  const participants = context.participants.map((p) => (p.presenceSent ? p : { ...p, presenceSent: true }));
  return { pendingJoins: rest, resources, participants };
}

/** The known participant with this nick, or the one the event introduces (occupant-id from the event). */
export function speakerOf(context: RoomContext, init: { nick: string }, eventId: string): Participant {
  return context.participants.find((p) => p.nick === init.nick) ?? newParticipant(init, eventId);
}

function upsert(list: Participant[], p: Participant): Participant[] {
  const i = list.findIndex((q) => q.nick === p.nick);
  if (i < 0) return [...list, p];
  const copy = list.slice();
  copy[i] = p;
  return copy;
}

/** A participant record; `seed` makes its occupant-id unique and stable for the room's life. */
export function newParticipant(p: { nick: string; role?: MucRole; affiliation?: MucAffiliation; hats?: Hat[]; contactId?: string }, seed: string): Participant {
  return {
    nick: p.nick,
    role: p.role ?? 'participant',
    affiliation: p.affiliation ?? 'member',
    hats: p.hats ?? [],
    occupantId: `o-${seed}`,
    ...(p.contactId ? { contactId: p.contactId } : {}),
    presenceSent: false,
  };
}

/** The nickname the user has in this room (spec §2.2: room's own, else the session's). */
export function userNick(context: RoomContext): string {
  return context.info?.userNick ?? context.defaultUserNick;
}
