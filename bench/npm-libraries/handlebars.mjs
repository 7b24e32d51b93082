// handlebars' build-time route: templates.js is what `handlebars templates/ -f templates.js
// -c handlebars/runtime` precompiled (run by bench/npm-libraries.ts); the runtime alone does
// not generate code.
import Handlebars from 'handlebars/runtime';
import './templates.js';

Handlebars.registerHelper('money', (cents) => `${(cents / 100).toFixed(2)} EUR`);

export default () => ({
  html: Handlebars.templates.invoice({ customer: 'Tom & <Jerry>', lines: [{ item: 'tea', cents: 350 }, { item: 'cake', cents: 500 }], paid: false }),
});
