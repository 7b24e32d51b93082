// The young generation of the guests' isolates. isolated-vm sizes it from the memory limit (2 MB
// semi-spaces for a 128 MB isolate, 16 MB only from 512 MB up), so allocation-heavy guests
// scavenge three to four times as often as the same code in Node, promote short-lived data and
// lose optimised code to pretenuring ("dependent allocation site tenuring changed"): JSON work
// ran at 0.78x plain Node's speed, 0.91x with 8 MB (docs/bench.md, "CPU-bound work in fresh
// isolates"). V8's --max-semi-space-size overrides isolated-vm's choice, and is read when an
// isolate is created: an executor sets it once, before its first sandbox, while its own heap
// keeps what its command line gave it (executorV8Flags, a small young generation).
//
// What it costs: each guest heap may hold up to three semi-spaces of short-lived garbage beyond
// its memory limit (about +24 MB at 8 MB; the limit still bounds everything that lives), and a
// guest filling its heap on purpose is stopped a little later. Idle sandboxes are unchanged:
// the young generation grows only when used.
import v8 from 'node:v8';

export const guestSemiSpaceMb = 8;

export function configureGuestHeaps(): void {
  v8.setFlagsFromString(`--max-semi-space-size=${guestSemiSpaceMb}`);
}
