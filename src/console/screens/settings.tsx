// A function's settings: description, limits, the secrets it may read and the hosts it may fetch.
// Saved with If-Match like the source.
import { useState } from 'preact/hooks';
import { api, ConsoleError, errorOf } from '../api.ts';
import { navigate, ErrorNotice, Status } from '../ui.tsx';
import { call } from '../api.ts';
import type { Loaded } from './function.tsx';

const listOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

export function SettingsTab({ loaded, onSaved }: { loaded: Loaded; onSaved: (value: Loaded) => void }) {
  const { fn } = loaded;
  const [description, setDescription] = useState(fn.description);
  const [timeoutMs, setTimeoutMs] = useState(String(fn.timeoutMs));
  const [memoryMb, setMemoryMb] = useState(String(fn.memoryMb));
  const [secrets, setSecrets] = useState(fn.allowedSecrets.join(', '));
  const [hosts, setHosts] = useState(fn.allowedHosts.join(', '));
  const [language, setLanguage] = useState(fn.language);
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setSaved(null);
    const { data, error: body, response } = await api()
      .PATCH('/v1/functions/{id}', {
        params: { path: { id: fn.id }, ...(loaded.etag ? { header: { 'if-match': loaded.etag } } : {}) },
        body: { description, timeoutMs: Number(timeoutMs), memoryMb: Number(memoryMb), allowedSecrets: listOf(secrets), allowedHosts: listOf(hosts), language },
      })
      .catch((caught: unknown) => ({ data: undefined, error: caught, response: null }));
    if (!response) return setError(body);
    if (!response.ok || !data) {
      const problem = errorOf(response, body);
      setError(problem.status === 412 ? new ConsoleError({ status: 412, code: 'PRECONDITION_FAILED', message: 'Someone else changed this function meanwhile: reload the page to see their change, then apply yours again.' }) : problem);
      return;
    }
    onSaved({ fn: data, etag: response.headers.get('etag') });
    setSaved(`Saved as version ${data.version}.`);
  };

  const remove = async () => {
    if (!confirm(`Delete ${fn.name} with its versions and history?`)) return;
    try {
      await call(api().DELETE('/v1/functions/{id}', { params: { path: { id: fn.id } } }));
      navigate('#/functions');
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <form class="card settings" onSubmit={submit}>
      <div class="field">
        <label for="set-description">Description</label>
        <input id="set-description" value={description} maxLength={1000} onInput={(event) => setDescription((event.target as HTMLInputElement).value)} />
      </div>
      <div class="fields">
        <div class="field">
          <label for="set-timeout">Time limit (ms)</label>
          <input id="set-timeout" type="number" min={1} max={900000} required value={timeoutMs} onInput={(event) => setTimeoutMs((event.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="set-memory">Memory limit (MB)</label>
          <input id="set-memory" type="number" min={8} max={4096} required value={memoryMb} onInput={(event) => setMemoryMb((event.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="set-language">Language</label>
          <select id="set-language" value={language} onChange={(event) => setLanguage((event.target as HTMLSelectElement).value as 'javascript' | 'typescript')}>
            <option value="javascript">JavaScript</option>
            <option value="typescript">TypeScript</option>
          </select>
        </div>
      </div>
      <div class="field">
        <label for="set-secrets">Secrets it may read</label>
        <input id="set-secrets" value={secrets} onInput={(event) => setSecrets((event.target as HTMLInputElement).value)} aria-describedby="set-secrets-help" />
        <p id="set-secrets-help" class="muted small">
          Names, separated by commas. Any other secret reads as missing.
        </p>
      </div>
      <div class="field">
        <label for="set-hosts">Hosts it may fetch</label>
        <input id="set-hosts" value={hosts} onInput={(event) => setHosts((event.target as HTMLInputElement).value)} aria-describedby="set-hosts-help" />
        <p id="set-hosts-help" class="muted small">
          api.example.com, *.example.com or *, within the operator's list.
        </p>
      </div>
      <ErrorNotice error={error} />
      {saved ? <Status>{saved}</Status> : null}
      <div class="actions">
        <button type="submit">Save settings</button>
        <button type="button" class="danger" onClick={() => void remove()}>
          Delete function
        </button>
      </div>
    </form>
  );
}
