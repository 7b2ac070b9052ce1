import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { requestOptions } from './request-options.js';
import { PolicyforgeError, type JsPolicy } from '../../common/index.js';
import { isNotFound, kubeErrorInfo, withRetry, type RetryOptions } from './retry.js';
import type { PolicyViolation } from './rollout.js';
import { GPTPOLICY, JSPOLICY, JSPOLICY_VIOLATIONS, type GPTPolicy, type GPTPolicyStatus } from './types.js';

export interface KubeClientOptions {
  /** Every request is aborted after this long (it then counts as a retryable timeout). @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Namespace for Events about cluster-scoped GPTPolicies. @defaultValue 'default' */
  eventNamespace?: string;
  /** Recorded as the events' reportingComponent and the fieldManager of writes. @defaultValue 'policyforge-operator' */
  component?: string;
}

/**
 * The operator's calls to the Kubernetes API, through client-node's generated clients. Each method is one
 * request; retrying is the caller's job (withRetry), because only the caller knows whether re-reading the
 * object first is needed.
 */
export class KubeClient {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  private readonly timeoutMs: number;
  private readonly eventNamespace: string;
  private readonly component: string;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: KubeClientOptions = {},
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.eventNamespace = options.eventNamespace ?? 'default';
    this.component = options.component ?? 'policyforge-operator';
  }

  /** Per-request options: a timeout signal, and the patch content type when patching. */
  private opts(contentType?: string): ConfigurationOptions {
    return requestOptions(this.timeoutMs, contentType);
  }

  async listGPTPolicies(): Promise<{ items: GPTPolicy[]; metadata?: { resourceVersion?: string } }> {
    return this.custom.listClusterCustomObject(
      { group: GPTPOLICY.group, version: GPTPOLICY.version, plural: GPTPOLICY.plural },
      this.opts(),
    );
  }

  async getGPTPolicy(name: string): Promise<GPTPolicy> {
    return this.custom.getClusterCustomObject(
      { group: GPTPOLICY.group, version: GPTPOLICY.version, plural: GPTPOLICY.plural, name },
      this.opts(),
    );
  }

  /** PUT …/status with the object's resourceVersion: a stale copy gets 409 Conflict. */
  async replaceGPTPolicyStatus(policy: GPTPolicy, status: GPTPolicyStatus): Promise<GPTPolicy> {
    const body = { apiVersion: policy.apiVersion, kind: policy.kind, metadata: policy.metadata, status };
    return this.custom.replaceClusterCustomObjectStatus(
      {
        group: GPTPOLICY.group,
        version: GPTPOLICY.version,
        plural: GPTPOLICY.plural,
        name: policy.metadata.name,
        body,
        fieldManager: this.component,
      },
      this.opts(),
    );
  }

  /**
   * A merge patch of a GPTPolicy's metadata (the operator removes a rollout command once it acted on it).
   * Pass metadata.resourceVersion in the patch to make it conditional: a changed object answers 409.
   */
  async patchGPTPolicyMetadata(name: string, metadata: Record<string, unknown>): Promise<GPTPolicy> {
    return this.custom.patchClusterCustomObject(
      { ...gptPolicies(), name, body: { metadata }, fieldManager: this.component },
      this.opts(PatchStrategy.MergePatch),
    );
  }

  /**
   * What jsPolicy recorded for a policy: its JsPolicyViolations (same name as the JsPolicy) keeps the last
   * auditLogSize violations. jsPolicy creates it at the first violation, so none yet is an empty list.
   */
  async getJsPolicyViolations(name: string): Promise<PolicyViolation[]> {
    try {
      const o = (await this.custom.getClusterCustomObject(
        { group: JSPOLICY.group, version: JSPOLICY.version, plural: JSPOLICY_VIOLATIONS.plural, name },
        this.opts(),
      )) as { status?: { violations?: PolicyViolation[] } };
      return o.status?.violations ?? [];
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async getJsPolicy(
    name: string,
  ): Promise<(JsPolicy & { metadata: { uid?: string; resourceVersion?: string } }) | undefined> {
    try {
      return await this.custom.getClusterCustomObject(
        { group: JSPOLICY.group, version: JSPOLICY.version, plural: JSPOLICY.plural, name },
        this.opts(),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Every JsPolicy (ours and others'): the controller watches them to react when a name it needs is freed. */
  async listJsPolicies(): Promise<{
    items: Array<JsPolicy & { metadata: { resourceVersion?: string } }>;
    metadata?: { resourceVersion?: string };
  }> {
    return this.custom.listClusterCustomObject(
      { group: JSPOLICY.group, version: JSPOLICY.version, plural: JSPOLICY.plural },
      this.opts(),
    );
  }

  async createJsPolicy(policy: JsPolicy, options: { dryRun?: boolean } = {}): Promise<JsPolicy> {
    return this.custom.createClusterCustomObject(
      {
        group: JSPOLICY.group,
        version: JSPOLICY.version,
        plural: JSPOLICY.plural,
        body: policy,
        fieldManager: this.component,
        ...(options.dryRun ? { dryRun: 'All' } : {}),
      },
      this.opts(),
    );
  }

  /** PUT with metadata.resourceVersion set by the caller. */
  async replaceJsPolicy(policy: JsPolicy, options: { dryRun?: boolean } = {}): Promise<JsPolicy> {
    return this.custom.replaceClusterCustomObject(
      {
        group: JSPOLICY.group,
        version: JSPOLICY.version,
        plural: JSPOLICY.plural,
        name: policy.metadata.name,
        body: policy,
        fieldManager: this.component,
        ...(options.dryRun ? { dryRun: 'All' } : {}),
      },
      this.opts(),
    );
  }

  async patchJsPolicy(name: string, mergePatch: unknown): Promise<JsPolicy> {
    return this.custom.patchClusterCustomObject(
      {
        group: JSPOLICY.group,
        version: JSPOLICY.version,
        plural: JSPOLICY.plural,
        name,
        body: mergePatch,
        fieldManager: this.component,
      },
      this.opts(PatchStrategy.MergePatch),
    );
  }

  async deleteJsPolicy(name: string): Promise<void> {
    await this.custom.deleteClusterCustomObject(
      { group: JSPOLICY.group, version: JSPOLICY.version, plural: JSPOLICY.plural, name },
      this.opts(),
    );
  }

  /** A core/v1 Event about a GPTPolicy (kubectl describe shows it). Best effort: failures are the caller's to ignore. */
  async recordEvent(
    policy: GPTPolicy,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    now: Date,
  ): Promise<void> {
    const time = now.toISOString().replace(/\.\d+Z$/, 'Z');
    await this.core.createNamespacedEvent(
      {
        namespace: this.eventNamespace,
        body: {
          metadata: {
            generateName: `${policy.metadata.name}.`,
            name: `${policy.metadata.name}.${now.getTime().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
          },
          involvedObject: {
            apiVersion: `${GPTPOLICY.group}/${GPTPOLICY.version}`,
            kind: GPTPOLICY.kind,
            name: policy.metadata.name,
            uid: policy.metadata.uid,
            resourceVersion: policy.metadata.resourceVersion,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          firstTimestamp: new Date(time),
          lastTimestamp: new Date(time),
          count: 1,
          source: { component: this.component },
          reportingComponent: this.component,
        },
      },
      this.opts(),
    );
  }
}

function gptPolicies(): { group: string; version: string; plural: string } {
  return { group: GPTPOLICY.group, version: GPTPOLICY.version, plural: GPTPOLICY.plural };
}

/**
 * Start-up check: the API server answers and serves GPTPolicies (and JsPolicies). A missing CRD is a
 * configuration mistake (exit 2, naming the manifest to apply); an unreachable server is a dependency
 * being down (exit 3).
 */
export async function preflight(kube: KubeClient, retry: RetryOptions = {}): Promise<void> {
  const check = async (what: string, fix: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await withRetry(call, { retries: 3, ...retry });
    } catch (err) {
      const info = kubeErrorInfo(err);
      if (info.status === 404) throw new PolicyforgeError('PF_ERR_KUBE_CRD_MISSING', [what, fix]);
      throw new PolicyforgeError(
        'PF_ERR_KUBE_API',
        [`${kube.kubeConfig.getCurrentCluster()?.server}: ${info.status ? `HTTP ${info.status} ` : ''}${info.message}`],
        { cause: err },
      );
    }
  };
  await check(
    `${GPTPOLICY.plural}.${GPTPOLICY.group}/${GPTPOLICY.version}`,
    'kubectl apply -f deploy/crd-gptpolicy.yaml',
    () => kube.listGPTPolicies(),
  );
  await check(
    `${JSPOLICY.plural}.${JSPOLICY.group}/${JSPOLICY.version}`,
    'install jsPolicy (https://www.jspolicy.com/docs/getting-started/installation)',
    () =>
      kube.custom.listClusterCustomObject({
        group: JSPOLICY.group,
        version: JSPOLICY.version,
        plural: JSPOLICY.plural,
        limit: 1,
      }),
  );
}
