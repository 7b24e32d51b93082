import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

const xml = `<?xml version="1.0"?>
<catalog>
  <book id="b1" lang="en"><title>Sandboxes</title><price>29.95</price><tag>v8</tag><tag>security</tag></book>
  <book id="b2"><title>Isolates &amp; you</title><price>15</price></book>
</catalog>`;

export default () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'book' || name === 'tag' });
  const parsed = parser.parse(xml);
  const built = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true }).build(parsed);
  return { valid: XMLValidator.validate(xml), invalid: XMLValidator.validate('<a><b></a>'), parsed, built };
};
