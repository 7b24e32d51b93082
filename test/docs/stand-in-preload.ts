// Loaded with --import by the `teejs serve` the doc examples' test starts: sends the server's
// connections to the stand-in's names (stand-in.ts) to the address in TEEJS_DOCS_STAND_IN
// ("HOST:PORT"). The server runs guest code in-process (--executors 0), so its fetches are made
// here; nothing else about it changes.
import { routeToStandIn } from './stand-in.ts';

const target = process.env.TEEJS_DOCS_STAND_IN;
if (target) {
  const separator = target.lastIndexOf(':');
  routeToStandIn({ host: target.slice(0, separator), port: Number(target.slice(separator + 1)) });
}
