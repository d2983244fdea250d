/**
 * The room actor (LegacyMUC): one legacy group as one user sees it.
 *
 *   uninitialised ─join→ filling ─→ backfilling ─→ joined ⇄ (greeting | sending | acting)
 *                            └──────────────────→ joined
 *   joined ─MAM query, history not filled→ backfilling ─→ joined
 *   uninitialised ─admin list→ filling ─→ joined (no resource joined)
 *   filling ─error→ failed                              (ends: failed, destroyed)
 *
 * Invariant kept by the runtime: an event is delivered only when the room has no `busy` tag,
 * so states that wait on a hook need no handlers for mailbox events.
 *
 * Pure: the hooks of a join and of the user's message are actions answered by runtime events
 * (`startFill` by `runtime.filled`, `startBackfill`, `startHistory`, `startSendText` by
 * `runtime.sent`: see `hookAction`), the rarer ones invoked actors; effects are actions, all
 * bound with `provide` by the worker (`roomEffects`); the placeholders below throw so a missed
 * binding is loud.
 */
import { and, assign, fromPromise, not, setup } from 'xstate';
import type { RoomInfo } from '../legacy/muc.ts';
import type { ChatState, MucAffiliation, MucRole, Show, Hat } from '../legacy/types.ts';
import type { StanzaError } from '../transport/xmpp/errors.ts';
import type { RoomInputEvent, XmppRoomEvent, LegacyRoomEvent, LegacyMessagesEvent, HistoryRequest, HookCall, ParticipantInit, MessageRef, Delivery, ThreadRef } from './events.ts';
import type { ArchivedMessage, FillOutput, HistoryInput, HookInput, RoomRef } from './ports.ts';
import { addRecent, findRecent, hasRecent, recentItems, type Recent } from './recent.ts';
import { merge } from '../merge.ts';
import { participantNamed, positionOf, withParticipantAdded, withParticipantAt } from './participants.ts';

/** How many applied event ids a room remembers to drop replays (at-least-once delivery). */
export const APPLIED_EVENTS_KEPT = 256;
/** How many of the user's own messages a room remembers the client's id of (spec §3.12). */
export const OWN_IDS_KEPT = 256;
/** The threads a room remembers (spec §3.23): the XMPP threads the network made a thread of, newest kept. */
export const THREADS_KEPT = 256;
/** The stanzas of messages the network sent as several that a room remembers (spec §3.12), newest kept. */
export const SIBLINGS_KEPT = 512;

/**
 * A stanza of a legacy message the room sent as several (its files, their captions, its text:
 * `sendFiles`), which has no legacy id of its own: another of them carries it (spec §3.12).
 */
export interface Sibling { legacyId: string; stanzaId: string }

/** An XMPP thread and the legacy thread the plugin's `createThread` made of it. */
export interface ThreadPair { xmpp: string; legacy: string }

/** One of the user's own messages: the id the network gave it, and the id the client sent it with. */
export interface OwnId { legacyId: string; xmppId: string }

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
  /** Its avatar (spec §3.7): the SHA-1 of the bytes kept in the partition's store (`Keys.partitionAvatars`). */
  avatar?: { hash: string; legacyId: string | null };
}

export type JoinEvent = Extract<XmppRoomEvent, { type: 'xmpp.join' }>;
export type UserMessageEvent = Extract<XmppRoomEvent, { type: 'xmpp.message' }>;
/** A burst of participants' messages, delivered as one event (see `legacy.messages`). */
export type { LegacyMessagesEvent };
/** A burst of the user's messages, delivered as one event (see `xmpp.messages`). */
export type UserMessagesEvent = Extract<XmppRoomEvent, { type: 'xmpp.messages' }>;
export type RequestEvent = Extract<XmppRoomEvent, { type: 'xmpp.request' }>;
export type BookmarkAnswerEvent = Extract<XmppRoomEvent, { type: 'xmpp.bookmarkAnswer' }>;
/** An available presence to the room that is not a join: a status, or a nick change (§2.6). */
export type PresenceEvent = Extract<XmppRoomEvent, { type: 'xmpp.presence' }>;
/** What the user does in the room, besides writing, that a session hook carries to the network. */
export type UserActionEvent = Extract<XmppRoomEvent, {
  type: 'xmpp.correction' | 'xmpp.retraction' | 'xmpp.reaction' | 'xmpp.displayed' | 'xmpp.chatState' | 'xmpp.privateMessage';
}>;

export interface RoomContext extends RoomRef {
  /** The nickname the user gets when the room has none of its own (bookmarks.userNick). */
  defaultUserNick: string;
  /** Class flags of the plugin's LegacyMUC that change behaviour. */
  flags: RoomFlags;
  info: RoomInfo | null;
  participants: Participant[];
  /** The user's own participant; `avatar`: the hash of the user's own avatar, which their self-presences carry. */
  self: { role: MucRole; affiliation: MucAffiliation; occupantId: string; avatar?: string };
  /** Full JIDs of the user's resources that have joined, in join order. */
  resources: string[];
  /** The XMPP threads the network made a thread of (spec §3.23), oldest first (`THREADS_KEPT`). */
  threads?: ThreadPair[];
  /** The stanzas of legacy messages sent as several (spec §3.12), newest last (`SIBLINGS_KEPT`). Absent in older snapshots. */
  siblings?: Recent<Sibling>;
  /** Joins waiting for the room to be filled or for their history. */
  pendingJoins: JoinEvent[];
  /** The user's messages waiting for the legacy network's answers, in order. */
  sending: UserMessageEvent[] | null;
  /** The user's request waiting for a plugin hook. */
  request: RequestEvent | null;
  /** The user's correction, retraction, reaction ... waiting for the legacy network's answer. */
  action?: UserActionEvent | null;
  /**
   * The user's own messages: the legacy id the network gave each, and the id the client sent
   * it with, which corrections and retractions refer to (spec §3.12). Newest last, in pages.
   */
  ownIds?: Recent<OwnId>;
  historyFilled: boolean;
  /** Ids of the last events applied that have no delivery position, newest last, in pages. */
  applied: Recent<string>;
  /** The last position applied per delivery source (see `EventMeta.delivery`). */
  delivered?: Record<string, Watermark>;
  /**
   * The last XEP-0085 state sent for a participant (by nick) when it is not `active`, to drop
   * repeats (spec §1.4); none recorded is `active`. Apart from the participant list: each state
   * copied that list, and in a room of 10,000 with someone typing between messages an event cost
   * 141 µs instead of 14 (bench/micro/messages.ts). Not kept in snapshots once changed alone
   * (rooms.ts MARKS): a state is stale after a restart anyway. Absent in older snapshots.
   */
  chatStates?: Record<string, Exclude<ChatState, 'active'>>;
  /** Why the room failed to initialise. */
  error: StanzaError | null;
  /** The gateway invited the user to this room (spec §3.8): a bookmark added again does not invite again. */
  invited?: boolean;
  /**
   * The room is in the user's bookmarks (spec §3.9, published or found there): the plugin adding
   * it again changes nothing, so a bookmark the user edited or removed stays so.
   */
  bookmarked?: boolean;
  /** The autojoin flag of the bookmark being asked for (see `xmpp.bookmarkAnswer`). */
  bookmarkAutoJoin?: boolean;
}

/** What the legacy network answered to the user's message: its id there and its stanza-id. */
export interface SendTextOutput {
  legacyId: string | null; stanzaId: string | null;
  /** A thread the network made for the message's XMPP thread (`createThread`): the room remembers it. */
  thread?: ThreadPair;
}

/** The network's answer to one of the user's messages, or its refusal. */
export type SendResult = { output: SendTextOutput } | { error: StanzaError };

/** Input of the `userAction` actor: the action, and its target's legacy id when the room knows it. */
export interface UserActionInput {
  room: RoomRef; action: UserActionEvent; legacyId: string | null;
  /** Spec §3.23: the legacy thread of the action's `<thread>` (the one the room made of it, else its id). */
  thread?: string;
}
/** The network's answer to a user action; `notice` is told to the user by the gateway (spec §3.14). */
export interface UserActionOutput extends SendTextOutput { notice?: string }

/** Class flags of the plugin's LegacyMUC that change behaviour. */
export interface RoomFlags {
  hasSubject: boolean;
  /** REACTIONS_SINGLE_EMOJI: one reaction per user and message (spec §3.17). */
  reactionsSingleEmoji?: boolean;
  /** The session implements `onNickChange`: the user may change nick from XMPP (DECISIONS, §2.6). */
  nickChange?: boolean;
  /** A room newly published in the user's bookmarks brings an invitation too (spec §3.9, ALWAYS_INVITE_WHEN_ADDING_BOOKMARKS). */
  alwaysInvite?: boolean;
  /** KEEP_BACKFILLED_PARTICIPANTS: who spoke in the backfill becomes a participant (spec §2.4, for partial fills). */
  keepBackfilledParticipants?: boolean;
}

export interface RoomInput extends RoomRef {
  defaultUserNick: string;
  flags?: RoomFlags;
}

/** Events from the runtime itself (not replayed from a mailbox). */
export type RuntimeEvent =
  | { type: 'runtime.shutdown'; eventId: string; at: string }
  /** The answers of the `sendText` hook to the user's messages, in their order (see `sendTextHook`). */
  | { type: 'runtime.sent'; results: SendResult[] }
  /** The hook failed as a whole: every message waiting is refused. */
  | { type: 'runtime.sendFailed'; error: StanzaError }
  /** The answers of the `fill` and `backfill` hooks (see `fillHook`, `backfillHook`). */
  | { type: 'runtime.filled'; output: FillOutput }
  | { type: 'runtime.fillFailed'; error: StanzaError }
  | { type: 'runtime.backfilled'; output: LegacyRoomEvent[] }
  | { type: 'runtime.backfillFailed'; error: StanzaError }
  /** The answer of the `history` hook to the oldest pending join (see `historyHook`). */
  | { type: 'runtime.history'; output: ArchivedMessage[] }
  | { type: 'runtime.historyFailed'; error: StanzaError }
  /**
   * The room was restored from a snapshot taken while it waited on a hook started by an
   * action (a snapshot written after the hook timeout): the hook starts again, as an invoked
   * one does on restore.
   */
  | { type: 'runtime.resume' };

/** The room as its hooks name it. */
const refOf = (c: RoomContext): RoomRef => ({ user: c.user, legacyId: c.legacyId, jid: c.jid });

/** What the `sendText` hook gets: the room and the user's message. */
export interface SendTextInput { room: RoomRef; message: UserMessageEvent; /** The threads the room knows. */ threads: ThreadPair[] }

/** Where a runtime that waits on the room's hooks learns of each call: the room and the call's settled promise. */
export type HookStarted = (self: object, settled: Promise<void>) => void;
type HookArgs = { context: RoomContext; self: { send(event: RuntimeEvent): void } };

/**
 * A hook the machine starts with an action rather than an invoked actor: `call` runs on what
 * `input` takes from the context, and the room gets `done(output)` or `failed(error)`. The hooks
 * called for every message or join are bound this way: creating an actor for each call cost W3
 * a third of roomgate's time (docs/BENCHMARKS.md). `started` gets the call's settled promise.
 */
function hookAction<I, O>(
  input: (context: RoomContext) => I,
  call: (input: I) => Promise<O>,
  done: (output: O) => RuntimeEvent,
  failed: (error: StanzaError) => RuntimeEvent,
  started?: HookStarted,
) {
  return ({ context, self }: HookArgs): void => {
    const settled = call(input(context)).then(
      (output) => self.send(done(output)),
      (error: unknown) => self.send(failed(error as StanzaError)),
    );
    started?.(self, settled);
  };
}

/**
 * Binds the `sending` state's hook (`startSendText`): the user's messages to the network, one
 * after the other in their order, answered together by `runtime.sent`. A message the network
 * refuses is refused alone; the next ones still go.
 */
export function sendTextHook(send: (input: SendTextInput) => Promise<SendTextOutput>, started?: HookStarted) {
  return hookAction((c) => ({ room: refOf(c), messages: c.sending!, threads: c.threads ?? [] }), (input) => sendEach(send, input),
    (results) => ({ type: 'runtime.sent', results }), (error) => ({ type: 'runtime.sendFailed', error }), started);
}

async function sendEach(
  send: (input: SendTextInput) => Promise<SendTextOutput>, { room, messages, threads }: { room: RoomRef; messages: UserMessageEvent[]; threads: ThreadPair[] },
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (const message of messages) {
    try {
      const output = await send({ room, message, threads });
      // a burst's next messages in that thread go to the same legacy thread
      if (output.thread) threads = [...threads, output.thread];
      results.push({ output });
    } catch (error) {
      results.push({ error: error as StanzaError });
    }
  }
  return results;
}

/** Binds the `filling` state's hook (`startFill`): the plugin's `updateInfo` and `fillParticipants`, answered by `runtime.filled`. */
export function fillHook(fill: (room: RoomRef) => Promise<FillOutput>, started?: HookStarted) {
  return hookAction(refOf, fill, (output) => ({ type: 'runtime.filled', output }), (error) => ({ type: 'runtime.fillFailed', error }), started);
}

/** Binds the `backfilling` state's hook (`startBackfill`): the plugin's `backfill`, answered by `runtime.backfilled`. */
export function backfillHook(backfill: (room: RoomRef) => Promise<LegacyRoomEvent[]>, started?: HookStarted) {
  return hookAction(refOf, backfill,
    (output) => ({ type: 'runtime.backfilled', output }), (error) => ({ type: 'runtime.backfillFailed', error }), started);
}

/** Binds the `greeting` state's hook (`startHistory`): the history the oldest pending join asked for, answered by `runtime.history`. */
export function historyHook(load: (input: HistoryInput) => Promise<ArchivedMessage[]>, started?: HookStarted) {
  return hookAction((c) => ({ room: refOf(c), request: c.pendingJoins[0]!.history, now: c.pendingJoins[0]!.at }), load,
    (output) => ({ type: 'runtime.history', output }), (error) => ({ type: 'runtime.historyFailed', error }), started);
}

export type RoomEvent = RoomInputEvent | RuntimeEvent;

const notBound = (name: string) => () => {
  throw new Error(`room machine: '${name}' is not bound; use roomMachine.provide(roomEffects(...))`);
};
const unboundActor = (name: string) => fromPromise<never, unknown>(async () => notBound(name)());

const NOT_JOINED: StanzaError = { condition: 'not-acceptable', type: 'modify', text: 'You are not connected to this chat' };
const NO_SUCH_OCCUPANT: StanzaError = { condition: 'item-not-found', type: 'cancel', text: 'No such occupant' };

/** History on join is skipped, and backfill not triggered, for maxchars=0 or maxstanzas=0 (§2.4). */
export function wantsHistory(h: HistoryRequest): boolean {
  return h.maxchars !== 0 && h.maxstanzas !== 0;
}

/**
 * Spec §3.8, §3.9: the room in the user's bookmarks (a privileged get, then a publish where the
 * user has none), and the invitations: where the plugin asks for one, where the user's server
 * refused the bookmark (once), or with a new bookmark (`alwaysInvite`). A resource already in
 * the room needs none. The same in every state that takes events (a room not joined has no resource).
 */
const BOOKMARKING = {
  'legacy.bookmark': [
    { guard: and(['isBookmarked', 'invitationAsked', 'hasNoResource']), actions: ['inviteUser', 'markInvited'] },
    { guard: 'isBookmarked', actions: 'markApplied' },
    { guard: and(['invitationAsked', 'hasNoResource']), actions: ['askBookmark', 'inviteUser', { type: 'keepBookmarkAsked', params: { invited: true } }] },
    { actions: ['askBookmark', { type: 'keepBookmarkAsked', params: { invited: false } }] },
  ],
  'xmpp.bookmarkAnswer': [
    { guard: and(['publishedInvites', 'hasNoResource']), actions: ['inviteUser', { type: 'markBookmarked', params: { invited: true } }] },
    { guard: 'bookmarkThere', actions: 'markBookmarked' },
    { guard: 'bookmarkMissing', actions: ['publishBookmark', 'markApplied'] },
    { guard: and(['bookmarkRefusedFirst', 'hasNoResource']), actions: ['inviteUser', 'markInvited'] },
    { actions: 'markApplied' },
  ],
  'xmpp.invitationBounced': { actions: 'forgetInvitation' },
} as const;

/** The context's own avatar after a hash the gateway knows (null: none; undefined: not known, kept). */
function selfAvatarNoted(context: RoomContext, hash: string | null | undefined): Partial<RoomContext> {
  if (hash === undefined || (context.self.avatar ?? null) === hash) return {};
  const { avatar: _, ...self } = context.self;
  return { self: hash === null ? self : { ...self, avatar: hash } };
}

export const roomMachine = setup({
  types: {
    context: {} as RoomContext,
    events: {} as RoomEvent,
    input: {} as RoomInput,
  },
  actors: {
    callHook: unboundActor('callHook') as unknown as ReturnType<typeof fromPromise<void, HookInput>>,
    userAction: unboundActor('userAction') as unknown as ReturnType<typeof fromPromise<UserActionOutput, UserActionInput>>,
  },
  actions: {
    startSendText: notBound('startSendText (see sendTextHook)'),
    startHistory: notBound('startHistory (see historyHook)'),
    startFill: notBound('startFill (see fillHook)'),
    startBackfill: notBound('startBackfill (see backfillHook)'),
    refuseMalformedJoin: notBound('refuseMalformedJoin'),
    refuseJoins: notBound('refuseJoins'),
    sendJoinSequence: notBound('sendJoinSequence') as (_: unknown, params: { history: ArchivedMessage[] }) => void,
    sendLeave: notBound('sendLeave'),
    refuseNotJoined: notBound('refuseNotJoined'),
    answerUserMessages: notBound('answerUserMessages') as (_: unknown, params: { results: SendResult[] }) => void,
    echoUserAction: notBound('echoUserAction') as (_: unknown, params: UserActionOutput) => void,
    refuseUserAction: notBound('refuseUserAction') as (_: unknown, params: { error: StanzaError }) => void,
    refuseReaction: notBound('refuseReaction') as (_: unknown, params: { text: string }) => void,
    refusePrivateMessage: notBound('refusePrivateMessage') as (_: unknown, params: { error: StanzaError }) => void,
    deliverLegacyMessage: notBound('deliverLegacyMessage'),
    deliverRetraction: notBound('deliverRetraction'),
    deliverReaction: notBound('deliverReaction'),
    deliverModeration: notBound('deliverModeration'),
    deliverChatState: notBound('deliverChatState'),
    deliverDisplayed: notBound('deliverDisplayed'),
    publishDisplayed: notBound('publishDisplayed'),
    deliverPrivateMessage: notBound('deliverPrivateMessage'),
    archiveLegacyMessage: notBound('archiveLegacyMessage'),
    archiveBackfill: notBound('archiveBackfill'),
    announcePresence: notBound('announcePresence'),
    announceLeave: notBound('announceLeave'),
    announceSubject: notBound('announceSubject'),
    announceInfoChange: notBound('announceInfoChange'),
    storeAvatar: notBound('storeAvatar'),
    storeFilledAvatar: notBound('storeFilledAvatar'),
    storeParticipantAvatar: notBound('storeParticipantAvatar'),
    announceParticipantAvatar: notBound('announceParticipantAvatar'),
    announceAvatar: notBound('announceAvatar'),
    inviteUser: notBound('inviteUser'),
    askBookmark: notBound('askBookmark'),
    publishBookmark: notBound('publishBookmark'),
    announceRename: notBound('announceRename'),
    announceSelfPresence: notBound('announceSelfPresence'),
    announceUserAvatar: notBound('announceUserAvatar'),
    announceSelfRename: notBound('announceSelfRename'),
    warn: notBound('warn') as (_: unknown, params: { msg: string }) => void,
    refuseNickChange: notBound('refuseNickChange'),
    refuseRequest: notBound('refuseRequest') as (_: unknown, params: { error: StanzaError }) => void,
    answerRequest: notBound('answerRequest'),
    announceShutdown: notBound('announceShutdown'),
    announceRemoval: notBound('announceRemoval') as (_: unknown, params: { reason: string; kick: boolean }) => void,
    announceEnd: notBound('announceEnd'),
    // An input event changes the context in one assign, its watermark included (`appliedNoted`):
    // each assign re-creates the snapshot (XState's cloneMachineSnapshot, tags and state value).
    // `markApplied` is for the events that change nothing else.
    keepRequest: assign(({ context, event }) => ({ request: event as RequestEvent, ...appliedNoted(context, event) })),
    /** §2.6 with the plugin's hook: the nick change is a request, refused with a presence. */
    keepNickChange: assign(({ context, event }) => {
      const e = event as PresenceEvent;
      const request: RequestEvent = {
        type: 'xmpp.request', eventId: e.eventId, at: e.at, from: e.from, ...(e.id ? { id: e.id } : {}),
        reply: 'presence', call: { hook: 'nickChange', nick: e.nick },
      };
      return { request, ...appliedNoted(context, event) };
    }),
    keepAction: assign(({ context, event }) => ({ action: event as UserActionEvent, ...appliedNoted(context, event) })),
    /**
     * Spec §2.4 KEEP_BACKFILLED_PARTICIPANTS: the backfill's speakers the room does not have become
     * participants (their presence comes with the join it precedes, or before their next message).
     */
    keepBackfilledParticipants: assign(({ context, event }) => {
      if (!context.flags?.keepBackfilledParticipants) return {};
      let participants = context.participants;
      for (const e of (event as unknown as { output: LegacyRoomEvent[] }).output) {
        if (e.type !== 'legacy.message' || isSystem(e.participant) || isUser(context, e.participant)) continue;
        if (!participantNamed(participants, e.participant.nick)) participants = withParticipantAdded(participants, newParticipant(e.participant, e.eventId));
      }
      return participants === context.participants ? {} : { participants };
    }),
    /** The network took the user's action: its legacy id is remembered, the room is free again. */
    finishAction: assign(({ context }, { legacyId, xmppId }: { legacyId: string | null; xmppId: string | undefined }) =>
      ({ ownIds: withOwnId(context.ownIds, legacyId, xmppId), action: null })),
    markApplied: assign(({ context, event }) => appliedNoted(context, event)),
    /** A participant's message archived while nobody is joined: applied, and remembered where it is one of several. */
    noteArchivedMessage: assign(({ context, event }) => merge(appliedNoted(context, event), siblingsNoted(context, messagesOf(event)))),
    /** The backfill is done: the history is there, and the stanzas of messages sent as several are remembered. */
    noteBackfilled: assign(({ context, event }) =>
      merge({ historyFilled: true }, siblingsNoted(context, (event as unknown as { output: LegacyRoomEvent[] }).output))),
    /** The user's message goes to the network (one assign: each costs a copy of the snapshot). */
    keepMessage: assign(({ context, event }) => ({ sending: [event as UserMessageEvent], ...appliedNoted(context, event) })),
    /** The user's messages from joined resources go to the network (the others are refused). */
    keepMessages: assign(({ context, event }) => ({
      sending: (event as UserMessagesEvent).messages.filter((m) => context.resources.includes(m.from)),
      ...appliedNoted(context, event),
    })),
    /** The network answered the user's messages: the legacy ids of those it took are remembered, the room is free again. */
    finishSending: assign(({ context }, { results }: { results: SendResult[] }) => {
      const made = results.flatMap((r) => ('output' in r && r.output.thread ? [r.output.thread] : []));
      return {
        sending: null,
        ownIds: results.reduce((ids, r, i) => ('output' in r ? withOwnId(ids, r.output.legacyId, context.sending?.[i]?.id) : ids), context.ownIds),
        ...(made.length ? { threads: [...(context.threads ?? []), ...made].slice(-THREADS_KEPT) } : {}),
      };
    }),
    /** A participant's message or chat state (see `messageNoted`). */
    noteMessage: assign(({ context, event }) => messageNoted(context, event)),
    /** A burst of participants' messages: each noted in turn, as `noteMessage` would. */
    noteMessages: assign(({ context, event }) => {
      const after = afterMessages(context, (event as LegacyMessagesEvent).messages);
      return {
        participants: after.participants,
        ...(after.chatStates !== context.chatStates ? { chatStates: after.chatStates } : {}),
        ...appliedNoted(context, event),
        ...siblingsNoted(context, (event as LegacyMessagesEvent).messages),
      };
    }),
    /** A join waits for its answer (and is applied: one assign, as each copies the snapshot). */
    queueJoin: assign(({ context, event }) => ({
      pendingJoins: [...context.pendingJoins, event as JoinEvent],
      ...selfAvatarNoted(context, (event as JoinEvent).userAvatar),
      ...appliedNoted(context, event),
    })),
    /** spec §3.7: the user's own avatar, as their self-presences now show it. */
    applyUserAvatar: assign(({ context, event }) => ({
      ...selfAvatarNoted(context, (event as Extract<XmppRoomEvent, { type: 'xmpp.userAvatar' }>).hash),
      ...appliedNoted(context, event),
    })),
    /** A participant acted (a retraction, a reaction ...): the speaker, and the watermark. */
    noteSpeaker: assign(({ context, event }) => merge(speakerNoted(context, event), appliedNoted(context, event))),
    upsertParticipant: assign(({ context, event }) => {
      const p = presenceUpdate(context, event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>);
      p.presenceSent ||= context.resources.length > 0;
      return { participants: upsert(context.participants, p), ...appliedNoted(context, event) };
    }),
    /** The user's own role and affiliation, as the network now says (the plugin's `getUserParticipant`). */
    applySelfPresence: assign(({ context, event }) => {
      const { participant } = event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>;
      return {
        self: {
          ...context.self,
          role: participant.role ?? context.self.role,
          affiliation: participant.affiliation ?? context.self.affiliation,
        },
        ...appliedNoted(context, event),
      };
    }),
    /** The network renamed the user: later stanzas come from the new nick. */
    applySelfRename: assign(({ context, event }) => {
      const { to } = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      return { ...(context.info ? { info: { ...context.info, userNick: to } } : { defaultUserNick: to }), ...appliedNoted(context, event) };
    }),
    dropParticipant: assign(({ context, event }) => {
      const { nick } = event as { nick: string };
      return {
        participants: context.participants.filter((p) => p.nick !== nick),
        ...(context.chatStates?.[nick] ? { chatStates: withChatState(context.chatStates, nick, 'active') } : {}),
        ...appliedNoted(context, event),
      };
    }),
    applySubject: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.subject' }>;
      if (!context.info) return appliedNoted(context, event);
      return { info: { ...context.info, subject: e.subject, subjectSetter: e.setter || null, subjectDate: e.when ?? e.at }, ...appliedNoted(context, event) };
    }),
    markInvited: assign(({ context, event }) => ({ invited: true, ...appliedNoted(context, event) })),
    /** The bookmark is asked for (a privileged get); with `invited`, the plugin asked for an invitation too. */
    keepBookmarkAsked: assign(({ context, event }, { invited }: { invited: boolean }) => ({
      bookmarkAutoJoin: (event as Extract<LegacyRoomEvent, { type: 'legacy.bookmark' }>).autoJoin,
      ...(invited ? { invited: true } : {}),
      ...appliedNoted(context, event),
    })),
    /** The bookmark is there; with `invited`, the user was invited to the room as well. */
    markBookmarked: assign(({ context, event }, params?: { invited: boolean }) => ({
      bookmarked: true, bookmarkAutoJoin: undefined, ...(params?.invited ? { invited: true } : {}), ...appliedNoted(context, event),
    })),
    forgetInvitation: assign(({ context, event }) => ({ invited: false, ...appliedNoted(context, event) })),
    applyInfo: assign(({ context, event }) => {
      const { name, description } = event as Extract<LegacyRoomEvent, { type: 'legacy.info' }>;
      if (!context.info) return appliedNoted(context, event);
      return {
        info: { ...context.info, ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) },
        ...appliedNoted(context, event),
      };
    }),
    /** Spec §3.6: the room's avatar as the network now has it (its bytes are stored by `storeAvatar`). */
    applyAvatar: assign(({ context, event }) => {
      const { avatar } = event as Extract<LegacyRoomEvent, { type: 'legacy.avatar' }>;
      if (!context.info) return appliedNoted(context, event);
      const ref = avatar ? { hash: avatar.hash, mime: avatar.mime, legacyId: avatar.legacyId } : null;
      return { info: { ...context.info, avatar: ref }, ...appliedNoted(context, event) };
    }),
    /** Spec §3.7: a participant's avatar; one the room does not know yet is kept, unannounced, for when it acts. */
    applyParticipantAvatar: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.participantAvatar' }>;
      const p = { ...speakerOf(context, e.participant, e.eventId) };
      if (e.avatar) p.avatar = { hash: e.avatar.hash, legacyId: e.avatar.legacyId };
      else delete p.avatar;
      return { participants: upsert(context.participants, p), ...appliedNoted(context, event) };
    }),
    applyRename: assign(({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>;
      // DECISIONS 2.15: the new nickname is what the room keeps
      const state = context.chatStates?.[e.from];
      return {
        participants: context.participants.map((p) => (p.nick === e.from ? { ...p, nick: e.to } : p)),
        ...(state ? { chatStates: withChatState(withChatState(context.chatStates, e.from, 'active'), e.to, state) } : {}),
        ...appliedNoted(context, event),
      };
    }),
    removeResource: assign(({ context, event }) => ({
      resources: context.resources.filter((r) => r !== (event as { from: string }).from),
      ...appliedNoted(context, event),
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
    isHistoryFilled: ({ context }) => context.historyFilled,
    hasNoResource: ({ context }) => context.resources.length === 0,
    // spec §3.8, §3.9: a bookmark once; an invitation where the plugin asks for one, or where the
    // user's server refused the bookmark (once)
    isBookmarked: ({ context }) => context.bookmarked === true,
    invitationAsked: ({ event }) => (event as Extract<LegacyRoomEvent, { type: 'legacy.bookmark' }>).invite,
    bookmarkThere: ({ event }) => ['found', 'published'].includes((event as BookmarkAnswerEvent).outcome),
    bookmarkMissing: ({ event }) => (event as BookmarkAnswerEvent).outcome === 'missing',
    bookmarkRefusedFirst: ({ context, event }) => (event as BookmarkAnswerEvent).outcome === 'refused' && !context.invited,
    publishedInvites: ({ context, event }) => (event as BookmarkAnswerEvent).outcome === 'published' && !!context.flags.alwaysInvite && !context.invited,
    isFilled: ({ context }) => context.info !== null,
    /** An occupant's avatar changed (not the user's, nor the room's own: `setAvatar` on the room is for that). */
    participantAvatarChanged: ({ context, event }) => {
      const e = event as Extract<LegacyRoomEvent, { type: 'legacy.participantAvatar' }>;
      if (isUser(context, e.participant) || isSystem(e.participant)) return false;
      return (e.avatar?.hash ?? null) !== (participantNamed(context.participants, e.participant.nick)?.avatar?.hash ?? null);
    },
    avatarIdChanged: ({ context, event }) =>
      ((event as Extract<LegacyRoomEvent, { type: 'legacy.avatar' }>).avatar?.legacyId ?? null) !== (context.info?.avatar?.legacyId ?? null),
    /** A new image (or none any more); the same image under a new id is only kept. */
    avatarImageChanged: ({ context, event }) =>
      ((event as Extract<LegacyRoomEvent, { type: 'legacy.avatar' }>).avatar?.hash ?? null) !== (context.info?.avatar?.hash ?? null),
    isNickChange: ({ context, event }) => (event as { nick: string }).nick !== userNick(context),
    canChangeNick: ({ context }) => context.flags.nickChange === true,
    isSelfPresence: ({ context, event }) =>
      isUser(context, (event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>).participant),
    isRoomPresence: ({ event }) => isSystem((event as Extract<LegacyRoomEvent, { type: 'legacy.presence' }>).participant),
    isSelfRename: ({ context, event }) => (event as Extract<LegacyRoomEvent, { type: 'legacy.rename' }>).from === userNick(context),
    isLeaveGroup: ({ event }) => (event as RequestEvent).call.hook === 'leaveGroup',
    requestEndsRoom: ({ context }) => context.request?.call.hook === 'destroy' || context.request?.call.hook === 'leaveGroup',
    userAvatarChanged: ({ context, event }) =>
      (context.self.avatar ?? null) !== (event as Extract<XmppRoomEvent, { type: 'xmpp.userAvatar' }>).hash,
    // §2.8: a groupchat request (a subject change) must come from a joined resource
    requestFromJoined: ({ context, event }) => {
      const e = event as RequestEvent;
      return e.reply === 'iq' || context.resources.includes(e.from);
    },
    fromJoinedResource: ({ context, event }) => context.resources.includes((event as { from: string }).from),
    anyFromJoinedResource: ({ context, event }) => (event as UserMessagesEvent).messages.some((m) => context.resources.includes(m.from)),
    breaksReactionRule: ({ context, event }) =>
      !!context.flags.reactionsSingleEmoji && (event as Extract<UserActionEvent, { type: 'xmpp.reaction' }>).emojis.length > 1,
    isKnownNick: ({ context, event }) => positionOf(context.participants, (event as { nick: string }).nick) >= 0,
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
    action: null,
    ownIds: [],
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
          { target: 'filling', actions: 'queueJoin' },
        ],
        'xmpp.message': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.messages': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.correction': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.retraction': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.reaction': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.displayed': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.chatState': { actions: ['refuseNotJoined', 'markApplied'] },
        'xmpp.privateMessage': {
          actions: [{ type: 'refusePrivateMessage', params: { error: NOT_JOINED } }, 'markApplied'],
        },
        // Live messages before anyone joined are kept for history; the rest is fetched by fill.
        'legacy.message': { actions: ['archiveLegacyMessage', 'noteArchivedMessage'] },
        'legacy.messages': { actions: ['archiveLegacyMessage', 'noteArchivedMessage'] },
        // with nobody joined these are only archived; a private message goes to the bare JID
        'legacy.retraction': { actions: ['deliverRetraction', 'markApplied'] },
        'legacy.reaction': { actions: ['deliverReaction', 'markApplied'] },
        'legacy.moderation': { actions: ['deliverModeration', 'markApplied'] },
        'legacy.privateMessage': { actions: ['deliverPrivateMessage', 'markApplied'] },
        // the user read the room elsewhere: their clients learn it from their PEP, joined or not
        'legacy.displayed': { actions: ['publishDisplayed', 'markApplied'] },
        'legacy.removed': { target: 'destroyed', actions: 'markApplied' },
        // not filled yet: the fill reads the room's information (its avatar too) as it is then
        'legacy.info': { actions: 'markApplied' },
        'legacy.avatar': { actions: 'markApplied' },
        'legacy.participantAvatar': { actions: 'markApplied' },
        ...BOOKMARKING,
        // never filled: a MAM query reads what was archived before anyone joined
        'xmpp.archiveQuery': { actions: 'markApplied' },
        // nobody joined: the next join carries the hash
        'xmpp.userAvatar': { actions: 'markApplied' },
        // spec §3.3: an admin list fills the room, with no join to answer
        'xmpp.fill': { target: 'filling', actions: 'markApplied' },
        'xmpp.request': [
          { guard: 'isLeaveGroup', target: 'calling', actions: 'keepRequest' },
          {
            actions: [{ type: 'refuseRequest', params: { error: { condition: 'not-acceptable', type: 'modify', text: 'Join the room first' } } }, 'markApplied'],
          },
        ],
      },
    },
    filling: {
      tags: 'busy',
      entry: 'startFill',
      on: {
        'runtime.filled': [
          {
            guard: 'pendingWantsBackfill',
            target: 'backfilling',
            actions: ['storeFilledAvatar', assign(({ context, event }) => fromFill(event.output, context.self.avatar))],
          },
          { target: 'joined', actions: ['storeFilledAvatar', assign(({ context, event }) => fromFill(event.output, context.self.avatar))] },
        ],
        'runtime.fillFailed': {
          target: 'failed',
          actions: [
            assign({ error: ({ event }) => event.error }),
            'refuseJoins',
          ],
        },
        'runtime.resume': { target: 'filling', reenter: true },
      },
    },
    backfilling: {
      tags: 'busy',
      entry: 'startBackfill',
      on: {
        // straight to the waiting join's greeting: one microstep, not two through `idle`
        // (a backfill for a MAM query has no join waiting)
        'runtime.backfilled': [
          { guard: 'hasPendingJoin', target: 'joined.greeting', actions: ['archiveBackfill', 'keepBackfilledParticipants', 'noteBackfilled'] },
          { target: 'joined', actions: ['archiveBackfill', 'keepBackfilledParticipants', 'noteBackfilled'] },
        ],
        // §2.4: a backfill that failed counts as done; the room goes on without that history.
        'runtime.backfillFailed': [
          {
            guard: 'hasPendingJoin', target: 'joined.greeting',
            actions: [{ type: 'warn', params: { msg: 'backfill failed' } }, assign({ historyFilled: true })],
          },
          { target: 'joined', actions: [{ type: 'warn', params: { msg: 'backfill failed' } }, assign({ historyFilled: true })] },
        ],
        'runtime.resume': { target: 'backfilling', reenter: true },
      },
    },
    joined: {
      initial: 'idle',
      on: {
        'xmpp.join': [
          { guard: 'joinIsMalformed', actions: ['refuseMalformedJoin', 'markApplied'] },
          { guard: 'joinWantsBackfill', target: 'backfilling', actions: 'queueJoin' },
          { target: '.greeting', actions: 'queueJoin' },
        ],
        'xmpp.leave': [
          { guard: 'fromJoinedResource', actions: ['sendLeave', 'removeResource'] },
          { actions: 'markApplied' },
        ],
        'legacy.message': { actions: ['deliverLegacyMessage', 'noteMessage'] },
        'legacy.messages': { actions: ['deliverLegacyMessage', 'noteMessages'] },
        'legacy.retraction': { actions: ['deliverRetraction', 'noteSpeaker'] },
        'legacy.reaction': { actions: ['deliverReaction', 'noteSpeaker'] },
        'legacy.moderation': { actions: ['deliverModeration', 'markApplied'] },
        'legacy.chatState': { actions: ['deliverChatState', 'noteMessage'] },
        'legacy.displayed': { actions: ['deliverDisplayed', 'publishDisplayed', 'noteSpeaker'] },
        'legacy.privateMessage': { actions: ['deliverPrivateMessage', 'noteSpeaker'] },
        // §2.15; the user's own participant is no occupant: its presence is the self-presence
        'legacy.presence': [
          { guard: 'isSelfPresence', actions: ['applySelfPresence', 'announceSelfPresence'] },
          { guard: 'isRoomPresence', actions: 'markApplied' },
          { actions: ['announcePresence', 'upsertParticipant'] },
        ],
        'legacy.participantLeft': { actions: ['announceLeave', 'dropParticipant'] },
        'legacy.participantAvatar': [
          { guard: 'participantAvatarChanged', actions: ['storeParticipantAvatar', 'announceParticipantAvatar', 'applyParticipantAvatar'] },
          { actions: 'markApplied' },
        ],
        'legacy.subject': { actions: ['announceSubject', 'applySubject'] },
        'legacy.info': { actions: ['announceInfoChange', 'applyInfo'] },
        'legacy.avatar': [
          { guard: 'avatarImageChanged', actions: ['storeAvatar', 'announceAvatar', 'applyAvatar'] },
          { guard: 'avatarIdChanged', actions: 'applyAvatar' },
          { actions: 'markApplied' },
        ],
        ...BOOKMARKING,
        'legacy.rename': [
          { guard: 'isSelfRename', actions: ['announceSelfRename', 'applySelfRename'] },
          { actions: ['announceRename', 'applyRename'] },
        ],
        'legacy.removed': {
          target: 'destroyed',
          actions: [{ type: 'announceRemoval', params: ({ event }) => ({ reason: event.reason, kick: event.kick }) }, 'markApplied'],
        },
        'xmpp.presence': [
          // DECISIONS: a nick change goes to the plugin's hook where it has one; its answer is a rename
          { guard: and(['fromJoinedResource', 'isNickChange', 'canChangeNick']), target: 'calling', actions: 'keepNickChange' },
          { guard: and(['fromJoinedResource', 'isNickChange']), actions: ['refuseNickChange', 'markApplied'] },
          { actions: 'markApplied' }, // §2.6: status changes are not propagated
        ],
        'xmpp.bounce': { actions: 'removeResource' },
        'xmpp.fill': { actions: 'markApplied' },
        'xmpp.userAvatar': [
          { guard: 'userAvatarChanged', actions: ['applyUserAvatar', 'announceUserAvatar'] },
          { actions: 'markApplied' },
        ],
        // spec §3.2: the archive a MAM query reads is backfilled first (once per room)
        'xmpp.archiveQuery': [
          { guard: not('isHistoryFilled'), target: 'backfilling', actions: 'markApplied' },
          { actions: 'markApplied' },
        ],
        'xmpp.request': [
          { guard: 'requestFromJoined', target: 'calling', actions: 'keepRequest' },
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
                actions: 'keepMessage',
              },
              { actions: ['refuseNotJoined', 'markApplied'] },
            ],
            // those from a resource that has not joined are refused (§2.8), the others go on together
            'xmpp.messages': [
              { guard: 'anyFromJoinedResource', target: 'sending', actions: ['refuseNotJoined', 'keepMessages'] },
              { actions: ['refuseNotJoined', 'markApplied'] },
            ],
            // §2.8: every groupchat stanza needs a joined resource
            'xmpp.correction': [
              { guard: not('fromJoinedResource'), actions: ['refuseNotJoined', 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
            'xmpp.retraction': [
              { guard: not('fromJoinedResource'), actions: ['refuseNotJoined', 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
            'xmpp.reaction': [
              { guard: not('fromJoinedResource'), actions: ['refuseNotJoined', 'markApplied'] },
              { guard: 'breaksReactionRule', actions: [{ type: 'refuseReaction', params: { text: 'Maximum 1 emoji/message' } }, 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
            'xmpp.displayed': [
              { guard: not('fromJoinedResource'), actions: ['refuseNotJoined', 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
            'xmpp.chatState': [
              { guard: not('fromJoinedResource'), actions: ['refuseNotJoined', 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
            // XEP-0045 §7.5: only an occupant sends private messages, to an occupant
            'xmpp.privateMessage': [
              { guard: not('fromJoinedResource'), actions: [{ type: 'refusePrivateMessage', params: { error: NOT_JOINED } }, 'markApplied'] },
              { guard: not('isKnownNick'), actions: [{ type: 'refusePrivateMessage', params: { error: NO_SUCH_OCCUPANT } }, 'markApplied'] },
              { target: 'acting', actions: 'keepAction' },
            ],
          },
        },
        // Answers the oldest pending join: occupants, self, history, subject (§2.3).
        greeting: {
          tags: 'busy',
          entry: 'startHistory',
          on: {
            'runtime.history': {
              target: 'idle',
              actions: [
                { type: 'sendJoinSequence', params: ({ event }) => ({ history: event.output }) },
                assign(({ context }) => joinDone(context)),
              ],
            },
            'runtime.historyFailed': {
              target: 'idle',
              actions: [
                { type: 'warn', params: { msg: 'history unavailable for join' } },
                { type: 'sendJoinSequence', params: { history: [] } },
                assign(({ context }) => joinDone(context)),
              ],
            },
            'runtime.resume': { target: 'greeting', reenter: true },
          },
        },
        // The user's messages are with the legacy network; each echo waits for its answer (§3.13).
        sending: {
          tags: 'busy',
          entry: 'startSendText',
          on: {
            'runtime.sent': {
              target: 'idle',
              actions: [
                { type: 'answerUserMessages', params: ({ event }) => ({ results: event.results }) },
                { type: 'finishSending', params: ({ event }) => ({ results: event.results }) },
              ],
            },
            'runtime.sendFailed': {
              target: 'idle',
              actions: [
                { type: 'answerUserMessages', params: ({ context, event }) => ({ results: (context.sending ?? []).map(() => ({ error: event.error })) }) },
                assign({ sending: null }),
              ],
            },
            'runtime.resume': { target: 'sending', reenter: true },
          },
        },
        // A correction, retraction, reaction, marker, chat state or private message is with the
        // legacy network; its echo, if it has one, waits for the answer (spec §3.14–§3.21).
        acting: {
          tags: 'busy',
          invoke: {
            src: 'userAction',
            input: ({ context }) => ({
              room: refOf(context),
              action: context.action!,
              legacyId: knownLegacyId(context, actionTarget(context.action!)),
              ...('thread' in context.action! && context.action.thread ? { thread: legacyThreadOf(context, context.action.thread) } : {}),
            }),
            onDone: {
              target: 'idle',
              actions: [
                { type: 'echoUserAction', params: ({ event }) => event.output },
                {
                  type: 'finishAction',
                  // a corrected message the network gave a new id is still known by the original's
                  params: ({ context, event }) => ({
                    legacyId: event.output.legacyId,
                    xmppId: context.action!.type === 'xmpp.correction' ? context.action!.replaceId : undefined,
                  }),
                },
              ],
            },
            onError: {
              target: 'idle',
              actions: [
                { type: 'refuseUserAction', params: ({ event }) => ({ error: event.error as StanzaError }) },
                assign({ action: null }),
              ],
            },
          },
        },
      },
    },
    // A plugin hook decides the user's request (subject, kick, role, affiliation, nick, destroy, leave).
    calling: {
      tags: 'busy',
      invoke: {
        src: 'callHook',
        input: ({ context }) => ({
          room: refOf(context),
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

/** The id of the message a user action is about, as the client sent it. */
function actionTarget(action: UserActionEvent): string | null {
  switch (action.type) {
    case 'xmpp.correction': return action.replaceId;
    case 'xmpp.retraction': case 'xmpp.reaction': case 'xmpp.displayed': return action.targetId;
    default: return null;
  }
}

/**
 * The legacy id of a message the user refers to by an XMPP id, where the room knows it (spec
 * §3.12): one of their own, by the id their client sent it with; a stanza of a message the
 * network sent as several, by its stanza-id. Else the session's conversion decides.
 */
export function knownLegacyId(context: RoomContext, xmppId: string | null): string | null {
  if (xmppId === null) return null;
  return findRecent(context.ownIds, (o) => o.xmppId === xmppId)?.legacyId
    ?? findRecent(context.siblings, (s) => s.stanzaId === xmppId)?.legacyId ?? null;
}

/**
 * The XMPP id the user knows a message by: for the user's own messages, the id their client
 * sent it with (what XEP-0308 and XEP-0424 refer to, spec §3.12); else its stanza-id.
 */
export function knownXmppId(context: RoomContext, ref: MessageRef, own: boolean): string {
  const mine = own ? findRecent(context.ownIds, (o) => o.legacyId === ref.legacyId) : undefined;
  return mine?.xmppId ?? ref.xmppId ?? ref.legacyId;
}

/** The thread the network made for an XMPP thread (`createThread`, spec §3.23), if the room remembers one. */
export function threadMadeFor(threads: ThreadPair[] | undefined, xmppThread: string): ThreadPair | undefined {
  return findRecent(threads, (t) => t.xmpp === xmppThread);
}

/** The legacy thread of an XMPP thread (spec §3.23): the one the network made of it, else the XMPP id as it is. */
export function legacyThreadOf(context: RoomContext, xmppThread: string): string {
  return threadMadeFor(context.threads, xmppThread)?.legacy ?? xmppThread;
}

/**
 * The XMPP thread of a legacy thread (spec §3.23): the XMPP thread it was made for, else its
 * id as the session tells it (`MESSAGE_IDS_ARE_THREAD_IDS`), else the legacy id itself.
 */
export function xmppThreadOf(context: RoomContext, thread: ThreadRef): string {
  const made = findRecent(context.threads, (t) => t.legacy === thread.legacyId);
  return made ? made.xmpp : thread.xmppId ?? thread.legacyId;
}

/**
 * Whether a legacy participant is the user: the plugin's `getUserParticipant`, or the nick the
 * room imposes on the user (spec §2.2).
 */
export function isUser(context: RoomContext, init: { nick: string; isUser?: true }): boolean {
  return init.isUser === true || init.nick === userNick(context);
}

/** Whether a legacy participant is the room itself (`getSystemParticipant`, nick ''). */
export function isSystem(init: { nick: string; isSystem?: true }): boolean {
  return init.isSystem === true || init.nick === '';
}

/** The room itself as a speaker: the bare room JID, occupant-id `room` (spec §3.11). */
export const ROOM_SPEAKER: Participant = {
  nick: '', role: 'none', affiliation: 'none', hats: [], occupantId: 'room', presenceSent: true,
};

/** The resource a participant speaks from: null for the room itself (its bare JID). */
export function occupantNick(p: Participant): string | null {
  return p.nick === '' ? null : p.nick;
}

/** The participant a request is about (kick, role, affiliation), as plain data. */
function participantOf(context: RoomContext, call: HookCall): ParticipantInit | null {
  if (call.hook !== 'kick' && call.hook !== 'setAffiliation' && call.hook !== 'setRole') return null;
  const p = participantNamed(context.participants, call.nick);
  if (!p) return null;
  return { nick: p.nick, role: p.role, affiliation: p.affiliation, ...(p.contactId ? { contactId: p.contactId } : {}) };
}

/** Context after a successful fill: info, participants in fill order, the user's own item. */
function fromFill(out: FillOutput, userAvatar: string | undefined): Partial<RoomContext> {
  const participants: Participant[] = [];
  const seen = new Set<string>();
  for (const p of out.participants) {
    if (seen.has(p.nick)) continue; // duplicates are dropped (§2.3.5)
    seen.add(p.nick);
    const avatar = out.participantAvatars?.[p.nick];
    participants.push({ ...newParticipant(p, `fill-${participants.length}`), ...(avatar ? { avatar: { hash: avatar.hash, legacyId: avatar.legacyId } } : {}) });
  }
  return {
    info: out.info,
    participants,
    self: {
      role: out.user?.role ?? 'participant',
      affiliation: out.user?.affiliation ?? 'member',
      occupantId: 'user',
      // the user's own avatar came with the join, not from the network
      ...(userAvatar ? { avatar: userAvatar } : {}),
    },
  };
}

/** Removes the answered join; its resource is now joined (once, in join order) and has seen everyone. */
function joinDone(context: RoomContext): Partial<RoomContext> {
  const [join, ...rest] = context.pendingJoins;
  const resources = context.resources.includes(join!.from) ? context.resources : [...context.resources, join!.from];
  // the same list when everyone was announced already: a warm join changes only the resources
  const participants = context.participants.every((p) => p.presenceSent) ? context.participants
    : context.participants.map((p) => (p.presenceSent ? p : { ...p, presenceSent: true }));
  return { pendingJoins: rest, resources, participants };
}

/** True when the room already applied this event (by its delivery position, else by its id). */
export function alreadyApplied(context: RoomContext, event: { eventId: string; delivery?: Delivery }): boolean {
  const d = event.delivery;
  if (d) {
    const last = context.delivered?.[d.source];
    if (last === undefined) return false;
    const [seq, n, k = 0] = last;
    return d.seq < seq || (d.seq === seq && (d.n < n || (d.n === n && (d.k ?? 0) <= k)));
  }
  return hasRecent(context.applied, event.eventId);
}

/** The last position a room applied from a source: `[seq, n]`, or `[seq, n, k]` past an event's first. */
export type Watermark = [number, number] | [number, number, number];
const watermarkOf = (d: Delivery): Watermark => (d.k ? [d.seq, d.n, d.k] : [d.seq, d.n]);

/** A participant as a presence event leaves it: new role, affiliation, hats, show and status. */
export function presenceUpdate(context: RoomContext, e: Extract<LegacyRoomEvent, { type: 'legacy.presence' }>): Participant {
  const old = speakerOf(context, e.participant, e.eventId);
  const p: Participant = {
    ...old,
    role: e.participant.role ?? old.role,
    affiliation: e.participant.affiliation ?? old.affiliation,
    hats: e.participant.hats ?? old.hats,
  };
  if (e.show) p.show = e.show; else delete p.show;
  if (e.status) p.status = e.status; else delete p.status;
  return p;
}

/**
 * The known participant with this nick, or the one the event introduces (occupant-id from the
 * event). The user is the user, under the nick the room knows, whose presence every joined
 * resource has seen; the room itself is `ROOM_SPEAKER`.
 */
export function speakerOf(context: RoomContext, init: ParticipantInit, eventId: string): Participant {
  if (isSystem(init)) return ROOM_SPEAKER;
  if (isUser(context, init)) {
    const { role, affiliation, occupantId } = context.self;
    return { nick: userNick(context), role, affiliation, hats: [], occupantId, presenceSent: true };
  }
  return participantNamed(context.participants, init.nick) ?? newParticipant(init, eventId);
}

/** The watermark after an event: its delivery position, else its id among the last applied. */
function appliedNoted(context: RoomContext, event: RoomEvent): Partial<RoomContext> {
  if (event.type === 'xmpp.messages' || event.type === 'legacy.messages') {
    // one copy of each for the whole burst, not one per message
    let delivered: RoomContext['delivered'] | null = null;
    let applied = context.applied;
    for (const m of event.messages) {
      if (m.delivery) (delivered ??= { ...context.delivered })[m.delivery.source] = watermarkOf(m.delivery);
      else applied = addRecent(applied, m.eventId, APPLIED_EVENTS_KEPT);
    }
    return { ...(delivered ? { delivered } : {}), ...(applied !== context.applied ? { applied } : {}) };
  }
  if (!('eventId' in event)) return {};
  const d = (event as { delivery?: Delivery }).delivery;
  // positions from a resumable network make a watermark; other events keep their ids
  if (d) return { delivered: { ...context.delivered, [d.source]: watermarkOf(d) } };
  // in pages: a flat list of 256 ids copied per event was ≈ 13 % of an event's cost in a room
  // (bench/micro/room-actor.ts), for every network without positions and every XMPP event
  return { applied: addRecent(context.applied, event.eventId, APPLIED_EVENTS_KEPT) };
}

/**
 * A participant's message or chat state: the speaker, their chat state and the watermark, in
 * one assign (each assign copies the snapshot: W2's hot path had three).
 */
export function messageNoted(context: RoomContext, event: RoomEvent): Partial<RoomContext> {
  const noted = merge(speakerStateNoted(context, event), appliedNoted(context, event));
  return event.type === 'legacy.message' && event.siblingOf !== undefined ? merge(noted, siblingsNoted(context, [event])) : noted;
}

/** The events of a `legacy.message` or a burst of them. */
function messagesOf(event: RoomEvent): LegacyRoomEvent[] {
  return event.type === 'legacy.messages' ? event.messages : [event as LegacyRoomEvent];
}

/** The stanzas among these messages that are one of several (`siblingOf`), remembered ({} when none is). */
function siblingsNoted(context: RoomContext, events: LegacyRoomEvent[]): Partial<RoomContext> {
  let siblings = context.siblings;
  for (const e of events) {
    if (e.type === 'legacy.message' && e.siblingOf !== undefined) siblings = addRecent(siblings, { legacyId: e.siblingOf, stanzaId: e.eventId }, SIBLINGS_KEPT);
  }
  return siblings === context.siblings ? {} : { siblings };
}

/** The stanza-ids of the other stanzas of a legacy message sent as several (none for most). */
export function siblingIds(context: RoomContext, legacyId: string): string[] {
  if (!context.siblings) return [];
  return recentItems(context.siblings).filter((s) => s.legacyId === legacyId).map((s) => s.stanzaId);
}

/** After a participant's message or chat state: the speaker known, their chat state set ({} when neither changes). */
function speakerStateNoted(context: RoomContext, event: RoomEvent): Partial<RoomContext> {
  const speaker = speakerNoted(context, event);
  const state = chatStateNoted(speaker.participants ? { ...context, ...speaker } : context, event);
  return state.chatStates ? { ...speaker, ...state } : speaker;
}

/**
 * The room's participants after each of a burst of participants' messages, in turn: a new
 * speaker's presence goes once, before their first message. `each` sees each message with the
 * room as it was then. (The watermark is the burst's, see `appliedNoted`.)
 */
export function afterMessages(context: RoomContext, messages: LegacyRoomEvent[], each?: (c: RoomContext, e: LegacyRoomEvent) => void): RoomContext {
  let c = context;
  for (const e of messages) {
    each?.(c, e);
    const noted = speakerStateNoted(c, e);
    // the usual message, by a known speaker still 'active', changes nothing: no copy
    if (noted.participants || noted.chatStates) c = { ...c, ...noted };
  }
  return c;
}

/** One of the user's messages the network accepted, under the id the client sent it with (§3.12). */
function withOwnId(ownIds: RoomContext['ownIds'], legacyId: string | null, xmppId: string | undefined): RoomContext['ownIds'] {
  return legacyId && xmppId ? addRecent(ownIds, { legacyId, xmppId }, OWN_IDS_KEPT) : ownIds;
}

/** A speaker the room did not know, or whose presence the joined resources have not seen yet. */
function speakerNoted(context: RoomContext, event: RoomEvent): Partial<RoomContext> {
  const e = event as Extract<LegacyRoomEvent, { type: 'legacy.message' }>;
  // neither the user nor the room itself is an occupant to remember
  if (isUser(context, e.participant) || isSystem(e.participant)) return {};
  const known = participantNamed(context.participants, e.participant.nick);
  // the common case, a known and announced speaker, changes nothing: no copy of the list
  if (known && (known.presenceSent || !context.resources.length)) return {};
  const p = { ...(known ?? speakerOf(context, e.participant, e.eventId)) };
  p.presenceSent ||= context.resources.length > 0;
  return { participants: upsert(context.participants, p) };
}

/** A participant's message implies `active` (spec §1.4), a chat state says itself; the user's are not kept. */
function chatStateNoted(context: RoomContext, event: RoomEvent): Partial<RoomContext> {
  const e = event as Extract<LegacyRoomEvent, { type: 'legacy.message' | 'legacy.chatState' }>;
  if (e.type === 'legacy.message' && e.archiveOnly) return {};
  const state: ChatState = e.type === 'legacy.chatState' ? e.state : 'active';
  const { nick } = e.participant;
  // a participant who goes on writing is still 'active': nothing to copy per message
  if (chatStateOf(context, nick) === state || positionOf(context.participants, nick) < 0) return {};
  return { chatStates: withChatState(context.chatStates, nick, state) };
}

/** The last chat state sent for a participant: `active` when none is recorded. */
export function chatStateOf(context: RoomContext, nick: string): ChatState {
  return context.chatStates?.[nick] ?? 'active';
}

/** The recorded states with this nick's set (`active`: not recorded). */
function withChatState(states: RoomContext['chatStates'], nick: string, state: ChatState): NonNullable<RoomContext['chatStates']> {
  const next = { ...states };
  if (state === 'active') delete next[nick];
  else next[nick] = state;
  return next;
}

function upsert(list: Participant[], p: Participant): Participant[] {
  const i = positionOf(list, p.nick);
  return i < 0 ? withParticipantAdded(list, p) : withParticipantAt(list, i, p);
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
