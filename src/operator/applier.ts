import { pfError, sortKeys, type JsPolicy, type OwnerReference } from '../../common/index.js';
import type { KubeClient } from './kube-client.js';
import { isOwnedBy } from './owned-policy.js';
import { isRetryable, kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';
import { GPTPOLICY, type GPTPolicy } from './types.js';

type StoredJsPolicy = JsPolicy & { metadata: { resourceVersion?: string } };

export type ApplyVerb = 'created' | 'updated' | 'unchanged';

/** What apply() did: the verb, or the API server's refusals of the dry-run (nothing was written). */
export type ApplyOutcome = { verb: ApplyVerb; rejected?: undefined } | { verb?: undefined; rejected: string[] };

/**
 * Writes the owned JsPolicy. Every write is first sent as a server-side dry-run (dryRun=All), and the very
 * request the API server accepted is then sent for real: the object applied is the object verified, with no
 * step in between that could change it. Refusals (validation, admission webhooks) come back as messages;
 * transient failures (network, 5xx, 429, 409) are retried and finally thrown.
 */
export class JsPolicyApplier {
  constructor(
    private readonly kube: KubeClient,
    private readonly retry: RetryOptions = {},
  ) {}

  get(name: string): Promise<StoredJsPolicy | undefined> {
    return withRetry(() => this.kube.getJsPolicy(name), this.retry);
  }

  /** The create or replace `apply` would send for `desired`, dry-run only: the API server's refusals. */
  async dryRun(desired: JsPolicy): Promise<string[]> {
    return withRetry(async () => {
      const existing = await this.kube.getJsPolicy(desired.metadata.name);
      return refusals(() => this.send(requestFor(desired, existing), existing, true));
    }, this.retry);
  }

  /**
   * Dry-runs, then creates or replaces `desired` (owned by `owner`); a write conflict re-reads and starts
   * again from the dry-run. A JsPolicy of that name owned by another object is never touched
   * (PF_ERR_CONFLICT). `read`: what the caller just read from the API server under that name (undefined
   * for none), used by the first attempt instead of a second read; a write based on it that is out of date
   * meets a 409 (resourceVersion, or AlreadyExists) and the retry reads again.
   */
  async apply(
    desired: JsPolicy,
    owner: GPTPolicy,
    read?: { existing: StoredJsPolicy | undefined },
  ): Promise<ApplyOutcome> {
    let known = read;
    return withRetry(
      async () => {
        const existing = known ? known.existing : await this.kube.getJsPolicy(desired.metadata.name);
        known = undefined;
        if (existing && !isOwnedBy(existing, owner))
          throw pfError(
            'PF_ERR_CONFLICT',
            `JsPolicy ${desired.metadata.name} is not owned by ${GPTPOLICY.kind} ${owner.metadata.name}`,
          );
        if (existing && samePolicy(existing, desired)) return { verb: 'unchanged' };
        const request = requestFor(desired, existing);
        const rejected = await refusals(() => this.send(request, existing, true));
        if (rejected.length) return { rejected };
        // AlreadyExists (another writer won) is a 409: retried, and the next attempt reads it and replaces
        await this.send(request, existing, false);
        return { verb: existing ? 'updated' : 'created' };
      },
      { ...this.retry, conflicts: true },
    );
  }

  /** Follows the mode, approval, impact hold and rollout stage on a JsPolicy in force: nothing else changes. */
  async setViolationPolicy(
    name: string,
    violationPolicy: 'Deny' | 'Warn' | 'Dry',
    failurePolicy: 'Fail' | 'Ignore',
  ): Promise<void> {
    await withRetry(() => this.kube.patchJsPolicy(name, { spec: { violationPolicy, failurePolicy } }), this.retry);
  }

  /** Adds `owner` to the ownerReferences of a JsPolicy it adopts. */
  async addOwner(existing: JsPolicy, ownerReference: OwnerReference): Promise<void> {
    const refs = [...(existing.metadata.ownerReferences ?? []), ownerReference];
    await withRetry(
      () => this.kube.patchJsPolicy(existing.metadata.name, { metadata: { ownerReferences: refs } }),
      this.retry,
    );
  }

  private async send(request: JsPolicy, existing: StoredJsPolicy | undefined, dryRun: boolean): Promise<void> {
    if (existing) await this.kube.replaceJsPolicy(request, { dryRun });
    else await this.kube.createJsPolicy(request, { dryRun });
  }
}

/**
 * The loop's dry-run (GenerateDeps.dryRun) for the worker that runs next to the operator: a draft owned by a
 * GPTPolicy is dry-run as the create or replace the operator would send, so the API server's refusal is
 * critic feedback for the next round of the same job. Drafts with no GPTPolicy owner (jobs from the HTTP API)
 * are not for this cluster: nothing is sent. Transient failures are PF_ERR_KUBE_API (retryable: the job
 * is tried again from its checkpoint), never blamed on the draft.
 */
export function clusterDryRun(kube: KubeClient, retry: RetryOptions = {}): (policy: JsPolicy) => Promise<string[]> {
  const applier = new JsPolicyApplier(kube, retry);
  return async (policy) => {
    const owned = policy.metadata.ownerReferences?.some(
      (r) => r.controller && r.kind === GPTPOLICY.kind && r.apiVersion.startsWith(`${GPTPOLICY.group}/`),
    );
    if (!owned) return [];
    try {
      return await applier.dryRun(policy);
    } catch (err) {
      const info = kubeErrorInfo(err);
      throw pfError('PF_ERR_KUBE_API', `dry-run of JsPolicy ${policy.metadata.name}: ${info.message}`);
    }
  };
}

/**
 * The body of the create or replace: `desired` as it is, or over the existing object's metadata (its
 * resourceVersion, and labels and annotations others added), dropping what earlier operators wrote.
 */
function requestFor(desired: JsPolicy, existing: StoredJsPolicy | undefined): JsPolicy {
  if (!existing) return desired;
  return {
    ...desired,
    metadata: {
      ...existing.metadata,
      ...desired.metadata,
      labels: { ...existing.metadata.labels, ...desired.metadata.labels },
      annotations: withoutLegacy({ ...existing.metadata.annotations, ...desired.metadata.annotations }),
    },
  };
}

/** Runs a dry-run request: [] when accepted, the API server's messages when it refuses; transient errors thrown. */
async function refusals(call: () => Promise<void>): Promise<string[]> {
  try {
    await call();
    return [];
  } catch (err) {
    if (isRetryable(err, { conflicts: true })) throw err;
    const info = kubeErrorInfo(err);
    return info.causes.length ? info.causes : [info.message];
  }
}

function samePolicy(existing: JsPolicy, desired: JsPolicy): boolean {
  const pick = (p: JsPolicy): string =>
    JSON.stringify({
      spec: sortKeys(p.spec),
      annotations: sortKeys(p.metadata.annotations ?? {}),
      labels: sortKeys(p.metadata.labels ?? {}),
      refs: (p.metadata.ownerReferences ?? []).map((r) => r.uid),
    });
  return pick(existing) === pick(desired);
}

/**
 * Annotations operators before the one envelope wrote on the JsPolicy (the spec hash, the mode's
 * violationPolicy): the GPTPolicy's status says both now, and a stale copy would mislead, so an update drops them.
 */
const LEGACY_ANNOTATIONS = ['gpt.drzzl.io/spec-hash', 'gpt.drzzl.io/intended-violation-policy'];

function withoutLegacy(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([k]) => !LEGACY_ANNOTATIONS.includes(k)));
}
