// What kind of source a function is: an ES module (`export default`) or the original system's
// classic script that defines main(). Explicit when the caller says so, detected otherwise.
import type { SourceForm } from './types.ts';

const moduleSyntax = /^\s*(?:export\s|export\{|import\s*[\w{*'"])/m;

export function detectForm(source: string, filename?: string): SourceForm {
  if (filename && /\.m[jt]s$/.test(filename)) return 'module';
  if (filename && /\.c[jt]s$/.test(filename)) return 'script';
  return moduleSyntax.test(source) ? 'module' : 'script';
}

/** A base name safe to show in stack traces: no directories of the machine that submitted it. */
export function displayFilename(filename: string | undefined, form: SourceForm): string {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\-]/g, '_').slice(0, 100);
  if (clean && !clean.startsWith('teejs')) return clean;
  return form === 'module' ? 'function.mjs' : 'function.js';
}
