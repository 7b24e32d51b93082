// The web console's static files (src/console/), bundled by esbuild: the package build writes
// them into dist/ (scripts/build.ts), and a checkout without a build makes them in memory the
// first time /console is asked for. One configuration for both, so what the tests drive in a
// checkout is what the package ships.
//
// Invariant: the output is static files only (HTML, CSS, ES modules); nothing in them is
// generated per request, so the strict Content-Security-Policy needs no nonce.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** A file of the console: its path under /console/ and its bytes. */
export interface ConsoleFile {
  name: string;
  contents: Uint8Array;
}

const sourceDir = fileURLToPath(new URL('../../console/', import.meta.url));

/** Files copied as they are, besides the bundle. */
const staticFiles = ['index.html', 'app.css', 'icon.svg'];

/** Bundles src/console: the entry and its lazily loaded chunks (the editor), minified, with the copied files. */
export async function bundleConsole(options: { sourceDir?: string } = {}): Promise<ConsoleFile[]> {
  const dir = options.sourceDir ?? sourceDir;
  const result = await esbuild.build({
    entryPoints: { app: path.join(dir, 'main.tsx') },
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: '/console-out',
    chunkNames: 'chunk-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files: ConsoleFile[] = result.outputFiles.map((file) => ({ name: path.basename(file.path), contents: file.contents }));
  for (const name of staticFiles) files.push({ name, contents: await readFile(path.join(dir, name)) });
  return files;
}

/** Whether the console's sources are here (a checkout) rather than only its built files (the package). */
export function consoleSourceDir(): string {
  return sourceDir;
}
