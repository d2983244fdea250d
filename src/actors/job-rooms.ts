/**
 * The room a mailbox job is for, told without the plugin, so a job can read ahead the rooms it
 * will touch (`Rooms.readAhead`): a legacy event names its room; a stanza's room is guessed
 * from its `to` with the default JID mapping (XEP-0106). A guess that misses costs nothing:
 * the room is then read when it is needed. Also the key one room of one user has in memory.
 */
import { unescapeLocalPart } from '../legacy/escape.ts';
import type { MailboxJob } from '../transport/mailbox.ts';
import { localOf } from '../transport/xmpp/stanza.ts';

/** `to` of the stanza's opening tag, as ltx writes it (`to="…"`, escaped). */
const TO = /^<[^>]*?\sto="([^"]*)"/;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

/** A room's key in the worker's in-memory maps (room actors, the plugin's room objects): one per user and room. */
export function roomKey(user: string, legacyId: string): string {
  return `${user}\n${legacyId}`;
}

export function roomOfJob(job: MailboxJob): { user: string; legacyId: string } | null {
  if (job.kind === 'legacy') return { user: job.user, legacyId: job.legacyId };
  if (job.kind !== 'xmpp') return null;
  const to = TO.exec(job.xml)?.[1]?.replace(/&(amp|lt|gt|quot|apos);/g, (e) => ENTITIES[e]!);
  const local = to ? localOf(to) : '';
  return local ? { user: job.user, legacyId: unescapeLocalPart(local) } : null;
}
