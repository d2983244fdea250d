import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay, banMaskFor, cleanIncoming, commandError, decodeIrcLine, incomingBody, ircLower, isChannelName, joinError,
  maskMatches, messageId, messageLines, modeLine, modesForAffiliation, modesForRole, parseHostmask, parseOutgoing,
  splitToBytes, statusFromModes, statusFromSymbols, textBudget, truncateToBytes, type PrefixMode,
} from '../../../../src/legacy/irc/mapping.ts';

const FULL: PrefixMode[] = [
  { mode: 'q', symbol: '~' }, { mode: 'a', symbol: '&' }, { mode: 'o', symbol: '@' }, { mode: 'h', symbol: '%' }, { mode: 'v', symbol: '+' },
];
const PLAIN: PrefixMode[] = [{ mode: 'o', symbol: '@' }, { mode: 'v', symbol: '+' }];
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('prefix symbols map to the contract: ~& owner/moderator, @ admin/moderator, % member/moderator, + and none member/participant', () => {
  assert.deepEqual(statusFromSymbols(['~']), { affiliation: 'owner', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['&']), { affiliation: 'owner', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['@']), { affiliation: 'admin', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['%']), { affiliation: 'member', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['+']), { affiliation: 'member', role: 'participant' });
  assert.deepEqual(statusFromSymbols([]), { affiliation: 'member', role: 'participant' });
  assert.deepEqual(statusFromSymbols(['!']), { affiliation: 'member', role: 'participant' }, 'unknown symbols count as none');
});

test('with multi-prefix the strongest status wins, whatever the order', () => {
  assert.deepEqual(statusFromSymbols(['+', '%', '@']), { affiliation: 'admin', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['+', '~']), { affiliation: 'owner', role: 'moderator' });
  assert.deepEqual(statusFromSymbols(['+', '%']), { affiliation: 'member', role: 'moderator' });
});

test('mode letters map through the server PREFIX table', () => {
  assert.deepEqual(statusFromModes(['q'], FULL), { affiliation: 'owner', role: 'moderator' });
  assert.deepEqual(statusFromModes(['h', 'v'], FULL), { affiliation: 'member', role: 'moderator' });
  assert.deepEqual(statusFromModes(['v'], PLAIN), { affiliation: 'member', role: 'participant' });
  // a server where q is not a prefix mode: it means nothing here
  assert.deepEqual(statusFromModes(['q'], PLAIN), { affiliation: 'member', role: 'participant' });
});

test('affiliations from XMPP become prefix-mode changes', () => {
  assert.deepEqual(modesForAffiliation('admin', [], FULL), { add: ['o'], remove: [] });
  assert.deepEqual(modesForAffiliation('admin', ['q', 'v'], FULL), { add: ['o'], remove: ['q'] });
  assert.deepEqual(modesForAffiliation('owner', [], FULL), { add: ['q'], remove: [] });
  assert.deepEqual(modesForAffiliation('owner', ['a'], FULL), { add: [], remove: [] }, '& already is owner');
  assert.equal(modesForAffiliation('owner', [], PLAIN), null, 'no owner mode on this server');
  assert.deepEqual(modesForAffiliation('member', ['o', 'v'], FULL), { add: [], remove: ['o'] });
  assert.deepEqual(modesForAffiliation('none', ['q', 'a', 'o', 'h'], FULL), { add: [], remove: ['q', 'a', 'o'] }, 'halfop is a role, kept');
  assert.deepEqual(modeLine({ add: ['o'], remove: ['q'] }, 'bob'), ['+o-q', 'bob', 'bob']);
  assert.equal(modeLine({ add: [], remove: [] }, 'bob'), null);
});

test('roles from XMPP become halfop and voice', () => {
  assert.deepEqual(modesForRole('moderator', [], FULL), { add: ['h'], remove: [] });
  assert.deepEqual(modesForRole('moderator', [], PLAIN), { add: ['o'], remove: [] }, 'op where there is no halfop');
  assert.deepEqual(modesForRole('moderator', ['o'], FULL), { add: [], remove: [] });
  assert.deepEqual(modesForRole('participant', ['h'], FULL), { add: ['v'], remove: ['h'] });
  assert.deepEqual(modesForRole('visitor', ['v', 'h'], FULL), { add: [], remove: ['h', 'v'] });
  assert.equal(modesForRole('participant', ['o'], FULL), null, 'an op stays moderator while an op');
});

test('case mapping: ascii, rfc1459 and strict-rfc1459', () => {
  assert.equal(ircLower('#Foo[Bar]^', 'ascii'), '#foo[bar]^');
  assert.equal(ircLower('#Foo[Bar]^', 'rfc1459'), '#foo{bar}~');
  assert.equal(ircLower('#Foo[Bar]^', 'strict-rfc1459'), '#foo{bar}^');
  assert.equal(ircLower('ÉTÉ', 'ascii'), 'ÉtÉ', 'only ASCII letters change');
});

test('channel names follow CHANTYPES', () => {
  assert.ok(isChannelName('#bench'));
  assert.ok(isChannelName('&local'));
  assert.ok(!isChannelName('&local', '#'));
  assert.ok(!isChannelName('bench'));
  assert.ok(!isChannelName('#'));
  assert.ok(!isChannelName('#a b'));
  assert.ok(!isChannelName('#a,b'));
});

test('ban masks match members by nick, user and host, with the case mapping', () => {
  const bob = { nick: 'Bob', user: '~bob', host: 'host.example.org' };
  assert.ok(maskMatches('*!*@host.example.org', bob));
  assert.ok(maskMatches('*!*@*.EXAMPLE.org', bob));
  assert.ok(maskMatches('bob!*@*', bob));
  assert.ok(maskMatches('b?b!~bob@*', bob));
  assert.ok(maskMatches('bob', bob), 'a bare nick is a nick mask');
  assert.ok(!maskMatches('*!*@other.org', bob));
  assert.ok(!maskMatches('alice!*@*', bob));
  assert.ok(maskMatches('*!*@*', { nick: 'x' }), 'everyone matches *!*@*');
  assert.ok(!maskMatches('*!*@host.example.org', { nick: 'Bob' }), 'an unknown host only matches *');
  assert.ok(!maskMatches('m:*!*@*', bob), 'extended bans do not remove anyone');
  assert.ok(!maskMatches('$a:account', bob));
  assert.ok(maskMatches('nick[1]!*@*', { nick: 'NICK{1}' }, 'rfc1459'));
  assert.ok(maskMatches('a.b!*@*', { nick: 'a.b' }) && !maskMatches('a.b!*@*', { nick: 'axb' }), 'regex characters are literal');
  assert.deepEqual(parseHostmask('n!u@h'), { nick: 'n', user: 'u', host: 'h' });
  assert.equal(banMaskFor(bob), '*!*@host.example.org');
  assert.equal(banMaskFor({ nick: 'Bob' }), 'Bob!*@*');
});

test('splitting keeps every piece within the byte limit and breaks at spaces', () => {
  const text = 'the quick brown fox jumps over the lazy dog';
  const pieces = splitToBytes(text, 10);
  for (const p of pieces) assert.ok(bytes(p) <= 10, p);
  assert.deepEqual(pieces, ['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
  assert.deepEqual(splitToBytes('short', 100), ['short']);
});

test('splitting never cuts a character: multi-byte letters, emoji, combining sequences', () => {
  const accents = 'é'.repeat(301); // 2 bytes each
  const pieces = splitToBytes(accents, 101);
  assert.ok(pieces.every((p) => bytes(p) <= 101));
  assert.equal(pieces.join(''), accents);
  assert.ok(!pieces.join('').includes('\ufffd'));
  const emoji = '👨‍👩‍👧 '.repeat(40) + 'x'.repeat(50); // family: one grapheme of 18 bytes
  const p2 = splitToBytes(emoji, 40);
  assert.ok(p2.every((p) => bytes(p) <= 40));
  for (const p of p2) assert.ok(!/^\u200d|\u200d$/.test(p), 'no joiner split off');
  assert.equal(p2.join('').replace(/ /g, ''), emoji.replace(/ /g, ''), 'nothing lost but the spaces at breaks');
  const word = 'x'.repeat(25);
  assert.deepEqual(splitToBytes(word, 10), ['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx'], 'a word longer than a line is cut');
});

test('the text budget leaves room for the relayed prefix, and less for an ACTION', () => {
  const b = { nick: 'romeo', user: '~romeo', host: '127.0.0.1', lineLen: 512 };
  const plain = textBudget('PRIVMSG', '#chan', b);
  assert.equal(plain, 512 - bytes(':romeo!~romeo@127.0.0.1 ') - bytes('PRIVMSG #chan :') - 2);
  assert.equal(textBudget('PRIVMSG', '#chan', b, true), plain - 9);
  // unknown user/host: the server's limits are assumed
  assert.ok(textBudget('PRIVMSG', '#chan', { nick: 'romeo' }) < plain);
});

test('a long message becomes several PRIVMSG lines that each fit in 512 bytes when relayed', () => {
  const b = { nick: 'romeo', user: '~romeo', host: 'a-rather-long-host-name.example.org' };
  const body = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  const lines = messageLines('#chan', body, b);
  assert.ok(lines.length > 1);
  for (const line of lines) assert.ok(bytes(`:romeo!~romeo@a-rather-long-host-name.example.org ${line}\r\n`) <= 512, line);
  assert.equal(lines.map((l) => l.slice('PRIVMSG #chan :'.length)).join(' '), body);
});

test('/me becomes a CTCP ACTION, new lines become separate messages, empty lines are dropped', () => {
  assert.deepEqual(parseOutgoing('/me waves'), [{ action: true, text: 'waves' }]);
  assert.deepEqual(parseOutgoing('/meh'), [{ action: false, text: '/meh' }]);
  assert.deepEqual(parseOutgoing('one\r\n\ntwo\n/me three'), [{ action: false, text: 'one' }, { action: false, text: 'two' }, { action: false, text: '/me three' }]);
  assert.deepEqual(messageLines('#c', '/me waves\nhello', { nick: 'n', user: 'u', host: 'h' }), ['PRIVMSG #c :\x01ACTION waves\x01', 'PRIVMSG #c :hello']);
  assert.equal(incomingBody('waves', true), '/me waves');
});

test('incoming text loses IRC formatting and anything XML cannot carry, never the text', () => {
  assert.equal(cleanIncoming('\x02bold\x02 \x0304,12red\x03 \x1ditalic\x1d \x1funder\x0f'), 'bold red italic under');
  assert.equal(cleanIncoming('\x0412ab34hex\x04'), 'hex');
  assert.equal(cleanIncoming('bell\x07 nul\x00 ok\ttab'), 'bell nul ok\ttab');
  assert.equal(cleanIncoming('score 10,5'), 'score 10,5', 'digits after plain text stay');
  assert.equal(cleanIncoming('\x03' + '10,5 apples'), ' apples');
  assert.equal(cleanIncoming('lone \ud800 surrogate'), 'lone  surrogate');
});

test('lines that are not UTF-8 are read as Latin-1: shown, not dropped', () => {
  assert.equal(decodeIrcLine(Buffer.from('PRIVMSG #c :caf\xe9\r\n', 'latin1')), 'PRIVMSG #c :café\r\n');
  assert.equal(decodeIrcLine(Buffer.from('PRIVMSG #c :café\r\n', 'utf8')), 'PRIVMSG #c :café\r\n');
  assert.equal(decodeIrcLine(Buffer.from([0x41, 0xff, 0xfe])), 'Aÿþ');
});

test('message ids: the msgid tag when present, else stable for the same line replayed', () => {
  assert.equal(messageId({ msgid: 'abc~1', time: 1, nick: 'n', target: '#c', text: 't' }), 'abc~1');
  const live = messageId({ time: Date.parse('2024-06-01T12:00:00.123Z'), nick: 'bob', target: '#c', text: 'hi' });
  const replay = messageId({ time: Date.parse('2024-06-01T12:00:00.000Z'), nick: 'bob', target: '#C'.toLowerCase(), text: 'hi' });
  assert.equal(live, replay, 'server time to the second: a replay with a coarser stamp is the same line');
  assert.match(live, /^h-[0-9a-f]{24}$/);
  assert.notEqual(live, messageId({ time: Date.parse('2024-06-01T12:00:01Z'), nick: 'bob', target: '#c', text: 'hi' }));
  assert.notEqual(live, messageId({ time: Date.parse('2024-06-01T12:00:00Z'), nick: 'bob', target: '#c', text: 'hi', action: true }));
  const a = messageId({ nick: 'n', target: '#c', text: 't' });
  const b = messageId({ nick: 'n', target: '#c', text: 't' });
  assert.notEqual(a, b, 'without a server time nothing says two lines are one');
});

test('errors: a refused JOIN or command becomes the matching XMPP error', () => {
  assert.deepEqual(joinError('474', 'Cannot join channel (+b)'), { condition: 'forbidden', text: 'You are banned from this channel: Cannot join channel (+b)' });
  assert.equal(joinError('473', '').condition, 'registration-required');
  assert.equal(joinError('471', '').condition, 'service-unavailable');
  assert.equal(joinError('475', '').condition, 'not-authorized');
  assert.equal(joinError('999', 'odd').condition, 'not-allowed');
  assert.equal(commandError('482', 'You must be a channel op').condition, 'forbidden');
  assert.equal(commandError('433', 'Nickname is already in use').condition, 'conflict');
  assert.equal(commandError('441', '').condition, 'item-not-found');
});

test('reconnect backoff doubles up to the maximum, with bounded jitter', () => {
  const opts = { minMs: 1000, maxMs: 60_000 };
  assert.equal(backoffDelay(0, opts, () => 0), 1000);
  assert.equal(backoffDelay(1, opts, () => 0), 2000);
  assert.equal(backoffDelay(3, opts, () => 0), 8000);
  assert.equal(backoffDelay(10, opts, () => 0), 60_000);
  assert.equal(backoffDelay(0, opts, () => 1), 1200);
  assert.equal(backoffDelay(1000, opts, () => 0.5), 66_000);
});

test('topics and reasons are cut to the server limit without breaking a character', () => {
  assert.equal(truncateToBytes('ééé', 5), 'éé');
  assert.equal(truncateToBytes('abc', 5), 'abc');
});
