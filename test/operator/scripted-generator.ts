import { PolicyforgeError, type GenerationResult, type Intent, type JsPolicy } from '../../common/index.js';
import type { GenerateFn } from '../../worker/index.js';

/**
 * A stand-in for the model behind the loop, for tests of the operator's mechanics (queueing, applying,
 * status, retries, leadership): it answers each intent with a policy that names the intent text, in the
 * GenerationResult shape the loop returns, and can be switched to fail the way the loop fails (a model
 * outage is PF_ERR_MODEL_UNAVAILABLE) or to draft what the API server rejects. What a generated policy
 * *does* is tested with the real loop in user-policies.test.ts.
 */
export interface ScriptedGenerator {
  generate: GenerateFn;
  /** 'ok' answers; 'outage' throws PF_ERR_MODEL_UNAVAILABLE; 'unverified' returns a failed result. */
  mode: 'ok' | 'outage' | 'unverified';
  /** Extra spec fields for the next drafts (e.g. a value the API server refuses). */
  draftOverrides: Partial<JsPolicy['spec']>;
  calls: Intent[];
  /** When set, every generation waits for it (a slow model): tests release it when they are ready. */
  gate?: Promise<void>;
}

export function scriptedGenerator(): ScriptedGenerator {
  const state: ScriptedGenerator = {
    mode: 'ok',
    draftOverrides: {},
    calls: [],
    generate: async (intent) => {
      state.calls.push(intent);
      await state.gate;
      if (state.mode === 'outage') throw new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', ['503 Service Unavailable from the provider']);
      const namespaces = intent.options?.namespaces ?? [...intent.text.matchAll(/'([a-z0-9-]+)' namespace/g)].map((m) => m[1]);
      const fixed = (intent.feedback ?? []).length > 0;
      const policy: JsPolicy = {
        apiVersion: 'policy.jspolicy.com/v1beta1',
        kind: 'JsPolicy',
        metadata: { name: 'draft.policyforge.dev' },
        spec: {
          type: 'Validating',
          operations: ['CREATE', 'UPDATE'],
          resources: ['pods'],
          // a careless draft: the operator must override this to Ignore unless the GPTPolicy asks for Fail
          failurePolicy: 'Fail',
          ...(namespaces.length ? { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] } } : {}),
          javascript: `// ${intent.text}\nif (request.object?.metadata?.labels?.env === 'prod') deny(${JSON.stringify(intent.text)});`,
          ...(fixed ? {} : state.draftOverrides),
        },
      };
      const verified = state.mode === 'ok';
      const usage = { promptTokens: 1200, completionTokens: 300, totalTokens: 1500, calls: 2 };
      const result: GenerationResult = {
        status: verified ? 'succeeded' : 'failed',
        reason: verified ? 'verified in 1 round' : '2 cases still fail after 4 rounds',
        intent,
        policy,
        safeToApply: verified,
        rounds: [
          {
            round: 1,
            draft: policy,
            report: {
              passed: verified,
              findings: verified ? [{ rule: 'safety/advice', severity: 'advisory', message: 'm', fix: 'f' }] : [{ rule: 'code/fails-case', severity: 'blocking', message: 'm', fix: 'f' }],
              suite: { passed: verified, total: 4, failed: verified ? 0 : 2, cases: [], durationMs: 1 },
              fuzz: [],
              dryRunErrors: [],
            },
            promptChars: { system: 10, human: 10 },
            usage,
            durationMs: 5,
          },
        ],
        usage,
        skillsUsed: [],
        skillsAdded: [],
        source: 'model',
        durationMs: 5,
      };
      return result;
    },
  };
  return state;
}
