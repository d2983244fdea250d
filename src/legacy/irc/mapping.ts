/**
 * The IRC plugin's pure mappings: channel prefixes to XEP-0045 roles and affiliations, case
 * mapping, ban masks, line splitting, text cleaning, stable message ids. No I/O here, so all of
 * it is unit tested (test/unit/legacy/irc/).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ErrorCondition } from '../../transport/xmpp/errors.ts';
import type { MucAffiliation, MucRole } from '../types.ts';

/** One entry of ISUPPORT PREFIX: the channel mode letter and the NAMES symbol, e.g. o and @. */
export interface PrefixMode { mode: string; symbol: string }

/** RFC 2812's PREFIX, used until the server's ISUPPORT says otherwise. */
export const DEFAULT_PREFIX: PrefixMode[] = [{ mode: 'o', symbol: '@' }, { mode: 'v', symbol: '+' }];

export interface MucStatus { role: MucRole; affiliation: MucAffiliation }

/** Symbol → status, strongest first (the contract). */
const SYMBOL_STATUS: [string, MucStatus][] = [
  ['~', { affiliation: 'owner', role: 'moderator' }],
  ['&', { affiliation: 'owner', role: 'moderator' }],
  ['@', { affiliation: 'admin', role: 'moderator' }],
  ['%', { affiliation: 'member', role: 'moderator' }],
  ['+', { affiliation: 'member', role: 'participant' }],
];
const PLAIN: MucStatus = { affiliation: 'member', role: 'participant' };

/**
 * The role and affiliation of a channel member from their prefix symbols (all of them with
 * multi-prefix, else the highest): `~`/`&` owner/moderator, `@` admin/moderator, `%`
 * member/moderator, `+` member/participant, none member/participant. Unknown symbols count
 * as none.
 */
export function statusFromSymbols(symbols: Iterable<string>): MucStatus {
  const have = new Set(symbols);
  for (const [symbol, status] of SYMBOL_STATUS) if (have.has(symbol)) return { ...status };
  return { ...PLAIN };
}

/** The same from channel mode letters (q, a, o, h, v), through the server's PREFIX table. */
export function statusFromModes(modes: Iterable<string>, prefix: PrefixMode[] = DEFAULT_PREFIX): MucStatus {
  const symbols: string[] = [];
  for (const m of modes) {
    const entry = prefix.find((p) => p.mode === m);
    if (entry) symbols.push(entry.symbol);
  }
  return statusFromSymbols(symbols);
}

/** The mode letter of a prefix symbol on this server, if it has it. */
export function modeOfSymbol(symbol: string, prefix: PrefixMode[]): string | undefined {
  return prefix.find((p) => p.symbol === symbol)?.mode;
}

/** A MODE change to a member's prefix modes: letters to add and to remove. */
export interface ModeDelta { add: string[]; remove: string[] }

/**
 * The prefix-mode changes that give a member `affiliation` (an XMPP admin action), from the
 * modes they have now. `null` when the server has no mode for it (owner without ~ or &).
 * member and none both mean "no owner/admin status": IRC has no difference between them.
 * outcast is a ban, not a mode change: see `banMaskFor`.
 */
export function modesForAffiliation(affiliation: Exclude<MucAffiliation, 'outcast'>, current: Iterable<string>, prefix: PrefixMode[]): ModeDelta | null {
  const have = new Set(current);
  const q = modeOfSymbol('~', prefix);
  const a = modeOfSymbol('&', prefix);
  const o = modeOfSymbol('@', prefix);
  const delta: ModeDelta = { add: [], remove: [] };
  const drop = (...modes: (string | undefined)[]) => {
    for (const m of modes) if (m && have.has(m)) delta.remove.push(m);
  };
  switch (affiliation) {
    case 'owner': {
      const mode = q ?? a;
      if (!mode) return null;
      if (!(q && have.has(q)) && !(a && have.has(a))) delta.add.push(mode);
      break;
    }
    case 'admin':
      if (!o) return null;
      drop(q, a);
      if (!have.has(o)) delta.add.push(o);
      break;
    case 'member':
    case 'none':
      drop(q, a, o);
      break;
  }
  return delta;
}

/**
 * The prefix-mode changes that give a member `role`: moderator is halfop (op where the server
 * has no halfop), participant is voice without halfop, visitor is neither. `null` when the role
 * cannot be reached by modes (taking moderator away from an op or owner: change the affiliation).
 */
export function modesForRole(role: MucRole, current: Iterable<string>, prefix: PrefixMode[]): ModeDelta | null {
  const have = new Set(current);
  const h = modeOfSymbol('%', prefix);
  const v = modeOfSymbol('+', prefix);
  const o = modeOfSymbol('@', prefix);
  const above = ['~', '&', '@'].map((s) => modeOfSymbol(s, prefix)).filter((m): m is string => !!m && have.has(m));
  const delta: ModeDelta = { add: [], remove: [] };
  switch (role) {
    case 'moderator': {
      if (above.length || (h && have.has(h))) return delta;
      const mode = h ?? o;
      if (!mode) return null;
      delta.add.push(mode);
      return delta;
    }
    case 'participant':
      if (above.length) return null;
      if (h && have.has(h)) delta.remove.push(h);
      if (v && !have.has(v)) delta.add.push(v);
      return delta;
    case 'visitor':
    case 'none':
      if (above.length) return null;
      if (h && have.has(h)) delta.remove.push(h);
      if (v && have.has(v)) delta.remove.push(v);
      return delta;
  }
}

/** `MODE` parameters for a delta on one nick, e.g. ['+o-v', 'nick', 'nick']; null when empty. */
export function modeLine(delta: ModeDelta, nick: string): string[] | null {
  const count = delta.add.length + delta.remove.length;
  if (!count) return null;
  let modes = '';
  if (delta.add.length) modes += `+${delta.add.join('')}`;
  if (delta.remove.length) modes += `-${delta.remove.join('')}`;
  return [modes, ...Array.from({ length: count }, () => nick)];
}

// ---------------------------------------------------------------------------------------------
// Case mapping

export type CaseMapping = 'ascii' | 'rfc1459' | 'strict-rfc1459' | string;

/** Lower-cases a nick or channel name the way the server compares them (ISUPPORT CASEMAPPING). */
export function ircLower(name: string, casemapping: CaseMapping = 'rfc1459'): string {
  const upper = casemapping === 'ascii' ? 90 : casemapping === 'strict-rfc1459' ? 93 : 94;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    out += c >= 65 && c <= upper ? String.fromCharCode(c + 32) : name[i];
  }
  return out;
}

/** Whether a name is a channel on a server whose channel prefixes are `chantypes`. */
export function isChannelName(name: string, chantypes: string = '#&'): boolean {
  // RFC 2812 §1.3: no spaces, commas or BELs; 50 chars on old servers, more on modern ones
  return name.length > 1 && chantypes.includes(name[0]!) && !/[\s,\x07]/.test(name);
}

// ---------------------------------------------------------------------------------------------
// Masks

/** A `nick!user@host` prefix, as far as it is known. */
export interface Hostmask { nick: string; user?: string | undefined; host?: string | undefined }

/** Splits `nick!user@host` (parts may be missing). */
export function parseHostmask(mask: string): Hostmask {
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@', bang + 1);
  if (bang < 0 && at < 0) return { nick: mask };
  if (bang < 0) return { nick: mask.slice(0, at), host: mask.slice(at + 1) };
  if (at < 0) return { nick: mask.slice(0, bang), user: mask.slice(bang + 1) };
  return { nick: mask.slice(0, bang), user: mask.slice(bang + 1, at), host: mask.slice(at + 1) };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const char of glob) {
    if (char === '*') re += '.*';
    else if (char === '?') re += '.';
    else re += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * Whether a ban mask (`nick!user@host` with `*` and `?`) matches a member, compared with the
 * server's case mapping. Parts of the member that are not known only match `*`. Extended bans
 * (`~q:...`, `m:...`, `$a:...`) never match: they do not keep anyone out of the channel here.
 */
export function maskMatches(mask: string, who: Hostmask, casemapping: CaseMapping = 'rfc1459'): boolean {
  if (/^(~|\$)?[a-z]+:/i.test(mask) && !mask.includes('!')) return false;
  const m = parseHostmask(mask);
  const part = (pattern: string | undefined, value: string | undefined) => {
    const p = ircLower(pattern ?? '*', casemapping);
    if (p.replace(/\*/g, '') === '') return true;
    if (value === undefined) return false;
    return globToRegExp(p).test(ircLower(value, casemapping));
  };
  // a mask without '!' or '@' is a nick mask (`nick` = `nick!*@*`)
  return part(m.nick, who.nick) && part(m.user, who.user) && part(m.host, who.host);
}

/** The mask a ban from XMPP sets: `*!*@host` when the host is known, else `nick!*@*`. */
export function banMaskFor(who: Hostmask): string {
  return who.host ? `*!*@${who.host}` : `${who.nick}!*@*`;
}

// ---------------------------------------------------------------------------------------------
// Text

/** IRC formatting: bold, colour (with its digits), hex colour, reset, reverse, italic, underline, strike, monospace. */
const FORMATTING = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-f]{6}(?:,[0-9a-f]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/gi;
/** What XML 1.0 cannot carry: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text from IRC made fit for an XMPP body: formatting codes removed (their text stays), and
 * anything XML cannot carry removed, so a stray control character never breaks a stanza.
 */
export function cleanIncoming(text: string): string {
  return text.replace(FORMATTING, '').replace(NOT_XML, '');
}

/**
 * Decodes one line of bytes from the server: UTF-8 when it is valid UTF-8, else Latin-1 (every
 * byte is a character there), so text from old clients is shown, never dropped.
 */
export function decodeIrcLine(bytes: Uint8Array): string {
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

/** A user's message as IRC sends it: `/me waves` is a CTCP ACTION. */
export interface OutgoingText { action: boolean; text: string }

/** Splits the user's message into IRC messages: one per line (empty lines dropped), `/me ` on the first. */
export function parseOutgoing(body: string): OutgoingText[] {
  const lines = body.replace(/\r\n?/g, '\n').replace(/\0/g, '').split('\n');
  const out: OutgoingText[] = [];
  lines.forEach((line, i) => {
    if (i === 0 && /^\/me(\s|$)/.test(line)) out.push({ action: true, text: line.slice(4) });
    else if (line !== '') out.push({ action: false, text: line });
  });
  return out;
}

/** The body an IRC message becomes on XMPP (`/me ...` for an action). */
export function incomingBody(text: string, action: boolean): string {
  const clean = cleanIncoming(text);
  return action ? `/me ${clean}` : clean;
}

/** UTF-8 bytes, counted without encoding (TextEncoder made a copy per call: 3 for each message W3 sent). */
const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Splits text into pieces of at most `maxBytes` UTF-8 bytes each, at the last space that fits
 * when there is one (the space goes), else between two grapheme clusters, else between two
 * code points: never inside a character. Joining the pieces (with the spaces) gives the text.
 */
export function splitToBytes(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError(`maxBytes must be at least 4, got ${maxBytes}`);
  if (byteLength(text) <= maxBytes) return [text];
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  let lastSpace = -1; // index in `current` of the last space
  const flush = () => { pieces.push(current); current = ''; currentBytes = 0; lastSpace = -1; };

  for (const g of graphemes) {
    const b = byteLength(g);
    if (currentBytes + b > maxBytes) {
      if (g === ' ') { flush(); continue; } // the break eats the space
      if (lastSpace > 0) {
        const rest = current.slice(lastSpace + 1);
        current = current.slice(0, lastSpace);
        flush();
        current = rest;
        currentBytes = byteLength(rest);
      } else if (current) {
        flush();
      }
      if (b > maxBytes) {
        // a grapheme cluster bigger than a line (long combining sequences): by code points
        for (const cp of g) {
          const cb = byteLength(cp);
          if (currentBytes + cb > maxBytes) flush();
          current += cp;
          currentBytes += cb;
        }
        continue;
      }
      if (currentBytes + b > maxBytes) flush();
    }
    if (g === ' ') lastSpace = current.length;
    current += g;
    currentBytes += b;
  }
  if (current) pieces.push(current);
  return pieces;
}

/** What is known of the line a PRIVMSG will be when the server relays it. */
export interface LineBudget {
  /** ISUPPORT LINELEN, else 512 (CRLF included). */
  lineLen?: number;
  nick: string;
  user?: string | undefined;
  host?: string | undefined;
  /** Used when the user/host are not known yet (ISUPPORT USERLEN, HOSTLEN). */
  userLen?: number;
  hostLen?: number;
}

/**
 * The most bytes of text that fit in one `PRIVMSG target :text` (or NOTICE) as the server
 * relays it to others: `:nick!user@host PRIVMSG target :text\r\n` within the line length.
 * An ACTION loses 9 more bytes to `\x01ACTION ` and `\x01`.
 */
export function textBudget(command: 'PRIVMSG' | 'NOTICE', target: string, b: LineBudget, action = false): number {
  const user = b.user ?? 'x'.repeat((b.userLen ?? 10) + 1);
  const host = b.host ?? 'x'.repeat(b.hostLen ?? 63);
  const prefix = `:${b.nick}!${user}@${host} `;
  const fixed = byteLength(prefix) + byteLength(`${command} ${target} :`) + 2 + (action ? 9 : 0);
  return Math.max(16, (b.lineLen ?? 512) - fixed);
}

/** The raw lines for one message from the user, split to the server's limit. */
export function messageLines(target: string, body: string, budget: LineBudget): string[] {
  const lines: string[] = [];
  for (const part of parseOutgoing(body)) {
    const max = textBudget('PRIVMSG', target, budget, part.action);
    for (const piece of splitToBytes(part.text, max)) {
      lines.push(part.action ? `PRIVMSG ${target} :\x01ACTION ${piece}\x01` : `PRIVMSG ${target} :${piece}`);
    }
  }
  return lines;
}

/** A single-parameter text trimmed to `maxBytes` (topics, reasons), never inside a character. */
export function truncateToBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const cp of text) {
    const b = byteLength(cp);
    if (bytes + b > maxBytes) break;
    out += cp;
    bytes += b;
  }
  return out;
}

/** Removes what cannot be in one IRC parameter sent by us (CR, LF, NUL). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Ids and times

/**
 * The legacy id of a message from IRC: its IRCv3 `msgid` when the server gives one, else a
 * hash of what the message is (sender, target, text and server time to the second), so the
 * same line replayed again by the server (chanhistory, CHATHISTORY) gets the same id and the
 * archive keeps it once. Lines without a server time get a random id: nothing to compare.
 */
export function messageId(m: { msgid?: string | undefined; time?: number | undefined; nick: string; target: string; text: string; action?: boolean }): string {
  if (m.msgid) return m.msgid;
  if (m.time === undefined) return `rg-${randomUUID()}`;
  const second = Math.floor(m.time / 1000);
  const digest = createHash('sha1')
    .update([second, m.nick, m.target.toLowerCase(), m.action ? 'action' : 'text', m.text].join('\0'))
    .digest('hex');
  return `h-${digest.slice(0, 24)}`;
}

/** Reconnect delay for attempt n (0-based): doubling from `min`, at most `max`, plus up to 20% jitter. */
export function backoffDelay(attempt: number, opts: { minMs: number; maxMs: number }, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base + base * 0.2 * random());
}

// ---------------------------------------------------------------------------------------------
// Errors

/** An IRC error numeric as the XMPP error the user gets. */
export interface MappedError { condition: ErrorCondition; text: string }

const JOIN_ERRORS: Record<string, [ErrorCondition, string]> = {
  '403': ['item-not-found', 'No such channel'],
  '405': ['not-allowed', 'You are in too many channels'],
  '470': ['item-not-found', 'The channel forwards to another channel'],
  '471': ['service-unavailable', 'The channel is full'],
  '473': ['registration-required', 'The channel is invite-only'],
  '474': ['forbidden', 'You are banned from this channel'],
  '475': ['not-authorized', 'The channel needs a key'],
  '476': ['jid-malformed', 'Bad channel name'],
  '477': ['registration-required', 'The channel needs a registered nickname'],
  '479': ['jid-malformed', 'Illegal channel name'],
  '489': ['forbidden', 'The channel needs a secure connection'],
  '520': ['forbidden', 'The channel is for IRC operators only'],
};

const COMMAND_ERRORS: Record<string, ErrorCondition> = {
  '401': 'item-not-found', '403': 'item-not-found', '404': 'forbidden', '406': 'item-not-found',
  '432': 'not-acceptable', '433': 'conflict', '436': 'conflict', '437': 'conflict', '438': 'policy-violation',
  '441': 'item-not-found', '442': 'not-acceptable', '447': 'not-allowed', '472': 'not-allowed',
  '477': 'forbidden', '478': 'not-allowed', '482': 'forbidden', '484': 'not-allowed', '501': 'not-allowed',
};

/** The error a refused JOIN becomes (XEP-0045 §7.2.4-7.2.10 where they match). */
export function joinError(numeric: string, serverText: string): MappedError {
  const known = JOIN_ERRORS[numeric];
  if (known) return { condition: known[0], text: serverText ? `${known[1]}: ${serverText}` : known[1] };
  return { condition: 'not-allowed', text: serverText || `Refused by the IRC server (${numeric})` };
}

/** The error a refused KICK, MODE, TOPIC, NICK, PART or PRIVMSG becomes. */
export function commandError(numeric: string, serverText: string): MappedError {
  return { condition: COMMAND_ERRORS[numeric] ?? 'not-allowed', text: serverText || `Refused by the IRC server (${numeric})` };
}
