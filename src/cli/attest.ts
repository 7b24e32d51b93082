// `teejs attest --nonce HEX`: the attestation document of a signing key on this machine (the
// key of `teejs run --signing-key FILE`), with a hardware quote where configfs-tsm offers one.
import { Attestor, NonceError } from '../attestation/document.ts';
import { defaultTsmPath } from '../attestation/evidence/configfs-tsm.ts';
import { KeyError, processSigningKey, SigningKey } from '../attestation/keys.ts';
import { exitStatus, parseCommandLine, UsageError } from './usage.ts';

export const attestHelp = `Usage: teejs attest --nonce HEX [options]

Prints the attestation document of a signing key: the key, the runtime measurement, the nonce,
reportData = sha512(raw public key || nonce) and, on a confidential VM, a TEE quote over
reportData read through Linux configfs-tsm (elsewhere evidence.provider is "none", with the
reason).

Options:
  --nonce HEX            16 to 64 random bytes as hex, chosen by whoever will check (required)
  --signing-key FILE     the Ed25519 private key (PKCS#8 PEM) of the receipts to vouch for;
                         without it a fresh key, which signs nothing else
  --tsm-path DIR         the configfs-tsm report directory (default ${defaultTsmPath})
  --quote-collateral FILE
                         Intel DCAP collateral (JSON) for the TDX quote, put in the document as
                         evidence.collateral for teejs verify (unreadable: collateralError says why)
  --json                 print the document as one JSON document (the default output too)
  -h, --help             this text

Exit status: 0 a document was printed (with or without a quote), 2 usage error.
`;

const options = {
  nonce: { type: 'string' },
  'signing-key': { type: 'string' },
  'tsm-path': { type: 'string' },
  'quote-collateral': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function attestCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, options, { positionals: false });
  if (values.help) {
    process.stdout.write(attestHelp);
    return exitStatus.success;
  }
  if (values.nonce === undefined) throw new UsageError("attest needs --nonce HEX (try 'teejs attest --help')");
  let key: SigningKey;
  try {
    key = values['signing-key'] === undefined ? processSigningKey() : SigningKey.fromFile(values['signing-key']);
  } catch (error) {
    if (error instanceof KeyError) throw new UsageError(`--signing-key: ${error.message}`);
    throw error;
  }
  const attestor = new Attestor({
    ...(values['tsm-path'] === undefined ? {} : { tsmPath: values['tsm-path'] }),
    ...(values['quote-collateral'] === undefined ? {} : { collateralPath: values['quote-collateral'] }),
  });
  try {
    const document = await attestor.document(key, values.nonce);
    process.stdout.write(`${JSON.stringify(document)}\n`);
  } catch (error) {
    if (error instanceof NonceError) throw new UsageError(`--nonce: ${error.message}`);
    throw error;
  }
  return exitStatus.success;
}
