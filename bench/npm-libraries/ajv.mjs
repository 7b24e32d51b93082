// ajv's build-time route: validate-user.mjs is ajv's standalone code, generated in Node by
// bench/npm-libraries.ts from user.schema.json (no code is generated when this runs).
import validate from './validate-user.mjs';

const cases = [
  { name: 'Ada', email: 'ada@example.org', age: 36, tags: ['admin'] },
  { name: '', email: 'nobody', age: -1, tags: ['a', 'a'], extra: true },
];

export default () => cases.map((data) => ({ valid: validate(data), errors: (validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, message: e.message })) }));
