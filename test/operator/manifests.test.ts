import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assetPath } from '../../common/index.js';
import { validateGPTPolicy } from '../../src/operator/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { GPTPOLICY_CRD, GPTPOLICY_TYPE } from './harness.js';

// deploy/ is what users install: these tests read the manifests themselves.

const DEPLOY = assetPath('deploy');
const docs = (file: string): any[] => parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => d.toJS());
const all = (): any[] =>
  (parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')).resources as string[]).flatMap(docs);
const parse = (text: string): any => parseAllDocuments(text)[0].toJS();

describe('deploy/ manifests', () => {
  it('list every manifest in kustomization.yaml', () => {
    const listed = parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')).resources;
    const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...listed].sort()).toEqual(files.sort());
  });

  it('define a cluster-scoped GPTPolicy CRD where only spec.description is required, with a status subresource', () => {
    const crd = GPTPOLICY_CRD;
    expect(crd.metadata.name).toBe('gptpolicies.gpt.drzzl.io');
    expect(crd.spec.scope).toBe('Cluster');
    const v1 = crd.spec.versions.find((v: any) => v.name === 'v1');
    expect(v1.subresources).toEqual({ status: {} });
    const spec = v1.schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['description']);
    expect(Object.keys(spec.properties).sort()).toEqual([
      'allowDeletes',
      'approval',
      'description',
      'examples',
      'failurePolicy',
      'mode',
      'model',
      'namespaces',
      'podControllers',
      'rollout',
    ]);
    expect(spec.properties.rollout.properties.strategy).toMatchObject({
      enum: ['Immediate', 'Staged'],
      default: 'Immediate',
    });
    expect(spec.properties.mode.enum).toEqual(['Enforce', 'Warn', 'Audit']);
    const status = v1.schema.openAPIV3Schema.properties.status.properties;
    for (const field of [
      'phase',
      'conditions',
      'observedGeneration',
      'policyName',
      'rounds',
      'cases',
      'findings',
      'tokens',
      'restatement',
      'judged',
      'impact',
      'rollout',
      'lastError',
    ])
      expect(status).toHaveProperty(field);
    expect(Object.keys(status.impact.properties).sort()).toEqual([
      'checked',
      'error',
      'examples',
      'jobId',
      'when',
      'wouldDeny',
      'wouldWarn',
    ]);
    expect(v1.additionalPrinterColumns.find((c: any) => c.name === 'Would-Deny').jsonPath).toBe(
      '.status.impact.wouldDeny',
    );
    // every printer column reads a field the schema declares
    for (const col of v1.additionalPrinterColumns) {
      const top = col.jsonPath.split('.')[1];
      expect(['spec', 'status', 'metadata']).toContain(top);
    }
  });

  it('grant the operator only gptpolicies (+status), jspolicies (+violations), events, its Lease, discovery and view', () => {
    const rules = all()
      .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')
      .flatMap((r) => r.rules);
    const granted = rules.flatMap((r: any) =>
      r.nonResourceURLs
        ? [`nonResource:${r.verbs.join(',')}`]
        : r.apiGroups.flatMap((g: string) => r.resources.map((res: string) => `${g}/${res}:${r.verbs.join(',')}`)),
    );
    expect(granted.sort()).toEqual(
      [
        // patch: removing a rollout command annotation once acted on
        'gpt.drzzl.io/gptpolicies:get,list,watch,patch',
        'gpt.drzzl.io/gptpolicies/status:get,update,patch',
        // blockOwnerDeletion under OwnerReferencesPermissionEnforcement
        'gpt.drzzl.io/gptpolicies/finalizers:update',
        'policy.jspolicy.com/jspolicies:get,list,watch,create,update,patch,delete',
        'policy.jspolicy.com/jspolicyviolations:get',
        '/events:create,patch',
        'events.k8s.io/events:create,patch',
        'coordination.k8s.io/leases:create',
        'coordination.k8s.io/leases:get,update,patch',
        'nonResource:get',
      ].sort(),
    );
    expect(
      rules.some((r: any) => r.verbs.includes('*') || r.resources?.includes('*') || r.apiGroups?.includes('*')),
    ).toBe(false);
    const leaseRule = rules.find((r: any) => r.resources?.includes('leases') && r.verbs.includes('update'));
    expect(leaseRule.resourceNames).toEqual(['policyforge-operator']);
    // the impact preview reads existing objects through the built-in read-only `view` role, nothing broader
    const bindings = all().filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding');
    expect(bindings.map((b) => b.roleRef.name).sort()).toEqual(
      ['policyforge-operator', 'policyforge-operator-leader-election', 'view'].sort(),
    );
  });

  it('run two replicas under the operator ServiceAccount with probes, resources and a locked-down container', () => {
    const deployment = all().find((d) => d.kind === 'Deployment' && d.metadata.name === 'policyforge-operator');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('policyforge-operator');
    expect(all().some((d) => d.kind === 'ServiceAccount' && d.metadata.name === 'policyforge-operator')).toBe(true);
    const c = pod.containers[0];
    expect(c.args[0]).toBe('operator');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE', 'REDIS_URL']));
  });

  it('run Redis with an append-only file on a persistent volume, here and in docker-compose.yml, so a restart keeps accepted jobs', () => {
    const redis = all().find((d) => d.kind === 'Deployment' && d.metadata.name === 'policyforge-redis');
    const pod = redis.spec.template.spec;
    const args: string[] = pod.containers[0].args;
    const flag = (name: string): string | undefined => args[args.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    const dir = flag('--dir');
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === dir);
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    const claim = all().find(
      (d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === volume.persistentVolumeClaim.claimName,
    );
    expect(claim.spec.resources.requests.storage).toBeDefined();
    expect(redis.spec.strategy.type).toBe('Recreate');

    const compose = parse(readFileSync(assetPath('docker-compose.yml'), 'utf8'));
    const command: string[] = compose.services.redis.command;
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(compose.services.redis.volumes.some((v: string) => v.endsWith(':/data'))).toBe(true);
    expect(Object.keys(compose.volumes)).toContain(compose.services.redis.volumes[0].split(':')[0]);
  });

  it("accept the user's example GPTPolicies unchanged", () => {
    for (const file of readdirSync(join(DEPLOY, 'examples'))) {
      for (const doc of docs(join('examples', file))) {
        expect(doc).toMatchObject({ apiVersion: 'gpt.drzzl.io/v1', kind: 'GPTPolicy' });
        expect(() => validateGPTPolicy(doc)).not.toThrow();
      }
    }
  });
});

describe('printer columns, as kubectl get shows them', () => {
  let server: KubeApiServer;
  beforeEach(async () => {
    server = await startKubeApiServer({ types: [GPTPOLICY_TYPE] });
  });
  afterEach(async () => server.close());

  it('serves Phase, Policy, Cases and Ready from the status through the CRD columns', async () => {
    server.putObject('gpt.drzzl.io', 'gptpolicies', {
      metadata: { name: 'a.b.c' },
      spec: { description: 'd' },
      status: {
        phase: 'Ready',
        policyName: 'a.b.c',
        cases: { summary: '8/8' },
        conditions: [
          { type: 'Generated', status: 'True' },
          { type: 'Ready', status: 'True', reason: 'Ready' },
        ],
      },
    });
    const res = await fetch(`${server.url}/apis/gpt.drzzl.io/v1/gptpolicies`, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    const table = (await res.json()) as any;
    const names = table.columnDefinitions.map((c: any) => c.name);
    const row = Object.fromEntries(names.map((n: string, i: number) => [n, table.rows[0].cells[i]]));
    expect(row).toMatchObject({
      Name: 'a.b.c',
      Phase: 'Ready',
      Policy: 'a.b.c',
      Cases: '8/8',
      Ready: 'True',
      Reason: 'Ready',
    });
  });
});
