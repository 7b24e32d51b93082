// POST /v1/functions/syntax-check: does a source compile, the way saving it would judge it? For
// editors (the web console's diagnostics as you type, an IDE plugin): the answer is 200 either
// way, with the error and its line and column when it does not compile. Nothing is stored and
// nothing runs: the source is only compiled, in a small throwaway isolate (core/compile-check).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { checkSyntax } from '../../core/index.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errors, noNul, nullable, stringEnum } from '../schemas.ts';

const SyntaxCheckBody = Type.Object(
  {
    source: Type.String({ minLength: 1, pattern: noNul, description: 'the source to check, as it would be saved' }),
    language: Type.Optional(stringEnum(['javascript', 'typescript'] as const, { description: 'javascript by default' })),
    form: Type.Optional(nullable(stringEnum(['module', 'script'] as const, { description: 'module or script; null (or absent): detected from the source' }))),
  },
  { additionalProperties: false },
);

const SyntaxCheckResult = Type.Object(
  {
    ok: Type.Boolean({ description: 'true when the source compiles (and would be accepted when saved)' }),
    error: nullable(
      Type.Object({
        code: Type.String({ description: 'SYNTAX_ERROR, or VALIDATION_ERROR (an import, no entry point)' }),
        message: Type.String(),
        line: Type.Optional(Type.Integer({ description: '1-based line' })),
        column: Type.Optional(Type.Integer({ description: '1-based column' })),
      }),
    ),
  },
  { $id: 'SyntaxCheck' },
);

export async function syntaxCheckRoutes(app: FastifyInstance, { config }: ServiceContext): Promise<void> {
  app.addSchema(SyntaxCheckResult);
  app.post<{ Body: Static<typeof SyntaxCheckBody> }>(
    '/functions/syntax-check',
    {
      schema: {
        tags: ['functions'],
        operationId: 'checkFunctionSyntax',
        summary: 'Check that a source compiles, as saving it would (200 either way; nothing is stored or run)',
        body: SyntaxCheckBody,
        response: { 200: Type.Ref('SyntaxCheck'), ...errors(400, 401, 413, 415) },
      },
    },
    async (request) => {
      userIdOf(request);
      const { source, language, form } = request.body;
      const bytes = Buffer.byteLength(source, 'utf8');
      if (bytes > config.limits.maxSourceBytes) throw new ApiError(400, 'VALIDATION_ERROR', `body/source is ${bytes} bytes, over the limit of ${config.limits.maxSourceBytes}`);
      const problem = await checkSyntax(source, { form: form ?? undefined, language: language ?? 'javascript' });
      if (!problem) return { ok: true, error: null };
      const error: { code: string; message: string; line?: number; column?: number } = { code: problem.code, message: problem.message };
      if (problem.line !== undefined) error.line = problem.line;
      if (problem.column !== undefined) error.column = problem.column;
      return { ok: false, error };
    },
  );
}
