// The operator's users: list and create (the first key shown once), and one user's usage against
// the quotas and their keys (create, revoke).
import { useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import { ErrorNotice, formatTime, ListTable, Loading, Status, useLoad } from '../ui.tsx';

export function UsersPage() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad(() => call(api().GET('/v1/users', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } })), [cursor]);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const answer = await call(api().POST('/v1/users', { body: { name: name.trim() } }));
      setCreated({ name: answer.user.name, key: answer.apiKey.key });
      setName('');
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="users-title">
      <div class="page-head">
        <h1 id="users-title">Users</h1>
      </div>
      <form class="card inline-form" onSubmit={submit}>
        <h2>New user</h2>
        <div class="fields">
          <div class="field">
            <label for="user-name">Name</label>
            <input id="user-name" required pattern="[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Create</button>
        </div>
      </form>
      {created ? (
        <Status>
          User {created.name} created. Their API key, shown this once: <code class="secret-once">{created.key}</code>
        </Status>
      ) : null}
      <ErrorNotice error={error ?? list.error} />
      {list.loading && !list.data ? <Loading what="users" /> : null}
      {list.data && list.data.items.length > 0 ? (
        <ListTable caption="Users" columns={['Name', 'Created']}>
            {list.data.items.map((user) => (
              <tr key={user.id}>
                <td>
                  <a href={`#/users/${user.id}`}>{user.name}</a>
                </td>
                <td>{formatTime(user.createdAt)}</td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      <div class="pager">
        <button type="button" class="secondary" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <button type="button" class="secondary" disabled={!list.data?.nextCursor} onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data!.nextCursor!])}>
          Next
        </button>
      </div>
    </section>
  );
}

function Meter({ label, used, limit }: { label: string; used: number; limit?: number }) {
  return (
    <div class="meter">
      <span class="meter-label">{label}</span>
      {limit !== undefined ? <meter min={0} max={Math.max(limit, 1)} value={used} high={limit * 0.8} aria-label={`${label}: ${used} of ${limit}`} /> : <span class="muted small">no quota</span>}
      <span class="meter-value">{limit !== undefined ? `${used} / ${limit}` : used}</span>
    </div>
  );
}

export function UserPage({ userId }: { userId: string }) {
  const user = useLoad(() => call(api().GET('/v1/users/{userId}', { params: { path: { userId } } })), [userId]);
  const usage = useLoad(() => call(api().GET('/v1/users/{userId}/usage', { params: { path: { userId } } })), [userId]);
  const keys = useLoad(() => call(api().GET('/v1/users/{userId}/keys', { params: { path: { userId } } })), [userId]);
  const [keyName, setKeyName] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<string | null>(null);

  const createKey = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const key = await call(api().POST('/v1/users/{userId}/keys', { params: { path: { userId } }, body: keyName.trim() ? { name: keyName.trim() } : {} }));
      setCreated(key.key);
      setKeyName('');
      keys.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const revoke = async (keyId: string) => {
    setError(undefined);
    try {
      await call(api().DELETE('/v1/users/{userId}/keys/{keyId}', { params: { path: { userId, keyId } } }));
      keys.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="user-title">
      <div class="page-head">
        <h1 id="user-title">{user.data?.name ?? 'User'}</h1>
        <a href="#/users">All users</a>
      </div>
      <ErrorNotice error={user.error ?? usage.error ?? keys.error ?? error} />
      <h2>Usage and quotas</h2>
      {usage.data ? (
        <div class="card meters">
          <Meter label="Functions" used={usage.data.functions.used} limit={usage.data.functions.limit} />
          <Meter label="Secrets" used={usage.data.secrets.used} limit={usage.data.secrets.limit} />
          <Meter label="Schedules" used={usage.data.schedules.used} limit={usage.data.schedules.limit} />
          <Meter label="Running or queued" used={usage.data.activeExecutions.used} limit={usage.data.activeExecutions.limit} />
          <Meter label="Webhooks" used={usage.data.webhooks.used} />
        </div>
      ) : (
        <Loading what="usage" />
      )}
      <h2>API keys</h2>
      {created ? (
        <Status>
          New key, shown this once: <code class="secret-once">{created}</code>
        </Status>
      ) : null}
      {keys.data ? (
        <ListTable caption="API keys" columns={['Name', 'Prefix', { label: 'Last used', wide: true }, 'State']}>
            {keys.data.items.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td class="wide">{formatTime(key.lastUsedAt)}</td>
                <td>
                  {key.revokedAt ? (
                    <span class="muted">revoked {formatTime(key.revokedAt)}</span>
                  ) : (
                    <button type="button" class="danger" onClick={() => void revoke(key.id)} aria-label={`Revoke key ${key.name} (${key.prefix})`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      <form class="card inline-form" onSubmit={createKey}>
        <h3>New key</h3>
        <div class="fields">
          <div class="field">
            <label for="key-name">Label</label>
            <input id="key-name" pattern="[A-Za-z0-9][A-Za-z0-9 ._@\-]{0,63}" value={keyName} onInput={(event) => setKeyName((event.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Create key</button>
        </div>
      </form>
    </section>
  );
}
