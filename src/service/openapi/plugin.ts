// The OpenAPI 3.1 document, generated from the routes' TypeBox schemas, at /openapi.json, and
// an interactive page at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Registers the document generator; call before any route is added. */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'teejs',
        version,
        description: 'Run untrusted, multi-tenant JavaScript functions in fresh, hardened V8 isolates: stored functions, encrypted secrets, execution history.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer API_KEY' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    // Public routes need no key: say so in the document.
    transform: ({ schema, url, route }) => {
      const transformed = { schema: { ...schema }, url } as { schema: Record<string, unknown>; url: string };
      if (route.config?.access === 'public') transformed.schema.security = [];
      return transformed;
    },
  });
  // The documentation pages are public, like the document itself.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, access: 'public' };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, uiHooks: {}, logLevel: 'warn' });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
