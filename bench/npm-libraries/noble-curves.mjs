// Fixed keys; secp256k1 (RFC 6979) and Ed25519 signatures are deterministic.
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/curves/utils.js';

export default () => {
  const message = new TextEncoder().encode('pay 10 to bob');
  const secret = hexToBytes('0101010101010101010101010101010101010101010101010101010101010101');
  const kPublic = secp256k1.getPublicKey(secret);
  const kSignature = secp256k1.sign(message, secret);
  const ePublic = ed25519.getPublicKey(secret);
  const eSignature = ed25519.sign(message, secret);
  const shared = secp256k1.getSharedSecret(secret, secp256k1.getPublicKey(hexToBytes('02'.repeat(32))));
  return {
    secp256k1: { publicKey: bytesToHex(kPublic), signature: bytesToHex(kSignature), verified: secp256k1.verify(kSignature, message, kPublic) },
    ed25519: { publicKey: bytesToHex(ePublic), signature: bytesToHex(eSignature), verified: ed25519.verify(eSignature, message, ePublic) },
    tampered: ed25519.verify(eSignature, new TextEncoder().encode('pay 99 to bob'), ePublic),
    ecdh: bytesToHex(shared),
  };
};
