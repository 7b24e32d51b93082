import { array, assert, coerce, create, number, object, optional, size, string, validate, refine } from 'superstruct';

const Email = refine(string(), 'email', (value) => value.includes('@'));
const User = object({ name: size(string(), 1, 50), email: Email, age: optional(number()), tags: array(string()) });
const Count = coerce(number(), string(), (value) => Number.parseFloat(value));

export default () => {
  const [error] = validate({ name: '', email: 'nobody', tags: [1] }, User);
  let thrown;
  try {
    assert({ name: 'x' }, User);
  } catch (e) {
    thrown = e.message;
  }
  return {
    ok: validate({ name: 'Ada', email: 'ada@example.org', tags: ['admin'] }, User)[0] === undefined,
    failures: error.failures().map((f) => ({ path: f.path.join('.'), type: f.type, message: f.message })),
    thrown,
    coerced: create('42.5', Count),
  };
};
