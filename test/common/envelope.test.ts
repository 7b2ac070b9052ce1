import { describe, expect, it } from 'vitest';
import { canonicalJson, ownJsPolicy, ownerPolicyName } from '../../common/index.js';
import type { JsPolicySpec, OwnerReference } from '../../common/index.js';

// common/envelope.ts: the one JsPolicy envelope the loop verifies and the operator applies (issue 16).

const owner: OwnerReference = { apiVersion: 'gpt.drzzl.io/v1', kind: 'GPTPolicy', name: 'no-nodeports', uid: 'u-1' };
const spec: JsPolicySpec = {
  operations: ['CREATE'],
  resources: ['services'],
  failurePolicy: 'Fail',
  violationPolicy: 'Warn',
  dependencies: { lodash: '^4' },
  javascript: 'allow();',
};

describe('ownJsPolicy', () => {
  it('names, labels and owns the policy from the owner; the model proposes only the spec', () => {
    const p = ownJsPolicy(spec, owner, { name: 'ignored.policyforge.dev' });
    expect(p.metadata).toEqual({
      name: 'no-nodeports.gpt.drzzl.io',
      labels: { 'app.kubernetes.io/managed-by': 'policyforge', 'gpt.drzzl.io/owner': 'no-nodeports' },
      ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
    });
    // failurePolicy Fail only when the owner asks; no npm dependencies; violationPolicy kept unless given
    const { dependencies, ...rest } = spec;
    expect(dependencies).toBeDefined();
    expect(p.spec).toEqual({ ...rest, failurePolicy: 'Ignore' });
    const asked = ownJsPolicy(spec, owner, { failurePolicy: 'Fail', violationPolicy: 'Dry' });
    expect(asked.spec).toMatchObject({ failurePolicy: 'Fail', violationPolicy: 'Dry' });
  });

  it('changes nothing when it wraps its own result again with the same owner (as the operator does)', () => {
    const annotations = { 'policyforge.dev/restatement': 'Denies …' };
    const once = ownJsPolicy(spec, owner, { annotations, failurePolicy: 'Fail' });
    const twice = ownJsPolicy(once.spec, owner, { annotations: once.metadata.annotations, failurePolicy: 'Fail' });
    expect(canonicalJson(twice)).toBe(canonicalJson(once));
  });

  it('keeps an owner name that is already a JsPolicy name, and bounds long ones', () => {
    expect(ownerPolicyName({ ...owner, name: 'no-prod-pods.drzzl.io' })).toBe('no-prod-pods.drzzl.io');
    const long = ownerPolicyName({ ...owner, name: `${'a'.repeat(250)}` });
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^[0-9a-f]{16}\.policyforge\.dev$/);
    expect(ownJsPolicy(spec, undefined, { name: 'deny-nodeports.policyforge.dev' }).metadata).toEqual({
      name: 'deny-nodeports.policyforge.dev',
      labels: { 'app.kubernetes.io/managed-by': 'policyforge' },
    });
  });
});
