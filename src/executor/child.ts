// The executor process: runs executions on the isolation core for its host, over IPC. It is
// started with a clean environment and Node's permission model (no filesystem writes, no child
// processes, no workers, reads only of its own code), and it never holds secrets beyond the
// ones its current executions read: secrets.get asks the host, which checks the request.
import { Engine, startupSnapshot, type SecretStore } from '../core/index.ts';
import { configureGuestHeaps } from './guest-heap.ts';
import type { LogEntry } from '../core/index.ts';
import { chooseGuestHashSeed, skipSnapshotRehash } from './snapshot-rehash.ts';
import type { ExecutorEngineOptions, ExecutorMessage, HostMessage } from './protocol.ts';

if (typeof process.send !== 'function') {
  process.stderr.write('teejs executor: must be started by the host over IPC\n');
  process.exit(2);
}

// Resolves once the message is handed to the channel, so a shutdown never cuts a result off.
const send = (message: ExecutorMessage): Promise<void> =>
  new Promise((resolve) => {
    process.send!(message, undefined, {}, () => resolve());
  });

const pendingSecrets = new Map<number, (value: string | undefined) => void>();
let nextSecret = 1;

const secrets: SecretStore = {
  get(userId, name) {
    const id = nextSecret++;
    return new Promise((resolve) => {
      pendingSecrets.set(id, resolve);
      void send({ type: 'secret', id, userId, name });
    });
  },
};

configureGuestHeaps();
chooseGuestHashSeed();
const engineOptions = JSON.parse(process.argv[2] ?? '{}') as ExecutorEngineOptions;
// The host signs what it answers (the key never enters an executor process).
const engine = new Engine({ ...engineOptions, secrets, signingKey: null });
// Built now, hashed with this process's seed, before the warm pool makes its first sandbox.
startupSnapshot(engine.capabilities);
skipSnapshotRehash();

const running = new Set<Promise<void>>();

/**
 * Console lines of one execution on their way to the host: gathered for a few milliseconds and
 * sent in one message (a guest logging in a loop must not cost a message per line), and always
 * before the result, which IPC's ordering then keeps behind them.
 */
const logFlushMs = 20;

function logRelay(id: number) {
  let pending: LogEntry[] = [];
  let first = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    void send({ type: 'logs', id, first, entries: pending });
    pending = [];
  };
  return {
    observer: {
      onLog(entry: LogEntry, index: number) {
        if (pending.length === 0) first = index;
        pending.push(entry);
        timer ??= setTimeout(flush, logFlushMs);
      },
    },
    flush,
  };
}

// The host sends an execution preferably to a process whose sandboxes are ready (placement.ts):
// after a result that left the warm pool below its target, say when it is back.
let preparedOwed = false;
function notePrepared(): void {
  if (preparedOwed) return;
  const pool = engine.poolStats();
  if (pool === null || pool.ready >= pool.target) return;
  preparedOwed = true;
  void engine.poolFull().then(() => {
    preparedOwed = false;
    return send({ type: 'prepared' });
  });
}

process.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'execute': {
      const relay = logRelay(message.id);
      const execution = engine.execute(message.request, relay.observer).then((result) => {
        relay.flush();
        const sent = send({ type: 'result', id: message.id, result, pool: engine.poolStats() });
        notePrepared();
        return sent;
      });
      running.add(execution);
      void execution.finally(() => running.delete(execution));
      break;
    }
    case 'secret': {
      const resolve = pendingSecrets.get(message.id);
      pendingSecrets.delete(message.id);
      resolve?.(message.value ?? undefined);
      break;
    }
    case 'ping':
      // The host asks whether this process still answers (an execution of it overran).
      void send({ type: 'pong', id: message.id });
      break;
    case 'shutdown':
      // Graceful: what runs finishes and is reported; the host kills us if it takes too long.
      void Promise.all(running)
        .then(() => engine.close())
        .then(() => process.exit(0));
      break;
  }
});

// The host going away (it crashed or was killed) leaves nobody to serve: stop too.
process.on('disconnect', () => process.exit(0));

// Shutdown belongs to the host, which drains its executions first: a SIGTERM or SIGINT sent to
// the whole process group (systemd's default KillMode, Ctrl-C in a terminal) reaches this
// process too, and must not cut the executions it runs. The host asks with 'shutdown', kills
// with SIGKILL past its deadline, and its exit ends this process through 'disconnect'.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});

// Ready once the warm pool is full: the host takes this process's size now as its idle size.
void engine.warm().then(() => send({ type: 'ready' }));
