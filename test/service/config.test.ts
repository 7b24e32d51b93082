// Configuration: flags over environment over defaults, clear errors, secrets masked when shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/service/config.ts';

describe('service configuration', () => {
  it('takes defaults, then the environment, then flags', () => {
    const defaults = loadConfig([], {});
    assert.equal(defaults.port, 8080);
    assert.equal(defaults.dataDir, './.teejs');
    assert.equal(defaults.quotas.functionsPerUser, 100);
    assert.equal(defaults.quotas.secretBytes, 5000);
    assert.deepEqual(defaults.network, { allowHosts: ['*'], allowHttp: false, allowPrivateNetwork: false });
    const fromEnv = loadConfig([], { TEEJS_PORT: '9000', TEEJS_ALLOW_HTTP: 'true', TEEJS_ALLOW_HOSTS: 'api.example.com, *.example.org' });
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.network.allowHttp, true);
    assert.deepEqual(fromEnv.network.allowHosts, ['api.example.com', '*.example.org']);
    const fromFlags = loadConfig(['--port', '9001', '--allow-private-network'], { TEEJS_PORT: '9000' });
    assert.equal(fromFlags.port, 9001);
    assert.equal(fromFlags.network.allowPrivateNetwork, true);
  });

  it('refuses bad values with a message naming the setting', () => {
    assert.throws(() => loadConfig(['--port', 'eighty'], {}), (error: unknown) => error instanceof ConfigError && /--port must be a whole number/.test(error.message));
    assert.throws(() => loadConfig([], { TEEJS_PORT: '70000' }), /TEEJS_PORT must be from 0 to 65535/);
    assert.throws(() => loadConfig(['--no-such-flag'], {}), ConfigError);
    assert.throws(() => loadConfig(['--default-timeout', '90000'], {}), /default timeout is above the maximum/);
    assert.throws(() => loadConfig([], { TEEJS_ALLOW_HTTP: 'maybe' }), /must be true or false/);
    assert.throws(() => loadConfig([], { DATABASE_URL: 'mysql://x' }), /postgres:\/\//);
    assert.throws(() => loadConfig([], { TEEJS_ALLOW_HOSTS: 'https://x/' }), ConfigError);
    assert.throws(() => loadConfig(['--admin-key', 'x'], {}), ConfigError, 'secrets are never flags');
  });

  it('masks secrets when the configuration is shown', () => {
    const config = loadConfig([], { DATABASE_URL: 'postgres://teejs:hunter2@db.internal:5432/teejs', TEEJS_ADMIN_KEY: 'tjs_secret', TEEJS_MASTER_KEY: Buffer.alloc(32).toString('base64') });
    const shown = JSON.stringify(describeConfig(config));
    assert.ok(!shown.includes('hunter2') && !shown.includes('tjs_secret') && !shown.includes(Buffer.alloc(32).toString('base64')));
    assert.match(shown, /postgres:\/\/teejs:\*\*\*\*\*@db\.internal:5432\/teejs/);
  });
});
