import { afterAll, describe, expect, it } from 'vitest';
import { assemblePolicy, offlineFamilies, understandOffline } from '../../agents/index.js';
import { isPolicyforgeError, type Intent, type JsPolicy } from '../../common/index.js';
import { harden } from '../../critic/index.js';
import { createSandbox, loadSuite } from '../../sandbox/index.js';
import { builtinSkills, inlineSkills } from '../../skills/index.js';
import { sharedIntent, sharedSuiteFiles } from '../support/shared-intents.js';

const suites = sharedSuiteFiles();
const sandbox = createSandbox();
afterAll(() => sandbox.close());

function offlinePolicy(intent: Intent): {
  policy: JsPolicy;
  plan: ReturnType<typeof understandOffline>['plan'];
  family: string;
} {
  const u = understandOffline(intent);
  const assembled = assemblePolicy(u.spec, intent);
  const inlined = {
    ...assembled,
    spec: { ...assembled.spec, javascript: inlineSkills(assembled.spec.javascript ?? '', builtinSkills) },
  };
  return { policy: harden(inlined, u.plan, intent), plan: u.plan, family: u.family };
}

describe('offline planner and coder', () => {
  it.each(suites)(
    '%s: the family understands the intent, its own cases pass, and so does the shared suite',
    async (file) => {
      const suite = await loadSuite(sharedIntent(file));
      const { policy, plan } = offlinePolicy({ text: suite.intent });
      const own = await sandbox.runSuite(policy, plan.tests);
      expect(own.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
      const shared = await sandbox.runSuite(policy, suite);
      expect(shared.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
    },
  );

  it('plans cases that must be allowed and cases just outside the scope, not only denials', () => {
    const { plan } = offlinePolicy({ text: "Deny pods with the label 'env=prod' in the 'test' namespace." });
    // A rule on Pods' labels covers the pod templates of the pod controllers too (issue 11, item 4).
    expect(plan.target).toMatchObject({ namespaces: ['test'] });
    expect(plan.target.resources[0]).toBe('pods');
    expect(plan.target.resources).toContain('deployments');
    expect(plan.tests.filter((c) => c.expect === 'allow').length).toBeGreaterThanOrEqual(3);
    expect(plan.tests.some((c) => c.expect === 'allow' && c.object?.metadata?.namespace !== 'test')).toBe(true);
    expect(plan.tests.some((c) => c.operation === 'UPDATE' && c.expect === 'deny')).toBe(true);
  });

  it('keeps the user examples first and verbatim', () => {
    const example = {
      name: 'my pod',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'test', labels: { env: 'prod' } } },
      expect: 'deny' as const,
    };
    const u = understandOffline({
      text: "Deny pods with the label 'env=prod' in the 'test' namespace.",
      examples: [example],
    });
    expect(u.plan.tests[0]).toBe(example);
  });

  it('takes namespaces from --namespace-hint as well as from the text', () => {
    const u = understandOffline({ text: 'Block privileged containers.', options: { namespaces: ['prod'] } });
    expect(u.plan.target.namespaces).toEqual(['prod']);
  });

  it('fails fast with PF_ERR_OFFLINE_UNSUPPORTED, saying how to configure a model, for an intent it does not understand', () => {
    let err: unknown;
    try {
      understandOffline({ text: 'Make the cluster faster on Tuesdays.' });
    } catch (e) {
      err = e;
    }
    expect(isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toContain('OPENAI_API_KEY');
    expect((err as Error).message).toContain('OPENAI_BASE_URL');
  });

  it('refuses an intent that combines independent rules instead of solving only the first', () => {
    let err: unknown;
    try {
      understandOffline({ text: 'Block privileged containers and hostPath volumes.' });
    } catch (e) {
      err = e;
    }
    expect(isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toMatch(/combines 2 rules \(host-path, privileged\)/);
    // Several labels joined by "and" are one rule (each required, metadata-required reads them); values joined by
    // "or" are not read.
    expect(understandOffline({ text: 'Pods must carry the labels team=a and app=b.' }).family).toBe(
      'metadata-required',
    );
    expect(() => understandOffline({ text: 'Pods must carry the labels team=a or app=b.' })).toThrow(
      /does not understand/,
    );
  });

  it('documents every family with examples that the family itself understands', () => {
    for (const f of offlineFamilies()) {
      for (const ex of f.examples) expect(understandOffline({ text: ex }).family, ex).toBe(f.id);
    }
  });
});
