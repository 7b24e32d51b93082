// The user's secrets: names, versions and the audit trail; set and delete. A value can be
// written, never read back: no route answers one, and the form forgets it once sent.
import { useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import { ErrorNotice, formatTime, ListTable, Loading, Status, useLoad } from '../ui.tsx';

export function SecretsPage() {
  const list = useLoad(() => call(api().GET('/v1/secrets')), []);
  const [auditCursor, setAuditCursor] = useState<string | undefined>(undefined);
  const audit = useLoad(() => call(api().GET('/v1/audit/secrets', { params: { query: { limit: 20, ...(auditCursor ? { cursor: auditCursor } : {}) } } })), [auditCursor, list.data]);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setDone(null);
    try {
      const meta = await call(api().PUT('/v1/secrets/{name}', { params: { path: { name: name.trim() } }, body: { value } }));
      setValue('');
      setDone(`Secret ${meta.name} set (version ${meta.version}). Its value cannot be read back.`);
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const remove = async (secret: string) => {
    if (!confirm(`Delete the secret ${secret}? Functions that read it will get SECRET_NOT_FOUND.`)) return;
    setError(undefined);
    try {
      await call(api().DELETE('/v1/secrets/{name}', { params: { path: { name: secret } } }));
      setDone(`Secret ${secret} deleted.`);
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="secrets-title">
      <div class="page-head">
        <h1 id="secrets-title">Secrets</h1>
      </div>
      <form class="card inline-form" onSubmit={submit} autoComplete="off">
        <h2>Set a secret</h2>
        <div class="fields">
          <div class="field">
            <label for="secret-name">Name</label>
            <input id="secret-name" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} />
          </div>
          <div class="field grow">
            <label for="secret-value">Value</label>
            <input id="secret-value" type="password" required autoComplete="new-password" value={value} onInput={(event) => setValue((event.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Set</button>
        </div>
        <p class="muted small">Encrypted at rest; shown as [REDACTED] in the logs and results of the executions that read it.</p>
      </form>
      <ErrorNotice error={error ?? list.error} />
      {done ? <Status>{done}</Status> : null}
      {list.loading && !list.data ? <Loading what="secrets" /> : null}
      {list.data && list.data.items.length === 0 ? <p class="muted">No secrets yet.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <ListTable caption="Your secrets" columns={['Name', 'Version', { label: 'Changed', wide: true }, { label: 'Actions', hidden: true }]}>
            {list.data.items.map((secret) => (
              <tr key={secret.name}>
                <td>
                  <code>{secret.name}</code>
                </td>
                <td>v{secret.version}</td>
                <td class="wide">{formatTime(secret.updatedAt)}</td>
                <td>
                  <button type="button" class="danger" onClick={() => void remove(secret.name)} aria-label={`Delete ${secret.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      <h2>Audit trail</h2>
      <ErrorNotice error={audit.error} />
      {audit.data && audit.data.items.length === 0 ? <p class="muted">Nothing yet.</p> : null}
      {audit.data && audit.data.items.length > 0 ? (
        <ListTable caption="Writes and reads of your secrets, newest first" columns={['When', 'Secret', 'What', { label: 'By', wide: true }]}>
            {audit.data.items.map((entry) => (
              <tr key={entry.id}>
                <td>{formatTime(entry.at)}</td>
                <td>
                  <code>{entry.secretName}</code>
                </td>
                <td>{entry.action}</td>
                <td class="wide">{entry.executionId ? <a href={`#/executions/${entry.executionId}`}>an execution</a> : entry.keyId ? <span class="muted">key {entry.keyId.slice(0, 8)}</span> : '—'}</td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      {audit.data?.nextCursor ? (
        <button type="button" class="secondary" onClick={() => setAuditCursor(audit.data!.nextCursor!)}>
          Older entries
        </button>
      ) : null}
    </section>
  );
}
