/**
 * The line a busy channel is made of, `[@tags ]:nick!user@host PRIVMSG|NOTICE target :text`,
 * parsed into the same message irc-framework's parser makes of it, at a quarter of its cost
 * (its parser splits every tag, lower-cases and unescapes it with a regular expression, and
 * goes through a closure per token). Any other line, or this one in an unusual spelling (tag
 * escapes, doubled spaces, a text without its colon), is null: irc-framework parses it.
 * test/unit/legacy/irc/text-line.test.ts checks both parsers agree.
 */
import type { ParsedMessage } from 'irc-framework';

export function parseTextLine(raw: string): ParsedMessage | null {
  let end = raw.length;
  if (raw.charCodeAt(end - 1) === 10) end--;
  if (raw.charCodeAt(end - 1) === 13) end--;
  const last = raw.charCodeAt(end - 1);
  if (last === 10 || last === 13) return null;

  let at = 0;
  if (raw.charCodeAt(0) === 64 /* @ */) {
    at = raw.indexOf(' ', 1) + 1;
    if (at === 0 || at > end) return null;
  }

  if (raw.charCodeAt(at) !== 58 /* : */) return null;
  const prefixEnd = raw.indexOf(' ', at);
  if (prefixEnd < 0 || prefixEnd >= end) return null;
  const prefix = raw.slice(at + 1, prefixEnd);
  const commandEnd = raw.indexOf(' ', prefixEnd + 1);
  if (commandEnd < 0 || commandEnd >= end) return null;
  const command = raw.slice(prefixEnd + 1, commandEnd);
  if (command !== 'PRIVMSG' && command !== 'NOTICE') return null;
  if (raw.charCodeAt(commandEnd + 1) === 58) return null; // no target: the text only
  const targetEnd = raw.indexOf(' ', commandEnd + 1);
  if (targetEnd < 0 || targetEnd >= end || targetEnd === commandEnd + 1 || raw.charCodeAt(targetEnd + 1) !== 58) return null;

  const mask = parseMask(prefix);
  if (!mask) return null;
  // the tags last: any other line (NAMES, JOIN ...) is irc-framework's, which reads them itself
  const tags = at ? parseTags(raw.slice(1, at - 1)) : Object.create(null) as Record<string, string>;
  if (!tags) return null;
  const { nick, ident, hostname } = mask;
  return {
    tags, prefix, nick, ident, hostname, command,
    params: [raw.slice(commandEnd + 1, targetEnd), raw.slice(targetEnd + 2, end)],
  };
}

/** `key=value;flag` as irc-framework reads it (keys lower-cased); null for escapes (`\\`), left to it. */
function parseTags(text: string): Record<string, string> | null {
  if (text.includes('\\')) return null;
  const tags: Record<string, string> = Object.create(null);
  for (const tag of text.split(';')) {
    const eq = tag.indexOf('=');
    const key = (eq < 0 ? tag : tag.slice(0, eq)).toLowerCase();
    if (key) tags[key] = eq < 0 ? '' : tag.slice(eq + 1);
  }
  return tags;
}

/**
 * irc-framework's reading of a prefix: `nick!user@host`, `nick@host`, `nick!user`, a server or
 * a nick; null for an `@` before the `!`, which it reads in its own odd way.
 */
function parseMask(mask: string): { nick: string; ident: string; hostname: string } | null {
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@');
  if (bang >= 0 && at >= 0 && at < bang) return null;
  if (bang < 0 && at < 0) return mask.includes('.') ? { nick: '', ident: '', hostname: mask } : { nick: mask, ident: '', hostname: '' };
  if (bang < 0) return { nick: mask.slice(0, at), ident: '', hostname: mask.slice(at + 1) };
  if (at < 0) return { nick: mask.slice(0, bang), ident: mask.slice(bang + 1), hostname: '' };
  return { nick: mask.slice(0, bang), ident: mask.slice(bang + 1, at), hostname: mask.slice(at + 1) };
}
