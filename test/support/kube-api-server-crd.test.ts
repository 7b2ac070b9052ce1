import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assetPath } from '../../common/index.js';
import { resourceTypeFromCrd, startKubeApiServer, type KubeApiServer } from './kube-api-server.js';
import type { CustomResourceDefinition } from './structural-schema.js';

// What a CRD's structural schema makes the API server do, spelled out through HTTP as a client sees it:
// the test server must prune, default, validate and own fields as a cluster does, or tests of the operator
// would pass with objects a cluster changes or refuses. Messages follow apiextensions-apiserver's
// (test/integration/apiserver/field_validation_test.go and the e2e FieldValidation conformance tests).

const GADGET_CRD: CustomResourceDefinition = {
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { kind: 'Gadget', plural: 'gadgets' },
    versions: [
      {
        name: 'v1',
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                  window: { type: 'string', pattern: '^[0-9]+m$' },
                  label: { type: 'string', minLength: 1, maxLength: 5 },
                  tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  nested: {
                    type: 'object',
                    properties: { keep: { type: 'string' }, when: { type: 'string', format: 'date-time' } },
                  },
                },
              },
              status: {
                type: 'object',
                properties: {
                  phase: { type: 'string', enum: ['Ready', 'Failed'] },
                  conditions: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['type'],
                    items: {
                      type: 'object',
                      required: ['type'],
                      properties: { type: { type: 'string' }, reason: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const GADGETS = '/apis/example.com/v1/gadgets';
const gadget = (name: string, spec: Record<string, unknown>): any => ({
  apiVersion: 'example.com/v1',
  kind: 'Gadget',
  metadata: { name },
  spec,
});

let server: KubeApiServer;

beforeEach(async () => {
  server = await startKubeApiServer({ types: [resourceTypeFromCrd(GADGET_CRD)] });
});
afterEach(async () => server.close());

interface Answer {
  status: number;
  body: any;
  warning: string | null;
}

/** One request as any HTTP client sends it; the answer with its Warning header (several joined by ", "). */
async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': contentType, 'user-agent': 'curl/8.0' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json(), warning: res.headers.get('warning') };
}

describe('a custom resource with a structural schema', () => {
  it('prunes fields the schema does not declare and warns about them by default (fieldValidation=Warn)', async () => {
    const created = await call('POST', GADGETS, {
      ...gadget('a', { size: 1, colour: 'blue', extra: { anything: { goes: 1 } }, nested: { keep: 'k', drop: 'd' } }),
      metadata: { name: 'a', labelz: { x: 'y' } },
      top: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual({
      size: 1,
      color: 'red',
      extra: { anything: { goes: 1 } },
      nested: { keep: 'k' },
    });
    expect(created.body.top).toBeUndefined();
    expect(created.body.metadata.labelz).toBeUndefined();
    expect(created.warning).toBe(
      ['metadata.labelz', 'spec.colour', 'spec.nested.drop', 'top']
        .map((f) => `299 - "unknown field \\"${f}\\""`)
        .join(', '),
    );
    expect(server.getObject('example.com', 'gadgets', 'a').spec).toEqual(created.body.spec);
    expect(server.requests.at(-1)?.warnings).toEqual(
      ['metadata.labelz', 'spec.colour', 'spec.nested.drop', 'top'].map((f) => `unknown field "${f}"`),
    );
  });

  it("refuses unknown fields with fieldValidation=Strict (400, the decoder's message) and drops them silently with Ignore", async () => {
    const strict = await call(
      'POST',
      `${GADGETS}?fieldValidation=Strict`,
      gadget('a', { size: 1, b: 1, a: [{ x: 1 }] }),
    );
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({
      reason: 'BadRequest',
      message:
        'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.a", unknown field "spec.b"',
    });
    expect(server.getObject('example.com', 'gadgets', 'a')).toBeUndefined();
    const ignored = await call('POST', `${GADGETS}?fieldValidation=Ignore`, gadget('a', { size: 1, b: 1 }));
    expect([ignored.status, ignored.body.spec, ignored.warning]).toEqual([201, { size: 1, color: 'red' }, null]);
    // a patch is checked after it is applied, and its error names no kind
    const patched = await call(
      'PATCH',
      '/apis/example.com/v1/gadgets/a?fieldValidation=Strict',
      { spec: { nope: 1 } },
      PatchStrategy.MergePatch,
    );
    expect([patched.status, patched.body.message]).toEqual([400, 'strict decoding error: unknown field "spec.nope"']);
  });

  it('applies defaults on create and again when an update drops a defaulted field, or sets it to null', async () => {
    const a = (await call('POST', GADGETS, gadget('a', { size: 1, color: 'blue' }))).body;
    expect(a.spec.color).toBe('blue');
    const replaced = await call('PUT', `${GADGETS}/a`, { ...a, spec: { size: 2 } });
    expect(replaced.body.spec).toEqual({ size: 2, color: 'red' });
    const nulled = await call(
      'PATCH',
      `${GADGETS}/a`,
      [{ op: 'replace', path: '/spec/color', value: null }],
      PatchStrategy.JsonPatch,
    );
    expect(nulled.body.spec).toEqual({ size: 2, color: 'red' });
  });

  it("answers 422 Invalid with the API server's field errors for types, enums, required fields, patterns and bounds", async () => {
    const bad = await call('POST', GADGETS, {
      ...gadget('Bad_Name', {
        size: 11,
        color: 'green',
        window: '5 minutes',
        label: 'toolong',
        tags: ['a', 'b', 'c'],
        nested: { keep: 3, when: 'yesterday' },
      }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.details).toMatchObject({ name: 'Bad_Name', group: 'example.com', kind: 'Gadget' });
    const causes = Object.fromEntries(bad.body.details.causes.map((c: any) => [c.field, [c.reason, c.message]]));
    expect(causes).toEqual({
      'metadata.name': [
        'FieldValueInvalid',
        `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', ` +
          `and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is ` +
          `'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
      'spec.size': ['FieldValueInvalid', 'Invalid value: 11: spec.size in body should be less than or equal to 10'],
      'spec.color': ['FieldValueNotSupported', 'Unsupported value: "green": supported values: "red", "blue"'],
      'spec.window': ['FieldValueInvalid', `Invalid value: "5 minutes": spec.window in body should match '^[0-9]+m$'`],
      'spec.label': ['FieldValueTooLong', 'Too long: may not be more than 5 bytes'],
      'spec.tags': ['FieldValueTooMany', 'Too many: 3: must have at most 2 items'],
      'spec.nested.keep': [
        'FieldValueTypeInvalid',
        'Invalid value: "integer": spec.nested.keep in body must be of type string: "integer"',
      ],
      'spec.nested.when': [
        'FieldValueTypeInvalid',
        'Invalid value: "yesterday": spec.nested.when in body must be of type date-time: "yesterday"',
      ],
    });
    expect(bad.body.message).toMatch(
      /^Gadget\.example\.com "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": .*, spec\.size: Invalid value: 11: /,
    );
    const missing = await call('POST', GADGETS, {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'm' },
      spec: {},
    });
    expect(missing.body.message).toBe('Gadget.example.com "m" is invalid: spec.size: Required value');
    const noKind = await call('POST', GADGETS, { metadata: { name: 'k' }, spec: { size: 1 } });
    expect([noKind.status, noKind.body.message]).toEqual([
      400,
      `Object 'Kind' is missing in '{"metadata":{"name":"k"},"spec":{"size":1}}'`,
    ]);
    expect(server.listObjects('example.com', 'gadgets')).toEqual([]);
  });

  it('validates and prunes /status writes against the status schema', async () => {
    const a = (await call('POST', GADGETS, gadget('a', { size: 1 }))).body;
    const bad = await call('PUT', `${GADGETS}/a/status`, { ...a, status: { phase: 'Done' } });
    expect([bad.status, bad.body.message]).toEqual([
      422,
      'Gadget.example.com "a" is invalid: status.phase: Unsupported value: "Done": supported values: "Ready", "Failed"',
    ]);
    const dup = await call('PUT', `${GADGETS}/a/status`, {
      ...a,
      status: { conditions: [{ type: 'Ready' }, { type: 'Ready', reason: 'again' }] },
    });
    expect(dup.body.details.causes).toEqual([
      {
        reason: 'FieldValueDuplicate',
        field: 'status.conditions[1]',
        message: 'Duplicate value: map[string]interface {}{"type":"Ready"}',
      },
    ]);
    const ok = await call('PUT', `${GADGETS}/a/status`, { ...a, status: { phase: 'Ready', score: 3 } });
    expect([ok.status, ok.body.status, ok.warning]).toEqual([
      200,
      { phase: 'Ready' },
      '299 - "unknown field \\"status.score\\""',
    ]);
  });
});

describe('validation ratcheting (Kubernetes 1.30+)', () => {
  it('lets an update keep a value a stricter schema now refuses, but not change it to another invalid one', async () => {
    // stored before the enum existed: the API server only validates what a write changes
    server.putObject('example.com', 'gadgets', gadget('old', { size: 1, color: 'green' }));
    const stored = server.getObject('example.com', 'gadgets', 'old');
    const status = await call('PUT', `${GADGETS}/old/status`, { ...stored, status: { phase: 'Ready' } });
    expect([status.status, status.body.status]).toEqual([200, { phase: 'Ready' }]);
    const changed = await call('PUT', `${GADGETS}/old`, { ...status.body, spec: { size: 1, color: 'pink' } });
    expect([changed.status, changed.body.message]).toEqual([
      422,
      'Gadget.example.com "old" is invalid: spec.color: Unsupported value: "pink": supported values: "red", "blue"',
    ]);
  });
});

describe('server-side apply and managedFields', () => {
  const APPLY = 'application/apply-patch+yaml';
  const apply = (manager: string, yaml: string, extra = ''): Promise<Answer> =>
    call('PATCH', `${GADGETS}/a?fieldManager=${manager}${extra}`, yaml, APPLY);
  const config = (spec: string): string =>
    `apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: a\nspec:\n${spec}`;

  it("records each write's manager and the fields it set in metadata.managedFields", async () => {
    await apply('alice', config('  size: 1\n  color: blue\n'));
    const edited = await call(
      'PATCH',
      `${GADGETS}/a?fieldManager=bob`,
      { metadata: { labels: { team: 'x' } }, spec: { size: 2 } },
      PatchStrategy.MergePatch,
    );
    expect(
      edited.body.metadata.managedFields.map((m: any) => [
        m.manager,
        m.operation,
        m.apiVersion,
        m.fieldsType,
        m.fieldsV1,
      ]),
    ).toEqual([
      ['alice', 'Apply', 'example.com/v1', 'FieldsV1', { 'f:spec': { 'f:color': {} } }],
      [
        'bob',
        'Update',
        'example.com/v1',
        'FieldsV1',
        { 'f:metadata': { 'f:labels': { 'f:team': {} } }, 'f:spec': { 'f:size': {} } },
      ],
    ]);
    const status = await call('PUT', `${GADGETS}/a/status`, { ...edited.body, status: { phase: 'Ready' } });
    expect(status.body.metadata.managedFields.at(-1)).toMatchObject({
      manager: 'curl',
      operation: 'Update',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:phase': {} } },
    });
  });

  it('answers 409 when an apply would change a field another manager owns, and takes it over with force=true', async () => {
    await apply('alice', config('  size: 1\n  color: blue\n'));
    // the same value is no conflict: both own it
    expect((await apply('bob', config('  size: 1\n'))).status).toBe(200);
    const clash = await apply('bob', config('  size: 3\n  color: red\n'));
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      reason: 'Conflict',
      message: 'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.color\n- .spec.size',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.color' },
          { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.size' },
        ],
      },
    });
    const edit = await call(
      'PATCH',
      `${GADGETS}/a?fieldManager=kubectl-edit`,
      { spec: { label: 'x' } },
      PatchStrategy.MergePatch,
    );
    expect(edit.status).toBe(200);
    const one = await apply('bob', config('  size: 1\n  label: y\n'));
    expect(one.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using example.com/v1: .spec.label',
    );
    const forced = await apply('bob', config('  size: 3\n  color: red\n'), '&force=true');
    expect([forced.status, forced.body.spec]).toEqual([200, { size: 3, color: 'red', label: 'x' }]);
    expect(forced.body.metadata.managedFields.map((m: any) => [m.manager, m.fieldsV1])).toEqual([
      ['kubectl-edit', { 'f:spec': { 'f:label': {} } }],
      ['bob', { 'f:spec': { 'f:size': {}, 'f:color': {} } }],
    ]);
  });

  it('removes a field a manager applied before and leaves out now, unless another manager owns it', async () => {
    await apply('alice', config('  size: 1\n  window: 5m\n  label: a\n'));
    await apply('bob', config('  size: 1\n  label: a\n'));
    const next = await apply('alice', config('  size: 1\n'));
    expect(next.body.spec).toEqual({ size: 1, color: 'red', label: 'a' });
  });

  it('fails an apply naming a field the schema does not declare, whatever fieldValidation says (500, as the API server)', async () => {
    const res = await apply('alice', config('  size: 1\n  bogus: true\n'), '&fieldValidation=Ignore');
    expect(res.status).toBe(500);
    expect(res.body.message).toBe(
      'failed to create typed patch object (/a; example.com/v1, Kind=Gadget): .spec.bogus: field not declared in schema',
    );
    const noManager = await call('PATCH', `${GADGETS}/a`, config('  size: 1\n'), APPLY);
    expect([noManager.status, noManager.body.message]).toEqual([
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    ]);
  });

  it('lets client-node apply with a fieldManager, as the operator would', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    const api = kc.makeApiClient(CustomObjectsApi);
    const body = gadget('a', { size: 4 });
    const created = await api.patchClusterCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        plural: 'gadgets',
        name: 'a',
        body,
        fieldManager: 'policyforge-operator',
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(created.spec).toEqual({ size: 4, color: 'red' });
    expect(created.metadata.managedFields[0]).toMatchObject({ manager: 'policyforge-operator', operation: 'Apply' });
  });
});

describe('the OpenAPI documents', () => {
  it('lists a v3 document per group/version whose operations name their kind and accept fieldValidation', async () => {
    const root = (await (await fetch(`${server.url}/openapi/v3`)).json()) as any;
    expect(root.paths['apis/example.com/v1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/example\.com\/v1\?hash=[0-9A-F]+$/,
    );
    const doc = (await (
      await fetch(`${server.url}${root.paths['apis/example.com/v1'].serverRelativeURL}`)
    ).json()) as any;
    const patch = doc.paths['/apis/example.com/v1/gadgets/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'example.com', version: 'v1', kind: 'Gadget' });
    expect(patch.parameters).toContainEqual({ name: 'fieldValidation', in: 'query', schema: { type: 'string' } });
    const schema = doc.components.schemas['com.example.v1.Gadget'];
    expect(schema.properties.spec.properties.color).toEqual({ type: 'string', enum: ['red', 'blue'], default: 'red' });
    expect(schema.properties.metadata).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    });
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
  });

  it('serves /openapi/v2 as JSON, and 406 to a client that only takes protobuf', async () => {
    const v2 = (await (
      await fetch(`${server.url}/openapi/v2`, { headers: { accept: 'application/json' } })
    ).json()) as any;
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['com.example.v1.Gadget']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'example.com', version: 'v1', kind: 'Gadget' },
    ]);
    const pb = await fetch(`${server.url}/openapi/v2`, {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect(pb.status).toBe(406);
  });
});

describe('kubectl against the test server (no --validate=false)', () => {
  const run = promisify(execFile);

  it('applies the GPTPolicy examples from deploy/ with server-side field validation, and kubectl sees unknown fields refused', async () => {
    const crd = parseYaml(readFileSync(assetPath('deploy', 'crd-gptpolicy.yaml'), 'utf8'));
    server.register(resourceTypeFromCrd(crd));
    const dir = mkdtempSync(join(tmpdir(), 'pf-kubectl-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, server.kubeconfig());
    const manifest = join(dir, 'policy.yaml');
    writeFileSync(
      manifest,
      'apiVersion: gpt.drzzl.io/v1\nkind: GPTPolicy\nmetadata:\n  name: no-latest\nspec:\n  description: deny the latest tag\n',
    );
    const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
    const ok = await run('kubectl', ['apply', '-f', manifest], { env });
    expect(ok.stdout).toContain('gptpolicy.gpt.drzzl.io/no-latest created');
    expect(server.getObject('gpt.drzzl.io', 'gptpolicies', 'no-latest').spec).toMatchObject({
      description: 'deny the latest tag',
      mode: 'Enforce',
    });
    expect(server.requests.some((r) => r.method === 'POST' && r.query.fieldValidation === 'Strict')).toBe(true);
    writeFileSync(
      manifest,
      'apiVersion: gpt.drzzl.io/v1\nkind: GPTPolicy\nmetadata:\n  name: typo\nspec:\n  description: x\n  mdoe: Warn\n',
    );
    const refused = await run('kubectl', ['apply', '-f', manifest], { env }).catch((e) => e);
    expect(refused.stderr).toContain('strict decoding error: unknown field "spec.mdoe"');
    expect(server.getObject('gpt.drzzl.io', 'gptpolicies', 'typo')).toBeUndefined();
  });
});
