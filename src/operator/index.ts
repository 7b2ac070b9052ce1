/**
 * src/operator: the GPTPolicy controller (gpt.drzzl.io/v1). Watches GPTPolicies, enqueues generation jobs
 * on worker/'s queue (JobTracker), dry-runs and applies the owned JsPolicy (JsPolicyApplier), reports in the
 * status subresource, and elects a leader on a Lease; work is serialised per object (ReconcileQueue).
 * Manifests: deploy/. Guide: docs/operator.md.
 */
export { startOperator, type OperatorOptions, type RunningOperator } from './operator.js';
export { GPTPolicyController, type ControllerOptions, type OperatorQueue } from './controller.js';
export { ReconcileQueue, type ReconcileQueueOptions, type PushOptions } from './reconcile-queue.js';
export { JobTracker, type JobTrackerOptions, type TrackedJob } from './job-tracker.js';
export { JsPolicyApplier, clusterDryRun, type ApplyOutcome, type ApplyVerb } from './applier.js';
export { KubeClient, preflight, type KubeClientOptions } from './kube-client.js';
export { LeaderElector, microTime, type LeaderElectionOptions } from './leader-election.js';
export { withRetry, isRetryable, kubeErrorInfo, type RetryOptions, type KubeErrorInfo } from './retry.js';
export { specHash, jobIdFor, jobIdParts, intentFor, validateGPTPolicy } from './spec.js';
export { setConditions, resultSummary, conditionOf, type ConditionUpdate } from './status.js';
export {
  ownedPolicy,
  jsPolicyNameOf,
  isApproved,
  isExplicitlyApproved,
  isOwnedBy,
  intendedViolationPolicy,
  ownerReferenceFor,
} from './owned-policy.js';
export { decide } from './decide.js';
export { observeRollout, rolloutFrom, countViolations, parseDuration } from './rollout.js';
export type { ObserveInput, PolicyViolation, RolloutCommand, RolloutDecision, RolloutTransition } from './rollout.js';
export * from './types.js';
