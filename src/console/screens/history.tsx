// A function's executions: filtered by status and time, paged, each openable; charts of the
// latest 100 above.
import { useState } from 'preact/hooks';
import type { Execution, FunctionRecord } from '../../client/index.ts';
import { api, call } from '../api.ts';
import { DurationChart, RunsChart } from '../charts.tsx';
import { ErrorNotice, formatMs, formatTime, ListTable, Loading, StatusBadge, useLoad } from '../ui.tsx';

type StatusFilter = '' | 'queued' | 'running' | 'success' | 'error';

/** A datetime-local value as RFC 3339, or undefined. */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

export function HistoryTab({ fn }: { fn: FunctionRecord }) {
  const [status, setStatus] = useState<StatusFilter>('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  // Cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () =>
      call(
        api().GET('/v1/functions/{id}/executions', {
          params: {
            path: { id: fn.id },
            query: { limit: 20, ...(status ? { status } : {}), ...(instant(since) ? { since: instant(since) } : {}), ...(instant(until) ? { until: instant(until) } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    [fn.id, status, since, until, cursor],
  );
  const recent = useLoad(() => call(api().GET('/v1/functions/{id}/executions', { params: { path: { id: fn.id }, query: { limit: 100 } } })), [fn.id]);
  const resetPaging = () => setCursors([undefined]);

  return (
    <div class="history">
      <div class="charts">
        {recent.data && recent.data.items.length > 0 ? (
          <>
            <RunsChart executions={recent.data.items} />
            <DurationChart executions={recent.data.items} />
          </>
        ) : null}
      </div>
      <form class="toolbar filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter executions">
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(event) => {
              setStatus((event.target as HTMLSelectElement).value as StatusFilter);
              resetPaging();
            }}
          >
            <option value="">any</option>
            <option value="success">success</option>
            <option value="error">error</option>
            <option value="running">running</option>
            <option value="queued">queued</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-since">From</label>
          <input id="filter-since" type="datetime-local" value={since} onChange={(event) => (setSince((event.target as HTMLInputElement).value), resetPaging())} />
        </div>
        <div class="field">
          <label for="filter-until">To</label>
          <input id="filter-until" type="datetime-local" value={until} onChange={(event) => (setUntil((event.target as HTMLInputElement).value), resetPaging())} />
        </div>
      </form>
      <ErrorNotice error={page.error} />
      {page.loading && !page.data ? <Loading what="history" /> : null}
      {page.data && page.data.items.length === 0 ? <p class="muted">No executions match.</p> : null}
      {page.data && page.data.items.length > 0 ? <HistoryTable items={page.data.items} /> : null}
      <div class="pager">
        <button type="button" class="secondary" disabled={cursors.length <= 1} onClick={() => setCursors((list) => list.slice(0, -1))}>
          Newer
        </button>
        <span class="muted small">Page {cursors.length}</span>
        <button type="button" class="secondary" disabled={!page.data?.nextCursor} onClick={() => page.data?.nextCursor && setCursors((list) => [...list, page.data!.nextCursor!])}>
          Older
        </button>
      </div>
    </div>
  );
}

function HistoryTable({ items }: { items: Execution[] }) {
  return (
    <ListTable caption="Executions, newest first" columns={['When', 'Status', { label: 'Trigger', wide: true }, { label: 'Version', wide: true }, 'Duration']}>
        {items.map((execution) => (
          <tr key={execution.executionId}>
            <td>
              <a href={`#/executions/${execution.executionId}`}>{formatTime(execution.createdAt)}</a>
            </td>
            <td>
              <StatusBadge status={execution.status} />
              {execution.error ? <span class="muted small"> {execution.error.code}</span> : null}
            </td>
            <td class="wide">{execution.trigger}</td>
            <td class="wide">v{execution.functionVersion}</td>
            <td>{formatMs(execution.durationMs)}</td>
          </tr>
        ))}
    </ListTable>
  );
}
