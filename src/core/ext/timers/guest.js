// Guest side of timers. The host owns the clock: it schedules each timer, clamps its delay to
// what remains of the execution, and clears every timer when the execution ends, so no timer
// outlives it. Callbacks run here, in the guest; one that throws ends the execution.
(function installTimers(global, runtime, expose) {
  'use strict';

  const {
    Map, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, Number, NumberIsFinite, ReflectApply,
    StringPrototypeSplit,
  } = runtime.primordials;

  const active = new Map();
  let nextId = 1;

  function schedule(kind, callback, delay, args) {
    if (typeof callback !== 'function') {
      throw new TypeError(`${kind}: the callback must be a function (strings are never evaluated)`);
    }
    const ms = Number(delay);
    const id = nextId++;
    MapPrototypeSet(active, id, { callback, args, repeat: kind === 'setInterval' });
    runtime.call('timers.start', id, NumberIsFinite(ms) && ms > 0 ? ms : 0, kind === 'setInterval');
    return id;
  }

  function cancel(id) {
    const key = Number(id);
    if (MapPrototypeGet(active, key) === undefined) return;
    MapPrototypeDelete(active, key);
    runtime.notify('timers.cancel', key);
  }

  function fire(id) {
    // A callback earlier in the same delivery may have cleared this timer.
    const timer = MapPrototypeGet(active, id);
    if (timer === undefined) return;
    if (!timer.repeat) MapPrototypeDelete(active, id);
    try {
      ReflectApply(timer.callback, undefined, timer.args);
    } catch (error) {
      runtime.uncaught(error);
    }
  }

  // The host delivers every timer that came due in one turn as a list of ids ("3,7,8"). Between
  // two callbacks the promise jobs of the first one run, as they would between two host timers.
  runtime.listen('timers.fire', async (list) => {
    const ids = StringPrototypeSplit(`${list}`, ',');
    for (let i = 0; i < ids.length; i++) {
      if (i > 0) await undefined;
      fire(Number(ids[i]));
    }
  });

  expose('setTimeout', function setTimeout(callback, delay, ...args) {
    return schedule('setTimeout', callback, delay, args);
  });
  expose('clearTimeout', function clearTimeout(id) {
    cancel(id);
  });
  expose('setInterval', function setInterval(callback, delay, ...args) {
    return schedule('setInterval', callback, delay, args);
  });
  expose('clearInterval', function clearInterval(id) {
    cancel(id);
  });
});
