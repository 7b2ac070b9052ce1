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
  /** HOST. @defaultValue '0.0.0.0'; '127.0.0.1' when auth is off (--insecure-no-auth) and HOST is not set */
  host: string;
  /** POLICYFORGE_API_TOKEN; undefined only with --insecure-no-auth. */
  apiToken?: string;
  /** POLICYFORGE_ADMIN_TOKEN: writes on /admin/queues and Redis's server details; unset = the dashboard is read-only. */
  adminToken?: string;
  /** POLICYFORGE_REQUEST_TIMEOUT_MS: time to receive a whole request (headers and body). @defaultValue 30000 */
  requestTimeoutMs: number;
  /** POLICYFORGE_TEST_MAX_CASES: cases per POST /v1/policies/test. @defaultValue 200 */
  testMaxCases: number;
  /** POLICYFORGE_TEST_TIME_LIMIT_MS: wall-clock time per POST /v1/policies/test. @defaultValue 20000 */
  testTimeLimitMs: number;
  /** POLICYFORGE_TEST_MAX_OUTPUT_BYTES: answer size per POST /v1/policies/test. @defaultValue 1048576 */
  testMaxOutputBytes: number;
  /** POLICYFORGE_TEST_RATE_LIMIT_PER_MINUTE: policy tests a client may run per minute (0 = unlimited). @defaultValue 30 */
  testsPerMinute: number;
  /** POLICYFORGE_TEST_SANDBOX_PROCESSES: the test route's own sandbox children (generation keeps its own). @defaultValue 1 */
  testSandboxProcesses: number;
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
  requestTimeoutMs: 30_000,
  testMaxCases: 200,
  testTimeLimitMs: 20_000,
  testMaxOutputBytes: 1_048_576,
  testsPerMinute: 30,
  testSandboxProcesses: 1,
} as const;

/** The shortest API token accepted: a guessable token is worse than none because it looks safe. */
export const MIN_TOKEN_LENGTH = 16;
/** The least estimated entropy of a token (`openssl rand -hex 32` has 256 bits). */
export const MIN_TOKEN_BITS = 128;
/** The fewest distinct characters in a token: `aaaa…` or `abab…` is long but guessable. */
export const MIN_TOKEN_DISTINCT = 10;

/**
 * Why a token is too weak, or undefined. The entropy estimate is length × log2(alphabet), the alphabet
 * being the character classes used (hex digits only: 16); repetition is caught by the distinct-character
 * count. A token needs both MIN_TOKEN_BITS and MIN_TOKEN_DISTINCT.
 */
export function tokenWeakness(name: string, token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH)
    return `${name} is too short (${token.length} characters): use at least ${MIN_TOKEN_LENGTH}`;
  const distinct = new Set(token).size;
  const hex = /^[0-9a-f]+$/i.test(token);
  const alphabet = hex
    ? 16
    : (/[a-z]/.test(token) ? 26 : 0) +
      (/[A-Z]/.test(token) ? 26 : 0) +
      (/[0-9]/.test(token) ? 10 : 0) +
      (/[^A-Za-z0-9]/.test(token) ? 32 : 0);
  const bits = Math.floor(token.length * Math.log2(alphabet));
  const fix = 'use a random secret, e.g. `openssl rand -hex 32`';
  if (distinct < MIN_TOKEN_DISTINCT)
    return `${name} uses only ${distinct} distinct character(s), so it is guessable: ${fix}`;
  if (bits < MIN_TOKEN_BITS)
    return `${name} is too weak (about ${bits} bits of entropy, ${MIN_TOKEN_BITS} needed): ${fix}`;
  return undefined;
}

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
  const integer = (
    name: string,
    fallback: number,
    min: number,
    max: number,
    raw: string | number | undefined = text(name),
  ): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const redisUrl = text('REDIS_URL') ?? SERVICE_DEFAULTS.redisUrl;
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl))
    problems.push(
      `REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(redisUrl.replace(/:[^:@/]*@/, ':[redacted]@'))}`,
    );

  const role = flags.role ?? 'all';
  const apiToken = text('POLICYFORGE_API_TOKEN');
  if (role !== 'worker') {
    if (!apiToken && !flags.insecureNoAuth) {
      problems.push(
        'POLICYFORGE_API_TOKEN is not set: set it to a random secret (e.g. `openssl rand -hex 32`), or pass --insecure-no-auth for a local experiment',
      );
    } else if (apiToken) {
      const weak = tokenWeakness('POLICYFORGE_API_TOKEN', apiToken);
      if (weak) problems.push(weak);
    }
  }
  const adminToken = text('POLICYFORGE_ADMIN_TOKEN');
  if (adminToken && role !== 'worker') {
    const weak = tokenWeakness('POLICYFORGE_ADMIN_TOKEN', adminToken);
    if (weak) problems.push(weak);
    else if (adminToken === apiToken)
      problems.push('POLICYFORGE_ADMIN_TOKEN must differ from POLICYFORGE_API_TOKEN: the admin token grants more');
    else if (!apiToken)
      problems.push('POLICYFORGE_ADMIN_TOKEN needs POLICYFORGE_API_TOKEN: without auth there is no admin');
  }
  // With auth off, only this machine may connect unless HOST says otherwise.
  const host = text('HOST') ?? (!apiToken && role !== 'worker' ? '127.0.0.1' : SERVICE_DEFAULTS.host);

  const concurrencyName = flags.concurrency !== undefined ? '--concurrency' : 'POLICYFORGE_CONCURRENCY';
  const config: ServiceConfig = {
    redisUrl,
    port: integer('PORT', SERVICE_DEFAULTS.port, 0, 65_535),
    host,
    ...(apiToken ? { apiToken } : {}),
    ...(adminToken && apiToken && role !== 'worker' ? { adminToken } : {}),
    queuePrefix: text('POLICYFORGE_QUEUE_PREFIX') ?? SERVICE_DEFAULTS.queuePrefix,
    skillPrefix: text('POLICYFORGE_SKILL_PREFIX') ?? SERVICE_DEFAULTS.skillPrefix,
    concurrency: integer(
      concurrencyName,
      SERVICE_DEFAULTS.concurrency,
      1,
      64,
      flags.concurrency ?? text('POLICYFORGE_CONCURRENCY'),
    ),
    retentionDays: integer('POLICYFORGE_RESULT_RETENTION_DAYS', SERVICE_DEFAULTS.retentionDays, 1, 3650),
    jobAttempts: integer('POLICYFORGE_JOB_ATTEMPTS', SERVICE_DEFAULTS.jobAttempts, 1, 20),
    bodyLimitBytes: integer('POLICYFORGE_BODY_LIMIT_BYTES', SERVICE_DEFAULTS.bodyLimitBytes, 1024, 16 * 1024 * 1024),
    intentsPerMinute: integer('POLICYFORGE_RATE_LIMIT_PER_MINUTE', SERVICE_DEFAULTS.intentsPerMinute, 0, 100_000),
    sandboxProcesses: integer('POLICYFORGE_SANDBOX_PROCESSES', SERVICE_DEFAULTS.sandboxProcesses, 1, 32),
    shutdownGraceMs: integer('POLICYFORGE_SHUTDOWN_GRACE_MS', SERVICE_DEFAULTS.shutdownGraceMs, 0, 3_600_000),
    requestTimeoutMs: integer('POLICYFORGE_REQUEST_TIMEOUT_MS', SERVICE_DEFAULTS.requestTimeoutMs, 1000, 600_000),
    testMaxCases: integer('POLICYFORGE_TEST_MAX_CASES', SERVICE_DEFAULTS.testMaxCases, 1, 10_000),
    testTimeLimitMs: integer('POLICYFORGE_TEST_TIME_LIMIT_MS', SERVICE_DEFAULTS.testTimeLimitMs, 100, 600_000),
    testMaxOutputBytes: integer(
      'POLICYFORGE_TEST_MAX_OUTPUT_BYTES',
      SERVICE_DEFAULTS.testMaxOutputBytes,
      1024,
      64 * 1024 * 1024,
    ),
    testsPerMinute: integer('POLICYFORGE_TEST_RATE_LIMIT_PER_MINUTE', SERVICE_DEFAULTS.testsPerMinute, 0, 100_000),
    testSandboxProcesses: integer('POLICYFORGE_TEST_SANDBOX_PROCESSES', SERVICE_DEFAULTS.testSandboxProcesses, 1, 32),
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
export function loadRunConfig(
  env: Env,
  flags: ServiceFlags,
  problems: string[] = [],
): { config: ServiceConfig; model?: ModelConfig } {
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
  if (problems.length || !config)
    throw new PolicyforgeError('PF_ERR_CONFIG', [problems.join('; ')], { details: { problems } });
  return { config, ...(model ? { model } : {}) };
}

/**
 * Where `policyforge operator` runs, from the Downward API (deploy/deployment.yaml sets both): POD_NAME is
 * the replica's identity in the leader-election Lease, POD_NAMESPACE the Lease's namespace. Unset outside
 * a pod; the operator then uses `<hostname>-<random>` and 'policyforge-system'.
 */
export interface OperatorEnvironment {
  /** POD_NAME */
  podName?: string;
  /** POD_NAMESPACE */
  podNamespace?: string;
}

export function loadOperatorEnvironment(env: Env = process.env): OperatorEnvironment {
  const podName = env.POD_NAME?.trim() || undefined;
  const podNamespace = env.POD_NAMESPACE?.trim() || undefined;
  return { ...(podName ? { podName } : {}), ...(podNamespace ? { podNamespace } : {}) };
}
