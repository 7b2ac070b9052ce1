import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { corpusSources, evaluateSuite, runCorpus, type CorpusReport, type SuiteOutcome } from '../../bench/corpus.js';
import type { Suite } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { createGenerator } from '../../src/loop/index.js';

// What the corpus tests share: one converted suite through offline generate, and a committed corpus run whole.

/**
 * Inside a describe block: runs a suite as `npm run bench -- corpus` does, generated offline from its intent alone (a
 * fresh skill store each, no fuzzing) and judged by its cases, on one sandbox that is closed after the block.
 */
export function offlineSuiteRunner(name: string): (suite: Suite) => Promise<SuiteOutcome> {
  const sandbox = createSandbox({ isolation: 'inline' });
  const home = mkdtempSync(join(tmpdir(), `pf-corpus-${name}-`));
  afterAll(async () => {
    await sandbox.close();
    rmSync(home, { recursive: true, force: true });
  });
  let stores = 0;
  return async (suite) => {
    const store = join(home, `${stores++}.sqlite`);
    const generator = await createGenerator({ model: null, store, sandbox, fuzz: false });
    try {
      return await evaluateSuite(suite, (intent) => generator.generate(intent), sandbox);
    } finally {
      await generator.close();
    }
  };
}

/** The committed corpus `name` (one of corpusSources()) run whole offline: its figures, and each suite verified but wrong. */
export async function runCommittedCorpus(
  name: string,
): Promise<{ corpus: CorpusReport['corpora'][number]; wrong: string[] }> {
  const source = corpusSources().find((c) => c.name === name);
  if (!source)
    throw new Error(
      `no corpus ${name}; corpusSources() has ${corpusSources()
        .map((c) => c.name)
        .join(', ')}`,
    );
  const report = await runCorpus([source], { fuzz: false });
  const wrong = report.suites
    .filter((s) => s.outcome === 'verified-but-wrong')
    .map((s) => `${s.id}: ${JSON.stringify(s.failing)}`);
  return { corpus: report.corpora[0], wrong };
}
