// What kind of source a function is: an ES module (`export default`) or the original system's
// classic script that defines main(), in JavaScript or TypeScript. Explicit when the caller
// says so, detected otherwise. TypeScript is stripped of its types, nothing else.
import { stripTypeScriptTypes } from 'node:module';
import { ExecutionFailure } from './failure.ts';
import type { SourceForm, SourceLanguage } from './types.ts';

const moduleSyntax = /^\s*(?:export\s|export\{|import\s*[\w{*'"])/m;

export function detectForm(source: string, filename?: string): SourceForm {
  if (filename && /\.m[jt]s$/.test(filename)) return 'module';
  if (filename && /\.c[jt]s$/.test(filename)) return 'script';
  return moduleSyntax.test(source) ? 'module' : 'script';
}

/** The language a caller asked for, or the one its file name says (`.ts`, `.mts`, `.cts`). */
export function detectLanguage(filename: string | undefined, language: unknown): SourceLanguage {
  if (language === 'javascript' || language === 'typescript') return language;
  if (language !== undefined && language !== null) {
    throw new ExecutionFailure('VALIDATION_ERROR', 'language must be "javascript" or "typescript"');
  }
  return filename && /\.[mc]?ts$/.test(filename) ? 'typescript' : 'javascript';
}

/** A base name safe to show in stack traces: no directories of the machine that submitted it. */
export function displayFilename(filename: string | undefined, form: SourceForm, language: SourceLanguage = 'javascript'): string {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\-]/g, '_').slice(0, 100);
  if (clean && !clean.startsWith('teejs')) return clean;
  const extension = language === 'typescript' ? 'ts' : 'js';
  return form === 'module' ? `function.m${extension}` : `function.${extension}`;
}

let warned = false;

/**
 * Node's stripTypeScriptTypes warns once per process that it is experimental (on stderr).
 * The warning says nothing to a teejs user, whose function is not the process's own code:
 * it is dropped, and only that one warning.
 */
function withoutExperimentalWarning<T>(strip: () => T): T {
  if (warned) return strip();
  warned = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith('stripTypeScriptTypes is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return strip();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * JavaScript from TypeScript, with every type annotation replaced by spaces (Node's 'strip'
 * mode, the same as its own type stripping), so lines and columns of errors and stacks are
 * the user's own. Syntax that needs code generation (enum, namespace, parameter properties)
 * is refused with a SYNTAX_ERROR, as Node refuses it.
 */
export function stripTypes(source: string, filename: string): string {
  try {
    return withoutExperimentalWarning(() => stripTypeScriptTypes(source, { mode: 'strip' }));
  } catch (error) {
    const raw = error as Error & { code?: string };
    if (raw?.name !== 'SyntaxError') throw error;
    const where = stripPosition(raw.stack ?? '');
    const at = where ? ` (${filename}:${where.line}:${where.column})` : '';
    throw new ExecutionFailure('SYNTAX_ERROR', `SyntaxError: ${raw.message}${at}`, where ?? {});
  }
}

/**
 * Where the TypeScript parser stopped. Node puts `<file>:<line>` and a snippet with a caret
 * line on top of the error's stack; the caret's offset is the column.
 */
function stripPosition(stack: string): { line: number; column: number } | null {
  const lines = stack.split('\n');
  const header = /:(\d+)$/.exec(lines[0] ?? '');
  if (!header) return null;
  const caret = lines.slice(1, 8).find((line) => /^\s*\^+\s*$/.test(line));
  return { line: Number(header[1]), column: caret ? caret.indexOf('^') + 1 : 1 };
}
