import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INTENT_ALL, INTENT_PROD, privilegedModel } from '../loop/privileged-model.js';
import { startScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { haveSharedIntents, sharedIntent } from '../support/shared-intents.js';
import { runCli, type CliRun } from './run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'pf-cli-gen-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** In-process (run-cli.ts) with a clean environment: no key, a private POLICYFORGE_HOME. */
function run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const clean = { PATH: process.env.PATH ?? '', HOME: home, POLICYFORGE_HOME: join(home, 'pf'), LOG_LEVEL: 'silent' };
  return runCli(args, { cleanEnv: { ...clean, ...env } });
}

const DONE_WHEN = "Deny pods with the label 'env=prod' in the 'test' namespace.";

describe('policyforge generate', { timeout: 180_000 }, () => {
  it('with no key prints a JsPolicy scoped to namespace test, failurePolicy Ignore, that passes the shared suite', async () => {
    const out = join(home, 'no-prod.yaml');
    const r = await run(['generate', DONE_WHEN]);
    expect(r.code, r.stderr).toBe(0);
    const policy = parse(r.stdout);
    expect(policy).toMatchObject({
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      spec: { failurePolicy: 'Ignore' },
    });
    expect(policy.spec.resources).toEqual(expect.arrayContaining(['pods', 'deployments']));
    expect(policy.spec.namespaceSelector.matchExpressions).toContainEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['test'],
    });
    // live progress went to stderr, not into the YAML
    expect(r.stderr).toMatch(/round 1/);
    expect(r.stderr).toMatch(/cases \d+\/\d+/);
    // issue 11: what it does, in our words from the cases, and that no model judged the reading
    expect(r.stderr).toMatch(
      /what it does:\n {2}Denies CREATE\/UPDATE of Pods \(and the pod templates of [^)]*\) in namespace test whose label env="prod"/,
    );
    expect(r.stderr).toMatch(/^ {2}judged: no — the reading was not independently checked/m);
    expect(policy.metadata.annotations['policyforge.dev/restatement']).toMatch(
      /^Denies CREATE\/UPDATE of Pods \(and the pod templates of [^)]*\) in namespace test whose label env="prod".*\(not independently judged\)$/,
    );
    const w = await run(['generate', DONE_WHEN, '--out', out]);
    expect(w.code).toBe(0);
    expect(parse(readFileSync(out, 'utf8')).spec).toEqual(policy.spec);
    const t = await run([
      'test',
      haveSharedIntents ? sharedIntent('no-prod-pods-in-test.yaml') : 'examples/no-prod-pods-in-test.yaml',
      '--policy',
      out,
    ]);
    expect(t.code, t.stdout + t.stderr).toBe(0);
  });

  it('--json prints the whole result with rounds and usage', async () => {
    const r = await run([
      'generate',
      'Services of type NodePort are not allowed.',
      '--json',
      '--store',
      join(home, 'json.sqlite'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: 'succeeded', source: 'offline', safeToApply: true, usage: { calls: 0 } });
    expect(result.rounds[0]).toMatchObject({ round: 1, report: { passed: true } });
    expect(result.restatement).toMatchObject({
      judged: false,
      summary: expect.stringMatching(/^Denies CREATE\/UPDATE of Services .*whose spec\.type is "NodePort"/),
    });
    expect(result.judgement).toMatchObject({ judged: false, replans: 0 });
  });

  it('--families lists what offline mode solves', async () => {
    const r = await run(['generate', '--families']);
    expect(r.code).toBe(0);
    for (const id of ['metadata-forbidden', 'image-registry', 'rbac-subjects', 'reference-kind', 'delete-protection'])
      expect(r.stdout).toContain(id);
  });

  it('exits 2 with PF_ERR_OFFLINE_UNSUPPORTED and how to configure a model for an unknown intent', async () => {
    const r = await run(['generate', 'Make the cluster cheaper.']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PF_ERR_OFFLINE_UNSUPPORTED');
    expect(r.stderr).toContain('OPENAI_BASE_URL');
  });

  it('exits 2 naming the variable for a bad model configuration', async () => {
    const r = await run(['generate', DONE_WHEN], { POLICYFORGE_PROVIDER: 'vllm' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PF_ERR_CONFIG.*OPENAI_BASE_URL/);
  });

  it('with OPENAI_BASE_URL runs the model path and exits 1 with the last report when no round succeeds', async () => {
    const server = await startScriptedOpenAIServer();
    const plan = {
      rationale: 'deny prod pods in test',
      target: {
        type: 'Validating',
        resources: ['pods'],
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
        namespaces: ['test'],
      },
      steps: [],
      tests: [
        {
          name: 'prod pod denied',
          object: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'a', namespace: 'test', labels: { env: 'prod' } },
          },
          expect: 'deny',
        },
        {
          name: 'dev pod allowed',
          object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'test', labels: { env: 'dev' } } },
          expect: 'allow',
        },
      ],
    };
    const denyAll = {
      explanation: 'x',
      plan: 'x',
      spec: {
        type: 'Validating',
        operations: ['CREATE', 'UPDATE'],
        resources: ['pods'],
        apiGroups: [''],
        javascript: "deny('no');",
      },
    };
    server.push({ toolCall: { arguments: plan } });
    server.fallback = { toolCall: { arguments: denyAll } };
    try {
      const r = await run(['generate', DONE_WHEN, '--max-rounds', '2', '--store', join(home, 'model.sqlite')], {
        OPENAI_BASE_URL: server.baseURL,
        OPENAI_API_KEY: 'sk-cli-secret-0123456789',
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/round 2/);
      expect(r.stderr).toMatch(/dev pod allowed/);
      expect(r.stderr).not.toContain('sk-cli-secret');
      expect(server.chatRequests().length).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('with OPENAI_BASE_URL and no key runs the model path to a verified policy on stdout', async () => {
    const server = await startScriptedOpenAIServer();
    const prod = (ns: string, env: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: ns, labels: { env } },
      spec: { containers: [{ name: 'a', image: 'registry.example.com/a:1' }] },
    });
    server.push(
      {
        toolCall: {
          arguments: {
            rationale: 'deny env=prod pods in test',
            target: {
              type: 'Validating',
              resources: ['pods'],
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              scope: 'Namespaced',
              namespaces: ['test'],
            },
            steps: [],
            tests: [
              { name: 'prod pod in test denied', object: prod('test', 'prod'), expect: 'deny' },
              { name: 'dev pod in test allowed', object: prod('test', 'dev'), expect: 'allow' },
              { name: 'prod pod elsewhere allowed', object: prod('default', 'prod'), expect: 'allow' },
            ],
          },
        },
      },
      {
        toolCall: {
          arguments: {
            explanation: 'x',
            plan: 'x',
            spec: {
              type: 'Validating',
              operations: ['CREATE', 'UPDATE'],
              resources: ['pods'],
              apiGroups: [''],
              javascript:
                "if (request.object?.metadata?.labels?.env === 'prod') { deny('env=prod pods are not allowed in test'); }",
            },
          },
        },
      },
      { toolCall: { arguments: { reasoning: 'ok', success: true, critique: '' } } },
    );
    try {
      const r = await run(['generate', DONE_WHEN, '--store', join(home, 'model-ok.sqlite')], {
        OPENAI_BASE_URL: server.baseURL,
        POLICYFORGE_MODEL: 'local-model',
      });
      expect(r.code, r.stderr).toBe(0);
      const policy = parse(r.stdout);
      expect(policy.spec.namespaceSelector.matchExpressions).toContainEqual({
        key: 'kubernetes.io/metadata.name',
        operator: 'In',
        values: ['test'],
      });
      expect(r.stderr).toMatch(/critic: accepted/);
      expect(server.chatRequests().map((c) => c.body.model)).toEqual(['local-model', 'local-model', 'local-model']);
    } finally {
      await server.close();
    }
  });

  it("two related intents in a row (issue 5): the second run's --json lists the skill the first taught and a reviewer approved; the first intent again costs no model call", async () => {
    const server = await startScriptedOpenAIServer();
    server.fallback = privilegedModel;
    const store = join(home, 'related.sqlite');
    const env = { OPENAI_BASE_URL: server.baseURL, POLICYFORGE_MODEL: 'scripted' };
    try {
      const first = await run(['generate', INTENT_ALL, '--json', '--store', store], env);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).skillsAdded).toContain('privilegedContainers@1');
      const review = await run([
        'skills',
        'approve',
        'privilegedContainers@1',
        '--reviewer',
        'alice',
        '--comment',
        'pure, tested',
        '--store',
        store,
      ]);
      expect(review.code, review.stderr).toBe(0);

      const second = JSON.parse((await run(['generate', INTENT_PROD, '--json', '--store', store], env)).stdout);
      expect(second).toMatchObject({ status: 'succeeded', source: 'model' });
      expect(second.skillsUsed).toContain('privilegedContainers@1');

      const calls = server.chatRequests().length;
      const again = JSON.parse((await run(['generate', INTENT_ALL, '--json', '--store', store], env)).stdout);
      expect(again).toMatchObject({ status: 'succeeded', source: 'library', usage: { calls: 0 } });
      expect(server.chatRequests()).toHaveLength(calls);
    } finally {
      await server.close();
    }
  });

  it('rejects a bad --max-rounds, --namespace-hint or --mode with exit 2, naming the flag and the limit', async () => {
    const lots = await run(['generate', DONE_WHEN, '--max-rounds', 'lots']);
    expect(lots.code).toBe(2);
    expect(lots.stderr).toContain('PF_ERR_INPUT_INVALID: --max-rounds: must be a whole number in 1..20, got lots');
    // the intent's limits are common/schemas.ts's: 20 rounds is allowed here as in the API and the queue
    const many = await run(['generate', DONE_WHEN, '--max-rounds', '21']);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('--max-rounds: must be a whole number in 1..20, got 21');
    const ns = await run(['generate', DONE_WHEN, '--namespace-hint', 'team-a,Not_A_Namespace']);
    expect(ns.code).toBe(2);
    expect(ns.stderr).toContain('--namespace-hint: "Not_A_Namespace" is not a namespace name');
    const both = await run(['generate', DONE_WHEN, '--mode', 'Loud', '--max-rounds', '0']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      '--mode: must be Enforce, Warn or Audit, not "Loud"; --max-rounds: must be a whole number in 1..20, got 0',
    );
  });
});
