import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../sandbox/index.js';
import { createGenerator } from '../src/loop/index.js';
import type { BenchSection } from './benches.js';

const INTENTS = process.env.POLICYFORGE_INTENTS_DIR ?? join(process.cwd(), '..', 'shared', 'intents');

/**
 * Offline generation of every shared intent through the whole loop (retrieve, plan, draft, harden, verify
 * with fuzzing, learn), then the same intents again, answered from the library. Wall-clock per intent.
 */
export async function run(): Promise<BenchSection> {
  const home = mkdtempSync(join(tmpdir(), 'pf-bench-gen-'));
  const files = readdirSync(INTENTS).filter((f) => f.endsWith('.yaml') && !f.endsWith('.policy.yaml'));
  const generator = await createGenerator({ model: null, store: join(home, 'skills.sqlite') });
  const rows: string[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    for (const f of files) {
      const suite = await loadSuite(join(INTENTS, f));
      let t = performance.now();
      const first = await generator.generate({ text: suite.intent });
      const coldMs = performance.now() - t;
      t = performance.now();
      const again = await generator.generate({ text: suite.intent });
      const warmMs = performance.now() - t;
      const shared = first.policy ? await generator.sandbox.runSuite(first.policy, suite) : undefined;
      cold.push(coldMs);
      warm.push(warmMs);
      rows.push(
        `| ${f.replace(/\.yaml$/, '')} | ${first.status} | ${first.plan?.tests.length ?? 0} | ${shared ? `${shared.total - shared.failed}/${shared.total}` : '-'} | ${coldMs.toFixed(0)} | ${again.source} ${warmMs.toFixed(1)} |`,
      );
    }
  } finally {
    await generator.close();
    rmSync(home, { recursive: true, force: true });
  }
  const p = (xs: number[], q: number): number =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  return {
    title: 'Offline generation (generate, 16 shared intents)',
    markdown: [
      'Command: `npm run bench -- generate`. Each intent is generated with no model (offline families) through the',
      'whole loop with fuzzing on, in one process with an inline sandbox and a fresh SQLite store; then generated',
      'again, which the library answers. "suite" is the shared suite, never shown to generation, run on the result.',
      '',
      `Cold: p50 ${p(cold, 0.5).toFixed(0)} ms, max ${Math.max(...cold).toFixed(0)} ms. From the library: p50 ${p(warm, 0.5).toFixed(1)} ms.`,
      '',
      '| intent | status | planned cases | shared suite | cold ms | again (source, ms) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}
