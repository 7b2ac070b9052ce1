import type { FastifyInstance } from 'fastify';
import { PolicyforgeError } from '../../../common/index.js';
import { parsePolicy } from '../../../sandbox/index.js';
import type { AgainstRef, GenerationQueue } from '../../../worker/index.js';
import {
  DEFAULT_DENY_THRESHOLD,
  impactHeadline,
  inspectUpload,
  loadUpload,
  previewUpload,
  storeUpload,
  uploadKey,
  type InspectedUpload,
  type UploadLimits,
} from '../../impact/index.js';
import { rateLimit, type RateLimitDeps } from '../rate-limit.js';

/**
 * The impact preview over HTTP (issue 14 item 3): what a policy would do to objects a client sends.
 *
 * - POST /v1/against stores an upload (raw YAML, JSON or audit-log JSON lines, up to `maxBytes`) and
 *   answers its id, for sources larger than a JSON request body may be;
 * - POST /v1/intents and POST /v1/impact take `against` inline (within the body limit) or `againstId`;
 * - POST /v1/impact previews a given JsPolicy against it, in a sandbox child process.
 */

const SHA256 = /^[0-9a-f]{64}$/;

/** Content types POST /v1/against reads as text; the parsers tell YAML, JSON and JSON lines apart themselves. */
const UPLOAD_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'text/plain',
];

const invalid = (field: string, message: string) => new PolicyforgeError('PF_ERR_INPUT_INVALID', [field, message]);

export interface AgainstDeps {
  queue: Pick<GenerationQueue, 'prefix' | 'client' | 'withRedis'>;
  limits: UploadLimits;
}

/** Body fields that name the objects to replay, on POST /v1/intents and POST /v1/impact. */
export interface AgainstFields {
  against?: unknown;
  againstId?: unknown;
  denyThreshold?: unknown;
}

export const againstBodyProperties = (limits: UploadLimits) => ({
  against: {
    description:
      'Objects to replay the verified policy against (the impact preview): YAML or JSON text (multi-document, ' +
      'Lists, audit-log JSON lines), a Kubernetes object, a List or an array of objects. ' +
      `At most ${limits.maxObjects} objects, within the request's body limit ` +
      '(larger: POST /v1/against, then againstId).',
    anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }, { type: 'array', items: {} }],
  },
  againstId: { type: 'string', description: 'The id POST /v1/against answered, instead of `against`.' },
  denyThreshold: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    description:
      'With against/againstId: a policy denying more than this share of the objects is reported ' +
      `(impact.overThreshold, safeToApply false), not passed as safe. Default ${DEFAULT_DENY_THRESHOLD}.`,
  },
});

/**
 * The upload a request names, checked (parsed by the CLI's parsers, bounded) and, with `store`, kept for
 * the worker; undefined when it names none. `againstId` must name an upload still kept.
 */
export async function resolveAgainst(
  fields: AgainstFields,
  deps: AgainstDeps,
  options: { store: boolean },
): Promise<{ ref: AgainstRef; upload: InspectedUpload } | undefined> {
  const { against, againstId, denyThreshold } = fields;
  const { queue, limits } = deps;
  if (against === undefined && againstId === undefined) {
    if (denyThreshold !== undefined) throw invalid('body.denyThreshold', 'applies only with against or againstId');
    return undefined;
  }
  if (against !== undefined && againstId !== undefined) {
    throw invalid('body.againstId', 'give against or againstId, not both');
  }
  const threshold = denyThreshold ?? DEFAULT_DENY_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw invalid('body.denyThreshold', 'must be a number from 0 to 1 (0.1 = 10 % of the objects)');
  }
  let upload: InspectedUpload;
  if (againstId !== undefined) {
    if (typeof againstId !== 'string' || !SHA256.test(againstId)) {
      throw invalid('body.againstId', 'must be the id POST /v1/against answered (64 hex digits)');
    }
    const text = await queue.withRedis(() => loadUpload(queue.client, queue.prefix, againstId));
    if (text === undefined) {
      const kept = `uploads are kept ${limits.ttlSeconds} s; upload it again`;
      throw new PolicyforgeError('PF_ERR_NOT_FOUND', [`against upload ${againstId} (${kept})`]);
    }
    upload = await inspectUpload(text, limits, 'againstId');
    // Named again: kept for this job as long as for a fresh upload.
    await queue.withRedis(() => queue.client.expire(uploadKey(queue.prefix, againstId), limits.ttlSeconds));
  } else {
    upload = await inspectUpload(against, limits, 'body.against');
    if (options.store) {
      await queue.withRedis(() => storeUpload(queue.client, queue.prefix, upload, limits.ttlSeconds));
    }
  }
  const { sha256, bytes, objects } = upload;
  const ref: AgainstRef = { sha256, bytes, objects, denyThreshold: threshold };
  return { ref, upload };
}

export interface ImpactRouteDeps extends RateLimitDeps {
  limits: UploadLimits;
  /** POST /v1/impact per client per minute; 0 = unlimited. */
  perMinute: number;
  /** POST /v1/against per client per minute (each is kept in Redis for ttlSeconds); 0 = unlimited. */
  uploadsPerMinute: number;
  /** Previews this process runs at once (each is a sandbox child process); more are refused with 429. */
  maxConcurrent: number;
}

export function registerImpactRoutes(app: FastifyInstance, deps: ImpactRouteDeps): void {
  const { limits } = deps;
  const againstDeps: AgainstDeps = { queue: deps.queue, limits };

  // Raw uploads in a scope of their own: its text parsers and body limit apply to this route only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    const asText = { parseAs: 'string' as const, bodyLimit: limits.maxBytes };
    scope.addContentTypeParser(UPLOAD_TYPES, asText, (_request, body, done) => done(null, body));
    scope.post<{ Body: string }>(
      '/v1/against',
      {
        bodyLimit: limits.maxBytes,
        schema: {
          tags: ['impact'],
          summary: 'Upload objects to replay policies against (the impact preview); answers the id for againstId',
          description:
            'The body is the source as is: multi-document YAML, JSON, a List (kubectl get -o yaml), or ' +
            `audit.k8s.io/v1 Events as JSON lines. At most ${limits.maxBytes} bytes, ${limits.maxObjects} objects; ` +
            `kept ${limits.ttlSeconds} s (by content: the same upload twice is one).`,
          consumes: UPLOAD_TYPES,
          response: {
            201: {
              type: 'object',
              properties: {
                againstId: { type: 'string' },
                bytes: { type: 'integer' },
                objects: { type: 'integer' },
                skipped: { type: 'object', additionalProperties: { type: 'integer' } },
                expiresAt: { type: 'string' },
              },
            },
            400: { $ref: 'Error#' },
            413: { $ref: 'Error#' },
            415: { $ref: 'Error#' },
            429: { $ref: 'Error#' },
          },
        },
      },
      async (request, reply) => {
        await rateLimit(request, deps, 'against', deps.uploadsPerMinute, 'uploads');
        const upload = await inspectUpload(request.body, limits, 'body');
        const { queue } = deps;
        await queue.withRedis(() => storeUpload(queue.client, queue.prefix, upload, limits.ttlSeconds));
        const expiresAt = new Date(deps.now() + limits.ttlSeconds * 1000).toISOString();
        const { sha256: againstId, bytes, objects, skipped } = upload;
        return reply.status(201).send({ againstId, bytes, objects, skipped, expiresAt });
      },
    );
  });

  let running = 0;
  app.post<{ Body: { policy: string | object } & AgainstFields }>(
    '/v1/impact',
    {
      schema: {
        tags: ['impact'],
        summary: 'Preview what a JsPolicy would do to the objects given (against or againstId), in the sandbox',
        description:
          'Each object replays as CREATE and as a no-op UPDATE; audit events as recorded. The policy runs in a ' +
          `sandbox child process, for at most ${limits.timeLimitMs} ms per request; ` +
          `${deps.perMinute || 'unlimited'} requests per client per minute.`,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['policy'],
          properties: {
            policy: {
              description: 'The JsPolicy as a JSON object or as YAML text',
              anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
            },
            ...againstBodyProperties(limits),
          },
        },
        response: {
          200: {
            description: 'ImpactSummary (common/contracts.ts) with its headline',
            type: 'object',
            additionalProperties: true,
            properties: {
              policy: { type: 'string' },
              headline: { type: 'string' },
              denyThreshold: { type: 'number' },
              impact: { type: 'object', additionalProperties: true },
            },
          },
          400: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
          413: { $ref: 'Error#' },
          422: { $ref: 'Error#' },
          429: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      await rateLimit(request, deps, 'impact', deps.perMinute, 'impact previews');
      const { policy, ...fields } = request.body;
      const parsedPolicy = parsePolicy(typeof policy === 'string' ? policy : JSON.stringify(policy), 'body.policy');
      if (fields.against === undefined && fields.againstId === undefined) {
        throw invalid('body.against', 'is required (or againstId)');
      }
      if (running >= deps.maxConcurrent) {
        const busy = `${deps.maxConcurrent} impact previews are running on this server; retry in 1 s`;
        throw new PolicyforgeError('PF_ERR_RATE_LIMITED', [busy], {
          details: { retryAfterSeconds: 1 },
        });
      }
      running++;
      try {
        // Only read here: a preview needs nothing stored for a worker.
        const resolved = await resolveAgainst(fields, againstDeps, { store: false });
        if (!resolved) throw invalid('body.against', 'is required (or againstId)');
        const { upload, ref } = resolved;
        // A client that hangs up stops the preview: no more objects are replayed for it.
        let hungUp = false;
        reply.raw.on('close', () => {
          if (!reply.raw.writableEnded) hungUp = true;
        });
        const impact = await previewUpload(parsedPolicy, upload, ref.denyThreshold, {
          timeLimitMs: limits.timeLimitMs,
          stopped: () => hungUp,
        });
        const headline = impactHeadline(impact);
        return { policy: parsedPolicy.metadata.name, headline, denyThreshold: ref.denyThreshold, impact };
      } finally {
        running--;
      }
    },
  );
}
