// ajv used naively: compiling a schema when the function runs generates code (new Function),
// which teejs refuses with an EvalError.
import Ajv from 'ajv';
import schema from './user.schema.json' with { type: 'json' };

export default () => {
  const validate = new Ajv({ allErrors: true }).compile(schema);
  return { valid: validate({ name: 'Ada', email: 'ada@example.org', tags: [] }) };
};
