// Builds the package's JavaScript into dist/: `tsc -p tsconfig.build.json` compiles src/ file by
// file (imports rewritten from .ts to .js, declaration files beside), then every other file of
// src/ (the guest scripts that run inside isolates, the store's SQL migrations) is copied as it
// is. One output file per source file keeps `new URL('./x', import.meta.url)` lookups and the
// executors' read permissions (the package's own folder) the same in a checkout and installed.
// The web console (src/console/, browser code) is not copied: it is bundled by esbuild into
// dist/service/console/static/, the files /console serves from the package.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleConsole } from '../src/service/console/bundle.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const consoleSources = path.join(src, 'console');
let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = path.join(entry.parentPath, entry.name);
  if (from.startsWith(consoleSources + path.sep)) continue;
  cpSync(from, path.join(dist, path.relative(src, from)));
  copied += 1;
}
const consoleDir = path.join(dist, 'service', 'console', 'static');
mkdirSync(consoleDir, { recursive: true });
const consoleFiles = await bundleConsole();
for (const file of consoleFiles) writeFileSync(path.join(consoleDir, file.name), file.contents);
const consoleBytes = consoleFiles.reduce((sum, file) => sum + file.contents.length, 0);
console.log(`dist/ built: compiled src/**/*.ts, copied ${copied} other files, bundled the console (${consoleFiles.length} files, ${Math.round(consoleBytes / 1024)} KiB)`);
