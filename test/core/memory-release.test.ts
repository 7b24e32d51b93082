// Memory is released: thousands of executions that each allocate megabytes (and some that end at
// the memory or time limit) leave the host's heap and RSS within a fixed bound of where they
// started. Measured in a child process of its own, with --expose-gc, by test/support/memory-churn.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runNodeScript } from '../support/spawn.ts';

const executions = 2000;
const warmup = 200;
const MB = 1024 * 1024;
// About 5 MB per execution: keeping even 1% of that per execution would cross these bounds.
const maxHeapGrowth = 16 * MB;
const maxRssGrowth = 96 * MB;

interface Usage {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

// A busy machine takes many times longer (11 minutes at a load of 20 on two cores), and this
// test is about memory, not speed: the bounds only catch a hang.
test('2,000 executions allocating megabytes each leave heap and RSS within a fixed bound', { timeout: 1_800_000 }, async () => {
  const child = await runNodeScript('test/support/memory-churn.ts', [String(executions), String(warmup)], {
    nodeFlags: ['--expose-gc'],
    timeoutMs: 1_780_000,
  });
  assert.equal(child.code, 0, `memory-churn failed (${child.signal ?? 'no signal'} after ${Math.round(child.ms)} ms): ${child.stderr.slice(0, 2000)}`);
  const report = JSON.parse(child.stdout) as {
    outcomes: Record<string, number>;
    unexpected: number;
    baseline: Usage;
    end: Usage;
    seconds: number;
  };
  assert.equal(report.unexpected, 0, JSON.stringify(report.outcomes));
  assert.equal(report.outcomes.success, executions - 20);
  assert.equal(report.outcomes.MEMORY_LIMIT, 10);
  assert.equal(report.outcomes.TIMEOUT, 10);
  const heapGrowth = report.end.heapUsed - report.baseline.heapUsed;
  const rssGrowth = report.end.rss - report.baseline.rss;
  const describe = `heap ${(report.baseline.heapUsed / MB).toFixed(1)} -> ${(report.end.heapUsed / MB).toFixed(1)} MB, rss ${(report.baseline.rss / MB).toFixed(1)} -> ${(report.end.rss / MB).toFixed(1)} MB`;
  assert.ok(heapGrowth < maxHeapGrowth, describe);
  assert.ok(rssGrowth < maxRssGrowth, describe);
  assert.ok(report.end.external - report.baseline.external < maxHeapGrowth, `external ${report.baseline.external} -> ${report.end.external}`);
});
