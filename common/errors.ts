/**
 * Every policyforge error, declared once (as Fastify does): a stable `code` that tests, clients and the
 * HTTP/CLI mappers match on, a message template, an HTTP status and a CLI exit code.
 *
 * Add new errors to ERRORS below; never match on message text anywhere.
 */

export interface ErrorSpec {
  /** HTTP status the API answers with. */
  status: number;
  /** CLI exit code: 2 = unusable input or configuration, 1 = ran but failed, 3 = a dependency is down. */
  exit: 1 | 2 | 3;
  /** Message template; `%s` placeholders are filled in order. */
  message: string;
  /** Worth retrying the same operation later (queue attempts, operator backoff). */
  retryable?: boolean;
}

export const ERRORS = {
  // input: suites, policies, intents, request bodies
  PF_ERR_INPUT_FILE: { status: 400, exit: 2, message: 'cannot read %s: %s' },
  PF_ERR_INPUT_YAML: { status: 400, exit: 2, message: '%s is not valid YAML: %s' },
  PF_ERR_INPUT_INVALID: { status: 400, exit: 2, message: '%s: %s' },
  PF_ERR_SUITE_INVALID: { status: 400, exit: 2, message: '%s: %s' },
  PF_ERR_POLICY_INVALID: { status: 400, exit: 2, message: '%s: %s' },
  PF_ERR_INTENT_INVALID: { status: 400, exit: 2, message: 'intent: %s' },
  PF_ERR_NOT_FOUND: { status: 404, exit: 2, message: '%s not found' },
  PF_ERR_CONFLICT: { status: 409, exit: 2, message: '%s' },

  // configuration
  PF_ERR_CONFIG: { status: 500, exit: 2, message: 'configuration: %s' },

  // sandbox
  PF_ERR_SANDBOX_CRASHED: { status: 500, exit: 3, message: 'sandbox process failed: %s', retryable: true },
  /** A JsPolicy's spec.dependencies could not be installed for bundling (offline, not in the registry, …). */
  PF_ERR_DEPENDENCY_INSTALL: { status: 422, exit: 2, message: "cannot install the policy's dependency %s: %s" },

  // models
  PF_ERR_MODEL_AUTH: {
    status: 502,
    exit: 2,
    message: 'the model provider refused the credentials (%s): check the API key',
  },
  PF_ERR_MODEL_NOT_FOUND: { status: 502, exit: 2, message: 'the model provider does not know %s' },
  PF_ERR_MODEL_UNAVAILABLE: { status: 503, exit: 3, message: 'the model provider is unavailable: %s', retryable: true },
  PF_ERR_MODEL_REQUEST: { status: 502, exit: 2, message: 'the model provider rejected the request (%s): %s' },
  PF_ERR_MODEL_OUTPUT: { status: 502, exit: 1, message: 'the model answered with unusable output: %s' },
  PF_ERR_MODEL_CONTEXT_TOO_LONG: {
    status: 502,
    exit: 2,
    message: 'the prompt is too long for the model: %s; use a model with a larger context or a shorter intent',
  },
  PF_ERR_OFFLINE_UNSUPPORTED: {
    status: 422,
    exit: 2,
    message: 'no model is configured and the offline planner does not understand this intent: %s',
  },

  // generation
  PF_ERR_GENERATION_FAILED: { status: 422, exit: 1, message: 'no verified policy after %s round(s): %s' },

  // stores and infrastructure
  PF_ERR_STORE_CORRUPT: {
    status: 500,
    exit: 3,
    message: 'the skill store at %s is unreadable (%s); it was left untouched',
  },
  PF_ERR_STORE_UNAVAILABLE: { status: 503, exit: 3, message: 'the skill store is unavailable: %s', retryable: true },
  PF_ERR_REVIEW_TRANSITION: { status: 409, exit: 2, message: '%s is %s and cannot become %s (allowed: %s)' },
  PF_ERR_SKILL_INVALID: { status: 400, exit: 2, message: '%s: %s' },
  PF_ERR_REDIS_UNAVAILABLE: { status: 503, exit: 3, message: 'Redis is unavailable: %s', retryable: true },
  PF_ERR_KUBE_API: { status: 502, exit: 3, message: 'Kubernetes API error: %s', retryable: true },
  PF_ERR_KUBE_CRD_MISSING: { status: 500, exit: 2, message: 'the cluster does not serve %s: %s' },

  // HTTP
  PF_ERR_UNAUTHORIZED: { status: 401, exit: 2, message: 'missing or invalid bearer token' },
  PF_ERR_FORBIDDEN: { status: 403, exit: 2, message: 'forbidden: %s' },
  PF_ERR_URI_TOO_LONG: { status: 414, exit: 2, message: 'the request URL is too long: %s' },
  PF_ERR_RATE_LIMITED: { status: 429, exit: 3, message: 'too many requests: %s', retryable: true },
  PF_ERR_PAYLOAD_TOO_LARGE: { status: 413, exit: 2, message: '%s' },
  PF_ERR_LIMIT_EXCEEDED: { status: 422, exit: 2, message: 'limit exceeded: %s' },
  PF_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    exit: 2,
    message: 'unsupported content type %s: send application/json',
  },
  PF_ERR_INTERNAL: { status: 500, exit: 1, message: 'internal error: %s' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class PolicyforgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exit: 1 | 2 | 3;
  readonly retryable: boolean;
  /** Structured detail for API bodies and `--json` output (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    args: readonly unknown[] = [],
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    const spec: ErrorSpec = ERRORS[code];
    super(format(spec.message, args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyforgeError';
    this.code = code;
    this.status = spec.status;
    this.exit = spec.exit;
    this.retryable = spec.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Shorthand: `pfError('PF_ERR_SUITE_INVALID', 'suite.yaml case "x"', 'expect must be …')`. */
export function pfError(code: ErrorCode, ...args: unknown[]): PolicyforgeError {
  return new PolicyforgeError(code, args);
}

export function isPolicyforgeError(err: unknown, code?: ErrorCode): err is PolicyforgeError {
  return err instanceof PolicyforgeError && (code === undefined || err.code === code);
}

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : ''));
}
