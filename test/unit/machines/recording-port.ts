// A RoomPort that records every intent, in order, as [kind, intent] pairs.
import type { RoomPort } from '../../../src/machines/ports.ts';

export function recordingPort(): { port: RoomPort; sent: [string, unknown][] } {
  const sent: [string, unknown][] = [];
  const port: RoomPort = {
    presence: (p) => sent.push(['presence', p]),
    message: (m) => sent.push(['message', m]),
    echo: (e) => sent.push(['echo', e]),
    archive: (a) => sent.push(['archive', a]),
    replay: (r) => sent.push(['replay', r]),
    iq: (i) => sent.push(['iq', i]),
    avatarBytes: (a) => sent.push(['avatarBytes', a]),
    bookmark: (b) => sent.push(['bookmark', b]),
    displayedMark: (d) => sent.push(['displayedMark', d]),
    warn: (msg) => sent.push(['warn', msg]),
  };
  return { port, sent };
}
