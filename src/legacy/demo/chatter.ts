/**
 * Background chatter: participants of some rooms keep talking, so that a demo looks alive and
 * a benchmark has a steady legacy → XMPP load without a client driving it.
 */
import type { DemoNetwork } from './network.ts';
import { DemoError } from './types.ts';

/** Options of `startChatter`. */
export interface ChatterOptions {
  /** Messages per second over all the chosen rooms together. */
  messagesPerSecond: number;
  /** How many rooms talk (the first ones, in world order), or their ids. */
  rooms: number | string[];
  /** Random source in [0, 1); tests pin it. */
  random?: () => number;
}

/** How often the timer wakes: fast enough to look smooth, slow enough to cost nothing. */
const TICK_MS = 100;

const LINES = [
  'Anyone around?', 'Good morning!', 'Did you see the latest release?', 'That works for me.',
  'I will look into it after lunch.', 'Ha, nice one.', 'Can someone review my patch?',
  'The build is green again.', 'Brb, coffee.', 'Where are we meeting tomorrow?',
  'I think the bug is in the parser.', 'Thanks, all!',
];

/**
 * Starts posting messages from existing participants, spread over the chosen rooms in turn.
 * Rooms with nobody in them are skipped. The timer does not keep the process alive.
 */
export function startChatter(network: DemoNetwork, opts: ChatterOptions): { stop(): void } {
  if (!(opts.messagesPerSecond > 0)) throw new DemoError(400, 'chatter.messagesPerSecond: expected a positive number');
  const random = opts.random ?? Math.random;
  const candidates = typeof opts.rooms === 'number' ? network.roomIds().slice(0, opts.rooms) : opts.rooms;
  for (const id of candidates) if (!network.hasRoom(id)) throw new DemoError(404, `chatter.rooms: no room "${id}"`);
  const rooms = candidates.filter((id) => network.info(id).participants.length > 0);
  if (rooms.length === 0) return { stop() { /* nothing to stop */ } };

  const started = Date.now();
  let sent = 0;
  let next = 0;
  // Post what is due since the start rather than a fixed number per tick, so timer drift
  // does not lower the rate.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * opts.messagesPerSecond);
    for (; sent < due; sent++) {
      const roomId = rooms[next++ % rooms.length]!;
      if (!network.hasRoom(roomId)) continue;
      const { participants } = network.info(roomId);
      if (participants.length === 0) continue;
      const from = participants[Math.floor(random() * participants.length)]!.nick;
      network.post(roomId, { from, body: LINES[Math.floor(random() * LINES.length)]! });
    }
  }, TICK_MS);
  timer.unref();
  return { stop() { clearInterval(timer); } };
}
