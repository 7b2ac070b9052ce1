import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsPolicy, JsPolicySpec, KubeObject } from '../../common/index.js';
import { ReplayPool } from '../../sandbox/index.js';
import { formatImpact, previewImpact, type ImpactVerdict } from '../../src/impact/index.js';

function policy(spec: Partial<JsPolicySpec> & { javascript: string }): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'impact.test.policyforge.dev' },
    spec: { operations: ['CREATE', 'UPDATE'], resources: ['pods'], apiGroups: [''], ...spec },
  };
}

const pod = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

async function manifests(...objects: KubeObject[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-impact-'));
  const path = join(dir, 'objects.yaml');
  await writeFile(path, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  return path;
}

describe('previewImpact', () => {
  it('counts what the policy would deny, warn and mutate, grouped by reason with the object names taken out', async () => {
    const source = await manifests(
      pod('api-1', 'test', { env: 'prod' }),
      pod('api-2', 'test', { env: 'prod' }),
      pod('web', 'test', { tier: 'front' }),
      pod('db', 'test'),
    );
    const p = policy({
      javascript: `const l = request.object.metadata.labels || {};
        if (l.env === 'prod') deny('pod ' + request.name + ' is prod');
        if (l.tier) warn('tier label is deprecated');`,
    });
    const verdicts: ImpactVerdict[] = [];
    const s = await previewImpact(p, { sources: [source], onVerdict: (v) => void verdicts.push(v) });
    expect(s).toMatchObject({ checked: 4, selected: 4, wouldDeny: 2, wouldWarn: 1, wouldMutate: 0, skipped: {} });
    expect(s.reasons).toEqual([
      {
        verdict: 'deny',
        reason: '403 pod <name> is prod',
        count: 2,
        examples: [`Pod test/api-1 (${source}:1)`, `Pod test/api-2 (${source}:3)`],
      },
      { verdict: 'warn', reason: 'tier label is deprecated', count: 1, examples: [`Pod test/web (${source}:5)`] },
    ]);
    expect(verdicts.map((v) => v.verdict)).toEqual(['deny', 'deny', 'warn', 'allow']);
    expect(formatImpact(s, p.metadata.name)).toContain('would deny 2 of 4 objects; warn 1; mutate 0');
  });

  it('gives the same verdicts in this process (inline) as in a sandbox child process (the default)', async () => {
    const objects = Array.from({ length: 300 }, (_, i) => pod(`p-${i}`, 'test', i % 7 ? {} : { env: 'prod' }));
    const source = await manifests(...objects);
    const p = policy({ javascript: `if (request.object.metadata.labels.env === 'prod') deny('prod');` });
    const verdictsBy = async (isolation: 'inline' | 'process'): Promise<string[]> => {
      const out: string[] = [];
      await previewImpact(p, {
        sources: [source],
        isolation,
        batchSize: 64,
        onVerdict: (v) => void out.push(`${v.ref} ${v.verdict}`),
      });
      return out;
    };
    const inline = await verdictsBy('inline');
    expect(inline.filter((v) => v.endsWith('deny'))).toHaveLength(43);
    expect(await verdictsBy('process')).toEqual(inline);
  });

  it('replays an existing object as CREATE and as a no-op UPDATE whose oldObject is the object', async () => {
    const source = await manifests(pod('api', 'test'));
    const p = policy({
      javascript: `if (request.operation === 'UPDATE' && request.oldObject.metadata.name === request.object.metadata.name) deny('update seen');`,
    });
    const verdicts: ImpactVerdict[] = [];
    const s = await previewImpact(p, { sources: [source], onVerdict: (v) => void verdicts.push(v) });
    expect(s.wouldDeny).toBe(1);
    expect(verdicts[0].requests.map((r) => `${r.operation} ${r.verdict}`)).toEqual(['CREATE allow', 'UPDATE deny']);
  });

  it('counts a policy that throws on an object as a denial with 500, as jsPolicy answers', async () => {
    const source = await manifests(pod('bare', 'test'));
    const s = await previewImpact(
      policy({ javascript: 'if (request.object.spec.securityContext.runAsNonRoot !== true) deny("root");' }),
      { sources: [source] },
    );
    expect(s.wouldDeny).toBe(1);
    expect(s.reasons[0].reason).toMatch(/^500 Uncaught TypeError/);
  });

  it('applies the webhook rules: objects the policy does not select are counted, not run', async () => {
    const source = await manifests(
      pod('api', 'test'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'test' } },
      pod('kube-proxy', 'kube-system'),
    );
    const s = await previewImpact(
      policy({
        javascript: 'deny("all")',
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
        },
      }),
      { sources: [source] },
    );
    expect(s).toMatchObject({ checked: 3, selected: 1, wouldDeny: 1 });
  });

  it("reads namespace labels from the source's Namespace objects for namespaceSelector, and says when they are missing", async () => {
    const ns = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    // The Namespace comes after the pods: the labels are read before replaying.
    const source = await manifests(
      pod('a', 'shop'),
      pod('b', 'lab'),
      pod('c', 'elsewhere'),
      ns('shop', { team: 'payments' }),
      ns('lab', { team: 'research' }),
    );
    const p = policy({ javascript: 'deny("payments only")', namespaceSelector: { matchLabels: { team: 'payments' } } });
    const verdicts: ImpactVerdict[] = [];
    const s = await previewImpact(p, { sources: [source], onVerdict: (v) => void verdicts.push(v) });
    expect(verdicts.filter((v) => v.verdict === 'deny').map((v) => v.ref)).toEqual(['Pod shop/a']);
    expect(s.notes).toEqual([expect.stringContaining('no Namespace object for elsewhere')]);
  });

  it("lets failurePolicy decide a request whose script runs past the policy's own timeout, as the API server does", async () => {
    const source = await manifests(pod('slow', 'test'));
    const spin = { javascript: 'while (true) {}', timeoutSeconds: 1, operations: ['CREATE'] };
    const ignored = await previewImpact(policy({ ...spin, failurePolicy: 'Ignore' }), { sources: [source] });
    expect(ignored).toMatchObject({ selected: 1, wouldDeny: 0 });
    const failed = await previewImpact(policy({ ...spin, failurePolicy: 'Fail' }), { sources: [source] });
    expect(failed.wouldDeny).toBe(1);
    expect(failed.reasons[0].reason).toMatch(
      /^500 Internal error occurred: failed calling webhook .*context deadline exceeded/,
    );
  });

  it('stops a replay after maxTimeouts requests ran out of time, and says so', async () => {
    const source = await manifests(...Array.from({ length: 10 }, (_, i) => pod(`slow-${i}`, 'test')));
    const s = await previewImpact(
      policy({ javascript: 'while (true) {}', failurePolicy: 'Fail', operations: ['CREATE'] }),
      { sources: [source], maxTimeoutMs: 50, maxTimeouts: 3, batchSize: 1 },
    );
    expect(s.checked).toBe(3);
    expect(s.notes[0]).toMatch(/^stopped after 3 requests ran out of time \(limit 50 ms each\)/);
  });

  it('refuses a policy that does not compile, naming it', async () => {
    const source = await manifests(pod('a', 'test'));
    await expect(previewImpact(policy({ javascript: 'if (' }), { sources: [source] })).rejects.toMatchObject({
      code: 'PF_ERR_POLICY_INVALID',
    });
  });
});

describe('previewImpact in a long-lived ReplayPool (the operator keeps one child for every preview)', () => {
  it('runs each preview in the pool, leaves the pool open after each, and gives the verdicts a fresh child gives', async () => {
    const source = await manifests(pod('a', 'test', { env: 'prod' }), pod('b', 'test'));
    const pool = new ReplayPool();
    try {
      const prod = policy({ javascript: `if (request.object.metadata.labels.env === 'prod') deny('prod');` });
      const any = policy({ javascript: `deny('every pod');` });
      const first = await previewImpact(prod, { sources: [source], pool });
      // the second preview, another policy, reuses the child the first one left open
      const second = await previewImpact(any, { sources: [source], pool });
      const fresh = await previewImpact(prod, { sources: [source] });
      expect(first.wouldDeny).toBe(1);
      expect(second.wouldDeny).toBe(2);
      expect({ ...first, durationMs: 0 }).toEqual({ ...fresh, durationMs: 0 });
    } finally {
      await pool.close();
    }
    // a closed pool runs nothing more
    await expect(previewImpact(policy({ javascript: 'allow();' }), { sources: [source], pool })).rejects.toThrow();
  });
});
