import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { loadPolicy, loadSuite, parsePolicy, parseSuite, serializePolicy } from '../../sandbox/index.js';
import { policy } from './helpers.js';

// Suite and policy parse errors name the file, the case (by name or index) and the field.
function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isPolicyforgeError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

const POD = '{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: dev}}';

describe('parseSuite', () => {
  it('reads the shared format', () => {
    const s = parseSuite(
      `intent: x\ncases:\n  - name: one\n    object: ${POD}\n    expect: deny\n    message: no\n`,
      's.yaml',
    );
    expect(s).toMatchObject({ intent: 'x', source: 's.yaml', cases: [{ name: 'one', expect: 'deny', message: 'no' }] });
  });

  it('names the file, the case and the field', () => {
    const e = errorOf(() =>
      parseSuite(`intent: x\ncases:\n  - name: one\n    object: ${POD}\n    expect: maybe\n`, 's.yaml'),
    );
    expect(e.code).toBe('PF_ERR_SUITE_INVALID');
    expect(e.message).toMatch(/^s\.yaml case "one": field `expect`: /);
  });

  it('names a case without a name by its index', () => {
    const e = errorOf(() =>
      parseSuite(
        `intent: x\ncases:\n  - name: one\n    object: ${POD}\n    expect: allow\n  - object: ${POD}\n    expect: allow\n`,
        's.yaml',
      ),
    );
    expect(e.message).toMatch(/^s\.yaml case #2: field `name`/);
  });

  it('points into nested fields', () => {
    const e = errorOf(() =>
      parseSuite(
        `intent: x\ncases:\n  - name: one\n    object: {apiVersion: v1, kind: Pod, metadata: {labels: {a: 1}}}\n    expect: allow\n`,
        's.yaml',
      ),
    );
    expect(e.message).toMatch(/^s\.yaml case "one": field `object\.metadata\.labels\.a`/);
  });

  it('rejects unknown fields, duplicate names and missing objects', () => {
    expect(
      errorOf(() =>
        parseSuite(
          `intent: x\ncases:\n  - name: one\n    object: ${POD}\n    expect: allow\n    expected: deny\n`,
          's.yaml',
        ),
      ).message,
    ).toContain('expected');
    expect(
      errorOf(() =>
        parseSuite(
          `intent: x\ncases:\n  - {name: a, object: ${POD}, expect: allow}\n  - {name: a, object: ${POD}, expect: allow}\n`,
          's.yaml',
        ),
      ).message,
    ).toMatch(/case "a": field `name`: must be unique/);
    expect(
      errorOf(() => parseSuite('intent: x\ncases:\n  - {name: a, operation: UPDATE, expect: allow}\n', 's.yaml'))
        .message,
    ).toMatch(/field `object`/);
    expect(
      errorOf(() =>
        parseSuite(`intent: x\ncases:\n  - {name: a, operation: UPDATE, object: ${POD}, expect: allow}\n`, 's.yaml'),
      ).message,
    ).toMatch(/field `oldObject`/);
  });

  it('rejects broken YAML and a missing cases list', () => {
    expect(errorOf(() => parseSuite('intent: [', 's.yaml'))).toMatchObject({ code: 'PF_ERR_INPUT_YAML' });
    expect(errorOf(() => parseSuite('intent: x\n', 's.yaml')).message).toBe(
      's.yaml: field `cases` must be a non-empty list',
    );
  });

  it('loadSuite reports a missing file', async () => {
    await expect(loadSuite('/nonexistent/suite.yaml')).rejects.toMatchObject({ code: 'PF_ERR_INPUT_FILE' });
  });
});

describe('parsePolicy and serializePolicy', () => {
  it('round-trips a JsPolicy', async () => {
    const p = policy(
      "if (request.object.metadata.labels?.env === 'prod') {\n  deny('no');\n}\n",
      { type: 'Validating', failurePolicy: 'Ignore' },
      'a.b.example.com',
    );
    const dir = await mkdtemp(join(tmpdir(), 'pf-'));
    await writeFile(join(dir, 'p.yaml'), serializePolicy(p));
    expect(await loadPolicy(join(dir, 'p.yaml'))).toEqual(p);
    expect(serializePolicy(p)).toContain('javascript: |');
  });

  it('rejects what jsPolicy rejects, naming the field', () => {
    const doc = (spec: string, name = 'a.b.example.com') =>
      `apiVersion: policy.jspolicy.com/v1beta1\nkind: JsPolicy\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
    expect(
      errorOf(() => parsePolicy(doc('{operations: [CREATE], resources: [pods], javascript: x}', 'short'), 'p.yaml'))
        .message,
    ).toMatch(/^p\.yaml: field `metadata\.name`/);
    expect(
      errorOf(() =>
        parsePolicy(doc('{operations: [CREATE], resources: [pods], javascript: x, violationPolicy: warn}'), 'p.yaml'),
      ).message,
    ).toMatch(/field `spec\.violationPolicy`/);
    expect(
      errorOf(() => parsePolicy(doc("{operations: ['*', CREATE], resources: [pods], javascript: x}"), 'p.yaml'))
        .message,
    ).toMatch(/field `spec\.operations`: `\*` must be alone/);
    expect(
      errorOf(() =>
        parsePolicy(doc('{type: Controller, operations: [UPDATE], resources: [pods], javascript: x}'), 'p.yaml'),
      ).message,
    ).toMatch(/Controller/);
    expect(
      errorOf(() => parsePolicy(doc('{operations: [CREATE], resources: [pods], javascript: ""}'), 'p.yaml')).message,
    ).toMatch(/field `spec\.javascript`: is empty/);
    expect(
      errorOf(() =>
        parsePolicy(doc('{operations: [CREATE], resources: [pods], javascript: x, timeoutSeconds: 31}'), 'p.yaml'),
      ).message,
    ).toMatch(/spec\.timeoutSeconds/);
  });
});
