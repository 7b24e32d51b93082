// checkSyntax: does a function's source compile, the way the sandbox will compile it? Used by
// the service to refuse a broken function when it is saved, rather than at every execution.
// Nothing runs: the source is only compiled, in a small throwaway isolate.
import ivm from 'isolated-vm';
import { ExecutionFailure } from './failure.ts';
import { checkGraph, moduleSetOf } from './module-set.ts';
import { detectForm, detectLanguage, displayFilename, stripTypes } from './source.ts';
import type { ExecutionError, SourceForm, SourceLanguage } from './types.ts';

export interface SyntaxCheckOptions {
  /** Detected from the source (and filename) when absent, as the engine does. */
  form?: SourceForm | undefined;
  filename?: string | undefined;
  /** TypeScript is stripped of its types first, exactly as the engine does. */
  language?: SourceLanguage | undefined;
}

// Enough to parse any source within the size limit; compiling allocates little.
const checkIsolateMemoryMb = 32;
const positionPattern = /\s*\[([^\]]*):(\d+):(\d+)\]$/;
const moduleOnlySyntax = /Cannot use import statement|Unexpected token 'export'|await is only valid|import\.meta/;

/**
 * Compiles a function's source and answers null when it compiles, or the error an execution
 * would report: SYNTAX_ERROR with the 1-based line and column, or VALIDATION_ERROR for a module
 * that imports something.
 */
export async function checkSyntax(original: string, options: SyntaxCheckOptions = {}): Promise<ExecutionError | null> {
  const language = detectLanguage(options.filename, options.language);
  const form = options.form ?? detectForm(original, options.filename, language);
  const filename = displayFilename(options.filename, form, language);
  let source = original;
  if (language === 'typescript') {
    try {
      source = stripTypes(original, filename);
    } catch (error) {
      if (error instanceof ExecutionFailure) return error.toExecutionError();
      throw error;
    }
  }
  const isolate = new ivm.Isolate({ memoryLimit: checkIsolateMemoryMb });
  try {
    if (form === 'script') {
      try {
        // Exactly as the sandbox compiles a script: strict, line 1 of the source stays line 1.
        await isolate.compileScript(`"use strict";\n${source}`, { filename, lineOffset: -1 });
        return null;
      } catch (error) {
        // As the engine does: a detected script that only parses as a module is a module.
        if (options.form === undefined && error instanceof Error && error.name === 'SyntaxError' && moduleOnlySyntax.test(error.message)) {
          return await checkModule(isolate, source, displayFilename(options.filename, 'module', language));
        }
        return syntaxError(error, filename);
      }
    }
    return await checkModule(isolate, source, filename);
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}

export interface ModuleSetCheckOptions {
  /** The entry's language; every other module is TypeScript when its path ends in .ts or .mts. */
  language?: SourceLanguage | undefined;
  /** Bounds the whole set, in UTF-8 bytes. */
  maxSourceBytes: number;
}

/**
 * Checks a function of several modules as the engine will run it (module-set.ts): paths, size,
 * every module compiles (SYNTAX_ERROR names the module, with line and column), every import
 * resolves inside the set, no cycle (VALIDATION_ERROR naming the module and the specifier).
 * Null when it would link. Nothing runs.
 */
export async function checkModuleSet(source: string, modules: unknown, entry: unknown, options: ModuleSetCheckOptions): Promise<ExecutionError | null> {
  let set;
  try {
    set = moduleSetOf(source, modules, entry, options.maxSourceBytes);
  } catch (error) {
    if (error instanceof ExecutionFailure) return error.toExecutionError();
    throw error;
  }
  if (set === null) return null;
  const isolate = new ivm.Isolate({ memoryLimit: checkIsolateMemoryMb });
  try {
    const imports = new Map<string, readonly string[]>();
    for (const [path, original] of set.sources) {
      const typescript = path === set.entry ? detectLanguage(path, options.language) === 'typescript' : /\.m?ts$/.test(path);
      let text = original;
      if (typescript) {
        try {
          text = stripTypes(original, path);
        } catch (error) {
          if (error instanceof ExecutionFailure) return error.toExecutionError();
          throw error;
        }
      }
      let module: ivm.Module;
      try {
        module = await isolate.compileModule(text, { filename: path });
      } catch (error) {
        return syntaxError(error, path);
      }
      imports.set(path, module.dependencySpecifiers);
      module.release();
    }
    try {
      checkGraph(set, (path) => imports.get(path) ?? []);
    } catch (error) {
      if (error instanceof ExecutionFailure) return error.toExecutionError();
      throw error;
    }
    return null;
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}

async function checkModule(isolate: ivm.Isolate, source: string, filename: string): Promise<ExecutionError | null> {
  let module: ivm.Module;
  try {
    module = await isolate.compileModule(source, { filename });
  } catch (error) {
    return syntaxError(error, filename);
  }
  const imports = module.dependencySpecifiers;
  module.release();
  if (imports.length > 0) {
    return {
      code: 'VALIDATION_ERROR',
      message: `imports are not supported in a one-file function: ${imports.map((s) => JSON.stringify(s)).join(', ')}; bundle it with its packages (teejs bundle)`,
    };
  }
  return null;
}

function syntaxError(error: unknown, filename: string): ExecutionError {
  const raw = error instanceof Error ? error : new Error(String(error));
  const position = positionPattern.exec(raw.message);
  const bare = position ? raw.message.slice(0, position.index) : raw.message;
  if (raw.name === 'SyntaxError' && position) {
    const line = Number(position[2]);
    const column = Number(position[3]);
    return { code: 'SYNTAX_ERROR', message: `SyntaxError: ${bare} (${filename}:${line}:${column})`, line, column };
  }
  // Not a syntax error (e.g. the check isolate ran out of memory on a gigantic source).
  return { code: 'VALIDATION_ERROR', message: `the source could not be compiled: ${bare}` };
}
