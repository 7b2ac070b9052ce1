import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterEntries } from '../../src/impact/index.js';
import { reusedAgent } from '../../src/kube/index.js';
import { KubeClient } from '../../src/operator/index.js';
import { GPTPOLICY_TYPE } from '../operator/harness.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import type { JsPolicy } from '../../common/index.js';

// client-node 1.4 makes a new agent, without keep-alive, for every request: one TCP connection (and on a
// real cluster one TLS handshake) per call. These pin that the operator's and the impact preview's requests
// share connections instead, counted at the API server.

let server: KubeApiServer | undefined;
afterEach(async () => server?.close());

async function kubeConfigFor(s: KubeApiServer): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromString(s.kubeconfig());
  return kc;
}

describe('connections to the API server', () => {
  it('the operator client reuses one keep-alive connection for sequential requests', async () => {
    server = await startKubeApiServer({ types: [GPTPOLICY_TYPE] });
    const client = new KubeClient(await kubeConfigFor(server));
    for (let i = 0; i < 20; i++) await client.listGPTPolicies();
    expect(server.requests.filter((r) => r.path.includes('gptpolicies'))).toHaveLength(20);
    expect(server.connections()).toBe(1);
  });

  it('the impact preview reads its pages over shared connections', async () => {
    server = await startKubeApiServer({
      types: [{ group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }],
    });
    for (let i = 0; i < 30; i++) {
      server.putObject('', 'pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      });
    }
    const policy: JsPolicy = {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: 'deny-pods.example.com' },
      spec: { operations: ['CREATE'], resources: ['pods'], apiGroups: [''], javascript: 'allow();' },
    };
    let read = 0;
    for await (const _entry of clusterEntries(await kubeConfigFor(server), policy, { pageSize: 3 }).read()) read++;
    expect(read).toBe(30);
    const gets = server.requests.filter((r) => r.method === 'GET').length;
    expect(gets).toBeGreaterThan(10);
    expect(server.connections()).toBe(1);
  });

  it('keeps one agent per set of connection options, and leaves proxy agents alone', () => {
    const a = reusedAgent(new https.Agent({ ca: 'CA one', rejectUnauthorized: true }));
    const b = reusedAgent(new https.Agent({ ca: 'CA one', rejectUnauthorized: true }));
    const rotated = reusedAgent(new https.Agent({ ca: 'CA two', rejectUnauthorized: true }));
    const plain = reusedAgent(new http.Agent({}));
    expect(a).toBe(b);
    expect(rotated).not.toBe(a);
    expect(plain).not.toBe(a);
    expect(plain).toBeInstanceOf(http.Agent);
    expect(plain).not.toBeInstanceOf(https.Agent);
    expect((a as https.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    class ProxyAgent extends https.Agent {}
    const proxy = new ProxyAgent({});
    expect(reusedAgent(proxy)).toBe(proxy);
    expect(reusedAgent(undefined)).toBeUndefined();
  });
});
