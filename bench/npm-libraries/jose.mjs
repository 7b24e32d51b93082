// A JWT signed with a fixed HMAC key and fixed times (HS256 is deterministic), checked at a
// fixed date; and an Ed25519 key from a fixed JWK (EdDSA is deterministic too).
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

export default async () => {
  const secret = new TextEncoder().encode('a fixed secret of at least 32 bytes!');
  const iat = 1_780_000_000;
  const token = await new SignJWT({ sub: 'user-1', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .setIssuer('teejs')
    .sign(secret);
  const { payload } = await jwtVerify(token, secret, { issuer: 'teejs', currentDate: new Date((iat + 60) * 1000) });
  let expired;
  try {
    await jwtVerify(token, secret, { currentDate: new Date((iat + 7200) * 1000) });
  } catch (error) {
    expired = error.code;
  }
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
  const privateKey = await importJWK(jwk, 'EdDSA');
  const signed = await new SignJWT({ sub: 'user-2' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuedAt(iat).sign(privateKey);
  const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA');
  const verified = await jwtVerify(signed, publicKey, { currentDate: new Date(iat * 1000) });
  return { token, payload, expired, eddsa: signed, header: decodeProtectedHeader(signed), eddsaSub: verified.payload.sub, thumbprint: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }) };
};
