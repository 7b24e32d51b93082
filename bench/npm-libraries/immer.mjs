import { enablePatches, produce, produceWithPatches } from 'immer';

enablePatches();

export default () => {
  const base = { todos: [{ id: 1, title: 'bundle', done: false }, { id: 2, title: 'run', done: false }], owner: { name: 'ada' } };
  const next = produce(base, (draft) => {
    draft.todos[0].done = true;
    draft.todos.push({ id: 3, title: 'measure', done: false });
  });
  const [, patches, inverse] = produceWithPatches(next, (draft) => {
    draft.owner.name = 'bob';
  });
  let frozen;
  try {
    next.todos[0].done = false;
    frozen = 'changed';
  } catch (error) {
    frozen = error.constructor.name;
  }
  return { next, sharedOwner: next.owner === base.owner, baseUntouched: base.todos[0].done === false, isFrozen: Object.isFrozen(next.todos[0]), frozen, patches, inverse };
};
