import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { keccak_256, sha3_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export default () => {
  const message = utf8ToBytes('teejs runs npm code');
  return {
    sha256: bytesToHex(sha256(message)),
    sha512: bytesToHex(sha512(message)),
    sha3_256: bytesToHex(sha3_256(message)),
    keccak256: bytesToHex(keccak_256(message)),
    blake2b: bytesToHex(blake2b(message, { dkLen: 32 })),
    hmac: bytesToHex(hmac(sha256, utf8ToBytes('key'), message)),
    pbkdf2: bytesToHex(pbkdf2(sha256, 'password', 'salt', { c: 1000, dkLen: 32 })),
  };
};
