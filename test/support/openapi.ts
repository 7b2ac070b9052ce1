import { createHash } from 'node:crypto';
import type { ResourceType } from './kube-api-server.js';
import type { JSONSchemaProps } from './structural-schema.js';

/**
 * The OpenAPI documents of the test API server, shaped as the API server publishes them for CRDs
 * (apiextensions-apiserver's builder): /openapi/v3 lists one document per group/version, each with the
 * resources' paths and operations (tagged x-kubernetes-group-version-kind, with the fieldValidation,
 * fieldManager, dryRun and force parameters) and their schemas; /openapi/v2 is the same in Swagger 2.0.
 * kubectl reads the v3 document to learn that the server validates fields itself (--validate=strict sends
 * fieldValidation=Strict instead of validating on the client), so it needs no --validate=false.
 */

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';

/** `gpt.drzzl.io` v1 GPTPolicy → `io.drzzl.gpt.v1.GPTPolicy`; the core group → `io.k8s.api.core.v1.Pod`. */
export function definitionName(t: ResourceType, suffix = ''): string {
  const group = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${group}.${t.version}.${t.kind}${suffix}`;
}

const gvk = (t: ResourceType, kind = t.kind): Record<string, string> => ({ group: t.group, version: t.version, kind });

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** /openapi/v3: the discovery document naming each group/version's document, with a hash as the server does. */
export function openApiV3Root(types: ResourceType[]): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [gv, members] of byGroupVersion(types)) {
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiV3(members)))
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}

export function byGroupVersion(types: ResourceType[]): Map<string, ResourceType[]> {
  const out = new Map<string, ResourceType[]>();
  for (const t of types) {
    const key = groupVersionPath(t.group, t.version);
    out.set(key, [...(out.get(key) ?? []), t]);
  }
  return out;
}

/** A resource's schema as published: the CRD's, with metadata a reference to ObjectMeta. */
function resourceSchema(t: ResourceType, ref: (name: string) => string): Record<string, unknown> {
  const schema: JSONSchemaProps = t.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    ...schema,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      ...(schema.properties ?? {}),
      metadata: { $ref: ref(OBJECT_META) },
    },
    'x-kubernetes-group-version-kind': [gvk(t)],
  };
}

function listSchema(t: ResourceType, ref: (name: string) => string): Record<string, unknown> {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      items: { type: 'array', items: { $ref: ref(definitionName(t)) } },
      metadata: { $ref: ref(LIST_META) },
    },
    'x-kubernetes-group-version-kind': [gvk(t, `${t.kind}List`)],
  };
}

const META_SCHEMAS: Record<string, Record<string, unknown>> = {
  [OBJECT_META]: {
    type: 'object',
    properties: Object.fromEntries(
      [
        ['name', 'string'],
        ['generateName', 'string'],
        ['namespace', 'string'],
        ['uid', 'string'],
        ['resourceVersion', 'string'],
        ['generation', 'integer'],
        ['creationTimestamp', 'string'],
        ['deletionTimestamp', 'string'],
        ['deletionGracePeriodSeconds', 'integer'],
      ].map(([k, type]) => [k, { type }]),
    ),
  },
  [LIST_META]: {
    type: 'object',
    properties: {
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer' },
      resourceVersion: { type: 'string' },
    },
  },
  [STATUS]: {
    type: 'object',
    properties: { code: { type: 'integer' }, message: { type: 'string' }, reason: { type: 'string' } },
  },
};
// labels, annotations, ownerReferences, finalizers and managedFields, loosely (any object or list)
Object.assign((META_SCHEMAS[OBJECT_META] as any).properties, {
  labels: { type: 'object', additionalProperties: { type: 'string' } },
  annotations: { type: 'object', additionalProperties: { type: 'string' } },
  finalizers: { type: 'array', items: { type: 'string' } },
  ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
});

type Param = { name: string; in: 'query' | 'path'; required?: boolean; schema?: unknown; type?: string };

function parameters(verb: 'get' | 'list' | 'create' | 'replace' | 'patch' | 'delete', v2: boolean): Param[] {
  const q = (name: string): Param =>
    v2 ? { name, in: 'query', type: 'string' } : { name, in: 'query', schema: { type: 'string' } };
  const write = [q('dryRun'), q('fieldManager'), q('fieldValidation')];
  switch (verb) {
    case 'list':
      return [
        'labelSelector',
        'fieldSelector',
        'limit',
        'continue',
        'resourceVersion',
        'watch',
        'allowWatchBookmarks',
        'timeoutSeconds',
      ].map(q);
    case 'create':
    case 'replace':
      return write;
    case 'patch':
      return [...write, q('force')];
    case 'delete':
      return [q('dryRun'), q('propagationPolicy'), q('gracePeriodSeconds')];
    default:
      return [q('resourceVersion')];
  }
}

function operations(
  t: ResourceType,
  v2: boolean,
  ref: (name: string) => string,
): Record<string, Record<string, unknown>> {
  const base = `/${groupVersionPath(t.group, t.version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const body = (name: string): unknown =>
    v2 ? { schema: { $ref: ref(name) } } : { content: { 'application/json': { schema: { $ref: ref(name) } } } };
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  type Verb = 'get' | 'list' | 'create' | 'replace' | 'patch' | 'delete';
  const op = (verb: Verb, action: string, response: string, sub = ''): Record<string, unknown> => {
    const o: Record<string, unknown> = {
      operationId: `${verb}${t.kind}${sub}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk(t),
      parameters: parameters(verb, v2),
      responses: { '200': { description: 'OK', ...(body(response) as object) } },
    };
    const input = verb === 'create' || verb === 'replace';
    if (v2 && verb === 'patch') o.consumes = patchTypes;
    if (!v2 && verb === 'patch') {
      o.requestBody = { content: Object.fromEntries(patchTypes.map((c) => [c, { schema: { type: 'object' } }])) };
    }
    if (v2 && input)
      o.parameters = [
        ...parameters(verb, v2),
        { name: 'body', in: 'body', required: true, ...(body(definitionName(t)) as object) },
      ];
    if (!v2 && input) o.requestBody = body(definitionName(t));
    return o;
  };
  const name = v2
    ? { name: 'name', in: 'path', required: true, type: 'string' }
    : { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const item: Record<string, unknown> = {
    get: op('get', 'get', definitionName(t)),
    put: op('replace', 'put', definitionName(t)),
    patch: op('patch', 'patch', definitionName(t)),
    delete: op('delete', 'delete', STATUS),
    parameters: [name],
  };
  const paths: Record<string, Record<string, unknown>> = {
    [base]: { get: op('list', 'list', definitionName(t, 'List')), post: op('create', 'post', definitionName(t)) },
    [`${base}/{name}`]: item,
  };
  if (t.statusSubresource) {
    paths[`${base}/{name}/status`] = {
      get: op('get', 'get', definitionName(t), 'Status'),
      put: op('replace', 'put', definitionName(t), 'Status'),
      patch: op('patch', 'patch', definitionName(t), 'Status'),
      parameters: [name],
    };
  }
  return paths;
}

/** One group/version's OpenAPI 3.0 document (/openapi/v3/apis/<group>/<version>). */
export function openApiV3(types: ResourceType[]): unknown {
  const ref = (name: string): string => `#/components/schemas/${name}`;
  const schemas: Record<string, unknown> = { ...META_SCHEMAS };
  let paths: Record<string, unknown> = {};
  for (const t of types) {
    schemas[definitionName(t)] = resourceSchema(t, ref);
    schemas[definitionName(t, 'List')] = listSchema(t, ref);
    paths = { ...paths, ...operations(t, false, ref) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.30.0' }, paths, components: { schemas } };
}

/** The Swagger 2.0 document of every resource (/openapi/v2, JSON). */
export function openApiV2(types: ResourceType[]): unknown {
  const ref = (name: string): string => `#/definitions/${name}`;
  const definitions: Record<string, unknown> = { ...META_SCHEMAS };
  let paths: Record<string, unknown> = {};
  for (const t of types) {
    definitions[definitionName(t)] = resourceSchema(t, ref);
    definitions[definitionName(t, 'List')] = listSchema(t, ref);
    paths = { ...paths, ...operations(t, true, ref) };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.30.0' }, paths, definitions };
}
