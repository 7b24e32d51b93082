// The runtime measurement: one hash that anyone can recompute from a checkout or the installed
// package, naming the code that signs receipts and runs guests.
//
// Invariants (the recipe docs/attestation.md spells out for a shell):
// - The manifest is UTF-8 text, each line ending in "\n": `teejs-measurement-v1`, then
//   `node <process.version>`, then `isolated-vm <its package version>`, then one line per
//   regular file under bin/ and the code that runs of the package root, as `sha256sum` prints it
//   (`<hex sha256>  <path>`), paths relative to the root with "/" separators, sorted by byte
//   order (LC_ALL=C sort). Anything that is not a regular file or a directory is left out.
// - The code that runs is src/ in a checkout (bin/teejs.js runs the TypeScript sources there),
//   dist/ in the installed package (which has no src/): see runtimeFolders.
// - The measurement is the hex SHA-256 of the manifest. It is computed once per process.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from './hash.ts';

export const measurementFormat = 'teejs-measurement-v1';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
/** bin/, and src/ where it exists (a checkout), else dist/ (the installed package). */
export function runtimeFolders(root = packageRoot): string[] {
  return ['bin', existsSync(path.join(root, 'src')) ? 'src' : 'dist'];
}

export interface RuntimeInfo {
  name: 'teejs';
  version: string;
  measurement: string;
}


/** The manifest whose hash is the measurement (`teejs measure --manifest` prints it). */
export function measurementManifest(root = packageRoot): string {
  const require = createRequire(path.join(root, 'package.json'));
  const isolatedVm = (require('isolated-vm/package.json') as { version: string }).version;
  const lines = [measurementFormat, `node ${process.version}`, `isolated-vm ${isolatedVm}`];
  const files: string[] = [];
  for (const folder of runtimeFolders(root)) collect(root, folder, files);
  files.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  for (const file of files) lines.push(`${sha256Hex(readFileSync(path.join(root, file)))}  ${file}`);
  return `${lines.join('\n')}\n`;
}

let cached: RuntimeInfo | undefined;

/** The runtime block of every receipt and attestation document of this process. */
export function runtimeInfo(): RuntimeInfo {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    cached = Object.freeze({ name: 'teejs', version: pkg.version, measurement: sha256Hex(measurementManifest()) });
  }
  return cached;
}

function collect(root: string, relative: string, into: string[]): void {
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) collect(root, child, into);
    else if (entry.isFile()) into.push(child);
  }
}
