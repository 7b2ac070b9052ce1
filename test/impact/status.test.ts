import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsPolicy } from '../../common/index.js';
import { assessClusterImpact, impactCondition } from '../../src/impact/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

// The status.impact an operator writes before a JsPolicy first enforces (issue 14 item 4), read from the
// test API server.

let server: KubeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const policy: JsPolicy = {
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: { name: 'status-impact.test.policyforge.dev' },
  spec: {
    operations: ['CREATE', 'UPDATE'],
    resources: ['pods'],
    apiGroups: [''],
    javascript: `const l = request.object.metadata.labels || {};
      if (l.env === 'prod') deny('prod pods are not allowed here');
      if (!l.owner) warn('no owner label');`,
  },
};

describe('assessClusterImpact', () => {
  it('replays the cluster objects and returns counts, at most 10 examples (denials first) and when', async () => {
    server = await startKubeApiServer({
      types: [{ group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }],
    });
    for (let i = 0; i < 14; i++) {
      server.putObject('', 'pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `p${String(i).padStart(2, '0')}`,
          namespace: 'shop',
          labels: i < 3 ? { env: 'prod', owner: 'a' } : {},
        },
        spec: {},
      });
    }
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    const status = await assessClusterImpact(kc, policy, { now: () => new Date('2026-12-01T06:00:00.123Z') });
    expect(status).toMatchObject({ checked: 14, wouldDeny: 3, wouldWarn: 11, when: '2026-12-01T06:00:00Z' });
    expect(status.examples).toHaveLength(10);
    expect(status.examples.slice(0, 4)).toEqual([
      { object: 'Pod shop/p00', verdict: 'deny', reason: '403 prod pods are not allowed here' },
      { object: 'Pod shop/p01', verdict: 'deny', reason: '403 prod pods are not allowed here' },
      { object: 'Pod shop/p02', verdict: 'deny', reason: '403 prod pods are not allowed here' },
      { object: 'Pod shop/p03', verdict: 'warn', reason: 'no owner label' },
    ]);
    expect(impactCondition(status)).toEqual({
      type: 'ImpactAssessed',
      status: 'True',
      reason: 'WouldDeny',
      message: 'would deny 3 of 14 existing object(s), e.g. Pod shop/p00: 403 prod pods are not allowed here',
    });
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
  });
});
