import { marked } from 'marked';

const text = `# Release notes

Some *emphasis*, **strong** text and \`code\`.

| name | size |
| ---- | ---: |
| zod  | 455 |

- [x] bundled
- [ ] minified

\`\`\`js
export default () => 42;
\`\`\`

> quoted <script>alert(1)</script>
`;

export default () => ({ html: marked.parse(text, { async: false }), tokens: marked.lexer(text).map((token) => token.type) });
