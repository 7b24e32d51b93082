// isolated-vm's snapshot "warm-up" script: it runs in a throwaway context after the snapshot's
// scripts ran there too, so that V8 compiles the functions an execution always calls (attach,
// prepare, run, serializing a result or an error, console) and keeps their bytecode in the
// snapshot: without it every sandbox compiled them again on first call (docs/bench.md). Nothing
// of this context is kept: only compiled code, shared with the snapshot's own context.
(function warmUp(global) {
  'use strict';

  const answer = { ok: true, value: undefined };
  const control = global.__teejsAttach(() => answer, null, () => {});
  global.main = function main(params) {
    console.log('warm', params, [1, { a: 2 }]);
    return { params, list: [1, 2, 3] };
  };
  control('prepare', '{"n":1}', '{"executionId":"warm-up"}');
  control('run', 'script', 1024);
  global.main = function main() {
    throw new TypeError('warm');
  };
  control('prepare', '{}', '{}');
  control('run', 'script', 1024);
})(globalThis);
