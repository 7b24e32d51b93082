// Small pieces every screen uses: loading data with its error, notices, a countdown to a 429's
// Retry-After, formatting.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ConsoleError, messageOf } from './api.ts';
import { online, useShared } from './state.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads with `load` now, again when `deps` change, and again when the service comes back. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const isOnline = useShared(online);
  const wasOnline = useRef(isOnline);
  useEffect(() => {
    // Back online after a failed load: load again once.
    if (isOnline && !wasOnline.current && state.error !== undefined) setTick((n) => n + 1);
    wasOnline.current = isOnline;
  }, [isOnline]);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="notice error" role="alert">
      {messageOf(error)}
      {error instanceof ConsoleError && error.retryAt !== undefined ? <RetryCountdown at={error.retryAt} /> : null}
    </p>
  );
}

export function RetryCountdown({ at }: { at: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  const left = Math.ceil((at - now) / 1000);
  return <span class="countdown">{left > 0 ? ` (${left} s left)` : ' You can retry now.'}</span>;
}

export function Status({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** A column of a `ListTable`: its label; `wide` ones hide at phone width; `hidden` ones are named for screen readers only (an actions column). */
export interface Column {
  label: string;
  wide?: boolean;
  hidden?: boolean;
}

/** The console's tables of records: a caption for screen readers, column headers, the rows given. */
export function ListTable({ caption, columns, children }: { caption?: string; columns: (string | Column)[]; children: ComponentChildren }) {
  return (
    <table class="list">
      {caption ? <caption class="visually-hidden">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => {
            const { label, wide, hidden } = typeof column === 'string' ? { label: column } : column;
            return (
              <th scope="col" key={label} class={wide ? 'wide' : undefined}>
                {hidden ? <span class="visually-hidden">{label}</span> : label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" aria-live="polite">Loading {what}…</p>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${date.toLocaleTimeString()}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** Pretty JSON for display. */
export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2) ?? 'undefined'}
    </pre>
  );
}

export function navigate(hash: string): void {
  location.hash = hash;
}
