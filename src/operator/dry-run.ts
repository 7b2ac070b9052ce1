import type { JsPolicy } from '../../common/index.js';
import type { KubeClient } from './kube-client.js';
import { kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';

/**
 * A server-side dry-run for the loop (GenerateDeps.dryRun): the API server's objections to creating (or
 * updating) the JsPolicy, one message each, or [] when it would accept it. Nothing is stored.
 */
export function kubeDryRun(kube: KubeClient, retry: RetryOptions = {}): (policy: JsPolicy) => Promise<string[]> {
  return async (policy) => {
    try {
      await withRetry(async () => {
        const existing = await kube.getJsPolicy(policy.metadata.name);
        return existing
          ? kube.replaceJsPolicy({ ...policy, metadata: { ...policy.metadata, resourceVersion: existing.metadata.resourceVersion } as never }, { dryRun: true })
          : kube.createJsPolicy(policy, { dryRun: true });
      }, { ...retry, conflicts: true });
      return [];
    } catch (err) {
      const info = kubeErrorInfo(err);
      if (info.status === undefined || info.status >= 500 || info.status === 429) throw err;
      return info.causes.length ? info.causes : [info.message];
    }
  };
}
