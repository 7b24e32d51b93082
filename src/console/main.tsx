// The teejs web console: a single page (hash routes) on the public API. Preact renders it; the
// editor (CodeMirror) is a chunk loaded when a function is opened, so the first screen paints
// from a small bundle.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { signOut, storedKey } from './session.ts';
import { identity, online, signInReason, useShared, type Identity } from './state.ts';
import { whoIs } from './api.ts';
import { SignIn } from './screens/signin.tsx';
import { FunctionList } from './screens/functions.tsx';
import { FunctionPage } from './screens/function.tsx';
import { ExecutionPage } from './screens/execution.tsx';
import { SecretsPage } from './screens/secrets.tsx';
import { UsersPage, UserPage } from './screens/users.tsx';
import { OverviewPage } from './screens/overview.tsx';
import { Loading } from './ui.tsx';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Route({ who, hash }: { who: Identity; hash: string }) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (who.role === 'operator') {
    if (parts[0] === 'users' && parts[1]) return <UserPage userId={parts[1]} />;
    if (parts[0] === 'users') return <UsersPage />;
    return <OverviewPage />;
  }
  if (parts[0] === 'functions' && parts[1]) return <FunctionPage owner={who.id} functionId={parts[1]} tab={parts[2] ?? 'code'} />;
  if (parts[0] === 'executions' && parts[1]) return <ExecutionPage executionId={parts[1]} />;
  if (parts[0] === 'secrets') return <SecretsPage />;
  return <FunctionList />;
}

function Nav({ who, hash }: { who: Identity; hash: string }) {
  const links = who.role === 'operator' ? [['#/overview', 'Overview'], ['#/users', 'Users']] : [['#/functions', 'Functions'], ['#/secrets', 'Secrets']];
  const current = (href: string) => hash.startsWith(href) || (hash === '' && href === links[0]![0]);
  return (
    <nav aria-label="Main">
      <ul>
        {links.map(([href, label]) => (
          <li key={href}>
            <a href={href} aria-current={current(href!) ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function App() {
  const who = useShared(identity);
  const isOnline = useShared(online);
  const hash = useHash();
  const [resuming, setResuming] = useState(() => storedKey() !== null && identity.value === null);
  // A new page (not a tab of the same function) moves the focus to its content, as a page load
  // would, so a keyboard or screen-reader user starts there rather than in the old page's place.
  const page = hash.split('/').slice(0, 3).join('/');
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [page]);

  // A reload keeps the session: the key in sessionStorage is checked again.
  useEffect(() => {
    const key = storedKey();
    if (!resuming || key === null) return;
    whoIs(key).then(
      (found) => {
        identity.set(found);
        setResuming(false);
      },
      () => setResuming(false),
    );
  }, []);

  const banner = isOnline ? null : (
    <p class="offline" role="alert">
      The service does not answer. The console keeps trying and will carry on when it is back; nothing typed here is lost.
    </p>
  );
  if (resuming) return <main id="main"><Loading what="your session" /></main>;
  if (who === null) {
    return (
      <>
        {banner}
        <SignIn />
      </>
    );
  }
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href={who.role === 'operator' ? '#/overview' : '#/functions'}>
          <img src="/console/icon.svg" alt="" width="22" height="22" /> teejs
        </a>
        <Nav who={who} hash={hash} />
        <div class="who">
          <span class="muted">{who.role === 'operator' ? 'Operator' : who.name}</span>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              signOut();
              signInReason.set(null);
              identity.set(null);
              location.hash = '';
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      {banner}
      <main id="main" tabIndex={-1}>
        <Route who={who} hash={hash} />
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.replaceChildren(); // the "Loading…" line the HTML shows until this runs
render(<App />, root);
