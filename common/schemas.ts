import { z } from 'zod';
import {
  OPERATIONS,
  POLICY_TYPES,
  VIOLATION_POLICIES,
  type Fixtures,
  type Intent,
  type IntentOptions,
  type JsPolicySpec,
  type KubeObject,
  type LabelSelector,
  type OwnerReference,
  type TestCase,
} from './contracts.js';
import { PolicyforgeError } from './errors.js';

/**
 * The domain's vocabulary as zod schemas: the one definition of what an Intent, a TestCase, a JsPolicy spec
 * and a GPTPolicy spec may hold, with their limits. Every process edge (the HTTP body, a queue job in the
 * worker, CLI flags, a GPTPolicy from the cluster, a suite file, a model's answer) parses with these once;
 * code past the edge trusts the type. The types in contracts.ts are checked against these schemas at compile
 * time (the `Same*` assertions at the end), so a field added to one and not the other does not compile.
 */

/** Bounds of an intent, wherever it comes from (HTTP, queue, CLI, GPTPolicy). */
export const INTENT_LIMITS = {
  /** Characters of intent text. */
  maxTextChars: 4000,
  /** User examples per intent. */
  maxExamples: 50,
  /** Coder/verify rounds one intent may ask for. */
  maxRounds: 20,
  maxNamespaces: 100,
  /** Feedback lines (the API server's dry-run rejections) carried into a new attempt. */
  maxFeedback: 20,
} as const;

export const EXPECTATIONS = ['allow', 'deny', 'warn', 'mutate'] as const;
export const MODES = ['Enforce', 'Warn', 'Audit'] as const;
export const APPROVALS = ['Auto', 'Manual'] as const;
export const ROLLOUT_STRATEGIES = ['Immediate', 'Staged'] as const;

// ---------------------------------------------------------------------------------------------------------
// Messages: each names what is expected, and what was given when that helps.

/** `a, b or c` */
function alternatives(values: readonly string[]): string {
  return values.length < 2 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function given(input: unknown): string {
  return typeof input === 'string' ? `"${input}"` : typeof input === 'object' ? typeof input : String(input);
}

/** `is required` when missing, else `must be <what>`. */
const expected =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${what}`;

/** One of a fixed list, named in the message with what was given. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be ${alternatives(values)}, not ${given(issue.input)}`,
  });
}

const text = (what = 'a string') => z.string({ error: expected(what) });
const bool = () => z.boolean({ error: expected('true or false') });
const stringMap = () => z.record(z.string(), text(), { error: expected('a map of strings') });
const list = <T extends z.ZodType>(item: T, what = 'a list') => z.array(item, { error: expected(what) });

/** A DNS-1123 label, as Kubernetes names namespaces. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const namespaceName = text('a namespace name').refine((n) => n.length <= 63 && NAMESPACE_NAME.test(n), {
  error: (issue) => `${given(issue.input)} is not a namespace name (lowercase letters, digits and '-', at most 63)`,
});

// ---------------------------------------------------------------------------------------------------------
// Kubernetes shapes

export const OwnerReferenceSchema = z.strictObject({
  apiVersion: text().min(1, 'must not be empty'),
  kind: text().min(1, 'must not be empty'),
  name: text().min(1, 'must not be empty'),
  uid: text().min(1, 'must not be empty'),
  controller: bool().optional(),
  blockOwnerDeletion: bool().optional(),
});

/** A whole Kubernetes object as a case carries it: apiVersion, kind and metadata; everything else as given. */
export const KubeObjectSchema: z.ZodType<KubeObject> = z.looseObject(
  {
    apiVersion: text().min(1, 'must not be empty'),
    kind: text().min(1, 'must not be empty'),
    metadata: z.looseObject(
      {
        name: text().optional(),
        generateName: text().optional(),
        namespace: text().optional(),
        labels: stringMap().optional(),
        annotations: stringMap().optional(),
      },
      { error: expected('a mapping (the object’s metadata)') },
    ),
  },
  { error: expected('a Kubernetes object (apiVersion, kind, metadata, …)') },
);

/** An object the sandbox's get/list answer with: it must have a name. */
const fixtureObject: z.ZodType<KubeObject> = z.looseObject({
  apiVersion: text().min(1, 'must not be empty'),
  kind: text().min(1, 'must not be empty'),
  metadata: z.looseObject({
    name: text().min(1, 'must not be empty'),
    namespace: text().optional(),
    labels: stringMap().optional(),
  }),
});

export const FixturesSchema = z.strictObject({
  objects: list(fixtureObject).optional(),
  env: stringMap().optional(),
  fetch: z
    .record(
      z.string(),
      z.strictObject({
        status: z.number().int().min(100).max(599).optional(),
        headers: stringMap().optional(),
        body: text().optional(),
      }),
    )
    .optional(),
  files: stringMap().optional(),
});

export const UserInfoSchema = z.strictObject({
  username: text().optional(),
  uid: text().optional(),
  groups: list(text()).optional(),
  extra: z.record(z.string(), list(text())).optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Test case (the public suite format, ../shared/intents/README.md)

/**
 * The fields of a case, without the rules that relate them: what a model is shown as the case's JSON schema
 * (JSON Schema cannot say "an UPDATE case needs oldObject"). Parse with TestCaseSchema.
 */
export const TestCaseFieldsSchema = z.strictObject({
  name: text().min(1, 'must not be empty'),
  operation: oneOf(OPERATIONS).optional(),
  object: KubeObjectSchema.optional(),
  oldObject: KubeObjectSchema.optional(),
  namespace: text().optional(),
  subResource: text().min(1, 'must not be empty').optional(),
  userInfo: UserInfoSchema.optional(),
  namespaceLabels: stringMap().optional(),
  expect: oneOf(EXPECTATIONS),
  message: text().optional(),
  patched: z.unknown().optional(),
  /** Sandbox fixtures: objects for get/list, env map, fetchSync answers. Extension to the shared format. */
  fixtures: FixturesSchema.optional(),
});

/** The rules between a case's fields, each reported on the field to change. */
function caseRules(c: z.output<typeof TestCaseFieldsSchema>, ctx: z.RefinementCtx): void {
  const fail = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  const op = c.operation ?? 'CREATE';
  if (op === 'DELETE') {
    if (!c.oldObject && !c.object) fail('oldObject', 'a DELETE case needs the object being deleted as oldObject');
  } else if (!c.object) fail('object', `a ${op} case needs an object`);
  if (op === 'UPDATE' && !c.oldObject) fail('oldObject', 'an UPDATE case needs the previous object as oldObject');
  if (c.patched !== undefined && c.expect !== 'mutate')
    fail('patched', 'only a case expecting mutate may give patched');
  if (c.expect === 'allow' && c.message !== undefined) fail('message', 'an allow case has no message to match');
}

/** One admission request and the outcome it must have: allow, deny (message match), warn or mutate (patched). */
export const TestCaseSchema = TestCaseFieldsSchema.superRefine(caseRules);

// ---------------------------------------------------------------------------------------------------------
// Intent

export const IntentOptionsSchema = z.strictObject({
  /** Enforce → violationPolicy Deny, Warn → Warn, Audit → Dry. */
  mode: oneOf(MODES).optional(),
  failurePolicy: oneOf(['Fail', 'Ignore']).optional(),
  maxRounds: z
    .number({ error: roundsMessage })
    .int({ error: roundsMessage })
    .min(1, { error: roundsMessage })
    .max(INTENT_LIMITS.maxRounds, { error: roundsMessage })
    .optional(),
  model: text().min(1, 'must not be empty').max(200, 'must have at most 200 characters').optional(),
  namespaces: list(namespaceName, 'a list of namespace names')
    .max(INTENT_LIMITS.maxNamespaces, `must have at most ${INTENT_LIMITS.maxNamespaces} namespaces`)
    .optional(),
  /** false: a pod-spec intent covers Pods only, not pod controllers' templates. */
  podControllers: bool().optional(),
  /** Explicit approval for a Controller policy that deletes (never implied by an approval mode). */
  allowDeletes: bool().optional(),
});

function roundsMessage(issue: { input?: unknown }): string {
  return issue.input === undefined
    ? 'is required'
    : `must be a whole number in 1..${INTENT_LIMITS.maxRounds}, got ${String(issue.input)}`;
}

export const IntentSchema = z.strictObject({
  text: text()
    .max(INTENT_LIMITS.maxTextChars, `must have at most ${INTENT_LIMITS.maxTextChars} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty'),
  owner: OwnerReferenceSchema.optional(),
  /** Ground truth from the user: cases in the suite format. */
  examples: list(TestCaseSchema, 'a list of test cases')
    .max(INTENT_LIMITS.maxExamples, `must have at most ${INTENT_LIMITS.maxExamples} examples`)
    .optional(),
  options: IntentOptionsSchema.optional(),
  /** Errors from a previous attempt the next one must fix (the operator's server-side dry-run rejections). */
  feedback: list(text().max(INTENT_LIMITS.maxTextChars, `must have at most ${INTENT_LIMITS.maxTextChars} characters`))
    .max(INTENT_LIMITS.maxFeedback, `must have at most ${INTENT_LIMITS.maxFeedback} lines`)
    .optional(),
});

// ---------------------------------------------------------------------------------------------------------
// JsPolicy spec (policy.jspolicy.com/v1beta1), as jsPolicy's webhook accepts it

export const LabelSelectorSchema: z.ZodType<LabelSelector> = z.strictObject({
  matchLabels: stringMap().optional(),
  matchExpressions: list(
    z.strictObject({
      key: text().min(1, 'must not be empty'),
      operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist']),
      values: list(text()).optional(),
    }),
  ).optional(),
});

const operationOrAll = text().refine((o) => o === '*' || (OPERATIONS as readonly string[]).includes(o), {
  error: (issue) => `must be ${alternatives([...OPERATIONS, '*'])}, not ${given(issue.input)}`,
});

export const JsPolicySpecSchema = z.strictObject({
  type: oneOf(POLICY_TYPES).optional(),
  operations: list(operationOrAll).min(1, 'must list at least one operation'),
  resources: list(text().min(1, 'must not be empty')).min(1, 'must list at least one resource'),
  apiGroups: list(text()).optional(),
  apiVersions: list(text().min(1, 'must not be empty')).optional(),
  scope: oneOf(['Cluster', 'Namespaced', '*']).optional(),
  namespaceSelector: LabelSelectorSchema.optional(),
  objectSelector: LabelSelectorSchema.optional(),
  failurePolicy: oneOf(['Fail', 'Ignore']).optional(),
  matchPolicy: oneOf(['Exact', 'Equivalent']).optional(),
  reinvocationPolicy: oneOf(['Never', 'IfNeeded']).optional(),
  timeoutSeconds: z
    .number({ error: expected('a whole number of seconds from 1 to 30') })
    .int('must be a whole number of seconds from 1 to 30')
    .min(1, 'must be a whole number of seconds from 1 to 30')
    .max(30, 'must be a whole number of seconds from 1 to 30')
    .optional(),
  violationPolicy: oneOf(VIOLATION_POLICIES).optional(),
  auditPolicy: oneOf(['Log', 'Skip']).optional(),
  auditLogSize: z
    .number({ error: expected('a whole number from 1') })
    .int('must be a whole number from 1')
    .min(1, 'must be a whole number from 1')
    .optional(),
  dependencies: stringMap().optional(),
  javascript: text().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// GPTPolicy spec (gpt.drzzl.io/v1; deploy/crd-gptpolicy.yaml)

/**
 * A Go-style duration of hours, minutes and seconds (`90s`, `30m`, `1h30m`, `24h`), as the CRD's pattern for
 * spec.rollout.window has it; at least one part (the CRD's minLength 2). src/operator/rollout.ts reads it.
 */
export const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const isDuration = (d: string) => d.trim() !== '' && GO_DURATION.test(d.trim());

export const GPTPolicyRolloutSchema = z.strictObject(
  {
    /** Immediate: the mode's violationPolicy at once. Staged: Dry → Warn → Deny. @defaultValue 'Immediate' */
    strategy: oneOf(ROLLOUT_STRATEGIES).optional(),
    /** Observation window per stage, a Go-style duration (30m, 1h, 24h). @defaultValue '1h' */
    window: text('a duration such as 30m, 1h or 24h')
      .refine(isDuration, {
        error: (issue) => `must be a duration such as 30m, 1h or 24h, not ${given(issue.input)}`,
      })
      .optional(),
    /** Violations jsPolicy may record in a stage's window (jsPolicy keeps 39 at most). @defaultValue 0 */
    violationBudget: z
      .number({ error: expected('a whole number from 0 to 38 (jsPolicy keeps 39 at most)') })
      .int('must be a whole number from 0 to 38 (jsPolicy keeps 39 at most)')
      .min(0, 'must be a whole number from 0 to 38 (jsPolicy keeps 39 at most)')
      .max(38, 'must be a whole number from 0 to 38 (jsPolicy keeps 39 at most)')
      .optional(),
  },
  { error: expected('an object') },
);

/**
 * What a GPTPolicy asks for. Only description is required, so the objects written before the other fields
 * existed keep working. Not strict: the API server prunes fields the CRD does not know, and a cluster
 * without the CRD may hand us some; they are dropped, not refused.
 */
export const GPTPolicySpecSchema = z.object(
  {
    /** The intent in plain language (the CRD: minLength 1, maxLength as an intent's text). */
    description: text('a non-empty string')
      .max(INTENT_LIMITS.maxTextChars, `must have at most ${INTENT_LIMITS.maxTextChars} characters`)
      .refine((d) => d.trim() !== '', 'must be a non-empty string'),
    /** Enforce → violationPolicy Deny, Warn → Warn, Audit → Dry. @defaultValue 'Enforce' */
    mode: oneOf(MODES).optional(),
    /** Manual: applied in Dry until a person approves. @defaultValue 'Auto' */
    approval: oneOf(APPROVALS).optional(),
    failurePolicy: oneOf(['Fail', 'Ignore']).optional(),
    namespaces: list(namespaceName, 'a list of namespace names')
      .max(INTENT_LIMITS.maxNamespaces, `must have at most ${INTENT_LIMITS.maxNamespaces} namespaces`)
      .optional(),
    examples: list(TestCaseSchema, 'a list of test cases')
      .max(INTENT_LIMITS.maxExamples, `must have at most ${INTENT_LIMITS.maxExamples} examples`)
      .optional(),
    model: text().min(1, 'must not be empty').max(200, 'must have at most 200 characters').optional(),
    /** false: a pod-spec intent covers Pods only, not the pod templates of controllers. @defaultValue true */
    podControllers: bool().optional(),
    /** Approves a Controller policy that deletes what the description asks it to delete. @defaultValue false */
    allowDeletes: bool().optional(),
    /** How a new draft reaches the mode's violationPolicy. @defaultValue { strategy: 'Immediate' } */
    rollout: GPTPolicyRolloutSchema.optional(),
  },
  { error: expected('an object') },
);

/** A GPTPolicy's spec as the operator trusts it once GPTPolicySpecSchema has parsed it. */
export type GPTPolicySpec = z.output<typeof GPTPolicySpecSchema>;
export type GPTPolicyRolloutSpec = z.output<typeof GPTPolicyRolloutSchema>;

// ---------------------------------------------------------------------------------------------------------
// Issues, named by field

export interface SchemaIssue {
  /** Where, from the value parsed: ['options', 'maxRounds'], ['examples', 0, 'expect']. */
  path: PropertyKey[];
  message: string;
}

/**
 * The problems of a failed parse, one per field. An unknown key is reported on its own path (`options.colour:
 * is not a known field`), not on the object holding it.
 */
export function schemaIssues(error: z.ZodError): SchemaIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'is not a known field' }))
      : [{ path: [...issue.path], message: issue.message }],
  );
}

/** `root.options.maxRounds`, `root.examples[0].expect`; `root` alone for the value itself. */
export function fieldPath(path: readonly PropertyKey[], root = ''): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
    root,
  );
}

/** One line per problem, each naming its field: `intent.text: must not be empty; intent.options.x: …`. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return schemaIssues(error)
    .map((i) => `${fieldPath(i.path, root) || '(value)'}: ${i.message}`)
    .join('; ');
}

/** The intent as the loop takes it, checked with IntentSchema; PF_ERR_INTENT_INVALID names every bad field. */
export function parseIntent(value: unknown): Intent {
  const parsed = IntentSchema.safeParse(value);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    throw new PolicyforgeError('PF_ERR_INTENT_INVALID', [describeIssues(parsed.error)], {
      details: { fields: issues.map((i) => ({ path: fieldPath(i.path), message: i.message })) },
    });
  }
  return parsed.data as Intent;
}

/**
 * One case of the suite format, checked with TestCaseSchema (its fields and the rules between them): a suite
 * file's case, an API body's, a planned case. PF_ERR_SUITE_INVALID names `where` (`suite.yaml case "x"`) and
 * every bad field: `field \`expect\`: must be allow, deny, warn or mutate, not "block"`.
 */
export function parseCase(value: unknown, where: string): TestCase {
  const parsed = TestCaseSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error);
  throw new PolicyforgeError(
    'PF_ERR_SUITE_INVALID',
    [where, issues.map((i) => `field \`${fieldPath(i.path) || '(case)'}\`: ${i.message}`).join('; ')],
    { details: { fields: issues.map((i) => ({ path: fieldPath(i.path), message: i.message })) } },
  );
}

// ---------------------------------------------------------------------------------------------------------
// One definition: the contracts' types are what these schemas parse to (checked when this file compiles).

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameKeys<A, B> = Same<keyof A, keyof B>;
const assertTrue = <T extends true>(): T => true as T;

assertTrue<Same<z.output<typeof TestCaseSchema>, TestCase>>();
assertTrue<SameKeys<z.output<typeof TestCaseSchema>, TestCase>>();
assertTrue<Same<z.output<typeof FixturesSchema>, Fixtures>>();
assertTrue<Same<z.output<typeof OwnerReferenceSchema>, OwnerReference>>();
assertTrue<Same<z.output<typeof IntentOptionsSchema>, IntentOptions>>();
assertTrue<SameKeys<z.output<typeof IntentOptionsSchema>, IntentOptions>>();
assertTrue<Same<z.output<typeof IntentSchema>, Intent>>();
assertTrue<SameKeys<z.output<typeof IntentSchema>, Intent>>();
assertTrue<Same<z.output<typeof JsPolicySpecSchema>, JsPolicySpec>>();
assertTrue<SameKeys<z.output<typeof JsPolicySpecSchema>, JsPolicySpec>>();
