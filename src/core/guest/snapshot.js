// Runs once per process, inside the isolate whose heap becomes the startup snapshot that every
// sandbox is created from (see ../snapshot.ts). It runs the whole bootstrap that used to run in
// each sandbox (capability installers, harden, runtime), so a sandbox starts hardened and only
// has to be connected to its host: that is what `__teejsAttach` does, once, before any guest
// code exists, removing itself from the global object first.
//
// No host object exists in this isolate: the snapshot can hold none. The host's channel
// functions arrive with `__teejsAttach`, in each sandbox.
'use strict';

(function buildSnapshot(global) {
  const input = global.__teejsSnapshotInput;
  delete global.__teejsSnapshotInput;

  // Each part is one of the runtime's own files, a script that evaluates to a function. Indirect
  // eval keeps the file's name on its stack frames (sourceURL); it is the last code generated
  // from a string in this heap: harden.js replaces eval and every Function constructor.
  const load = ({ source, filename }) => (0, eval)(`${source}\n//# sourceURL=${filename}`);

  const bootstrap = load(input.runtime);
  const attach = bootstrap(load(input.harden), input.options, ...input.installers.map(load));

  Object.defineProperty(global, '__teejsAttach', {
    configurable: true,
    value(hostCall, hostWait, hostPost) {
      delete global.__teejsAttach;
      return attach(hostCall, hostWait, hostPost);
    },
  });
})(globalThis);
