// v5 is a hash of a name; v4 is given its random bytes.
import { NIL, parse, stringify, v4, v5, validate, version } from 'uuid';

export default () => {
  const dns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
  const named = v5('teejs.example', dns);
  const random = v4({ random: Uint8Array.from({ length: 16 }, (_, i) => (i * 17) & 0xff) });
  return { named, random, valid: validate(named), versions: [version(named), version(random)], roundTrip: stringify(parse(named)) === named, nil: NIL };
};
