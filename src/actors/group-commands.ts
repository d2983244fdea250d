/**
 * The "Groups" ad-hoc commands of spec §1.7, for a registered user's session: `groups` lists
 * the user's groups, `leave-group` leaves one for good (`onLeaveGroup`), `create-group` makes
 * one (`onCreateGroup`). A command a plugin has no hook for is not offered.
 */
import { randomUUID } from 'node:crypto';
import { BaseSession } from '../legacy/session.ts';
import type { LegacyMUC } from '../legacy/muc.ts';
import { XmppError } from '../transport/xmpp/errors.ts';
import {
  writeCommandCanceled, writeCommandDone, writeCommandForm, type CommandInfo, type CommandRequest,
} from '../transport/xmpp/commands.ts';
import type { Element } from '../transport/xmpp/stanza.ts';
import type { PartitionRuntime } from './partition.ts';

const GROUPS: CommandInfo = { node: 'groups', name: 'List groups' };
const LEAVE: CommandInfo = { node: 'leave-group', name: 'Leave a group' };
const CREATE: CommandInfo = { node: 'create-group', name: 'Create a group' };

/** The commands this session's plugin supports. */
export function groupCommands(session: BaseSession): CommandInfo[] {
  return [
    GROUPS,
    ...(session.onLeaveGroup !== BaseSession.prototype.onLeaveGroup ? [LEAVE] : []),
    ...(session.onCreateGroup !== BaseSession.prototype.onCreateGroup ? [CREATE] : []),
  ];
}

/** One step of a command; returns the `<command/>` to answer with. */
export async function runGroupCommand(request: CommandRequest, session: BaseSession, ctx: PartitionRuntime): Promise<Element> {
  const offered = groupCommands(session).find((c) => c.node === request.node);
  if (!offered) throw new XmppError('item-not-found', `No command ${request.node}`);
  const sessionId = request.sessionId ?? randomUUID();
  if (request.action === 'cancel') return writeCommandCanceled(request.node, sessionId);
  switch (request.node) {
    case GROUPS.node: {
      const rows = (await groupsOf(session, ctx)).map((g) => ({ name: g.name, jid: g.jid }));
      return writeCommandDone(GROUPS.node, sessionId, {
        ...(rows.length ? {} : { note: 'You are in no group.' }),
        table: { title: 'Your groups', columns: [{ var: 'name', label: 'Name' }, { var: 'jid', label: 'JID', type: 'jid-single' }], rows },
      });
    }
    case LEAVE.node: {
      if (!request.fields) {
        const groups = await groupsOf(session, ctx);
        if (!groups.length) return writeCommandDone(LEAVE.node, sessionId, { note: 'You are in no group.' });
        return writeCommandForm(LEAVE.node, sessionId, {
          title: 'Leave a group',
          instructions: 'You leave the group on the network too, for good.',
          fields: [
            { var: 'room', type: 'list-single', label: 'Group', required: true, options: groups.map((g) => ({ label: g.name, value: g.jid })) },
            { var: 'confirm', type: 'boolean', label: 'Yes, leave it', required: true },
          ],
        });
      }
      const jid = request.fields['room'] ?? '';
      if (!['1', 'true'].includes(request.fields['confirm'] ?? '')) return writeCommandDone(LEAVE.node, sessionId, { note: 'Nothing was done.' });
      const group = (await groupsOf(session, ctx)).find((g) => g.jid === jid);
      if (!group) throw new XmppError('item-not-found', `You are not in ${jid || 'that group'}`);
      await ctx.settled(); // the session changes under no room's hook
      await session.onLeaveGroup(group.legacyId);
      await session.bookmarks.remove(await session.bookmarks.byLegacyId(group.legacyId), 'You left this group from the gateway.');
      return writeCommandDone(LEAVE.node, sessionId, { note: `You left ${group.name}.` });
    }
    case CREATE.node: {
      if (!request.fields) {
        return writeCommandForm(CREATE.node, sessionId, {
          title: 'Create a group', fields: [{ var: 'name', type: 'text-single', label: 'Name of the group', required: true }],
        });
      }
      const name = (request.fields['name'] ?? '').trim();
      if (!name) throw new XmppError('not-acceptable', 'A group needs a name');
      const legacyId = await session.onCreateGroup(name, []);
      const muc = await session.bookmarks.byLegacyId(legacyId);
      return writeCommandDone(CREATE.node, sessionId, {
        note: `${name} is created.`,
        table: { title: 'The new group', columns: [{ var: 'name', label: 'Name' }, { var: 'jid', label: 'Join' }], rows: [{ name, jid: `xmpp:${muc.jid}?join` }] },
      });
    }
  }
  throw new XmppError('item-not-found', `No command ${request.node}`);
}

/**
 * The user's groups (spec §1.7: after `bookmarks.fill()`), by name case-insensitively: the name
 * the room knows, else the one `updateInfo()` gives now, else its id.
 */
async function groupsOf(session: BaseSession, ctx: PartitionRuntime): Promise<{ legacyId: string; jid: string; name: string }[]> {
  const ids = session.bookmarks.knownLegacyIds();
  ctx.rooms.readAhead(ids.map((legacyId) => ({ user: session.user.jid, legacyId })));
  const groups = [];
  for (const legacyId of ids) {
    const muc = await session.bookmarks.byLegacyId(legacyId);
    const room = await ctx.rooms.get(session, legacyId, false);
    const name = room?.actor.getSnapshot().context.info?.name ?? await nameFromNetwork(muc);
    groups.push({ legacyId, jid: muc.jid, name });
  }
  ctx.rooms.forgetReadAhead();
  return groups.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
}

/** A room's name from `updateInfo()`, whose events (its avatar ...) go nowhere: a listing changes no room. */
async function nameFromNetwork(muc: LegacyMUC): Promise<string> {
  const sink = muc.bindSink(() => undefined);
  try {
    await muc.updateInfo();
    return muc.name;
  } catch {
    return muc.legacyId;
  } finally {
    muc.bindSink(sink);
  }
}
