/**
 * XEP-0106 (JID Escaping): how a legacy id with spaces, '@', '/' ... becomes a JID local part.
 * `\` is escaped only where it starts one of the escape sequences (XEP-0106 §4.3).
 */
const ESCAPES: Record<string, string> = {
  ' ': '\\20', '"': '\\22', '&': '\\26', "'": '\\27', '/': '\\2f',
  ':': '\\3a', '<': '\\3c', '>': '\\3e', '@': '\\40', '\\': '\\5c',
};
const UNESCAPES: Record<string, string> = Object.fromEntries(
  Object.entries(ESCAPES).map(([char, seq]) => [seq, char]),
);
const STARTS_SEQUENCE = /^\\(20|22|26|27|2f|3a|3c|3e|40|5c)/i;
const SEQUENCE = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gi;

/** Escapes a string for use as a JID local part (XEP-0106 §4.2, §4.3). */
export function escapeLocalPart(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === '\\') {
      // only a backslash that would read as an escape sequence is escaped
      out += STARTS_SEQUENCE.test(raw.slice(i, i + 3)) ? '\\5c' : '\\';
    } else {
      out += ESCAPES[char] ?? char;
    }
  }
  return out;
}

/** Reverses `escapeLocalPart` (XEP-0106 §4.4). */
export function unescapeLocalPart(escaped: string): string {
  return escaped.replace(SEQUENCE, (seq) => UNESCAPES[seq.toLowerCase()]!);
}
