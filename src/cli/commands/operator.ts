import type { ModelConfig } from '../../../agents/index.js';
import { PolicyforgeError, logger } from '../../../common/index.js';
import { loadOperatorEnvironment, loadRunConfig, type ServiceConfig } from '../../config.js';
import { clusterDryRun, KubeClient, preflight, startOperator } from '../../operator/index.js';
import { startService, type RunningService } from '../../serve.js';
import { createGenerationQueue, waitForRedis } from '../../../worker/index.js';
import { loadKubeConfig } from '../kubeconfig.js';
import type { RegisterCommand } from './index.js';

interface OperatorFlags {
  kubeconfig?: string;
  context?: string;
  withWorker?: boolean;
  leaderElection: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  identity?: string;
  healthPort: string;
  resyncSeconds: string;
}

/**
 * `policyforge operator`: the GPTPolicy controller (docs/operator.md). Cluster access: --kubeconfig, else
 * KUBECONFIG or ~/.kube/config, else the in-cluster service account. Queue: REDIS_URL and
 * POLICYFORGE_QUEUE_PREFIX, shared with `policyforge serve` workers (or --with-worker runs one here).
 */
export const registerOperator: RegisterCommand = (program, { setExit, io }) => {
  program
    .command('operator')
    .description(
      'watch GPTPolicy resources and apply verified, owned JsPolicies (REDIS_URL, model settings, kubeconfig)',
    )
    .option('--kubeconfig <file>', 'kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(
      '--with-worker',
      'also run a generation worker in this process (otherwise `policyforge serve` workers take the jobs)',
    )
    .option('--no-leader-election', 'reconcile without a Lease (a single replica only)')
    .option(
      '--lease-namespace <ns>',
      'namespace of the leader-election Lease (default POD_NAMESPACE or policyforge-system)',
    )
    .option('--lease-name <name>', 'name of the Lease', 'policyforge-operator')
    .option('--identity <id>', 'this replica in the Lease (default POD_NAME or hostname)')
    .option('--health-port <port>', 'serve /healthz and /readyz on this port', '8081')
    .option('--resync-seconds <n>', 'reconcile every GPTPolicy again this often', '300')
    .action(async (flags: OperatorFlags) => {
      const { config, model } = readConfiguration(flags, io.env);
      const pod = loadOperatorEnvironment(io.env);
      const kubeConfig = await loadKubeConfig(flags);
      if (!kubeConfig.getCurrentCluster())
        throw new PolicyforgeError('PF_ERR_CONFIG', [
          'the kubeconfig has no current cluster; pass --kubeconfig or --context',
        ]);

      await preflight(new KubeClient(kubeConfig, { requestTimeoutMs: 10_000 }));

      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      let worker: RunningService | undefined;
      // the worker here has the operator's cluster access: its loop dry-runs every verified draft a GPTPolicy
      // owns, and a refusal is critic feedback for the next round of the same job
      if (flags.withWorker) {
        const dryRun = clusterDryRun(new KubeClient(kubeConfig));
        worker = await startService({ config, model, role: 'worker', dryRun });
      }
      // a wrong password, host, port or database fails at once, naming the cause; an absent Redis is waited for
      await waitForRedis(config.redisUrl, {
        waitMs: 30_000,
        onWaiting: (err) => logger().warn({ err: err.message }, 'waiting for Redis'),
      });
      const queue = createGenerationQueue({
        connection: config.redisUrl,
        prefix: config.queuePrefix,
        attempts: config.jobAttempts,
      });
      const operator = await startOperator({
        kubeConfig,
        queue,
        identity: flags.identity ?? pod.podName,
        leaderElection: flags.leaderElection,
        leaseNamespace: flags.leaseNamespace ?? pod.podNamespace,
        leaseName: flags.leaseName,
        healthPort: Number(flags.healthPort),
        controller: { resyncIntervalMs: Number(flags.resyncSeconds) * 1000 },
        logger: logger(),
      });
      io.stdout.write(
        `policyforge operator ${operator.identity} watching GPTPolicies on ${kubeConfig.getCurrentCluster()?.server}` +
          `${flags.withWorker ? ` with a worker (model: ${model?.model ?? 'offline'})` : ''}; health on ${operator.healthUrl}\n`,
      );
      const signal = await stopped;
      io.stdout.write(`policyforge operator: ${signal}: releasing the lease and stopping\n`);
      await operator.stop();
      await queue.close();
      await worker?.close();
      setExit(0);
    });
};

function readConfiguration(
  flags: OperatorFlags,
  env: NodeJS.ProcessEnv,
): { config: ServiceConfig; model?: ModelConfig } {
  const problems: string[] = [];
  for (const [flag, value] of [
    ['--health-port', flags.healthPort],
    ['--resync-seconds', flags.resyncSeconds],
  ] as const) {
    if (!/^\d+$/.test(value)) problems.push(`${flag} must be a whole number, not "${value}"`);
  }
  return loadRunConfig(env, { role: 'worker' }, problems);
}
