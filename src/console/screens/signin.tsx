// Sign in with an API key (a user's or the operator's). A wrong key gets one message and no
// retry: the form waits for the next attempt.
import { useState } from 'preact/hooks';
import { messageOf, whoIs } from '../api.ts';
import { storeKey } from '../session.ts';
import { identity, signInReason, useShared } from '../state.ts';

export function SignIn() {
  const reason = useShared(signInReason);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!/^\S{8,}$/.test(trimmed)) {
      setError('Enter an API key: it starts with tjs_ and was shown once when it was made.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const found = await whoIs(trimmed);
      storeKey(trimmed);
      signInReason.set(null);
      identity.set(found);
      if (!location.hash || location.hash === '#/') location.hash = found.role === 'operator' ? '#/overview' : '#/functions';
    } catch (caught) {
      setError((caught as { status?: number }).status === 401 ? 'That key is not valid: it is unknown or was revoked. Check it and try again.' : messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <form onSubmit={submit} aria-describedby="signin-help">
        <h1>
          <img src="/console/icon.svg" alt="" width="28" height="28" /> teejs console
        </h1>
        {reason ? (
          <p class="notice warning" role="alert">
            {reason}
          </p>
        ) : null}
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autoComplete="off" spellcheck={false} value={key} onInput={(event) => setKey((event.target as HTMLInputElement).value)} aria-invalid={error ? true : undefined} aria-describedby={error ? 'signin-error' : undefined} />
        <p id="signin-help" class="muted small">
          A user's key or the operator's. It is kept in this tab only (session storage) and sent to this service only.
        </p>
        {error ? (
          <p id="signin-error" class="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
