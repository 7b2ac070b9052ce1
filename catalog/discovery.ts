// Types only: the client (826 modules) is loaded when a cluster is actually contacted, so commands that
// only read the built-in catalog (`test`, `lint` without --kubeconfig) start without it.
import type { KubeConfig, V1APIResourceList } from '@kubernetes/client-node';
import { PolicyforgeError } from '../common/index.js';
import { builtinCatalog, type ApiCatalog } from './catalog.js';
import type { ApiResource } from './types.js';

export interface DiscoveryOptions {
  /** Group versions fetched at once. @defaultValue 8 */
  concurrency?: number;
  /** Catalog the discovered resources are merged over. @defaultValue builtinCatalog() */
  base?: ApiCatalog;
}

/**
 * Every API resource a live cluster serves, read through the discovery endpoints (`/api/v1`, `/apis`,
 * `/apis/<group>/<version>`), as `kubectl api-resources` does. Versions are listed preferred first.
 * A group version that fails (an unavailable aggregated API, common on real clusters) is skipped, as
 * kubectl does; failing to list the groups at all is an error.
 */
export async function discoverResources(
  kubeConfig: KubeConfig,
  options: Pick<DiscoveryOptions, 'concurrency'> = {},
): Promise<ApiResource[]> {
  const { ApisApi, CoreV1Api, CustomObjectsApi } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apis = kubeConfig.makeApiClient(ApisApi);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);

  let groupList;
  let coreList: V1APIResourceList;
  try {
    [groupList, coreList] = await Promise.all([apis.getAPIVersions(), core.getAPIResources()]);
  } catch (err) {
    throw new PolicyforgeError('PF_ERR_KUBE_API', [`discovery failed: ${describe(err)}`], { cause: err });
  }

  const found = new Map<string, ApiResource>();
  absorb(found, '', 'v1', coreList, true);

  const jobs: Array<{ group: string; version: string; preferred: boolean }> = [];
  for (const g of groupList.groups ?? []) {
    const preferred = g.preferredVersion?.version;
    // The preferred version first, so it leads each resource's version list.
    const versions = [...g.versions].sort((a, b) => Number(b.version === preferred) - Number(a.version === preferred));
    for (const v of versions) jobs.push({ group: g.name, version: v.version, preferred: v.version === preferred });
  }

  const lists = await mapLimit(jobs, options.concurrency ?? 8, async (job) => {
    try {
      return await custom.getAPIResources({ group: job.group, version: job.version });
    } catch {
      return undefined;
    }
  });
  jobs.forEach((job, i) => {
    const list = lists[i];
    if (list) absorb(found, job.group, job.version, list, job.preferred);
  });
  return [...found.values()];
}

/** The built-in catalog (or `options.base`) with everything the cluster serves merged over it. */
export async function discoverCatalog(kubeConfig: KubeConfig, options: DiscoveryOptions = {}): Promise<ApiCatalog> {
  const base = options.base ?? builtinCatalog();
  return base.merge(await discoverResources(kubeConfig, options));
}

function absorb(
  found: Map<string, ApiResource>,
  group: string,
  version: string,
  list: V1APIResourceList,
  preferred: boolean,
): void {
  // Main resources first, so subresource entries (`pods/status`) always find their parent.
  const entries = [...(list.resources ?? [])].sort(
    (a, b) => Number(a.name.includes('/')) - Number(b.name.includes('/')),
  );
  for (const entry of entries) {
    const [plural, sub] = entry.name.split('/');
    const key = `${group}/${plural}`;
    let resource = found.get(key);
    if (sub) {
      if (resource && !resource.subresources.includes(sub)) resource.subresources.push(sub);
      continue;
    }
    if (!resource) {
      resource = {
        group,
        versions: [],
        kind: entry.kind,
        plural,
        ...(entry.singularName ? { singular: entry.singularName } : {}),
        namespaced: entry.namespaced,
        subresources: [],
        ...(entry.shortNames?.length ? { shortNames: [...entry.shortNames] } : {}),
        source: 'discovery',
      };
      found.set(key, resource);
    }
    if (!resource.versions.includes(version)) {
      if (preferred) resource.versions.unshift(version);
      else resource.versions.push(version);
    }
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'body' in err) {
    const body = (err as { body?: unknown }).body;
    return `HTTP ${(err as { code: unknown }).code}${typeof body === 'string' ? `: ${body.slice(0, 200)}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
