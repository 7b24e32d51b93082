// encoding: TextEncoder, TextDecoder, atob and btoa. They live entirely in the guest
// (guest.js), so text never crosses to the host to be encoded.
import { guestScript, type Capability } from '../../capability.ts';

export const encodingCapability: Capability = {
  name: 'encoding',
  ...guestScript(new URL('./guest.js', import.meta.url)),
  lazyGlobals: ['TextEncoder', 'TextDecoder', 'atob', 'btoa'],
  start() {
    return {};
  },
};
