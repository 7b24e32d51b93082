// Measures what the web-standard capabilities cost a sandbox's bootstrap: Sandbox.create with
// the core capabilities only, and with web, encoding, url, fetch and subtle added. Not a test
// (it asserts nothing); run it by hand and copy the numbers into docs/capabilities.md:
//   node --no-node-snapshot test/capabilities/measure-startup.ts [rounds]
import type { Capability } from '../../src/core/capability.ts';
import { consoleCapability } from '../../src/core/ext/console/index.ts';
import { cryptoCapability } from '../../src/core/ext/crypto/index.ts';
import { encodingCapability } from '../../src/core/ext/encoding/index.ts';
import { fetchCapability } from '../../src/core/ext/fetch/index.ts';
import { secretsCapability } from '../../src/core/ext/secrets/index.ts';
import { InMemorySecretStore } from '../../src/core/ext/secrets/store.ts';
import { subtleCapability } from '../../src/core/ext/subtle/index.ts';
import { timersCapability } from '../../src/core/ext/timers/index.ts';
import { urlCapability } from '../../src/core/ext/url/index.ts';
import { webCapability } from '../../src/core/ext/web/index.ts';
import { Sandbox } from '../../src/core/sandbox.ts';

const rounds = Number(process.argv[2] ?? 200);
const core: Capability[] = [consoleCapability, secretsCapability(new InMemorySecretStore()), cryptoCapability, timersCapability];
const sets: Record<string, Capability[]> = {
  core,
  'core + web, encoding, url, fetch, subtle': [...core, webCapability, encodingCapability, urlCapability, fetchCapability(), subtleCapability],
};

async function createMs(capabilities: Capability[]): Promise<number> {
  const started = performance.now();
  const sandbox = await Sandbox.create({ memoryMb: 64, capabilities });
  const elapsed = performance.now() - started;
  sandbox.dispose();
  return elapsed;
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(sets).map((name) => [name, []]));
// Warm up (code caches, JIT) and then interleave the sets so that machine noise hits both alike.
for (const capabilities of Object.values(sets)) for (let i = 0; i < 10; i++) await createMs(capabilities);
for (let i = 0; i < rounds; i++) {
  for (const [name, capabilities] of Object.entries(sets)) samples[name]!.push(await createMs(capabilities));
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
for (const [name, values] of Object.entries(samples)) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  console.log(`${name}: mean ${mean.toFixed(2)} ms, median ${quantile(sorted, 0.5).toFixed(2)} ms, p90 ${quantile(sorted, 0.9).toFixed(2)} ms (${values.length} sandboxes)`);
}
