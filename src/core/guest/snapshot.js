// Runs once per process, last of the scripts that make the startup snapshot every sandbox is
// created from (see ../snapshot.ts). Before it, each of the runtime's own files ran as a script
// of its own, `__teejsParts.<name> = <the file>`, so each part is the function its file is. This
// runs the whole bootstrap (primordials, capability installers, harden, runtime) once per
// process: a sandbox starts hardened and only has to be connected to its host. That is what
// `__teejsAttach` does, once, before any guest code exists, removing itself first.
//
// No host object exists in this isolate: a snapshot can hold none. The host's channel functions
// arrive with `__teejsAttach`, in each sandbox.
(function buildSnapshot(global) {
  'use strict';

  const { options } = global.__teejsSnapshotInput;
  const parts = global.__teejsParts;
  delete global.__teejsSnapshotInput;
  delete global.__teejsParts;

  function part(name) {
    const value = parts[name];
    // A file that is not one function expression (e.g. a file-level 'use strict' left in front of
    // it) assigns something else: stop here rather than build a broken runtime.
    if (typeof value !== 'function') throw new TypeError(`snapshot part ${name} is not a function expression`);
    return value;
  }

  const installers = [];
  for (let i = 0; i < options.installers.length; i++) {
    const parts = [];
    for (let j = 0; j < options.installers[i].parts; j++) parts.push(part(`installer${i}_${j}`));
    installers.push(parts);
  }
  // First: the built-ins the runtime and the installers use, captured before any of them runs.
  const primordials = part('primordials')();
  const hidden = part('intrinsics')();
  const harden = part('harden');
  const hardenWithIntrinsics = (target, exposed, v8Changes) => harden(target, exposed, v8Changes, hidden, options.overrides);
  const helpers = { bytes: part('bytes'), envelopes: part('envelopes') };
  const attach = part('runtime')(hardenWithIntrinsics, options, installers, primordials, helpers);

  Object.defineProperty(global, '__teejsAttach', {
    configurable: true,
    value(hostCall, hostWait, hostPost) {
      delete global.__teejsAttach;
      return attach(hostCall, hostWait, hostPost);
    },
  });
})(globalThis);
