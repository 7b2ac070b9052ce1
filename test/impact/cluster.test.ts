import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsPolicy, JsPolicySpec } from '../../common/index.js';
import { clusterEntries, previewImpact, type ImpactVerdict } from '../../src/impact/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

const POD = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
const WIDGET = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: false };

function policy(spec: Partial<JsPolicySpec>): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'cluster-impact.test.policyforge.dev' },
    spec: {
      operations: ['CREATE', 'UPDATE'],
      resources: ['pods'],
      apiGroups: [''],
      javascript: 'deny("no pods here")',
      ...spec,
    },
  };
}

let server: KubeApiServer | undefined;
let stub: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (stub) await new Promise((r) => stub!.close(r));
  stub = undefined;
});

async function clusterWithPods(): Promise<{ server: KubeApiServer; kc: KubeConfig }> {
  server = await startKubeApiServer({ types: [POD, WIDGET] });
  const ns = (name: string, labels: Record<string, string>): void =>
    void server!.putObject('', 'namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    });
  ns('shop', { team: 'payments' });
  ns('lab', { team: 'research' });
  for (const [name, namespace] of [
    ['checkout', 'shop'],
    ['cart', 'shop'],
    ['notebook', 'lab'],
  ]) {
    server.putObject('', 'pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
  }
  server.putObject('example.com', 'widgets', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  return { server, kc };
}

async function replay(
  kc: KubeConfig,
  p: JsPolicy,
  pageSize?: number,
): Promise<{ verdicts: ImpactVerdict[]; summary: Awaited<ReturnType<typeof previewImpact>> }> {
  const verdicts: ImpactVerdict[] = [];
  const summary = await previewImpact(p, {
    entries: clusterEntries(kc, p, { pageSize }),
    onVerdict: (v) => void verdicts.push(v),
  });
  return { verdicts, summary };
}

describe('impact against a live cluster (--against cluster)', () => {
  it('lists, read-only, the kinds the policy matches and the namespaces its selector reads, and replays them', async () => {
    const { server: s, kc } = await clusterWithPods();
    const { verdicts, summary } = await replay(
      kc,
      policy({ namespaceSelector: { matchLabels: { team: 'payments' } } }),
    );
    expect(verdicts.filter((v) => v.verdict === 'deny').map((v) => v.ref)).toEqual([
      'Pod shop/cart',
      'Pod shop/checkout',
    ]);
    expect(summary).toMatchObject({ sources: ['cluster'], checked: 3, selected: 2, wouldDeny: 2, notes: [] });
    expect(s.requests.every((r) => r.method === 'GET')).toBe(true);
    const lists = s.requests.filter((r) => r.query.limit !== undefined).map((r) => r.path);
    // Namespaces first (for their labels), then pods; widgets are not matched and never read.
    expect(lists).toEqual(['/api/v1/namespaces', '/api/v1/pods']);
    expect(s.requests.some((r) => r.path.includes('widgets'))).toBe(false);
  });

  it('lists only the named namespaces when the selector picks them by kubernetes.io/metadata.name', async () => {
    const { server: s, kc } = await clusterWithPods();
    const { summary } = await replay(
      kc,
      policy({
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['lab'] }],
        },
      }),
    );
    expect(summary).toMatchObject({ checked: 1, wouldDeny: 1 });
    expect(s.requests.filter((r) => r.query.limit !== undefined).map((r) => r.path)).toEqual([
      '/api/v1/namespaces/lab/pods',
    ]);
  });

  it('finds resources through discovery for `*` rules, custom resources included', async () => {
    const { kc } = await clusterWithPods();
    const { verdicts } = await replay(
      kc,
      policy({ resources: ['*'], apiGroups: ['example.com'], scope: 'Cluster', javascript: 'deny("widget")' }),
    );
    expect(verdicts.map((v) => `${v.ref} ${v.verdict}`)).toEqual(['Widget w deny']);
  });

  it('follows continue tokens page by page, and gives list items the apiVersion and kind a real API server leaves out', async () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
      metadata: { name, namespace: 'default' },
      spec: { containers: [] },
    }));
    const seen: string[] = [];
    stub = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (body: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/apis') return send({ kind: 'APIGroupList', groups: [] });
      if (url.pathname === '/api/v1')
        return send({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'pods', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] }],
        });
      const limit = Number(url.searchParams.get('limit'));
      const from = Number(url.searchParams.get('continue') ?? 0);
      const next = from + limit < pods.length ? String(from + limit) : undefined;
      send({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: next ? { continue: next } : {},
        items: pods.slice(from, from + limit),
      });
    });
    await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'stub', server: `http://127.0.0.1:${(stub.address() as AddressInfo).port}`, skipTLSVerify: true },
      { name: 'u', token: 't' },
    );
    const { verdicts, summary } = await replay(kc, policy({}), 2);
    expect(summary).toMatchObject({ checked: 5, wouldDeny: 5 });
    expect(verdicts.map((v) => v.ref)).toEqual([
      'Pod default/a',
      'Pod default/b',
      'Pod default/c',
      'Pod default/d',
      'Pod default/e',
    ]);
    expect(seen.filter((s) => s.startsWith('GET /api/v1/pods'))).toEqual([
      'GET /api/v1/pods?limit=2',
      'GET /api/v1/pods?limit=2&continue=2',
      'GET /api/v1/pods?limit=2&continue=4',
    ]);
  });

  it('names the missing permission when the cluster refuses the list', async () => {
    const { server: s, kc } = await clusterWithPods();
    s.inject({
      method: 'GET',
      path: '/api/v1/pods',
      status: 403,
      message: 'pods is forbidden: User "dev" cannot list resource "pods"',
    });
    await expect(replay(kc, policy({}))).rejects.toMatchObject({
      code: 'PF_ERR_KUBE_API',
      message: expect.stringMatching(/HTTP 403 pods is forbidden.*Impact preview/),
    });
  });
});
