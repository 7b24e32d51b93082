import * as v from 'valibot';

const User = v.object({
  name: v.pipe(v.string(), v.minLength(1, 'name is empty')),
  email: v.pipe(v.string(), v.email()),
  age: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  tags: v.array(v.string()),
});

export default () => {
  const good = v.safeParse(User, { name: 'Ada', email: 'ada@example.org', age: 36, tags: ['admin'] });
  const bad = v.safeParse(User, { name: '', email: 'nobody', age: 1.5, tags: [1] });
  return { good: good.output, issues: bad.issues.map((issue) => ({ path: v.getDotPath(issue), message: issue.message })), flat: v.flatten(bad.issues) };
};
