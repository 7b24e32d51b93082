// Evaluates to `hiddenIntrinsics() => { Name: object }`: the intrinsics that no global name leads
// to (iterator and generator prototypes, %TypedArray%, %ThrowTypeError%, ...), reached through
// syntax alone. harden.js freezes them with everything else; guest/probe.js starts its walk from
// them too, and names them "%Name%" in the property paths that harden.js then resolves.
(function hiddenIntrinsics() {
  'use strict';

  const { getOwnPropertyDescriptor, getPrototypeOf } = Object;
  const hidden = {
    GeneratorFunction: getPrototypeOf(function* () {}),
    AsyncFunction: getPrototypeOf(async function () {}),
    AsyncGeneratorFunction: getPrototypeOf(async function* () {}),
    Generator: getPrototypeOf((function* () {})()),
    AsyncGenerator: getPrototypeOf((async function* () {})()),
    ArrayIterator: getPrototypeOf([][Symbol.iterator]()),
    MapIterator: getPrototypeOf(new Map()[Symbol.iterator]()),
    SetIterator: getPrototypeOf(new Set()[Symbol.iterator]()),
    StringIterator: getPrototypeOf(''[Symbol.iterator]()),
    RegExpStringIterator: getPrototypeOf(/x/[Symbol.matchAll]('')),
    TypedArray: getPrototypeOf(Int8Array),
    ThrowTypeError: getOwnPropertyDescriptor(
      (function () {
        'use strict';
        return arguments;
      })(),
      'callee',
    ).get,
  };
  if (typeof Iterator === 'function') {
    hidden.IteratorHelper = getPrototypeOf([].values().map((x) => x));
    hidden.WrapForValidIterator = getPrototypeOf(Iterator.from({ next: () => ({ done: true }) }));
  }
  if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('');
    hidden.Segments = getPrototypeOf(segments);
    hidden.SegmentIterator = getPrototypeOf(segments[Symbol.iterator]());
  }
  return hidden;
});
