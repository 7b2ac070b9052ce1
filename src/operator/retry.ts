import { ApiException } from '@kubernetes/client-node';
import { isPolicyforgeError } from '../../common/index.js';

/** What went wrong in a call to the Kubernetes API, from client-node's ApiException or a network error. */
export interface KubeErrorInfo {
  /** HTTP status; undefined for network errors and timeouts. */
  status?: number;
  /** The Status reason: Conflict, AlreadyExists, NotFound, Invalid, … */
  reason?: string;
  message: string;
  /** Causes listed by the API server (validation and admission errors), one line each. */
  causes: string[];
}

export function kubeErrorInfo(err: unknown): KubeErrorInfo {
  if (
    err instanceof ApiException ||
    (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'number' && 'body' in err)
  ) {
    const e = err as ApiException<unknown>;
    const body = statusBody(e.body);
    const causes = (Array.isArray(body.details?.causes) ? body.details.causes : []).map((c) =>
      [c?.field, c?.message].filter(Boolean).join(': '),
    );
    return { status: e.code, reason: body.reason, message: body.message ?? `HTTP ${e.code}`, causes };
  }
  const message =
    err instanceof Error
      ? `${err.name === 'AbortError' || err.name === 'TimeoutError' ? 'request timed out: ' : ''}${err.message}`
      : String(err);
  return { message, causes: [] };
}

/** The fields of a Kubernetes Status body that errors are reported with (a string body is its message). */
interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string } | null> };
}

function statusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return statusBody(JSON.parse(body));
    } catch {
      return { message: body };
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : {};
}

export const isNotFound = (err: unknown): boolean => kubeErrorInfo(err).status === 404;
export const isConflict = (err: unknown): boolean =>
  kubeErrorInfo(err).status === 409 && kubeErrorInfo(err).reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => kubeErrorInfo(err).reason === 'AlreadyExists';

/**
 * Worth trying again: network errors, timeouts, 429 and 5xx, and (when asked) write conflicts. A
 * PolicyforgeError says so itself (its `retryable`): a JsPolicy owned by someone else stays so.
 */
export function isRetryable(err: unknown, options: { conflicts?: boolean } = {}): boolean {
  if (isPolicyforgeError(err)) return err.retryable;
  const info = kubeErrorInfo(err);
  if (info.status === undefined) return true;
  if (info.status === 429 || info.status >= 500) return true;
  return !!options.conflicts && info.status === 409;
}

export interface RetryOptions {
  /** Attempts after the first. @defaultValue 6 */
  retries?: number;
  /** First backoff; doubled each attempt, with ±20% jitter. @defaultValue 200 */
  baseDelayMs?: number;
  /** @defaultValue 10000 */
  maxDelayMs?: number;
  /** Retry 409 Conflict too: only for read-modify-write functions that re-read the object. @defaultValue false */
  conflicts?: boolean;
  /** Injected so backoff is tested without sleeping. @defaultValue setTimeout */
  delay?: (ms: number) => Promise<void>;
  /** Called before each retry (logging, metrics). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Random source for jitter. @defaultValue Math.random */
  random?: () => number;
}

export const defaultDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, retrying retryable API errors with exponential backoff. The last error is rethrown. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 6;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const delay = options.delay ?? defaultDelay;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !isRetryable(err, { conflicts: options.conflicts })) throw err;
      const ms = Math.round(Math.min(max, base * 2 ** attempt) * (0.8 + 0.4 * random()));
      options.onRetry?.(err, attempt + 1, ms);
      await delay(ms);
    }
  }
}
