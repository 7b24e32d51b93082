import { z } from 'zod';

const User = z.object({
  name: z.string().min(1),
  email: z.email(),
  age: z.number().int().nonnegative().optional(),
  tags: z.array(z.string()).default([]),
  role: z.enum(['admin', 'user']),
});

export default () => {
  const good = User.safeParse({ name: 'Ada', email: 'ada@example.org', age: 36, role: 'admin' });
  const bad = User.safeParse({ name: '', email: 'nobody', age: 1.5, tags: [1], role: 'root' });
  return {
    good: good.data,
    issues: bad.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code, message: issue.message })),
    pretty: z.prettifyError(bad.error),
    schema: z.toJSONSchema(User),
  };
};
