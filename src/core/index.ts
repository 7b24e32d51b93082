// The isolation core's public API: the one way into src/core for the service, the CLI and the
// executors (nothing outside src/core imports any other of its files).
export { Engine, BoundedLog, type EngineOptions } from './engine.ts';
export { Sandbox, type SandboxOptions } from './sandbox.ts';
export { startupSnapshot } from './snapshot.ts';
export { WarmPool, type SandboxSource, type WarmPoolOptions, type WarmPoolStats } from './warm-pool.ts';
export { InMemorySecretStore, type SecretStore } from './ext/secrets/store.ts';
export { secretLimits } from './ext/secrets/index.ts';
export { parseHostPattern, parseHostPatterns, resolveNetworkPolicy, type NetworkOptions } from './ext/fetch/policy.ts';
export { checkLimit, defaultLimits, limitBounds, LimitError, resolveLimits, type LimitName, type Limits } from './limits.ts';
export { ExecutionFailure } from './failure.ts';
export { decodeParamsJson, encodeParams } from './params.ts';
export { checkModuleSet, checkSyntax } from './compile-check.ts';
export { checkedEnv, maxEnvEntries, maxEnvValueBytes } from './env.ts';
export { maxModules } from './module-set.ts';
export { detectForm, detectLanguage, staticImports } from './source.ts';
export type { Capability, CapabilityInstance, ExecutionScope, GuestChannel } from './capability.ts';
export type * from './types.ts';
