/**
 * A small JSON API over the demo network, on loopback, so that a person with curl, a test or a
 * benchmark can act as the "other side" of the legacy network:
 *
 *   POST   /demo/rooms                            create a room (a world room)      201 room
 *   GET    /demo/rooms                            list rooms                        200 {rooms}
 *   GET    /demo/rooms/{id}                       one room, messages included       200 room
 *   POST   /demo/rooms/{id}/messages              {from, body, id?, replyTo?, thread?, linkPreviews?} 201 {id}
 *                                                  {from, url, id?, replyTo?}: a file's link
 *                                                  {from, file: {name, data (base64), contentType?}, body?, id?}:
 *                                                  a file, uploaded by the gateway; body a text after it
 *                                                  {from, body, correct: msg}: an edit 201 {id}
 *   DELETE /demo/rooms/{id}/messages/{msg}        ?by=nick: its author deletes it   204
 *   POST   /demo/rooms/{id}/messages/{msg}/reactions  {from, emojis}                204
 *   POST   /demo/rooms/{id}/messages/{msg}/moderate   {by, reason?}                 204
 *   POST   /demo/rooms/{id}/participants          {nick, role?, affiliation?}       201 participant
 *   DELETE /demo/rooms/{id}/participants/{nick}   ?kick=1 | ?ban=1, &reason=...     204
 *   POST   /demo/rooms/{id}/participants/{nick}/presence   {show?, status?}         204
 *   POST   /demo/rooms/{id}/participants/{nick}/chatstate  {state}                  204
 *   POST   /demo/rooms/{id}/participants/{nick}/displayed  {id}                     204
 *   POST   /demo/rooms/{id}/private               {from, to: user JID, body}        201 {id}
 *   POST   /demo/rooms/{id}/subject               {subject, by?}                    204
 *   POST   /demo/rooms/{id}/info                  {name?, description?}             204
 *   PUT    /demo/rooms/{id}/avatar                {data: image in base64, id?}      200 {id}
 *   PUT    /demo/rooms/{id}/participants/{nick}/avatar  {data: image in base64}     204
 *   DELETE /demo/rooms/{id}/participants/{nick}/avatar  removes it                  204
 *   DELETE /demo/rooms/{id}/avatar                removes the room's avatar         204
 *   POST   /demo/rooms/{id}/rename                {from, to}                        204
 *
 * The edit, deletion, reaction, chat state, marker and private message writes take an optional
 * `jid` (`?jid=` for DELETE): an XMPP user did it through the gateway, and is not told of it
 * (`to` of a private message is then a nick). Path segments are URL-encoded. Errors are
 * `{ "error": text }` with 400 (bad JSON or fields), 403 (not the author, not a moderator),
 * 404 (unknown room, message, nick or route), 405, 409 (taken id or nick) or 413 (body over 1 MiB).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DemoNetwork } from './network.ts';
import { DemoError } from './types.ts';
import { formatIssues, participantSchema } from './world.ts';

/** Requests with a larger body are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Options of `startDemoHttp`. */
export interface DemoHttpOptions {
  /** Interface to listen on; keep it loopback, the API has no authentication. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  log: Logger;
}

/** A running demo API. */
export interface DemoHttp {
  /** The port it listens on (the chosen one when started with 0). */
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const jid = z.string().min(1).optional();
const messageBody = z.object({
  from: z.string().min(1), body: z.string().min(1).optional(), id: z.string().min(1).optional(),
  url: z.url().optional(), replyTo: z.string().min(1).optional(), correct: z.string().min(1).optional(), thread: z.string().min(1).optional(),
  file: z.object({ name: z.string().min(1).max(200), contentType: z.string().min(1).optional(), data: z.base64() }).strict().optional(),
  linkPreviews: z.array(z.object({
    about: z.string().min(1), title: z.string().optional(), description: z.string().optional(), url: z.string().optional(),
    image: z.string().optional(), type: z.string().optional(), siteName: z.string().optional(),
  }).strict()).optional(),
  jid,
}).superRefine((m, ctx) => {
  if (m.body === undefined && ((m.url === undefined && m.file === undefined) || m.correct !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['body'], message: m.correct ? 'an edit needs a body' : 'a message needs a body, a url or a file' });
  }
  if (m.url !== undefined && m.file !== undefined) ctx.addIssue({ code: 'custom', path: ['file'], message: 'a message has a url or a file, not both' });
});
const reactionsBody = z.object({ from: z.string().min(1), emojis: z.array(z.string().min(1)), jid });
const moderateBody = z.object({ by: z.string().min(1), reason: z.string().min(1).optional() });
const presenceBody = z.object({ show: z.enum(['away', 'chat', 'dnd', 'xa']).optional(), status: z.string().optional() });
const chatStateBody = z.object({ state: z.enum(['active', 'composing', 'paused', 'inactive', 'gone']), jid });
const displayedBody = z.object({ id: z.string().min(1), jid });
const privateBody = z.object({ from: z.string().min(1), to: z.string().min(1), body: z.string().min(1), id: z.string().min(1).optional(), jid });
const subjectBody = z.object({ subject: z.string(), by: z.string().min(1).optional() });
const infoBody = z.object({ name: z.string().min(1).optional(), description: z.string().optional() });
const avatarBody = z.object({ data: z.string().min(1), id: z.string().min(1).optional() });
const renameBody = z.object({ from: z.string().min(1), to: z.string().min(1) });

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** Starts the demo API; resolves once it listens. */
export function startDemoHttp(network: DemoNetwork, opts: DemoHttpOptions): Promise<DemoHttp> {
  const log = opts.log.child({ module: 'demo-http' });
  const server = createServer((req, res) => {
    handle(network, req, res).catch((err: unknown) => {
      if (!(err instanceof HttpError || err instanceof DemoError)) log.error({ err, method: req.method, url: req.url }, 'demo API request failed');
      const status = err instanceof HttpError || err instanceof DemoError ? err.status : 500;
      reply(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err }, 'demo API server error'));
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

async function handle(network: DemoNetwork, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  // replication: gateway workers in other processes keep a replica of the network (replica.ts)
  if (req.method === 'GET' && url.pathname === '/demo/world') return reply(res, 200, { world: network.initialWorld, epoch: network.epoch });
  if (req.method === 'GET' && url.pathname === '/demo/journal') {
    const after = Number(url.searchParams.get('after') ?? 0);
    const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0), MAX_JOURNAL_WAIT_MS);
    return reply(res, 200, { entries: await network.journalAfter(Number.isFinite(after) ? after : 0, JOURNAL_PAGE, waitMs) });
  }
  const [demo, rooms, roomId, sub, key, action, ...rest] = url.pathname.split('/').slice(1).map(decodeSegment);
  if (demo !== 'demo' || rooms !== 'rooms' || rest.length > 0 || [roomId, sub, key, action].includes('')) {
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  }
  const nick = key;
  const route = `${req.method} ${[roomId && '{id}', sub, key && (sub === 'messages' ? '{msg}' : '{nick}'), action].filter(Boolean).join('/')}`;
  const q = url.searchParams;
  switch (route) {
    case 'GET ': return reply(res, 200, { rooms: network.roomIds().map((id) => summary(network, id)) });
    case 'POST ': return reply(res, 201, network.createRoom(await readJson(req)));
    case 'GET {id}': return reply(res, 200, network.room(roomId!));
    case 'POST {id}/messages': {
      const { correct, jid: by, ...m } = parse(messageBody, await readJson(req));
      if (correct === undefined) return reply(res, 201, network.post(roomId!, m));
      network.correct(roomId!, { id: correct, from: m.from, body: m.body!, ...(by ? { jid: by } : {}) });
      return reply(res, 201, { id: correct });
    }
    case 'DELETE {id}/messages/{msg}': {
      const by = q.get('by');
      if (!by) throw new HttpError(400, 'by: the nickname of the author is required');
      network.retract(roomId!, key!, by, q.get('jid') ?? undefined);
      return reply(res, 204);
    }
    case 'POST {id}/messages/{msg}/reactions': {
      const { from, emojis, jid: by } = parse(reactionsBody, await readJson(req));
      network.react(roomId!, key!, from, emojis, by);
      return reply(res, 204);
    }
    case 'POST {id}/messages/{msg}/moderate': {
      const { by, reason } = parse(moderateBody, await readJson(req));
      network.moderate(roomId!, key!, by, reason);
      return reply(res, 204);
    }
    case 'POST {id}/participants/{nick}/presence': network.setPresence(roomId!, key!, parse(presenceBody, await readJson(req))); return reply(res, 204);
    case 'POST {id}/participants/{nick}/chatstate': {
      const { state, jid: by } = parse(chatStateBody, await readJson(req));
      network.chatState(roomId!, key!, state, by);
      return reply(res, 204);
    }
    case 'POST {id}/participants/{nick}/displayed': {
      const { id, jid: by } = parse(displayedBody, await readJson(req));
      network.displayed(roomId!, key!, id, by);
      return reply(res, 204);
    }
    case 'POST {id}/private': return reply(res, 201, network.sendPrivate(roomId!, parse(privateBody, await readJson(req))));
    case 'POST {id}/participants': return reply(res, 201, network.join(roomId!, parse(participantSchema.partial({ role: true, affiliation: true }), await readJson(req))));
    case 'DELETE {id}/participants/{nick}': {
      network.remove(roomId!, nick!, { kick: flag(q.get('kick')), ban: flag(q.get('ban')), reason: q.get('reason') ?? undefined });
      return reply(res, 204);
    }
    case 'DELETE {id}': {
      const q = url.searchParams;
      network.destroyRoom(roomId!, { by: q.get('by') ?? undefined, reason: q.get('reason') ?? undefined, exceptJid: q.get('except') ?? undefined });
      return reply(res, 204);
    }
    case 'DELETE {id}/members/{nick}': {
      // the user left the group elsewhere ("from the official client"), unless tell=0
      network.leave(roomId!, key!, { tell: url.searchParams.get('tell') !== '0' });
      return reply(res, 204);
    }
    case 'POST {id}/from-user': {
      const { jid, nick, body, id, url, replyTo } = parse(fromUserBody, await readJson(req));
      return reply(res, 201, network.sendFromUser(roomId!, jid, nick, body, id, { ...(url ? { url } : {}), ...(replyTo ? { replyTo } : {}) }));
    }
    case 'POST {id}/subject': network.setSubject(roomId!, parse(subjectBody, await readJson(req))); return reply(res, 204);
    case 'POST {id}/info': network.configure(roomId!, parse(infoBody, await readJson(req))); return reply(res, 204);
    case 'PUT {id}/avatar': {
      const { data, id } = parse(avatarBody, await readJson(req));
      return reply(res, 200, { id: network.setAvatar(roomId!, data, id) });
    }
    case 'DELETE {id}/avatar': network.setAvatar(roomId!, null); return reply(res, 204);
    case 'PUT {id}/participants/{nick}/avatar':
      network.setParticipantAvatar(roomId!, key!, parse(avatarBody, await readJson(req)).data);
      return reply(res, 204);
    case 'DELETE {id}/participants/{nick}/avatar': network.setParticipantAvatar(roomId!, key!, null); return reply(res, 204);
    case 'POST {id}/rename': {
      const { from, to } = parse(renameBody, await readJson(req));
      network.rename(roomId!, from, to);
      return reply(res, 204);
    }
  }
  const known = [
    '', '{id}', '{id}/messages', '{id}/messages/{msg}', '{id}/messages/{msg}/reactions', '{id}/messages/{msg}/moderate',
    '{id}/participants', '{id}/participants/{nick}', '{id}/participants/{nick}/presence', '{id}/participants/{nick}/chatstate',
    '{id}/participants/{nick}/displayed', '{id}/participants/{nick}/avatar', '{id}/private', '{id}/subject', '{id}/info', '{id}/avatar', '{id}/rename', '{id}/from-user', '{id}/members/{nick}',
  ];
  if (known.includes(route.slice(route.indexOf(' ') + 1))) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
  throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
}

/** A journal request waits at most this long for a new event (long polling). */
const MAX_JOURNAL_WAIT_MS = 25_000;
const JOURNAL_PAGE = 2000;
const fromUserBody = z.object({
  jid: z.string().min(1), nick: z.string().min(1), body: z.string().min(1), id: z.string().min(1).optional(),
  url: z.string().min(1).optional(), replyTo: z.string().min(1).optional(),
});

function summary(network: DemoNetwork, id: string) {
  const { name, type, members, participants } = network.info(id);
  return { id, name, type, members, nParticipants: participants.length, nMessages: network.messages(id).length };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad URL encoding in "${segment}"`);
  }
}

function flag(value: string | null): boolean { return value === '1' || value === 'true'; }

function parse<T>(schema: z.ZodType<T>, json: unknown): T {
  const result = schema.safeParse(json);
  if (!result.success) throw new HttpError(400, formatIssues(result.error));
  return result.data;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      req.resume(); // drain, so the 413 reaches a client that is still sending
      return reject(new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      if (tooBig) return; // drained and dropped: the 413 is on its way
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      tooBig = true;
      chunks.length = 0;
      reject(new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`));
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooBig) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(new HttpError(400, `bad JSON: ${(err as Error).message}`));
      }
    });
  });
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (status === 413) {
    // the rest of the body is not read, so the connection cannot carry another request
    res.setHeader('connection', 'close');
  }
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}
