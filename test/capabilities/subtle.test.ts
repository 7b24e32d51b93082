// crypto.subtle in the guest against published test vectors: FIPS 180-4 (SHA), RFC 4231
// (HMAC), RFC 8032 (Ed25519), the GCM specification's test cases (AES-GCM) and RFC 6979
// (ECDSA P-256). Keys stay on the host: the guest's CryptoKey holds a handle only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

let engine: Engine;
before(() => {
  engine = makeEngine();
});
after(async () => {
  await engine.drain();
});

// Helpers every guest body below can use.
const prelude = `
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  const bytes = (text) => new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  const utf8 = (text) => new TextEncoder().encode(text);
  const b64url = (u8) => btoa(String.fromCharCode(...u8)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
`;

async function inGuest(body: string, params: unknown = {}): Promise<unknown> {
  return succeeded(await run(engine, moduleOf(prelude + body), { params }));
}

describe('digest: FIPS 180-4 examples', () => {
  const m448 = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
  const m896 = 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu';
  const vectors: Array<[string, string, string]> = [
    ['SHA-1', 'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['SHA-1', m448, '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    ['SHA-256', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['SHA-256', m448, '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['SHA-256', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['SHA-384', 'abc', 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
    ['SHA-384', m896, '09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039'],
    ['SHA-512', 'abc', 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
    ['SHA-512', m896, '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909'],
  ];

  test('every vector, from strings, views and ArrayBuffers, with names in any case', async () => {
    const result = await inGuest(
      `return Promise.all(params.vectors.map(async ([algorithm, message]) => {
         const data = utf8(message);
         const viaView = hex(await crypto.subtle.digest(algorithm, data));
         const viaBuffer = hex(await crypto.subtle.digest({ name: algorithm.toLowerCase() }, data.slice().buffer));
         return viaView === viaBuffer ? viaView : 'differs: ' + viaBuffer;
       }));`,
      { vectors },
    );
    assert.deepEqual(result, vectors.map(([, , digest]) => digest));
  });

  test('a digest answers an ArrayBuffer; unknown algorithms are a NotSupportedError', async () => {
    const result = await inGuest(`
      const out = await crypto.subtle.digest('SHA-256', new Uint8Array(0));
      let md5;
      try { await crypto.subtle.digest('MD5', new Uint8Array(1)); } catch (e) { md5 = [e.name, e instanceof DOMException]; }
      let notBytes;
      try { await crypto.subtle.digest('SHA-256', 'text'); } catch (e) { notBytes = e.name; }
      return { buffer: out instanceof ArrayBuffer, md5, notBytes };`);
    assert.deepEqual(result, { buffer: true, md5: ['NotSupportedError', true], notBytes: 'TypeError' });
  });
});

describe('HMAC: RFC 4231', () => {
  const key20 = '0b'.repeat(20);
  const vectors: Array<[string, string, string, string]> = [
    // [hash, key hex, data hex, expected MAC]
    ['SHA-256', key20, Buffer.from('Hi There').toString('hex'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['SHA-384', key20, Buffer.from('Hi There').toString('hex'), 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'],
    ['SHA-512', key20, Buffer.from('Hi There').toString('hex'), '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
    ['SHA-256', Buffer.from('Jefe').toString('hex'), Buffer.from('what do ya want for nothing?').toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['SHA-384', Buffer.from('Jefe').toString('hex'), Buffer.from('what do ya want for nothing?').toString('hex'), 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'],
    ['SHA-512', Buffer.from('Jefe').toString('hex'), Buffer.from('what do ya want for nothing?').toString('hex'), '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'],
    ['SHA-256', 'aa'.repeat(20), 'dd'.repeat(50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['SHA-384', 'aa'.repeat(20), 'dd'.repeat(50), '88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27'],
    ['SHA-512', 'aa'.repeat(20), 'dd'.repeat(50), 'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb'],
    ['SHA-256', 'aa'.repeat(131), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['SHA-512', 'aa'.repeat(131), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'), '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598'],
  ];

  test('importKey, sign and verify give the RFC MACs and reject altered ones', async () => {
    const result = await inGuest(
      `return Promise.all(params.vectors.map(async ([hash, keyHex, dataHex, expected]) => {
         const key = await crypto.subtle.importKey('raw', bytes(keyHex), { name: 'HMAC', hash }, false, ['sign', 'verify']);
         const mac = hex(await crypto.subtle.sign('HMAC', key, bytes(dataHex)));
         const good = await crypto.subtle.verify('HMAC', key, bytes(expected), bytes(dataHex));
         const altered = bytes(expected); altered[0] ^= 1;
         const bad = await crypto.subtle.verify('HMAC', key, altered, bytes(dataHex));
         return [mac, good, bad];
       }));`,
      { vectors },
    );
    assert.deepEqual(result, vectors.map(([, , , mac]) => [mac, true, false]));
  });

  test('the CryptoKey is a guest object: its algorithm and usages, no key material, no host object', async () => {
    const result = await inGuest(`
      const key = await crypto.subtle.importKey('raw', utf8('Jefe'), { name: 'HMAC', hash: { name: 'SHA-256' } }, false, ['sign']);
      let exported;
      try { await crypto.subtle.exportKey('raw', key); } catch (e) { exported = e.name; }
      let wrongUsage;
      try { await crypto.subtle.verify('HMAC', key, new Uint8Array(32), utf8('x')); } catch (e) { wrongUsage = e.name; }
      let forged;
      try { await crypto.subtle.sign('HMAC', Object.create(CryptoKey.prototype), utf8('x')); } catch (e) { forged = [e.name, e.message]; }
      let constructed;
      try { new CryptoKey(); } catch (e) { constructed = e.name; }
      return {
        type: key.type, extractable: key.extractable, algorithm: key.algorithm, usages: key.usages,
        isKey: key instanceof CryptoKey, proto: Object.getPrototypeOf(key) === CryptoKey.prototype,
        ownKeys: Reflect.ownKeys(key), json: JSON.stringify(key), frozen: Object.isFrozen(key.algorithm) && Object.isFrozen(key.usages),
        tag: Object.prototype.toString.call(key), exported, wrongUsage, forged, constructed,
      };`);
    assert.deepEqual(result, {
      type: 'secret',
      extractable: false,
      algorithm: { name: 'HMAC', length: 32, hash: { name: 'SHA-256' } },
      usages: ['sign'],
      isKey: true,
      proto: true,
      ownKeys: [],
      json: '{}',
      frozen: true,
      tag: '[object CryptoKey]',
      exported: 'InvalidAccessError',
      wrongUsage: 'InvalidAccessError',
      forged: ['TypeError', 'key must be a CryptoKey'],
      constructed: 'TypeError',
    });
  });
});

describe('Ed25519: RFC 8032', () => {
  // [secret key (seed), public key, message, signature]
  const vectors: Array<[string, string, string, string]> = [
    ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '', 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
    ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72', '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
    ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82', '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
  ];

  test('signing gives the RFC signatures (Ed25519 is deterministic); verifying accepts them and refuses others', async () => {
    const result = await inGuest(
      `return Promise.all(params.vectors.map(async ([seed, publicHex, messageHex, expected]) => {
         const jwk = { kty: 'OKP', crv: 'Ed25519', d: b64url(bytes(seed)), x: b64url(bytes(publicHex)) };
         const privateKey = await crypto.subtle.importKey('jwk', jwk, 'Ed25519', false, ['sign']);
         const pkcs8 = await crypto.subtle.importKey('pkcs8', bytes('302e020100300506032b657004220420' + seed), { name: 'Ed25519' }, true, ['sign']);
         const publicKey = await crypto.subtle.importKey('raw', bytes(publicHex), 'Ed25519', true, ['verify']);
         const signature = hex(await crypto.subtle.sign('Ed25519', privateKey, bytes(messageHex)));
         const viaPkcs8 = hex(await crypto.subtle.sign('Ed25519', pkcs8, bytes(messageHex)));
         const good = await crypto.subtle.verify('Ed25519', publicKey, bytes(expected), bytes(messageHex));
         const other = await crypto.subtle.verify('Ed25519', publicKey, bytes(expected), bytes(messageHex + '00'));
         const raw = hex(await crypto.subtle.exportKey('raw', publicKey));
         return [signature, viaPkcs8, good, other, raw, privateKey.type, publicKey.type];
       }));`,
      { vectors },
    );
    assert.deepEqual(
      result,
      vectors.map(([, publicKey, , signature]) => [signature, signature, true, false, publicKey, 'private', 'public']),
    );
  });

  test('generated key pairs sign and verify', async () => {
    const result = await inGuest(`
      const { publicKey, privateKey } = await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify']);
      const signature = await crypto.subtle.sign('Ed25519', privateKey, utf8('message'));
      return [signature.byteLength, await crypto.subtle.verify('Ed25519', publicKey, signature, utf8('message')),
              (await crypto.subtle.exportKey('jwk', publicKey)).crv];`);
    assert.deepEqual(result, [64, true, 'Ed25519']);
  });
});

describe('AES-GCM: the GCM specification test cases 3 and 4', () => {
  const key = 'feffe9928665731c6d6a8f9467308308';
  const iv = 'cafebabefacedbaddecaf888';
  const plaintext = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
  const ciphertext = '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985';

  test('encrypt gives ciphertext and tag; decrypt inverts it; a wrong tag is an OperationError', async () => {
    const result = await inGuest(
      `const key = await crypto.subtle.importKey('raw', bytes(params.key), 'AES-GCM', false, ['encrypt', 'decrypt']);
       const case3 = hex(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bytes(params.iv) }, key, bytes(params.plaintext)));
       const aad = bytes('feedfacedeadbeeffeedfacedeadbeefabaddad2');
       const case4 = hex(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bytes(params.iv), additionalData: aad }, key, bytes(params.plaintext.slice(0, 120))));
       const back = hex(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(params.iv), additionalData: aad }, key, bytes(case4)));
       const tampered = bytes(case4); tampered[0] ^= 1;
       let refused;
       try { await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes(params.iv), additionalData: aad }, key, tampered); } catch (e) { refused = [e.name, e instanceof DOMException]; }
       return { case3, case4, back, refused };`,
      { key, iv, plaintext },
    );
    assert.deepEqual(result, {
      case3: `${ciphertext}4d5c2af327cd64a62cf35abd2ba6fab4`,
      case4: `${ciphertext.slice(0, 120)}5bc94fbc3221a5db94fae95ae7121a47`,
      back: plaintext.slice(0, 120),
      refused: ['OperationError', true],
    });
  });

  test('generated keys round-trip and export as JWK', async () => {
    const result = await inGuest(`
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8('secret'));
      const opened = new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed));
      const jwk = await crypto.subtle.exportKey('jwk', key);
      return [opened, jwk.kty, jwk.alg, key.algorithm];`);
    assert.deepEqual(result, ['secret', 'oct', 'A256GCM', { name: 'AES-GCM', length: 256 }]);
  });
});

describe('ECDSA P-256: RFC 6979 A.2.5', () => {
  const ux = '60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6';
  const uy = '7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299';
  const x = 'C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721';
  const signatures: Array<[string, string]> = [
    ['sample', 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8'],
    ['test', 'F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083'],
  ];

  test('verifies the RFC signatures (SHA-256), refuses them for other messages, and its own signatures verify', async () => {
    const result = await inGuest(
      `const jwk = { kty: 'EC', crv: 'P-256', x: b64url(bytes(params.ux.toLowerCase())), y: b64url(bytes(params.uy.toLowerCase())) };
       const publicKey = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
       const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
       const known = await Promise.all(params.signatures.map(async ([message, signature]) => [
         await crypto.subtle.verify(algorithm, publicKey, bytes(signature.toLowerCase()), utf8(message)),
         await crypto.subtle.verify(algorithm, publicKey, bytes(signature.toLowerCase()), utf8(message + '!')),
       ]));
       const privateKey = await crypto.subtle.importKey('jwk', { ...jwk, d: b64url(bytes(params.x.toLowerCase())) }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
       const own = await crypto.subtle.sign(algorithm, privateKey, utf8('sample'));
       return { known, own: [own.byteLength, await crypto.subtle.verify(algorithm, publicKey, own, utf8('sample'))], curve: publicKey.algorithm };`,
      { ux, uy, x, signatures },
    );
    assert.deepEqual(result, {
      known: [
        [true, false],
        [true, false],
      ],
      own: [64, true],
      curve: { name: 'ECDSA', namedCurve: 'P-256' },
    });
  });
});

describe('the other algorithms round-trip', () => {
  test('ECDH and X25519 agreement (public key passed as a CryptoKey), HKDF into AES-CBC, AES-CTR, RSA-PSS', async () => {
    const result = await inGuest(`
      const s = crypto.subtle;
      const a = await s.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
      const b = await s.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
      const ab = hex(await s.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 256));
      const ba = hex(await s.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, 256));
      const x = await s.generateKey('X25519', false, ['deriveBits']);
      const y = await s.generateKey('X25519', false, ['deriveBits']);
      const xy = hex(await s.deriveBits({ name: 'X25519', public: y.publicKey }, x.privateKey, 256));
      const yx = hex(await s.deriveBits({ name: 'X25519', public: x.publicKey }, y.privateKey, 256));
      const ikm = await s.importKey('raw', utf8('input key material'), 'HKDF', false, ['deriveKey']);
      const cbcKey = await s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(16), info: utf8('cbc') }, ikm,
        { name: 'AES-CBC', length: 128 }, false, ['encrypt', 'decrypt']);
      const iv = new Uint8Array(16);
      const cbc = new TextDecoder().decode(await s.decrypt({ name: 'AES-CBC', iv }, cbcKey, await s.encrypt({ name: 'AES-CBC', iv }, cbcKey, utf8('cbc text'))));
      const ctrKey = await s.generateKey({ name: 'AES-CTR', length: 128 }, false, ['encrypt', 'decrypt']);
      const counter = new Uint8Array(16);
      const ctr = new TextDecoder().decode(await s.decrypt({ name: 'AES-CTR', counter, length: 64 }, ctrKey, await s.encrypt({ name: 'AES-CTR', counter, length: 64 }, ctrKey, utf8('ctr text'))));
      const rsa = await s.generateKey({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify']);
      const signature = await s.sign({ name: 'RSA-PSS', saltLength: 32 }, rsa.privateKey, utf8('m'));
      return { ecdh: ab === ba && ab.length === 64, x25519: xy === yx, cbc, ctr,
               rsa: [await s.verify({ name: 'RSA-PSS', saltLength: 32 }, rsa.publicKey, signature, utf8('m')), rsa.publicKey.algorithm.modulusLength,
                     rsa.publicKey.algorithm.publicExponent instanceof Uint8Array] };`);
    assert.deepEqual(result, { ecdh: true, x25519: true, cbc: 'cbc text', ctr: 'ctr text', rsa: [true, 2048, true] });
  });
});

describe('crypto.subtle bounds what a guest can ask of the host', () => {
  test('RSA keys above 4096 bits are refused', async () => {
    const result = await inGuest(`
      try { await crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 8192, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign']); }
      catch (e) { return [e.name, e.message]; }`);
    assert.deepEqual(result, ['RangeError', 'crypto.subtle: RSA keys above 4096 bits are not allowed']);
  });

  test('PBKDF2 iterations above the limit are refused; within it, deriveBits works', async () => {
    const result = await inGuest(`
      const base = await crypto.subtle.importKey('raw', utf8('password'), 'PBKDF2', false, ['deriveBits']);
      const bits = hex(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8('salt'), iterations: 1 }, base, 256));
      let tooMany;
      try { await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8('salt'), iterations: 10_000_000 }, base, 256); } catch (e) { tooMany = [e.name, e.message]; }
      return { bits, tooMany };`);
    assert.deepEqual(result, {
      // RFC 7914 section 11: PBKDF2-HMAC-SHA256, "password", "salt", c = 1 (first 32 bytes).
      bits: '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b',
      tooMany: ['RangeError', 'crypto.subtle: PBKDF2 iterations above 1000000 are not allowed'],
    });
  });

  test('operations fired without awaiting them are bounded: the excess is a RangeError, the rest completes', async () => {
    const result = await inGuest(`
      // Slow operations (PBKDF2), fired faster than the host's two workers can finish them.
      const base = await crypto.subtle.importKey('raw', utf8('password'), 'PBKDF2', false, ['deriveBits']);
      const slow = { name: 'PBKDF2', hash: 'SHA-256', salt: utf8('salt'), iterations: 50000 };
      const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => crypto.subtle.deriveBits(slow, base, 256)));
      const refused = outcomes.filter((o) => o.status === 'rejected');
      return { done: outcomes.length - refused.length, refused: refused.length,
               reasons: [...new Set(refused.map((o) => o.reason.name + ': ' + o.reason.message))] };`);
    const { done, refused, reasons } = result as { done: number; refused: number; reasons: string[] };
    assert.ok(done >= 16 && refused > 0, JSON.stringify(result));
    assert.equal(done + refused, 60);
    assert.deepEqual(reasons, ['RangeError: crypto.subtle: too many operations at once (at most 16 pending)']);
  });

  test('the crypto object keeps its own functions; subtle was added, nothing replaced', async () => {
    const result = await inGuest(`
      return [typeof crypto.sha256, typeof crypto.randomUUID, typeof crypto.getRandomValues, crypto.subtle instanceof SubtleCrypto,
              Object.keys(crypto).includes('subtle'), (() => { try { new SubtleCrypto(); } catch (e) { return e.name; } })()];`);
    assert.deepEqual(result, ['function', 'function', 'function', true, true, 'TypeError']);
  });
});
