import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadModelConfig } from '../../agents/index.js';
import type { JsPolicy } from '../../common/index.js';
import { loadSuite, type SandboxRunner } from '../../sandbox/index.js';
import { createGenerator, type Generator } from '../../src/loop/index.js';
import type { GenerateFn } from '../../worker/index.js';
import { SHARED_INTENTS, haveSharedIntents } from '../support/shared-intents.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { condition, createBed, editGPT, eventually, getGPT, getJsPolicy, gptPolicy, GPT, type Bed } from './harness.js';
import { openOfflineLoop, type OfflineLoop } from './offline-loop.js';

// The user's own GPTPolicies through the whole system: the production operator (client-node against the
// in-process API server), a real Redis queue and worker, and the real loop (offline planner/coder: no model
// configured, exactly as the operator runs without OPENAI_API_KEY). The applied JsPolicy is then run in the
// sandbox against the shared intent suites, so "Ready" is checked against what the policy actually does.

const SHARED = SHARED_INTENTS;
const USER_NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const USER_DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";
const IAM_NAME = 'no-project-iampolicies.drzzl.io';
const IAM_DESCRIPTION = 'Deny any IAMPolicy Config Connector resources that reference a Project.';

let loop: OfflineLoop;
let home: string;
let sandbox: SandboxRunner;
let offline: Generator;
let bed: Bed;
/** Which generator the worker uses: the offline one, or one configured with a model (the outage test). */
let current: Generator;

beforeAll(async () => {
  loop = await openOfflineLoop('pf-operator-');
  ({ home, sandbox, generator: offline } = loop);
});
afterAll(async () => loop.close());

beforeEach(async () => {
  current = offline;
  const generate: GenerateFn = (intent, ctx) => current.generate(intent, { onProgress: ctx.onProgress });
  bed = await createBed(generate);
});
afterEach(async () => bed.close());

async function readyPolicy(name: string): Promise<any> {
  return eventually(
    async () => {
      const o = await getGPT(bed, name);
      if (o.status?.phase === 'Failed') throw new Error(`generation failed: ${o.status.lastError}`);
      return o.status?.phase === 'Ready' ? o : undefined;
    },
    `${name} Ready`,
    90_000,
  );
}

async function sharedSuitePasses(
  policy: JsPolicy,
  suite: string,
): Promise<{ passed: boolean; total: number; failures: string[] }> {
  const result = await sandbox.runSuite(policy, await loadSuite(join(SHARED, suite)));
  return {
    passed: result.passed,
    total: result.total,
    failures: result.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`),
  };
}

describe.skipIf(!haveSharedIntents)("the user's GPTPolicies through the operator and the real loop", () => {
  it("turns the user's GPTPolicy into a JsPolicy scoped to namespace test, failurePolicy Ignore, owned by it, Ready with its cases passed", async () => {
    await bed.startOperator();
    const created = await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(USER_NAME, { description: USER_DESCRIPTION }),
    });
    const obj = await readyPolicy(USER_NAME);
    const policy = await getJsPolicy(bed, USER_NAME);

    expect(policy.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'gpt.drzzl.io/v1',
        kind: 'GPTPolicy',
        name: USER_NAME,
        uid: created.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(policy.spec.failurePolicy).toBe('Ignore');
    expect(policy.spec.resources).toContain('pods');
    const selector = JSON.stringify(policy.spec.namespaceSelector);
    expect(selector).toContain('kubernetes.io/metadata.name');
    expect(selector).toContain('"test"');

    expect(obj.status.cases.passed).toBeGreaterThan(0);
    expect(obj.status.cases.failed).toBe(0);
    expect(obj.status.source).toBe('offline');
    expect(obj.status.tokens.total).toBe(0); // offline: no model, no tokens
    // issue 11: what the policy does, in our words from its cases, and that no model judged the reading
    expect(obj.status.restatement).toMatch(/^Denies CREATE\/UPDATE of Pods .*in namespace test whose label env="prod"/);
    expect(obj.status.restatement).toMatch(/^judged: no/m);
    expect(obj.status.judged).toBe(false);
    expect(policy.metadata.annotations?.['policyforge.dev/restatement']).toMatch(/^Denies CREATE\/UPDATE of Pods/);
    expect(condition(obj, 'Verified')).toMatchObject({ status: 'True', reason: 'CasesPassed' });
    expect(condition(obj, 'Ready')).toMatchObject({ status: 'True' });

    const suite = await sharedSuitePasses(policy, 'no-prod-pods-in-test.yaml');
    expect(suite.failures).toEqual([]);
    expect(suite.total).toBeGreaterThan(3);
  });

  it('gives the IAMPolicy GPTPolicy the Config Connector group iam.cnrm.cloud.google.com', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(IAM_NAME, { description: IAM_DESCRIPTION }) });
    await readyPolicy(IAM_NAME);
    const policy = await getJsPolicy(bed, IAM_NAME);
    expect(policy.spec.apiGroups).toEqual(['iam.cnrm.cloud.google.com']);
    expect(policy.spec.resources.map((r: string) => r.toLowerCase())).toContain('iampolicies');
    expect(policy.spec.failurePolicy).toBe('Ignore');
    const suite = await sharedSuitePasses(policy, 'iampolicy-no-project.yaml');
    expect(suite.failures).toEqual([]);
  });

  it('regenerates on a description change, makes no model call after a restart, and deletion removes the JsPolicy', async () => {
    const first = await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(USER_NAME, { description: USER_DESCRIPTION }) });
    await readyPolicy(USER_NAME);

    const staging = "Deny pods with the label 'env=prod' in the 'staging' namespace.";
    await editGPT(bed, USER_NAME, (o) => ({ ...o, spec: { description: staging } }));
    await eventually(
      async () => {
        const o = await getGPT(bed, USER_NAME);
        return o.status?.phase === 'Ready' && o.status.observedGeneration === 2;
      },
      'regenerated',
      90_000,
    );
    const updated = await getJsPolicy(bed, USER_NAME);
    expect(JSON.stringify(updated.spec.namespaceSelector)).toContain('"staging"');
    expect(JSON.stringify(updated.spec.namespaceSelector)).not.toContain('"test"');
    expect(bed.generated.map((i) => i.text)).toEqual([USER_DESCRIPTION, staging]);

    await first.stop();
    const second = await bed.startOperator();
    await eventually(async () => second.controller.stats.reconciles >= 1, 'the restarted operator to reconcile');
    await second.controller.idle();
    expect(bed.generated).toHaveLength(2);
    expect(second.controller.stats.enqueued + second.controller.stats.deduplicated).toBe(0);

    await bed.api.deleteClusterCustomObject({ ...GPT, name: USER_NAME });
    await eventually(
      async () => (await getJsPolicy(bed, USER_NAME)) === undefined,
      'the JsPolicy to go with its owner',
    );
  });

  describe('with a model configured whose provider is down', () => {
    let provider: ScriptedOpenAIServer;
    let withModel: Generator;
    beforeEach(async () => {
      provider = await startScriptedOpenAIServer({
        fallback: { status: 503, body: { error: { message: 'The server is overloaded', type: 'server_error' } } },
      });
      const model = loadModelConfig({
        OPENAI_BASE_URL: provider.baseURL,
        OPENAI_API_KEY: 'sk-test-operator-key-123456',
        POLICYFORGE_MODEL_MAX_RETRIES: '0',
        POLICYFORGE_MODEL_TIMEOUT_MS: '5000',
      });
      withModel = await createGenerator({ store: join(home, 'skills.sqlite'), sandbox, model: model ?? null });
    });
    afterEach(async () => {
      await withModel.close();
      await provider.close();
    });

    it('leaves the working JsPolicy untouched and explains the outage in the status, without leaking the key', async () => {
      await bed.startOperator();
      await bed.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy(USER_NAME, { description: USER_DESCRIPTION }),
      });
      await readyPolicy(USER_NAME);
      const before = await getJsPolicy(bed, USER_NAME);

      current = withModel; // the operator's workers now use the model, whose provider answers 503
      await editGPT(bed, USER_NAME, (o) => ({
        ...o,
        spec: { description: "Deny pods with the label 'env=prod' in the 'uat' namespace." },
      }));
      const degraded = await eventually(
        async () => {
          const o = await getGPT(bed, USER_NAME);
          return o.status?.phase === 'Degraded' ? o : undefined;
        },
        'Degraded',
        90_000,
      );

      expect(provider.chatRequests().length).toBeGreaterThan(0); // the real client did call the provider
      expect(await getJsPolicy(bed, USER_NAME)).toEqual(before);
      expect(condition(degraded, 'Generated')).toMatchObject({ status: 'False', reason: 'ModelUnavailable' });
      expect(condition(degraded, 'Ready')).toMatchObject({ status: 'True', reason: 'PreviousPolicyKept' });
      expect(degraded.status.lastError).toMatch(/unavailable|503|overloaded/i);
      expect(JSON.stringify(degraded.status)).not.toContain('sk-test-operator-key-123456');
    });
  });
});
