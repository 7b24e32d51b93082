import Papa from 'papaparse';

const csv = `name,amount,paid,note
alice,12.5,true,"says ""hi"""
bob,7,false,"line one
line two"
carol,,true,`;

export default () => {
  const parsed = Papa.parse(csv, { header: true, dynamicTyping: true, skipEmptyLines: true });
  return { data: parsed.data, fields: parsed.meta.fields, errors: parsed.errors, csv: Papa.unparse(parsed.data, { quotes: false }) };
};
