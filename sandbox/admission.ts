import { randomUUID } from 'node:crypto';
import { parseApiVersion, type ApiCatalog } from '../catalog/index.js';
import type { KubeObject, Operation, PolicyType, TestCase } from '../common/index.js';

/** The admission/v1 AdmissionRequest a webhook policy receives (see ../shared/jspolicy.md, "The request object"). */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: { group: string; version: string; kind: string };
  requestResource: { group: string; version: string; resource: string };
  requestSubResource?: string;
  name: string;
  namespace: string;
  operation: Operation;
  userInfo: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  options?: { apiVersion: string; kind: string };
}

/** What a Controller policy receives: only these fields (updates arrive as CREATE, deletions without object). */
export interface ControllerRequest {
  name: string;
  namespace: string;
  operation: 'CREATE' | 'DELETE';
  kind: { group: string; version: string; kind: string };
  object?: KubeObject;
}

/** The default requester: a cluster administrator, as `kubectl` with an admin kubeconfig. */
export const DEFAULT_USER_INFO = {
  username: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
} as const;

/** Subresource request bodies whose kind is not the parent's (exec options, evictions, scale …). */
const SUBRESOURCE_PARENTS: Record<string, { group: string; plural: string }> = {
  PodExecOptions: { group: '', plural: 'pods' },
  PodAttachOptions: { group: '', plural: 'pods' },
  PodPortForwardOptions: { group: '', plural: 'pods' },
  PodProxyOptions: { group: '', plural: 'pods' },
  Eviction: { group: '', plural: 'pods' },
  Binding: { group: '', plural: 'pods' },
};

const OPTIONS_KIND: Record<Operation, string> = {
  CREATE: 'CreateOptions',
  UPDATE: 'UpdateOptions',
  DELETE: 'DeleteOptions',
  CONNECT: '',
};

/** What the catalog (or the usual pluralisation, for kinds it does not know) says about a kind. */
export interface ResolvedResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** False when the plural was derived by rule because the catalog does not know the kind. */
  known: boolean;
}

export function resolveResource(obj: KubeObject, catalog: ApiCatalog, subResource?: string): ResolvedResource {
  const { group, version } = parseApiVersion(obj.apiVersion ?? 'v1');
  const kind = obj.kind ?? '';
  const parent = subResource ? SUBRESOURCE_PARENTS[kind] : undefined;
  if (parent) {
    const r = catalog.get(parent.group, parent.plural);
    return {
      group: parent.group,
      version: r?.versions[0] ?? 'v1',
      kind,
      plural: parent.plural,
      namespaced: r?.namespaced ?? true,
      known: Boolean(r),
    };
  }
  const r = catalog.byKind(obj.apiVersion ?? 'v1', kind);
  if (r) return { group, version, kind, plural: r.plural, namespaced: r.namespaced, known: true };
  return { group, version, kind, plural: pluralise(kind), namespaced: Boolean(obj.metadata?.namespace), known: false };
}

/** Kubernetes' own rule for CRDs without an explicit plural: lower case, then s / es / ies. */
export function pluralise(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/** The namespace of the request as the API server fills it in. */
export function requestNamespace(testCase: TestCase, resolved: ResolvedResource, operation: Operation): string {
  if (testCase.namespace !== undefined) return testCase.namespace;
  const obj = testCase.object ?? testCase.oldObject;
  // RequestInfo takes the namespace from the URL; for the namespaces resource itself that is the name
  // (/api/v1/namespaces/<name>), except on create where the URL has no name yet.
  if (resolved.group === '' && resolved.plural === 'namespaces')
    return operation === 'CREATE' ? '' : (obj?.metadata?.name ?? '');
  if (!resolved.namespaced) return '';
  // A namespaced object without a namespace is created where kubectl sends it: "default".
  return obj?.metadata?.namespace || 'default';
}

/**
 * The AdmissionRequest the API server would send for this case (or the Controller request shape for
 * Controller policies): kind/resource/plural from the catalog, a uid, the default admin userInfo.
 */
export function buildAdmissionRequest(
  testCase: TestCase,
  policyType: PolicyType | undefined,
  catalog: ApiCatalog,
): AdmissionRequest | ControllerRequest {
  const operation = testCase.operation ?? 'CREATE';
  const obj = testCase.object ?? testCase.oldObject ?? {};
  const resolved = resolveResource(obj, catalog, testCase.subResource);
  const namespace = requestNamespace(testCase, resolved, operation);
  const name = testCase.object?.metadata?.name ?? testCase.oldObject?.metadata?.name ?? '';
  const kind = { group: resolved.group, version: resolved.version, kind: resolved.kind };
  if (policyType === 'Controller') {
    // Level-triggered: an update is seen as the current object (CREATE); a delete arrives without object
    // unless the object still exists with a deletionTimestamp.
    if (operation === 'DELETE') {
      const old = testCase.oldObject ?? testCase.object;
      const pending = old?.metadata?.deletionTimestamp ? old : undefined;
      return { name, namespace, operation: 'DELETE', kind, ...(pending ? { object: pending } : {}) };
    }
    return { name, namespace, operation: 'CREATE', kind, ...(testCase.object ? { object: testCase.object } : {}) };
  }
  const resource = { group: resolved.group, version: resolved.version, resource: resolved.plural };
  const userInfo = testCase.userInfo
    ? {
        username: testCase.userInfo.username ?? '',
        groups: testCase.userInfo.groups ?? [],
        ...(testCase.userInfo.uid ? { uid: testCase.userInfo.uid } : {}),
        ...(testCase.userInfo.extra ? { extra: testCase.userInfo.extra } : {}),
      }
    : { username: DEFAULT_USER_INFO.username, groups: [...DEFAULT_USER_INFO.groups] };
  const request: AdmissionRequest = {
    uid: randomUUID(),
    kind,
    resource,
    ...(testCase.subResource ? { subResource: testCase.subResource } : {}),
    requestKind: kind,
    requestResource: resource,
    ...(testCase.subResource ? { requestSubResource: testCase.subResource } : {}),
    name,
    namespace,
    operation,
    userInfo,
    dryRun: false,
  };
  if (operation !== 'DELETE' && testCase.object) request.object = testCase.object;
  if (
    (operation === 'UPDATE' || operation === 'DELETE') &&
    (testCase.oldObject ?? (operation === 'DELETE' ? testCase.object : undefined))
  ) {
    request.oldObject = testCase.oldObject ?? testCase.object;
  }
  if (OPTIONS_KIND[operation]) request.options = { apiVersion: 'meta.k8s.io/v1', kind: OPTIONS_KIND[operation] };
  return request;
}

export function isControllerRequest(r: AdmissionRequest | ControllerRequest): r is ControllerRequest {
  return !('uid' in r);
}

/**
 * The request as jsPolicy puts it in front of the script: `json.Marshal` of controller-runtime's
 * admission.Request (pkg/webhook/handler.go 170-177), i.e. admission/v1's field order and omitempty rules:
 * name and namespace absent when empty, an absent object/oldObject/options as `null` (runtime.RawExtension
 * marshals as null), userInfo fields absent when empty. A Controller request is the same struct with only
 * name, namespace, operation, kind and object set (pkg/controller/policy.go 224-241): `uid: ""`,
 * `resource` of empty strings, `userInfo: {}`, `oldObject: null`, `options: null`.
 */
export function marshalRequest(request: AdmissionRequest | ControllerRequest): string {
  if (isControllerRequest(request)) {
    return JSON.stringify({
      uid: '',
      kind: request.kind,
      resource: { group: '', version: '', resource: '' },
      ...(request.name ? { name: request.name } : {}),
      ...(request.namespace ? { namespace: request.namespace } : {}),
      operation: request.operation,
      userInfo: {},
      object: request.object ?? null,
      oldObject: null,
      options: null,
    });
  }
  const u = request.userInfo;
  return JSON.stringify({
    uid: request.uid,
    kind: request.kind,
    resource: request.resource,
    ...(request.subResource ? { subResource: request.subResource } : {}),
    requestKind: request.requestKind,
    requestResource: request.requestResource,
    ...(request.requestSubResource ? { requestSubResource: request.requestSubResource } : {}),
    ...(request.name ? { name: request.name } : {}),
    ...(request.namespace ? { namespace: request.namespace } : {}),
    operation: request.operation,
    userInfo: {
      ...(u.username ? { username: u.username } : {}),
      ...(u.uid ? { uid: u.uid } : {}),
      ...(u.groups?.length ? { groups: u.groups } : {}),
      ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
    },
    object: request.object ?? null,
    oldObject: request.oldObject ?? null,
    dryRun: request.dryRun,
    options: request.options ?? null,
  });
}
