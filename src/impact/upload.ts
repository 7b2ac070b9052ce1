import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Redis } from 'ioredis';
import { PolicyforgeError, isPolicyforgeError } from '../../common/index.js';
import type { ImpactSummary, JsPolicy, Logger } from '../../common/index.js';
// Types only from worker/index (BullMQ stays out of the CLI's start-up); the queue's name from its schema module.
import type { AgainstRef, GenerateFn } from '../../worker/index.js';
import { QUEUE_NAMES } from '../../worker/job-schema.js';
import { impactHeadline } from './format.js';
import { previewImpact } from './impact.js';
import { readFileEntries, type SourceEntry } from './sources.js';

/**
 * The impact preview over HTTP (issue 14 item 3): objects a client uploads (`against`) instead of files
 * the CLI reads. The upload goes through the CLI's own parsers (sources.ts: multi-document YAML, JSON,
 * Lists, audit-log JSON lines), bounded in bytes, in objects, and in what its YAML expands to.
 *
 * Between the API and the worker the upload is stored once under its sha256, gzipped, beside the queue
 * in Redis with a time to live; the job carries only that reference (worker/job-schema.ts AgainstRef).
 * Redis is the one store both sides share (a worker may run on another machine), and keeping megabytes
 * out of the job keeps every job read and the intent history small.
 */

export interface UploadLimits {
  /** Bytes of one upload. @defaultValue 4194304 (4 MiB) */
  maxBytes: number;
  /** Objects and recorded requests in one upload. @defaultValue 10000 */
  maxObjects: number;
  /** How long a stored upload is kept for the jobs that name it. @defaultValue 86400 */
  ttlSeconds: number;
  /** Wall-clock time of one preview; it stops there with PF_ERR_LIMIT_EXCEEDED. @defaultValue 60000 */
  timeLimitMs: number;
}

export const UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxObjects: 10_000,
  ttlSeconds: 86_400,
  timeLimitMs: 60_000,
};

/** The same default as `generate --against --deny-threshold` (src/cli/commands/against.ts). */
export const DEFAULT_DENY_THRESHOLD = 0.1;

/** JSON characters one upload may expand to once parsed: YAML aliases can repeat a subtree many times. */
const EXPANSION_FACTOR = 8;

/** What to do about an upload over a cap. */
const FEWER = 'send fewer objects, or replay a large source with the CLI (policyforge test --against)';

export interface InspectedUpload {
  text: string;
  sha256: string;
  bytes: number;
  /** Objects and recorded requests that will be replayed. */
  objects: number;
  /** Entries read but not replayable, by why. */
  skipped: Record<string, number>;
}

/** An upload as text: YAML or JSON text as sent; an object or array (JSON in the request body) as its JSON. */
export function uploadText(value: unknown, field = 'against'): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
    field,
    'must be YAML or JSON text, a Kubernetes object, a List, or an array of objects',
  ]);
}

/**
 * Reads an upload whole, once, to refuse it before any work is queued: too many bytes or objects (413),
 * a document that is not YAML (400, naming `against:LINE`), nothing replayable in it (400).
 */
export async function inspectUpload(
  value: unknown,
  limits: Pick<UploadLimits, 'maxBytes' | 'maxObjects'>,
  field = 'against',
): Promise<InspectedUpload> {
  const text = uploadText(value, field);
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxBytes) {
    throw new PolicyforgeError(
      'PF_ERR_PAYLOAD_TOO_LARGE',
      [`${field} is ${bytes} bytes, more than the limit of ${limits.maxBytes} bytes; ${FEWER}`],
      { details: { field, limit: 'maxBytes', maxBytes: limits.maxBytes, bytes } },
    );
  }
  if (!text.trim()) {
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [field, 'is empty; send manifests, a List or audit-log lines']);
  }
  let objects = 0;
  let expanded = 0;
  const maxExpanded = EXPANSION_FACTOR * Math.max(bytes, 1024);
  const skipped: Record<string, number> = {};
  for await (const entry of readUploadEntries(text, field)) {
    if (entry.type === 'skipped') {
      skipped[entry.why] = (skipped[entry.why] ?? 0) + 1;
      continue;
    }
    if (++objects > limits.maxObjects) {
      throw new PolicyforgeError(
        'PF_ERR_PAYLOAD_TOO_LARGE',
        [`${field} holds more than ${limits.maxObjects} objects (the limit; counted up to ${entry.at}); ${FEWER}`],
        { details: { field, limit: 'maxObjects', maxObjects: limits.maxObjects } },
      );
    }
    expanded += jsonSize(entry.type === 'request' ? entry.request : entry.object, maxExpanded - expanded);
    if (expanded > maxExpanded) {
      throw new PolicyforgeError(
        'PF_ERR_PAYLOAD_TOO_LARGE',
        [
          `${field} expands to more than ${maxExpanded} characters of JSON once parsed ` +
            `(at ${entry.at}; YAML aliases repeating a subtree?)`,
        ],
        { details: { field, limit: 'expansion', maxExpandedChars: maxExpanded } },
      );
    }
  }
  if (objects === 0) {
    const why = Object.entries(skipped)
      .map(([w, n]) => `${n} × ${w}`)
      .join('; ');
    const what = `holds no Kubernetes object or recorded request to replay${why ? ` (skipped: ${why})` : ''}`;
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [field, what]);
  }
  return { text, sha256: createHash('sha256').update(text).digest('hex'), bytes, objects, skipped };
}

/** The entries of an upload, read by the CLI's parsers; `at` reads `against:LINE`. */
export function readUploadEntries(text: string, name = 'against'): AsyncGenerator<SourceEntry> {
  return readFileEntries('-', { stdin: Readable.from([text]), name });
}

/**
 * Size of a value as JSON, counted by walking it, giving up past `budget`: a walk of a tree whose subtrees
 * repeat (YAML aliases) stops early instead of taking the time JSON.stringify would.
 */
function jsonSize(value: unknown, budget: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length && size <= budget) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      size += 2;
      for (const [k, item] of entries) {
        size += k.length + 4;
        stack.push(item);
      }
    } else size += 5;
  }
  return size;
}

/** A preview above `threshold` (a share of the objects checked) is marked overThreshold. */
export function applyDenyThreshold(summary: ImpactSummary, threshold: number): ImpactSummary {
  const over = summary.checked > 0 && summary.wouldDeny / summary.checked > threshold;
  return over ? { ...summary, overThreshold: true } : summary;
}

export interface UploadPreviewOptions {
  /** @defaultValue UPLOAD_LIMITS.timeLimitMs */
  timeLimitMs?: number;
  /** Stops the preview (a client that hung up, a job handed back). */
  stopped?: () => boolean;
  /** Where the policy runs. Never this process for untrusted code: @defaultValue 'process' */
  isolation?: 'process' | 'inline';
  /** Cap on one request's time (ReplayerOptions.maxTimeoutMs). @defaultValue 2000 */
  maxTimeoutMs?: number;
}

/**
 * What `policy` would do to an upload, in a sandbox child process. Entries run in small batches so a
 * deadline or a stop is noticed within one batch; past the deadline it ends with PF_ERR_LIMIT_EXCEEDED.
 */
export async function previewUpload(
  policy: JsPolicy,
  upload: { text: string; objects?: number },
  denyThreshold: number,
  options: UploadPreviewOptions = {},
): Promise<ImpactSummary> {
  const started = Date.now();
  const timeLimitMs = options.timeLimitMs ?? UPLOAD_LIMITS.timeLimitMs;
  let replayed = 0;
  const summary = await previewImpact(policy, {
    entries: { name: 'against', read: () => readUploadEntries(upload.text) },
    isolation: options.isolation ?? 'process',
    batchSize: 16,
    ...(options.maxTimeoutMs ? { maxTimeoutMs: options.maxTimeoutMs } : {}),
    onVerdict: () => {
      replayed++;
      if (options.stopped?.()) {
        const why = 'the impact preview was stopped (the client or the job went away)';
        throw new PolicyforgeError('PF_ERR_LIMIT_EXCEEDED', [why]);
      }
      if (Date.now() - started > timeLimitMs) {
        const of = upload.objects ? ` of ${upload.objects}` : '';
        const what = `the impact preview ran longer than ${timeLimitMs} ms (${replayed}${of} objects replayed)`;
        throw new PolicyforgeError('PF_ERR_LIMIT_EXCEEDED', [`${what}; send fewer objects or a faster policy`], {
          details: { limit: 'timeLimitMs', timeLimitMs, replayed },
        });
      }
    },
  });
  return applyDenyThreshold(summary, denyThreshold);
}

/** Where an upload is kept in Redis: under the queue's prefix, by content. */
export function uploadKey(prefix: string, sha256: string): string {
  return `${prefix}:${QUEUE_NAMES.generation}:against:${sha256}`;
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Stores an inspected upload for `ttlSeconds` (again: a later job naming it keeps it longer). */
export async function storeUpload(
  client: Pick<Redis, 'set'>,
  prefix: string,
  upload: Pick<InspectedUpload, 'text' | 'sha256'>,
  ttlSeconds: number,
): Promise<void> {
  await client.set(uploadKey(prefix, upload.sha256), await gzipAsync(upload.text), 'EX', ttlSeconds);
}

/** A stored upload's text, or undefined when it expired; a stored value that does not hash to its key is refused. */
export async function loadUpload(
  client: Pick<Redis, 'getBuffer'>,
  prefix: string,
  sha256: string,
): Promise<string | undefined> {
  const stored = await client.getBuffer(uploadKey(prefix, sha256));
  if (!stored) return undefined;
  const text = (await gunzipAsync(stored)).toString('utf8');
  if (createHash('sha256').update(text).digest('hex') !== sha256) {
    const which = sha256.slice(0, 12);
    throw new PolicyforgeError('PF_ERR_INTERNAL', [`the stored against upload ${which}… does not match its hash`]);
  }
  return text;
}

/** Its own percentage, as the CLI prints it: 10 % → "10.0 %". */
function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

export interface GenerationImpactDeps {
  /** Reads the uploads the API stored (the worker's Redis connection). */
  client: Pick<Redis, 'getBuffer'>;
  /** The queue's prefix (the API stores uploads under it). */
  prefix: string;
  /** @defaultValue UPLOAD_LIMITS.timeLimitMs */
  timeLimitMs?: number;
  logger?: Logger;
}

/**
 * The service's `generate --against`: after the loop, a verified policy whose job names an upload
 * (context.against) is replayed against it, in a sandbox child process, and the result carries the
 * preview (result.impact) beside the restatement. A policy denying more than the job's threshold of the
 * objects keeps status `succeeded` (it did what the plan says) but is not safe to apply, and its reason
 * says so; a preview that cannot finish (the upload expired, a time limit) is never read as safe either.
 */
export function withImpactPreview(generate: GenerateFn, deps: GenerationImpactDeps): GenerateFn {
  return async (intent, context) => {
    const result = await generate(intent, context);
    const ref: AgainstRef | undefined = context.against;
    if (!ref || result.status !== 'succeeded' || !result.policy || context.signal.aborted) return result;
    const notSafe = (why: string) => ({ ...result, safeToApply: false, reason: `${result.reason}; ${why}` });
    const text = await loadUpload(deps.client, deps.prefix, ref.sha256);
    if (text === undefined) {
      deps.logger?.warn({ job: { id: context.jobId }, sha256: ref.sha256 }, 'against upload gone before the job ran');
      return notSafe(
        'the impact preview did not run: the uploaded objects (against) expired before the job ran; ' +
          'submit them again, so it is not passed as safe',
      );
    }
    try {
      const impact = await previewUpload(result.policy, { text, objects: ref.objects }, ref.denyThreshold, {
        stopped: () => context.signal.aborted,
        ...(deps.timeLimitMs ? { timeLimitMs: deps.timeLimitMs } : {}),
      });
      if (!impact.overThreshold) return { ...result, impact };
      const share = impact.checked ? impact.wouldDeny / impact.checked : 0;
      const above = `${percent(share)} denied, above the ${percent(ref.denyThreshold)} threshold`;
      return { ...notSafe(`but it ${impactHeadline(impact)} (${above}): not safe to enforce as is`), impact };
    } catch (err) {
      if (context.signal.aborted) throw err;
      deps.logger?.warn({ job: { id: context.jobId }, err: (err as Error).message }, 'impact preview failed');
      const why = isPolicyforgeError(err) ? `${err.code}: ${err.message}` : 'an internal error (see the worker log)';
      return notSafe(`the impact preview could not finish (${why}), so it is not passed as safe`);
    }
  };
}
