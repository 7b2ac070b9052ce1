// The modules themselves, not the packages' index files: lint runs no policy, so it loads neither the sandbox's
// runner (isolated-vm, the process pool, the bundler) nor the critic's fuzzer and verifier, and the cluster
// discovery code only with --kubeconfig (docs/benchmarks.md, CLI start-up).
import type { ApiCatalog } from '../../../catalog/index.js';
import { builtinCatalog } from '../../../catalog/catalog.js';
import type { Finding, Intent } from '../../../common/index.js';
import { lintPolicy } from '../../../critic/lint.js';
import { loadPolicyDocument } from '../../../sandbox/suite.js';
import type { RegisterCommand } from './index.js';

/**
 * `policyforge lint POLICY.yaml [--intent "…"] [--kubeconfig FILE] [--json]`: the critic's static checks
 * (schema, code, API catalog, safety). Exit 1 when any finding is blocking, 2 for unusable input.
 */
export const registerLint: RegisterCommand = (program, { setExit, io }) => {
  program
    .command('lint')
    .description('check a JsPolicy statically: schema, code, API catalog and blast radius')
    .argument('<policy>', 'JsPolicy YAML')
    .option('--intent <text>', 'the plain-language intent (its namespaces and operations sharpen the safety checks)')
    .option('--fail-policy-opt-in', 'the intent explicitly asks for failurePolicy Fail')
    .option('--kubeconfig <file>', 'merge the API resources this cluster serves into the catalog (discovery)')
    .option('--json', 'print the findings as JSON')
    .action(
      async (
        policyPath: string,
        opts: { intent?: string; failPolicyOptIn?: boolean; kubeconfig?: string; json?: boolean },
      ) => {
        // Schema problems are findings like any other: one run lists them all (exit 2 only for no policy at all).
        const policy = await loadPolicyDocument(policyPath);
        const intent: Intent | undefined =
          opts.intent !== undefined || opts.failPolicyOptIn
            ? {
                text: opts.intent ?? '',
                ...(opts.failPolicyOptIn ? { options: { failurePolicy: 'Fail' as const } } : {}),
              }
            : undefined;
        const catalog = opts.kubeconfig ? await clusterCatalog(opts.kubeconfig) : builtinCatalog();
        const findings = lintPolicy(policy, { catalog, intent });
        const blocking = findings.filter((f) => f.severity === 'blocking').length;
        if (opts.json) {
          io.stdout.write(
            `${JSON.stringify({ policy: policy.metadata?.name, file: policyPath, blocking, advisory: findings.length - blocking, findings }, null, 2)}\n`,
          );
        } else {
          io.stdout.write(
            `${policyPath}  ×  ${policy.metadata?.name ?? '(no name)'}\n${summary(findings, blocking)}\n${findings.map(line).join('\n')}${findings.length ? '\n' : ''}`,
          );
        }
        setExit(blocking ? 1 : 0);
      },
    );
};

async function clusterCatalog(file: string): Promise<ApiCatalog> {
  const [{ discoverCatalog }, { loadKubeConfig }] = await Promise.all([
    import('../../../catalog/discovery.js'),
    import('../kubeconfig.js'),
  ]);
  return discoverCatalog(await loadKubeConfig({ kubeconfig: file }));
}

function summary(findings: Finding[], blocking: number): string {
  if (!findings.length) return 'no findings';
  return `${blocking} blocking, ${findings.length - blocking} advisory`;
}

function line(f: Finding): string {
  return `${f.severity === 'blocking' ? 'BLOCKING' : 'advisory'} ${f.rule}${f.path ? ` (${f.path})` : ''}: ${f.message}\n  fix: ${f.fix}`;
}
