import type { KubeConfig } from '@kubernetes/client-node';
import type { ImpactSummary, JsPolicy } from '../../common/index.js';
import type { ReplayPool } from '../../sandbox/index.js';
import { clusterEntries, type ClusterSourceOptions } from './cluster.js';
import { previewImpact } from './impact.js';

/**
 * The impact preview in the shape a GPTPolicy's status carries it (issue 14 item 4): what the JsPolicy
 * would do to the objects the cluster holds now, read-only, before it first enforces. The operator calls
 * assessClusterImpact and writes the result to status.impact with impactCondition(); the policy runs in a
 * sandbox child process, never in the operator's own.
 */

export interface ImpactStatus {
  /** Objects of the matched kinds replayed. */
  checked: number;
  wouldDeny: number;
  wouldWarn: number;
  /** Up to 10 objects, denials first, each with its reason. */
  examples: Array<{ object: string; verdict: 'deny' | 'warn'; reason: string }>;
  /** RFC 3339, when the objects were read. */
  when: string;
}

export const IMPACT_CONDITION = 'ImpactAssessed';

export async function assessClusterImpact(
  kubeConfig: KubeConfig,
  policy: JsPolicy,
  options: ClusterSourceOptions & { now?: () => Date; pool?: ReplayPool } = {},
): Promise<ImpactStatus> {
  const when = (options.now ?? (() => new Date()))();
  // isolation 'process' said outright (or the caller's long-lived child): an operator never runs a policy in its own process
  const entries = clusterEntries(kubeConfig, policy, options);
  const summary = await previewImpact(policy, {
    entries,
    examplesPerReason: 10,
    isolation: 'process',
    pool: options.pool,
  });
  return impactStatus(summary, when);
}

export function impactStatus(summary: ImpactSummary, when: Date): ImpactStatus {
  const examples: ImpactStatus['examples'] = [];
  for (const r of summary.reasons) {
    if (r.verdict === 'mutate') continue;
    for (const e of r.examples) {
      if (examples.length >= 10) break;
      // Examples read `Pod ns/name (cluster)`: the source adds nothing in a status.
      examples.push({ object: e.replace(/ \(cluster\)$/, ''), verdict: r.verdict, reason: r.reason });
    }
  }
  return {
    checked: summary.checked,
    wouldDeny: summary.wouldDeny,
    wouldWarn: summary.wouldWarn,
    examples,
    when: when.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** The ImpactAssessed condition for a status: True once assessed; the reason says whether anything would be denied. */
export function impactCondition(status: ImpactStatus): {
  type: string;
  status: 'True';
  reason: 'WouldDeny' | 'NoDenials';
  message: string;
} {
  return status.wouldDeny > 0
    ? {
        type: IMPACT_CONDITION,
        status: 'True',
        reason: 'WouldDeny',
        message:
          `would deny ${status.wouldDeny} of ${status.checked} existing object(s), e.g. ${status.examples[0]?.object ?? '?'}: ${status.examples[0]?.reason ?? ''}`.slice(
            0,
            1024,
          ),
      }
    : {
        type: IMPACT_CONDITION,
        status: 'True',
        reason: 'NoDenials',
        message: `would deny none of ${status.checked} existing object(s)${status.wouldWarn ? `; warn ${status.wouldWarn}` : ''}`,
      };
}
