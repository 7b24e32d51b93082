// Guest side of `secrets`: a synchronous `get(name)` that asks the host, which checks the
// executing user and the function's allow-list. The guest never sees the store itself.
'use strict';

(function installSecrets(global, kit, expose) {
  const secrets = {
    get(name) {
      if (typeof name !== 'string') throw new TypeError('secrets.get(name): name must be a string');
      return kit.wait('secrets.get', name);
    },
  };
  expose('secrets', secrets);
});
