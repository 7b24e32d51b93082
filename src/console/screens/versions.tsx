// A function's versions: which is active, a diff between any two, and making one active.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FunctionRecord } from '../../client/index.ts';
import { api, call } from '../api.ts';
import { ErrorNotice, formatTime, ListTable, Loading, Status, useLoad } from '../ui.tsx';

export function VersionsTab({ fn, onChanged }: { fn: FunctionRecord; onChanged: () => void }) {
  const versions = useLoad(() => call(api().GET('/v1/functions/{id}/versions', { params: { path: { id: fn.id } } })), [fn.id, fn.version, fn.updatedAt]);
  const items = versions.data?.items ?? [];
  const newest = items.at(-1)?.version ?? fn.version;
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);
  const left = from ?? Math.max(1, newest - 1);
  const right = to ?? newest;

  const activate = async (version: number) => {
    setError(undefined);
    try {
      await call(api().POST('/v1/functions/{id}/versions/{version}/activate', { params: { path: { id: fn.id, version } } }));
      setDone(`Version ${version} is active: it is what runs now.`);
      onChanged();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <div>
      <ErrorNotice error={versions.error ?? error} />
      {done ? <Status>{done}</Status> : null}
      {versions.loading && !versions.data ? <Loading what="versions" /> : null}
      {items.length > 0 ? (
        <ListTable caption="Versions, oldest first" columns={['Version', 'Saved', { label: 'Limits', wide: true }, { label: 'Action', hidden: true }]}>
            {items.map((version) => (
              <tr key={version.version}>
                <td>
                  v{version.version} {version.version === fn.version ? <span class="badge badge-success">active</span> : null}
                </td>
                <td>{formatTime(version.createdAt)}</td>
                <td class="wide">
                  {version.timeoutMs} ms, {version.memoryMb} MB
                </td>
                <td>
                  {version.version === fn.version ? null : (
                    <button type="button" class="secondary" onClick={() => void activate(version.version)}>
                      Make v{version.version} active
                    </button>
                  )}
                </td>
              </tr>
            ))}
        </ListTable>
      ) : null}
      {items.length > 1 ? (
        <div class="diff-section">
          <h2>Compare</h2>
          <div class="toolbar">
            <div class="field">
              <label for="diff-from">From</label>
              <select id="diff-from" value={left} onChange={(event) => setFrom(Number((event.target as HTMLSelectElement).value))}>
                {items.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="diff-to">To</label>
              <select id="diff-to" value={right} onChange={(event) => setTo(Number((event.target as HTMLSelectElement).value))}>
                {items.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <Diff
            before={items.find((v) => v.version === left)?.source ?? ''}
            after={items.find((v) => v.version === right)?.source ?? ''}
            language={fn.language}
            label={`Changes from version ${left} to version ${right}`}
          />
        </div>
      ) : null}
    </div>
  );
}

function Diff({ before, after, language, label }: { before: string; after: string; language: 'javascript' | 'typescript'; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let view: { destroy(): void } | null = null;
    let live = true;
    void import('../editor.ts').then(({ createDiff }) => {
      if (live && host.current) view = createDiff(host.current, before, after, language, label);
    });
    return () => {
      live = false;
      view?.destroy();
    };
  }, [before, after, language]);
  return <div class="editor diff" ref={host} />;
}
