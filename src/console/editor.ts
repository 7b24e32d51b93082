// The code editor: CodeMirror 6 with JavaScript/TypeScript highlighting and the service's own
// syntax check as its linter (the same judge as saving), plus a unified diff view of two
// versions. Loaded as its own chunk (import('./editor.ts')) when a function is opened, so the
// first screen does not wait for it.
//
// Invariant: each editor lives in a shadow root of its host element. CodeMirror then puts its
// styles into a constructed stylesheet (adoptedStyleSheets) instead of a <style> element, which
// the console's Content-Security-Policy (style-src 'self', no inline style) would block.
import { basicSetup } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { linter, lintGutter, setDiagnostics, forceLinting, type Diagnostic } from '@codemirror/lint';
import { unifiedMergeView } from '@codemirror/merge';
import { Compartment, EditorState, Prec, type Text } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';

export interface SourceProblem {
  message: string;
  line?: number | undefined;
  column?: number | undefined;
}

export interface EditorOptions {
  doc: string;
  language: 'javascript' | 'typescript';
  label: string;
  onChange: (source: string) => void;
  /** The service's syntax check: null when the source compiles. */
  check: (source: string) => Promise<SourceProblem | null>;
  onSave: () => void;
  onRun: () => void;
}

export interface CodeEditor {
  view: EditorView;
  getText(): string;
  setText(text: string): void;
  setLanguage(language: 'javascript' | 'typescript'): void;
  /** Shows a problem the service reported (on save) at its line. */
  showProblem(problem: SourceProblem | null): void;
  focus(): void;
  destroy(): void;
}

/** A diagnostic at a 1-based line and column, clamped into the document. */
export function diagnosticAt(doc: Text, problem: SourceProblem): Diagnostic {
  const lineNumber = Math.min(Math.max(problem.line ?? 1, 1), doc.lines);
  const line = doc.line(lineNumber);
  const from = Math.min(line.from + Math.max((problem.column ?? 1) - 1, 0), line.to);
  const to = from < line.to ? from + 1 : from;
  const where = problem.line !== undefined ? `line ${problem.line}${problem.column !== undefined ? `, column ${problem.column}` : ''}: ` : '';
  return { from, to, severity: 'error', message: `${where}${problem.message}`, source: 'teejs' };
}

/** The host's shadow root, emptied: where an editor is mounted. */
function shadowOf(host: HTMLElement): ShadowRoot {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  root.replaceChildren();
  return root;
}

/** What app.css would say about the editor, were it not inside a shadow root. */
const look = EditorView.theme({
  '&': { fontSize: '14px', minHeight: '22rem', maxHeight: '70vh', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', minHeight: '22rem' },
  '.cm-gutters': { backgroundColor: '#f1f4f8', color: '#52606d', borderRight: '1px solid #d9dee4' },
  '&.cm-focused': { outline: '3px solid #f59e0b', outlineOffset: '-3px' },
  '.cm-diagnostic-error': { borderLeftColor: '#a61b1b' },
  '@media (max-width: 640px)': { '&': { minHeight: '16rem' } },
});

export function createEditor(host: HTMLElement, options: EditorOptions): CodeEditor {
  const root = shadowOf(host);
  const languageSlot = new Compartment();
  const languageOf = (language: 'javascript' | 'typescript') => javascript({ typescript: language === 'typescript' });
  const serviceLinter = linter(
    async (view) => {
      const source = view.state.doc.toString();
      if (source.trim() === '') return [];
      const problem = await options.check(source).catch(() => null);
      // The document may have changed while the service answered: CodeMirror maps or drops it.
      return problem ? [diagnosticAt(view.state.doc, problem)] : [];
    },
    { delay: 600 },
  );
  const shortcuts = Prec.highest(
    keymap.of([
      { key: 'Mod-s', preventDefault: true, run: () => (options.onSave(), true) },
      { key: 'Mod-Enter', preventDefault: true, run: () => (options.onRun(), true) },
    ]),
  );
  const view = new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        shortcuts,
        basicSetup,
        look,
        // Long lines wrap: no sideways scrolling, on a phone least of all.
        EditorView.lineWrapping,
        languageSlot.of(languageOf(options.language)),
        serviceLinter,
        lintGutter(),
        EditorView.contentAttributes.of({ 'aria-label': options.label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    setLanguage: (language) => view.dispatch({ effects: languageSlot.reconfigure(languageOf(language)) }),
    showProblem: (problem) => {
      view.dispatch(setDiagnostics(view.state, problem ? [diagnosticAt(view.state.doc, problem)] : []));
      if (!problem) forceLinting(view);
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

/** A read-only unified diff: `after` with `before`'s lines shown where they differ. */
export function createDiff(host: HTMLElement, before: string, after: string, language: 'javascript' | 'typescript', label: string): { destroy(): void } {
  const root = shadowOf(host);
  const view = new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc: after,
      extensions: [
        basicSetup,
        look,
        EditorView.theme({ '&': { minHeight: '6rem' }, '.cm-scroller': { minHeight: '6rem' } }),
        javascript({ typescript: language === 'typescript' }),
        EditorState.readOnly.of(true),
        EditorView.editable.of(false),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        unifiedMergeView({ original: before, mergeControls: false, highlightChanges: true, gutter: true }),
      ],
    }),
  });
  return { destroy: () => view.destroy() };
}
