import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializePolicy } from '../../sandbox/index.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import { userIamPolicyDraft } from '../critic/fixtures.js';
import { SHARED_INTENTS, haveSharedIntents } from '../support/shared-intents.js';
import { runCli, type CliRun } from './run-cli.js';

const INTENTS = SHARED_INTENTS;
const dir = mkdtempSync(join(tmpdir(), 'pf-lint-'));
const iamDraft = join(dir, 'iam-draft.yaml');
writeFileSync(iamDraft, serializePolicy(userIamPolicyDraft()));

/** `policyforge lint …` in-process (run-cli.ts). */
const lint = (...args: string[]): Promise<CliRun> => runCli(['lint', ...args]);

describe('policyforge lint', () => {
  it('exits 1 on the user’s IAMPolicy draft and names the group that serves iampolicies, with the fix', async () => {
    const { code, stdout } = await lint(iamDraft);
    expect(code).toBe(1);
    expect(stdout).toContain(
      'BLOCKING catalog/wrong-group (spec.apiGroups): iampolicies is served by iam.cnrm.cloud.google.com',
    );
    expect(stdout).toContain('fix: set spec.apiGroups to ["iam.cnrm.cloud.google.com"]');
  });

  it.skipIf(!haveSharedIntents)('exits 0 on a well-scoped reference policy, listing advisories', async () => {
    const { code, stdout } = await lint(
      join(INTENTS, 'no-prod-pods-in-test.policy.yaml'),
      '--intent',
      "Deny pods with the label 'env=prod' in the 'test' namespace.",
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/0 blocking, \d+ advisory/);
    expect(stdout).not.toContain('BLOCKING');
  });

  it('uses the intent: a policy acting in every namespace is blocking when the intent names one', async () => {
    const file = join(dir, 'everywhere.yaml');
    writeFileSync(
      file,
      serializePolicy({
        ...userIamPolicyDraft(),
        spec: {
          operations: ['CREATE'],
          resources: ['pods'],
          apiGroups: [''],
          failurePolicy: 'Ignore',
          javascript: "deny('x')",
        },
      }),
    );
    const { code, stdout } = await lint(file, '--intent', 'Block pods in namespace payments.', '--json');
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as {
      blocking: number;
      findings: Array<{ rule: string; severity: string; fix: string }>;
    };
    expect(out.findings.find((f) => f.rule === 'safety/all-namespaces')).toMatchObject({ severity: 'blocking' });
    expect(out.blocking).toBe(out.findings.filter((f) => f.severity === 'blocking').length);
  });

  it('lists every problem of a policy in one run, schema errors included (issue 16)', async () => {
    const file = join(dir, 'several-problems.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: policy.jspolicy.com/v1beta1',
        'kind: JsPolicy',
        'metadata: {name: short}',
        'spec:',
        '  operations: [CREATE]',
        '  resources: [pods]',
        '  violationPolicy: warn',
        "  javascript: \"const _ = require('lodash'); deny('x');\"",
      ].join('\n'),
    );
    const { code, stdout } = await lint(file, '--json');
    expect(code).toBe(1);
    const rules = (JSON.parse(stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['schema/name', 'schema/enum', 'code/host-api']));
  });

  it('exits 2 for a document that is not a policy at all', async () => {
    const file = join(dir, 'a-list.yaml');
    writeFileSync(file, '- a\n- b\n');
    const { code, stderr } = await lint(file);
    expect(code).toBe(2);
    expect(stderr).toContain('a-list.yaml');
  });

  it('exits 2 naming the file when the policy cannot be read', async () => {
    const { code, stderr } = await lint(join(dir, 'missing.yaml'));
    expect(code).toBe(2);
    expect(stderr).toContain('missing.yaml');
  });

  it('--kubeconfig merges what the cluster serves: a CRD unknown to the built-in catalog becomes known', async () => {
    const server = await startKubeApiServer({
      types: [{ group: 'widgets.example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true }],
    });
    try {
      const kubeconfig = join(dir, 'kubeconfig.yaml');
      writeFileSync(kubeconfig, server.kubeconfig());
      const file = join(dir, 'widgets.yaml');
      writeFileSync(
        file,
        serializePolicy({
          ...userIamPolicyDraft(),
          spec: {
            operations: ['CREATE'],
            resources: ['widgets'],
            apiGroups: ['widgets.example.com'],
            failurePolicy: 'Ignore',
            javascript: "deny('x')",
          },
        }),
      );
      const offline = JSON.parse((await lint(file, '--json')).stdout) as {
        findings: Array<{ rule: string; severity: string }>;
      };
      expect(offline.findings.find((f) => f.rule === 'catalog/unknown-resource')?.severity).toBe('advisory');
      const live = JSON.parse((await lint(file, '--json', '--kubeconfig', kubeconfig)).stdout) as {
        findings: Array<{ rule: string }>;
      };
      expect(live.findings.map((f) => f.rule)).not.toContain('catalog/unknown-resource');
      expect(server.requests.some((r) => r.path === '/apis/widgets.example.com/v1')).toBe(true);
      // A resource the cluster does not serve is now a blocking finding.
      writeFileSync(
        file,
        serializePolicy({
          ...userIamPolicyDraft(),
          spec: {
            operations: ['CREATE'],
            resources: ['gadgets'],
            apiGroups: ['widgets.example.com'],
            failurePolicy: 'Ignore',
            javascript: "deny('x')",
          },
        }),
      );
      const missing = await lint(file, '--json', '--kubeconfig', kubeconfig);
      expect(missing.code).toBe(1);
      expect(
        JSON.parse(missing.stdout).findings.find((f: { rule: string }) => f.rule === 'catalog/unknown-resource')
          ?.severity,
      ).toBe('blocking');
    } finally {
      await server.close();
    }
  });
});
