import type { FastifyError } from 'fastify';
import { PolicyforgeError, isPolicyforgeError, redactSecrets, type ErrorCode } from '../../common/index.js';
import { isRedisUnavailable } from '../../worker/index.js';

/** The one error shape of the API, for every status. Clients match on `error.code`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** Where schema-validation errors point: `body.text`, `query.state`, `params.id`. */
type Context = 'body' | 'querystring' | 'params' | 'headers';

/**
 * Maps anything thrown in a request to a PolicyforgeError. This is the only place HTTP statuses are chosen
 * for errors: PolicyforgeError codes carry their status (common/errors.ts); Fastify's own errors are
 * translated to the nearest code; anything else is a bug, answered as PF_ERR_INTERNAL without its text.
 */
export function toPolicyforgeError(err: unknown, limits: { bodyLimitBytes?: number } = {}): PolicyforgeError {
  if (isPolicyforgeError(err)) return err;
  const fe = err as FastifyError & { validationContext?: Context };
  if (fe?.validation) {
    const where = fe.validationContext === 'querystring' ? 'query' : (fe.validationContext ?? 'body');
    const fields = fe.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
      const path = `${where}${v.instancePath.replace(/\//g, '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`;
      if (missing.missingProperty) return { path: `${path}.${missing.missingProperty}`, message: 'is required' };
      if (missing.additionalProperty)
        return { path: `${path}.${missing.additionalProperty}`, message: 'is not a known field' };
      return { path, message: v.message ?? 'is invalid' };
    });
    return invalidInput(fields);
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PolicyforgeError('PF_ERR_PAYLOAD_TOO_LARGE', [
        `the request body is larger than the limit of ${limits.bodyLimitBytes ?? "the server's"} bytes`,
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PolicyforgeError('PF_ERR_UNSUPPORTED_MEDIA_TYPE', [
        fe.message.replace(/^Unsupported Media Type:?\s*/i, '') || '(none)',
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PolicyforgeError('PF_ERR_INPUT_INVALID', ['body', 'is empty; send a JSON object']);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new PolicyforgeError('PF_ERR_INPUT_INVALID', ['body', `is not valid JSON (${fe.message})`]);
    default:
  }
  if (err instanceof SyntaxError && (fe as { statusCode?: number }).statusCode === 400) {
    return new PolicyforgeError('PF_ERR_INPUT_INVALID', ['body', `is not valid JSON (${err.message})`]);
  }
  if (isRedisUnavailable(err))
    return new PolicyforgeError('PF_ERR_REDIS_UNAVAILABLE', [(err as Error).message], { cause: err });
  if (typeof fe?.statusCode === 'number' && fe.statusCode === 404)
    return new PolicyforgeError('PF_ERR_NOT_FOUND', [fe.message]);
  return new PolicyforgeError('PF_ERR_INTERNAL', ['the server failed to answer this request; see its log'], {
    cause: err,
  });
}

/** PF_ERR_INPUT_INVALID naming every bad field: `body.text: is required; body.options.x: is not a known field`. */
export function invalidInput(fields: Array<{ path: string; message: string }>): PolicyforgeError {
  const [first, ...rest] = fields;
  const message = [first.message, ...rest.map((f) => `${f.path}: ${f.message}`)].join('; ');
  return new PolicyforgeError('PF_ERR_INPUT_INVALID', [first.path, message], { details: { fields } });
}

export function errorBody(err: PolicyforgeError, secrets: readonly string[] = []): ErrorBody {
  return {
    error: {
      code: err.code,
      message: redactSecrets(err.message, secrets),
      ...(err.details ? { details: err.details } : {}),
    },
  };
}

/** JSON schema of ErrorBody for the OpenAPI document. */
export const errorBodySchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'Stable PF_ERR_… code (common/errors.ts)',
          example: 'PF_ERR_INPUT_INVALID',
        },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;
