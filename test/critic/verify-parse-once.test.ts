import { afterAll, describe, expect, it } from 'vitest';
import type { JsPolicy, TestCase } from '../../common/index.js';
import { policyCodeParses } from '../../common/policy-code.js';
import { verify } from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { podsPlan } from '../support/plans.js';

const sandbox = createSandbox();
afterAll(() => sandbox.close());

const pod = (labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'test', labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

describe('verify parses the draft once', () => {
  it('the lints, the scope experiment, the suite and the fuzzer share one parse of spec.javascript', async () => {
    // A source no other test parsed: the parse cache is per process.
    const javascript = `// ${process.pid}-${Date.now()}\nif (request.object?.metadata?.labels?.env === 'prod') {\n  deny('env=prod pods are not allowed');\n}\n`;
    const draft: JsPolicy = {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: 'no-prod-pods.example.com' },
      spec: { operations: ['CREATE'], resources: ['pods'], failurePolicy: 'Ignore', timeoutSeconds: 5, javascript },
    };
    const tests: TestCase[] = [
      { name: 'prod', expect: 'deny', namespace: 'test', object: pod({ env: 'prod' }) },
      { name: 'dev', expect: 'allow', namespace: 'test', object: pod({ env: 'dev' }) },
    ];
    const plan = podsPlan(tests);
    const before = policyCodeParses();
    const report = await verify(draft, plan, { sandbox });
    // Every stage that reads the code ran: the lints, the suite, and the fuzzer after it.
    expect(report.suite?.passed, JSON.stringify(report.findings)).toBe(true);
    expect(report.findings.filter((f) => f.rule.startsWith('code/'))).toEqual([]);
    expect(policyCodeParses() - before).toBe(1);
  });
});
