import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, formatSuiteResult, loadPolicy, loadSuite } from '../../sandbox/index.js';
import type { JsPolicy } from '../../common/index.js';

// The shared intent suites live beside the repository (CI always has them); their reference policies
// must pass, and a broken variant of each must fail the cases that depend on the broken logic.
const INTENTS = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'intents');
const ids = existsSync(INTENTS)
  ? readdirSync(INTENTS)
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('.policy.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort()
  : [];

if (!ids.length) {
  // Visible in the test output rather than silently passing.
  console.warn(`[policyforge] ${INTENTS} not found: skipping the shared intent suites`);
}

const sandbox = createSandbox();
afterAll(() => sandbox.close());

/** The reference javascript with its verdict calls neutralised: nothing is ever denied, warned or mutated. */
function broken(policy: JsPolicy): JsPolicy {
  const javascript = `const deny = () => {}; const warn = () => {}; const mutate = () => {};\n${policy.spec.javascript}`;
  return { ...policy, spec: { ...policy.spec, javascript } };
}

describe.skipIf(!ids.length)('the shared intent suites (../shared/intents)', () => {
  it.each(ids)('%s passes with its reference policy', async (id) => {
    const suite = await loadSuite(join(INTENTS, `${id}.yaml`));
    const policy = await loadPolicy(join(INTENTS, `${id}.policy.yaml`));
    const result = await sandbox.runSuite(policy, suite);
    expect(result.failed, formatSuiteResult(result)).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.total).toBe(suite.cases.length);
  });

  it.each(ids)('%s fails exactly its non-allow cases with a policy that never decides', async (id) => {
    const suite = await loadSuite(join(INTENTS, `${id}.yaml`));
    const policy = await loadPolicy(join(INTENTS, `${id}.policy.yaml`));
    const result = await sandbox.runSuite(broken(policy), suite);
    const failing = result.cases.filter((c) => !c.passed).map((c) => c.name);
    const expected = suite.cases.filter((c) => c.expect !== 'allow').map((c) => c.name);
    expect(failing).toEqual(expected);
    expect(result.passed).toBe(expected.length === 0);
  });
});
