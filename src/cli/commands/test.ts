import { PolicyforgeError, type FuzzCrash } from '../../../common/index.js';
import { fuzzPolicy } from '../../../critic/index.js';
import { createSandbox, formatSuiteResult, loadPolicy, loadSuite } from '../../../sandbox/index.js';
import { testAgainst } from './against.js';
import type { RegisterCommand } from './index.js';

/**
 * `policyforge test SUITE.yaml --policy POLICY.yaml [--json] [--fuzz]`: runs every case of the suite against the
 * JsPolicy in the sandbox. Exit 0 when all pass, 1 when a case fails, 2 for unusable input (the error
 * names the file, the case and the field; mapped in exit-codes.ts from the error's code).
 */
export const registerTest: RegisterCommand = (program, setExit) => {
  program
    .command('test')
    .description('run a suite of admission cases against a JsPolicy in the sandbox')
    .argument('[suite]', 'suite YAML (format: ../shared/intents/README.md)')
    .requiredOption('--policy <file>', 'JsPolicy YAML')
    .option('--against <source...>', 'instead of a suite: replay manifests, Lists, audit logs (files, folders, - for stdin) or `cluster` through the policy (impact preview)')
    .option('--fail-on <verdict>', 'with --against: exit 1 when an object would be denied (deny) or denied or warned (warn)')
    .option('--kubeconfig <file>', 'with --against cluster: kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'with --against cluster: kubeconfig context')
    .option('--json', 'print the result as JSON')
    .option('--fuzz', 'also search for objects on which the policy throws (denied with 500); exit 1 on any')
    .option('--isolation <mode>', "'inline' (this process) or 'process' (a child process)", 'inline')
    .option('--max-timeout-ms <ms>', 'upper bound of one case, spec.timeoutSeconds applies when lower', '2000')
    .action(async (suitePath: string | undefined, opts: { policy: string; json?: boolean; fuzz?: boolean; isolation: string; maxTimeoutMs: string; against?: string[]; failOn?: string; kubeconfig?: string; context?: string }) => {
      if (opts.isolation !== 'inline' && opts.isolation !== 'process') {
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['--isolation', `must be inline or process, not ${opts.isolation}`]);
      }
      const maxTimeoutMs = Number(opts.maxTimeoutMs);
      if (!Number.isInteger(maxTimeoutMs) || maxTimeoutMs < 1) {
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['--max-timeout-ms', `must be a positive integer, not ${opts.maxTimeoutMs}`]);
      }
      if (opts.against) {
        if (suitePath !== undefined) throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['--against', `replays objects instead of a suite: drop ${suitePath} or --against`]);
        return testAgainst(opts.policy, opts.against, { ...opts, maxTimeoutMs }, setExit);
      }
      if (suitePath === undefined) throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['test', 'give a suite file, or --against SOURCE for an impact preview']);
      const [suite, policy] = await Promise.all([loadSuite(suitePath), loadPolicy(opts.policy)]);
      const sandbox = createSandbox({ isolation: opts.isolation, processes: 1, maxTimeoutMs });
      try {
        const result = await sandbox.runSuite(policy, suite);
        const fuzz: FuzzCrash[] | undefined = opts.fuzz && !result.compileError ? await fuzzPolicy(policy, suite.cases, sandbox) : undefined;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ suite: suitePath, policy: policy.metadata.name, intent: suite.intent, ...result, ...(fuzz ? { fuzz } : {}) }, null, 2)}\n`);
        } else {
          process.stdout.write(`${suitePath}  ×  ${policy.metadata.name}\n${suite.intent}\n\n${formatSuiteResult(result)}\n`);
          if (fuzz) process.stdout.write(`\nfuzz: ${fuzz.length ? `${fuzz.length} crash(es)` : 'no crash found'}\n${fuzz.map((c) => `✗ denies with 500 on ${c.from} with ${c.mutation}: ${c.error}\n  smallest object: ${JSON.stringify(c.object)}\n`).join('')}`);
        }
        setExit(result.passed && !fuzz?.length ? 0 : 1);
      } finally {
        await sandbox.close();
      }
    });
};
