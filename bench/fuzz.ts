import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetPath, type JsPolicy, type TestCase } from '../common/index.js';
import { fuzzPolicy, harden, type SuiteRunner } from '../critic/index.js';
import { createSandbox, parsePolicy, parseSuite, type SandboxRunner } from '../sandbox/index.js';
import type { BenchSection } from './benches.js';

/**
 * Fuzzing the 16 shared intent suites' reference policies (hardened, as the loop verifies them), plus the
 * user's IAMPolicy draft that must crash: wall time per policy and in total, sandbox runs, crashes found.
 * Inline isolation (isolates in this process) and process isolation (a pool of 2 children).
 */
export async function run(): Promise<BenchSection> {
  const dir = process.env.POLICYFORGE_INTENTS_DIR ?? join(assetPath(), '..', 'shared', 'intents');
  const refs = readdirSync(dir)
    .filter((f) => f.endsWith('.policy.yaml'))
    .sort()
    .map((f) => {
      const id = f.replace(/\.policy\.yaml$/, '');
      const suite = parseSuite(readFileSync(join(dir, `${id}.yaml`), 'utf8'), `${id}.yaml`);
      return { id, cases: suite.cases, policy: harden(parsePolicy(readFileSync(join(dir, f), 'utf8'), f), undefined, { text: suite.intent }) };
    });
  const iam = refs.find((r) => r.id === 'iampolicy-no-project');
  const draft: JsPolicy = {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'user-iam-draft.example.com' },
    spec: { operations: ['CREATE', 'UPDATE'], resources: ['iampolicies'], apiGroups: ['configconnector.cnrm.cloud.google.com'], javascript: "if (request.object.spec.resourceRef.kind === 'Project') deny('no')" },
  };
  const targets = [...refs, ...(iam ? [{ id: 'user IAMPolicy draft (must crash)', cases: iam.cases, policy: draft }] : [])];

  const rows: string[] = [];
  const totals: string[] = [];
  for (const isolation of ['inline', 'process'] as const) {
    const sandbox = createSandbox({ isolation, processes: 2 });
    try {
      await sandbox.runSuite(targets[0].policy, targets[0].cases); // warm-up: isolate creation, child start
      let runs = 0;
      const counting: SuiteRunner = {
        runSuite: async (p, cases, o) => {
          runs += cases.length;
          return (sandbox as SandboxRunner).runSuite(p, cases as TestCase[], o);
        },
      };
      const started = performance.now();
      for (const t of targets) {
        const before = runs;
        const t0 = performance.now();
        const crashes = await fuzzPolicy(t.policy, t.cases, counting);
        const ms = performance.now() - t0;
        if (isolation === 'inline') rows.push(`| ${t.id} | ${t.cases.length} | ${runs - before} | ${crashes.length} | ${ms.toFixed(0)} |`);
      }
      const total = performance.now() - started;
      totals.push(`| ${isolation} | ${targets.length} | ${runs} | ${(total / 1000).toFixed(2)} s | ${(runs / (total / 1000)).toFixed(0)} |`);
    } finally {
      await sandbox.close();
    }
  }
  return {
    title: 'Fuzzing the 16 intent suites (critic)',
    markdown: [
      'Command: `npm run bench -- fuzz`. Each reference policy of `../shared/intents` is hardened and fuzzed',
      'with its own suite as seeds (variants of every case object, catalog-generated objects, shrinking of every',
      'crash), plus the user\'s IAMPolicy draft, which must crash. "Runs" counts sandbox executions, shrinking included.',
      '',
      '| isolation | policies | runs | wall time | runs/s |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...totals,
      '',
      'Per policy (inline isolation):',
      '',
      '| policy | cases | runs | crashes | ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
  };
}
