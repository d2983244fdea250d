import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XmppError } from '../../../../src/legacy/index.ts';
import { BUNDLED_PLUGINS } from '../../../../src/legacy/plugins.ts';
import { identFor, ircPlugin, parseIrcOptions, registrationFields, serverFor } from '../../../../src/legacy/irc/index.ts';

const isCondition = (condition: string) => (err: unknown) => err instanceof XmppError && err.condition === condition;

test('the plugin is bundled as "irc"', () => {
  assert.equal(BUNDLED_PLUGINS.irc, ircPlugin);
});

test('options: defaults, and each bad field named with a clear message', () => {
  const opts = parseIrcOptions({});
  assert.equal(opts.server, undefined);
  assert.deepEqual(opts.throttle, { burst: 5, linesPerSecond: 2 });
  assert.deepEqual(opts.reconnect, { minDelayMs: 1000, maxDelayMs: 300_000 });
  assert.deepEqual(parseIrcOptions({ server: { host: 'irc.libera.chat' } }).server, { host: 'irc.libera.chat', tls: true, rejectUnauthorized: true });
  assert.throws(() => parseIrcOptions({ server: { host: '', port: 99999, tls: 'yes' }, throttle: { burst: 0 } }), (err: Error) => {
    assert.match(err.message, /^irc plugin options:/);
    assert.match(err.message, /server\.host: must not be empty/);
    assert.match(err.message, /server\.port: must be 1-65535/);
    assert.match(err.message, /server\.tls: must be true or false/);
    assert.match(err.message, /throttle\.burst: must be at least 1/);
    return true;
  });
  assert.throws(() => parseIrcOptions({ sever: { host: 'x' } }), /sever/, 'a typo is refused, not ignored');
  assert.throws(() => parseIrcOptions({ reconnect: { minDelayMs: 5000, maxDelayMs: 1000 } }), /maxDelayMs must not be below minDelayMs/);
});

test('registration: nickname and password with a fixed server; server, port and TLS otherwise', () => {
  assert.deepEqual(registrationFields({ server: { host: 'x' } }).map((f) => [f.var, !!f.required]), [['nickname', true], ['password', false]]);
  assert.deepEqual(registrationFields({}).map((f) => [f.var, !!f.required]), [
    ['nickname', true], ['password', false], ['server', true], ['port', false], ['tls', false],
  ]);
  assert.equal(registrationFields({}).find((f) => f.var === 'password')!.type, 'text-private');
});

test('start() fits the registration form to the options', async () => {
  const { pino } = await import('pino');
  const log = pino({ level: 'silent' });
  const fields = ircPlugin.registration.fields;
  try {
    await ircPlugin.start({ options: { server: { host: 'irc.example.org' } }, log });
    assert.deepEqual(ircPlugin.registration.fields.map((f) => f.var), ['nickname', 'password']);
    await ircPlugin.start({ options: {}, log });
    assert.deepEqual(ircPlugin.registration.fields.map((f) => f.var), ['nickname', 'password', 'server', 'port', 'tls']);
    await assert.rejects(ircPlugin.start({ options: { server: { port: 1 } }, log }), /server\.host/);
  } finally {
    ircPlugin.registration.fields = fields;
  }
});

test('the server of a user: fixed, or from the registration, checked', () => {
  const fixed = parseIrcOptions({ server: { host: 'irc.example.org', tls: false } });
  assert.deepEqual(serverFor(fixed, { nickname: 'r', password: 'pw' }), { host: 'irc.example.org', port: 6667, tls: false, rejectUnauthorized: true, password: 'pw' });
  const open = parseIrcOptions({});
  assert.deepEqual(serverFor(open, { nickname: 'r', server: 'irc.libera.chat' }), { host: 'irc.libera.chat', port: 6697, tls: true, rejectUnauthorized: true, password: undefined });
  assert.equal(serverFor(open, { server: 'h', tls: 'false' }).port, 6667);
  assert.equal(serverFor(open, { server: 'h', tls: '0', port: '7000' }).port, 7000);
  assert.throws(() => serverFor(open, { nickname: 'r' }), isCondition('not-acceptable'));
  assert.throws(() => serverFor(open, { server: 'h', port: 'x' }), isCondition('not-acceptable'));
  assert.throws(() => serverFor(open, { server: 'h', tls: 'maybe' }), isCondition('not-acceptable'));
  assert.throws(() => serverFor(open, { server: 'bad host' }), isCondition('not-acceptable'));
  const limited = parseIrcOptions({ allowedHosts: ['irc.libera.chat'] });
  assert.throws(() => serverFor(limited, { server: '10.0.0.1' }), isCondition('not-allowed'));
  assert.equal(serverFor(limited, { server: 'IRC.libera.chat' }).host, 'IRC.libera.chat');
});

test('the ident comes from the nick', () => {
  assert.equal(identFor('Romeo_[away]'), 'romeoaway');
  assert.equal(identFor('___'), 'roomgate');
  assert.equal(identFor('averyveryverylongnick'), 'averyveryv');
});
