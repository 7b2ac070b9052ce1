import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { stringify } from 'yaml';
import {
  IntentSchema,
  PolicyforgeError,
  fieldPath,
  schemaIssues,
  type GenerationResult,
  type Logger,
} from '../../../common/index.js';
import { impactHeadline, type UploadLimits } from '../../impact/index.js';
import { invalidInput } from '../errors.js';
import { rateLimit } from '../rate-limit.js';
import type { AgainstRef, GenerationQueue, JobView } from '../../../worker/index.js';
import { againstBodyProperties, resolveAgainst, type AgainstFields } from './impact.js';

/**
 * The intent's zod schema (common/schemas.ts) as JSON Schema, limited to what OpenAPI 3.0 schemas allow. It
 * documents the body; the zod schema itself is the one check (see the route's validatorCompiler).
 */
const intentJsonSchema = openApiCompatible(
  z.toJSONSchema(IntentSchema, { target: 'draft-7', unrepresentable: 'any' }),
) as Record<string, unknown>;

function openApiCompatible(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openApiCompatible);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === 'propertyNames') continue; // not in OpenAPI 3.0's schema object
    if (key === 'const') out.enum = [value];
    else out[key] = openApiCompatible(value);
  }
  return out;
}

const TERMINAL = new Set(['completed', 'failed']);
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export interface IntentRouteDeps {
  queue: GenerationQueue;
  logger: Logger;
  /** POST /v1/intents per client per minute; 0 = unlimited. */
  intentsPerMinute: number;
  authenticated: boolean;
  /** Clock for the rate-limit windows. */
  now: () => number;
  /** Bounds of an `against` upload (the impact preview of the verified policy). */
  against: UploadLimits;
}

export function registerIntentRoutes(app: FastifyInstance, deps: IntentRouteDeps): void {
  const { queue } = deps;
  // Open event streams end when the server closes, or they would hold a graceful shutdown open.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const finish of [...streams]) finish();
  });

  // The intent, plus the objects its verified policy is to be replayed against (not part of the intent).
  const bodySchema = {
    ...intentJsonSchema,
    properties: { ...(intentJsonSchema.properties as Record<string, unknown>), ...againstBodyProperties(deps.against) },
  };
  app.post<{ Body: unknown; Headers: { 'idempotency-key'?: string } }>(
    '/v1/intents',
    {
      // The body is checked once, by IntentSchema in the handler (and resolveAgainst for the upload fields),
      // so the JSON schema above only documents it; the one header is checked here.
      validatorCompiler:
        ({ httpPart }) =>
        (value: unknown) =>
          httpPart === 'headers' ? checkIdempotencyHeader(value) : true,
      schema: {
        tags: ['intents'],
        summary: 'Submit an intent; a worker turns it into a verified JsPolicy',
        description:
          'Answers 202 with the job id at once. The same intent in flight twice runs once (`deduplicated`). An `Idempotency-Key` header makes retries safe: the same key and body answer the first job again; the same key with another body is a 409.' +
          ' With `against` (or `againstId`), the verified policy is replayed against those objects: `result.impact`,' +
          ' and a policy denying more than `denyThreshold` of them is not safe to apply.',
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY.source } },
        },
        body: bodySchema,
        response: {
          202: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              deduplicated: { type: 'boolean' },
              replayed: { type: 'boolean' },
              links: {
                type: 'object',
                properties: { self: { type: 'string' }, events: { type: 'string' }, policy: { type: 'string' } },
              },
              against: {
                type: 'object',
                properties: {
                  againstId: { type: 'string' },
                  bytes: { type: 'integer' },
                  objects: { type: 'integer' },
                  denyThreshold: { type: 'number' },
                },
              },
            },
          },
          400: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
          409: { $ref: 'Error#' },
          413: { $ref: 'Error#' },
          429: { $ref: 'Error#' },
          503: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const sent = request.body;
      if (!sent || typeof sent !== 'object' || Array.isArray(sent))
        throw invalidInput([{ path: 'body', message: 'must be a JSON object (an intent)' }]);
      const { against, againstId, denyThreshold, ...body } = sent as Record<string, unknown> & AgainstFields;
      const parsed = IntentSchema.safeParse(body);
      if (!parsed.success) {
        throw invalidInput(
          schemaIssues(parsed.error).map((i) => ({ path: fieldPath(i.path, 'body'), message: i.message })),
        );
      }
      await rateLimit(request, deps, 'intents', deps.intentsPerMinute, 'intents');
      // Checked and stored before the job exists, so a bad upload is this request's 400/413, not a failed job.
      const resolved = await resolveAgainst(
        { against, againstId, denyThreshold },
        { queue, limits: deps.against },
        {
          store: true,
        },
      );
      const idempotencyKey = request.headers['idempotency-key'];
      const { id, deduplicated, replayed } = await queue.enqueue(
        { v: 1, intent: parsed.data, requestedBy: 'api', ...(resolved ? { against: resolved.ref } : {}) },
        idempotencyKey ? { idempotencyKey } : {},
      );
      const self = `/v1/intents/${encodeURIComponent(id)}`;
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .status(202)
        .header('location', self)
        .send({
          id,
          deduplicated,
          ...(replayed ? { replayed } : {}),
          links: { self, events: `${self}/events`, policy: `${self}/policy.yaml` },
          ...(resolved ? { against: againstView(resolved.ref) } : {}),
        });
    },
  );

  app.get<{ Querystring: { state?: JobView['state']; limit?: number } }>(
    '/v1/intents',
    {
      schema: {
        tags: ['intents'],
        summary: 'Recent intents (history), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['waiting', 'delayed', 'active', 'completed', 'failed'] },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
      },
    },
    async (request) => {
      const { state, limit = 50 } = request.query;
      const jobs = await queue.listJobs({ ...(state ? { states: [state] } : {}), start: 0, end: limit - 1 });
      return {
        intents: jobs.map((j) => ({
          id: j.id,
          state: j.state,
          text: j.intent?.text,
          createdAt: j.createdAt,
          ...(j.finishedAt ? { finishedAt: j.finishedAt } : {}),
          ...(j.result
            ? { status: j.result.status, safeToApply: j.result.safeToApply, rounds: j.result.rounds.length }
            : {}),
          ...(j.result?.restatement
            ? { restatement: j.result.restatement.summary, judged: j.result.restatement.judged }
            : {}),
          // Beside the restatement: what the policy would do to the objects sent with the intent.
          ...(j.result?.impact
            ? { impact: impactHeadline(j.result.impact), ...(j.result.impact.overThreshold && { overThreshold: true }) }
            : {}),
          ...(j.error ? { error: j.error } : {}),
        })),
      };
    },
  );

  const idParams = {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  } as const;
  const getView = async (id: string): Promise<JobView> => {
    const view = await queue.getJob(id);
    if (!view) throw new PolicyforgeError('PF_ERR_NOT_FOUND', [`intent ${id}`]);
    return view;
  };

  app.get<{ Params: { id: string } }>(
    '/v1/intents/:id',
    {
      schema: {
        tags: ['intents'],
        summary: 'State, progress, result and transcript (result.rounds) of an intent',
        params: idParams,
        response: { 404: { $ref: 'Error#' } },
      },
    },
    async (request) => getView(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/intents/:id/policy.yaml',
    {
      schema: {
        tags: ['intents'],
        summary: 'The resulting JsPolicy as YAML (a download)',
        params: idParams,
        produces: ['application/yaml'],
      },
    },
    async (request, reply) => {
      const view = await getView(request.params.id);
      const policy = view.result?.policy;
      if (!policy)
        throw new PolicyforgeError('PF_ERR_NOT_FOUND', [
          `a policy for intent ${request.params.id} (state ${view.state})`,
        ]);
      const name = policy.metadata.name.replace(/[^A-Za-z0-9._-]/g, '_');
      const warning = view.result ? notSafeHeader(view.result) : '';
      return reply
        .header('content-type', 'application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}.yaml"`)
        .send(warning + stringify(policy, { lineWidth: 0 }));
    },
  );

  app.get<{ Params: { id: string }; Headers: { 'last-event-id'?: string } }>(
    '/v1/intents/:id/events',
    {
      schema: {
        tags: ['intents'],
        summary: 'Server-sent events: progress per step, then `completed` or `failed` with the job',
        description:
          'Events: `progress` (id = index of the event, so `Last-Event-ID` resumes), `state` on each state change, and a final `completed` or `failed` carrying the whole job view; the stream then ends.',
        params: idParams,
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const first = await getView(request.params.id);
      const lastId = Number(request.headers['last-event-id']);
      let sent = Number.isInteger(lastId) && lastId >= 0 ? lastId + 1 : 0;
      let lastState = '';
      let done = false;
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const write = (event: string, data: unknown, id?: number): void => {
        if (!out.writableEnded)
          out.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };

      const emit = (view: JobView): void => {
        if (view.state !== lastState) {
          lastState = view.state;
          write('state', { state: view.state });
        }
        for (; sent < view.progress.events.length; sent++) write('progress', view.progress.events[sent], sent);
        if (TERMINAL.has(view.state)) {
          write(view.state, view);
          finish();
        }
      };
      // One refresh at a time; a change noticed meanwhile schedules exactly one more.
      let busy = false;
      let again = false;
      const refresh = async (): Promise<void> => {
        if (done) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          const view = await queue.getJob(request.params.id);
          if (!view) {
            write('error', {
              error: { code: 'PF_ERR_NOT_FOUND', message: `intent ${request.params.id} not found (removed)` },
            });
            finish();
          } else emit(view);
        } catch (err) {
          // Redis away for a moment: keep the stream open; the poll tries again.
          deps.logger.debug({ err: (err as Error).message }, 'event stream refresh failed');
        } finally {
          busy = false;
          if (again && !done) {
            again = false;
            void refresh();
          }
        }
      };
      const unwatch = queue.watch(request.params.id, () => void refresh());
      const poll = setInterval(() => void refresh(), 1000);
      const heartbeat = setInterval(() => !out.writableEnded && out.write(': keep-alive\n\n'), 15_000);
      function finish(): void {
        if (done) return;
        done = true;
        streams.delete(finish);
        unwatch();
        clearInterval(poll);
        clearInterval(heartbeat);
        out.end();
      }
      out.on('close', finish);
      streams.add(finish);
      emit(first);
    },
  );
}

/** The comment a policy download starts with when the result is not safe to apply, saying why. */
function notSafeHeader(result: GenerationResult): string {
  if (result.safeToApply) return '';
  if (result.status !== 'succeeded') return '# NOT SAFE TO APPLY: this is the best failed draft, kept for review.\n';
  if (result.impact?.overThreshold) {
    const what = `it ${impactHeadline(result.impact)} (above the deny threshold)`;
    return `# NOT SAFE TO APPLY as is: verified, but ${what}; see the intent's result.impact.\n`;
  }
  return "# NOT SAFE TO APPLY as is: verified, but the impact preview did not finish; see the intent's result.reason.\n";
}

/** What the 202 says about the objects the policy will be replayed against. */
function againstView(ref: AgainstRef): { againstId: string; bytes: number; objects: number; denyThreshold: number } {
  return { againstId: ref.sha256, ...pick(ref, 'bytes', 'objects', 'denyThreshold') };
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}

/** The Idempotency-Key header, when given, as the OpenAPI document describes it. */
function checkIdempotencyHeader(headers: unknown): true | { error: PolicyforgeError } {
  const key = (headers as Record<string, unknown> | null)?.['idempotency-key'];
  if (key === undefined || (typeof key === 'string' && IDEMPOTENCY_KEY.test(key))) return true;
  return {
    error: new PolicyforgeError('PF_ERR_INPUT_INVALID', [
      'headers.idempotency-key',
      `must match pattern "${IDEMPOTENCY_KEY.source}" (1 to 200 letters, digits and . _ : -)`,
    ]),
  };
}
