// The host's private entry module for module-form functions. Imports evaluate in order, so
// `teejs:handoff` runs first (before any code of the function exists) and takes the runtime's
// one-shot delivery function; then the function's module evaluates (top-level await included);
// then this body hands its namespace to the runtime. Nothing can import these modules: the
// function's own imports are refused before anything is linked.
import { deliver } from 'teejs:handoff';
import * as functionModule from 'teejs:function';

deliver(functionModule);
