import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pfError } from './errors.js';

/**
 * The package root (the folder holding package.json). Non-code assets (prompts, the review page,
 * built-in skill sources) are read from the source tree so the same path works under vitest (TS sources)
 * and from dist/ (compiled JS).
 */
export const packageRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && !dir.endsWith('dist')) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw pfError('PF_ERR_CONFIG', `policyforge: no package.json above ${start}`);
    dir = parent;
  }
}

/** An asset of the package, e.g. `assetPath('agents', 'prompts', 'coder.md')`. */
export function assetPath(...segments: string[]): string {
  return join(packageRoot, ...segments);
}

/** `$POLICYFORGE_HOME`, default `~/.policyforge`: the embedded skill store and run history live here. */
export function policyforgeHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.POLICYFORGE_HOME || join(homedir(), '.policyforge'));
}
