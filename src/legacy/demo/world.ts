/**
 * The demo network's world file: its rooms, their participants and their past messages.
 * Validated with zod so that a mistake in a hand-written world names the field at fault
 * (`rooms[1].participants[0].nick: ...`) instead of failing later inside a room actor.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const ROLES = ['moderator', 'participant', 'visitor', 'none'] as const;
const AFFILIATIONS = ['owner', 'admin', 'member', 'outcast', 'none'] as const;
const ROOM_TYPES = ['group', 'channel', 'channel-non-anonymous'] as const;

/** ISO 8601 with an offset, kept as the UTC `toISOString()` form so times compare as strings. */
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());
const nick = z.string().min(1, 'a nickname cannot be empty');
const bareJid = z.string()
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'expected a bare JID such as romeo@localhost')
  .transform((s) => s.toLowerCase());

/** An image in base64, as the demo keeps avatars (the network does not look inside). */
export const BASE64_IMAGE = /^[A-Za-z0-9+/]+={0,2}$/;
const avatar = z.string().regex(BASE64_IMAGE, 'an avatar is an image in base64');

/** A participant as the world file and the HTTP API describe it. */
export const participantSchema = z.object({
  nick,
  role: z.enum(ROLES).default('participant'),
  affiliation: z.enum(AFFILIATIONS).default('member'),
  /** The participant's avatar: an image in base64 (shown in groups, not in channels). */
  avatar: avatar.optional(),
});

/** A past message of a room. */
export const messageSchema = z.object({
  id: z.string().min(1, 'a message id cannot be empty'),
  from: nick,
  body: z.string(),
  timestamp: isoDate,
});

/** One room of the world, also the body of `POST /demo/rooms`. */
export const roomSchema = z.object({
  // JID local parts are case-insensitive and XEP-0106 has no escape for capitals, so an id
  // with capitals would not survive the trip through a room JID.
  id: z.string().min(1, 'a room id cannot be empty')
    .refine((s) => s === s.toLowerCase(), 'a room id cannot contain capital letters (JID local parts are case-insensitive)'),
  name: z.string().min(1, 'a room name cannot be empty'),
  type: z.enum(ROOM_TYPES),
  description: z.string().default(''),
  subject: z.string().default(''),
  subjectSetter: nick.optional(),
  subjectDate: isoDate.optional(),
  /** Absent: every registered user is a member. */
  members: z.array(bareJid).optional(),
  /** The room's avatar: an image (PNG, JPEG ...) in base64. */
  avatar: avatar.optional(),
  participants: z.array(participantSchema).default([]),
  messages: z.array(messageSchema).default([]),
}).superRefine((room, ctx) => {
  unique(room.participants.map((p) => p.nick), ['participants'], 'nick', 'nickname', ctx);
  unique(room.messages.map((m) => m.id), ['messages'], 'id', 'message id', ctx);
});

/** A whole world file. */
export const worldSchema = z.object({ rooms: z.array(roomSchema) }).superRefine((world, ctx) => {
  unique(world.rooms.map((r) => r.id), ['rooms'], 'id', 'room id', ctx);
});

export type RoomType = (typeof ROOM_TYPES)[number];
export type WorldParticipant = z.output<typeof participantSchema>;
export type WorldMessage = z.output<typeof messageSchema>;
export type WorldRoom = z.output<typeof roomSchema>;
/** A room as written in JSON, before defaults are applied. */
export type WorldRoomInput = z.input<typeof roomSchema>;
export type World = z.output<typeof worldSchema>;

/** A world file that does not parse or does not validate. */
export class WorldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldError';
  }
}

/** Validates a parsed JSON value as a world; throws `WorldError` naming every bad field. */
export function parseWorld(json: unknown): World {
  const result = worldSchema.safeParse(json);
  if (!result.success) throw new WorldError(`invalid demo world: ${formatIssues(result.error)}`);
  return result.data;
}

/** Reads and validates a world file. */
export async function loadWorld(path: string | URL): Promise<World> {
  const file = path instanceof URL ? fileURLToPath(path) : path;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new WorldError(`cannot read demo world ${file}: ${(err as Error).message}`);
  }
  try {
    return parseWorld(json);
  } catch (err) {
    throw new WorldError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Moves every date of the world by one offset so that its newest message was sent
 * `newestAgoMs` before `now`. A static file then still looks recent, and falls inside the
 * history a client asks for on join (usually the last day); relative order is kept.
 */
export function shiftTimestamps(world: World, now: Date, newestAgoMs = 5 * 60_000): World {
  const times = world.rooms.flatMap((r) => r.messages.map((m) => Date.parse(m.timestamp)));
  if (times.length === 0) return world;
  const delta = now.getTime() - newestAgoMs - Math.max(...times);
  const shift = (iso: string) => new Date(Date.parse(iso) + delta).toISOString();
  return {
    rooms: world.rooms.map((room) => ({
      ...room,
      ...(room.subjectDate ? { subjectDate: shift(room.subjectDate) } : {}),
      messages: room.messages.map((m) => ({ ...m, timestamp: shift(m.timestamp) })),
    })),
  };
}

/** One line per issue, each naming its path: `rooms[0].type: Invalid option: ...`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${String(key)}`)).join('');
}

function unique(values: string[], at: (string | number)[], field: string, what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [...at, i, field], message: `duplicate ${what} "${value}"` });
    seen.add(value);
  });
}
