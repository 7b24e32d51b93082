// What kind of source a function is: an ES module (`export default`) or the original system's
// classic script that defines main(), in JavaScript or TypeScript. Explicit when the caller
// says so, detected otherwise. TypeScript is stripped of its types, nothing else.
import { init as lexerReady, parse as lexModule } from 'es-module-lexer';
import { stripTypeScriptTypes } from 'node:module';
import { ExecutionFailure } from './failure.ts';
import type { SourceForm, SourceLanguage } from './types.ts';

// es-module-lexer compiles its WebAssembly once per process; after that, lexing is synchronous.
await lexerReady;

/**
 * 'module' when the source has an import or export statement (or import.meta), by a real lexer
 * (es-module-lexer): a template literal or a comment with a line that starts with `import ` is
 * text, not syntax. TypeScript is lexed without its types. A source the lexer cannot read has a
 * syntax error, which compiling reports: there, a line that starts like an import or export
 * statement picks the form the error is reported in. A script that only parses as a module
 * (e.g. top-level await) is retried as one.
 */
export function detectForm(source: string, filename?: string, language: SourceLanguage = 'javascript'): SourceForm {
  if (filename && /\.m[jt]s$/.test(filename)) return 'module';
  if (filename && /\.c[jt]s$/.test(filename)) return 'script';
  let found = moduleSyntaxIn(source);
  if (found !== true && language === 'typescript') found = moduleSyntaxIn(strippedOrNull(source)) ?? found;
  if (found === null) found = looksLikeModule.test(source);
  return found ? 'module' : 'script';
}

const looksLikeModule = /^\s*(?:export\s|export\{|import\s*[\w{*'"])/m;

/** Whether the lexer finds module syntax; null when it cannot read the source. */
function moduleSyntaxIn(source: string | null): boolean | null {
  if (source === null) return null;
  try {
    const [imports, exports, , moduleSyntax] = lexModule(source);
    // Dynamic import() alone is allowed in scripts; it is not what makes a module.
    return moduleSyntax || exports.length > 0 || imports.some((entry) => entry.d === -1 || entry.d === -2);
  } catch {
    return null;
  }
}

/** The specifiers of a module's static imports and re-exports (none if the lexer cannot read it). */
export function staticImports(source: string, language: SourceLanguage = 'javascript'): string[] {
  const text = language === 'typescript' ? strippedOrNull(source) : source;
  if (text === null) return [];
  try {
    return lexModule(text)[0].filter((entry) => entry.d === -1 && entry.n !== undefined).map((entry) => entry.n!);
  } catch {
    return [];
  }
}

function strippedOrNull(source: string): string | null {
  try {
    return withoutExperimentalWarning(() => stripTypeScriptTypes(source, { mode: 'strip' }));
  } catch {
    return null;
  }
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
