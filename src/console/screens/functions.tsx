// The user's functions: a searchable list, and a form that creates one from a template.
import { useMemo, useState } from 'preact/hooks';
import type { FunctionSummary } from '../../client/index.ts';
import { api, call } from '../api.ts';
import { templates } from '../templates.ts';
import { ErrorNotice, formatTime, ListTable, Loading, navigate, useLoad } from '../ui.tsx';

async function allFunctions(): Promise<FunctionSummary[]> {
  const items: FunctionSummary[] = [];
  let cursor: string | undefined;
  // At most 10 pages (1,000 functions): far above the default quota of 100.
  for (let page = 0; page < 10; page += 1) {
    const answer = await call(api().GET('/v1/functions', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    items.push(...answer.items);
    if (!answer.nextCursor) break;
    cursor = answer.nextCursor;
  }
  return items;
}

export function FunctionList() {
  const list = useLoad(allFunctions, []);
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list.data ?? []).filter((fn) => q === '' || fn.name.toLowerCase().includes(q) || fn.description.toLowerCase().includes(q));
  }, [list.data, query]);

  return (
    <section aria-labelledby="functions-title">
      <div class="page-head">
        <h1 id="functions-title">Functions</h1>
      </div>
      <CreateFunction />
      <div class="toolbar">
        <label for="function-search">Search</label>
        <input id="function-search" type="search" placeholder="name or description" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="functions" /> : null}
      {list.data && shown.length === 0 ? <p class="muted">{list.data.length === 0 ? 'No functions yet: create one above.' : 'No function matches.'}</p> : null}
      {shown.length > 0 ? (
        <ListTable caption="Your functions" columns={['Name', 'Version', { label: 'Language', wide: true }, 'Runs', { label: 'Last run', wide: true }]}>
            {shown.map((fn) => (
              <tr key={fn.id}>
                <td>
                  <a href={`#/functions/${fn.id}`}>{fn.name}</a>
                  {fn.description ? <div class="muted small">{fn.description}</div> : null}
                </td>
                <td>v{fn.version}</td>
                <td class="wide">{fn.language}</td>
                <td>{fn.executionCount}</td>
                <td class="wide">{formatTime(fn.lastExecutionAt)}</td>
              </tr>
            ))}
        </ListTable>
      ) : null}
    </section>
  );
}

function CreateFunction() {
  const [name, setName] = useState('');
  const [template, setTemplate] = useState(templates[0]!.id);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const chosen = templates.find((t) => t.id === template) ?? templates[0]!;
    setBusy(true);
    setError(undefined);
    try {
      const created = await call(api().POST('/v1/functions', { body: { name: name.trim(), source: chosen.source, language: chosen.language } }));
      navigate(`#/functions/${created.id}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card inline-form" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">New function</h2>
      <div class="fields">
        <div class="field">
          <label for="new-name">Name</label>
          <input id="new-name" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}" title="letters, digits, . _ - (at most 64)" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="new-template">Template</label>
          <select id="new-template" value={template} onChange={(event) => setTemplate((event.target as HTMLSelectElement).value)}>
            {templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </div>
      <ErrorNotice error={error} />
    </form>
  );
}
