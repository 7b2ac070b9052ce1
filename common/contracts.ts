/**
 * The contracts between modules (see docs/architecture.md). Types only: each module owns the behaviour.
 * Keep these stable; when one must change, change every producer and consumer in the same commit.
 */

// ---------------------------------------------------------------------------------------------------------
// Kubernetes and jsPolicy shapes

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    resourceVersion?: string;
    generation?: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export const POLICY_TYPES = ['Validating', 'Mutating', 'Controller'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const VIOLATION_POLICIES = ['Deny', 'Warn', 'Dry'] as const;
export type ViolationPolicy = (typeof VIOLATION_POLICIES)[number];

/** spec of policy.jspolicy.com/v1beta1 JsPolicy, as jsPolicy's code reads it (see docs/jspolicy.md). */
export interface JsPolicySpec {
  type?: PolicyType;
  operations: string[];
  resources: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  timeoutSeconds?: number;
  violationPolicy?: ViolationPolicy;
  auditPolicy?: 'Log' | 'Skip';
  auditLogSize?: number;
  dependencies?: Record<string, string>;
  javascript?: string;
}

export interface JsPolicy {
  apiVersion: 'policy.jspolicy.com/v1beta1';
  kind: 'JsPolicy';
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  spec: JsPolicySpec;
}

// ---------------------------------------------------------------------------------------------------------
// Test cases and suites (public YAML format: docs/suite-format.md)

export type Expectation = 'allow' | 'deny' | 'warn' | 'mutate';

export interface TestCase {
  name: string;
  operation?: Operation;
  object?: KubeObject;
  oldObject?: KubeObject;
  namespace?: string;
  subResource?: string;
  userInfo?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  namespaceLabels?: Record<string, string>;
  expect: Expectation;
  message?: string;
  patched?: unknown;
  /** Sandbox fixtures: objects for get/list, env map, fetchSync answers. Extension to the shared format. */
  fixtures?: Fixtures;
}

export interface Fixtures {
  objects?: KubeObject[];
  env?: Record<string, string>;
  /** url → answer; any other URL makes fetchSync throw as a network error would. */
  fetch?: Record<string, { status?: number; headers?: Record<string, string>; body?: string }>;
  /** path → content for readFileSync. */
  files?: Record<string, string>;
}

export interface Suite {
  intent: string;
  cases: TestCase[];
  /** Where it was read from, for error messages. */
  source?: string;
}

/** What a case actually did in the sandbox. */
export interface CaseOutcome {
  /** Did the policy's match rules select the request? When false the request was admitted untouched. */
  matched: boolean;
  allowed: boolean;
  /** allow | deny | warn | mutate, computed the way the suite format defines them. */
  actual: Expectation;
  code?: number;
  reason?: string;
  message?: string;
  warnings: string[];
  /** RFC 6902 patch (Mutating, when there is a difference). */
  patch?: Array<{ op: string; path: string; value?: unknown; from?: string }>;
  patchedObject?: unknown;
  printed: string[];
  /**
   * Side effects, recorded, never performed: create/update/remove/requeue/fetchSync with their arguments,
   * env (the name read) and readFileSync (the path). verify() checks each against Plan.sideEffects.
   */
  calls: Array<{ fn: string; args: unknown[] }>;
  /** Set when the script threw or ran out of time or memory: the text jsPolicy reports (`Uncaught …`). */
  error?: string;
  errorKind?: 'throw' | 'timeout' | 'memory' | 'compile' | 'decode';
  /** On a timeout: which limit applied and what decided the request (jsPolicy: the API server's failurePolicy). */
  timeout?: TimeoutDecision;
  /** What jsPolicy would write to the policy's JsPolicyViolations (rejections and errors, also under Warn and Dry). */
  violation?: ViolationRecord;
  durationMs: number;
}

export interface TimeoutDecision {
  limitMs: number;
  /** policy: spec.timeoutSeconds; default: jsPolicy's 10 s; cap: a shorter limit of the loop, the service or --max-timeout-ms. */
  limitSource: 'policy' | 'default' | 'cap';
  failurePolicy: 'Fail' | 'Ignore';
  /**
   * failurePolicy: the API server's deadline passed first (the webhook's timeout is the VM's); sandbox-cap: only
   * the shorter cap ran out; vm-pool: all of jsPolicy's VMs stayed busy past the deadline, the script never ran.
   */
  decidedBy: 'failurePolicy' | 'sandbox-cap' | 'vm-pool';
  /** How long the request waited for a free VM before its script could start (RunOptions.vmWaitMs). */
  vmWaitMs?: number;
}

export interface ViolationRecord {
  /** The policy's violationPolicy, or Controller for Controller policies. */
  action: 'Deny' | 'Warn' | 'Dry' | 'Controller';
  code: number;
  reason: string;
  /** Longer than 256 bytes: the first 253 and "...", as jsPolicy stores it. */
  message: string;
  requestInfo: { kind: string; apiVersion: string; namespace?: string; name?: string; operation: string };
  userInfo: { username?: string; uid?: string };
}

export interface CaseResult {
  name: string;
  expected: Expectation;
  passed: boolean;
  /** Why it failed, one line, when it failed. */
  failure?: string;
  outcome: CaseOutcome;
}

export interface SuiteResult {
  passed: boolean;
  total: number;
  failed: number;
  cases: CaseResult[];
  /** Set when the javascript does not compile: jsPolicy would delete the webhook (fails open). */
  compileError?: string;
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------------------
// The loop

export interface IntentOptions {
  /** Enforce → violationPolicy Deny, Warn → Warn, Audit → Dry. */
  mode?: 'Enforce' | 'Warn' | 'Audit';
  /** The user explicitly asks for failurePolicy Fail (GPTPolicy spec.failurePolicy). */
  failurePolicy?: 'Fail' | 'Ignore';
  maxRounds?: number;
  model?: string;
  /** Namespaces the user names outside the text (GPTPolicy spec.namespaces, --namespace-hint). */
  namespaces?: string[];
  /**
   * An intent about a pod's spec also applies to every kind carrying a pod template (Deployment, StatefulSet,
   * DaemonSet, ReplicaSet, Job, CronJob, ReplicationController). @defaultValue true
   */
  podControllers?: boolean;
  /**
   * The operator or the user explicitly allows a Controller policy to delete objects (remove()). Without it
   * verify() blocks any deletion, whatever the approval mode: violationPolicy Dry does not stop a Controller's
   * side effects. @defaultValue false
   */
  allowDeletes?: boolean;
}

export interface Intent {
  text: string;
  /** The GPTPolicy (or other object) this intent comes from; the JsPolicy will be owned by it. */
  owner?: OwnerReference;
  /** Ground truth from the user: never dropped or rewritten by the planner. */
  examples?: TestCase[];
  options?: IntentOptions;
  /** Errors from a previous attempt the next one must fix (e.g. the API server's server-side dry-run rejection). */
  feedback?: string[];
}

export interface PlanTarget {
  type: PolicyType;
  resources: string[];
  apiGroups: string[];
  apiVersions: string[];
  operations: Operation[];
  scope: 'Cluster' | 'Namespaced' | '*';
  /** Namespaces the intent names; empty = cluster-wide intent (system namespaces are still excluded). */
  namespaces: string[];
  /**
   * The planner read `namespaces` from the operative statement alone (the offline reader): the list is final and
   * the critic does not fall back to the intent's whole text, whose rationale may name namespaces.
   */
  namespacesFinal?: boolean;
  /**
   * With `namespacesFinal`: the namespaces the operative statement leaves out ("… except the legacy namespace").
   * The critic then reads exclusions from here, not from the whole text, whose rationale may say "except" too.
   */
  excludedNamespaces?: string[];
}

export interface PlanStep {
  /** A function name, camelCase: the skill to write or reuse. */
  name: string;
  description: string;
  /** Name of a retrieved skill this step reuses, if any. */
  skill?: string;
}

/**
 * What jsPolicy defines for policy code (../shared/jspolicy.md, "Globals"): the request and the host functions.
 * A helper that touches one decides or reads the request itself, so it is policy logic, not a pure skill.
 */
export const JSPOLICY_HOST_NAMES = [
  'request',
  'allow',
  'exit',
  'deny',
  'mutate',
  'warn',
  'requeue',
  'print',
  'sleep',
  'env',
  'get',
  'list',
  'create',
  'update',
  'remove',
  'fetchSync',
  'readFileSync',
] as const;

/** Every global jsPolicy gives policy code: its host names plus the base64 functions of its V8 context. */
export const JSPOLICY_GLOBALS = [...JSPOLICY_HOST_NAMES, 'atob', 'btoa'] as const;

/** Host functions whose calls are side effects (or reads outside the request) a plan must declare. */
export const SIDE_EFFECT_FNS = [
  'create',
  'update',
  'remove',
  'fetchSync',
  'readFileSync',
  'env',
  'requeue',
  'get',
  'list',
] as const;
export type SideEffectFn = (typeof SIDE_EFFECT_FNS)[number];

/**
 * One thing the policy may do beyond deciding the request. get/list (read-only lookups) need no declaration;
 * everything else the sandbox records must be declared, and never touches system namespaces, webhook
 * configurations, JsPolicies, GPTPolicies, RBAC, leases or CRDs, nor deletes namespaces (critic/side-effects.ts).
 */
export interface DeclaredSideEffect {
  fn: SideEffectFn;
  /** Kinds written (create/update/remove: required), e.g. ['ConfigMap']. */
  kinds?: string[];
  /** Why the intent needs it, in the intent's words. */
  reason: string;
}

export interface Plan {
  target: PlanTarget;
  steps: PlanStep[];
  tests: TestCase[];
  /** What the policy may do beyond deciding the request. @defaultValue [] (nothing: a pure policy) */
  sideEffects?: DeclaredSideEffect[];
  /** Free-text reasoning of the planner (model mode) or the family matched (offline). */
  rationale?: string;
}

export type Severity = 'blocking' | 'advisory';

export interface Finding {
  /** Stable identifier of the rule, e.g. `catalog/wrong-group`, `safety/failure-policy-fail`. */
  rule: string;
  severity: Severity;
  /** One line: what is wrong and why it is a risk. */
  message: string;
  /** A concrete fix a model (or a person) can act on. */
  fix: string;
  /** JSON path in the JsPolicy, e.g. `spec.apiGroups[0]`. */
  path?: string;
}

export interface FuzzCrash {
  /** The case the variant was derived from, or `catalog:<kind>` for a generated object. */
  from: string;
  /** What was changed, e.g. `removed spec.resourceRef`. */
  mutation: string;
  error: string;
  /** The smallest object found that shows the crash. */
  object: unknown;
}

export interface Report {
  passed: boolean;
  findings: Finding[];
  suite?: SuiteResult;
  fuzz: FuzzCrash[];
  dryRunErrors: string[];
}

export type ReviewState = 'candidate' | 'approved' | 'rejected' | 'deprecated';

export interface Review {
  state: ReviewState;
  reviewer: string;
  comment?: string;
  at: string;
}

export interface Provenance {
  intent?: string;
  model?: string;
  round?: number;
  tokens?: number;
  date: string;
  source: 'builtin' | 'generated' | 'imported';
}

export interface Skill {
  /** Stable id: `<name>@<version>`. */
  id: string;
  name: string;
  version: number;
  description: string;
  /** One function declaration, pure, usable inside jsPolicy code. */
  code: string;
  /** Cases that exercise it: a tiny policy calling the function, or the policy cases it came from. */
  tests: SkillTest[];
  provenance: Provenance;
  state: ReviewState;
  reviews: Review[];
  usage: { retrieved: number; used: number };
  /** Names of other skills this one calls. */
  dependsOn?: string[];
}

export interface SkillTest {
  name: string;
  /** Arguments (JSON) → the expected return value (JSON), checked in the sandbox. */
  args: unknown[];
  expected: unknown;
}

/** A whole verified policy kept for its intent, so an identical intent needs no model call. */
export interface StoredPolicy {
  id: string;
  intent: string;
  /** Normalised intent text used for exact lookup. */
  key: string;
  policy: JsPolicy;
  plan: Plan;
  skills: string[];
  provenance: Provenance;
  state: ReviewState;
  /** Review history (reviewer, comment, time), as skills keep it. */
  reviews?: Review[];
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  calls: number;
}

export interface RoundRecord {
  round: number;
  draft?: JsPolicy;
  explanation?: string;
  report?: Report;
  critique?: { success: boolean; reasoning: string; critique: string };
  /** Sizes in characters of the prompts sent this round. */
  promptChars: { system: number; human: number };
  usage: TokenUsage;
  durationMs: number;
  /** The coder's output could not be used (malformed, schema-violating). */
  error?: string;
}

export interface GenerationResult {
  status: 'succeeded' | 'failed';
  /** Why it failed, or a one-line summary of success. */
  reason: string;
  intent: Intent;
  plan?: Plan;
  /** The final policy (succeeded) or the best draft (failed). */
  policy?: JsPolicy;
  /** True only when status is succeeded. A failed result is never safe to apply. */
  safeToApply: boolean;
  rounds: RoundRecord[];
  usage: TokenUsage;
  skillsUsed: string[];
  skillsAdded: string[];
  /** `library` when answered from a stored verified policy without a model call. */
  source: 'model' | 'offline' | 'library';
  durationMs: number;
  /**
   * What the policy does, rendered by our code from the plan's target and cases (agents/restate.ts), never
   * copied from the intent text, so a reviewer can spot a misreading. Always set by generatePolicy.
   */
  restatement?: Restatement;
  /** The independent judge's verdicts on the planned cases (model mode); `judged: false` offline. */
  judgement?: Judgement;
  /** What the verified policy would do to the objects given with `generate --against` (src/impact). */
  impact?: ImpactSummary;
}

/** What a policy would do to existing objects or recorded requests: the impact preview (src/impact). */
export interface ImpactSummary {
  /** Where the objects came from (paths, `-`, `cluster`). */
  sources: string[];
  /** Objects and recorded requests read and replayed. */
  checked: number;
  /** Of those, selected by the policy's match rules at least once. */
  selected: number;
  wouldDeny: number;
  wouldWarn: number;
  wouldMutate: number;
  /** Entries read but not replayable (audit events without an object, reads, …), by why. */
  skipped: Record<string, number>;
  /** Deny, warn and mutate reasons, most frequent first, a few examples each. */
  reasons: Array<{ verdict: 'deny' | 'warn' | 'mutate'; reason: string; count: number; examples: string[] }>;
  /** Caveats, e.g. namespaces whose labels were not in the source (namespaceSelector matched by name only). */
  notes: string[];
  /** Generation only: wouldDeny is above the threshold, so the draft is reported instead of passed as safe. */
  overThreshold?: boolean;
  durationMs: number;
}

/** The understanding, shown: what the policy denies, allows, warns about, mutates and never touches. */
export interface Restatement {
  /** One sentence, e.g. "Denies CREATE/UPDATE of Pods in namespace test whose label env is "prod"." */
  summary: string;
  denies: string[];
  allows: string[];
  warns: string[];
  mutates: string[];
  /** Kinds, operations and namespaces the policy does not match, system namespaces included. */
  neverTouches: string[];
  /** A judge with a fresh context checked every planned verdict against the intent (model mode only). */
  judged: boolean;
  /** summary, then one "denies: …" line per non-empty list, then the judged line: the printed form. */
  text: string;
}

export type JudgeVerdict = 'agree' | 'disagree' | 'unsure';

export interface CaseJudgement {
  /** The planned case's name. */
  case: string;
  verdict: JudgeVerdict;
  reason: string;
}

export interface Judgement {
  /** False offline (no model: the reading was not independently checked) or when no judge answer was usable. */
  judged: boolean;
  /** The last judge answer's verdicts, one per planned case it read. */
  cases: CaseJudgement[];
  /** Plans sent back to the planner because the judge or the catalog check objected. */
  replans: number;
  /** Why the reading was not judged, or what the judge objected to last. */
  note?: string;
}

export type ProgressEvent =
  | { type: 'retrieved'; skills: string[] }
  | { type: 'planned'; plan: Plan }
  | { type: 'judged'; agreed: number; disagreed: number; unsure: number; objections: string[] }
  | { type: 'round-started'; round: number }
  | { type: 'drafted'; round: number; policy?: JsPolicy; error?: string }
  | {
      type: 'verified';
      round: number;
      passed: boolean;
      casesPassed: number;
      casesTotal: number;
      blocking: number;
      advisory: number;
    }
  | { type: 'critiqued'; round: number; success: boolean; critique: string }
  | { type: 'finished'; status: GenerationResult['status']; reason: string };
