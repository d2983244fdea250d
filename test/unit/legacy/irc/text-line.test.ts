// The fast parser of channel text lines agrees with irc-framework's parser wherever it parses,
// and leaves to irc-framework every line it cannot read the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parseIrcLine from 'irc-framework/src/irclineparser.js';
import { parseTextLine } from '../../../../src/legacy/irc/text-line.ts';

const plain = (m: object) => JSON.parse(JSON.stringify(m, ['tags', 'prefix', 'nick', 'ident', 'hostname', 'command', 'params', ...tagKeys(m)]));
const tagKeys = (m: object) => Object.keys((m as { tags: object }).tags);

const PARSED = [
  '@msgid=LDLYHU9Z0IMRJ6R;time=2026-12-07T03:40:00.123Z :bob!b@bob.host PRIVMSG #bench :message 1\r\n',
  ':alice!a@alice.host PRIVMSG #Chan :hello \x02world\x02\r\n',
  ':dave!d@dave.host PRIVMSG #Chan :\x01ACTION dances\x01\n',
  ':eve!e@eve.host NOTICE #Chan :a notice',
  ':alice!a@alice.host PRIVMSG @#Chan :ops only\r\n',
  ':bob!b@bob.host PRIVMSG romeo :a private line with  two spaces and a trailing one \r\n',
  ':bob!b@bob.host PRIVMSG #c :\r\n',
  ':bob!b@bob.host PRIVMSG #c ::colons: all the way\r\n',
  '@Time=2026-12-07T03:40:00Z;+draft/reply=abc;flag;=novalue;dup=1;dup=2 :bob!b@h PRIVMSG #c :tags\r\n',
  '@ :bob!b@h PRIVMSG #c :no tags at all\r\n',
  ':irc.example.net NOTICE romeo :*** a server notice\r\n',
  ':NickServ NOTICE romeo :nick only\r\n',
  ':bob@host PRIVMSG #c :nick and host\r\n',
  ':bob!user PRIVMSG #c :nick and user\r\n',
  ':bob!b@h PRIVMSG #c :caf\u00e9 \u{1F600} \u00e0 la carte\r\n',
];

const DECLINED = [
  ':bob!b@h JOIN #c\r\n', // another command
  ':bob!b@h privmsg #c :lower-case command\r\n',
  'PRIVMSG #c :no prefix\r\n',
  ':bob!b@h PRIVMSG #c word\r\n', // a text without its colon
  ':bob!b@h PRIVMSG :text only\r\n',
  ':bob!b@h PRIVMSG :a :b\r\n',
  ':bob!b@h  PRIVMSG #c :doubled space\r\n',
  ':bob!b@h PRIVMSG  #c :doubled space\r\n',
  ':bob!b@h PRIVMSG #c  :doubled space\r\n',
  '@a=b  :bob!b@h PRIVMSG #c :doubled space\r\n',
  '@label=a\\sb :bob!b@h PRIVMSG #c :escaped tag\r\n',
  ':a@b!c PRIVMSG #c :at before bang\r\n',
  ':bob!b@h PRIVMSG #c :ends in two\r\r\n',
  ':bob!b@h PRIVMSG\r\n',
  ':bob!b@h PRIVMSG #c\r\n',
  '@only-tags\r\n',
];

test('parses PRIVMSG and NOTICE lines as irc-framework does', () => {
  for (const line of PARSED) {
    const fast = parseTextLine(line);
    assert.ok(fast, `parsed: ${JSON.stringify(line)}`);
    assert.deepEqual(plain(fast), plain(parseIrcLine(line)), JSON.stringify(line));
  }
});

test('leaves other commands and unusual spellings to irc-framework', () => {
  for (const line of DECLINED) assert.equal(parseTextLine(line), null, JSON.stringify(line));
});
