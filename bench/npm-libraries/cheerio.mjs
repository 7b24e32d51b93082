import * as cheerio from 'cheerio';

const html = `<!doctype html><html><head><title>Shop</title></head><body>
<ul id="items"><li class="item" data-price="3">Tea</li><li class="item sale" data-price="5">Cake &amp; cream</li><li>Other</li></ul>
<a href="/a">A</a><a href="https://example.org/b">B</a></body></html>`;

export default () => {
  const $ = cheerio.load(html);
  $('li.sale').addClass('highlight').append(' <b>-10%</b>');
  return {
    title: $('title').text(),
    items: $('li.item').map((_, el) => ({ text: $(el).text(), price: Number($(el).attr('data-price')) })).get(),
    links: $('a').map((_, el) => $(el).attr('href')).get(),
    sale: $.html($('li.sale')),
    count: $('li').length,
  };
};
