// web: DOMException, Event, EventTarget, AbortController/AbortSignal, structuredClone and
// queueMicrotask. They live entirely in the guest (guest.js): the host serves no operation.
import { defineCapability } from '../../capability.ts';

export const webCapability = defineCapability({
  name: 'web',
  guest: new URL('./guest.js', import.meta.url),
  lazyGlobals: ['DOMException', 'Event', 'EventTarget', 'AbortSignal', 'AbortController', 'structuredClone', 'queueMicrotask'],
  // Event.timeStamp reads the (deterministic) clock; AbortSignal.timeout uses setTimeout.
  after: ['determinism', 'timers'],
  start() {
    return {};
  },
});
