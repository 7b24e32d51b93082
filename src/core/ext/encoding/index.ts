// encoding: TextEncoder, TextDecoder, atob and btoa. They live entirely in the guest
// (guest.js), so text never crosses to the host to be encoded.
import { defineCapability } from '../../capability.ts';

export const encodingCapability = defineCapability({
  name: 'encoding',
  guest: new URL('./guest.js', import.meta.url),
  lazyGlobals: ['TextEncoder', 'TextDecoder', 'atob', 'btoa'],
  // Its errors are DOMExceptions.
  after: ['web'],
  start() {
    return {};
  },
});
