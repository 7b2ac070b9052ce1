import { createHash } from 'node:crypto';
import type { JsPolicy, JsPolicySpec, OwnerReference } from './contracts.js';

/**
 * The JsPolicy envelope, built once (issue 16): apiVersion, kind, name, labels, ownerReferences,
 * failurePolicy and violationPolicy are our code's, never the model's. The loop wraps every draft in it
 * before verifying; the operator wraps the loop's result in it again before applying. Both call this one
 * function with the same owner, so wrapping a result again changes nothing but the violationPolicy the
 * operator asks for: the policy applied is the policy verified (pinned by test/operator/envelope.test.ts).
 */

export interface EnvelopeOptions {
  /** The name when there is no owner (the loop's slug of the intent text). Ignored with an owner. */
  name?: string;
  /** Annotations carried over (the restatement, the judge's mark). */
  annotations?: Record<string, string>;
  /** Only the owner (GPTPolicy spec.failurePolicy) may ask for Fail; anything else is Ignore. */
  failurePolicy?: 'Fail' | 'Ignore';
  /** Set when given (the mode, the approval hold, the rollout stage); else the spec's own is kept. */
  violationPolicy?: 'Deny' | 'Warn' | 'Dry';
}

/** The suffix of names built without an owner whose API group could serve as one. */
export const POLICY_NAME_SUFFIX = 'policyforge.dev';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/**
 * The JsPolicy name for an owner: the owner's name when it is already a valid JsPolicy name (a DNS subdomain
 * with at least three parts), else `<name>.<owner's API group>` (`short` owned by a GPTPolicy is
 * `short.gpt.drzzl.io`, the name the operator has always used, so existing JsPolicies keep theirs).
 */
export function ownerPolicyName(owner: OwnerReference): string {
  const base =
    owner.name
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'policy';
  const name = base.split('.').length >= 3 ? base : `${base}.${ownerGroup(owner) || POLICY_NAME_SUFFIX}`;
  return name.length <= 253 ? name : `${hash(owner.uid || base).slice(0, 16)}.${POLICY_NAME_SUFFIX}`;
}

/** `<owner's group>/owner`: a label naming the owner, so `kubectl get jspolicies -l` finds a GPTPolicy's policy. */
export function ownerLabelKey(owner: OwnerReference): string {
  return `${ownerGroup(owner) || POLICY_NAME_SUFFIX}/owner`;
}

export function ownJsPolicy(
  spec: JsPolicySpec,
  owner: OwnerReference | undefined,
  options: EnvelopeOptions = {},
): JsPolicy {
  const cleanSpec: JsPolicySpec = { ...spec, failurePolicy: options.failurePolicy === 'Fail' ? 'Fail' : 'Ignore' };
  // npm dependencies are bundled by the jsPolicy pod from the registry: no model may ask for one.
  delete cleanSpec.dependencies;
  if (options.violationPolicy) cleanSpec.violationPolicy = options.violationPolicy;
  const given = options.annotations;
  const annotations = given && Object.keys(given).length ? { ...given } : undefined;
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: {
      name: owner ? ownerPolicyName(owner) : (options.name ?? `policy.${POLICY_NAME_SUFFIX}`),
      labels: {
        [MANAGED_BY_LABEL]: 'policyforge',
        // label values are at most 63 characters and end alphanumeric
        ...(owner ? { [ownerLabelKey(owner)]: owner.name.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '') } : {}),
      },
      ...(annotations ? { annotations } : {}),
      ...(owner ? { ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: cleanSpec,
  };
}

function ownerGroup(owner: OwnerReference): string {
  return owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
