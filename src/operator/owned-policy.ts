import { MODE_TO_VIOLATION_POLICY, ownJsPolicy, ownerPolicyName } from '../../common/index.js';
import type { JsPolicy, OwnerReference } from '../../common/index.js';
import { ANNOTATIONS, GPTPOLICY, type GPTPolicy } from './types.js';

/** The JsPolicy's name: common's one rule for owned policies (`<name>` or `<name>.gpt.drzzl.io`). */
export function jsPolicyNameOf(owner: GPTPolicy): string {
  return ownerPolicyName(ownerReferenceFor(owner));
}

export function ownerReferenceFor(owner: GPTPolicy): OwnerReference {
  return {
    apiVersion: `${GPTPOLICY.group}/${GPTPOLICY.version}`,
    kind: GPTPOLICY.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isOwnedBy(
  policy: { metadata?: { ownerReferences?: OwnerReference[] } } | undefined,
  owner: GPTPolicy,
): boolean {
  return !!policy?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid);
}

/**
 * Approval by a person: the annotation gpt.drzzl.io/approved is "true" (any draft) or the spec hash the
 * status shows (only the draft of that spec: a later description needs a new approval).
 */
export function isExplicitlyApproved(owner: GPTPolicy, specHash?: string): boolean {
  const value = owner.metadata.annotations?.[ANNOTATIONS.approved];
  return value === 'true' || (specHash !== undefined && value === specHash);
}

/** Manual approval holds the policy at violationPolicy Dry until the annotation (or approval: Auto) says go. */
export function isApproved(owner: GPTPolicy, specHash?: string): boolean {
  return (owner.spec.approval ?? 'Auto') === 'Auto' || isExplicitlyApproved(owner, specHash);
}

export function intendedViolationPolicy(owner: GPTPolicy): 'Deny' | 'Warn' | 'Dry' {
  return MODE_TO_VIOLATION_POLICY[owner.spec.mode ?? 'Enforce'];
}

/**
 * The JsPolicy to apply for the loop's result: the loop's policy wrapped again in common's envelope with the
 * same owner (which changes nothing the loop built) and the violationPolicy the operator decided (mode,
 * approval, impact hold, rollout stage). failurePolicy is Ignore unless the GPTPolicy explicitly asks for
 * Fail, whatever a draft said (the user's cluster went down once over this).
 */
export function ownedPolicy(owner: GPTPolicy, generated: JsPolicy, violationPolicy: 'Deny' | 'Warn' | 'Dry'): JsPolicy {
  return ownJsPolicy(generated.spec, ownerReferenceFor(owner), {
    annotations: generated.metadata.annotations,
    failurePolicy: owner.spec.failurePolicy,
    violationPolicy,
  });
}
