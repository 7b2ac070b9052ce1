import type { KubeObject, TestCase } from '../../common/index.js';

/** The GPTPolicy resource (gpt.drzzl.io/v1, cluster-scoped); schema in deploy/crd-gptpolicy.yaml. */
export const GPTPOLICY = { group: 'gpt.drzzl.io', version: 'v1', plural: 'gptpolicies', kind: 'GPTPolicy' } as const;
export const JSPOLICY = { group: 'policy.jspolicy.com', version: 'v1beta1', plural: 'jspolicies', kind: 'JsPolicy' } as const;

export const ANNOTATIONS = {
  /** `"true"` approves a GPTPolicy with `spec.approval: Manual`: its JsPolicy then enforces. */
  approved: 'gpt.drzzl.io/approved',
  /** Written by the earlier operator; read once to adopt its JsPolicy without regenerating. */
  legacyLastAppliedDescription: 'gpt.drzzl.io/last-applied-description',
  /** On the JsPolicy: the hash of the GPTPolicy spec it was generated from. */
  specHash: 'gpt.drzzl.io/spec-hash',
  /** On the JsPolicy: the violationPolicy the GPTPolicy's mode asks for (applied once approved). */
  intendedViolationPolicy: 'gpt.drzzl.io/intended-violation-policy',
} as const;

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  owner: 'gpt.drzzl.io/owner',
} as const;

export const MODES = ['Enforce', 'Warn', 'Audit'] as const;
export type Mode = (typeof MODES)[number];

export const APPROVALS = ['Auto', 'Manual'] as const;
export type Approval = (typeof APPROVALS)[number];

export interface GPTPolicySpec {
  description: string;
  /** @defaultValue 'Enforce' */
  mode?: Mode;
  /** @defaultValue 'Auto' */
  approval?: Approval;
  failurePolicy?: 'Fail' | 'Ignore';
  namespaces?: string[];
  examples?: TestCase[];
  model?: string;
  /** false: a pod-spec intent covers Pods only, not the pod templates of controllers. @defaultValue true */
  podControllers?: boolean;
  /** Approves a Controller policy that deletes what the description asks it to delete. @defaultValue false */
  allowDeletes?: boolean;
}

export const PHASES = {
  Pending: 'Pending',
  Generating: 'Generating',
  Ready: 'Ready',
  AwaitingApproval: 'AwaitingApproval',
  /** Generation or verification failed and there is no working policy. */
  Failed: 'Failed',
  /** The latest spec failed; the previously applied JsPolicy stays in force untouched. */
  Degraded: 'Degraded',
} as const;
export type Phase = (typeof PHASES)[keyof typeof PHASES];

export const CONDITION_TYPES = ['Generated', 'Verified', 'Applied', 'Ready'] as const;
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
