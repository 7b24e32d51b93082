// CPU-bound: a recursive fib plus JSON round trips, timed from inside (Date.now), in all and per
// part, so the compute speed can be compared with the same code run directly in Node.
export default async function main(params) {
  const started = Date.now();
  function fib(n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
  }
  const fibValue = fib(params.fib);
  const fibDone = Date.now();
  const records = [];
  for (let i = 0; i < params.records; i++) {
    records.push({ id: i, name: `item-${i}`, price: (i * 7919) % 1000 / 10, tags: ['a', 'b', String(i % 13)] });
  }
  let checksum = 0;
  for (let round = 0; round < params.rounds; round++) {
    const copy = JSON.parse(JSON.stringify(records));
    for (const record of copy) checksum = (checksum + record.price * 10 + record.tags[2].length) % 1_000_003;
  }
  const finished = Date.now();
  return { fib: fibValue, checksum, elapsedMs: finished - started, fibMs: fibDone - started, jsonMs: finished - fibDone };
}
