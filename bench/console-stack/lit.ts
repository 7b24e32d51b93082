// The sign-in form in Lit (a custom element, no decorators).
import { LitElement, html } from 'lit';
class SignIn extends LitElement {
  static override properties = { busy: { state: true } };
  busy = false;
  override render() {
    return html`<form @submit=${(event: Event) => { event.preventDefault(); this.busy = true; }}>
      <label>API key <input type="password" /></label><button>${this.busy ? 'Signing in' : 'Sign in'}</button></form>`;
  }
}
customElements.define('sign-in', SignIn);
document.body.append(document.createElement('sign-in'));
