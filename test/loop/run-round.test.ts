import { describe, expect, it } from 'vitest';
import type { JsPolicy, Plan, ProgressEvent } from '../../common/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { approve, fixedDraft, flawedDraft, IAM_INTENT, iamPlan, iamPolicy } from '../support/user-iam-story.js';
import { freshLoopWorldEachTest, scriptedModel } from './helpers.js';

const world = freshLoopWorldEachTest();

// A case the plan lacks and the fixed draft gets wrong: a Project named by its external id alone.
const externalOnly = {
  name: 'an IAMPolicy on a Project named only by external id is denied',
  object: iamPolicy('x', { external: 'projects/x' }),
  expect: 'deny',
};
const externalDraft = {
  explanation: 'a Project by kind or by external id',
  plan: 'read the resourceRef kind and external id',
  spec: {
    ...fixedDraft.spec,
    javascript:
      "function referencesProject(obj) { const ref = obj?.spec?.resourceRef; return ref?.kind === 'Project' || String(ref?.external ?? '').startsWith('projects/'); }\n" +
      "if (referencesProject(request.object)) { deny('IAMPolicy must not target a Project'); }",
  },
};

describe('a round (runRound): draft → harden → verify → dry-run → critic', () => {
  it('a draft the critic accepts while adding a case is not verified until that case has run: it fails it, and the next round is told', async () => {
    const acceptWithCase = { reasoning: 'looks right', success: true, critique: '', missingCases: [externalOnly] };
    const m = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: acceptWithCase } },
      { toolCall: { arguments: externalDraft } },
      { toolCall: { arguments: approve } },
    ]);
    const events: ProgressEvent[] = [];
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client: m.client, onProgress: (e) => events.push(e) },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.rounds).toHaveLength(2);
    const [round1, round2] = result.rounds;
    expect(round1.critique?.success).toBe(true);
    expect(round1.report!.passed).toBe(false);
    expect(round1.report!.suite!.cases.filter((c) => !c.passed).map((c) => c.name)).toEqual([externalOnly.name]);
    expect(round2.report!.suite!.cases.find((c) => c.name === externalOnly.name)?.passed).toBe(true);
    // The judge read the critic's case before it joined; the coder of round 2 was told it failed.
    expect(m.server.judgeRequests()).toHaveLength(2);
    expect(m.server.judgeRequests()[1].messages[1].content).toContain(externalOnly.name);
    expect(m.server.chatRequests()[3].messages[1].content).toContain(externalOnly.name);
    // The verified events of round 1: the plan's cases passed, then the suite with the critic's case did not.
    const verified = events.filter((e) => e.type === 'verified' && e.round === 1);
    expect(verified.map((e) => e.type === 'verified' && [e.passed, e.casesTotal])).toEqual([
      [true, iamPlan.tests.length],
      [false, iamPlan.tests.length + 1],
    ]);
    // The result's plan holds the case; the plan as emitted was never changed.
    expect(result.plan!.tests.map((t) => t.name)).toContain(externalOnly.name);
    const planned = events.find((e): e is { type: 'planned'; plan: Plan } => e.type === 'planned')!.plan;
    expect(planned.tests.map((t) => t.name)).toEqual(iamPlan.tests.map((t) => t.name));
    expect(result.plan).not.toBe(planned);
  });

  it('a draft the critic accepts while adding a case it passes succeeds in that round, with the case run and kept', async () => {
    const byKindToo = {
      name: 'an IAMPolicy on a Project in another namespace is denied',
      object: { ...iamPolicy('o', { kind: 'Project', name: 'p' }), metadata: { name: 'o', namespace: 'other' } },
      expect: 'deny',
    };
    const acceptWithCase = { reasoning: 'looks right', success: true, critique: '', missingCases: [byKindToo] };
    const m = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: acceptWithCase } },
    ]);
    const result = await generatePolicy(
      { text: IAM_INTENT },
      { library: world.library, sandbox: world.sandbox, client: m.client },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0].report!.suite!.cases.find((c) => c.name === byKindToo.name)?.passed).toBe(true);
    expect(result.reason).toContain(`${iamPlan.tests.length + 1} case(s) passed`);
    expect(result.plan!.tests.map((t) => t.name)).toContain(byKindToo.name);
    expect(m.server.chatRequests()).toHaveLength(3);
  });

  it("dry-runs only verified drafts, in the form the result carries; the API server's refusal is the next round's feedback", async () => {
    const m = await scriptedModel([
      { toolCall: { arguments: iamPlan } },
      { toolCall: { arguments: flawedDraft } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: fixedDraft } },
      { toolCall: { arguments: approve } },
    ]);
    const dryRuns: JsPolicy[] = [];
    const dryRun = async (p: JsPolicy): Promise<string[]> => {
      dryRuns.push(p);
      return dryRuns.length === 1 ? ['spec.timeoutSeconds: Invalid value: 5: must be at least 10 on this cluster'] : [];
    };
    const result = await generatePolicy(
      { text: IAM_INTENT, options: { mode: 'Warn' } },
      { library: world.library, sandbox: world.sandbox, client: m.client, dryRun },
    );

    expect(result.status, result.reason).toBe('succeeded');
    expect(result.rounds.map((r) => r.report?.passed)).toEqual([false, false, true]);
    // Round 1 failed verify: never sent to the API server. Rounds 2 and 3 were, with the mode applied.
    expect(dryRuns).toHaveLength(2);
    for (const p of dryRuns) {
      expect(p.spec.violationPolicy).toBe('Warn');
      expect(p.metadata.name).toBe(result.policy!.metadata.name);
    }
    const refused = result.rounds[1].report!;
    expect(refused.dryRunErrors).toEqual([
      'spec.timeoutSeconds: Invalid value: 5: must be at least 10 on this cluster',
    ]);
    expect(refused.findings[0]).toMatchObject({ rule: 'cluster/dry-run', severity: 'blocking' });
    expect(result.rounds[1].critique).toBeUndefined(); // refused by the API server: the critic is not asked
    const chats = m.server.chatRequests();
    expect(chats.map((c) => c.body.tools?.[0]?.function?.name)).toEqual([
      'submit_plan',
      'submit_policy',
      'submit_policy',
      'submit_policy',
      'submit_review',
    ]);
    expect(chats[3].messages[1].content).toContain('must be at least 10 on this cluster');
  });
});
