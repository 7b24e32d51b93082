import Mustache from 'mustache';

const template = `<h1>{{title}}</h1>
{{#items}}<li>{{name}}: {{price}}{{#sale}} (sale){{/sale}}</li>
{{/items}}{{^items}}nothing{{/items}}
{{> footer}}`;

export default () => ({
  html: Mustache.render(template, { title: 'Tom & <Jerry>', items: [{ name: 'tea', price: 3, sale: true }, { name: 'cake', price: 5 }] }, { footer: '<footer>{{title}}</footer>' }),
  empty: Mustache.render(template, { title: 'none', items: [] }, { footer: '' }),
});
