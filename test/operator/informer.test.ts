import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../../src/operator/informer.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { eventually, GPT, GPTPOLICY_TYPE, gptPolicy } from './harness.js';

// The controller's list+watch, against the in-process API server through client-node's Watch.

let server: KubeApiServer;
let informer: Informer<any> | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await server.close();
});

async function setup(bookmarkIntervalMs: number, extra: Record<string, unknown> = {}) {
  server = await startKubeApiServer({ types: [GPTPOLICY_TYPE], bookmarkIntervalMs });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  const api = kc.makeApiClient(CustomObjectsApi);
  const events: string[] = [];
  informer = new Informer<any>({
    kubeConfig: kc,
    path: '/apis/gpt.drzzl.io/v1/gptpolicies',
    list: () => api.listClusterCustomObject(GPT),
    onAdd: (o) => events.push(`add ${o.metadata.name}`),
    onUpdate: (o) => events.push(`update ${o.metadata.name}`),
    onDelete: (o) => events.push(`delete ${o.metadata.name}`),
    backoffMs: 20,
    ...extra,
  });
  return { api, events, informer };
}

const create = (api: CustomObjectsApi, name: string) =>
  api.createClusterCustomObject({ ...GPT, body: gptPolicy(name, { description: 'd' }) });

describe('the informer', () => {
  it('lists, then delivers adds, updates and deletes from the watch, asking for bookmarks and a timeout', async () => {
    const { api, events, informer } = await setup(1000);
    await create(api, 'a.b.c');
    await informer.start();
    expect(events).toEqual(['add a.b.c']);
    const b = await create(api, 'b.b.c');
    await api.replaceClusterCustomObject({ ...GPT, name: 'b.b.c', body: { ...b, spec: { description: 'e' } } });
    await api.deleteClusterCustomObject({ ...GPT, name: 'a.b.c' });
    await eventually(async () => events.length === 4, 'four events');
    expect(events).toEqual(['add a.b.c', 'add b.b.c', 'update b.b.c', 'delete a.b.c']);
    expect(informer.get('b.b.c').spec.description).toBe('e');
    const watch = server.requests.find((r) => r.query.watch === 'true')!;
    expect(watch.query.allowWatchBookmarks).toBe('true');
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(300);
  });

  it('resumes a closed watch from the last resourceVersion without relisting', async () => {
    const { api, events, informer } = await setup(1000);
    await informer.start();
    await eventually(async () => server.openWatches() === 1, 'a watch');
    server.closeWatches();
    await create(api, 'a.b.c');
    await eventually(async () => events.includes('add a.b.c'), 'the add after reconnecting');
    expect(informer.stats).toMatchObject({ lists: 1, watches: 2 });
  });

  it('relists after 410 Gone and reports objects deleted in the gap', async () => {
    const { api, events, informer } = await setup(60_000);
    await create(api, 'a.b.c');
    await informer.start();
    await eventually(async () => server.openWatches() === 1, 'a watch');
    server.inject({ method: 'GET', path: '/gptpolicies', delayMs: 300 }); // hold the reconnect while history moves on
    server.closeWatches();
    server.deleteObject('gpt.drzzl.io', 'gptpolicies', 'a.b.c');
    await create(api, 'b.b.c');
    server.compact();
    await eventually(
      async () => events.includes('delete a.b.c') && events.includes('add b.b.c'),
      'the delete and the add',
    );
    expect(informer.stats).toMatchObject({ expired: 1, lists: 2 });
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['b.b.c']);
  });

  it('keeps its resourceVersion fresh from bookmarks: after compaction a watch resumes from one, without relisting', async () => {
    const { informer } = await setup(30);
    await informer.start();
    await eventually(async () => server.openWatches() === 1, 'a watch');
    // History moves on in another resource: this watch gets no event, only bookmarks carry the newer version.
    const lease = server.putObject('coordination.k8s.io', 'leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', namespace: 'default' },
    });
    const seen = informer.stats.bookmarks;
    await eventually(async () => informer.stats.bookmarks >= seen + 2, 'bookmarks after the change');
    server.compact();
    server.closeWatches();
    await eventually(async () => informer.stats.watches >= 2 && server.openWatches() === 1, 'the resumed watch');
    const resumed = server.requests.filter((r) => r.query.watch === 'true').at(-1)!;
    expect(Number(resumed.query.resourceVersion)).toBeGreaterThanOrEqual(Number(lease.metadata.resourceVersion));
    expect(informer.stats).toMatchObject({ lists: 1, expired: 0 });
  });

  it('reopens a watch that delivers nothing, not even bookmarks, within the stall limit', async () => {
    const { api, events, informer } = await setup(60_000, { stallMs: 150 });
    await informer.start();
    await eventually(
      async () => informer.stats.stalls >= 1 && informer.stats.watches >= 2,
      'a stalled watch to be replaced',
    );
    await create(api, 'late.b.c');
    await eventually(async () => events.includes('add late.b.c'), 'events on the new watch');
  });

  it('keeps retrying with backoff when the list fails', async () => {
    server = undefined as never;
    const s = await setup(1000);
    server.inject({ method: 'GET', path: '/gptpolicies', status: 500, times: 3 });
    await create(s.api, 'a.b.c');
    await s.informer.start();
    await eventually(async () => s.events.includes('add a.b.c'), 'the list to succeed');
    expect(s.informer.stats.lists).toBe(4);
  });
});
