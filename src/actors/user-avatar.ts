/**
 * The user's own avatar in rooms (spec §3.7): read from the user's PEP once per login, at the
 * first join (the joins of that job show none yet; the answer brings the hash to every joined
 * room, which sends the self-presence again); a vCard get on the user's own occupant reads the
 * image itself, metadata then data, and is answered when the data comes. The IQs and their
 * answers are in transport/xmpp/user-avatar.ts. A later change comes as a PEP notification where
 * the user made the gateway their contact (transport/xmpp/gateway-presence.ts): `notified`.
 */
import type { Logger } from 'pino';
import { merge } from '../merge.ts';
import type { BaseSession, GatewayUser } from '../legacy/session.ts';
import { toStanzaError, XmppError } from '../transport/xmpp/errors.ts';
import { bareJid, errorReply, resourceOf, xml, type Element } from '../transport/xmpp/stanza.ts';
import { readUserAvatarAnswer, writeUserAvatarRequest, type VcardAsker } from '../transport/xmpp/user-avatar.ts';
import { writeVcard } from '../transport/xmpp/vcard.ts';
import type { PartitionRuntime } from './partition.ts';
import type { Sessions } from './sessions.ts';
import type { UserStore } from './users.ts';

export interface UserAvatarDeps {
  gatewayJid: string;
  sessions: Sessions;
  users: UserStore;
  log: Logger;
}

export function userAvatars(deps: UserAvatarDeps) {
  const { gatewayJid, sessions } = deps;

  /**
   * What a join carries of the user's avatar: its hash where this login read it (null: none),
   * nothing while unknown. The first join of a login asks the user's server for it.
   */
  function forJoin(user: string, ctx: PartitionRuntime): { userAvatar?: string | null } {
    const known = sessions.userAvatar(user);
    if (known === undefined) {
      ctx.send(writeUserAvatarRequest(gatewayJid, user, { step: 'metadata' }));
      sessions.noteUserAvatar(user, 'asked');
    }
    return known && known !== 'asked' ? { userAvatar: known.hash } : {};
  }

  /** A vCard get on the user's own occupant: the image is read from their PEP, and the answer comes with it. */
  function askForVcard(iq: Element, ctx: PartitionRuntime): void {
    const asker: VcardAsker = { to: String(iq.attrs.from), from: String(iq.attrs.to), id: String(iq.attrs.id ?? '') };
    ctx.send(writeUserAvatarRequest(gatewayJid, bareJid(asker.to), { step: 'metadata', asker }));
  }

  /** The user's server answered one of those IQs: the next step, the rooms told, or the vCard answered. */
  async function answered(iq: Element, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    // the user's server answers from the bare JID; a client's resource cannot forge that
    const from = String(iq.attrs.from);
    const answer = resourceOf(from) ? null : readUserAvatarAnswer(iq);
    const user = answer ? await deps.users.get(from) : undefined;
    if (!answer || !user) return;
    // a vCard answered only to the user who asked for it
    if (answer.asker && bareJid(answer.asker.to) !== user.jid) return;
    if (answer.step === 'metadata') {
      if (answer.avatar === 'refused') refused(user.jid);
      const avatar = answer.avatar === 'refused' ? null : answer.avatar;
      await known(user, avatar?.hash ?? null, meta, ctx);
      if (!answer.asker) return;
      if (!avatar) return ctx.send(reply(answer.asker, new XmppError('item-not-found', 'The user does not have any avatar set')));
      return ctx.send(writeUserAvatarRequest(gatewayJid, user.jid, { step: 'data', hash: avatar.hash, mime: avatar.mime, asker: answer.asker }));
    }
    ctx.send(answer.data
      ? reply(answer.asker, writeVcard({ mime: answer.mime, data: answer.data }))
      : reply(answer.asker, new XmppError('item-not-found', 'The user does not have any avatar set')));
  }

  /** The user's server told of a new avatar (a PEP notification: the gateway is their contact, see gateway-presence.ts). */
  async function notified(jid: string, hash: string | null, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    const user = await deps.users.get(jid);
    if (user) await known(user, hash, meta, ctx);
  }

  /** The hash this login now knows: a change goes to every room of the user with joined resources. */
  async function known(user: GatewayUser, hash: string | null, meta: { eventId: string; at: string }, ctx: PartitionRuntime): Promise<void> {
    const before = sessions.userAvatar(user.jid);
    sessions.noteUserAvatar(user.jid, { hash });
    // the first answer: the joins since showed none, so only an avatar is news
    const changed = before === 'asked' || before === undefined ? hash !== null : before.hash !== hash;
    if (!changed) return;
    const session: BaseSession = await sessions.get(user);
    for (const legacyId of await ctx.joinedRoomsOf(user.jid)) {
      const room = await ctx.rooms.get(session, legacyId, false);
      if (room) await ctx.deliver(room, merge(meta, { type: 'xmpp.userAvatar' as const, hash }));
    }
  }

  /** A server without the privilege refuses every login's read: said once per process, then at debug level. */
  let saidRefused = false;
  function refused(user: string): void {
    const line = 'the user\'s server would not let the gateway read their avatar (XEP-0356 IQ privilege for pubsub): none shown';
    if (saidRefused) return deps.log.debug({ user }, line);
    saidRefused = true;
    deps.log.info({ user }, `${line}; said once, other users at debug level`);
  }

  return { forJoin, askForVcard, answered, notified };
}

/** The answer to the asker's vCard iq: the vCard, or the error. */
function reply(asker: VcardAsker, answer: Element | XmppError): Element {
  // the asker's iq as it came: its error reply goes back to its sender
  const asked = xml('iq', { from: asker.to, to: asker.from, id: asker.id, type: 'get' });
  if (answer instanceof XmppError) return errorReply(asked, toStanzaError(answer));
  return xml('iq', { from: asker.from, to: asker.to, id: asker.id, type: 'result' }, answer);
}
