import { createHash } from 'node:crypto';
import { canonicalJson, pfError, type Intent, type IntentOptions } from '../../common/index.js';
import { ownerReferenceFor } from './owned-policy.js';
import { validateRollout } from './rollout.js';
import { APPROVALS, MODES, type GPTPolicy, type GPTPolicySpec } from './types.js';

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
  return createHash('sha256').update(canonicalJson(generationRelevant(spec))).digest('hex').slice(0, 16);
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

/** Checks what the CRD schema checks (for clusters without it, and for clear messages naming the field). */
export function validateGPTPolicy(obj: unknown): GPTPolicy {
  const o = obj as GPTPolicy;
  const name = o?.metadata?.name ?? '<unnamed>';
  const where = `GPTPolicy ${name}`;
  if (!o || typeof o !== 'object' || !o.metadata?.name) throw pfError('PF_ERR_INPUT_INVALID', where, 'metadata.name is required');
  const spec = o.spec as GPTPolicySpec | undefined;
  if (!spec || typeof spec !== 'object') throw pfError('PF_ERR_INPUT_INVALID', where, 'spec is required');
  if (typeof spec.description !== 'string' || spec.description.trim() === '') {
    throw pfError('PF_ERR_INPUT_INVALID', where, 'spec.description is required and must be a non-empty string');
  }
  if (spec.mode !== undefined && !MODES.includes(spec.mode)) {
    throw pfError('PF_ERR_INPUT_INVALID', where, `spec.mode must be one of ${MODES.join(', ')}, not "${String(spec.mode)}"`);
  }
  if (spec.approval !== undefined && !APPROVALS.includes(spec.approval)) {
    throw pfError('PF_ERR_INPUT_INVALID', where, `spec.approval must be one of ${APPROVALS.join(', ')}, not "${String(spec.approval)}"`);
  }
  if (spec.failurePolicy !== undefined && spec.failurePolicy !== 'Fail' && spec.failurePolicy !== 'Ignore') {
    throw pfError('PF_ERR_INPUT_INVALID', where, `spec.failurePolicy must be Fail or Ignore, not "${String(spec.failurePolicy)}"`);
  }
  if (spec.namespaces !== undefined && (!Array.isArray(spec.namespaces) || spec.namespaces.some((n) => typeof n !== 'string'))) {
    throw pfError('PF_ERR_INPUT_INVALID', where, 'spec.namespaces must be a list of namespace names');
  }
  for (const field of ['podControllers', 'allowDeletes'] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== 'boolean') throw pfError('PF_ERR_INPUT_INVALID', where, `spec.${field} must be true or false`);
  }
  validateRollout(spec.rollout, where);
  if (spec.examples !== undefined) {
    if (!Array.isArray(spec.examples)) throw pfError('PF_ERR_INPUT_INVALID', where, 'spec.examples must be a list');
    spec.examples.forEach((e, i) => {
      if (!e || typeof e.name !== 'string') throw pfError('PF_ERR_INPUT_INVALID', where, `spec.examples[${i}].name is required`);
      if (!['allow', 'deny', 'warn', 'mutate'].includes(e.expect)) {
        throw pfError('PF_ERR_INPUT_INVALID', where, `spec.examples[${i}] ("${e.name}").expect must be allow, deny, warn or mutate`);
      }
    });
  }
  return o;
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
