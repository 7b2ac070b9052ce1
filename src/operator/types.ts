import type { APPROVALS, GPTPolicySpec, KubeObject, MODES } from '../../common/index.js';
import type { ImpactStatus } from '../impact/index.js';

/** The GPTPolicy resource (gpt.drzzl.io/v1, cluster-scoped); schema in deploy/crd-gptpolicy.yaml. */
export const GPTPOLICY = { group: 'gpt.drzzl.io', version: 'v1', plural: 'gptpolicies', kind: 'GPTPolicy' } as const;
export const JSPOLICY = {
  group: 'policy.jspolicy.com',
  version: 'v1beta1',
  plural: 'jspolicies',
  kind: 'JsPolicy',
} as const;
/** jsPolicy's record of a policy's violations (one per JsPolicy, same name, owned by it). */
export const JSPOLICY_VIOLATIONS = {
  group: 'policy.jspolicy.com',
  version: 'v1beta1',
  plural: 'jspolicyviolations',
  kind: 'JsPolicyViolations',
} as const;

export const ANNOTATIONS = {
  /** `"true"` approves a GPTPolicy with `spec.approval: Manual`: its JsPolicy then enforces. */
  approved: 'gpt.drzzl.io/approved',
  /** Written by the earlier operator; read once to adopt its JsPolicy without regenerating. */
  legacyLastAppliedDescription: 'gpt.drzzl.io/last-applied-description',
  /**
   * A person's command to a staged rollout: `promote` (one stage on, now; removed once done), `resume` (a
   * fresh window in the current stage after a hold; removed once done), `hold` (stay; remove it to resume).
   */
  rollout: 'gpt.drzzl.io/rollout',
} as const;

// The spec's vocabulary is common/schemas.ts's (GPTPolicySpecSchema, which validateGPTPolicy parses with).
export { APPROVALS, MODES, type GPTPolicySpec, type GPTPolicyRolloutSpec } from '../../common/index.js';
export type Mode = (typeof MODES)[number];
export type Approval = (typeof APPROVALS)[number];

export type RolloutStage = 'Dry' | 'Warn' | 'Deny';

/** status.rollout: where a staged rollout stands and why. */
export interface RolloutStatus {
  /** The generation job whose draft this rollout carries (a re-apply of the same draft keeps its rollout). */
  jobId?: string;
  stage: RolloutStage;
  /** The mode's violationPolicy: where the rollout ends. */
  target: RolloutStage;
  stageStartedAt: string;
  windowEndsAt: string;
  window: string;
  budget: number;
  /** Violations jsPolicy recorded in this stage's window (at most what its log keeps). */
  violations: number;
  state: 'Observing' | 'Held' | 'AwaitingApproval' | 'Complete';
  /** Observing, BudgetExceeded, ViolationLogFull, ManualHold, AwaitingApproval, RolloutComplete. */
  reason: string;
  message: string;
}

/** status.impact: what the draft would do to the objects that exist (src/impact), or why that is unknown. */
export interface GPTPolicyImpact extends Partial<ImpactStatus> {
  /** The generation job whose draft was assessed. */
  jobId?: string;
  /** Set when the assessment failed (RBAC, sandbox): then nothing is known. */
  error?: string;
}

export const PHASES = {
  Pending: 'Pending',
  Generating: 'Generating',
  Ready: 'Ready',
  AwaitingApproval: 'AwaitingApproval',
  /** Generation or verification failed and there is no working policy. */
  /** A staged rollout is on its way to the mode's violationPolicy. */
  RollingOut: 'RollingOut',
  Failed: 'Failed',
  /** The latest spec failed; the previously applied JsPolicy stays in force untouched. */
  Degraded: 'Degraded',
} as const;
export type Phase = (typeof PHASES)[keyof typeof PHASES];

export const CONDITION_TYPES = ['Generated', 'Verified', 'ImpactAssessed', 'Applied', 'Ready'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Reasons used in conditions; stable, CamelCase, for kubectl and alerts. */
export const REASONS = {
  Queued: 'Queued',
  Generating: 'Generating',
  Succeeded: 'Succeeded',
  GenerationFailed: 'GenerationFailed',
  ModelUnavailable: 'ModelUnavailable',
  QueueUnavailable: 'QueueUnavailable',
  CasesPassed: 'CasesPassed',
  VerificationFailed: 'VerificationFailed',
  DryRunRejected: 'DryRunRejected',
  Applied: 'Applied',
  AppliedDryRun: 'AppliedInDryRunMode',
  ApplyFailed: 'ApplyFailed',
  NotOwned: 'PolicyNotOwned',
  AwaitingApproval: 'AwaitingApproval',
  PreviousPolicyKept: 'PreviousPolicyKept',
  Migrated: 'MigratedFromAnnotation',
  Ready: 'Ready',
  NotReady: 'NotReady',
  WouldDeny: 'WouldDeny',
  NoDenials: 'NoDenials',
  ImpactUnknown: 'ImpactUnknown',
  /** Approval Auto, but the draft would deny existing objects (or that is unknown): Dry until approved. */
  ImpactHold: 'ImpactNeedsApproval',
  RollingOut: 'RollingOut',
  RolloutHeld: 'RolloutHeld',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface GPTPolicyStatus {
  phase?: Phase;
  observedGeneration?: number;
  specHash?: string;
  jobId?: string;
  policyName?: string;
  rounds?: number;
  source?: string;
  cases?: { passed: number; failed: number; summary: string };
  findings?: { blocking: number; advisory: number; rules: string[] };
  tokens?: { prompt: number; completion: number; total: number; calls: number };
  /** What the generated policy does, rendered from its plan and cases (never from the intent text): read it before trusting the policy. */
  restatement?: string;
  /** An independent model judge checked every planned verdict against the intent (false offline). */
  judged?: boolean;
  /** What the draft would do to the objects that exist, assessed before it first enforces. */
  impact?: GPTPolicyImpact;
  /** A staged rollout's stage, window, counts and why it holds. */
  rollout?: RolloutStatus;
  lastError?: string;
  conditions?: Condition[];
}

export interface GPTPolicy extends KubeObject {
  apiVersion: 'gpt.drzzl.io/v1';
  kind: 'GPTPolicy';
  metadata: NonNullable<KubeObject['metadata']> & { name: string; uid?: string };
  spec: GPTPolicySpec;
  status?: GPTPolicyStatus;
}
