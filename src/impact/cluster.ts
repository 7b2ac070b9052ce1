import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { PolicyforgeError, type JsPolicy, type KubeObject } from '../../common/index.js';
import { NAMESPACE_NAME_LABEL } from '../../sandbox/index.js';
import { reusedAgent } from '../kube/index.js';
import type { SourceEntry } from './sources.js';

/**
 * `--against cluster`: the objects of every kind the policy matches, read from a live cluster, read-only
 * (GET only: discovery, then paged lists with `limit`/`continue`). The kinds come from the API server's
 * discovery matched against spec.resources/apiGroups/apiVersions/scope, so `*` rules and CRDs work.
 * When namespaceSelector names namespaces (kubernetes.io/metadata.name In […]), only those namespaces
 * are listed; when it reads other labels, the namespaces are listed first for their labels.
 *
 * Requests go through node:http(s) with the kubeconfig's credentials (KubeConfig.applyToHTTPSOptions)
 * instead of client-node's generated clients, because those turn objects into typed models (dates as
 * Date objects, unknown fields dropped) and a policy must see the JSON the API server sends.
 *
 * RBAC: get/list on the matched resources (and on namespaces for a namespaceSelector); discovery is
 * open to every authenticated user (system:discovery). README "Impact preview" has a ClusterRole.
 */

export interface ClusterSourceOptions {
  /** Objects per list request (`limit`). @defaultValue 500 */
  pageSize?: number;
  /** Each request is aborted after this long. @defaultValue 30000 */
  requestTimeoutMs?: number;
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

interface ListedType {
  group: string;
  version: string;
  resource: ApiResource;
}

export function clusterEntries(
  kubeConfig: KubeConfig,
  policy: JsPolicy,
  options: ClusterSourceOptions = {},
): { name: string; read: () => AsyncIterable<SourceEntry> } {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server)
    throw new PolicyforgeError('PF_ERR_CONFIG', [
      'the kubeconfig has no current cluster; pass --kubeconfig or --context',
    ]);
  const client = new ReadOnlyKube(kubeConfig, server, options.requestTimeoutMs ?? 30_000);
  const pageSize = options.pageSize ?? 500;
  return {
    name: 'cluster',
    read: async function* () {
      const spec = policy.spec;
      const types = await matchedTypes(client, policy);
      const named = selectedNamespaceNames(spec.namespaceSelector);
      const readsLabels = Boolean(spec.namespaceSelector) && named === undefined;
      if (readsLabels) {
        for await (const ns of client.list('/api/v1/namespaces', pageSize, { apiVersion: 'v1', kind: 'Namespace' }))
          yield { type: 'namespace', object: ns, at: 'cluster' };
      }
      for (const t of types) {
        const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
        const kind = { apiVersion: t.group ? `${t.group}/${t.version}` : t.version, kind: t.resource.kind };
        const paths =
          t.resource.namespaced && named
            ? named.map((ns) => `${base}/namespaces/${encodeURIComponent(ns)}/${t.resource.name}`)
            : [`${base}/${t.resource.name}`];
        for (const path of paths) {
          for await (const object of client.list(path, pageSize, kind)) yield { type: 'object', object, at: 'cluster' };
        }
      }
    },
  };
}

/** The names a selector limits namespaces to, when it does so by the name label; undefined otherwise. */
function selectedNamespaceNames(selector: JsPolicy['spec']['namespaceSelector']): string[] | undefined {
  if (!selector) return undefined;
  const byLabel = selector.matchLabels?.[NAMESPACE_NAME_LABEL];
  const inExpr = (selector.matchExpressions ?? []).find((e) => e.key === NAMESPACE_NAME_LABEL && e.operator === 'In');
  if (byLabel !== undefined) return [byLabel];
  return inExpr ? [...(inExpr.values ?? [])] : undefined;
}

async function matchedTypes(client: ReadOnlyKube, policy: JsPolicy): Promise<ListedType[]> {
  const spec = policy.spec;
  const groups = spec.apiGroups ?? ['*'];
  const versions = spec.apiVersions ?? ['*'];
  const any = (list: string[], v: string): boolean => list.includes('*') || list.includes(v);
  const candidates: Array<{ group: string; versions: string[] }> = [];
  if (any(groups, '')) candidates.push({ group: '', versions: ['v1'] });
  const apis = (await client.get('/apis')) as {
    groups?: Array<{ name: string; versions: Array<{ version: string }>; preferredVersion?: { version: string } }>;
  };
  for (const g of apis.groups ?? []) {
    if (!any(groups, g.name)) continue;
    const preferred = g.preferredVersion?.version;
    // The same objects are served in every version of a group: list each resource once, in the
    // preferred version when the policy takes it, else in the first version it names.
    const ordered = [
      ...(preferred ? [preferred] : []),
      ...g.versions.map((v) => v.version).filter((v) => v !== preferred),
    ];
    candidates.push({ group: g.name, versions: ordered.filter((v) => any(versions, v)) });
  }
  const out: ListedType[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    for (const version of c.versions) {
      if (!any(versions, version)) continue;
      const list = (await client.get(c.group ? `/apis/${c.group}/${version}` : `/api/${version}`)) as {
        resources?: ApiResource[];
      };
      for (const r of list.resources ?? []) {
        if (r.name.includes('/') || !r.verbs?.includes('list') || seen.has(`${c.group}/${r.name}`)) continue;
        const rules = spec.resources ?? [];
        if (!rules.some((rule) => rule === '*' || rule === r.name)) continue;
        const scope = spec.scope ?? '*';
        if ((scope === 'Cluster' && r.namespaced) || (scope === 'Namespaced' && !r.namespaced)) continue;
        seen.add(`${c.group}/${r.name}`);
        out.push({ group: c.group, version, resource: r });
      }
    }
  }
  return out;
}

/** GET requests with the kubeconfig's credentials, nothing else: this source never writes. */
class ReadOnlyKube {
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly server: string,
    private readonly timeoutMs: number,
  ) {}

  async get(path: string): Promise<unknown> {
    const url = new URL(path, this.server.endsWith('/') ? this.server : `${this.server}/`);
    // Keep a path prefix in the server URL (a proxy at https://host/k8s/clusters/x).
    url.pathname = `${new URL(this.server).pathname.replace(/\/$/, '')}${path.split('?')[0]}`;
    const opts: https.RequestOptions = {
      method: 'GET',
      headers: { Accept: 'application/json' },
      timeout: this.timeoutMs,
    };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const plain = url.protocol === 'http:';
    if (plain && opts.agent instanceof https.Agent) delete opts.agent;
    if (opts.agent instanceof http.Agent) opts.agent = reusedAgent(opts.agent);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = (plain ? http : https).request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    }).catch((err: Error) => {
      throw new PolicyforgeError('PF_ERR_KUBE_API', [`GET ${path}: ${err.message}`], { cause: err });
    });
    if (status < 200 || status > 299) {
      let message = body.slice(0, 300);
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? message;
      } catch {
        /* not a Status body */
      }
      const hint =
        status === 403
          ? ' (the impact preview needs get/list on the policy\'s resources: README "Impact preview")'
          : '';
      throw new PolicyforgeError('PF_ERR_KUBE_API', [`GET ${path}: HTTP ${status} ${message}${hint}`]);
    }
    return JSON.parse(body) as unknown;
  }

  /** Every item of a list, page by page; a server that ignores `limit` answers with one page and no `continue`. */
  async *list(path: string, pageSize: number, kind: { apiVersion: string; kind: string }): AsyncGenerator<KubeObject> {
    let token: string | undefined;
    do {
      const query = `?limit=${pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const page = (await this.get(`${path}${query}`)) as { items?: KubeObject[]; metadata?: { continue?: string } };
      // List items carry no apiVersion/kind on a real API server.
      for (const item of page.items ?? []) yield item.kind ? item : { ...kind, ...item };
      token = page.metadata?.continue || undefined;
    } while (token);
  }
}
