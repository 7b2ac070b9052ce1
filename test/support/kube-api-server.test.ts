import {
  CoordinationV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from './kube-api-server.js';

// The test server is only useful if client-node cannot tell it from a real API server: these tests drive it
// through client-node's own clients, exactly as the operator does.

const WIDGET = {
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: false,
  statusSubresource: true,
};
const PART = { group: 'example.com', version: 'v1', kind: 'Part', plural: 'parts', namespaced: false };
const base = { group: WIDGET.group, version: WIDGET.version, plural: WIDGET.plural };

let server: KubeApiServer;
let kc: KubeConfig;
let api: CustomObjectsApi;

beforeEach(async () => {
  server = await startKubeApiServer({
    types: [
      { ...WIDGET, validate: (o) => (typeof o.spec?.size === 'number' ? [] : ['spec.size: Required value']) },
      PART,
    ],
    bookmarkIntervalMs: 50,
  });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  api = kc.makeApiClient(CustomObjectsApi);
});
afterEach(async () => server.close());

const widget = (name: string, size = 1): any => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec: { size },
});
const PARTS = { group: 'example.com', version: 'v1', plural: 'parts' };
const part = (name: string, owner?: unknown): any => ({
  apiVersion: 'example.com/v1',
  kind: 'Part',
  metadata: { name, ...(owner ? { ownerReferences: [owner] } : {}) },
});

describe('the in-process Kubernetes API server, through client-node', () => {
  it('creates, gets and lists with uid, resourceVersion and generation', async () => {
    const created = await api.createClusterCustomObject({ ...base, body: widget('a') });
    expect(created.metadata).toMatchObject({ name: 'a', generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const got = await api.getClusterCustomObject({ ...base, name: 'a' });
    expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const list = await api.listClusterCustomObject(base);
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['a']);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata.resourceVersion));
  });

  it('pages a list with limit and continue tokens, as the API server does', async () => {
    for (const name of ['a', 'b', 'c']) await api.createClusterCustomObject({ ...base, body: widget(name) });
    const first = await api.listClusterCustomObject({ ...base, limit: 1 });
    expect(first.items.map((i: any) => i.metadata.name)).toEqual(['a']);
    expect(first.metadata).toMatchObject({ remainingItemCount: 2 });
    const rest = await api.listClusterCustomObject({ ...base, limit: 5, _continue: first.metadata.continue });
    expect(rest.items.map((i: any) => i.metadata.name)).toEqual(['b', 'c']);
    expect(rest.metadata.continue).toBeUndefined();
    expect(rest.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    await expect(api.listClusterCustomObject({ ...base, limit: 1, _continue: 'not a token' })).rejects.toMatchObject({
      code: 400,
    });
  });

  it('answers 409 AlreadyExists, 404 NotFound and 422 Invalid as the real server does', async () => {
    await api.createClusterCustomObject({ ...base, body: widget('a') });
    await expect(api.createClusterCustomObject({ ...base, body: widget('a') })).rejects.toMatchObject({ code: 409 });
    await expect(api.getClusterCustomObject({ ...base, name: 'nope' })).rejects.toMatchObject({ code: 404 });
    const bad = widget('b');
    delete bad.spec.size;
    const err: any = await api.createClusterCustomObject({ ...base, body: bad }).catch((e) => e);
    expect(err.code).toBe(422);
    expect(JSON.parse(err.body)).toMatchObject({
      message: 'Widget.example.com "b" is invalid: spec.size: Required value',
      details: { causes: [{ reason: 'FieldValueRequired', field: 'spec.size', message: 'Required value' }] },
    });
  });

  it('rejects a replace with a stale resourceVersion (409) and bumps generation only on spec changes', async () => {
    const a = await api.createClusterCustomObject({ ...base, body: widget('a') });
    const b = await api.replaceClusterCustomObject({ ...base, name: 'a', body: { ...a, spec: { size: 2 } } });
    expect(b.metadata.generation).toBe(2);
    await expect(
      api.replaceClusterCustomObject({ ...base, name: 'a', body: { ...a, spec: { size: 3 } } }),
    ).rejects.toMatchObject({ code: 409 });
    const c = await api.replaceClusterCustomObject({
      ...base,
      name: 'a',
      body: { ...b, metadata: { ...b.metadata, labels: { x: 'y' } } },
    });
    expect(c.metadata.generation).toBe(2);
  });

  it('keeps status and spec apart through the status subresource', async () => {
    const a = await api.createClusterCustomObject({
      ...base,
      body: { ...widget('a'), status: { phase: 'ignored on create' } },
    });
    expect(a.status).toBeUndefined();
    const s = await api.replaceClusterCustomObjectStatus({
      ...base,
      name: 'a',
      body: { ...a, spec: { size: 99 }, status: { phase: 'Ready' } },
    });
    expect(s.status).toEqual({ phase: 'Ready' });
    expect(s.spec).toEqual({ size: 1 });
    expect(s.metadata.generation).toBe(1);
    const m = await api.replaceClusterCustomObject({
      ...base,
      name: 'a',
      body: { ...s, status: { phase: 'overwritten?' } },
    });
    expect(m.status).toEqual({ phase: 'Ready' });
    await expect(
      api.replaceClusterCustomObjectStatus({ ...base, name: 'a', body: { ...a, status: {} } }),
    ).rejects.toMatchObject({ code: 409 });
  });

  it('applies JSON merge patches, JSON patches and server-side apply', async () => {
    await api.createClusterCustomObject({ ...base, body: widget('a') });
    const merged = await api.patchClusterCustomObject(
      { ...base, name: 'a', body: { metadata: { labels: { team: 'x' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata.labels).toEqual({ team: 'x' });
    const patched = await api.patchClusterCustomObject({
      ...base,
      name: 'a',
      body: [{ op: 'replace', path: '/spec/size', value: 5 }],
    });
    expect(patched.spec.size).toBe(5);
    const applied = await api.patchClusterCustomObject(
      { ...base, name: 'b', body: widget('b', 7), fieldManager: 'test' },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(applied.spec.size).toBe(7);
  });

  it('validates but never stores a dryRun=All write', async () => {
    const dry = await api.createClusterCustomObject({ ...base, body: widget('a'), dryRun: 'All' });
    expect(dry.metadata.name).toBe('a');
    expect(server.getObject('example.com', 'widgets', 'a')).toBeUndefined();
    await expect(
      api.createClusterCustomObject({ ...base, body: { ...widget('b'), spec: {} }, dryRun: 'All' }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('deletes dependents through ownerReferences (garbage collection)', async () => {
    const owner = await api.createClusterCustomObject({ ...base, body: widget('owner') });
    const ref = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    await api.createClusterCustomObject({ ...PARTS, body: part('p1', ref) });
    await api.createClusterCustomObject({ ...PARTS, body: part('p2') });
    await api.deleteClusterCustomObject({ ...base, name: 'owner' });
    expect(server.listObjects('example.com', 'parts').map((p) => p.metadata.name)).toEqual(['p2']);
  });

  it('keeps dependents with propagationPolicy Orphan, dropping only the reference to the deleted owner', async () => {
    const owner = await api.createClusterCustomObject({ ...base, body: widget('owner') });
    const ref = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    await api.createClusterCustomObject({ ...PARTS, body: part('p1', ref) });
    await api.deleteClusterCustomObject({ ...base, name: 'owner', propagationPolicy: 'Orphan' });
    const parts = server.listObjects('example.com', 'parts');
    expect(parts.map((p) => [p.metadata.name, p.metadata.ownerReferences])).toEqual([['p1', undefined]]);
  });

  it("collects the dependents of a background deletion after the garbage collector's delay, not with the owner", async () => {
    const lagged = await startKubeApiServer({ types: [WIDGET, PART], garbageCollectionDelayMs: 300 });
    try {
      const kcl = new KubeConfig();
      kcl.loadFromString(lagged.kubeconfig());
      const lapi = kcl.makeApiClient(CustomObjectsApi);
      const owner = await lapi.createClusterCustomObject({ ...base, body: widget('owner') });
      const ref = {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        name: 'owner',
        uid: owner.metadata.uid,
        controller: true,
      };
      await lapi.createClusterCustomObject({ ...PARTS, body: part('p1', ref) });
      await lapi.deleteClusterCustomObject({ ...base, name: 'owner' });
      // the window a re-created owner meets: its dependent of the same name is still there, owned by the old uid
      expect(lagged.listObjects('example.com', 'parts').map((p) => p.metadata.name)).toEqual(['p1']);
      const deadline = Date.now() + 5000;
      while (lagged.listObjects('example.com', 'parts').length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(lagged.listObjects('example.com', 'parts')).toEqual([]);
    } finally {
      await lagged.close();
    }
  });

  it('serves discovery for /api and /apis', async () => {
    const res = await fetch(`${server.url}/apis`);
    const groups = (await res.json()) as any;
    expect(groups.groups.map((g: any) => g.name)).toContain('example.com');
    const list = (await (await fetch(`${server.url}/apis/example.com/v1`)).json()) as any;
    expect(list.resources.map((r: any) => r.name)).toEqual(['widgets', 'widgets/status', 'parts']);
    expect(((await (await fetch(`${server.url}/api`)).json()) as any).versions).toEqual(['v1']);
  });

  it('injects failures: status codes for a number of matching requests, and dropped connections', async () => {
    await api.createClusterCustomObject({ ...base, body: widget('a') });
    server.inject({ method: 'GET', path: '/widgets/a', status: 500, times: 2 });
    await expect(api.getClusterCustomObject({ ...base, name: 'a' })).rejects.toMatchObject({ code: 500 });
    await expect(api.getClusterCustomObject({ ...base, name: 'a' })).rejects.toMatchObject({ code: 500 });
    await expect(api.getClusterCustomObject({ ...base, name: 'a' })).resolves.toMatchObject({
      metadata: { name: 'a' },
    });
    server.inject({ path: '/widgets/a', drop: true });
    await expect(api.getClusterCustomObject({ ...base, name: 'a' })).rejects.toThrow();
  });

  it('streams watch events from a resourceVersion, with bookmarks when allowed', async () => {
    const first = await api.createClusterCustomObject({ ...base, body: widget('a') });
    const events: Array<[string, string]> = [];
    const watch = new Watch(kc);
    const ctrl = await watch.watch(
      '/apis/example.com/v1/widgets',
      { resourceVersion: first.metadata.resourceVersion, allowWatchBookmarks: true },
      (type, obj) => events.push([type, obj.metadata?.name ?? '']),
      () => undefined,
    );
    await api.createClusterCustomObject({ ...base, body: widget('b') });
    await api.deleteClusterCustomObject({ ...base, name: 'a' });
    await until(() => events.some(([t]) => t === 'BOOKMARK') && events.some(([t]) => t === 'DELETED'));
    ctrl.abort();
    expect(events.filter(([t]) => t !== 'BOOKMARK')).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);
  });

  it('answers a watch from a compacted resourceVersion with an ERROR 410 Expired event', async () => {
    const first = await api.createClusterCustomObject({ ...base, body: widget('a') });
    await api.createClusterCustomObject({ ...base, body: widget('b') });
    server.compact();
    const events: any[] = [];
    let done = false;
    await new Watch(kc).watch(
      '/apis/example.com/v1/widgets',
      { resourceVersion: first.metadata.resourceVersion },
      (type, obj) => events.push({ type, obj }),
      () => {
        done = true;
      },
    );
    await until(() => done);
    expect(events).toEqual([{ type: 'ERROR', obj: expect.objectContaining({ code: 410, reason: 'Expired' }) }]);
  });

  it("lets client-node's ListWatch relist after 410 and resume after the server closes the stream", async () => {
    await api.createClusterCustomObject({ ...base, body: widget('a') });
    const lw = new ListWatch<any>(
      '/apis/example.com/v1/widgets',
      new Watch(kc),
      () => api.listClusterCustomObject(base),
      false,
    );
    const seen: string[] = [];
    lw.on('add', (o) => seen.push(`add ${o.metadata.name}`));
    lw.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
    await lw.start();
    await until(() => server.openWatches() === 1);
    server.closeWatches(); // the client reconnects from its last resourceVersion
    await until(() => server.openWatches() === 1);
    await api.createClusterCustomObject({ ...base, body: widget('b') });
    await until(() => seen.includes('add b'));
    server.compact();
    server.closeWatches(); // resuming now gets 410; the ListWatch relists
    await until(() => server.openWatches() === 1);
    server.deleteObject('example.com', 'widgets', 'a');
    await until(() => seen.includes('delete a'));
    await lw.stop();
    expect(seen).toEqual(['add a', 'add b', 'delete a']);
  });

  it('stores coordination.k8s.io Leases with MicroTime fields', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const renewTime = '2026-01-01T00:00:00.123456Z';
    await leases.createNamespacedLease({
      namespace: 'ns',
      body: { metadata: { name: 'l' }, spec: { holderIdentity: 'me', renewTime: renewTime as any } },
    });
    const got = await leases.readNamespacedLease({ namespace: 'ns', name: 'l' });
    expect(got.spec?.holderIdentity).toBe('me');
    expect(String(got.spec?.renewTime)).toBe(renewTime);
    // a built-in kind takes an update without resourceVersion (unconditional), unlike a custom resource
    const replaced = await leases.replaceNamespacedLease({
      namespace: 'ns',
      name: 'l',
      body: { metadata: { name: 'l' }, spec: { holderIdentity: 'you' } },
    });
    expect(replaced.spec?.holderIdentity).toBe('you');
    await api.createClusterCustomObject({ ...base, body: widget('w') });
    await expect(api.replaceClusterCustomObject({ ...base, name: 'w', body: widget('w', 2) })).rejects.toMatchObject({
      code: 422,
    });
  });
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
