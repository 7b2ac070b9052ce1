import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../catalog/index.js';
import {
  buildAdmissionRequest,
  createSandbox,
  explainMismatch,
  matchesPolicy,
  selectorMatches,
} from '../../sandbox/index.js';
import type { AdmissionRequest } from '../../sandbox/index.js';
import type { JsPolicySpec, KubeObject, TestCase } from '../../common/index.js';
import { pod, podCase, policy } from './helpers.js';

// Webhook matching exactly as admissionregistration/v1 rules select requests, before any script runs.
const catalog = builtinCatalog();
const spec = (s: Partial<JsPolicySpec>): JsPolicySpec => ({ operations: ['*'], resources: ['*'], ...s });
const req = (c: Partial<TestCase> & { object?: KubeObject }): AdmissionRequest =>
  buildAdmissionRequest({ name: 'x', expect: 'allow', ...c } as TestCase, 'Validating', catalog) as AdmissionRequest;

describe('buildAdmissionRequest', () => {
  it('derives kind, resource and plural from the catalog, with a uid and an admin user by default', () => {
    const r = req({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'prod' } },
    });
    expect(r).toMatchObject({
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'd',
      namespace: 'prod',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      dryRun: false,
      options: { kind: 'CreateOptions' },
    });
    expect(r.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.oldObject).toBeUndefined();
  });

  it('knows CRD plurals from the catalog and pluralises unknown kinds by the usual rules', () => {
    expect(
      req({
        object: {
          apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
          kind: 'IAMPolicy',
          metadata: { name: 'p', namespace: 'a' },
        },
      }).resource.resource,
    ).toBe('iampolicies');
    expect(
      req({ object: { apiVersion: 'example.com/v1', kind: 'Proxy', metadata: { name: 'p' } } }).resource.resource,
    ).toBe('proxies');
    expect(
      req({ object: { apiVersion: 'example.com/v1', kind: 'Gateway', metadata: { name: 'p' } } }).resource.resource,
    ).toBe('gateways');
    expect(
      req({ object: { apiVersion: 'example.com/v1', kind: 'Mailbox', metadata: { name: 'p' } } }).resource.resource,
    ).toBe('mailboxes');
  });

  it('DELETE carries oldObject and no object; UPDATE carries both', () => {
    const del = req({ operation: 'DELETE', oldObject: pod('a', 'dev') });
    expect(del.object).toBeUndefined();
    expect(del.oldObject?.metadata?.name).toBe('a');
    expect(del.options?.kind).toBe('DeleteOptions');
    const upd = req({ operation: 'UPDATE', object: pod('a', 'dev', { v: '2' }), oldObject: pod('a', 'dev') });
    expect(upd.object?.metadata?.labels).toEqual({ v: '2' });
    expect(upd.oldObject?.metadata?.labels).toBeUndefined();
  });

  it('namespaces: cluster-scoped objects have no namespace; a Namespace request carries its own name except on create', () => {
    expect(
      req({ object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } } })
        .namespace,
    ).toBe('');
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'billing' } };
    expect(req({ object: ns }).namespace).toBe('');
    expect(req({ operation: 'DELETE', oldObject: ns }).namespace).toBe('billing');
    expect(req({ object: pod('a', 'dev'), namespace: 'other' }).namespace).toBe('other');
    expect(req({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } }).namespace).toBe('default');
  });

  it('subresource requests name the parent resource', () => {
    const r = req({
      operation: 'CONNECT',
      subResource: 'exec',
      object: { apiVersion: 'v1', kind: 'PodExecOptions', metadata: { name: 'web', namespace: 'dev' } },
    });
    expect(r.resource).toEqual({ group: '', version: 'v1', resource: 'pods' });
    expect(r.subResource).toBe('exec');
  });
});

describe('matchesPolicy', () => {
  const p = req({ object: pod('a', 'dev', { app: 'web' }) });

  it('operations: listed or *', () => {
    expect(matchesPolicy(spec({ operations: ['CREATE'] }), p)).toBe(true);
    expect(explainMismatch(spec({ operations: ['UPDATE'] }), p)).toBe('operation CREATE is not in spec.operations');
  });

  it('resources: plural, *, and subresource rules', () => {
    const exec = req({
      operation: 'CONNECT',
      subResource: 'exec',
      object: { apiVersion: 'v1', kind: 'PodExecOptions', metadata: { name: 'web', namespace: 'dev' } },
    });
    const scale = req({
      operation: 'UPDATE',
      subResource: 'scale',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'dev' } },
      oldObject: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'dev' } },
    });
    expect(matchesPolicy(spec({ resources: ['pods'] }), p)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['services'] }), p)).toBe(false);
    expect(matchesPolicy(spec({ resources: ['*'] }), p)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['pods'] }), exec)).toBe(false);
    expect(matchesPolicy(spec({ resources: ['*'] }), exec)).toBe(false);
    expect(matchesPolicy(spec({ resources: ['pods/exec'] }), exec)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['pods/*'] }), exec)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['pods/*'] }), p)).toBe(true); // as in the API server: sub '*' also matches no subresource
    expect(matchesPolicy(spec({ resources: ['*/*'] }), exec)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['*/scale'] }), scale)).toBe(true);
    expect(matchesPolicy(spec({ resources: ['*/scale'] }), exec)).toBe(false);
  });

  it('apiGroups and apiVersions: the core group is "", * matches all', () => {
    expect(matchesPolicy(spec({ apiGroups: [''] }), p)).toBe(true);
    expect(matchesPolicy(spec({ apiGroups: ['apps'] }), p)).toBe(false);
    expect(matchesPolicy(spec({ apiGroups: ['*'] }), p)).toBe(true);
    expect(matchesPolicy(spec({ apiVersions: ['v1'] }), p)).toBe(true);
    expect(explainMismatch(spec({ apiVersions: ['v2'] }), p)).toBe('version v1 is not in spec.apiVersions');
  });

  it('scope: Cluster, Namespaced, *', () => {
    const crb = req({
      object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' } },
    });
    expect(matchesPolicy(spec({ scope: 'Namespaced' }), p)).toBe(true);
    expect(matchesPolicy(spec({ scope: 'Cluster' }), p)).toBe(false);
    expect(matchesPolicy(spec({ scope: 'Cluster' }), crb)).toBe(true);
    expect(matchesPolicy(spec({ scope: 'Namespaced' }), crb)).toBe(false);
    expect(matchesPolicy(spec({ scope: '*' }), crb)).toBe(true);
  });

  it('namespaceSelector matches kubernetes.io/metadata.name and the extra namespace labels', () => {
    const byName = spec({
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'dev'] }],
      },
    });
    expect(matchesPolicy(byName, p)).toBe(false);
    expect(matchesPolicy(byName, req({ object: pod('a', 'prod') }))).toBe(true);
    const byLabel = spec({ namespaceSelector: { matchLabels: { env: 'prod' } } });
    expect(matchesPolicy(byLabel, p)).toBe(false);
    expect(matchesPolicy(byLabel, p, { env: 'prod' })).toBe(true);
  });

  it('namespaceSelector does not filter cluster-scoped objects, and matches a Namespace by its own labels', () => {
    const sel = spec({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } } });
    expect(
      matchesPolicy(
        sel,
        req({ object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } } }),
      ),
    ).toBe(true);
    expect(
      matchesPolicy(sel, req({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } } })),
    ).toBe(true);
    expect(
      matchesPolicy(sel, req({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } } })),
    ).toBe(false);
  });

  it("objectSelector: the object's labels; oldObject's on DELETE; either on UPDATE", () => {
    const sel = spec({ objectSelector: { matchLabels: { app: 'web' } } });
    expect(matchesPolicy(sel, p)).toBe(true);
    expect(matchesPolicy(sel, req({ object: pod('a', 'dev') }))).toBe(false);
    expect(matchesPolicy(sel, req({ operation: 'DELETE', oldObject: pod('a', 'dev', { app: 'web' }) }))).toBe(true);
    expect(
      matchesPolicy(
        sel,
        req({ operation: 'UPDATE', object: pod('a', 'dev'), oldObject: pod('a', 'dev', { app: 'web' }) }),
      ),
    ).toBe(true);
  });

  it('label selector operators', () => {
    const l = { a: '1', b: '2' };
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }] }, l)).toBe(false);
    expect(selectorMatches({}, l)).toBe(true);
  });
});

describe('matching inside runSuite', () => {
  it('a request the rules do not select is admitted untouched without running the script', async () => {
    const sandbox = createSandbox();
    try {
      const scoped = policy("deny('always')", {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } },
      });
      const r = await sandbox.runSuite(scoped, [
        podCase('dev', 'allow'),
        podCase('prod', 'deny', { object: pod('a', 'prod') }),
      ]);
      expect(r.passed).toBe(true);
      expect(r.cases[0].outcome).toMatchObject({ matched: false, allowed: true, actual: 'allow' });
      expect(r.cases[0].outcome.message).toContain('does not match spec.namespaceSelector');
      // ignoreSelectors runs the script anyway (scope experiments)
      const all = await sandbox.runSuite(scoped, [podCase('dev', 'deny')], { ignoreSelectors: true });
      expect(all.cases[0].outcome).toMatchObject({ matched: true, actual: 'deny' });
      // but never past operations/resources
      const other = await sandbox.runSuite(
        scoped,
        [podCase('del', 'allow', { operation: 'DELETE', object: undefined, oldObject: pod('a', 'prod') })],
        { ignoreSelectors: true },
      );
      expect(other.cases[0].outcome.matched).toBe(false);
    } finally {
      await sandbox.close();
    }
  });
});
