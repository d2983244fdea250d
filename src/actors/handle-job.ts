/**
 * What a worker does with each mailbox job: a user's stanza (to the gateway or to a room), a
 * legacy event for a room, or session control. Errors a requester should see become stanza
 * errors; anything else is a log line, and the partition goes on.
 */
import type { Logger } from 'pino';
import type { AnyPlugin } from '../legacy/plugin.ts';
import { BaseSession, type GatewayUser } from '../legacy/session.ts';
import type { LegacyMUC } from '../legacy/muc.ts';
import type { MailboxJob, Mailboxes } from '../transport/mailbox.ts';
import { errorConditionOf, isExpected, toStanzaError, XmppError, type StanzaError } from '../transport/xmpp/errors.ts';
import { isJoin, readJoin } from '../transport/xmpp/muc-join.ts';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC_USER, NS_PING, NS_REGISTER } from '../transport/xmpp/ns.ts';
import { NS_MUC_ADMIN, isConfigFormRequest, readAdminList, readRoomRequest, writeConfigForm } from '../transport/xmpp/muc-admin.ts';
import { affiliationList, invitedRoom, shownAvatarOf } from '../machines/room.effects.ts';
import { participantNamed } from '../machines/participants.ts';
import { readGroupchat } from '../transport/xmpp/muc-message.ts';
import { readModeration } from '../transport/xmpp/message-moderate.ts';
import { readMamRequest, writeMamFin, writeMamForm, writeMamMetadata, writeMamResult, type MamRequest } from '../transport/xmpp/mam.ts';
import { readVcardRequest, writeVcard, type VcardRequest } from '../transport/xmpp/vcard.ts';
import { readBookmarkAnswer } from '../transport/xmpp/bookmarks.ts';
import { isUserAvatarAnswerId } from '../transport/xmpp/user-avatar.ts';
import { userAvatars } from './user-avatar.ts';
import { NS_COMMANDS, readCommand, writeCommandList } from '../transport/xmpp/commands.ts';
import { groupCommands, runGroupCommand } from './group-commands.ts';
import { readRegister, validateRegistration, writeRegisterForm } from '../transport/xmpp/register.ts';
import { gatewayCapsVer, writeGatewayInfo, writeOccupantInfo, writeRoomInfo, writeRoomItems } from '../transport/xmpp/disco.ts';
import { CAPS_NODE, readAvatarNotification, writeGatewayPresence } from '../transport/xmpp/gateway-presence.ts';
import { userNick } from '../machines/room.ts';
import { bareJid, detached, domainOf, errorReply, localOf, parseStanza, resourceOf, xml, type Element } from '../transport/xmpp/stanza.ts';
import { escapeLocalPart } from '../legacy/escape.ts';
import { merge } from '../merge.ts';
import type { PartitionRuntime } from './partition.ts';
import type { Sessions } from './sessions.ts';
import type { UserStore } from './users.ts';

export interface HandlerDeps {
  gatewayJid: string;
  plugin: AnyPlugin;
  users: UserStore;
  sessions: Sessions;
  log: Logger;
  /** The mailboxes of this process: a stanza its edge parsed is not parsed again. */
  mailboxes?: Pick<Mailboxes, 'parsedStanza'>;
}

const GONE_CONDITIONS = new Set([
  'gone', 'internal-server-error', 'item-not-found', 'jid-malformed', 'recipient-unavailable', 'redirect',
  'remote-server-not-found', 'remote-server-timeout', 'service-unavailable',
]);

export function createJobHandler(deps: HandlerDeps) {
  const { gatewayJid, log } = deps;
  const userAvatar = userAvatars(deps);
  const capsVer = gatewayCapsVer(deps.plugin.displayName);

  return async function handleJob(job: MailboxJob, ctx: PartitionRuntime): Promise<void> {
    if (job.kind === 'xmpp') return handleStanza(job.xml, job.at, job.eventId, ctx);
    if (job.kind === 'legacy') return handleLegacy(job, ctx);
    // a session changes under no room's hook: hooks started by earlier jobs finish first
    await ctx.settled();
    deps.users.forget(job.user); // `roomgate users` changed the registration from outside
    const user = await deps.users.get(job.user);
    if (job.action === 'login' && user) {
      // registered by the operator: the gateway asks to be the user's contact, as at an XEP-0077 registration
      ctx.send(writeGatewayPresence({ gateway: gatewayJid, to: user.jid, type: 'subscribe' }));
      await deps.sessions.get(user).catch(() => undefined);
    }
    if (job.action === 'logout') {
      await deps.sessions.logout(job.user);
      if (!user) leaveRoster(job.user, ctx);
    }
    // spec §2.1: the session changed state; the gateway's presence says so
    if (job.action === 'status' && user) ctx.send(gatewayStatusPresence(user.jid));
  };

  async function handleLegacy(job: Extract<MailboxJob, { kind: 'legacy' }>, ctx: PartitionRuntime): Promise<void> {
    const user = await deps.users.get(job.user);
    if (!user) {
      log.warn({ user: job.user, room: job.legacyId, event: job.event.type }, 'legacy event for an unregistered user, dropped');
      return;
    }
    // a session that is still logging in (a partition just moved here) is waited for; one that
    // is reconnecting still gets what its plugin reports (participants leaving, coming back)
    const session = await deps.sessions.get(user, { reconnecting: true });
    const room = await ctx.rooms.get(session, job.legacyId, true);
    await ctx.deliver(room!, job.event);
  }

  async function handleStanza(text: string, at: string, eventId: string, ctx: PartitionRuntime): Promise<void> {
    let stanza: Element;
    try {
      stanza = deps.mailboxes?.parsedStanza(eventId) ?? parseStanza(text);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'unparsable stanza from the edge, dropped');
      return;
    }
    const from = String(stanza.attrs.from ?? '');
    const to = String(stanza.attrs.to ?? '');
    // §2.1.4: stanzas from the gateway's own domain are ignored; errors are never answered
    if (!from || domainOf(from) === gatewayJid) return;
    try {
      if (bareJid(to) === gatewayJid) {
        await ctx.settled(); // registration changes wait for the rooms' hooks in progress
        await toGateway(stanza, { eventId, at }, ctx);
      }
      else await toRoom(stanza, { eventId, at }, ctx, text);
    } catch (err) {
      if (!isExpected(err)) log.error({ err, stanza: stanza.name, id: stanza.attrs.id, from: bareJid(from) }, 'stanza handler failed');
      replyError(stanza, toStanzaError(err), ctx);
    }
  }

  /** §2.9: errors that mean the resource is gone from the room. */
  function isGoneError(stanza: Element): boolean {
    const condition = errorConditionOf(stanza);
    return condition !== undefined && GONE_CONDITIONS.has(condition);
  }

  function replyError(stanza: Element, error: StanzaError, ctx: PartitionRuntime): void {
    if (stanza.attrs.type === 'error' || stanza.attrs.type === 'result') return;
    if (stanza.name === 'presence' && stanza.attrs.type === 'unavailable') return;
    ctx.send(errorReply(stanza, error));
  }

  function result(iq: Element, ...children: Element[]): Element {
    return xml('iq', { from: iq.attrs.to, to: iq.attrs.from, id: iq.attrs.id, type: 'result' }, ...children);
  }

  async function registered(jid: string): Promise<GatewayUser> {
    const user = await deps.users.get(jid);
    if (!user) throw new XmppError('registration-required');
    return user;
  }

  /**
   * Stanzas to the gateway itself: registration (XEP-0077), disco (XEP-0030), ping (XEP-0199),
   * commands (XEP-0050), the user's presence to it as a contact, and their PEP notifications.
   */
  async function toGateway(stanza: Element, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    const user = bareJid(String(stanza.attrs.from));
    // §2.16: MUC operations addressed to the gateway itself rather than to a room
    if (isJoin(stanza) || (stanza.name === 'message' && stanza.attrs.type === 'groupchat')) {
      throw new XmppError('bad-request', 'This is only handled for MUCs');
    }
    if (stanza.name === 'message' && stanza.attrs.type === 'error') return invitationBounced(stanza, meta, ctx);
    if (stanza.name === 'presence') return gatewayPresence(stanza, user, ctx);
    if (stanza.name === 'message') {
      // the user's avatar changed (a PEP notification: from their bare JID, which only their server sends from)
      const hash = resourceOf(String(stanza.attrs.from)) ? undefined : readAvatarNotification(stanza);
      if (hash !== undefined) return userAvatar.notified(user, hash, meta, ctx);
      return;
    }
    if (stanza.name !== 'iq') return;
    const type = stanza.attrs.type;
    if ((type === 'result' || type === 'error') && isUserAvatarAnswerId(String(stanza.attrs.id ?? ''))) return userAvatar.answered(stanza, meta, ctx);
    if (type === 'result' || type === 'error') return bookmarkAnswered(stanza, meta, ctx);
    if (stanza.getChild('query', NS_REGISTER)) return register(stanza, user, ctx);
    if (type === 'get' && stanza.getChild('query', NS_DISCO_INFO)) {
      const node = stanza.getChild('query', NS_DISCO_INFO)!.attrs.node as string | undefined;
      // XEP-0115 §6.2: the caps node of the gateway's presences is asked about, by the user's server too
      if (node && node !== `${CAPS_NODE}#${capsVer}`) throw new XmppError('item-not-found');
      return ctx.send(result(stanza, writeGatewayInfo(deps.plugin.displayName, node)));
    }
    if (type === 'get' && stanza.getChild('query', NS_DISCO_ITEMS)?.attrs.node === NS_COMMANDS) {
      // XEP-0050 §2.2: the commands a registered user may run (none for others)
      const current = await deps.users.get(user);
      const commands = current ? groupCommands(await deps.sessions.get(current)) : [];
      return ctx.send(result(stanza, writeCommandList(gatewayJid, commands)));
    }
    const command = readCommand(stanza);
    if (command) {
      const session = await deps.sessions.get(await registered(user));
      return ctx.send(result(stanza, await runGroupCommand(command, session, ctx)));
    }
    if (type === 'get' && stanza.getChild('query', NS_DISCO_ITEMS)) {
      const current = await deps.users.get(user);
      const session = current ? deps.sessions.peek(user) : undefined;
      const rooms = (session?.bookmarks.knownLegacyIds() ?? []).map((id) => ({ jid: `${escapeLocalPart(id)}@${gatewayJid}` }));
      return ctx.send(result(stanza, writeRoomItems(rooms)));
    }
    if (type === 'get' && stanza.getChild('ping', NS_PING)) return ctx.send(result(stanza));
    // spec §3.2: the archives are the rooms'
    const mam = readMamRequest(stanza);
    if (mam?.kind === 'query') throw new XmppError('bad-request', 'This is only handled for MUCs');
    if (mam) throw new XmppError('undefined-condition', 'No MAM on the component itself, use a JID with a resource');
    throw new XmppError('service-unavailable');
  }

  /**
   * The gateway as the user's contact (gateway-presence.ts): a subscription is granted, and a
   * probe, a granted subscription or a presence of the user's is answered with the gateway's
   * presence, whose caps ask for their avatar notifications. Unregistered users get nothing.
   */
  async function gatewayPresence(stanza: Element, user: string, ctx: PartitionRuntime): Promise<void> {
    const type = stanza.attrs.type as string | undefined;
    if (type !== undefined && type !== 'subscribe' && type !== 'subscribed' && type !== 'probe') return;
    if (!(await deps.users.get(user))) return;
    if (type === 'subscribe') ctx.send(writeGatewayPresence({ gateway: gatewayJid, to: user, type: 'subscribed' }));
    ctx.send(gatewayStatusPresence(user));
    // and asks for theirs in turn (their server answers by itself where it is granted already)
    if (type === 'subscribe') ctx.send(writeGatewayPresence({ gateway: gatewayJid, to: user, type: 'subscribe' }));
  }

  /** The gateway's presence to the user, as their session stands (unavailable while logged out). */
  function gatewayStatusPresence(user: string): string {
    const { available, ...status } = deps.sessions.gatewayStatus(user);
    return writeGatewayPresence({ gateway: gatewayJid, to: user, ...(available ? { ver: capsVer, ...status } : { type: 'unavailable' as const }) });
  }

  /** XEP-0100 §4.3: an unregistered user's roster loses the gateway. */
  function leaveRoster(user: string, ctx: PartitionRuntime): void {
    for (const type of ['unsubscribe', 'unsubscribed', 'unavailable'] as const) ctx.send(writeGatewayPresence({ gateway: gatewayJid, to: user, type }));
  }

  /**
   * The user's server refused an invitation from the gateway (spec §3.8: e.g. the user was
   * offline and the server keeps no offline messages): its room invites again at the next bookmark.
   */
  async function invitationBounced(stanza: Element, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    const local = invitedRoom(String(stanza.attrs.id ?? ''));
    const user = local === null ? undefined : await deps.users.get(bareJid(String(stanza.attrs.from)));
    if (local === null || !user) return;
    const session = await deps.sessions.get(user);
    const room = await knownRoom(ctx, session, await session.bookmarks.jidUsernameToLegacyId(local));
    if (room) await ctx.deliver(room, merge(meta, { type: 'xmpp.invitationBounced' as const, from: String(stanza.attrs.from) }));
  }

  /** The user's server answered a privileged IQ for a room's bookmark (spec §3.9): the room takes the next step. */
  async function bookmarkAnswered(iq: Element, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    // the user's server answers from the bare JID; a client's resource cannot forge that
    const from = String(iq.attrs.from);
    const answer = resourceOf(from) ? null : readBookmarkAnswer(iq);
    const user = answer ? await deps.users.get(from) : undefined;
    if (!answer || !user) return;
    const session = await deps.sessions.get(user);
    const room = await knownRoom(ctx, session, await session.bookmarks.jidUsernameToLegacyId(answer.local));
    const { step, outcome } = answer;
    if (room) await ctx.deliver(room, merge(meta, { type: 'xmpp.bookmarkAnswer' as const, from, step, outcome }));
  }

  async function register(iq: Element, user: string, ctx: PartitionRuntime): Promise<void> {
    const request = readRegister(iq);
    const { registration } = deps.plugin;
    const current = await deps.users.get(user);
    if (request.kind === 'form') {
      return ctx.send(result(iq, writeRegisterForm({
        title: `Register with ${deps.plugin.displayName}`, instructions: registration.instructions,
        fields: registration.fields, current: current?.registration ?? null,
      })));
    }
    if (request.kind === 'remove') {
      if (!current) throw new XmppError('registration-required');
      await deps.sessions.logout(user);
      ctx.rooms.dropUser(user);
      await deps.users.remove(user);
      log.info({ user }, 'user unregistered');
      ctx.send(result(iq));
      return leaveRoster(user, ctx);
    }
    const fields = validateRegistration(registration.fields, request.fields);
    await deps.sessions.logout(user);
    await deps.users.put({ jid: user, registration: fields });
    log.info({ user }, current ? 'registration updated' : 'user registered');
    ctx.send(result(iq));
    // XEP-0100 §4.1.1: the gateway asks to be the user's contact (its presence then carries its caps)
    if (!current) ctx.send(writeGatewayPresence({ gateway: gatewayJid, to: user, type: 'subscribe' }));
    await deps.sessions.get({ jid: user, registration: fields }).catch(() => undefined);
  }

  /** Stanzas to a room or an occupant (spec §2). */
  async function toRoom(stanza: Element, meta: { eventId: string; at: string }, ctx: PartitionRuntime, text: string): Promise<void> {
    // what rooms keep (resources, own message ids, nicks) must not pin the socket's text
    const from = detached(String(stanza.attrs.from));
    const to = String(stanza.attrs.to);
    const type = stanza.attrs.type;
    const user = await registered(bareJid(from));
    const session = await deps.sessions.get(user);
    const legacyId = await session.bookmarks.jidUsernameToLegacyId(localOf(to));
    const stanzaId = stanza.attrs.id ? detached(String(stanza.attrs.id)) : undefined;
    const id = stanzaId !== undefined ? { id: stanzaId } : {};

    if (stanza.name === 'presence') {
      if (isJoin(stanza)) {
        const { nick: parsedNick, history } = readJoin(stanza);
        const nick = detached(parsedNick);
        return ctx.deliver(await roomOf(ctx, session, legacyId), merge(meta, {
          type: 'xmpp.join' as const, from, nick, history,
          ...(stanzaId !== undefined ? { presenceId: stanzaId } : {}),
          ...userAvatar.forJoin(user.jid, ctx),
        }));
      }
      const known = await knownRoom(ctx, session, legacyId);
      if (!known) return; // §2.6, §2.7: nothing to leave or change in a room never joined
      if (type === 'unavailable') return ctx.deliver(known, merge(meta, { type: 'xmpp.leave' as const, from }));
      if (!type) return ctx.deliver(known, merge(meta, { type: 'xmpp.presence' as const, from, nick: detached(resourceOf(to)), ...id }));
      return;
    }

    if (stanza.name === 'message') {
      if (type === 'error') {
        const known = await knownRoom(ctx, session, legacyId);
        if (known && isGoneError(stanza)) await ctx.deliver(known, merge(meta, { type: 'xmpp.bounce' as const, from }));
        return;
      }
      const body = stanza.getChildText('body');
      const subject = stanza.getChild('subject');
      if (type === 'groupchat' && body === null && subject) {
        if (!(session.plugin.muc as unknown as { HAS_SUBJECT: boolean }).HAS_SUBJECT) {
          throw new XmppError('bad-request', 'This network has no subject for its groups');
        }
        return ctx.deliver(await roomOf(ctx, session, legacyId), {
          ...meta, type: 'xmpp.request', from, ...id, reply: 'message', call: { hook: 'setSubject', subject: subject.getText() },
        });
      }
      if (type === 'groupchat' && !stanza.getChild('x', NS_MUC_USER)) {
        const read = readGroupchat(stanza, text);
        if (read) return ctx.deliver(await roomOf(ctx, session, legacyId), merge(meta, { from, ...id }, read));
        return;
      }
      if (type === 'chat' && resourceOf(to) && hasPrivateMessages(session)) {
        if (body === null) return; // chat states and markers of a private chat are not forwarded
        const known = await knownRoom(ctx, session, legacyId);
        if (!known) throw new XmppError('not-acceptable', 'You are not connected to this chat');
        return ctx.deliver(known, { ...meta, type: 'xmpp.privateMessage', from, ...id, nick: resourceOf(to), body });
      }
      if (type === 'chat') throw new XmppError('feature-not-implemented', 'Private messages are not supported in this room');
      return;
    }

    if (stanza.name !== 'iq' || (type !== 'get' && type !== 'set')) return;
    if (type === 'get' && stanza.getChild('ping', NS_PING)) return selfPing(stanza, session, legacyId, ctx);
    // spec §3.1: rooms and occupants list no items (occupants are not listed)
    if (type === 'get' && stanza.getChild('query', NS_DISCO_ITEMS)) return ctx.send(result(stanza, writeRoomItems([])));
    if (type === 'get' && stanza.getChild('query', NS_DISCO_INFO) && resourceOf(to)) {
      // spec §3.1: an occupant, from a room filled for it; its identity and what a client may use with it
      const context = await filledRoom(stanza, session, legacyId, meta, ctx);
      const nick = resourceOf(to);
      const p = participantNamed(context.participants, nick);
      if (!p && nick !== userNick(context)) throw new XmppError('item-not-found', 'No such occupant');
      return ctx.send(result(stanza, writeOccupantInfo(nick, { vcard: shownAvatarOf(context, p) !== undefined })));
    }
    if (type === 'get' && stanza.getChild('query', NS_DISCO_INFO)) {
      const known = await knownRoom(ctx, session, legacyId);
      const info = known?.actor.getSnapshot().context.info ?? null;
      const muc = session.plugin.muc as typeof LegacyMUC;
      return ctx.send(result(stanza, writeRoomInfo(bareJid(to), info, legacyId, {
        allowPm: hasPrivateMessages(session), reactionsSingleEmoji: muc.REACTIONS_SINGLE_EMOJI,
      })));
    }
    const mam = readMamRequest(stanza);
    if (mam) return answerMam(stanza, mam, session, legacyId, meta, ctx);
    const vcard = readVcardRequest(stanza);
    if (vcard) return answerVcard(stanza, vcard, session, legacyId, meta, ctx);
    const listed = readAdminList(stanza);
    if (listed) {
      const context = await filledRoom(stanza, session, legacyId, meta, ctx);
      return ctx.send(result(stanza, xml('query', { xmlns: NS_MUC_ADMIN },
        ...affiliationList(context, listed).map(({ nick, affiliation, role, jid }) => xml('item', { nick, affiliation, role, jid })))));
    }
    if (isConfigFormRequest(stanza)) {
      const { info } = await filledRoom(stanza, session, legacyId, meta, ctx);
      return ctx.send(result(stanza, writeConfigForm(info!, (session.plugin.muc as typeof LegacyMUC).HAS_DESCRIPTION)));
    }
    const call = readRoomRequest(stanza) ?? readModeration(stanza);
    if (!call) throw new XmppError('service-unavailable');
    return ctx.deliver(await resolvedRoom(stanza, session, legacyId, meta, ctx), { ...meta, type: 'xmpp.request', from, ...id, reply: 'iq', call });
  }

  // Functions, not closures made per stanza: tsx keeps function names, and each closure made
  // cost a defineProperty (2 % of W3's profile).
  /** The room if it exists (in memory or as a snapshot): stanzas that only make sense for a known room. */
  function knownRoom(ctx: PartitionRuntime, session: BaseSession, legacyId: string) {
    return ctx.rooms.get(session, legacyId, false);
  }

  /** The room, created if it does not exist. */
  async function roomOf(ctx: PartitionRuntime, session: BaseSession, legacyId: string) {
    return (await ctx.rooms.get(session, legacyId, true))!;
  }

  /**
   * DECISIONS: MUC private messages where the plugin supports them, i.e. its rooms set
   * `PRIVATE_MESSAGES` or its session implements `onPrivateText`.
   */
  function hasPrivateMessages(session: BaseSession): boolean {
    return (session.plugin.muc as unknown as { PRIVATE_MESSAGES?: boolean }).PRIVATE_MESSAGES === true
      || session.onPrivateText !== BaseSession.prototype.onPrivateText;
  }

  /**
   * A MAM request to a room (spec §3.2): the form, or the archive's metadata or a page of it,
   * read once a room that exists has backfilled. No joined resource is needed: a client
   * catches up before or after it joins.
   */
  async function answerMam(
    iq: Element, request: MamRequest, session: BaseSession, legacyId: string, meta: { eventId: string; at: string }, ctx: PartitionRuntime,
  ): Promise<void> {
    if (request.kind === 'form') return ctx.send(result(iq, writeMamForm()));
    const from = String(iq.attrs.from);
    const known = await knownRoom(ctx, session, legacyId);
    if (known) {
      await ctx.deliver(known, merge(meta, { type: 'xmpp.archiveQuery' as const, from }));
      await knownRoom(ctx, session, legacyId); // at rest again: the backfill it started is archived
    }
    if (request.kind === 'metadata') return ctx.send(result(iq, writeMamMetadata(await ctx.rooms.archiveEnds(session.user.jid, legacyId))));
    const page = await ctx.rooms.archivePage(session.user.jid, legacyId, request.query);
    const room = bareJid(String(iq.attrs.to));
    for (const m of page.messages) ctx.send(writeMamResult(room, from, request.queryId, m));
    ctx.send(result(iq, writeMamFin(page, (session.plugin.muc as typeof LegacyMUC).STABLE_ARCHIVE)));
  }

  /**
   * vcard-temp on a room (spec §3.6): its avatar, read from a room filled for it (a room never
   * joined fills, so bookmarks show avatars); a set goes to the plugin's `onAvatar`. On an
   * occupant (§3.7): its avatar where the room shows real identities; nobody sets it from here.
   */
  async function answerVcard(
    iq: Element, request: VcardRequest, session: BaseSession, legacyId: string, meta: { eventId: string; at: string }, ctx: PartitionRuntime,
  ): Promise<void> {
    const to = String(iq.attrs.to);
    if (resourceOf(to)) {
      if (request.kind === 'set') throw new XmppError('bad-request', 'You cannot set participants avatars');
      const known = await knownRoom(ctx, session, legacyId);
      const context = known?.actor.getSnapshot().context;
      // spec §3.7: the user's own occupant: their avatar, read from their PEP
      if (context && resourceOf(to) === userNick(context)) return userAvatar.askForVcard(iq, ctx);
      const p = context && participantNamed(context.participants, resourceOf(to));
      const hash = context && shownAvatarOf(context, p);
      const avatar = hash ? await ctx.rooms.avatarOf(session.user.jid, hash) : null;
      if (!avatar) throw new XmppError('item-not-found', p ? 'This participant has no avatar' : 'No such occupant');
      return ctx.send(result(iq, writeVcard(avatar)));
    }
    if (request.kind === 'set') {
      const call = { hook: 'setAvatar' as const, data: request.photo?.data ?? null, mime: request.photo?.mime ?? null };
      const id = iq.attrs.id ? { id: detached(String(iq.attrs.id)) } : {};
      return ctx.deliver(await resolvedRoom(iq, session, legacyId, meta, ctx), { ...meta, type: 'xmpp.request', from: detached(String(iq.attrs.from)), ...id, reply: 'iq', call });
    }
    const { info } = await filledRoom(iq, session, legacyId, meta, ctx);
    ctx.send(result(iq, writeVcard(info?.avatar ? await ctx.rooms.avatarOf(session.user.jid, info.avatar.hash) : null)));
  }

  /**
   * The room's context once it is filled, for what needs its participants or information (an
   * admin list, the configuration form, spec §3.3, §3.4): a room never joined fills for it,
   * without presences; the plugin's refusal of the fill is the answer's error.
   */
  async function filledRoom(iq: Element, session: BaseSession, legacyId: string, meta: { eventId: string; at: string }, ctx: PartitionRuntime) {
    return (await resolvedRoom(iq, session, legacyId, meta, ctx)).actor.getSnapshot().context;
  }

  /**
   * The room, filled first where it never was: a hook an iq asks for (an admin or owner set, an
   * avatar) is called on a room with its information (spec §2.2 step 4), joined or not.
   */
  async function resolvedRoom(iq: Element, session: BaseSession, legacyId: string, meta: { eventId: string; at: string }, ctx: PartitionRuntime) {
    const room = await roomOf(ctx, session, legacyId);
    if (room.actor.getSnapshot().context.info) return room;
    await ctx.deliver(room, merge(meta, { type: 'xmpp.fill' as const, from: String(iq.attrs.from) }));
    await knownRoom(ctx, session, legacyId); // at rest again: filled, or failed
    const { context } = room.actor.getSnapshot();
    if (!context.info) {
      const error = context.error ?? { condition: 'item-not-found' as const, text: undefined };
      throw new XmppError(error.condition, error.text);
    }
    return room;
  }

  /** XEP-0410 self-ping (spec §2.10): joined resources get a result, others not-acceptable. */
  async function selfPing(iq: Element, session: BaseSession, legacyId: string, ctx: PartitionRuntime): Promise<void> {
    const room = await ctx.rooms.get(session, legacyId, false);
    const joined = room?.actor.getSnapshot().context.resources.includes(String(iq.attrs.from));
    if (!joined) throw new XmppError('not-acceptable', undefined, { by: bareJid(String(iq.attrs.to)) });
    ctx.send(result(iq));
  }
}
