import { RESTATEMENT_ANNOTATION } from '../../agents/index.js';
import { MODE_TO_VIOLATION_POLICY, type JsPolicy, type OwnerReference } from '../../common/index.js';
import { ANNOTATIONS, GPTPOLICY, JSPOLICY, LABELS, type GPTPolicy } from './types.js';

/**
 * The JsPolicy's name: the GPTPolicy's own name when it is already a valid JsPolicy name (a DNS subdomain
 * with at least three parts, as the users' names are), else `<name>.gpt.drzzl.io`.
 */
export function policyNameFor(owner: GPTPolicy): string {
  const name = owner.metadata.name;
  return name.split('.').length >= 3 ? name : `${name}.gpt.drzzl.io`;
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

export function isOwnedBy(policy: { metadata?: { ownerReferences?: OwnerReference[] } } | undefined, owner: GPTPolicy): boolean {
  return !!policy?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid);
}

/** Manual approval holds the policy at violationPolicy Dry until the annotation (or approval: Auto) says go. */
export function isApproved(owner: GPTPolicy): boolean {
  return (owner.spec.approval ?? 'Auto') === 'Auto' || owner.metadata.annotations?.[ANNOTATIONS.approved] === 'true';
}

export function intendedViolationPolicy(owner: GPTPolicy): 'Deny' | 'Warn' | 'Dry' {
  return MODE_TO_VIOLATION_POLICY[owner.spec.mode ?? 'Enforce'];
}

/**
 * The JsPolicy to apply for a generated one. Only the spec comes from generation; kind, apiVersion, name,
 * labels, annotations and ownerReferences are ours. failurePolicy is Ignore unless the GPTPolicy explicitly
 * asks for Fail, whatever the generator produced (the user's cluster went down once over this).
 */
export function ownedPolicy(owner: GPTPolicy, generated: JsPolicy, specHash: string): JsPolicy {
  const approved = isApproved(owner);
  const intended = intendedViolationPolicy(owner);
  return {
    apiVersion: `${JSPOLICY.group}/${JSPOLICY.version}`,
    kind: JSPOLICY.kind,
    metadata: {
      name: policyNameFor(owner),
      labels: { [LABELS.managedBy]: 'policyforge', [LABELS.owner]: owner.metadata.name.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '') },
      annotations: {
        [ANNOTATIONS.specHash]: specHash,
        [ANNOTATIONS.intendedViolationPolicy]: intended,
        // What the policy does, as our code rendered it from the verified plan (issue 11): kept for kubectl readers.
        ...(generated.metadata.annotations?.[RESTATEMENT_ANNOTATION] ? { [RESTATEMENT_ANNOTATION]: generated.metadata.annotations[RESTATEMENT_ANNOTATION] } : {}),
      },
      ownerReferences: [ownerReferenceFor(owner)],
    },
    spec: {
      ...generated.spec,
      failurePolicy: owner.spec.failurePolicy ?? 'Ignore',
      violationPolicy: approved ? intended : 'Dry',
    },
  };
}
