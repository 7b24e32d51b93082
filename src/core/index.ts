// The isolation core's public API.
export { Engine, BoundedLog, type EngineOptions, type SandboxSource } from './engine.ts';
export { Sandbox, type SandboxOptions } from './sandbox.ts';
export { WarmPool, type WarmPoolOptions, type WarmPoolStats } from './pool.ts';
export { InMemorySecretStore, type SecretStore } from './ext/secrets/store.ts';
export { defaultLimits, limitBounds, type Limits } from './limits.ts';
export { decodeParamsJson } from './params.ts';
export type { Capability, CapabilityInstance, ExecutionScope, GuestChannel } from './capability.ts';
export type * from './types.ts';
