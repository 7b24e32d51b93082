// Guest side of `secrets`: a synchronous `get(name)` that asks the host, which checks the
// executing user and the function's allow-list. The guest never sees the store itself.
(function installSecrets(global, runtime, expose, limits) {
  'use strict';

  // The host's bound (ext/secrets/index.ts); checking here first means a huge name is never
  // copied out of the isolate.
  const { maxNameLength } = limits;
  const secrets = {
    get(name) {
      if (typeof name !== 'string' || name.length === 0 || name.length > maxNameLength) {
        throw new TypeError(`secrets.get(name): name must be a string of 1 to ${maxNameLength} characters`);
      }
      return runtime.wait('secrets.get', name);
    },
  };
  expose('secrets', secrets);
});
