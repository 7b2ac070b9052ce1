import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { createGenerator, type Generator } from '../../src/loop/index.js';
import { scriptedModel } from '../loop/helpers.js';
import { approve, fixedDraft, IAM_INTENT, iamPlan } from '../support/user-iam-story.js';
import { createBed, eventually, getGPT, getJsPolicy, gptPolicy, onTestServer, GPT, type Bed } from './harness.js';

// Issue 16 item 3: the server-side dry-run is a round of the loop, not a new job. The worker runs the real loop
// (a scripted model) with the operator's cluster access, as `policyforge operator --with-worker` does; the
// cluster's admission refuses the first draft, which passed every case, and the loop fixes it in round 2 of
// the same job. The operator applies the fixed draft and never enqueues a second job.

const NAME = 'no-project-iampolicies.drzzl.io';
/** The platform team's admission rule on this cluster, in the words an API server would use. */
const REFUSAL = 'spec.objectSelector: Forbidden: JsPolicies on this cluster may not narrow by object labels';

/** Round 1: the right code, with an objectSelector the cluster refuses (it matches every case object). */
const selectiveDraft = {
  explanation: 'skip objects that opt out',
  plan: 'read the resourceRef kind safely',
  spec: {
    ...fixedDraft.spec,
    objectSelector: { matchExpressions: [{ key: 'policyforge.dev/opt-out', operator: 'DoesNotExist' }] },
  },
};

let bed: Bed;
let sandbox: SandboxRunner;
let generator: Generator;
let home: string;
let model: Awaited<ReturnType<typeof scriptedModel>>;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'pf-dry-run-round-'));
  sandbox = createSandbox({ isolation: 'inline' });
  model = await scriptedModel([
    { toolCall: { arguments: iamPlan } },
    { toolCall: { arguments: selectiveDraft } },
    { toolCall: { arguments: fixedDraft } },
    { toolCall: { arguments: approve } },
  ]);
  bed = await createBed((intent, ctx) => generator.generate(intent, ctx));
  bed.jsPolicyRules.push((o) => (o.spec?.objectSelector ? [REFUSAL] : []));
  generator = await createGenerator({
    store: join(home, 'skills.sqlite'),
    sandbox,
    client: model.client,
    dryRun: bed.dryRun,
  });
});

afterEach(async () => {
  await bed.close();
  await generator.close();
  await sandbox.close();
  await model.server.close();
  rmSync(home, { recursive: true, force: true });
});

describe('a dry-run refusal in the operator’s worker', () => {
  onTestServer('is critic feedback for round 2 of the same job, and the fixed draft is applied', async () => {
    const op = await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: IAM_INTENT }) });
    const ready = await eventually(
      async () => {
        const o = await getGPT(bed, NAME);
        if (o.status?.phase === 'Failed') throw new Error(`failed: ${o.status.lastError}`);
        return o.status?.phase === 'Ready' ? o : undefined;
      },
      `${NAME} Ready`,
      90_000,
    );

    // one job, two rounds: the first refused by the API server on dry-run, the second accepted
    expect(bed.generated).toHaveLength(1);
    expect(op.controller.stats.enqueued).toBe(1);
    expect(ready.status.jobId).not.toMatch(/-r2$/);
    expect(ready.status.rounds).toBe(2);
    const job = await bed.queue.getJob(ready.status.jobId);
    const [round1, round2] = job!.result!.rounds;
    expect(round1.report!.dryRunErrors).toEqual([REFUSAL]);
    expect(round1.report!.findings[0]).toMatchObject({ rule: 'cluster/dry-run', severity: 'blocking' });
    expect(round1.report!.suite!.passed).toBe(true); // every case passed: only the cluster objected
    expect(round2.report!.passed).toBe(true);
    // the coder of round 2 was told what the API server said
    const chats = model.server.chatRequests();
    expect(chats[2].messages[1].content).toContain('may not narrow by object labels');

    // the loop dry-ran the JsPolicy the operator owns (its name, its owner), not a name of its own
    const loopDryRuns = bed.server!.requests.filter((r) => r.query.dryRun === 'All' && r.path.includes('/jspolicies'));
    expect(loopDryRuns.length).toBeGreaterThanOrEqual(3); // round 1, round 2, the applier's
    expect(loopDryRuns.every((r) => r.path.endsWith('/jspolicies') || r.path.endsWith(`/jspolicies/${NAME}`))).toBe(
      true,
    );
    const applied = await getJsPolicy(bed, NAME);
    expect(applied.spec.objectSelector).toBeUndefined();
    expect(applied.metadata.ownerReferences[0]).toMatchObject({ kind: 'GPTPolicy', name: NAME });
  });
});
