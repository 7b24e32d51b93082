// One execution: status, result, error with the guest's stack, logs, network records, secrets
// read, duration and memory, and its receipt checked in the browser.
import { useEffect, useState } from 'preact/hooks';
import type { Execution } from '../../client/index.ts';
import { api, call } from '../api.ts';
import type { LogLine } from '../logs.ts';
import { ErrorNotice, formatBytes, formatMs, formatTime, Json, ListTable, Loading, StatusBadge, useLoad } from '../ui.tsx';
import { checkReceipt, type ReceiptCheck } from '../verify.ts';

export function ExecutionPage({ executionId }: { executionId: string }) {
  const loaded = useLoad(() => call(api().GET('/v1/executions/{executionId}', { params: { path: { executionId } } })), [executionId]);
  return (
    <section aria-labelledby="execution-title">
      <div class="page-head">
        <h1 id="execution-title">Execution</h1>
        {loaded.data ? <a href={`#/functions/${loaded.data.functionId}/history`}>Back to its history</a> : null}
      </div>
      <ErrorNotice error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading what="the execution" /> : null}
      {loaded.data ? <ExecutionView execution={loaded.data} /> : null}
    </section>
  );
}

export function LogList({ logs, live }: { logs: LogLine[]; live?: boolean }) {
  return (
    <div>
      <h3>
        Logs {live ? <span class="badge badge-running">live</span> : null}
      </h3>
      {logs.length === 0 ? (
        <p class="muted">No console output.</p>
      ) : (
        <ol class="logs" aria-label="Console output" aria-live={live ? 'polite' : 'off'} tabIndex={0}>
          {logs.map((line, index) => (
            <li key={index} class={`log log-${line.level}`}>
              <time>{new Date(line.time).toLocaleTimeString()}</time>
              <span class="level">{line.level}</span>
              <span class="message">{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function ExecutionView({ execution }: { execution: Execution }) {
  return (
    <div class="execution" data-status={execution.status}>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={execution.status} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatMs(execution.durationMs)}</dd>
        </div>
        <div>
          <dt>CPU</dt>
          <dd>{formatMs(execution.cpuTimeMs)}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd>{formatBytes(execution.memoryUsedBytes)}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>v{execution.functionVersion}</dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>{execution.trigger}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(execution.startedAt ?? execution.createdAt)}</dd>
        </div>
      </dl>
      {execution.error ? (
        <div class="notice error" role="alert">
          <strong>{execution.error.code}</strong>: {execution.error.message}
          {execution.error.stack ? <pre class="stack">{execution.error.stack}</pre> : null}
        </div>
      ) : null}
      {execution.status === 'success' ? (
        <div>
          <h3>Result</h3>
          <Json value={execution.result} label="Result" />
        </div>
      ) : null}
      <LogList logs={execution.logs} />
      {execution.network.length > 0 ? (
        <div>
          <h3>Network</h3>
          <ListTable columns={['Request', 'Status', { label: 'Bytes in/out', wide: true }, 'Time']}>
              {execution.network.map((record, index) => (
                <tr key={index}>
                  <td class="break">
                    {record.method} {record.url}
                    {record.blocked ? <div class="muted small">blocked: {record.blocked}</div> : null}
                    {record.error ? <div class="muted small">failed: {record.error}</div> : null}
                  </td>
                  <td>{record.status ?? '—'}</td>
                  <td class="wide">
                    {record.bytesIn} / {record.bytesOut}
                  </td>
                  <td>{formatMs(record.durationMs)}</td>
                </tr>
              ))}
          </ListTable>
        </div>
      ) : null}
      <div>
        <h3>Secrets read</h3>
        <p>{execution.secretsRead.length === 0 ? <span class="muted">none</span> : execution.secretsRead.map((name) => <code key={name}>{name} </code>)}</p>
      </div>
      <ReceiptView execution={execution} />
    </div>
  );
}

function ReceiptView({ execution }: { execution: Execution }) {
  const [check, setCheck] = useState<ReceiptCheck | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    setCheck(undefined);
    checkReceipt(execution).then(setCheck, setError);
  }, [execution]);
  if (!execution.receipt) return null;
  return (
    <details class="receipt">
      <summary>
        Receipt:{' '}
        {check === undefined ? 'checking…' : check?.ok ? <span class="badge badge-success">verifies</span> : <span class="badge badge-error">does not verify</span>}
      </summary>
      <ErrorNotice error={error} />
      {check ? (
        <ul class="checks">
          {check.checks.map((item) => (
            <li key={item.what}>
              {item.ok ? '✓' : '✗'} {item.what}
            </li>
          ))}
        </ul>
      ) : null}
      <p class="muted small">
        Signed by key <code>{execution.receipt.keyId.slice(0, 16)}…</code>. Check it offline with <code>teejs verify</code>.
      </p>
      <Json value={execution.receipt} label="Receipt" />
    </details>
  );
}
