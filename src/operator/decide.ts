import { intendedViolationPolicy, isApproved, isExplicitlyApproved } from './owned-policy.js';
import { STAGES } from './rollout.js';
import type { Hold } from './status.js';
import { PHASES, REASONS } from './types.js';
import type { GPTPolicy, GPTPolicyImpact, RolloutStage, RolloutStatus } from './types.js';

/** The hold of approval: Manual, not yet approved by the annotation. */
export function approvalHold(): Hold {
  return {
    phase: PHASES.AwaitingApproval,
    reason: REASONS.AwaitingApproval,
    message: 'approve with: kubectl annotate gptpolicy <name> gpt.drzzl.io/approved=true',
    appliedReason: REASONS.AppliedDryRun,
    appliedMessage: 'until approved (annotation gpt.drzzl.io/approved: "true")',
  };
}

/**
 * The violationPolicy to apply and why it is not the mode's, in this order: Manual approval not given (Dry);
 * a staged rollout (its stage); approval Auto with a draft that would deny existing objects, or whose impact
 * is unknown, and no approval by a person (Dry); else the mode's.
 */
export function decide(
  policy: GPTPolicy,
  hash: string,
  impact: GPTPolicyImpact | undefined,
  rollout: RolloutStatus | undefined,
): { violationPolicy: RolloutStage; hold?: Hold } {
  const intended = intendedViolationPolicy(policy);
  if (!isApproved(policy, hash)) return { violationPolicy: 'Dry', hold: approvalHold() };
  if (rollout) {
    const stage = STAGES.indexOf(rollout.stage) <= STAGES.indexOf(intended) ? rollout.stage : intended;
    if (rollout.state === 'Complete' && stage === intended) return { violationPolicy: stage };
    const held = rollout.state === 'Held' || rollout.state === 'AwaitingApproval';
    const reason = held ? REASONS.RolloutHeld : REASONS.RollingOut;
    const appliedMessage = `(rollout stage ${stage} of ${intended})`;
    const hold: Hold = { phase: PHASES.RollingOut, reason, message: rollout.message, appliedMessage };
    return { violationPolicy: stage, hold };
  }
  const wouldDeny = impact && (impact.error !== undefined || (impact.wouldDeny ?? 0) > 0);
  if (!wouldDeny || intended === 'Dry' || isExplicitlyApproved(policy, hash)) return { violationPolicy: intended };
  const example = impact.examples?.[0];
  const what =
    impact.error !== undefined
      ? `its impact on existing objects is unknown (${impact.error})`
      : `it would deny ${impact.wouldDeny} of ${impact.checked} existing object(s), ` +
        `e.g. ${example?.object ?? '?'}: ${example?.reason ?? ''}`;
  const approve = `kubectl annotate gptpolicy ${policy.metadata.name} gpt.drzzl.io/approved=${hash} --overwrite`;
  return {
    violationPolicy: 'Dry',
    hold: {
      phase: PHASES.AwaitingApproval,
      reason: REASONS.ImpactHold,
      message: `kept in Dry because ${what}; after reading status.impact, approve this draft with: ${approve}`,
      appliedReason: REASONS.AppliedDryRun,
      appliedMessage: 'until a person approves it (it would deny existing objects)',
    },
  };
}
