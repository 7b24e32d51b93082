// `teejs measure`: prints the runtime measurement that every receipt of this installation
// names, or (--manifest) the text it is the sha256 of, to recompute or compare by hand.
import { measurementManifest, runtimeInfo } from '../attestation/measurement.ts';
import { exitStatus, parseCommandLine, UsageError } from './usage.ts';

export const measureHelp = `Usage: teejs measure [--manifest | --json]

Prints the runtime measurement: the hex sha256 of a manifest naming the Node and isolated-vm
versions and the sha256 of every file under bin/ and src/ (docs/attestation.md says how to
recompute it by hand). Every receipt this installation signs names it.

Options:
  --manifest    print the manifest itself (its sha256 is the measurement)
  --json        print { "name", "version", "measurement" }
  -h, --help    this text
`;

export async function measureCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, { manifest: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, { positionals: false });
  if (values.help) {
    process.stdout.write(measureHelp);
    return exitStatus.success;
  }
  if (values.manifest && values.json) throw new UsageError('use --manifest or --json, not both');
  if (values.manifest) process.stdout.write(measurementManifest());
  else if (values.json) process.stdout.write(`${JSON.stringify(runtimeInfo())}\n`);
  else process.stdout.write(`${runtimeInfo().measurement}\n`);
  return exitStatus.success;
}
