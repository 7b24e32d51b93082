// A function's triggers: cron schedules (with their next and last runs) and webhooks (the secret
// shown once when made).
import { useState } from 'preact/hooks';
import type { FunctionRecord } from '../../client/index.ts';
import { api, call } from '../api.ts';
import { ErrorNotice, formatTime, ListTable, Loading, Status, useLoad } from '../ui.tsx';

export function TriggersTab({ fn }: { fn: FunctionRecord }) {
  return (
    <div class="triggers">
      <Schedules fn={fn} />
      <Hooks fn={fn} />
    </div>
  );
}

function Schedules({ fn }: { fn: FunctionRecord }) {
  const list = useLoad(() => call(api().GET('/v1/functions/{id}/schedules', { params: { path: { id: fn.id } } })), [fn.id]);
  const [cron, setCron] = useState('*/5 * * * *');
  const [timezone, setTimezone] = useState('UTC');
  const [error, setError] = useState<unknown>(undefined);
  const act = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const path = { id: fn.id };
  return (
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <ErrorNotice error={list.error ?? error} />
      {list.loading && !list.data ? <Loading what="schedules" /> : null}
      {list.data && list.data.items.length === 0 ? <p class="muted">No schedules.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <ListTable columns={['Cron', 'Next run', { label: 'Last run', wide: true }, { label: 'Actions', hidden: true }]}>
            {list.data.items.map((schedule) => (
              <tr key={schedule.id}>
                <td>
                  <code>{schedule.cron}</code> <span class="muted small">{schedule.timezone}</span>
                  {schedule.enabled ? null : <span class="badge">paused</span>}
                </td>
                <td>{formatTime(schedule.nextRunAt)}</td>
                <td class="wide">
                  {schedule.lastExecutionId ? <a href={`#/executions/${schedule.lastExecutionId}`}>{formatTime(schedule.lastRunAt)}</a> : formatTime(schedule.lastRunAt)}
                  {schedule.lastOutcome ? <div class="muted small">{schedule.lastOutcome}</div> : null}
                </td>
                <td class="actions">
                  <button type="button" class="secondary" onClick={() => void act(() => call(api().PATCH('/v1/functions/{id}/schedules/{scheduleId}', { params: { path: { ...path, scheduleId: schedule.id } }, body: { enabled: !schedule.enabled } })))}>
                    {schedule.enabled ? 'Pause' : 'Resume'}
                  </button>
                  <button type="button" class="danger" onClick={() => void act(() => call(api().DELETE('/v1/functions/{id}/schedules/{scheduleId}', { params: { path: { ...path, scheduleId: schedule.id } } })))}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      <form class="card inline-form" onSubmit={(event) => (event.preventDefault(), void act(() => call(api().POST('/v1/functions/{id}/schedules', { params: { path }, body: { cron, timezone } }))))}>
        <h3>New schedule</h3>
        <div class="fields">
          <div class="field">
            <label for="schedule-cron">Cron expression</label>
            <input id="schedule-cron" required value={cron} onInput={(event) => setCron((event.target as HTMLInputElement).value)} aria-describedby="schedule-cron-help" />
          </div>
          <div class="field">
            <label for="schedule-timezone">Time zone</label>
            <input id="schedule-timezone" required value={timezone} onInput={(event) => setTimezone((event.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Add schedule</button>
        </div>
        <p id="schedule-cron-help" class="muted small">
          5 fields (minute hour day month weekday) or 6 (seconds first), e.g. <code>0 9 * * 1-5</code>.
        </p>
      </form>
    </section>
  );
}

function Hooks({ fn }: { fn: FunctionRecord }) {
  const list = useLoad(() => call(api().GET('/v1/functions/{id}/hooks', { params: { path: { id: fn.id } } })), [fn.id]);
  const [auth, setAuth] = useState<'token' | 'hmac'>('token');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const path = { id: fn.id };
  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const hook = await call(api().POST('/v1/functions/{id}/hooks', { params: { path }, body: { auth } }));
      setCreated({ url: `${location.origin}${hook.url}`, secret: hook.secret });
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const remove = async (hookId: string) => {
    setError(undefined);
    try {
      await call(api().DELETE('/v1/functions/{id}/hooks/{hookId}', { params: { path: { ...path, hookId } } }));
      list.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section aria-labelledby="hooks-title">
      <h2 id="hooks-title">Webhooks</h2>
      <ErrorNotice error={list.error ?? error} />
      {created ? (
        <Status>
          Webhook made. Its secret is shown this once: <code class="secret-once">{created.secret}</code> — POST to <code>{created.url}</code>.
        </Status>
      ) : null}
      {list.data && list.data.items.length === 0 ? <p class="muted">No webhooks.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <ListTable columns={['Endpoint', 'Auth', { label: 'Made', wide: true }, { label: 'Actions', hidden: true }]}>
            {list.data.items.map((hook) => (
              <tr key={hook.id}>
                <td class="break">
                  <code>{hook.url}</code>
                  <div class="muted small">{hook.ratePerMinute} a minute</div>
                </td>
                <td>{hook.auth}</td>
                <td class="wide">{formatTime(hook.createdAt)}</td>
                <td>
                  <button type="button" class="danger" onClick={() => void remove(hook.id)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      <form class="card inline-form" onSubmit={create}>
        <h3>New webhook</h3>
        <div class="fields">
          <div class="field">
            <label for="hook-auth">Authentication</label>
            <select id="hook-auth" value={auth} onChange={(event) => setAuth((event.target as HTMLSelectElement).value as 'token' | 'hmac')}>
              <option value="token">Bearer token</option>
              <option value="hmac">HMAC signature</option>
            </select>
          </div>
          <button type="submit">Add webhook</button>
        </div>
        <p class="muted small">Runs of a webhook are in the history with trigger “webhook”.</p>
      </form>
    </section>
  );
}
