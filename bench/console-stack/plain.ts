// The sign-in form in plain TypeScript (DOM calls).
const form = document.createElement('form');
const label = document.createElement('label');
label.textContent = 'API key';
const input = document.createElement('input');
input.type = 'password';
label.append(input);
const button = document.createElement('button');
button.textContent = 'Sign in';
form.append(label, button);
form.addEventListener('submit', (event) => { event.preventDefault(); button.textContent = 'Signing in'; });
document.body.append(form);
