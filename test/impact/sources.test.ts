import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { auditEntry, readFileEntries, sourceFiles, type SourceEntry } from '../../src/impact/index.js';

async function all(entries: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-impact-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const names = (entries: SourceEntry[]): string[] =>
  entries.map((e) =>
    e.type === 'object'
      ? `${e.object.kind}/${e.object.metadata?.name}`
      : e.type === 'request'
        ? e.ref
        : e.type === 'skipped'
          ? `skipped: ${e.why}`
          : `namespace ${e.object.metadata?.name}`,
  );

const auditEvent = (over: Record<string, unknown>): Record<string, unknown> => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'RequestResponse',
  stage: 'ResponseComplete',
  verb: 'create',
  user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
  objectRef: { resource: 'pods', namespace: 'test', name: 'api', apiVersion: 'v1' },
  requestObject: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api', namespace: 'test', labels: { env: 'prod' } },
  },
  ...over,
});

describe('impact sources', () => {
  it('reads every document of a multi-document YAML file, the items of a kubectl List, and skips what is not an object', async () => {
    const path = await file(
      'mixed.yaml',
      [
        '# a comment before the first document',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: a, namespace: test}',
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: test}}',
        '  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: c, namespace: test}}',
        '---',
        '---',
        'just: a map',
        '...',
      ].join('\n'),
    );
    const entries = await all(readFileEntries(path));
    expect(names(entries)).toEqual([
      'Pod/a',
      'Pod/b',
      'Deployment/c',
      'skipped: a document without apiVersion and kind',
    ]);
    expect(entries[0].at).toBe(`${path}:1`);
    expect(entries[2].at).toBe(`${path}:6 item 2`);
  });

  it('fills in apiVersion and kind of List items the API server sends without them (PodList)', async () => {
    const path = await file(
      'podlist.json',
      JSON.stringify(
        { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'x', namespace: 'n' } }] },
        null,
        2,
      ),
    );
    const [entry] = await all(readFileEntries(path));
    expect(entry).toMatchObject({ type: 'object', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } });
  });

  it('reads an audit log line by line: verbs become operations, reads and events without an object are skipped', async () => {
    const lines = [
      auditEvent({}),
      auditEvent({ stage: 'RequestReceived' }),
      auditEvent({ verb: 'get', requestObject: undefined }),
      auditEvent({
        verb: 'patch',
        requestObject: { spec: { replicas: 3 } },
        responseObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'test' } },
      }),
      auditEvent({ verb: 'update', level: 'Metadata', requestObject: undefined }),
      auditEvent({
        verb: 'delete',
        requestObject: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' },
        responseObject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'test' } },
      }),
      'not json at all',
    ];
    const path = await file(
      'audit.log',
      `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`,
    );
    const entries = await all(readFileEntries(path));
    expect(names(entries)).toEqual([
      'create Pod test/api by alice',
      'skipped: audit stage RequestReceived (the same request is recorded at ResponseComplete)',
      'skipped: audit verb get: not an admission request for one object',
      'patch Pod test/api by alice',
      'skipped: audit event without a request object (audit level Metadata)',
      'delete Pod test/api by alice',
      'skipped: a line that is not JSON',
    ]);
    const ops = entries.flatMap((e) => (e.type === 'request' ? [e.request.operation] : []));
    expect(ops).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    const create = entries[0];
    expect(create.type === 'request' && create.request).toMatchObject({
      namespace: 'test',
      userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] },
      object: { metadata: { labels: { env: 'prod' } } },
    });
    const del = entries[5];
    expect(del.type === 'request' && del.request.object).toBeUndefined();
    expect(del.type === 'request' && del.request.oldObject?.kind).toBe('Pod');
  });

  it('takes the impersonated user, the subresource, and treats an update as from the same object', () => {
    const e = auditEntry(
      auditEvent({
        verb: 'update',
        impersonatedUser: { username: 'bob', groups: ['ops'] },
        objectRef: { resource: 'pods', subresource: 'status', namespace: 'test', name: 'api' },
      }),
    );
    expect(e.type).toBe('request');
    if (e.type !== 'request') return;
    expect(e.request).toMatchObject({
      operation: 'UPDATE',
      subResource: 'status',
      userInfo: { username: 'bob', groups: ['ops'] },
    });
    expect(e.request.oldObject).toBe(e.request.object);
  });

  it('reads stdin for -', async () => {
    const stdin = Readable.from([
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n',
    ]);
    expect(names(await all(readFileEntries('-', { stdin })))).toEqual(['ConfigMap/one', 'ConfigMap/two']);
  });

  it('lists the manifest files of a folder recursively, in name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-impact-'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'b', 'z.yaml'), '');
    await writeFile(join(dir, 'a.json'), '');
    await writeFile(join(dir, 'README.md'), '');
    expect(await sourceFiles(dir)).toEqual([join(dir, 'a.json'), join(dir, 'b', 'z.yaml')]);
    await expect(sourceFiles(join(dir, 'missing'))).rejects.toMatchObject({ code: 'PF_ERR_INPUT_FILE' });
  });

  it('names the file and line of a YAML document it cannot parse', async () => {
    const path = await file('bad.yaml', 'apiVersion: v1\nkind: Pod\n---\nkey: [unclosed\n');
    await expect(all(readFileEntries(path))).rejects.toMatchObject({
      code: 'PF_ERR_INPUT_YAML',
      message: expect.stringContaining(`${path}:4`),
    });
  });
});
