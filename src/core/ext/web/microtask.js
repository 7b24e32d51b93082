// Guest side of ext/web: queueMicrotask. A callback that throws ends the execution, as an
// uncaught exception would.
(function installQueueMicrotask(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    PromisePrototypeThen, PromiseResolve, TypeError,
  } = runtime.primordials;

  function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
    PromisePrototypeThen(PromiseResolve(), () => {
        try {
          callback();
        } catch (error) {
          runtime.uncaught(error);
        }
      });
  }

  expose('queueMicrotask', queueMicrotask);
});
