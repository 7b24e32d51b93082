import { camelCase, chunk, cloneDeep, debounce, groupBy, isEqual, merge, orderBy, sumBy, uniqBy } from 'lodash-es';

const orders = [
  { id: 1, customer: 'ada', total: 30, city: 'London' },
  { id: 2, customer: 'bob', total: 12, city: 'Paris' },
  { id: 3, customer: 'ada', total: 8, city: 'London' },
  { id: 4, customer: 'cy', total: 50, city: 'Paris' },
];

export default () => {
  const copy = cloneDeep(orders);
  copy[0].total = 0;
  return {
    chunks: chunk([1, 2, 3, 4, 5], 2),
    byCity: groupBy(orders, 'city'),
    sorted: orderBy(orders, ['total'], ['desc']).map((o) => o.id),
    customers: uniqBy(orders, 'customer').map((o) => o.customer),
    total: sumBy(orders, 'total'),
    merged: merge({ a: { b: 1 } }, { a: { c: 2 } }),
    untouched: isEqual(orders[0], { id: 1, customer: 'ada', total: 30, city: 'London' }),
    name: camelCase('Hello big-world'),
    debounced: typeof debounce(() => {}, 10),
  };
};
