// The override tamings the benchmark and the test262 measurement compare (see
// docs/compatibility.md). teejs always runs `derived`; the others exist only to be measured
// against it, each in a process of its own (src/core/snapshot.ts chooseOverrideTaming).
import type { OverrideTaming } from '../src/core/snapshot.ts';

const errorPrototypeKeys = ['constructor', 'message', 'name', 'toString'];

/** The hand-picked list teejs had before the rule (SES's "moderate" plus promise methods). */
const oldList: OverrideTaming = {
  'Object.prototype': '*',
  'Function.prototype': ['constructor', 'bind', 'toString', 'call', 'apply'],
  'Array.prototype': ['toString', 'push', 'concat', 'constructor'],
  'Promise.prototype': ['constructor', 'then', 'catch', 'finally'],
  '%ArrayIterator%': ['next'],
  '%ArrayIterator%.[[Prototype]]': ['toString'],
  ...Object.fromEntries(
    ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError'].map((name) => [
      `${name}.prototype`,
      errorPrototypeKeys,
    ]),
  ),
};

export const tamings = {
  /** What teejs runs: the rule derived from the intrinsics, with its hot exceptions kept as data. */
  derived: null,
  /** The rule with no exception: every configurable data property of every prototype. */
  'derived-all': 'all',
  'old-list': oldList,
  /** Nothing tamed: frozen prototypes as they are (the override mistake everywhere). */
  none: {},
} as const satisfies Record<string, OverrideTaming>;

export type TamingName = keyof typeof tamings;

export function isTamingName(name: string): name is TamingName {
  return Object.hasOwn(tamings, name);
}
