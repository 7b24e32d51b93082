// The service commands (login, deploy, invoke, logs, executions, secrets, versions) as a user
// runs them: the real `teejs` command in a child process, against a real service started in
// this process, with a config folder of its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, unwrap } from '../../src/client/index.ts';
import { startTestService, type TestService } from '../service/helpers.ts';
import { nodeBin, runProcess, type Finished as Ran } from '../support/spawn.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));

/** A loopback port nothing listens on (it did a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('teejs service commands', () => {
  let t: TestService;
  let home: string;
  let key: string;
  let configFile: string;

  /** Runs `teejs ARGS` with the test's config folder; `env` adds or (with undefined) removes variables. */
  function teejs(args: string[], options: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<Ran> {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), HOME: home };
    delete env.TEEJS_URL;
    delete env.TEEJS_API_KEY;
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return runProcess(nodeBin, ['--no-node-snapshot', main, ...args], { env, cwd: home, input: options.input ?? '' });
  }

  const oneLine = (ran: Ran) => assert.equal(ran.stderr.trimEnd().split('\n').length, 1, `one line on stderr: ${ran.stderr}`);

  before(async () => {
    t = await startTestService();
    home = mkdtempSync(path.join(tmpdir(), 'teejs-cli-'));
    configFile = path.join(home, 'config', 'teejs', 'config.json');
    const admin = createClient({ baseUrl: t.url, apiKey: t.adminKey });
    key = (await unwrap(admin.POST('/v1/users', { body: { name: 'cli-user' } }))).apiKey.key;
  });
  after(async () => {
    await t.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('has --help for every command, and usage errors are status 2 with one line', async () => {
    for (const command of ['login', 'deploy', 'invoke', 'logs', 'executions', 'secrets', 'versions', 'rollback']) {
      const ran = await teejs([command, '--help']);
      assert.equal(ran.code, 0, `${command} --help: ${ran.stderr}`);
      assert.match(ran.stdout, new RegExp(`^Usage: teejs ${command}`), command);
      assert.match(ran.stdout, /--json/, `${command} documents --json`);
    }
    const top = await teejs(['--help']);
    for (const command of ['login', 'deploy', 'invoke', 'logs', 'executions', 'secrets', 'versions', 'rollback']) assert.match(top.stdout, new RegExp(`teejs ${command}`));
    for (const args of [['deploy'], ['invoke'], ['invoke', 'a', 'b'], ['logs', '--limit', '0', 'x'], ['secrets'], ['secrets', 'show'], ['invoke', 'x', '--params', '{'], ['versions', '--bogus', 'x'], ['rollback', 'x'], ['rollback', 'x', 'latest']]) {
      const ran = await teejs(args);
      assert.equal(ran.code, 2, `${args.join(' ')}: ${ran.stderr}`);
      oneLine(ran);
    }
  });

  it('says how to log in when it has neither a config nor the environment', async () => {
    const ran = await teejs(['versions', 'x']);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /not logged in: run `teejs login`, or set TEEJS_URL and TEEJS_API_KEY/);
    oneLine(ran);
  });

  it('logs in with a key from stdin into a config only its owner can read, and refuses a wrong key', async () => {
    const wrong = await teejs(['login', '--url', t.url], { input: 'tj_wrong_key_000000000000000000000000\n' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /UNAUTHORIZED/);
    assert.throws(() => statSync(configFile), /ENOENT/, 'nothing stored');

    const ran = await teejs(['login', '--url', `${t.url}/`, '--json'], { input: `${key}\n` });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(JSON.parse(ran.stdout).user.name, 'cli-user');
    assert.equal(statSync(configFile).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(configFile, 'utf8')), { url: t.url, apiKey: key });
  });

  it('refuses a config file others can read, saying why; the environment overrides it', async () => {
    chmodSync(configFile, 0o644);
    try {
      const ran = await teejs(['secrets', 'list']);
      assert.equal(ran.code, 1);
      assert.match(ran.stderr, /refusing .*config\.json: its mode 644 lets other users read or change the API key it holds; run `chmod 600/);
      oneLine(ran);
      const fromEnv = await teejs(['secrets', 'list'], { env: { TEEJS_URL: t.url, TEEJS_API_KEY: key } });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
    } finally {
      chmodSync(configFile, 0o600);
    }
    const closed = await closedPort();
    const unreachable = await teejs(['secrets', 'list'], { env: { TEEJS_URL: `http://127.0.0.1:${closed}` } });
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `teejs: cannot reach http://127.0.0.1:${closed}: ECONNREFUSED\n`);
  });

  it('deploys a file as a new function, then as its next version; a syntax error changes nothing', async () => {
    const created = await teejs(['deploy', path.join(fixtures, 'hello.mjs')]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created hello: version 1 \(id [\w-]+\)\n$/);
    const updated = await teejs(['deploy', path.join(fixtures, 'hello.mjs'), '--json']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual({ ...JSON.parse(updated.stdout), id: undefined }, { id: undefined, name: 'hello', version: 2, created: false, modules: null, env: {} });

    const broken = await teejs(['deploy', path.join(fixtures, 'syntax-error.mjs'), '--name', 'hello']);
    assert.equal(broken.code, 1);
    oneLine(broken);
    assert.match(broken.stderr, /syntax-error\.mjs:2:\d+: SyntaxError: .*; nothing was deployed/);
    const versions = await teejs(['versions', 'hello', '--json']);
    assert.equal(JSON.parse(versions.stdout).active, 2, 'still version 2');
    assert.deepEqual(JSON.parse(versions.stdout).items.map((v: { version: number }) => v.version), [1, 2]);
    const table = await teejs(['versions', 'hello']);
    assert.match(table.stdout, /^\* 2 /m);
  });

  it('invokes a function synchronously or in the background; a failed execution is status 1', async () => {
    const ran = await teejs(['invoke', 'hello', '--params', '{"name":"cli"}']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^log   hello from /m);
    assert.match(ran.stdout, /"hi": "cli"/);
    assert.match(ran.stdout, /^success in [\d.]+ ms .*execution [\w-]+ \(version 2\)$/m);
    const json = JSON.parse((await teejs(['invoke', 'hello', '--json'])).stdout);
    assert.equal(json.status, 'success');
    assert.equal(json.result.hi, 'world');
    const started = await teejs(['invoke', 'hello', '--async', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const { executionId } = JSON.parse(started.stdout);
    assert.equal((await t.api.settled(executionId, key)).status, 'success');

    assert.equal((await teejs(['deploy', path.join(fixtures, 'throws.mjs')])).code, 0);
    const failed = await teejs(['invoke', 'throws']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /^error RUNTIME_ERROR: Error: expected failure/m);
    const missing = await teejs(['invoke', 'nothing-here']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no function named 'nothing-here'/);
  });

  it('lists executions and prints their logs', async () => {
    const listed = await teejs(['executions', 'hello', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout).items.length, 3);
    const table = await teejs(['executions', 'hello', '--limit', '2']);
    assert.match(table.stdout, /^EXECUTION +STATUS +VERSION/);
    assert.equal(table.stdout.trim().split('\n').length, 3);
    const logs = await teejs(['logs', 'hello']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout.match(/ log   hello from /g)?.length, 3);
    assert.match(logs.stdout, / end   success in /);
    const records = (await teejs(['logs', 'throws', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(records.map((record) => record.message ?? record.end), ['about to fail', 'error']);
  });

  it('follows logs: an execution that ends later is printed', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), HOME: home };
    const child = spawn(nodeBin, ['--no-node-snapshot', main, 'logs', 'throws', '--follow', '--limit', '1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    try {
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 20_000;
        while ((stdout.match(/about to fail/g)?.length ?? 0) < count) {
          if (Date.now() > deadline) throw new Error(`no ${count} lines: ${stdout}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await waitFor(1);
      const throws = (await unwrap(createClient({ baseUrl: t.url, apiKey: key }).GET('/v1/functions'))).items.find((fn) => fn.name === 'throws')!;
      await t.api.post(`/v1/functions/${throws.id}/executions`, key, { async: true });
      await waitFor(2);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('rolls back to an older version and forward again, and refuses a version that does not exist', async () => {
    const back = await teejs(['rollback', 'hello', '1']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, 'hello: version 1 is active (was 2)\n');
    assert.match((await teejs(['versions', 'hello'])).stdout, /^\* 1 /m);
    assert.equal(JSON.parse((await teejs(['invoke', 'hello', '--json'])).stdout).functionVersion, 1);
    const missing = await teejs(['rollback', 'hello', '9']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "teejs: hello has no version 9 (see 'teejs versions hello')\n");
    const redeployed = JSON.parse((await teejs(['deploy', path.join(fixtures, 'hello.mjs'), '--json'])).stdout);
    assert.equal(redeployed.version, 3, 'the next deploy is numbered after the newest');
    const forward = JSON.parse((await teejs(['rollback', 'hello', '2', '--json'])).stdout);
    assert.deepEqual([forward.version, forward.previous], [2, 3]);
    // A recorded version, named by invoke: it runs, and the active one stays.
    assert.equal(JSON.parse((await teejs(['invoke', 'hello', '--version', '1', '--json'])).stdout).functionVersion, 1);
    assert.equal(JSON.parse((await teejs(['invoke', 'hello', '--json'])).stdout).functionVersion, 2);
    const badVersion = await teejs(['invoke', 'hello', '--version', 'latest']);
    assert.equal(badVersion.code, 2);
    oneLine(badVersion);
  });

  it('sets a secret from stdin, never echoes it, lists and deletes it', async () => {
    const set = await teejs(['secrets', 'set', 'token'], { input: 'v4lue-from-stdin\n' });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'created secret token (version 1)\n');
    const deployed = await teejs(['deploy', path.join(fixtures, 'reads-secret.mjs'), '--allow-secret', 'token']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const read = JSON.parse((await teejs(['invoke', 'reads-secret', '--json'])).stdout);
    assert.equal(read.secretsRead[0], 'token', 'the function read the value piped in');
    const list = await teejs(['secrets', 'list', '--json']);
    assert.deepEqual(JSON.parse(list.stdout).map((secret: { name: string }) => secret.name), ['token']);
    assert.ok(!list.stdout.includes('v4lue'));
    const refused = await teejs(['secrets', 'set', 'token', 'v4lue']);
    assert.equal(refused.code, 2, 'a value on the command line is a usage error');
    assert.equal((await teejs(['secrets', 'delete', 'token'])).stdout, 'deleted secret token\n');
    const again = await teejs(['secrets', 'delete', 'token']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^teejs: NOT_FOUND: secret not found\n$/);
  });
});
