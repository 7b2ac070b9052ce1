import { loadModelConfig, type ModelConfig } from '../agents/index.js';
import { PolicyforgeError, isPolicyforgeError } from '../common/index.js';

/**
 * Service configuration (`policyforge serve`), read from the environment once at start-up. Every mistake
 * is reported at once, one line each, naming the variable; the service does not start with any of them.
 */
export interface ServiceConfig {
  /** REDIS_URL. @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** PORT. @defaultValue 8080 */
  port: number;
  /** HOST. @defaultValue '0.0.0.0' */
  host: string;
  /** POLICYFORGE_API_TOKEN; undefined only with --insecure-no-auth. */
  apiToken?: string;
  /** POLICYFORGE_QUEUE_PREFIX: BullMQ key prefix shared by API and workers. @defaultValue 'bull' */
  queuePrefix: string;
  /** POLICYFORGE_SKILL_PREFIX: key prefix of the Redis skill store. @defaultValue 'policyforge:skills:' */
  skillPrefix: string;
  /** --concurrency or POLICYFORGE_CONCURRENCY: jobs per worker process. @defaultValue 2 */
  concurrency: number;
  /** POLICYFORGE_RESULT_RETENTION_DAYS: how long results and transcripts are kept. @defaultValue 7 */
  retentionDays: number;
  /** POLICYFORGE_JOB_ATTEMPTS: attempts per job for transient errors. @defaultValue 3 */
  jobAttempts: number;
  /** POLICYFORGE_BODY_LIMIT_BYTES: largest request body. @defaultValue 262144 */
  bodyLimitBytes: number;
  /** POLICYFORGE_RATE_LIMIT_PER_MINUTE: intents a client may submit per minute (0 = unlimited). @defaultValue 60 */
  intentsPerMinute: number;
  /** POLICYFORGE_SANDBOX_PROCESSES: child processes running policy code. @defaultValue 2 */
  sandboxProcesses: number;
  /** POLICYFORGE_SHUTDOWN_GRACE_MS: how long running jobs may finish on SIGTERM. @defaultValue 30000 */
  shutdownGraceMs: number;
}

export const SERVICE_DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  port: 8080,
  host: '0.0.0.0',
  queuePrefix: 'bull',
  skillPrefix: 'policyforge:skills:',
  concurrency: 2,
  retentionDays: 7,
  jobAttempts: 3,
  bodyLimitBytes: 262_144,
  intentsPerMinute: 60,
  sandboxProcesses: 2,
  shutdownGraceMs: 30_000,
} as const;

/** The shortest API token accepted: a guessable token is worse than none because it looks safe. */
export const MIN_TOKEN_LENGTH = 16;

export interface ServiceFlags {
  /** --insecure-no-auth: serve without a token (local experiments only). */
  insecureNoAuth?: boolean;
  /** --concurrency N (wins over POLICYFORGE_CONCURRENCY). */
  concurrency?: string | number;
  /** Which parts run: the token is needed only where the API runs. @defaultValue 'all' */
  role?: 'all' | 'api' | 'worker';
}

type Env = Record<string, string | undefined>;

export function loadServiceConfig(env: Env = process.env, flags: ServiceFlags = {}): ServiceConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const integer = (name: string, fallback: number, min: number, max: number, raw: string | number | undefined = text(name)): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const redisUrl = text('REDIS_URL') ?? SERVICE_DEFAULTS.redisUrl;
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push(`REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(redisUrl.replace(/:[^:@/]*@/, ':[redacted]@'))}`);

  const role = flags.role ?? 'all';
  const apiToken = text('POLICYFORGE_API_TOKEN');
  if (role !== 'worker') {
    if (!apiToken && !flags.insecureNoAuth) {
      problems.push('POLICYFORGE_API_TOKEN is not set: set it to a random secret (e.g. `openssl rand -hex 32`), or pass --insecure-no-auth for a local experiment');
    } else if (apiToken && apiToken.length < MIN_TOKEN_LENGTH) {
      problems.push(`POLICYFORGE_API_TOKEN is too short (${apiToken.length} characters): use at least ${MIN_TOKEN_LENGTH}`);
    }
  }

  const concurrencyName = flags.concurrency !== undefined ? '--concurrency' : 'POLICYFORGE_CONCURRENCY';
  const config: ServiceConfig = {
    redisUrl,
    port: integer('PORT', SERVICE_DEFAULTS.port, 0, 65_535),
    host: text('HOST') ?? SERVICE_DEFAULTS.host,
    ...(apiToken ? { apiToken } : {}),
    queuePrefix: text('POLICYFORGE_QUEUE_PREFIX') ?? SERVICE_DEFAULTS.queuePrefix,
    skillPrefix: text('POLICYFORGE_SKILL_PREFIX') ?? SERVICE_DEFAULTS.skillPrefix,
    concurrency: integer(concurrencyName, SERVICE_DEFAULTS.concurrency, 1, 64, flags.concurrency ?? text('POLICYFORGE_CONCURRENCY')),
    retentionDays: integer('POLICYFORGE_RESULT_RETENTION_DAYS', SERVICE_DEFAULTS.retentionDays, 1, 3650),
    jobAttempts: integer('POLICYFORGE_JOB_ATTEMPTS', SERVICE_DEFAULTS.jobAttempts, 1, 20),
    bodyLimitBytes: integer('POLICYFORGE_BODY_LIMIT_BYTES', SERVICE_DEFAULTS.bodyLimitBytes, 1024, 16 * 1024 * 1024),
    intentsPerMinute: integer('POLICYFORGE_RATE_LIMIT_PER_MINUTE', SERVICE_DEFAULTS.intentsPerMinute, 0, 100_000),
    sandboxProcesses: integer('POLICYFORGE_SANDBOX_PROCESSES', SERVICE_DEFAULTS.sandboxProcesses, 1, 32),
    shutdownGraceMs: integer('POLICYFORGE_SHUTDOWN_GRACE_MS', SERVICE_DEFAULTS.shutdownGraceMs, 0, 3_600_000),
  };
  if (problems.length) {
    throw new PolicyforgeError('PF_ERR_CONFIG', [problems.join('; ')], { details: { problems } });
  }
  return config;
}

/**
 * Service and model settings validated together, for `serve` and `operator`: every mistake in one
 * PF_ERR_CONFIG, each naming its variable or flag. `problems` are the command's own flag mistakes.
 */
export function loadRunConfig(env: Env, flags: ServiceFlags, problems: string[] = []): { config: ServiceConfig; model?: ModelConfig } {
  let config: ServiceConfig | undefined;
  let model: ModelConfig | undefined;
  try {
    config = loadServiceConfig(env, flags);
  } catch (err) {
    if (!isPolicyforgeError(err, 'PF_ERR_CONFIG')) throw err;
    problems.push(...((err.details?.problems as string[] | undefined) ?? [err.message]));
  }
  try {
    model = loadModelConfig(env);
  } catch (err) {
    if (!isPolicyforgeError(err, 'PF_ERR_CONFIG')) throw err;
    problems.push(err.message.replace(/^configuration: /, ''));
  }
  if (problems.length || !config) throw new PolicyforgeError('PF_ERR_CONFIG', [problems.join('; ')], { details: { problems } });
  return { config, ...(model ? { model } : {}) };
}
