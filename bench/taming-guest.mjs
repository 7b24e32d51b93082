// Ordinary operations on the prototypes the override taming changes, each timed from inside
// (Date.now) over enough iterations to last tens of milliseconds: method calls that look up a
// tamed property (push, set, add, exec, toString, then) and operations for which V8 checks that a
// prototype is unmodified before it takes a fast path (spread and for-of over arrays and strings,
// species for map and typed-array slice, String.prototype.replace with a RegExp, new Map from
// entries). Answers nanoseconds per operation for each; `params.scale` multiplies the counts.
export default async function main(params) {
  const scale = params.scale ?? 1;
  const results = {};
  function time(name, count, body) {
    const n = Math.round(count * scale);
    const started = Date.now();
    const check = body(n);
    const elapsed = Date.now() - started;
    results[name] = { nsPerOp: (elapsed * 1e6) / n, check };
  }

  time('Array.prototype.push', 2_000_000, (n) => {
    let total = 0;
    let list = [];
    for (let i = 0; i < n; i++) {
      list.push(i);
      if (list.length === 1000) {
        total += list.length;
        list = [];
      }
    }
    return total;
  });
  time('Map.prototype.set', 1_000_000, (n) => {
    const map = new Map();
    for (let i = 0; i < n; i++) map.set(i & 1023, i);
    return map.size;
  });
  time('Set.prototype.add', 1_000_000, (n) => {
    const set = new Set();
    for (let i = 0; i < n; i++) set.add(i & 1023);
    return set.size;
  });
  time('RegExp.prototype.exec', 300_000, (n) => {
    const pattern = /(\d+)-(\w+)/;
    let total = 0;
    for (let i = 0; i < n; i++) total += pattern.exec(`item ${i}-abc`)[1].length;
    return total;
  });
  time('String.prototype.replace(RegExp)', 200_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += `a-b-c-${i}`.replace(/-/g, '+').length;
    return total;
  });
  time('RegExp.prototype.test', 300_000, (n) => {
    const pattern = /b+c/;
    let total = 0;
    for (let i = 0; i < n; i++) if (pattern.test(i % 2 ? 'abbbc' : 'ac')) total++;
    return total;
  });
  time('Object.prototype.toString call', 1_000_000, (n) => {
    const object = {};
    let total = 0;
    for (let i = 0; i < n; i++) total += object.toString().length;
    return total;
  });
  time('Object.prototype.hasOwnProperty call', 2_000_000, (n) => {
    const object = { a: 1 };
    let total = 0;
    for (let i = 0; i < n; i++) if (object.hasOwnProperty(i & 1 ? 'a' : 'b')) total++;
    return total;
  });
  const small = Array.from({ length: 100 }, (_, i) => i);
  time('array spread [...a] (100)', 50_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += [...small].length;
    return total;
  });
  time('for-of over an array (100)', 50_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) for (const x of small) total += x;
    return total;
  });
  time('Array.prototype.map (100)', 50_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += small.map((x) => x + 1).length;
    return total;
  });
  const typed = new Float64Array(100);
  time('TypedArray.prototype.slice (100)', 100_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += typed.slice(10).length;
    return total;
  });
  time('for-of over a string (100)', 20_000, (n) => {
    const text = 'x'.repeat(100);
    let total = 0;
    for (let i = 0; i < n; i++) for (const c of text) total += c.length;
    return total;
  });
  const entries = small.map((x) => [x, x]);
  time('new Map(entries) (100)', 20_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += new Map(entries).size;
    return total;
  });
  const map = new Map(entries);
  time('Map spread [...m] (100)', 20_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += [...map].length;
    return total;
  });
  time('Array.from(Set) (100)', 20_000, (n) => {
    const set = new Set(small);
    let total = 0;
    for (let i = 0; i < n; i++) total += Array.from(set).length;
    return total;
  });
  time('Array.from(Map) (100)', 20_000, (n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += Array.from(map).length;
    return total;
  });
  time('new Set(Set) (100)', 20_000, (n) => {
    const set = new Set(small);
    let total = 0;
    for (let i = 0; i < n; i++) total += new Set(set).size;
    return total;
  });
  time('Array.from(string) (100)', 20_000, (n) => {
    const text = 'y'.repeat(100);
    let total = 0;
    for (let i = 0; i < n; i++) total += Array.from(text).length;
    return total;
  });
  // Awaits are asynchronous: timed the same way, outside `time`.
  {
    const n = Math.round(100_000 * scale);
    const started = Date.now();
    let total = 0;
    for (let i = 0; i < n; i++) total += await Promise.resolve(i & 1);
    results['await Promise.resolve'] = { nsPerOp: ((Date.now() - started) * 1e6) / n, check: total };
    const startedThen = Date.now();
    let chained = Promise.resolve(0);
    for (let i = 0; i < n; i++) chained = chained.then((x) => x + 1);
    const value = await chained;
    results['Promise.prototype.then'] = { nsPerOp: ((Date.now() - startedThen) * 1e6) / n, check: value };
  }
  return results;
}
