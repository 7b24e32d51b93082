// The sign-in form in Preact with hooks.
import { render } from 'preact';
import { useState } from 'preact/hooks';
function SignIn() {
  const [busy, setBusy] = useState(false);
  return (
    <form onSubmit={(event) => { event.preventDefault(); setBusy(true); }}>
      <label>API key <input type="password" /></label>
      <button>{busy ? 'Signing in' : 'Sign in'}</button>
    </form>
  );
}
render(<SignIn />, document.body);
