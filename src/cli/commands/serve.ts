import type { ModelConfig } from '../../../agents/index.js';
import { loadRunConfig, type ServiceConfig } from '../../config.js';
import { startService, type ServiceRole } from '../../serve.js';
import type { RegisterCommand } from './index.js';

interface ServeFlags {
  apiOnly?: boolean;
  workerOnly?: boolean;
  concurrency?: string;
  insecureNoAuth?: boolean;
}

/** `policyforge serve [--api-only|--worker-only] [--concurrency N] [--insecure-no-auth]` */
export const registerServe: RegisterCommand = (program, { setExit, io }) => {
  program
    .command('serve')
    .description(
      'run the HTTP API and generation workers on Redis (REDIS_URL, PORT, POLICYFORGE_API_TOKEN, model settings)',
    )
    .option('--api-only', 'serve HTTP only; workers run elsewhere')
    .option('--worker-only', 'run generation workers only (answers /healthz and /metrics on PORT)')
    .option('--concurrency <n>', 'jobs each worker runs at once (default POLICYFORGE_CONCURRENCY or 2)')
    .option('--insecure-no-auth', 'serve without POLICYFORGE_API_TOKEN (local experiments only)')
    .action(async (flags: ServeFlags) => {
      const role: ServiceRole = flags.apiOnly ? 'api' : flags.workerOnly ? 'worker' : 'all';
      const { config, model } = readConfiguration(flags, role, io.env);
      // Listen before starting, so a SIGTERM during start-up still shuts down gracefully.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      const service = await startService({ config, model, role });
      io.stdout.write(`policyforge serving (${role === 'all' ? 'API + worker' : role}) on ${service.url}\n`);
      const signal = await stopped;
      io.stdout.write(`policyforge: ${signal}: finishing running jobs, then stopping\n`);
      await service.close();
      setExit(0);
    });
};

/** Service and model settings, validated together: every mistake in one message, each naming its variable or flag. */
function readConfiguration(
  flags: ServeFlags,
  role: ServiceRole,
  env: NodeJS.ProcessEnv,
): { config: ServiceConfig; model?: ModelConfig } {
  const problems: string[] = [];
  if (flags.apiOnly && flags.workerOnly)
    problems.push('--api-only and --worker-only exclude each other: pass one, or neither for both');
  return loadRunConfig(env, { insecureNoAuth: flags.insecureNoAuth, concurrency: flags.concurrency, role }, problems);
}
