import { z } from 'zod';
import { OPERATIONS, POLICY_TYPES, SIDE_EFFECT_FNS, TestCaseFieldsSchema } from '../common/index.js';

/**
 * The shapes the model must answer in. Each is sent as the tool's JSON schema and checked again with zod on
 * the way back: an answer that does not fit goes back to the model as an error, never into a policy.
 */

/**
 * A case as the model writes it: common's suite-format fields (the rules between them are checked by parseCase
 * when the answer comes back, since JSON Schema cannot say them). No fixtures: a model's case does not bring
 * its own cluster objects, environment or fetch answers; those are the user's sandbox extension.
 */
export const TestCaseSchema = TestCaseFieldsSchema.omit({ fixtures: true });

export const PlanTargetSchema = z.object({
  type: z.enum(POLICY_TYPES),
  resources: z.array(z.string().min(1)).min(1),
  apiGroups: z.array(z.string()).min(1),
  apiVersions: z.array(z.string()).min(1),
  operations: z.array(z.enum(OPERATIONS)).min(1),
  scope: z.enum(['Cluster', 'Namespaced', '*']),
  namespaces: z.array(z.string()),
});

/** A side effect the plan declares; critic/side-effects.ts decides whether it may be declared at all. */
export const SideEffectSchema = z.object({
  fn: z.enum(SIDE_EFFECT_FNS),
  kinds: z.array(z.string().min(1)).optional().describe('for create/update/remove: the kinds written'),
  reason: z.string().min(1).describe("the intent's words that ask for it"),
});

export const PlanSchema = z.object({
  rationale: z.string().describe('two or three sentences: what the policy must do and what it must leave alone'),
  target: PlanTargetSchema,
  sideEffects: z
    .array(SideEffectSchema)
    .max(8)
    .optional()
    .describe(
      'empty unless the intent asks the policy to create/update/delete objects, call a URL, read a file or an environment variable',
    ),
  steps: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'a camelCase function name'),
        description: z.string(),
        skill: z.string().optional(),
      }),
    )
    .max(8),
  tests: z
    .array(TestCaseSchema)
    .min(2)
    .describe('admission cases: ones that must be denied, ones that must be allowed, ones just outside the scope')
    // Generated policies tend to over-deny: a plan without an allowed case cannot show they do not.
    .refine(
      (tests) => tests.some((t) => t.expect === 'allow'),
      'include cases that must be ALLOWED (compliant objects and objects just outside the scope)',
    )
    .refine((tests) => tests.some((t) => t.expect !== 'allow'), 'include cases the policy must deny, warn or mutate'),
});
export type PlanAnswer = z.infer<typeof PlanSchema>;

const labelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** Only the fields the model may propose. No `dependencies` (npm bundling): policies stay self-contained. */
export const SpecSchema = z
  .object({
    type: z.enum(POLICY_TYPES),
    operations: z.array(z.string()).min(1),
    resources: z.array(z.string()).min(1),
    apiGroups: z.array(z.string()).optional(),
    apiVersions: z.array(z.string()).optional(),
    scope: z.enum(['Cluster', 'Namespaced', '*']).optional(),
    namespaceSelector: labelSelector.optional(),
    objectSelector: labelSelector.optional(),
    failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
    timeoutSeconds: z.number().int().min(1).max(30).optional(),
    violationPolicy: z.enum(['Deny', 'Warn', 'Dry']).optional(),
    reinvocationPolicy: z.enum(['Never', 'IfNeeded']).optional(),
    javascript: z.string().min(1),
  })
  .strict();

export const DraftSchema = z.object({
  explanation: z.string().describe('what changed since the last round and why'),
  plan: z.string().describe('the steps the code takes, briefly'),
  spec: SpecSchema,
});
export type DraftAnswer = z.infer<typeof DraftSchema>;

export const CritiqueSchema = z.object({
  reasoning: z.string(),
  success: z.boolean(),
  critique: z.string().describe('empty when success; otherwise what to change'),
  missingCases: z.array(TestCaseSchema).max(6).optional().describe('cases the plan lacks that decide the intent'),
});
export type CritiqueAnswer = z.infer<typeof CritiqueSchema>;

/** The independent judge's answer: for each planned case, does the intent demand its expected verdict? */
export const JudgementSchema = z.object({
  verdicts: z
    .array(
      z.object({
        case: z.string().min(1).describe('the case name, exactly as given'),
        verdict: z
          .enum(['agree', 'disagree', 'unsure'])
          .describe('agree: the intent demands this verdict; disagree: it demands another; unsure: it does not say'),
        reason: z.string().describe('one sentence, quoting the words of the intent that decide it'),
      }),
    )
    .describe('one entry per case, in the order given'),
});
export type JudgementAnswer = z.infer<typeof JudgementSchema>;
