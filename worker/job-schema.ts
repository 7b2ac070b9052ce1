import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, OPERATIONS, PolicyforgeError, type Intent } from '../common/index.js';

/**
 * The generation job's data, version 1: the public contract for anyone who enqueues with plain bullmq
 * (documented in docs/queue.md). Additive, optional fields keep `v: 1`; anything else bumps `v`.
 */
export const QUEUE_NAMES = { generation: 'policyforge-generation' } as const;
/** The BullMQ job name every generation job carries. */
export const GENERATION_JOB_NAME = 'generate' as const;

export const INTENT_LIMITS = {
  /** Characters of intent text. */
  maxTextChars: 4000,
  /** User examples per intent. */
  maxExamples: 50,
  maxRounds: 10,
  maxNamespaces: 100,
} as const;

const labels = z.record(z.string(), z.string());

const ownerReferenceSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** A user example is a suite case; the sandbox validates its details, here only the shape that routing needs. */
const exampleSchema = z.looseObject({
  name: z.string().min(1),
  expect: z.enum(['allow', 'deny', 'warn', 'mutate']),
  operation: z.enum(OPERATIONS).optional(),
  object: z.record(z.string(), z.unknown()).optional(),
  oldObject: z.record(z.string(), z.unknown()).optional(),
  namespace: z.string().optional(),
  namespaceLabels: labels.optional(),
  message: z.string().optional(),
});

const intentOptionsSchema = z.strictObject({
  mode: z.enum(['Enforce', 'Warn', 'Audit']).optional(),
  failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
  maxRounds: z.number().int().min(1).max(INTENT_LIMITS.maxRounds).optional(),
  model: z.string().min(1).max(200).optional(),
  namespaces: z.array(z.string().min(1).max(63)).max(INTENT_LIMITS.maxNamespaces).optional(),
  /** false: a pod-spec intent covers Pods only, not pod controllers' templates. */
  podControllers: z.boolean().optional(),
  /** Explicit approval for a Controller policy that deletes (never implied by an approval mode). */
  allowDeletes: z.boolean().optional(),
});

export const intentSchema = z.strictObject({
  text: z
    .string()
    .min(1, 'must not be empty')
    .max(INTENT_LIMITS.maxTextChars, `at most ${INTENT_LIMITS.maxTextChars} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty'),
  owner: ownerReferenceSchema.optional(),
  examples: z.array(exampleSchema).max(INTENT_LIMITS.maxExamples).optional(),
  options: intentOptionsSchema.optional(),
  /** Errors from a previous attempt the next one must fix (the operator's server-side dry-run rejections). */
  feedback: z.array(z.string().max(INTENT_LIMITS.maxTextChars)).max(20).optional(),
});

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
  intent: intentSchema,
  /** Who asked (API token subject, operator, service name): recorded, never used for authorisation. */
  requestedBy: z.string().max(200).optional(),
  against: againstRefSchema.optional(),
});

export type GenerationJobData = { v: 1; intent: Intent; requestedBy?: string; against?: AgainstRef };

/** One line per problem, each naming its field: `intent.text: must not be empty`. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter(Boolean)
        .join('.')
        .replace(/\.\[/g, '[');
      return `${path || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates job data (from our API, the operator or a plain bullmq producer); names every bad field. */
export function parseGenerationJobData(data: unknown, source = 'job data'): GenerationJobData {
  const parsed = generationJobDataSchema.safeParse(data);
  if (!parsed.success) {
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [source, describeIssues(parsed.error)], {
      details: { fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data as GenerationJobData;
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
  return createHash('sha256').update(`${key}\u0000${data.against.sha256}\u0000${data.against.denyThreshold}`).digest('hex').slice(0, 40);
}

