import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  canonicalJson,
  fieldPath,
  GPTPolicySpecSchema,
  PolicyforgeError,
  schemaIssues,
  type Intent,
  type IntentOptions,
} from '../../common/index.js';
import { ownerReferenceFor } from './owned-policy.js';
import type { GPTPolicy, GPTPolicySpec } from './types.js';

/**
 * What a GPTPolicy asks for, reduced to the fields that change the generated policy. `mode`, `approval` and
 * `rollout` are left out on purpose: they only change violationPolicy, which the operator sets without a
 * model call.
 */
function generationRelevant(spec: GPTPolicySpec): unknown {
  return {
    description: spec.description.trim(),
    failurePolicy: spec.failurePolicy ?? null,
    namespaces: [...(spec.namespaces ?? [])].sort(),
    examples: spec.examples ?? [],
    model: spec.model ?? null,
    // Only when set, so the hash of every GPTPolicy written before these fields existed stays the same.
    ...(spec.podControllers === false ? { podControllers: false } : {}),
    ...(spec.allowDeletes === true ? { allowDeletes: true } : {}),
  };
}

/** Stable hash of the generation-relevant spec: equal specs hash equally whatever the key order. */
export function specHash(spec: GPTPolicySpec): string {
  return createHash('sha256')
    .update(canonicalJson(generationRelevant(spec)))
    .digest('hex')
    .slice(0, 16);
}

/**
 * The generation job's id: one job per (object uid, spec hash, attempt, feedback round). Enqueuing it again is
 * a no-op in the queue, so retries, restarts and a second replica never make the model run twice for the same
 * spec. `attempt` > 1 only after a model outage (a deliberate new try); `round` > 1 only for the API server's
 * dry-run feedback. BullMQ refuses ':' in custom ids, hence dashes.
 */
export function jobIdFor(uid: string, hash: string, round = 1, attempt = 1): string {
  return `gptpolicy-${uid}-${hash}${attempt > 1 ? `-a${attempt}` : ''}${round > 1 ? `-r${round}` : ''}`;
}

/** The feedback round and outage attempt a job id encodes (1 when absent). */
export function jobIdParts(jobId: string | undefined): { round: number; attempt: number } {
  return {
    round: Number(/-r(\d+)$/.exec(jobId ?? '')?.[1] ?? 1),
    attempt: Number(/-a(\d+)(?:-r\d+)?$/.exec(jobId ?? '')?.[1] ?? 1),
  };
}

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}`;

/** What the operator reads of a GPTPolicy: its name, and a spec as common's GPTPolicySpecSchema has it. */
const GPTPolicyObjectSchema = z.looseObject(
  {
    metadata: z.looseObject(
      { name: z.string({ error: required('a string') }).min(1, 'is required') },
      { error: required('an object') },
    ),
    spec: GPTPolicySpecSchema,
  },
  { error: 'must be an object' },
);

/**
 * Parses a GPTPolicy from the cluster once (for clusters without the CRD, and for messages naming each bad
 * field: `GPTPolicy n: spec.mode must be Enforce, Warn or Audit, not "Loud"`). Spec fields the schema does not
 * know are dropped, as the API server prunes them; everything past this trusts the type.
 */
export function validateGPTPolicy(obj: unknown): GPTPolicy {
  const parsed = GPTPolicyObjectSchema.safeParse(obj);
  if (parsed.success) return { ...(obj as GPTPolicy), spec: parsed.data.spec };
  const name = (obj as { metadata?: { name?: unknown } } | null | undefined)?.metadata?.name;
  const where = `GPTPolicy ${typeof name === 'string' && name ? name : '<unnamed>'}`;
  const issues = schemaIssues(parsed.error).map((i) => ({ path: fieldPath(i.path), message: i.message }));
  throw new PolicyforgeError(
    'PF_ERR_INPUT_INVALID',
    [where, issues.map((i) => `${i.path || '(object)'} ${i.message}`).join('; ')],
    { details: { fields: issues } },
  );
}

/** The loop's Intent for a GPTPolicy: the JsPolicy will be owned by it. */
export function intentFor(policy: GPTPolicy, feedback?: string[]): Intent {
  const spec = policy.spec;
  const options: IntentOptions = {};
  if (spec.mode) options.mode = spec.mode;
  if (spec.failurePolicy) options.failurePolicy = spec.failurePolicy;
  if (spec.namespaces?.length) options.namespaces = [...spec.namespaces];
  if (spec.model) options.model = spec.model;
  if (spec.podControllers === false) options.podControllers = false;
  if (spec.allowDeletes === true) options.allowDeletes = true;
  const intent: Intent = {
    text: spec.description.trim(),
    owner: ownerReferenceFor(policy),
    options,
  };
  if (spec.examples?.length) intent.examples = spec.examples;
  if (feedback?.length) intent.feedback = feedback;
  return intent;
}
