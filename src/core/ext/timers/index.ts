// setTimeout/setInterval: the host keeps the clock. A timer never outlives its execution: all are
// cleared when it ends, whatever the way it ends.
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';

const maxDelay = 2 ** 31 - 1;

export const timersCapability = defineCapability({
  name: 'timers',
  guest: new URL('./guest.js', import.meta.url),
  globals: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
  operations: { calls: ['start'], notices: ['cancel'] },
  events: ['timers.fire'],
  start(scope, channel) {
    const handles = new Map<number, NodeJS.Timeout>();
    let closed = false;
    // Timers that came due are delivered together, once per turn of the host's event loop: one
    // call into the isolate per timer let a guest with a thousand 1 ms intervals take three
    // quarters of the host's thread. A Set, because an interval that came due twice before a
    // delivery fires once, as Node's own would after a busy loop.
    const due = new Set<number>();
    let delivery: NodeJS.Immediate | null = null;

    function deliver(): void {
      delivery = null;
      if (closed || due.size === 0) return;
      const ids = [...due].join(',');
      due.clear();
      channel.emit('timers.fire', ids);
    }

    function cancel(id: unknown): void {
      const handle = typeof id === 'number' ? handles.get(id) : undefined;
      if (handle === undefined) return;
      clearTimeout(handle);
      handles.delete(id as number);
    }

    return {
      calls: {
        start(id, delay, repeat) {
          if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || handles.has(id)) {
            throw new GuestError('TypeError', 'timers: invalid timer id');
          }
          if (typeof delay !== 'number' || !(delay >= 0) || typeof repeat !== 'boolean') {
            throw new GuestError('TypeError', 'timers: invalid delay');
          }
          if (handles.size >= scope.maxTimers) {
            throw new GuestError('RangeError', `too many active timers (limit ${scope.maxTimers})`);
          }
          if (closed) return;
          // An interval of 0 would turn the host into a busy loop; browsers clamp too.
          const ms = Math.min(Math.max(delay, repeat ? 1 : 0), maxDelay);
          const fire = () => {
            if (!repeat) handles.delete(id);
            due.add(id);
            delivery ??= setImmediate(deliver);
          };
          handles.set(id, repeat ? setInterval(fire, ms) : setTimeout(fire, ms));
        },
      },
      notices: {
        cancel,
      },
      close() {
        closed = true;
        for (const handle of handles.values()) clearTimeout(handle);
        handles.clear();
        due.clear();
        if (delivery) clearImmediate(delivery);
        delivery = null;
      },
    };
  },
});
