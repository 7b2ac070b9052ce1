import {
  MODE_TO_VIOLATION_POLICY,
  ownJsPolicy,
  PolicyforgeError,
  type GenerationResult,
  type Intent,
  type JsPolicy,
  type RoundRecord,
} from '../../common/index.js';
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
  /**
   * The loop's dry-run (GenerateDeps.dryRun), when the test gives one: each verified draft is dry-run in the
   * envelope the loop uses, and a refusal is the next round's feedback in the same job (the fix drops
   * `draftOverrides`), as the real loop does. Two rounds at most.
   */
  dryRun?: (policy: JsPolicy) => Promise<string[]>;
  /** The dry-run refusals each generation met, one list per round (tests check the feedback went in). */
  dryRunErrors: string[][];
}

export function scriptedGenerator(): ScriptedGenerator {
  const state: ScriptedGenerator = {
    mode: 'ok',
    draftOverrides: {},
    calls: [],
    dryRunErrors: [],
    generate: async (intent) => {
      state.calls.push(intent);
      await state.gate;
      if (state.mode === 'outage')
        throw new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', ['503 Service Unavailable from the provider']);
      const namespaces =
        intent.options?.namespaces ?? [...intent.text.matchAll(/'([a-z0-9-]+)' namespace/g)].map((m) => m[1]);
      const draftFor = (fixed: boolean): JsPolicy => ({
        apiVersion: 'policy.jspolicy.com/v1beta1',
        kind: 'JsPolicy',
        metadata: { name: 'draft.policyforge.dev' },
        spec: {
          type: 'Validating',
          operations: ['CREATE', 'UPDATE'],
          resources: ['pods'],
          // a careless draft: the operator must override this to Ignore unless the GPTPolicy asks for Fail
          failurePolicy: 'Fail',
          ...(namespaces.length
            ? {
                namespaceSelector: {
                  matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
                },
              }
            : {}),
          javascript: `// ${intent.text}\nif (request.object?.metadata?.labels?.env === 'prod') deny(${JSON.stringify(intent.text)});`,
          ...(fixed ? {} : state.draftOverrides),
        },
      });
      const fixedByFeedback = (intent.feedback ?? []).length > 0;
      let policy = draftFor(fixedByFeedback);
      const refusals: RoundRecord[] = [];
      let lastRefusal: string[] = [];
      if (state.dryRun && state.mode === 'ok') {
        // as the loop does: the verified draft in the envelope, mode applied, dry-run; refused → one more round
        const wrap = (p: JsPolicy): JsPolicy =>
          ownJsPolicy(p.spec, intent.owner, {
            failurePolicy: intent.options?.failurePolicy,
            violationPolicy: MODE_TO_VIOLATION_POLICY[intent.options?.mode ?? 'Enforce'],
          });
        const errors = await state.dryRun(wrap(policy));
        state.dryRunErrors.push(errors);
        if (errors.length) {
          refusals.push(refusedRound(policy, errors));
          policy = draftFor(true);
          lastRefusal = await state.dryRun(wrap(policy));
          state.dryRunErrors.push(lastRefusal);
        }
      }
      const verified = state.mode === 'ok' && lastRefusal.length === 0;
      const usage = { promptTokens: 1200, completionTokens: 300, totalTokens: 1500, calls: 2 };
      const result: GenerationResult = {
        status: verified ? 'succeeded' : 'failed',
        reason: verified ? `verified in ${refusals.length + 1} round(s)` : '2 cases still fail after 4 rounds',
        intent,
        policy,
        safeToApply: verified,
        rounds: [
          ...refusals,
          {
            round: refusals.length + 1,
            draft: policy,
            report: {
              passed: verified,
              findings: verified
                ? [{ rule: 'safety/advice', severity: 'advisory', message: 'm', fix: 'f' }]
                : [{ rule: 'code/fails-case', severity: 'blocking', message: 'm', fix: 'f' }],
              suite: { passed: verified, total: 4, failed: verified ? 0 : 2, cases: [], durationMs: 1 },
              fuzz: [],
              dryRunErrors: lastRefusal,
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

/** A round the API server refused in its dry-run: blocking `cluster/dry-run` findings, as the loop records it. */
function refusedRound(draft: JsPolicy, errors: string[]): RoundRecord {
  return {
    round: 1,
    draft,
    report: {
      passed: false,
      findings: errors.map((e) => ({
        rule: 'cluster/dry-run',
        severity: 'blocking' as const,
        message: `the API server rejects the policy: ${e}`,
        fix: 'correct the field the API server names',
      })),
      suite: { passed: true, total: 4, failed: 0, cases: [], durationMs: 1 },
      fuzz: [],
      dryRunErrors: errors,
    },
    promptChars: { system: 10, human: 10 },
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0 },
    durationMs: 5,
  };
}
