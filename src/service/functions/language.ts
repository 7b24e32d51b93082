// A function's source as the isolate compiles it: JavaScript as is, TypeScript with its types
// stripped first.
import { stripTypeScriptTypes } from 'node:module';
import type { SourceLanguage } from '../../core/types.ts';

export type Prepared = { ok: true; javascript: string } | { ok: false; message: string; line?: number; column?: number };

export function toJavaScript(source: string, language: SourceLanguage): Prepared {
  if (language === 'javascript') return { ok: true, javascript: source };
  try {
    return { ok: true, javascript: stripTypeScriptTypes(source, { mode: 'strip' }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `TypeScript: ${message.split('\n')[0]}` };
  }
}
