// web: DOMException, Event, EventTarget, AbortController/AbortSignal, structuredClone and
// queueMicrotask. They live entirely in the guest (guest.js): the host serves no operation.
import { guestScript, type Capability } from '../../capability.ts';

export const webCapability: Capability = {
  name: 'web',
  ...guestScript(new URL('./guest.js', import.meta.url)),
  lazyGlobals: ['DOMException', 'Event', 'EventTarget', 'AbortSignal', 'AbortController', 'structuredClone', 'queueMicrotask'],
  start() {
    return {};
  },
};
