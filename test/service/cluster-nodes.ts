// Real `teejs serve` nodes on one PostgreSQL schema, for the cluster and chaos tests: each in
// a process group of its own (so a test can signal the whole group, executors included) and
// its own data directory, all with the same operator and master keys.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateApiKey } from '../../src/service/auth/keys.ts';
import { binDir, projectRoot } from '../support/spawn.ts';
import { until } from '../support/wait.ts';
import { Api } from './helpers.ts';

export interface ClusterNode {
  id: string;
  child: ChildProcess;
  api: Api;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dataDir: string;
  /** Signals the node's whole process group. */
  signal(signal: NodeJS.Signals): void;
}

export class Cluster {
  readonly adminKey = generateApiKey().key;
  readonly #masterKey = randomBytes(32).toString('base64');
  readonly #schema = `teejs_cluster_${randomBytes(6).toString('hex')}`;
  readonly #url: string;
  readonly nodes: ClusterNode[] = [];
  databaseUrl = '';

  constructor(url: string) {
    this.#url = url;
  }

  async setUp(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${this.#schema}`);
    await client.end();
    const withSchema = new URL(this.#url);
    withSchema.searchParams.set('options', `-c search_path=${this.#schema}`);
    this.databaseUrl = withSchema.toString();
  }

  async tearDown(): Promise<void> {
    for (const node of this.nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.signal('SIGKILL');
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    const client = new pg.Client({ connectionString: this.#url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${this.#schema} CASCADE`);
    await client.end();
  }

  spawn(id: string, flags: string[]): ClusterNode {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-cluster-'));
    const child = spawn(path.join(binDir, 'teejs'), ['serve', '--data-dir', dataDir, '--port', '0', '--node-id', id, '--log-level', 'warn', ...flags], {
      cwd: projectRoot,
      detached: true,
      env: { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, TEEJS_ADMIN_KEY: this.adminKey, TEEJS_MASTER_KEY: this.#masterKey, DATABASE_URL: this.databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const node: ClusterNode = {
      id,
      child,
      api: new Api('http://unset'),
      output: () => output,
      exited,
      dataDir,
      signal(signal) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // Already gone.
        }
      },
    };
    this.nodes.push(node);
    return node;
  }

  async start(id: string, flags: string[]): Promise<ClusterNode> {
    const node = this.spawn(id, flags);
    await until(`node ${id} listens`, async () => {
      if (node.child.exitCode !== null || node.child.signalCode !== null) throw new Error(`node ${id} exited:\n${node.output()}`);
      return /listening on http:\/\/[\d.:]+/.test(node.output());
    });
    node.api = new Api(/listening on (http:\/\/[\d.:]+)/.exec(node.output())![1]!);
    return node;
  }
}
