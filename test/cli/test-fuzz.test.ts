import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializePolicy } from '../../sandbox/index.js';
import { userIamPolicyDraft } from '../critic/fixtures.js';
import { SHARED_INTENTS, haveSharedIntents } from '../support/shared-intents.js';
import { runCli, type CliRun } from './run-cli.js';

const INTENTS = SHARED_INTENTS;

/** `policyforge test …` in-process (run-cli.ts). */
const test = (...args: string[]): Promise<CliRun> => runCli(['test', ...args]);

describe.skipIf(!haveSharedIntents)('policyforge test --fuzz', () => {
  it('exits 1 and shows the smallest crashing object when the policy throws on an unusual object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-fuzz-'));
    const file = join(dir, 'iam.yaml');
    // The user's draft with the group corrected: every case passes, only fuzzing shows the crash.
    const draft = userIamPolicyDraft();
    writeFileSync(
      file,
      serializePolicy({ ...draft, spec: { ...draft.spec, apiGroups: ['iam.cnrm.cloud.google.com'] } }),
    );
    const suite = join(INTENTS, 'iampolicy-no-project.yaml');
    expect((await test(suite, '--policy', file)).code).toBe(0);
    const { code, stdout } = await test(suite, '--policy', file, '--fuzz');
    expect(code).toBe(1);
    expect(stdout).toMatch(/fuzz: \d+ crash\(es\)/);
    expect(stdout).toContain('denies with 500 on');
    expect(stdout).toContain("reading 'kind'");
    expect(stdout).toContain('smallest object: {');
  });

  it('reports no crash for a robust reference policy and puts the crashes in --json output', async () => {
    const suite = join(INTENTS, 'iampolicy-no-project.yaml');
    const { code, stdout } = await test(
      suite,
      '--policy',
      join(INTENTS, 'iampolicy-no-project.policy.yaml'),
      '--fuzz',
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ passed: true, fuzz: [] });
  });
});
