import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  canonicalJson,
  describeIssues,
  fieldPath,
  IntentSchema,
  PolicyforgeError,
  schemaIssues,
  type Intent,
} from '../common/index.js';

/**
 * The generation job's data, version 1: the public contract for anyone who enqueues with plain bullmq
 * (documented in docs/queue.md). Additive, optional fields keep `v: 1`; anything else bumps `v`.
 */
export const QUEUE_NAMES = { generation: 'policyforge-generation' } as const;
/** The BullMQ job name every generation job carries. */
export const GENERATION_JOB_NAME = 'generate' as const;

/**
 * An impact-preview upload the verified policy is replayed against (issue 14). The objects are not in the
 * job: they are stored once under their sha256, beside the queue (src/impact/upload.ts), so that reading
 * or listing jobs never carries megabytes of manifests; the job names them.
 */
export const againstRefSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256'),
  bytes: z.number().int().min(0),
  /** Objects and recorded requests the upload holds. */
  objects: z.number().int().min(0),
  /** A policy denying more than this share of them is reported as such, not passed as safe. */
  denyThreshold: z.number().min(0).max(1),
});

export type AgainstRef = z.infer<typeof againstRefSchema>;

export const generationJobDataSchema = z.strictObject({
  v: z.literal(1),
  /** The one intent schema (common/schemas.ts): the limits the API and the CLI apply, too. */
  intent: IntentSchema,
  /** Who asked (API token subject, operator, service name): recorded, never used for authorisation. */
  requestedBy: z.string().max(200).optional(),
  against: againstRefSchema.optional(),
});

export type GenerationJobData = z.infer<typeof generationJobDataSchema>;

/** Validates job data (from our API, the operator or a plain bullmq producer); names every bad field. */
export function parseGenerationJobData(data: unknown, source = 'job data'): GenerationJobData {
  const parsed = generationJobDataSchema.safeParse(data);
  if (!parsed.success) {
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [source, describeIssues(parsed.error)], {
      details: { fields: schemaIssues(parsed.error).map((i) => ({ path: fieldPath(i.path), message: i.message })) },
    });
  }
  return parsed.data;
}

/**
 * The content key two requests share when they ask for the same thing. Whitespace is collapsed; case is
 * kept (label values and names are case-sensitive, so `env=PROD` is a different intent from `env=prod`).
 * The owner's uid is part of it because the resulting policy is owned by that object.
 */
export function intentContentKey(intent: Intent): string {
  const canonical = canonicalJson({
    text: intent.text.normalize('NFC').replace(/\s+/g, ' ').trim(),
    owner: intent.owner?.uid ?? null,
    examples: intent.examples ?? [],
    options: intent.options ?? {},
    feedback: intent.feedback ?? [],
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 40);
}

/** The key two jobs share when they ask for the same thing: the intent's, and the upload it is replayed against. */
export function jobContentKey(data: Pick<GenerationJobData, 'intent' | 'against'>): string {
  const key = intentContentKey(data.intent);
  if (!data.against) return key;
  return createHash('sha256')
    .update(`${key}\u0000${data.against.sha256}\u0000${data.against.denyThreshold}`)
    .digest('hex')
    .slice(0, 40);
}
