import { describe, expect, it } from 'vitest';
import type { GenerationResult, JsPolicy, TestCase } from '../../common/index.js';
import { createSandbox, loadSuite, type SandboxRunner } from '../../sandbox/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { haveSharedIntents, sharedIntent } from '../support/shared-intents.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';

// An intent's mode (Enforce/Warn/Audit, GPTPolicy spec.mode) says what jsPolicy does with a rejection; the
// planned cases say what the policy decides. Drafts are verified in Enforce terms and the mode is applied
// to the result, so a Warn or Audit intent succeeds and its policy then warns or only records violations.
const NODEPORT = 'Services of type NodePort are not allowed.';
const SHARED_SUITE = sharedIntent('block-nodeport.yaml');

const EXPECTED_VIOLATION_POLICY = { Warn: 'Warn', Audit: 'Dry' } as const;

/**
 * A case written in Enforce terms, restated as jsPolicy behaves under the policy's violationPolicy: under
 * Warn a rejection is an admission carrying the rejection's message as a warning; under Dry it is a silent
 * admission (only recorded as a violation). Cases that are admitted anyway are unchanged.
 */
function underMode(c: TestCase, mode: 'Warn' | 'Audit'): TestCase {
  if (c.expect !== 'deny') return c;
  return mode === 'Warn' ? { ...c, expect: 'warn' } : { ...c, expect: 'allow', message: undefined };
}

function failures(run: { cases: Array<{ name: string; passed: boolean; failure?: string }> }): string[] {
  return run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`);
}

const world = freshLoopWorldEachTest();

async function expectModeHonoured(
  result: GenerationResult,
  mode: 'Warn' | 'Audit',
  sandbox: SandboxRunner = world.sandbox,
): Promise<JsPolicy> {
  expect(result.status, result.reason).toBe('succeeded');
  expect(result.safeToApply).toBe(true);
  const policy = result.policy!;
  expect(policy.spec.violationPolicy).toBe(EXPECTED_VIOLATION_POLICY[mode]);
  const planned = result.plan!.tests;
  expect(planned.some((c) => c.expect === 'deny')).toBe(true);

  // The result under its own violationPolicy: denials have become warnings (Warn) or silent admissions (Dry).
  const asApplied = await sandbox.runSuite(
    policy,
    planned.map((c) => underMode(c, mode)),
  );
  expect(failures(asApplied)).toEqual([]);
  const rejected = asApplied.cases.filter((c, i) => planned[i].expect === 'deny');
  for (const c of rejected) {
    expect(c.outcome.allowed).toBe(true);
    if (mode === 'Warn') expect(c.outcome.warnings).toEqual([`[${policy.metadata.name}]: ${c.outcome.message}`]);
    else expect(c.outcome.warnings).toEqual([]);
  }
  // The same decisions in Enforce terms: the planned cases, unchanged, pass once the mode is taken away.
  const enforced = await sandbox.runSuite({ ...policy, spec: { ...policy.spec, violationPolicy: 'Deny' } }, planned);
  expect(failures(enforced)).toEqual([]);
  return policy;
}

describe('generatePolicy with options.mode (offline)', () => {
  it.each(['Warn', 'Audit'] as const)(
    'mode %s: the NodePort intent is verified in Enforce terms and returned with the mode applied',
    async (mode) => {
      const result = await generatePolicy(
        { text: NODEPORT, options: { mode } },
        { library: world.library, sandbox: world.sandbox },
      );
      expect(result.source).toBe('offline');
      expect(result.rounds).toHaveLength(1);
      const round = result.rounds[0];
      expect(round.report?.passed).toBe(true);
      expect(round.draft?.spec.violationPolicy ?? 'Deny').toBe('Deny');
      const policy = await expectModeHonoured(result, mode);

      // The shared suite (Enforce terms), restated for the mode, holds for the generated policy too.
      if (!haveSharedIntents) return;
      const shared = await loadSuite(SHARED_SUITE);
      const run = await world.sandbox.runSuite(
        policy,
        shared.cases.map((c) => underMode(c, mode)),
      );
      expect(failures(run)).toEqual([]);
    },
  );

  it('a later request for the same intent with another mode is answered from the library with its own mode', async () => {
    const first = await generatePolicy(
      { text: NODEPORT, options: { mode: 'Warn' } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(first.source).toBe('offline');
    await expectModeHonoured(first, 'Warn');

    const audit = await generatePolicy(
      { text: NODEPORT, options: { mode: 'Audit' } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(audit.source).toBe('library');
    await expectModeHonoured(audit, 'Audit');

    const enforce = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(enforce.source).toBe('library');
    expect(enforce.policy!.spec.violationPolicy ?? 'Deny').toBe('Deny');
    expect(failures(await world.sandbox.runSuite(enforce.policy!, enforce.plan!.tests))).toEqual([]);
  });

  it("a library answer is checked against the user's examples in Enforce terms, whatever violationPolicy was stored", async () => {
    const first = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(first.status, first.reason).toBe('succeeded');
    // A stored answer carrying a violationPolicy of its own (an approved Warn policy, an older release's entry).
    const stored = (await world.library.lookupPolicy(NODEPORT))!;
    await world.store.putPolicy({
      ...stored,
      policy: { ...stored.policy, spec: { ...stored.policy.spec, violationPolicy: 'Warn' } },
    });
    const nodePort = first.plan!.tests.find((c) => c.expect === 'deny')!;

    const audit = await generatePolicy(
      {
        text: NODEPORT,
        examples: [{ ...nodePort, name: 'my NodePort example is denied' }],
        options: { mode: 'Audit' },
      },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(audit.source).toBe('library');
    await expectModeHonoured(audit, 'Audit');
  });

  it('mode Warn in the process sandbox the service runs (the worker hands the intent over unchanged) succeeds the same way', async () => {
    const processSandbox = createSandbox({ isolation: 'process', processes: 1 });
    try {
      const result = await generatePolicy(
        { text: NODEPORT, options: { mode: 'Warn' } },
        { library: world.library, sandbox: processSandbox },
      );
      await expectModeHonoured(result, 'Warn', processSandbox);
    } finally {
      await processSandbox.close();
    }
  });
});

describe('generatePolicy with options.mode (model)', () => {
  const plan = {
    rationale: 'Services whose spec.type is NodePort are rejected; every other Service type is admitted.',
    target: {
      type: 'Validating',
      resources: ['services'],
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE', 'UPDATE'],
      scope: 'Namespaced',
      namespaces: [],
    },
    steps: [{ name: 'isNodePort', description: 'spec.type is NodePort' }],
    tests: [
      {
        name: 'a NodePort Service is denied',
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 's', namespace: 'shop' },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        },
        expect: 'deny',
      },
      {
        name: 'a ClusterIP Service is allowed',
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 's', namespace: 'shop' },
          spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
        },
        expect: 'allow',
      },
    ],
  };
  // The model read "Warn" somewhere and put it in the spec itself; the mode asked for is Audit.
  const draft = {
    explanation: 'reject NodePort services',
    plan: 'compare spec.type',
    spec: {
      type: 'Validating',
      operations: ['CREATE', 'UPDATE'],
      resources: ['services'],
      apiGroups: [''],
      violationPolicy: 'Warn',
      javascript: "if (request.object?.spec?.type === 'NodePort') { deny('NodePort services are not allowed'); }",
    },
  };
  const approve = { reasoning: 'rejects exactly NodePort services', success: true, critique: '' };

  it("a draft's own violationPolicy does not change what is verified: mode Audit succeeds in round 1 and returns Dry", async () => {
    const m = await scriptedModel([
      { toolCall: { arguments: plan } },
      { toolCall: { arguments: draft } },
      { toolCall: { arguments: approve } },
    ]);
    const result = await generatePolicy(
      { text: NODEPORT, options: { mode: 'Audit' } },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );
    expect(result.source).toBe('model');
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0].draft?.spec.violationPolicy).toBe('Deny');
    await expectModeHonoured(result, 'Audit');
  });
});
