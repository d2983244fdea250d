/**
 * Registering and removing users from outside XMPP (`roomgate users add|remove`, the demo):
 * the same validation as an XEP-0077 form, then the user store and a control job that logs the
 * user in to (or out of) the legacy network.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './actors/keys.ts';
import { userStore } from './actors/users.ts';
import type { AnyPlugin } from './legacy/plugin.ts';
import { Mailboxes } from './transport/mailbox.ts';
import { validateRegistration } from './transport/xmpp/register.ts';

export interface AdminDeps {
  redis: Redis;
  keys: Keys;
  plugin: AnyPlugin;
}

/** Registers (or re-registers) `jid` with the plugin's registration fields; throws XmppError on bad fields. */
export async function addUser({ redis, keys, plugin }: AdminDeps, jid: string, fields: Record<string, string>): Promise<void> {
  const registration = validateRegistration(plugin.registration.fields, fields);
  const mailboxes = new Mailboxes(keys, redis);
  try {
    await userStore(redis, keys).put({ jid, registration });
    await mailboxes.add({ kind: 'control', user: jid, action: 'login' });
  } finally {
    await mailboxes.close();
  }
}

/** Logs `jid` out and deletes them with all their rooms. */
export async function removeUser({ redis, keys }: Omit<AdminDeps, 'plugin'>, jid: string): Promise<void> {
  const mailboxes = new Mailboxes(keys, redis);
  try {
    // deleted first: the worker that applies the logout then finds no registration to keep
    await userStore(redis, keys).remove(jid);
    await mailboxes.add({ kind: 'control', user: jid, action: 'logout' });
  } finally {
    await mailboxes.close();
  }
}
