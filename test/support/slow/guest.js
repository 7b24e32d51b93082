// Guest side of the tests' `slow` capability: host operations that take as long as asked, to
// show that the time limit covers a guest waiting on the host (asynchronously or synchronously).
(function installSlow(global, runtime, expose) {
  'use strict';

  const slow = {
    /** Resolves after `ms` on the host's clock. */
    wait(ms) {
      return runtime.request('slow.wait', ms);
    },
    /** Blocks the guest until the host answers after `ms`. */
    block(ms) {
      return runtime.wait('slow.block', ms);
    },
  };
  expose('slow', slow);
});
