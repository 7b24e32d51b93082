// Starting points for a new function: each compiles and runs as it is.
export interface Template {
  id: string;
  label: string;
  language: 'javascript' | 'typescript';
  source: string;
}

export const templates: Template[] = [
  {
    id: 'hello',
    label: 'Hello (ES module)',
    language: 'javascript',
    source: `export default async function (params, context) {
  console.log('hello from', context.functionId);
  return { hello: params.name ?? 'world' };
}
`,
  },
  {
    id: 'secret',
    label: 'Reads a secret',
    language: 'javascript',
    source: `// Allow the secret in the function's settings, set it on the Secrets page.
export default async function (params) {
  const token = secrets.get('api-token');
  console.log('using token', token);
  return { tokenLength: token.length };
}
`,
  },
  {
    id: 'typescript',
    label: 'TypeScript',
    language: 'typescript',
    source: `interface Params { a: number; b: number }

export default function (params: Params): { sum: number } {
  return { sum: params.a + params.b };
}
`,
  },
  {
    id: 'script',
    label: 'Classic script (main)',
    language: 'javascript',
    source: `function main() {
  return { doubled: (params.n ?? 1) * 2 };
}
`,
  },
];
