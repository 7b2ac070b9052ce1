import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog, discoverCatalog, discoverResources, regularPlural } from '../../catalog/index.js';
import { isPolicyforgeError } from '../../common/index.js';

describe('the built-in catalog', () => {
  const catalog = builtinCatalog();

  it('knows the Kubernetes built-ins with their subresources', () => {
    const pods = catalog.get('', 'pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true });
    expect(pods?.subresources).toEqual(
      expect.arrayContaining(['status', 'binding', 'eviction', 'exec', 'ephemeralcontainers']),
    );
    expect(catalog.get('apps', 'deployments')?.subresources).toEqual(expect.arrayContaining(['scale', 'status']));
    expect(catalog.get('', 'namespaces')?.namespaced).toBe(false);
    expect(catalog.byKind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')?.plural).toBe('clusterrolebindings');
  });

  it('says which group serves a Config Connector resource', () => {
    expect(catalog.byPlural('iampolicies').map((r) => r.group)).toEqual(['iam.cnrm.cloud.google.com']);
    expect(catalog.get('configconnector.cnrm.cloud.google.com', 'iampolicies')).toBeUndefined();
    for (const [group, plural] of [
      ['storage.cnrm.cloud.google.com', 'storagebuckets'],
      ['compute.cnrm.cloud.google.com', 'computeaddresses'],
      ['sql.cnrm.cloud.google.com', 'sqlinstances'],
      ['pubsub.cnrm.cloud.google.com', 'pubsubsubscriptions'],
      ['container.cnrm.cloud.google.com', 'containerclusters'],
      ['resourcemanager.cnrm.cloud.google.com', 'projects'],
    ]) {
      expect(catalog.get(group, plural), `${plural}.${group}`).toBeDefined();
    }
  });

  it('covers cert-manager, Argo, Istio, Gatekeeper, Kyverno, jsPolicy and GPTPolicy with their scopes', () => {
    expect(catalog.get('cert-manager.io', 'clusterissuers')?.namespaced).toBe(false);
    expect(catalog.get('cert-manager.io', 'certificates')?.namespaced).toBe(true);
    expect(catalog.get('argoproj.io', 'applications')?.kind).toBe('Application');
    expect(catalog.get('argoproj.io', 'rollouts')?.subresources).toContain('scale');
    expect(catalog.get('argoproj.io', 'workflows')).toBeDefined();
    expect(catalog.get('networking.istio.io', 'virtualservices')?.versions[0]).toBe('v1');
    expect(catalog.get('security.istio.io', 'authorizationpolicies')).toBeDefined();
    expect(catalog.get('templates.gatekeeper.sh', 'constrainttemplates')?.namespaced).toBe(false);
    expect(catalog.get('kyverno.io', 'clusterpolicies')?.namespaced).toBe(false);
    expect(catalog.get('kyverno.io', 'policies')?.namespaced).toBe(true);
    expect(catalog.get('policy.jspolicy.com', 'jspolicies')).toMatchObject({ kind: 'JsPolicy', namespaced: false });
    expect(catalog.get('gpt.drzzl.io', 'gptpolicies')).toMatchObject({
      kind: 'GPTPolicy',
      namespaced: false,
      versions: ['v1'],
    });
  });

  it('derives regular plurals the way controller-gen does', () => {
    expect(regularPlural('IAMPolicy')).toBe('iampolicies');
    expect(regularPlural('ComputeAddress')).toBe('computeaddresses');
    expect(regularPlural('Gateway')).toBe('gateways');
    expect(regularPlural('Ingress')).toBe('ingresses');
  });
});

/** Serves the discovery documents of a small cluster exactly as an API server does. */
function discoveryServer(options: { failGroup?: string; failAll?: boolean } = {}): Promise<Server> {
  const docs: Record<string, unknown> = {
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'pods/status', namespaced: true, kind: 'Pod', verbs: ['get'] },
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create'], shortNames: ['po'] },
        { name: 'pods/exec', namespaced: true, kind: 'PodExecOptions', verbs: ['create'] },
        { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create'] },
      ],
    },
    '/apis': {
      kind: 'APIGroupList',
      groups: [
        {
          name: 'widgets.example.com',
          versions: [
            { groupVersion: 'widgets.example.com/v1alpha1', version: 'v1alpha1' },
            { groupVersion: 'widgets.example.com/v1', version: 'v1' },
          ],
          preferredVersion: { groupVersion: 'widgets.example.com/v1', version: 'v1' },
        },
        {
          name: 'broken.example.com',
          versions: [{ groupVersion: 'broken.example.com/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'broken.example.com/v1', version: 'v1' },
        },
      ],
    },
    '/apis/widgets.example.com/v1': {
      kind: 'APIResourceList',
      groupVersion: 'widgets.example.com/v1',
      resources: [
        { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['create'] },
        { name: 'widgets/status', namespaced: true, kind: 'Widget', verbs: ['get'] },
      ],
    },
    '/apis/widgets.example.com/v1alpha1': {
      kind: 'APIResourceList',
      groupVersion: 'widgets.example.com/v1alpha1',
      resources: [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['create'] }],
    },
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const doc = docs[path];
    if (options.failAll || !doc || path.includes(options.failGroup ?? '\0')) {
      res.writeHead(options.failAll ? 500 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 503, message: 'service unavailable' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function kubeConfigFor(server: Server): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

describe('discovery from a live cluster', () => {
  let server: Server;
  beforeAll(async () => {
    server = await discoveryServer({ failGroup: 'broken.example.com' });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads resources, subresources and preferred-first versions; skips a failing group version', async () => {
    const resources = await discoverResources(kubeConfigFor(server));
    const widget = resources.find((r) => r.plural === 'widgets');
    expect(widget).toMatchObject({
      group: 'widgets.example.com',
      kind: 'Widget',
      namespaced: true,
      versions: ['v1', 'v1alpha1'],
      subresources: ['status'],
      source: 'discovery',
    });
    const pods = resources.find((r) => r.plural === 'pods' && r.group === '');
    expect(pods?.subresources).toEqual(['status', 'exec']);
    expect(pods?.shortNames).toEqual(['po']);
    expect(resources.some((r) => r.group === 'broken.example.com')).toBe(false);
  });

  it('merges discovered resources over the built-in catalog', async () => {
    const catalog = await discoverCatalog(kubeConfigFor(server));
    expect(catalog.get('widgets.example.com', 'widgets')?.source).toBe('discovery');
    expect(catalog.get('iam.cnrm.cloud.google.com', 'iampolicies')?.source).toBe('crd-family');
    expect(catalog.get('', 'pods')?.source).toBe('discovery');
  });

  it('fails with PF_ERR_KUBE_API when the API server cannot list groups', async () => {
    const failing = await discoveryServer({ failAll: true });
    try {
      const err = await discoverResources(kubeConfigFor(failing)).catch((e: unknown) => e);
      expect(isPolicyforgeError(err, 'PF_ERR_KUBE_API')).toBe(true);
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});
