// `teejs verify RESULT.json`: checks a result and its receipt offline (src/attestation/verify.ts
// does the checks; this file reads files and flags). Exit 0 valid, 1 invalid with one line per
// failed check on stdout, 2 usage error.
import { readFileSync } from 'node:fs';
import { replayResult } from '../attestation/replay.ts';
import { verifyResult, type VerifyOptions } from '../attestation/verify.ts';
import { moduleFilesOf } from './module-files.ts';
import { exitStatus, parseCommandLine, UsageError } from './usage.ts';

export const verifyHelp = `Usage: teejs verify RESULT.json [options]

Checks, offline, the receipt of an ExecutionResult (teejs run --json, or an execution the
service answered): the Ed25519 signature over JCS(claims), keyId = sha256(publicKey), and that
the claims agree with the result (execution id, status, result, error code, logs, network).

Options:
  --source FILE          the function's source (with the modules it imports by relative paths, as
                         teejs run reads them): its sha256 must be the receipt's sourceSha256
  --params JSON          the params sent: their JCS hash must be the receipt's paramsSha256
  --params-file FILE     the same, read from a file
  --key PUBLICKEY        the key the receipt must be signed with: base64url public key or
                         hex keyId (e.g. from GET /v1/attestation/keys); write it as
                         --key=PUBLICKEY, since a base64url key may start with '-'
  --attestation FILE     an attestation document (teejs attest, GET /v1/attestation): it must
                         name the same key, reportData must be sha512(publicKey || nonce), and
                         a TDX or SEV-SNP quote's report-data field must equal reportData;
                         a TDX quote's signature and certificate chain are verified (up to
                         Intel's root CA) with DCAP collateral: --collateral, or the document's
                         evidence.collateral; without collateral, and for SEV-SNP, the signature
                         is reported as "not checked" (docs/attestation.md)
  --collateral FILE      DCAP collateral of the TDX quote (JSON: pck_crl, root_ca_crl, tcb_info,
                         qe_identity, their signatures and issuer chains), e.g. from your PCCS
  --at TIME              the time at which certificates and collateral must be valid (ISO 8601;
                         default now)
  --require-verified-quote
                         invalid unless the attestation carries a TEE quote whose signature and
                         certificate chain were verified
  --measurement HEX      the runtime measurement the receipt must name (teejs measure)
  --replay               re-run the function (it must have run deterministically) from
                         --source with --params, with the receipt's execution id and start
                         time, and compare its result with the receipt's
  --secret NAME=VALUE    a secret the replayed function reads; repeatable
  --json                 print the whole report as JSON
  -h, --help             this text

Exit status: 0 valid, 1 invalid (one line per failed check), 2 usage error.
`;

const options = {
  source: { type: 'string' },
  params: { type: 'string' },
  'params-file': { type: 'string' },
  key: { type: 'string' },
  attestation: { type: 'string' },
  measurement: { type: 'string' },
  collateral: { type: 'string' },
  at: { type: 'string' },
  'require-verified-quote': { type: 'boolean' },
  replay: { type: 'boolean' },
  secret: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  if (values.help) {
    process.stdout.write(verifyHelp);
    return exitStatus.success;
  }
  if (positionals.length !== 1) throw new UsageError("verify takes exactly one RESULT.json (try 'teejs verify --help')");
  const check: VerifyOptions = {};
  if (values.source !== undefined) {
    check.source = readText(values.source, 'source file');
    // As teejs run reads it: with the modules it reaches by relative imports, if any.
    const files = moduleFilesOf(values.source, check.source);
    if (Object.keys(files.modules).length > 0) Object.assign(check, { modules: files.modules, entry: files.entry });
  }
  if (values.params !== undefined && values['params-file'] !== undefined) throw new UsageError('use --params or --params-file, not both');
  const paramsText = values.params ?? (values['params-file'] === undefined ? undefined : readText(values['params-file'], 'params file'));
  if (paramsText !== undefined) {
    check.params = parseParams(paramsText, values.params !== undefined ? '--params' : values['params-file']!);
    check.hasParams = true;
  }
  if (values.key !== undefined) {
    if (!/^([A-Za-z0-9_-]{43}|[0-9a-fA-F]{64})$/.test(values.key.trim())) throw new UsageError('--key must be a base64url Ed25519 public key (43 characters) or a hex keyId (64 digits)');
    check.publicKey = values.key;
  }
  if (values.measurement !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(values.measurement.trim())) throw new UsageError('--measurement must be 64 hex digits');
    check.measurement = values.measurement;
  }
  // A document or result that does not parse (truncated, not JSON) is invalid, not a usage error.
  const extraFailures: string[] = [];
  if (values.attestation !== undefined) {
    const text = readText(values.attestation, 'attestation file');
    try {
      check.attestation = JSON.parse(text);
    } catch (error) {
      extraFailures.push(`attestation: not valid JSON (${(error as Error).message})`);
    }
  }

  if (values.collateral !== undefined || values.at !== undefined) {
    if (values.attestation === undefined) throw new UsageError('--collateral and --at check the quote of an --attestation document');
  }
  if (values.collateral !== undefined) {
    // Parsed by the check itself, so that bad collateral is one failed check (exit 1).
    check.collateral = readText(values.collateral, 'collateral file');
  }
  if (values.at !== undefined) {
    const at = /^\d{4}-\d{2}-\d{2}/.test(values.at) ? new Date(values.at) : new Date(NaN);
    if (Number.isNaN(at.getTime())) throw new UsageError(`--at must be an ISO 8601 time (e.g. 2025-07-01T00:00:00Z), got '${values.at}'`);
    check.at = at;
  }
  // An attestation file that does not parse is already its one failed line.
  if (values['require-verified-quote'] && extraFailures.length === 0) check.requireVerifiedQuote = true;

  if (values.replay && (values.source === undefined || paramsText === undefined)) throw new UsageError('--replay needs --source and --params (or --params-file)');
  if (values.secret !== undefined && !values.replay) throw new UsageError('--secret is for --replay');
  const secrets: Record<string, string> = {};
  for (const pair of values.secret ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--secret expects NAME=VALUE, got '${pair}'`);
    secrets[pair.slice(0, eq)] = pair.slice(eq + 1);
  }

  const resultText = readText(positionals[0]!, 'result file');
  let result: unknown;
  let report;
  try {
    result = JSON.parse(resultText);
    report = verifyResult(result, check);
  } catch (error) {
    report = { valid: false, failures: [`result: not valid JSON (${(error as Error).message})`], checked: [] as string[], notes: [] as string[] };
  }
  if (values.replay && result !== undefined) {
    const replay = await replayResult(result, { source: check.source!, modules: check.modules, entry: check.entry, filename: values.source!, params: check.params, secrets });
    if (replay.ok) report.checked.push('replay');
    else report = { ...report, valid: false, failures: [...report.failures, ...replay.failures] };
  }
  if (extraFailures.length > 0) report = { ...report, valid: false, failures: [...extraFailures, ...report.failures] };
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else if (report.valid) {
    process.stdout.write(`valid: ${report.checked.length} checks passed (${report.checked.join(', ')})\n`);
    for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
  } else for (const line of report.failures) process.stdout.write(`${line}\n`);
  return report.valid ? exitStatus.success : exitStatus.executionError;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseParams(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${origin} is not valid JSON: ${(error as Error).message}`);
  }
}
