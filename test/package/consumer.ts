// A consumer of the installed package, type-checked (never run) by scripts/package-check.sh:
// the public types must resolve from 'teejs', 'teejs/verify' and 'teejs/client' alone.
import { verifyResult, type VerifyReport } from 'teejs/verify';
import { Engine, ExecutorPool, InMemorySecretStore, limitBounds, type ExecutionRequest, type ExecutionResult, type SecretStore } from 'teejs';

const secrets: SecretStore = new InMemorySecretStore({ u: { k: 'v' } });
const request: ExecutionRequest = { source: 'export default () => 1', userId: 'u', timeoutMs: limitBounds.timeoutMs.max };

export async function runBoth(): Promise<[ExecutionResult, ExecutionResult]> {
  const pool = await ExecutorPool.start({ secrets });
  const engine = new Engine({ secrets });
  try {
    const results = await Promise.all([pool.execute(request), engine.execute(request)]);
    const [first] = results;
    if (first.status === 'error') console.error(first.error?.code, first.error?.message);
    return results;
  } finally {
    await pool.close();
    await engine.close();
  }
}

/** A consumer's offline check of a result, with the verifier's own types. */
export function check(result: ExecutionResult, source: string): VerifyReport {
  return verifyResult(result, { source, params: { n: 21 } });
}

// The typed client of the service, from 'teejs/client': paths, bodies and answers are typed.
import { createClient, TeejsApiError, unwrap, type Execution, type FunctionRecord, type TeejsClient } from 'teejs/client';

export async function deployAndRun(baseUrl: string, apiKey: string): Promise<Execution | undefined> {
  const client: TeejsClient = createClient({ baseUrl, apiKey });
  const fn: FunctionRecord = await unwrap(client.POST('/v1/functions', { body: { name: 'twice', source: 'export default (p) => p.n * 2' } }));
  const version: number = fn.version;
  const run = await client.POST('/v1/functions/{id}/executions', { params: { path: { id: fn.id } }, body: { params: { n: version } } });
  if (run.error) throw new TeejsApiError(run.response.status, run.error);
  const page = await unwrap(client.GET('/v1/functions/{id}/executions', { params: { path: { id: fn.id }, query: { limit: 1 } } }));
  return page.items[0];
}
