// `teejs run main.mjs` where main.mjs imports its neighbours ("./lib/util.js"): the files it
// reaches by relative imports, read from disk as the function's other modules (the engine's
// `modules`, src/core/module-set.ts). Only files under the entry's folder are read; any other
// import (a package, a path outside) is left for the engine to refuse with its own words.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { maxModules, staticImports } from '../core/index.ts';

export interface ModuleFiles {
  /** The entry's path within the set: its base name. */
  entry: string;
  /** The other modules by path relative to the entry's folder; empty when it imports none. */
  modules: Record<string, string>;
}

const languageOf = (file: string) => (/\.[mc]?ts$/.test(file) ? 'typescript' : 'javascript');

export function moduleFilesOf(entryFile: string, entrySource: string): ModuleFiles {
  const root = path.dirname(path.resolve(entryFile));
  const entry = path.basename(entryFile);
  const modules: Record<string, string> = {};
  const queue: Array<{ relative: string; source: string }> = [{ relative: entry, source: entrySource }];
  const seen = new Set([entry]);
  while (queue.length > 0) {
    const { relative, source } = queue.shift()!;
    for (const specifier of staticImports(source, languageOf(relative))) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const absolute = path.resolve(root, path.dirname(relative), specifier);
      const target = path.relative(root, absolute).split(path.sep).join('/');
      if (target.startsWith('..') || path.isAbsolute(target) || seen.has(target)) continue;
      if (!existsSync(absolute) || !statSync(absolute).isFile()) continue;
      if (seen.size >= maxModules) return { entry, modules };
      seen.add(target);
      const text = readFileSync(absolute, 'utf8');
      modules[target] = text;
      queue.push({ relative: target, source: text });
    }
  }
  return { entry, modules };
}
