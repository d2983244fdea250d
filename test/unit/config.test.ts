import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.ts';

const minimal = { component: { jid: 'gw.localhost', secret: 's3cret' }, plugin: { name: 'demo' } };

test('fills defaults for everything but the component and the plugin', () => {
  const c = parseConfig(minimal, {});
  assert.deepEqual(c.xmpp, { host: '127.0.0.1', port: 5347, writeSilentMs: 10_000, receipts: true });
  assert.deepEqual(c.redis, { url: 'redis://127.0.0.1:6379', prefix: 'roomgate' });
  assert.equal(c.partitions, 16);
  assert.equal(c.log.level, 'info');
});

test('names each wrong or missing field', () => {
  const bad = { component: { jid: 'not a domain', secret: '' }, xmpp: { port: 99999 }, redis: { url: 'http://x' }, log: { level: 'loud' } };
  assert.throws(() => parseConfig(bad, {}), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    const problems = e.problems.join('\n');
    for (const path of ['component.jid', 'component.secret', 'xmpp.port', 'redis.url', 'plugin', 'log.level']) {
      assert.match(problems, new RegExp(`^${path.replace('.', '\\.')}:`, 'm'), path);
    }
    return true;
  });
});

test('environment variables override the file', () => {
  const c = parseConfig(minimal, { ROOMGATE_XMPP_PORT: '5999', ROOMGATE_REDIS_URL: 'redis://10.0.0.1:7000', ROOMGATE_LOG_LEVEL: 'debug' });
  assert.equal(c.xmpp.port, 5999);
  assert.equal(c.redis.url, 'redis://10.0.0.1:7000');
  assert.equal(c.log.level, 'debug');
});

test('an environment value of the wrong kind is refused like a file value', () => {
  assert.throws(() => parseConfig(minimal, { ROOMGATE_XMPP_PORT: 'five' }), /xmpp\.port/);
});

test('reads TOML and JSON files, and says when a file cannot be parsed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rg-config-'));
  await writeFile(join(dir, 'a.toml'), '[component]\njid = "gw.localhost"\nsecret = "x"\n[plugin]\nname = "demo"\n[plugin.options]\nhttpPort = 0\n');
  await writeFile(join(dir, 'b.json'), JSON.stringify(minimal));
  await writeFile(join(dir, 'c.toml'), '[component\n');
  assert.deepEqual((await loadConfig(join(dir, 'a.toml'), {})).plugin, { name: 'demo', options: { httpPort: 0 } });
  assert.equal((await loadConfig(join(dir, 'b.json'), {})).component.jid, 'gw.localhost');
  await assert.rejects(loadConfig(join(dir, 'c.toml'), {}), /cannot parse the file/);
  await assert.rejects(loadConfig(join(dir, 'missing.toml'), {}), /cannot read the file/);
});

test('a key roomgate does not know is refused, naming it (e.g. a top-level key written after a [table])', () => {
  assert.throws(() => parseConfig({ ...minimal, redis: { url: 'redis://127.0.0.1:6379', partitions: 64 } }, {}), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.problems.join('\n'), /^redis: .*partitions/m);
    return true;
  });
  assert.throws(() => parseConfig({ ...minimal, partition: 8 }, {}), /partition/);
});

test('upload: none by default; a service JID, or a folder with its URL prefix, never one without the other', () => {
  assert.deepEqual(parseConfig(minimal, {}).upload, { useOriginalUrls: false, slotTimeoutMs: 30_000, cacheSeconds: 6 * 86400 });
  assert.equal(parseConfig({ ...minimal, upload: { service: 'upload.localhost' } }, {}).upload.service, 'upload.localhost');
  assert.throws(() => parseConfig({ ...minimal, upload: { path: '/var/lib/roomgate/files' } }, {}), /upload: path and urlPrefix go together/);
  assert.throws(() => parseConfig({ ...minimal, upload: { service: 'romeo@localhost' } }, {}), /upload\.service/);
  assert.throws(() => parseConfig({ ...minimal, upload: { path: '/x', urlPrefix: 'ftp://x' } }, {}), /upload\.urlPrefix/);
});
