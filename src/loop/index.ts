/**
 * The loop: generatePolicy (plan → judge the reading → rounds of draft → harden → verify → dry-run → critic →
 * learn), its checkpoint for resuming, and a generator wiring its defaults.
 */
export { generatePolicy, DEFAULT_MAX_ROUNDS, MAX_REPLANS, type GenerateDeps } from './generate-policy.js';
export { CHECKPOINT_VERSION, checkpointKeyOf, type LoopCheckpoint, type RunState } from './checkpoint.js';
export { createGenerator, type Generator, type GeneratorOptions, type GenerateOptions } from './create-generator.js';
