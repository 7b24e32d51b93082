// Checks an execution's receipt in the browser, as `teejs verify` does offline: the Ed25519
// signature over JCS(claims) (WebCrypto), the key id, that the key is one of the service's
// receipt-signing keys, and that the claims hash what the page shows (result, logs, network).
import canonicalize from 'canonicalize';
import type { Execution } from '../client/index.ts';
import { api, call } from './api.ts';

export interface ReceiptCheck {
  ok: boolean;
  /** One line per check, failed ones first. */
  checks: { ok: boolean; what: string }[];
}

function base64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]));
  return value;
}

export function jcs(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch {
    text = canonicalize(wellFormed(value));
  }
  return text ?? 'null';
}

async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

const utf8 = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;

export async function checkReceipt(execution: Execution): Promise<ReceiptCheck | null> {
  const receipt = execution.receipt;
  if (!receipt) return null;
  const checks: { ok: boolean; what: string }[] = [];
  const publicKey = base64url(receipt.publicKey);
  checks.push({ ok: (await sha256Hex(publicKey)) === receipt.keyId, what: 'the key id is the hash of the public key' });
  const keys = await call(api().GET('/v1/attestation/keys'));
  checks.push({ ok: keys.keys.some((key) => key.keyId === receipt.keyId && key.publicKey === receipt.publicKey), what: "the key is one of the service's receipt-signing keys" });
  let signatureOk = false;
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    signatureOk = await crypto.subtle.verify({ name: 'Ed25519' }, key, base64url(receipt.signature), utf8(jcs(receipt.claims)));
  } catch {
    signatureOk = false;
  }
  checks.push({ ok: signatureOk, what: 'the Ed25519 signature over the claims' });
  const claims = receipt.claims;
  checks.push({ ok: claims.executionId === execution.executionId && claims.status === execution.status, what: 'the claims name this execution and its status' });
  checks.push({ ok: claims.resultSha256 === (await sha256Hex(utf8(jcs(execution.result ?? null)))), what: 'the result shown is the one signed' });
  checks.push({ ok: claims.logsSha256 === (await sha256Hex(utf8(jcs(execution.logs)))), what: 'the logs shown are the ones signed' });
  checks.push({ ok: claims.networkSha256 === (await sha256Hex(utf8(jcs(execution.network)))), what: 'the network records shown are the ones signed' });
  checks.sort((a, b) => Number(a.ok) - Number(b.ok));
  return { ok: checks.every((check) => check.ok), checks };
}
