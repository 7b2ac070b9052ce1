import { dirname } from 'node:path';
import { INPUT_FILE_MAX_BYTES, PolicyforgeError, readInputFile, type FuzzCrash } from '../../../common/index.js';
// The sandbox's modules, not its index: a suite run does not need the replayer the index also loads
// (--against loads it through against.ts).
import { escapeForTerminal, formatSuiteResult } from '../../../sandbox/format.js';
import { runLimit } from '../../../sandbox/outcome.js';
import { createSandbox } from '../../../sandbox/runner.js';
import { loadPolicyBundles, loadPolicyFile, loadSuite } from '../../../sandbox/suite.js';
import type { RegisterCommand } from './index.js';

/** Size-capped, regular files only (common/input-file.ts), as suites and policies are read. */
async function readGlobalContext(path: string): Promise<string> {
  return readInputFile(path, { maxBytes: INPUT_FILE_MAX_BYTES });
}

interface TestFlags {
  policy: string;
  json?: boolean;
  fuzz?: boolean;
  isolation: string;
  maxTimeoutMs?: string;
  globalContext?: string;
  against?: string[];
  failOn?: string;
  kubeconfig?: string;
  context?: string;
  bundle?: string;
  vmWaitMs?: string;
}

/**
 * `policyforge test SUITE.yaml --policy POLICY.yaml [--json] [--fuzz]`: runs every case of the suite against the
 * JsPolicy in the sandbox. Exit 0 when all pass, 1 when a case fails, 2 for unusable input (the error
 * names the file, the case and the field; mapped in exit-codes.ts from the error's code).
 * The impact preview (against.ts → src/impact) and the fuzzer (critic/) are loaded only when asked for:
 * a plain suite run is the start-up path CI pays for every policy (docs/benchmarks.md, CLI start-up).
 */
export const registerTest: RegisterCommand = (program, { setExit, io }) => {
  program
    .command('test')
    .description('run a suite of admission cases against a JsPolicy in the sandbox')
    .argument('[suite]', 'suite YAML (format: ../shared/intents/README.md)')
    .requiredOption('--policy <file>', 'JsPolicy YAML')
    .option(
      '--against <source...>',
      'instead of a suite: replay manifests, Lists, audit logs (files, folders, - for stdin) or `cluster` through the policy (impact preview)',
    )
    .option(
      '--fail-on <verdict>',
      'with --against: exit 1 when an object would be denied (deny) or denied or warned (warn)',
    )
    .option(
      '--kubeconfig <file>',
      'with --against cluster: kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)',
    )
    .option('--context <name>', 'with --against cluster: kubeconfig context')
    .option('--json', 'print the result as JSON')
    .option('--fuzz', 'also search for objects on which the policy throws (denied with 500); exit 1 on any')
    .option(
      '--isolation <mode>',
      "'process' (a child process: a crash of the policy's isolate is exit 3, never this process's death) or 'inline' (this process)",
      'process',
    )
    .option(
      '--global-context <file>',
      "JavaScript run in every context before the policy, as jsPolicy's GLOBAL_CONTEXT environment variable",
    )
    .option(
      '--max-timeout-ms <ms>',
      "cap one case below jsPolicy's own limit (spec.timeoutSeconds, else 10 s); by default the policy's own limit applies",
    )
    .option(
      '--bundle <file>',
      'JsPolicyBundle YAML: what a policy without spec.javascript runs (it may also follow the policy in its own file, after ---)',
    )
    .option(
      '--vm-wait-ms <ms>',
      "each request first waits this long for one of jsPolicy's VMs, all busy (VM_POOL_SIZE); past the policy's deadline failurePolicy decides",
    )
    .action(async (suitePath: string | undefined, opts: TestFlags) => {
      if (opts.isolation !== 'inline' && opts.isolation !== 'process') {
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
          '--isolation',
          `must be inline or process, not ${opts.isolation}`,
        ]);
      }
      const maxTimeoutMs = opts.maxTimeoutMs === undefined ? undefined : Number(opts.maxTimeoutMs);
      if (maxTimeoutMs !== undefined && (!Number.isInteger(maxTimeoutMs) || maxTimeoutMs < 1)) {
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
          '--max-timeout-ms',
          `must be a positive integer, not ${opts.maxTimeoutMs}`,
        ]);
      }
      const vmWaitMs = opts.vmWaitMs === undefined ? 0 : Number(opts.vmWaitMs);
      if (!Number.isInteger(vmWaitMs) || vmWaitMs < 0)
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
          '--vm-wait-ms',
          `must be a whole number of ms, not ${opts.vmWaitMs}`,
        ]);
      if (opts.against) {
        if (suitePath !== undefined)
          throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
            '--against',
            `replays objects instead of a suite: drop ${suitePath} or --against`,
          ]);
        const { testAgainst } = await import('./against.js');
        return testAgainst(opts.policy, opts.against, { ...opts, maxTimeoutMs }, { setExit, io });
      }
      if (suitePath === undefined)
        throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
          'test',
          'give a suite file, or --against SOURCE for an impact preview',
        ]);
      const [suite, { policy, bundles }, globalContext, given] = await Promise.all([
        loadSuite(suitePath),
        loadPolicyFile(opts.policy),
        opts.globalContext === undefined ? undefined : readGlobalContext(opts.globalContext),
        opts.bundle === undefined ? [] : loadPolicyBundles(opts.bundle),
      ]);
      // Relative file: dependencies resolve against the policy file's folder, as a package.json's do against its own.
      const sandbox = createSandbox({
        isolation: opts.isolation,
        processes: 1,
        maxTimeoutMs: maxTimeoutMs ?? null,
        globalContext,
        bundles: [...bundles, ...given],
        bundling: { baseDir: dirname(opts.policy) },
      });
      const limit = runLimit(policy, maxTimeoutMs);
      const limitText = `${limit.limitMs} ms per case (${limit.limitSource === 'policy' ? 'spec.timeoutSeconds' : limit.limitSource === 'default' ? "jsPolicy's default" : "--max-timeout-ms, below the policy's own limit"})${vmWaitMs ? `; each request first waits ${vmWaitMs} ms for a free VM (--vm-wait-ms)` : ''}`;
      try {
        const result = await sandbox.runSuite(policy, suite, { vmWaitMs });
        let fuzz: FuzzCrash[] | undefined;
        if (opts.fuzz && !result.compileError) {
          const { fuzzPolicy } = await import('../../../critic/index.js');
          fuzz = await fuzzPolicy(policy, suite.cases, sandbox);
        }
        if (opts.json) {
          io.stdout.write(
            `${JSON.stringify({ suite: suitePath, policy: policy.metadata.name, intent: suite.intent, limit: vmWaitMs ? { ...limit, vmWaitMs } : limit, ...result, ...(fuzz ? { fuzz } : {}) }, null, 2)}\n`,
          );
        } else {
          // Names, intent, messages and prints may come from a model or a policy: escaped, never raw.
          io.stdout.write(
            `${escapeForTerminal(suitePath, 500)}  ×  ${policy.metadata.name}\n${escapeForTerminal(suite.intent)}\ntime limit: ${limitText}\n\n${formatSuiteResult(result)}\n`,
          );
          if (fuzz)
            io.stdout.write(
              `\nfuzz: ${fuzz.length ? `${fuzz.length} crash(es)` : 'no crash found'}\n${fuzz.map((c) => `✗ denies with 500 on ${escapeForTerminal(c.from, 200)} with ${escapeForTerminal(c.mutation, 200)}: ${escapeForTerminal(c.error)}\n  smallest object: ${escapeForTerminal(JSON.stringify(c.object))}\n`).join('')}`,
            );
        }
        setExit(result.passed && !fuzz?.length ? 0 : 1);
      } finally {
        await sandbox.close();
      }
    });
};
