// The node's receipt-signing key: given by TEEJS_SIGNING_KEY, or made at first start and kept
// in the store sealed under the master key (the cipher of secrets, under a name of its own).
//
// Invariants:
// - Each node (--node-id) signs with exactly one current key; every key it ever signed with
//   stays listed (GET /v1/attestation/keys) with the window it was current, so receipts stay
//   verifiable after a rotation.
// - A generated key's private half exists only sealed in the store and in this process's
//   memory; a key from TEEJS_SIGNING_KEY is never written anywhere (only its public half).
// - --rotate-signing-key retires the node's current key and makes a new one; with
//   TEEJS_SIGNING_KEY set, changing the variable is the rotation (the flag is refused).
import { SigningKey } from '../../attestation/keys.ts';
import type { SigningKeyRecord, Store } from '../../store/index.ts';
import type { SecretCipher } from '../secrets/cipher.ts';

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

export interface NodeSigningKey {
  key: SigningKey;
  origin: 'generated' | 'environment';
  /** Made (or first registered) by this start. */
  created: boolean;
  /** The key this start retired, if any. */
  retiredKeyId: string | null;
}

export async function loadNodeSigningKey(
  store: Store,
  cipher: SecretCipher,
  options: { nodeId: string; fromEnvironment: string | undefined; rotate: boolean; now?: () => Date },
): Promise<NodeSigningKey> {
  const now = (options.now ?? (() => new Date()))().toISOString();
  const { nodeId } = options;
  const current = (await store.listSigningKeys()).find((record) => record.nodeId === nodeId && record.retiredAt === null);

  if (options.fromEnvironment !== undefined) {
    if (options.rotate) throw new SigningKeyError('--rotate-signing-key has no effect with TEEJS_SIGNING_KEY: set the variable to the new key instead');
    const key = SigningKey.fromPem(options.fromEnvironment, 'TEEJS_SIGNING_KEY');
    if (current?.keyId === key.keyId) return { key, origin: 'environment', created: false, retiredKeyId: null };
    await store.activateSigningKey(recordOf(nodeId, key, null, 'environment', now));
    return { key, origin: 'environment', created: true, retiredKeyId: current?.keyId ?? null };
  }

  if (current && !options.rotate && current.sealedPrivateKey !== null) {
    let pem: string;
    try {
      pem = cipher.decrypt('', sealName(nodeId, current.keyId), current.sealedPrivateKey);
    } catch {
      throw new SigningKeyError(`the signing key ${current.keyId} of node ${nodeId} cannot be unsealed with this master key`);
    }
    const key = SigningKey.fromPem(pem, 'the stored signing key');
    if (key.keyId !== current.keyId) throw new SigningKeyError(`the stored signing key of node ${nodeId} does not match its key id`);
    return { key, origin: 'generated', created: false, retiredKeyId: null };
  }

  // First start, a rotation, or a node whose key came from TEEJS_SIGNING_KEY, now unset.
  const key = SigningKey.generate();
  const sealed = cipher.encrypt('', sealName(nodeId, key.keyId), key.toPem());
  await store.activateSigningKey(recordOf(nodeId, key, sealed, 'generated', now));
  return { key, origin: 'generated', created: true, retiredKeyId: current?.keyId ?? null };
}

/** The sealing name binds the ciphertext to its node and key: moved to another row, it fails. */
function sealName(nodeId: string, keyId: string): string {
  return `signing-key\0${nodeId}\0${keyId}`;
}

function recordOf(nodeId: string, key: SigningKey, sealed: Uint8Array | null, origin: SigningKeyRecord['origin'], at: string): SigningKeyRecord {
  return { nodeId, keyId: key.keyId, publicKey: key.publicKey, sealedPrivateKey: sealed, origin, createdAt: at, activatedAt: at, retiredAt: null };
}
