// web: DOMException, Event, EventTarget, AbortController/AbortSignal, structuredClone and
// queueMicrotask. They live entirely in the guest, one file each (in the order below, each
// handing what the next needs through `shared`): the host serves no operation.
import { defineCapability } from '../../capability.ts';

export const webCapability = defineCapability({
  name: 'web',
  guest: ['dom-exception.js', 'events.js', 'abort.js', 'structured-clone.js', 'microtask.js'].map((file) => new URL(`./${file}`, import.meta.url)),
  lazyGlobals: ['DOMException', 'Event', 'EventTarget', 'AbortSignal', 'AbortController', 'structuredClone', 'queueMicrotask'],
  // Event.timeStamp reads the (deterministic) clock; AbortSignal.timeout uses setTimeout.
  after: ['determinism', 'timers'],
  start() {
    return {};
  },
});
