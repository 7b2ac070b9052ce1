import { execFileSync } from 'node:child_process';

/**
 * Runs once before the suite: CLI tests drive the real bin (bin/policyforge.js → dist/), so dist must be
 * current. `npm test` builds first; this guards `npx vitest` runs started by hand.
 */
export default function setup(): void {
  if (process.env.POLICYFORGE_SKIP_BUILD === '1') return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  process.env.POLICYFORGE_SKIP_BUILD = '1';
}
