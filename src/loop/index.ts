/** The loop: generatePolicy (plan → judge the reading → draft → harden → verify → critic → learn) and a generator wiring its defaults. */
export { generatePolicy, DEFAULT_MAX_ROUNDS, MAX_REPLANS, type GenerateDeps } from './generate-policy.js';
export { createGenerator, type Generator, type GeneratorOptions } from './create-generator.js';
