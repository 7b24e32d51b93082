// A function made of several ES modules: the entry (the request's `source`, at path `entry`)
// and `modules`, by path, which import each other by relative specifiers ("./lib/util.js",
// "../shared.js"). Everything here is judged on the host before any guest code runs; the
// sandbox then links exactly this graph inside the isolate (no host module loader ever reaches
// the guest).
//
// Invariants:
// - a path is a normalised relative POSIX path inside the set (no leading "/", no "..", no
//   empty or "." segments, no backslash or NUL), at most `maxPathLength` characters;
// - every relative specifier resolves to a module of the set, every other specifier (a package,
//   a URL, "node:fs") is refused, by name, with what to do instead;
// - the graph has no cycle (refused with the cycle spelled out, so the error says what to
//   change): evaluation order is then the plain depth-first order everyone expects;
// - the whole set counts against the source limit, in UTF-8 bytes.
import { ExecutionFailure } from './failure.ts';

export const maxModules = 100;
const maxPathLength = 200;
const defaultEntry = 'main.js';

export interface ModuleSet {
  /** Path of the entry module. */
  entry: string;
  /** Every module's source by path, the entry's included. */
  sources: ReadonlyMap<string, string>;
}

/**
 * The request's module set, or null when it has no `modules`. Throws VALIDATION_ERROR (plain
 * words, naming the path) for anything malformed; `maxSourceBytes` bounds the whole set.
 */
export function moduleSetOf(source: string, modules: unknown, entry: unknown, maxSourceBytes: number): ModuleSet | null {
  if (modules === undefined || modules === null) {
    if (entry !== undefined && entry !== null) throw invalid('entry is only for a function with modules');
    return null;
  }
  if (typeof modules !== 'object' || Array.isArray(modules) || Object.getPrototypeOf(modules) !== Object.prototype) {
    throw invalid('modules must be an object of module sources by path, such as {"lib/util.js": "export const x = 1;"}');
  }
  const entryPath = entry === undefined || entry === null ? defaultEntry : checkedPath(entry, 'entry');
  const sources = new Map<string, string>([[entryPath, source]]);
  let bytes = Buffer.byteLength(source, 'utf8');
  const names = Object.keys(modules);
  if (names.length + 1 > maxModules) throw invalid(`a function has at most ${maxModules} modules, got ${names.length + 1}`);
  for (const name of names) {
    const path = checkedPath(name, `modules key ${JSON.stringify(name.slice(0, 60))}`);
    const text = (modules as Record<string, unknown>)[name];
    if (typeof text !== 'string') throw invalid(`modules["${path}"] must be the module's source text`);
    if (sources.has(path)) throw invalid(`module "${path}" is given twice (the entry is "${entryPath}")`);
    sources.set(path, text);
    bytes += Buffer.byteLength(text, 'utf8');
  }
  if (bytes > maxSourceBytes) throw invalid(`the modules are ${bytes} bytes together, over the limit of ${maxSourceBytes}`);
  return { entry: entryPath, sources };
}

function checkedPath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxPathLength) {
    throw invalid(`${what} must be a path of 1 to ${maxPathLength} characters`);
  }
  const segments = value.split('/');
  const bad = value.includes('\\') || value.includes('\0') || segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw invalid(`${what} must be a relative path inside the function, such as "lib/util.js", got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The path `specifier` names, imported from the module at `from`; throws VALIDATION_ERROR when
 * it is not relative or leaves the set.
 */
export function resolveSpecifier(specifier: string, from: string): string {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
    throw invalid(
      `module "${from}" imports ${JSON.stringify(specifier)}: only the function's own modules can be imported, by relative paths ("./util.js"); bundle packages into the function (teejs bundle)`,
    );
  }
  const parts = from.split('/').slice(0, -1);
  for (const segment of specifier.split('/')) {
    if (segment === '.' || segment === '') continue;
    if (segment === '..') {
      if (parts.length === 0) throw invalid(`module "${from}" imports ${JSON.stringify(specifier)}, which is outside the function`);
      parts.pop();
    } else parts.push(segment);
  }
  return parts.join('/');
}

/**
 * Checks the graph given each module's import specifiers: every import resolves to a module of
 * the set, and there is no cycle. Returns, per module, its specifiers resolved to paths.
 */
export function checkGraph(set: ModuleSet, importsOf: (path: string) => readonly string[]): Map<string, Map<string, string>> {
  const resolved = new Map<string, Map<string, string>>();
  for (const path of set.sources.keys()) {
    const targets = new Map<string, string>();
    for (const specifier of importsOf(path)) {
      const target = resolveSpecifier(specifier, path);
      if (!set.sources.has(target)) throw invalid(`module "${path}" imports ${JSON.stringify(specifier)}, but the function has no module "${target}"`);
      targets.set(specifier, target);
    }
    resolved.set(path, targets);
  }
  // Depth-first from the entry: a module met again while still on the path closes a cycle.
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (path: string): void => {
    state.set(path, 'open');
    trail.push(path);
    for (const target of resolved.get(path)!.values()) {
      const seen = state.get(target);
      if (seen === 'open') {
        const cycle = [...trail.slice(trail.indexOf(target)), target].map((p) => `"${p}"`).join(' → ');
        throw invalid(`the modules import each other in a cycle: ${cycle}; move what they share into a module both import`);
      }
      if (seen === undefined) visit(target);
    }
    trail.pop();
    state.set(path, 'done');
  };
  visit(set.entry);
  return resolved;
}

function invalid(message: string): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', message);
}
