// secrets.get(name): the executing user's secret, if the function may read it. A missing
// secret, one outside the allow-list and another user's secret all give the same error, so a
// guest learns nothing about which names exist.
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';
import type { SecretStore } from './store.ts';

/** The longest secret name, here and in the service (which stores them). */
export const secretLimits = Object.freeze({ maxNameLength: 256 });

export function secretsCapability(store: SecretStore) {
  return defineCapability({
    name: 'secrets',
    guest: new URL('./guest.js', import.meta.url),
    globals: ['secrets'],
    operations: { waits: ['get'] },
    limits: secretLimits,
    start(scope) {
      const { maxNameLength } = secretLimits;
      return {
        waits: {
          async get(name) {
            if (typeof name !== 'string' || name.length === 0 || name.length > maxNameLength) {
              throw new GuestError('TypeError', `secrets.get(name): name must be a string of 1 to ${maxNameLength} characters`);
            }
            const notFound = new GuestError('Error', `secret not found: ${name}`, 'SECRET_NOT_FOUND');
            if (scope.allowedSecrets && !scope.allowedSecrets.has(name)) throw notFound;
            const value = await store.get(scope.userId, name);
            if (typeof value !== 'string') throw notFound;
            scope.secretsRead.add(name);
            return value;
          },
        },
      };
    },
  });
}
