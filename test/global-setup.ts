import { spawnSync } from 'node:child_process';

/**
 * Runs once before the suite: CLI tests drive the real bin (bin/policyforge.js → dist/), so dist must be
 * current. `npm test` builds (and type-checks) first and sets POLICYFORGE_SKIP_BUILD; this guards
 * `npx vitest` runs started by hand. tsc emits even when some other file has a type error, and that is
 * what a hand-run wants; the type error itself is `npm test`'s to report.
 */
export default function setup(): void {
  if (process.env.POLICYFORGE_SKIP_BUILD === '1') return;
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
  process.env.POLICYFORGE_SKIP_BUILD = '1';
}
