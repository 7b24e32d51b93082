// Runs one execution in this process and prints its ExecutionResult as JSON: lets a test watch
// from outside what an execution does to the process that hosts the engine (a crash, an abort).
//   node --no-node-snapshot test/support/run-one.ts SOURCE [REQUEST_JSON]
import { Engine } from '../../src/core/index.ts';

const [source, requestJson] = process.argv.slice(2);
if (source === undefined) {
  process.stderr.write('usage: run-one.ts SOURCE [REQUEST_JSON]\n');
  process.exit(2);
}
const engine = new Engine();
const result = await engine.execute({ ...(requestJson ? JSON.parse(requestJson) : {}), source });
await engine.drain();
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
