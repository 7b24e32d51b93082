// The operator's overview: the nodes on the store with their load and version, and this node's
// own metrics at a glance (from /metrics), refreshed every 10 seconds.
import { useEffect } from 'preact/hooks';
import { api, call } from '../api.ts';
import { parseMetrics, total } from '../metrics.ts';
import { ErrorNotice, formatTime, ListTable, Loading, useLoad } from '../ui.tsx';

function Figure({ label, value }: { label: string; value: string | number }) {
  return (
    <div class="figure">
      <span class="figure-value">{value}</span>
      <span class="figure-label">{label}</span>
    </div>
  );
}

export function OverviewPage() {
  const nodes = useLoad(() => call(api().GET('/v1/admin/nodes')), []);
  const metrics = useLoad(async () => parseMetrics(await call(api().GET('/metrics', { parseAs: 'text' }))), []);
  useEffect(() => {
    const timer = setInterval(() => {
      nodes.reload();
      metrics.reload();
    }, 10_000);
    return () => clearInterval(timer);
  }, []);
  const samples = metrics.data ?? [];
  const succeeded = total(samples, 'teejs_executions_total', { status: 'success' });
  const failed = total(samples, 'teejs_executions_total', { status: 'error' });
  const durationSum = total(samples, 'teejs_execution_duration_seconds_sum');
  const durationCount = total(samples, 'teejs_execution_duration_seconds_count');
  const serverErrors = samples.filter((s) => s.name === 'teejs_http_requests_total' && s.labels.status_code?.startsWith('5')).reduce((sum, s) => sum + s.value, 0);
  const limited = total(samples, 'teejs_http_requests_total', { status_code: '429' });

  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <span class="muted small">refreshed every 10 s</span>
      </div>
      <h2>This node</h2>
      <ErrorNotice error={metrics.error} />
      {metrics.data ? (
        <div class="figures">
          <Figure label="running now" value={total(samples, 'teejs_executions_running')} />
          <Figure label="waiting" value={total(samples, 'teejs_executions_waiting')} />
          <Figure label="succeeded" value={succeeded} />
          <Figure label="failed" value={failed} />
          <Figure label="mean duration" value={durationCount > 0 ? `${((durationSum / durationCount) * 1000).toFixed(1)} ms` : '—'} />
          <Figure label="executor processes" value={total(samples, 'teejs_pool_executors')} />
          <Figure label="HTTP 5xx" value={serverErrors} />
          <Figure label="HTTP 429" value={limited} />
        </div>
      ) : (
        <Loading what="metrics" />
      )}
      <h2>Nodes</h2>
      <ErrorNotice error={nodes.error} />
      {nodes.data ? (
        <ListTable caption="Server nodes" columns={['Node', 'State', 'Load', { label: 'Version', wide: true }, { label: 'Last heartbeat', wide: true }]}>
            {nodes.data.items.map((node) => (
              <tr key={node.id}>
                <td>
                  {node.id} {node.self ? <span class="muted small">(this one)</span> : null}
                </td>
                <td>
                  <span class={`badge badge-${node.state === 'live' ? 'success' : node.state === 'lost' ? 'error' : 'queued'}`}>{node.state}</span>
                </td>
                <td>
                  <meter min={0} max={Math.max(node.slots, 1)} value={node.running} aria-label={`${node.running} of ${node.slots} slots`} /> {node.running} / {node.slots}
                </td>
                <td class="wide">{node.version}</td>
                <td class="wide">{formatTime(node.lastHeartbeatAt)}</td>
              </tr>
            ))}
        </ListTable>
      ) : null}
    </section>
  );
}
