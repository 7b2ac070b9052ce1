import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { it } from 'vitest';
import { assetPath, createLogger, type GenerationResult, type Intent, type JsPolicy } from '../../common/index.js';
import {
  clusterDryRun,
  KubeClient,
  startOperator,
  type OperatorOptions,
  type RunningOperator,
} from '../../src/operator/index.js';
import {
  createGenerationQueue,
  startGenerationWorker,
  type GenerateFn,
  type GenerationQueue,
  type GenerationWorker,
} from '../../worker/index.js';
import { JSPOLICY_SCHEMA, JSPOLICY_VIOLATIONS_SCHEMA } from '../support/jspolicy-schemas.js';
import {
  resourceTypeFromCrd,
  startKubeApiServer,
  type KubeApiServer,
  type ResourceType,
} from '../support/kube-api-server.js';

/**
 * Test bed for the operator: the in-process Kubernetes API server (or a real cluster, see below), a real
 * Redis queue with a unique prefix, and a real generation worker around the given generate function.
 * The operator is started through its production entry point with a KubeConfig pointing at the server.
 *
 * Real cluster: POLICYFORGE_E2E_KUBECONFIG=/path/to/kubeconfig runs the same tests that need no injected
 * failures against that cluster (CRDs from deploy/ and jsPolicy's CRD must be installed). Never in CI.
 */

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const E2E_KUBECONFIG = process.env.POLICYFORGE_E2E_KUBECONFIG;

/** deploy/crd-gptpolicy.yaml, the manifest users install. */
export const GPTPOLICY_CRD: any = parseYaml(readFileSync(assetPath('deploy', 'crd-gptpolicy.yaml'), 'utf8'));

/** The GPTPolicy CRD as the server sees it: deploy/'s schema (pruning, defaults, validation), status, columns. */
export const GPTPOLICY_TYPE: ResourceType = resourceTypeFromCrd(GPTPOLICY_CRD);

/**
 * jsPolicy's CRD schema has types only (pruning and type checks); its validating webhook rejects bad values
 * (docs: /work/shared/jspolicy.md). This validator stands in for that webhook, so dry-runs fail the way they
 * would on a cluster.
 */
export function jsPolicyType(extra?: (o: any) => string[]): ResourceType {
  return {
    group: 'policy.jspolicy.com',
    version: 'v1beta1',
    kind: 'JsPolicy',
    plural: 'jspolicies',
    namespaced: false,
    statusSubresource: true,
    schema: JSPOLICY_SCHEMA,
    validate: (o) => {
      const errors: string[] = [];
      if (String(o.metadata?.name ?? '').split('.').length < 3)
        errors.push('metadata.name: must have at least three dot-separated parts');
      if (!Array.isArray(o.spec?.operations) || o.spec.operations.length === 0)
        errors.push('spec.operations: Required value');
      if (!Array.isArray(o.spec?.resources) || o.spec.resources.length === 0)
        errors.push('spec.resources: Required value');
      if (o.spec?.violationPolicy !== undefined && !['Deny', 'Warn', 'Dry'].includes(o.spec.violationPolicy))
        errors.push(`spec.violationPolicy: Unsupported value: "${o.spec.violationPolicy}"`);
      if (o.spec?.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(o.spec.failurePolicy))
        errors.push(`spec.failurePolicy: Unsupported value: "${o.spec.failurePolicy}"`);
      return [...errors, ...(extra?.(o) ?? [])];
    },
  };
}

/**
 * jsPolicy's JsPolicyViolations (policy.jspolicy.com/v1beta1, cluster-scoped, status subresource), modelled on
 * its CRD (chart/crds/crds.yaml, pkg/apis/policy/v1beta1/jspolicyviolations_types.go): one per JsPolicy, same
 * name, status.violations the last auditLogSize entries. The validator checks the schema's field types.
 */
export const JSPOLICY_VIOLATIONS_TYPE: ResourceType = {
  group: 'policy.jspolicy.com',
  version: 'v1beta1',
  kind: 'JsPolicyViolations',
  plural: 'jspolicyviolations',
  namespaced: false,
  statusSubresource: true,
  schema: JSPOLICY_VIOLATIONS_SCHEMA,
  validate: (o) => {
    const violations = o.status?.violations;
    if (violations === undefined) return [];
    if (!Array.isArray(violations)) return ['status.violations: Invalid value: must be an array'];
    const strings = ['action', 'reason', 'message', 'timestamp'];
    return violations.flatMap((v: any, i: number) => [
      ...strings
        .filter((k) => v?.[k] !== undefined && typeof v[k] !== 'string')
        .map((k) => `status.violations[${i}].${k}: Invalid value: must be a string`),
      ...(v?.code !== undefined && !Number.isInteger(v.code)
        ? [`status.violations[${i}].code: Invalid value: must be an integer`]
        : []),
      ...(v?.timestamp !== undefined && Number.isNaN(Date.parse(v.timestamp))
        ? [`status.violations[${i}].timestamp: Invalid value: must be a date-time`]
        : []),
    ]);
  },
};

/** Pods, for tests whose drafts are assessed against existing objects. */
export const POD_TYPE: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };

/**
 * One violation as jsPolicy's webhook records it (pkg/webhook/audit.go buildViolation): the action is the
 * policy's violationPolicy at the time, the timestamp metav1.Time (seconds).
 */
export function violation(action: 'Deny' | 'Warn' | 'Dry', at: Date, name = 'p1', message = 'denied'): any {
  return {
    action,
    code: 403,
    reason: 'Forbidden',
    message,
    requestInfo: { kind: 'Pod', apiVersion: 'v1', name, namespace: 'test', operation: 'CREATE' },
    userInfo: { username: 'alice', uid: 'u-alice' },
    timestamp: at.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export interface Bed {
  server?: KubeApiServer;
  kubeConfig: KubeConfig;
  api: CustomObjectsApi;
  prefix: string;
  queue: GenerationQueue;
  worker: GenerationWorker;
  /** Every intent the worker's generate function was called with. */
  generated: Intent[];
  operators: RunningOperator[];
  /** Validation added to the JsPolicy "webhook" (to make the API server refuse a policy). */
  jsPolicyRules: Array<(o: any) => string[]>;
  /**
   * The loop's server-side dry-run against this bed's API server, as `policyforge operator --with-worker`
   * gives its worker (src/operator clusterDryRun): for generate functions that dry-run their drafts.
   */
  dryRun: (policy: JsPolicy) => Promise<string[]>;
  startOperator(options?: Partial<OperatorOptions>): Promise<RunningOperator>;
  close(): Promise<void>;
}

export interface BedOptions {
  /** Another Redis (a private one a test stops and restarts). @defaultValue REDIS_URL */
  redisUrl?: string;
  /** The test API server's garbage-collection lag (a real cluster's GC is not instant). @defaultValue 0 */
  garbageCollectionDelayMs?: number;
  /** More resource types for the test API server (Pods for the impact preview). */
  types?: ResourceType[];
}

export async function createBed(generate: GenerateFn, bedOptions: BedOptions = {}): Promise<Bed> {
  const redisUrl = bedOptions.redisUrl ?? REDIS_URL;
  const jsPolicyRules: Array<(o: any) => string[]> = [];
  let server: KubeApiServer | undefined;
  const kubeConfig = new KubeConfig();
  if (E2E_KUBECONFIG) {
    kubeConfig.loadFromFile(E2E_KUBECONFIG);
  } else {
    server = await startKubeApiServer({
      types: [
        GPTPOLICY_TYPE,
        jsPolicyType((o) => jsPolicyRules.flatMap((r) => r(o))),
        JSPOLICY_VIOLATIONS_TYPE,
        ...(bedOptions.types ?? []),
      ],
      garbageCollectionDelayMs: bedOptions.garbageCollectionDelayMs,
    });
    kubeConfig.loadFromString(server.kubeconfig());
  }
  const prefix = `pf-test-operator-${randomBytes(4).toString('hex')}`;
  const queue = createGenerationQueue({ connection: redisUrl, prefix, attempts: 1 });
  const generated: Intent[] = [];
  const worker = startGenerationWorker({
    connection: redisUrl,
    prefix,
    concurrency: 2,
    supersededCheckMs: 100,
    generate: async (intent, ctx) => {
      generated.push(intent);
      return generate(intent, ctx);
    },
    shutdownGraceMs: 1000,
  });
  const operators: RunningOperator[] = [];
  const bed: Bed = {
    server,
    kubeConfig,
    api: kubeConfig.makeApiClient(CustomObjectsApi),
    prefix,
    queue,
    worker,
    generated,
    operators,
    jsPolicyRules,
    dryRun: clusterDryRun(new KubeClient(kubeConfig), { baseDelayMs: 10, maxDelayMs: 100 }),
    async startOperator(options = {}) {
      const op = await startOperator({
        kubeConfig,
        queue,
        leaderElection: false,
        leaseNamespace: 'policyforge-system',
        ...(process.env.PF_TEST_LOG ? { logger: createLogger({ level: process.env.PF_TEST_LOG }) } : {}),
        ...options,
        controller: {
          pollIntervalMs: 100,
          retry: { baseDelayMs: 10, maxDelayMs: 100 },
          watchRestartDelayMs: 50,
          ...options.controller,
        },
      });
      operators.push(op);
      return op;
    },
    async close() {
      for (const op of operators) await op.stop().catch(() => undefined);
      if (!server) {
        // a real cluster: remove what the test created (the JsPolicies go with their owners)
        const list = await bed.api.listClusterCustomObject({ ...GPT, labelSelector: 'policyforge.dev/test=operator' });
        for (const o of list.items ?? [])
          await bed.api.deleteClusterCustomObject({ ...GPT, name: o.metadata.name }).catch(() => undefined);
      }
      await worker.close();
      await queue.close();
      await server?.close();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      // a field the CRD does not declare is pruned by a cluster without a word to the operator: fail the test
      const pruned = (server?.requests ?? []).filter((r) => r.warnings?.length);
      if (pruned.length) {
        throw new Error(
          `the API server pruned fields: ${pruned.map((r) => `${r.method} ${r.path}: ${r.warnings!.join(', ')}`).join('; ')}`,
        );
      }
    },
  };
  return bed;
}

export const GPT = { group: 'gpt.drzzl.io', version: 'v1', plural: 'gptpolicies' } as const;
export const JSP = { group: 'policy.jspolicy.com', version: 'v1beta1', plural: 'jspolicies' } as const;

/** Every GPTPolicy a test creates carries this label, so a run against a real cluster can clean up after itself. */
export const TEST_LABEL = { 'policyforge.dev/test': 'operator' } as const;

export function gptPolicy(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): any {
  return {
    apiVersion: 'gpt.drzzl.io/v1',
    kind: 'GPTPolicy',
    metadata: { name, labels: { ...TEST_LABEL }, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/** Tests that need the in-process server (injected failures, watch control, request logs) skip on a real cluster. */
export const onTestServer = E2E_KUBECONFIG ? it.skip : it;

export async function getGPT(bed: Bed, name: string): Promise<any> {
  return bed.api.getClusterCustomObject({ ...GPT, name });
}

/**
 * Changes a GPTPolicy as `kubectl edit` does: read, change, replace. The operator writes status in between
 * (which moves resourceVersion on), so a 409 means read again, exactly as a person's edit would.
 */
export async function editGPT(bed: Bed, name: string, change: (current: any) => any): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const current = await getGPT(bed, name);
    try {
      return await bed.api.replaceClusterCustomObject({ ...GPT, name, body: change(current) });
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
    }
  }
}

export async function getJsPolicy(bed: Bed, name: string): Promise<any | undefined> {
  try {
    return await bed.api.getClusterCustomObject({ ...JSP, name });
  } catch (err) {
    if ((err as any).code === 404) return undefined;
    throw err;
  }
}

/** Polls until `check` returns a value other than undefined/false (or throws with the last value seen). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function condition(obj: any, type: string): any {
  return obj?.status?.conditions?.find((c: any) => c.type === type);
}

export type { GenerationResult };
