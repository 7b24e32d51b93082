// `teejs deploy` of a set of modules (a file and what it imports, or a folder) with --env and
// --env-file, and `teejs logs --follow` on the live log stream, resuming after a cut connection.
// The real `teejs` command in a child process, against a real service started in this process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestService, type TestService } from '../service/helpers.ts';
import { nodeBin, runProcess, type Finished as Ran } from '../support/spawn.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A TCP proxy to `target` whose open connections can be cut (a lost connection), while it keeps listening. */
async function cuttableProxy(target: URL): Promise<{ url: string; cut(): void; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('teejs deploy of modules and env, teejs logs --follow', () => {
  let t: TestService;
  let home: string;
  let key: string;

  const envFor = (url: string): NodeJS.ProcessEnv => ({ ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), TEEJS_URL: url, TEEJS_API_KEY: key });

  function teejs(args: string[], url = t.url): Promise<Ran> {
    return runProcess(nodeBin, ['--no-node-snapshot', main, ...args], { env: envFor(url), cwd: home });
  }

  /** A long-running `teejs ARGS`, with its output so far. */
  function background(args: string[], url = t.url): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
    const child = spawn(nodeBin, ['--no-node-snapshot', main, ...args], { env: envFor(url), cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return { child, out: () => stdout, err: () => stderr, exited };
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(home, file)), { recursive: true });
    writeFileSync(path.join(home, file), text);
  };

  before(async () => {
    t = await startTestService();
    home = mkdtempSync(path.join(tmpdir(), 'teejs-cli-modules-'));
    key = (await t.api.newUser(t.adminKey, 'cli-modules')).key;
    write('greeter/main.mjs', "import { greet } from './lib/greet.mjs';\nexport default (params, context) => greet(params.name ?? 'you', context.env);\n");
    write('greeter/lib/greet.mjs', "export const greet = (name, env) => `${env.GREETING}, ${name}${env.PUNCTUATION ?? ''}`;\n");
    write('greeter.env', '# the greeter\'s configuration\nGREETING="Good morning"\n\nPUNCTUATION=!\n');
  });
  after(async () => {
    await t.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('deploys a folder as a set of modules with env from a file and the command line', async () => {
    const deployed = await teejs(['deploy', path.join(home, 'greeter'), '--env-file', path.join(home, 'greeter.env'), '--env', 'GREETING=Hello']);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /^created greeter: version 1 \(id [^)]+\)\n {2}modules: main\.mjs, lib\/greet\.mjs \(entry main\.mjs\)\n {2}env: GREETING, PUNCTUATION\n$/);
    const invoked = JSON.parse((await teejs(['invoke', 'greeter', '--params', '{"name":"Ada"}', '--json'])).stdout);
    assert.equal(invoked.result, 'Hello, Ada!');
    // Without --env the env stays; a new version of the code.
    write('greeter/lib/greet.mjs', "export const greet = (name, env) => `${env.GREETING} ${name}`;\n");
    const again = JSON.parse((await teejs(['deploy', path.join(home, 'greeter', 'main.mjs'), '--name', 'greeter', '--json'])).stdout);
    assert.deepEqual([again.version, again.created, again.modules, again.env], [2, false, ['main.mjs', 'lib/greet.mjs'], { GREETING: 'Hello', PUNCTUATION: '!' }]);
    assert.equal(JSON.parse((await teejs(['invoke', 'greeter', '--json'])).stdout).result, 'Hello you');
  });

  it('refuses a cycle, a broken module and a bad env naming the file, and deploys nothing', async () => {
    write('cyclic/main.mjs', "import { a } from './a.mjs';\nexport default () => a;\n");
    write('cyclic/a.mjs', "import { b } from './b.mjs';\nexport const a = 1;\n");
    write('cyclic/b.mjs', "import { a } from './a.mjs';\nexport const b = a;\n");
    const cycle = await teejs(['deploy', path.join(home, 'cyclic', 'main.mjs')]);
    assert.equal(cycle.code, 1);
    assert.equal(cycle.stderr, 'teejs: VALIDATION_ERROR: the modules import each other in a cycle: "a.mjs" → "b.mjs" → "a.mjs"; move what they share into a module both import; nothing was deployed\n');
    write('broken/main.mjs', "import { x } from './lib/x.mjs';\nexport default () => x;\n");
    write('broken/lib/x.mjs', 'export const x = (;\n');
    const broken = await teejs(['deploy', path.join(home, 'broken', 'main.mjs')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`^teejs: ${path.join(home, 'broken', 'lib', 'x.mjs').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:\\d+: SyntaxError: .*; nothing was deployed\n$`));
    const badEnv = await teejs(['deploy', path.join(home, 'greeter'), '--name', 'other', '--env', 'not a pair']);
    assert.equal(badEnv.code, 2);
    assert.equal(badEnv.stderr, "teejs: --env: expected NAME=VALUE, got 'not a pair'\n");
    const badName = await teejs(['deploy', path.join(home, 'greeter'), '--name', 'other', '--env', '1X=y']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /env name "1X" must be letters, digits and _/);
    const listed = (await t.api.get('/v1/functions', key)).body.items.map((fn: { name: string }) => fn.name);
    assert.deepEqual(listed, ['greeter'], 'nothing else was deployed');
  });

  it('bundles a function that imports an npm package, and refuses one whose package needs Node built-ins', async () => {
    write('packaged/node_modules/tiny-case/package.json', JSON.stringify({ name: 'tiny-case', type: 'module', exports: './index.js' }));
    write('packaged/node_modules/tiny-case/index.js', 'export const shout = (text) => text.toUpperCase();\n');
    write('packaged/main.mjs', "import { shout } from 'tiny-case';\nexport default (params) => shout(params.text);\n");
    const deployed = await teejs(['deploy', path.join(home, 'packaged', 'main.mjs'), '--name', 'packaged']);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stderr, /main\.mjs imports npm packages: bundling it with them \(as 'teejs bundle'\)/);
    assert.equal(JSON.parse((await teejs(['invoke', 'packaged', '--params', '{"text":"hi"}', '--json'])).stdout).result, 'HI');
    write('nodey/node_modules/reads-files/package.json', JSON.stringify({ name: 'reads-files', main: 'index.js' }));
    write('nodey/node_modules/reads-files/index.js', "const fs = require('node:fs');\nexports.read = () => fs.readFileSync('/etc/hostname', 'utf8');\n");
    write('nodey/main.mjs', "import { read } from 'reads-files';\nexport default () => read();\n");
    const refused = await teejs(['deploy', path.join(home, 'nodey', 'main.mjs'), '--name', 'nodey']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot be bundled: .*reads-files.*node:fs.*; nothing was deployed\n$/);
    assert.equal((await t.api.get('/v1/functions', key)).body.items.some((fn: { name: string }) => fn.name === 'nodey'), false);
  });

  it('follows a running execution line by line, and resumes after a cut connection without repeating a line', async () => {
    write('talker.mjs', [
      'export default async () => {',
      "  console.log('one');",
      // Long enough that the first line is seen live even on a busy machine.
      '  await new Promise((resolve) => setTimeout(resolve, 8000));',
      "  console.log('two');",
      '  await new Promise((resolve) => setTimeout(resolve, 3000));',
      "  console.log('three');",
      "  return 'done';",
      '}',
      '',
    ].join('\n'));
    assert.equal((await teejs(['deploy', path.join(home, 'talker.mjs'), '--timeout', '30000'])).code, 0);
    const proxy = await cuttableProxy(new URL(t.url));
    const follower = background(['logs', 'talker', '--follow'], proxy.url);
    try {
      const fn = (await t.api.get('/v1/functions', key)).body.items.find((f: { name: string }) => f.name === 'talker');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
      await until('the first line', () => / log {3}one\n/.test(follower.out()));
      assert.equal((await t.api.get(`/v1/executions/${run.body.executionId}`, key)).body.status, 'running', 'printed while it runs');
      proxy.cut();
      await until('the end line', () => / end {3}success in /.test(follower.out()));
      const lines = follower.out().trim().split('\n').map((line) => line.split(/\s+/).slice(2, 4).join(' '));
      assert.deepEqual(lines, ['log one', 'log two', 'log three', 'end success'], follower.out());
      assert.match(follower.err(), /lost the log stream of .{8} \(.*\); resuming every 1 s after the last line printed\n/);
    } finally {
      follower.child.kill('SIGTERM');
      await follower.exited;
      proxy.close();
    }
  });

  it('prints one execution with --execution, and follows it until it ends', async () => {
    const fn = (await t.api.get('/v1/functions', key)).body.items.find((f: { name: string }) => f.name === 'talker');
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
    const followed = await teejs(['logs', '--execution', run.body.executionId, '--follow', '--json']);
    assert.equal(followed.code, 0, followed.stderr);
    const records = followed.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(records.map((record) => record.message ?? record.end), ['one', 'two', 'three', 'success']);
    const printed = await teejs(['logs', '--execution', run.body.executionId]);
    assert.equal(printed.stdout.trim().split('\n').length, 4);
    const missing = await teejs(['logs', '--execution', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'teejs: NOT_FOUND: execution not found\n');
  });
});
