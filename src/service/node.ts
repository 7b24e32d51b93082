// This server's identity among the nodes on one store: a row with its id, version, load and
// heartbeat. Invariants:
// - a node starts only after registering its id; a live node (a heartbeat within one lease,
//   not stopped) keeps its id, so a second process started with the same id is refused instead
//   of ending the first one's executions as its own leftovers;
// - a clean stop frees the id at once; after a crash the id is free once its heartbeat is a
//   lease old (the same time after which its executions count as abandoned).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '../store/index.ts';

export class NodeIdTakenError extends Error {
  constructor(nodeId: string, heartbeatAt: string, leaseMs: number) {
    super(
      `node id '${nodeId}' is in use by a live node (last heartbeat ${heartbeatAt}): give this server another --node-id ` +
        `(TEEJS_NODE_ID), or stop the other one (after a crash the id is free again ${Math.ceil(leaseMs / 1000)} s after its last heartbeat)`,
    );
    this.name = 'NodeIdTakenError';
  }
}

export class NodeRegistration {
  readonly id: string;
  readonly instance = randomUUID();
  readonly #store: Store;
  readonly #log: FastifyBaseLogger | undefined;
  #lost = false;

  private constructor(store: Store, id: string, log: FastifyBaseLogger | undefined) {
    this.#store = store;
    this.id = id;
    this.#log = log;
  }

  /** Registers the node, or throws NodeIdTakenError while another live node holds the id. */
  static async register(store: Store, options: { nodeId: string; version: string; slots: number; leaseMs: number; log?: FastifyBaseLogger }): Promise<NodeRegistration> {
    const node = new NodeRegistration(store, options.nodeId, options.log);
    const now = Date.now();
    // One process owns an exclusive store (the data directory lock): a row left by a crash is
    // stale by definition.
    const staleBefore = store.exclusive ? new Date(now + 1).toISOString() : new Date(now - options.leaseMs).toISOString();
    const registered = await store.registerNode({ id: options.nodeId, instance: node.instance, version: options.version, at: new Date(now).toISOString(), slots: options.slots }, staleBefore);
    if (!registered.ok) throw new NodeIdTakenError(options.nodeId, registered.heartbeatAt, options.leaseMs);
    return node;
  }

  async heartbeat(load: { running: number; draining: boolean }): Promise<void> {
    try {
      const held = await this.#store.heartbeatNode(this.id, this.instance, new Date().toISOString(), load);
      if (!held && !this.#lost) {
        this.#lost = true;
        // Only after this node missed heartbeats for a whole lease (it stalled) can another
        // process take its id; its executions were then settled by the other nodes.
        this.#log?.error({ nodeId: this.id }, 'another process took this node id after this node missed its heartbeats; its executions may have been ended as INTERRUPTED');
      }
    } catch (error) {
      this.#log?.error({ err: error }, 'could not record the node heartbeat');
    }
  }

  async stop(): Promise<void> {
    await this.#store.stopNode(this.id, this.instance, new Date().toISOString());
  }
}
