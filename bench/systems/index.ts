// Every system the benchmark compares, in the order the tables list them.
import { plainIsolatedVm } from './isolated-vm.ts';
import { nodeDirect } from './node-direct.ts';
import { nodeVm } from './node-vm.ts';
import { nodeWorker } from './node-worker.ts';
import { quickjs } from './quickjs.ts';
import type { System } from './system.ts';
import { teejsCore, teejsCoreWarm, teejsPool } from './teejs.ts';

export const systems: readonly System[] = [teejsPool, teejsCoreWarm, teejsCore, plainIsolatedVm, nodeVm, quickjs, nodeWorker, nodeDirect];

export type { Outcome, Runner, System } from './system.ts';
