// Sandboxes made from the startup snapshot without rehashing it. V8 gives every isolate a hash
// seed of its own, and when it deserialises a snapshot it recomputes, for that seed, the hash of
// every string and the order of every dictionary and descriptor array in it: CPU every sandbox
// pays (perf: DescriptorArray::Sort, HashTable::Rehash, String::ComputeAndSetRawHash). An
// executor instead draws one random seed for all the isolates it makes, builds its snapshot
// hashed with that seed, and then tells V8 that snapshots need no rehashing.
//
// Invariants:
// - The seed is drawn from the system's random source in each executor process, before the
//   snapshot is built; the executor's own Node isolate keeps the seed it started with.
// - Rehashing is turned off only after the process's startup snapshot exists: an isolate made
//   from any snapshot hashed with another seed (V8's own, for the snapshot builder) would find
//   none of its strings. Nothing in an executor builds a snapshot after that.
// - What the shared seed gives a guest: isolates of one process hash alike, so a guest that
//   inferred the seed (by timing its own tables) could build colliding keys for its own later
//   sandboxes in that process, each bounded by its own time limit. No table is shared between
//   isolates, and processes are leased to one user at a time.
import { randomInt } from 'node:crypto';
import v8 from 'node:v8';

/** Before the startup snapshot is built: one random hash seed for every isolate made from now on. */
export function chooseGuestHashSeed(): void {
  v8.setFlagsFromString(`--hash-seed=${randomInt(1, 2 ** 31 - 1)}`);
}

/** After it is built: isolates made from it keep its hashes. */
export function skipSnapshotRehash(): void {
  v8.setFlagsFromString('--no-rehash-snapshot');
}
