// One function: the editor with the service's diagnostics and the run panel side by side, its
// history with charts, its versions with a diff, its triggers and its settings.
//
// Invariants: editor text not yet saved is kept as a draft in this tab's session storage on
// every change, so a refused key, a failed save or the service going away never loses it; a
// save sends the ETag the text started from (If-Match), and a 412 offers to reload or overwrite,
// never overwrites on its own.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Execution, FunctionRecord } from '../../client/index.ts';
import { api, call, ConsoleError, errorOf, messageOf } from '../api.ts';
import type { CodeEditor } from '../editor.ts';
import { followExecution, type LogLine } from '../logs.ts';
import { dropDraft, loadDraft, saveDraft } from '../session.ts';
import { ErrorNotice, Loading, RetryCountdown, Status } from '../ui.tsx';
import { ExecutionView, LogList } from './execution.tsx';
import { HistoryTab } from './history.tsx';
import { SettingsTab } from './settings.tsx';
import { TriggersTab } from './triggers.tsx';
import { VersionsTab } from './versions.tsx';

export interface Loaded {
  fn: FunctionRecord;
  etag: string | null;
}

export async function loadFunction(id: string): Promise<Loaded> {
  const { data, error, response } = await api().GET('/v1/functions/{id}', { params: { path: { id } } });
  if (!response.ok || !data) throw errorOf(response, error);
  return { fn: data, etag: response.headers.get('etag') };
}

const tabs = [
  ['code', 'Code & run'],
  ['history', 'History'],
  ['versions', 'Versions'],
  ['triggers', 'Triggers'],
  ['settings', 'Settings'],
] as const;

export function FunctionPage({ owner, functionId, tab }: { owner: string; functionId: string; tab: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const reload = useCallback(() => {
    setError(undefined);
    return loadFunction(functionId).then(
      (value) => {
        setLoaded(value);
        return value;
      },
      (caught: unknown) => {
        setError(caught);
        return null;
      },
    );
  }, [functionId]);
  useEffect(() => {
    setLoaded(null);
    void reload();
  }, [reload]);

  if (!loaded) {
    return (
      <section>
        <ErrorNotice error={error} />
        {error ? <a href="#/functions">Back to functions</a> : <Loading what="the function" />}
      </section>
    );
  }
  const { fn } = loaded;
  return (
    <section aria-labelledby="function-title" class="function-page">
      <div class="page-head">
        <h1 id="function-title">
          {fn.name} <span class="muted small">v{fn.version} · {fn.language}</span>
        </h1>
        <a href="#/functions">All functions</a>
      </div>
      <nav class="tabs" aria-label="Function">
        {tabs.map(([id, label]) => (
          <a key={id} href={`#/functions/${fn.id}/${id}`} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'history' ? <HistoryTab fn={fn} /> : null}
      {tab === 'versions' ? <VersionsTab fn={fn} onChanged={reload} /> : null}
      {tab === 'triggers' ? <TriggersTab fn={fn} /> : null}
      {tab === 'settings' ? <SettingsTab loaded={loaded} onSaved={setLoaded} /> : null}
      {tabs.every(([id]) => id !== tab) || tab === 'code' ? <CodeTab owner={owner} loaded={loaded} setLoaded={setLoaded} reload={reload} /> : null}
    </section>
  );
}

type RunMode = 'async' | 'sync';

function CodeTab({ owner, loaded, setLoaded, reload }: { owner: string; loaded: Loaded; setLoaded: (value: Loaded) => void; reload: () => Promise<Loaded | null> }) {
  const { fn } = loaded;
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | null>(null);
  const etag = useRef(loaded.etag);
  const draft = loadDraft(owner, fn.id);
  const restored = useRef(draft !== null && draft.source !== fn.source ? draft : null);
  const [dirty, setDirty] = useState(restored.current !== null);
  const [saveState, setSaveState] = useState<{ kind: 'idle' | 'saving' | 'saved' | 'conflict' | 'error'; error?: unknown; message?: string }>({ kind: 'idle' });
  const [editorError, setEditorError] = useState<unknown>(undefined);
  const [editorReady, setEditorReady] = useState(false);

  // The run panel's state lives here so that the shortcuts reach it.
  const [params, setParams] = useState('{}');
  const [mode, setMode] = useState<RunMode>('async');
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<unknown>(undefined);
  const [liveLogs, setLiveLogs] = useState<LogLine[] | null>(null);
  const [streamMode, setStreamMode] = useState<'live' | 'polling' | null>(null);
  const [execution, setExecution] = useState<Execution | null>(null);
  const abort = useRef<AbortController | null>(null);

  const paramsProblem = (() => {
    if (params.trim() === '') return null;
    try {
      JSON.parse(params);
      return null;
    } catch (error) {
      return `Params must be JSON: ${(error as Error).message}`;
    }
  })();

  const save = async (options: { overwrite?: boolean } = {}): Promise<boolean> => {
    const source = editor.current?.getText() ?? restored.current?.source ?? fn.source;
    setSaveState({ kind: 'saving' });
    try {
      let ifMatch = etag.current ?? undefined;
      if (options.overwrite) ifMatch = (await loadFunction(fn.id)).etag ?? undefined;
      const { data, error, response } = await api().PATCH('/v1/functions/{id}', {
        params: { path: { id: fn.id }, ...(ifMatch ? { header: { 'if-match': ifMatch } } : {}) },
        body: { source },
      });
      if (!response.ok || !data) throw errorOf(response, error);
      etag.current = response.headers.get('etag');
      dropDraft(owner, fn.id);
      restored.current = null;
      setDirty(false);
      editor.current?.showProblem(null);
      setLoaded({ fn: data, etag: etag.current });
      setSaveState({ kind: 'saved', message: `Saved as version ${data.version}.` });
      return true;
    } catch (error) {
      if (error instanceof ConsoleError && error.status === 412) {
        setSaveState({ kind: 'conflict' });
        return false;
      }
      if (error instanceof ConsoleError && error.code === 'SYNTAX_ERROR') editor.current?.showProblem({ message: error.message, line: error.line, column: error.column });
      setSaveState({ kind: 'error', error });
      return false;
    }
  };

  const run = async () => {
    if (running) return;
    if (paramsProblem) {
      setRunError(new Error(paramsProblem));
      document.getElementById('run-params')?.focus();
      return;
    }
    if (dirty && !(await save())) return;
    setRunning(true);
    setRunError(undefined);
    setExecution(null);
    setLiveLogs(null);
    setStreamMode(null);
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    try {
      const body = { params: params.trim() === '' ? {} : (JSON.parse(params) as unknown), async: mode === 'async' };
      const answer = await call(api().POST('/v1/functions/{id}/executions', { params: { path: { id: fn.id } }, body, signal: controller.signal }));
      if ('logs' in answer) {
        setExecution(answer);
      } else {
        setLiveLogs([]);
        const done = await followExecution(
          answer.executionId,
          {
            onLog: (line) => setLiveLogs((lines) => [...(lines ?? []), line]),
            onMode: setStreamMode,
          },
          controller.signal,
        );
        setLiveLogs(null);
        setExecution(done);
      }
    } catch (error) {
      if (!controller.signal.aborted) setRunError(error);
    } finally {
      if (abort.current === controller) setRunning(false);
    }
  };

  // Shortcuts outside the editor too (the editor handles its own and marks them handled).
  const actions = useRef({ save, run });
  actions.current = { save, run };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || !(event.ctrlKey || event.metaKey)) return;
      if (event.key === 's') {
        event.preventDefault();
        void actions.current.save();
      } else if (event.key === 'Enter') {
        event.preventDefault();
        void actions.current.run();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => () => abort.current?.abort(), []);

  useEffect(() => {
    let created: CodeEditor | null = null;
    let live = true;
    import('../editor.ts').then(
      ({ createEditor }) => {
        if (!live || !host.current) return;
        created = createEditor(host.current, {
          doc: restored.current?.source ?? fn.source,
          language: fn.language,
          label: `Source of ${fn.name}`,
          onChange: (source) => {
            setDirty(true);
            saveDraft(owner, fn.id, { source, baseEtag: etag.current, savedAt: Date.now() });
          },
          check: async (source) => {
            const result = await call(api().POST('/v1/functions/syntax-check', { body: { source, language: fn.language, form: fn.formDetected ? null : fn.form } }));
            return result.error;
          },
          onSave: () => void actions.current.save(),
          onRun: () => void actions.current.run(),
        });
        editor.current = created;
        setEditorReady(true);
      },
      (error: unknown) => live && setEditorError(error),
    );
    return () => {
      live = false;
      created?.destroy();
      editor.current = null;
    };
  }, [fn.id]);
  useEffect(() => editor.current?.setLanguage(fn.language), [fn.language]);

  const reloadTheirs = async () => {
    const fresh = await reload();
    if (!fresh) return;
    etag.current = fresh.etag;
    editor.current?.setText(fresh.fn.source);
    dropDraft(owner, fn.id);
    restored.current = null;
    setDirty(false);
    setSaveState({ kind: 'idle' });
  };

  return (
    <div class="workbench">
      <div class="pane editor-pane">
        <div class="pane-head">
          <h2>Source</h2>
          <div class="actions">
            <span class="muted small" aria-live="polite">
              {dirty ? 'Unsaved changes' : 'Saved'}
            </span>
            <button type="button" onClick={() => void save()} disabled={saveState.kind === 'saving'} aria-keyshortcuts="Control+S Meta+S" title="Save (Ctrl+S)">
              {saveState.kind === 'saving' ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>
        {restored.current ? (
          <Status>
            Restored unsaved text from this tab.{' '}
            <button
              type="button"
              class="link"
              onClick={() => {
                editor.current?.setText(fn.source);
                dropDraft(owner, fn.id);
                restored.current = null;
                setDirty(false);
              }}
            >
              Discard it
            </button>
          </Status>
        ) : null}
        {saveState.kind === 'conflict' ? (
          <div class="notice warning" role="alert">
            <p>Someone else saved this function since you opened it. Your text is kept here.</p>
            <div class="actions">
              <button type="button" class="secondary" onClick={() => void reloadTheirs()}>
                Reload theirs (discard mine)
              </button>
              <button type="button" onClick={() => void save({ overwrite: true })}>
                Overwrite with mine
              </button>
            </div>
          </div>
        ) : null}
        {saveState.kind === 'error' ? <ErrorNotice error={saveState.error} /> : null}
        {saveState.kind === 'saved' ? <Status>{saveState.message}</Status> : null}
        <ErrorNotice error={editorError} />
        {!editorReady && !editorError ? <Loading what="the editor" /> : null}
        <div class="editor" ref={host} />
        <p class="muted small">Ctrl+S (⌘S) saves, Ctrl+Enter (⌘↩) saves and runs. Errors show at their line as you type.</p>
      </div>
      <div class="pane run-pane">
        <div class="pane-head">
          <h2>Run</h2>
        </div>
        <label for="run-params">Params (JSON)</label>
        <textarea id="run-params" rows={4} spellcheck={false} value={params} onInput={(event) => setParams((event.target as HTMLTextAreaElement).value)} aria-invalid={paramsProblem ? true : undefined} aria-describedby="run-params-problem" />
        <p id="run-params-problem" class={paramsProblem ? 'field-error' : 'visually-hidden'}>
          {paramsProblem ?? 'Params are valid JSON.'}
        </p>
        <fieldset class="radios">
          <legend>Mode</legend>
          <label>
            <input type="radio" name="run-mode" value="async" checked={mode === 'async'} onChange={() => setMode('async')} /> Background, live logs
          </label>
          <label>
            <input type="radio" name="run-mode" value="sync" checked={mode === 'sync'} onChange={() => setMode('sync')} /> Wait for the answer
          </label>
        </fieldset>
        <button type="button" onClick={() => void run()} disabled={running} aria-keyshortcuts="Control+Enter Meta+Enter" title="Run (Ctrl+Enter)">
          {running ? 'Running…' : dirty ? 'Save and run' : 'Run'}
        </button>
        {runError instanceof ConsoleError && runError.retryAt !== undefined ? (
          <p class="notice error" role="alert">
            {messageOf(runError)}
            <RetryCountdown at={runError.retryAt} />
          </p>
        ) : (
          <ErrorNotice error={runError} />
        )}
        {liveLogs ? (
          <div class="live">
            <p class="muted small">{streamMode === 'polling' ? 'Waiting for the execution to end (this service has no log stream)…' : 'Running: lines appear as the function prints them.'}</p>
            <LogList logs={liveLogs} live />
          </div>
        ) : null}
        {execution ? (
          <div class="run-result">
            <p>
              <a href={`#/executions/${execution.executionId}`}>Open this execution</a>
            </p>
            <ExecutionView execution={execution} />
          </div>
        ) : null}
      </div>
    </div>
  );
}
