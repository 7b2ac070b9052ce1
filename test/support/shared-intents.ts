import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared intent suites (16 intents, each with a reference policy) live beside the repository, in
 * `../shared/intents`; CI always has them. `POLICYFORGE_SHARED_INTENTS` points elsewhere. Tests that need
 * them skip, saying so once, when they are absent: the project's own examples/ keep the rest meaningful.
 */
export const SHARED_INTENTS = resolve(
  process.env.POLICYFORGE_SHARED_INTENTS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'intents'),
);

export const haveSharedIntents = existsSync(SHARED_INTENTS);

if (!haveSharedIntents)
  console.warn(`[policyforge] ${SHARED_INTENTS} not found: tests on the shared intent suites are skipped`);

/** A file of the shared suites, e.g. `sharedIntent('no-prod-pods-in-test.yaml')`. */
export function sharedIntent(file: string): string {
  return join(SHARED_INTENTS, file);
}

/** Ids of the intents that have a suite and a reference policy; empty when the folder is absent. */
export function sharedIntentIds(): string[] {
  if (!haveSharedIntents) return [];
  return readdirSync(SHARED_INTENTS)
    .filter((f) => f.endsWith('.policy.yaml'))
    .map((f) => f.slice(0, -'.policy.yaml'.length))
    .sort();
}

/** Suite file names (`<id>.yaml`); empty when the folder is absent. */
export function sharedSuiteFiles(): string[] {
  if (!haveSharedIntents) return [];
  return readdirSync(SHARED_INTENTS)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('.policy.yaml'))
    .sort();
}
