import { text } from 'node:stream/consumers';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastJsonPatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import {
  conflictMessage,
  recordUpdate,
  serverSideApply,
  type ManagedFieldsEntry,
  type Scope,
} from './managed-fields.js';
import { byGroupVersion, openApiV2, openApiV3, openApiV3Root } from './openapi.js';
import {
  applyDefaults,
  fieldErrorMessage,
  goQuote,
  prune,
  validateObject,
  type CustomResourceDefinition,
  type FieldError,
  type JSONSchemaProps,
} from './structural-schema.js';

/**
 * An in-process Kubernetes API server for tests. It speaks the REST and watch protocol that
 * @kubernetes/client-node 1.4 uses, so production code talks to it through a KubeConfig whose cluster
 * server is this URL, with nothing else changed:
 *
 * - discovery: /api, /api/v1, /apis, /apis/<group>/<version>;
 * - list/get/create/replace(PUT)/patch/delete on cluster-scoped and namespaced resources; patches as
 *   JSON patch, JSON merge patch and server-side apply (fieldManager, force, conflicts 409), every write
 *   recorded in metadata.managedFields (./managed-fields.ts: leaf fields, lists atomic);
 * - a CRD's structural schema (resourceTypeFromCrd, ./structural-schema.ts): unknown fields pruned unless
 *   x-kubernetes-preserve-unknown-fields, and reported per fieldValidation (Strict: 400, Warn, the default:
 *   Warning headers, Ignore); an apply with an unknown field fails (500, as the API server answers);
 *   defaults applied; OpenAPI validation (types, enums, required, patterns, bounds, date-time) and
 *   metadata.name answered 422 Invalid with the API server's field errors; /status validated the same way;
 *   a custom resource without kind is refused (400), as its decoder does;
 * - /openapi/v3 (and /openapi/v2 as JSON) describing every resource, so kubectl validates server-side;
 * - a global resourceVersion; PUT with a stale metadata.resourceVersion → 409 Conflict; PUT without one →
 *   422 for custom resources, an unconditional update for built-in kinds; metadata.generation bumped on spec changes;
 * - the status subresource: the main endpoint ignores status, /status ignores everything else;
 * - ?watch=true streaming (ADDED/MODIFIED/DELETED, BOOKMARK when allowWatchBookmarks=true), an
 *   ERROR 410 Expired event when the requested resourceVersion was compacted away, timeoutSeconds;
 * - deletion cascades to dependents through metadata.ownerReferences: propagationPolicy Background (after
 *   garbageCollectionDelayMs), Foreground (dependents first) or Orphan (dependents kept, reference dropped);
 * - dryRun=All: validated and answered, never stored nor watched;
 * - validators per resource (standing in for CRD schemas and admission webhooks) answer 422 Invalid;
 * - injected failures: status codes, delays, or a dropped connection, matched by method and path.
 *
 * Not modelled: finalizers, field selectors, strategic merge patch (rejected with 415 as for custom
 * resources), authentication (any bearer token is accepted). Pagination (limit/continue) pages the current
 * objects after the token's key; a real server pages one snapshot, and expires tokens (410) after minutes.
 */

export interface ResourceType {
  group: string; // '' = core
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Enables the /status subresource and its split of spec and status. @defaultValue false */
  statusSubresource?: boolean;
  /** additionalPrinterColumns of the CRD: served as a meta.k8s.io/v1 Table when the client asks (kubectl get). */
  printerColumns?: Array<{ name: string; type: string; jsonPath: string; priority?: number; description?: string }>;
  /**
   * The structural schema (a CRD's openAPIV3Schema): pruning, defaulting and validation as the API server
   * applies them to custom resources. Without it nothing is pruned, defaulted or schema-validated.
   */
  schema?: JSONSchemaProps;
  /**
   * Returns error messages (`field: detail`) for an object about to be stored (create, update, patch,
   * dry-run included), after the schema's checks: an admission webhook's refusals.
   */
  validate?: (obj: any, operation: 'CREATE' | 'UPDATE') => string[];
}

/** A ResourceType from a CustomResourceDefinition: its served version's schema, status subresource and columns. */
export function resourceTypeFromCrd(crd: CustomResourceDefinition, extra: Partial<ResourceType> = {}): ResourceType {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  return {
    group: crd.spec.group,
    version: version.name,
    kind: crd.spec.names.kind,
    plural: crd.spec.names.plural,
    namespaced: crd.spec.scope === 'Namespaced',
    statusSubresource: version.subresources?.status !== undefined,
    ...(version.additionalPrinterColumns ? { printerColumns: version.additionalPrinterColumns } : {}),
    ...(version.schema ? { schema: version.schema.openAPIV3Schema } : {}),
    ...extra,
  };
}

export interface InjectedFailure {
  method?: string;
  /** Substring of, or pattern for, the request path (without query). */
  path?: string | RegExp;
  /** Only requests with ?dryRun=All (true) or without (false). */
  dryRun?: boolean;
  /** Answer with this status (a Kubernetes Status body) instead of serving the request. */
  status?: number;
  /** Wait this long first (then serve, or fail with `status`). */
  delayMs?: number;
  /** Destroy the socket without answering (a timeout or reset, as the client sees it). */
  drop?: boolean;
  /** Message placed in the Status body. */
  message?: string;
  /** How many matching requests to affect. @defaultValue 1 */
  times?: number;
}

export interface RecordedKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  status: number;
  /** The client went away before the answer was complete (its timeout, or a watch it aborted). */
  clientClosed?: boolean;
  /** Warning headers of the answer (unknown fields pruned under fieldValidation=Warn). */
  warnings?: string[];
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: any;
  rv: number;
  key: string; // resource type key
}

export interface KubeApiServer {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: RecordedKubeRequest[];
  /** A kubeconfig (YAML string) pointing at this server, for KubeConfig.loadFromString. */
  kubeconfig(): string;
  register(type: ResourceType): void;
  /** Queue a failure for matching requests. */
  inject(failure: InjectedFailure): void;
  /** Direct store access for assertions and setup (bypasses injected failures; still emits watch events). */
  getObject(group: string, plural: string, name: string, namespace?: string): any | undefined;
  listObjects(group: string, plural: string, namespace?: string): any[];
  putObject(group: string, plural: string, obj: any): any;
  deleteObject(group: string, plural: string, name: string, namespace?: string): boolean;
  /** Forget watch history up to now: watches resuming from an older resourceVersion get 410 Gone. */
  compact(): void;
  /** Close every open watch stream (clients must reconnect). */
  closeWatches(): void;
  openWatches(): number;
  /** TCP connections accepted so far (clients that reuse connections open few). */
  connections(): number;
  close(): Promise<void>;
}

export const BUILTIN_TYPES: ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, statusSubresource: true },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
];

/** One write request: where it goes and who makes it. */
interface Write {
  record: RecordedKubeRequest;
  t: ResourceType;
  dryRun: boolean;
  toStatus: boolean;
  /** fieldManager, else the User-Agent's product, as the API server names managers. */
  manager: string;
  /** Warning headers to send (unknown fields under fieldValidation=Warn). */
  warnings: string[];
}

interface Watcher {
  typeKey: string;
  namespace?: string;
  res: ServerResponse;
  bookmarks?: NodeJS.Timeout;
  timeout?: NodeJS.Timeout;
}

export interface KubeApiServerOptions {
  types?: ResourceType[];
  /** Interval of BOOKMARK events on watches that allow them (the API server sends one about every minute). @defaultValue 60000 */
  bookmarkIntervalMs?: number;
  /**
   * How long the garbage collector takes to delete the dependents of a deleted owner (background
   * propagation); a real cluster takes from milliseconds to minutes. @defaultValue 0 (at once, but after the owner)
   */
  garbageCollectionDelayMs?: number;
  /** Watch events kept for resuming watches. @defaultValue 1000 */
  historySize?: number;
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const types = new Map<string, ResourceType>();
  // key: typeKey → (ns/name → object)
  const store = new Map<string, Map<string, any>>();
  const history: WatchEvent[] = [];
  let oldestRetainedRv = 0;
  let rv = 1;
  const watchers = new Set<Watcher>();
  const failures: Array<InjectedFailure & { left: number }> = [];
  const requests: RecordedKubeRequest[] = [];
  const bookmarkInterval = options.bookmarkIntervalMs ?? 60_000;
  const historySize = options.historySize ?? 1000;

  const typeKey = (group: string, plural: string): string => `${group}/${plural}`;
  const objKey = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;
  const bucket = (key: string): Map<string, any> => {
    let b = store.get(key);
    if (!b) store.set(key, (b = new Map()));
    return b;
  };

  function register(type: ResourceType): void {
    types.set(typeKey(type.group, type.plural), type);
  }
  for (const t of [...BUILTIN_TYPES, ...(options.types ?? [])]) register(t);

  function apiVersionOf(t: ResourceType): string {
    return t.group ? `${t.group}/${t.version}` : t.version;
  }

  function emit(t: ResourceType, type: WatchEvent['type'], object: any): void {
    const ev: WatchEvent = {
      type,
      object: clone(object),
      rv: Number(object.metadata.resourceVersion),
      key: typeKey(t.group, t.plural),
    };
    history.push(ev);
    while (history.length > historySize) oldestRetainedRv = history.shift()!.rv;
    for (const w of watchers) {
      if (w.typeKey !== ev.key) continue;
      if (w.namespace && w.namespace !== object.metadata.namespace) continue;
      writeEvent(w.res, ev.type, ev.object);
    }
  }

  function bumpSpecGeneration(t: ResourceType, prev: any, next: any): void {
    const strip = (o: any): string => {
      const { metadata: _m, status, ...rest } = o;
      return JSON.stringify(t.statusSubresource ? rest : { ...rest, status });
    };
    next.metadata.generation =
      strip(prev) === strip(next) ? (prev.metadata.generation ?? 1) : (prev.metadata.generation ?? 1) + 1;
  }

  /** Stores `next` in place of `prev` (undefined = create). Returns the stored object. */
  function store_(t: ResourceType, next: any, prev: any | undefined, dryRun: boolean): any {
    const obj = clone(next);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    if (!prev) {
      obj.metadata.uid = randomUUID();
      obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      obj.metadata.generation = 1;
    } else {
      obj.metadata.uid = prev.metadata.uid;
      obj.metadata.creationTimestamp = prev.metadata.creationTimestamp;
      bumpSpecGeneration(t, prev, obj);
    }
    if (dryRun) {
      obj.metadata.resourceVersion = prev?.metadata.resourceVersion ?? '';
      return obj;
    }
    obj.metadata.resourceVersion = String(++rv);
    bucket(typeKey(t.group, t.plural)).set(objKey(obj.metadata.namespace, obj.metadata.name), obj);
    emit(t, prev ? 'MODIFIED' : 'ADDED', obj);
    return obj;
  }

  /**
   * propagationPolicy: Background (default) deletes the owner, then its dependents after the GC delay;
   * Foreground deletes the dependents first; Orphan keeps them and drops their ownerReference to it.
   */
  function remove(t: ResourceType, prev: any, dryRun: boolean, propagation = 'Background'): any {
    if (dryRun) return prev;
    if (propagation === 'Foreground') collectGarbage(prev.metadata.uid);
    bucket(typeKey(t.group, t.plural)).delete(objKey(prev.metadata.namespace, prev.metadata.name));
    const gone = clone(prev);
    gone.metadata.resourceVersion = String(++rv);
    emit(t, 'DELETED', gone);
    if (propagation === 'Orphan') orphan(prev.metadata.uid);
    else if (propagation !== 'Foreground') {
      const gcDelay = options.garbageCollectionDelayMs ?? 0;
      if (gcDelay > 0) setTimeout(() => collectGarbage(prev.metadata.uid), gcDelay).unref();
      else collectGarbage(prev.metadata.uid);
    }
    return gone;
  }

  /** Every object whose ownerReferences name `ownerUid`, with its type and its other owner references. */
  function* dependentsOf(ownerUid: string): Generator<{ t: ResourceType; obj: any; rest: any[] }> {
    for (const [key, objects] of store) {
      const t = types.get(key);
      if (!t) continue;
      for (const obj of [...objects.values()]) {
        const refs: any[] = obj.metadata.ownerReferences ?? [];
        if (refs.some((r) => r.uid === ownerUid)) yield { t, obj, rest: refs.filter((r) => r.uid !== ownerUid) };
      }
    }
  }

  /** Dependents of a deleted owner kept (propagationPolicy Orphan): only the reference to it goes. */
  function orphan(ownerUid: string): void {
    for (const { t, obj, rest } of dependentsOf(ownerUid)) {
      store_(t, { ...obj, metadata: { ...obj.metadata, ownerReferences: rest.length ? rest : undefined } }, obj, false);
    }
  }

  /** Cascading deletion: dependents whose ownerReferences name the deleted uid. */
  function collectGarbage(ownerUid: string): void {
    for (const { t, obj, rest } of dependentsOf(ownerUid)) {
      if (rest.length === 0) remove(t, obj, false);
      else store_(t, { ...obj, metadata: { ...obj.metadata, ownerReferences: rest } }, obj, false);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // HTTP

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', String(err?.stack ?? err));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    const query = Object.fromEntries(url.searchParams.entries());
    const method = req.method ?? 'GET';
    const record: RecordedKubeRequest = { method, path, query, contentType: req.headers['content-type'], status: 0 };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.clientClosed = true;
    });
    const body = await text(req);
    const origWriteHead = res.writeHead.bind(res);
    (res as any).writeHead = (status: number, ...rest: any[]) => {
      record.status = status;
      return (origWriteHead as any)(status, ...rest);
    };

    const failure = failures.find(
      (f) =>
        f.left > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.path || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))) &&
        (f.dryRun === undefined || f.dryRun === (query.dryRun === 'All')),
    );
    if (failure) {
      failure.left--;
      if (failure.delayMs) await new Promise((r) => setTimeout(r, failure.delayMs));
      if (failure.drop) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (failure.status) {
        return sendStatus(
          res,
          failure.status,
          reasonFor(failure.status),
          failure.message ?? `injected ${failure.status}`,
        );
      }
    }

    // discovery
    if (path === '/api')
      return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') return send(res, 200, groupList());
    if (path === '/version') return send(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-policyforge-test' });
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }

    if (path === '/openapi/v3') return send(res, 200, openApiV3Root([...types.values()]));
    if (path.startsWith('/openapi/v3/')) {
      const members = byGroupVersion([...types.values()]).get(path.slice('/openapi/v3/'.length));
      if (!members)
        return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
      return send(res, 200, openApiV3(members));
    }
    if (path === '/openapi/v2') {
      // served as JSON only: a client asking for the protobuf form alone (client-go) gets 406 and falls back
      if (!/json|\*\/\*/.test(String(req.headers.accept ?? '*/*'))) {
        return sendStatus(res, 406, 'NotAcceptable', 'only application/json is served');
      }
      return send(res, 200, openApiV2([...types.values()]));
    }

    const route = parsePath(path);
    if (!route) return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
    if (route.discovery) return send(res, 200, resourceList(route.group, route.version));
    const t = types.get(typeKey(route.group, route.plural!));
    if (!t || t.version !== route.version) {
      return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
    }
    if (t.namespaced && !route.namespace && route.name) {
      return sendStatus(res, 404, 'NotFound', `${t.plural} must be addressed in a namespace`);
    }
    if (!t.namespaced && route.namespace) {
      return sendStatus(res, 404, 'NotFound', `${t.plural} is not namespaced`);
    }
    if (route.subresource && !(route.subresource === 'status' && t.statusSubresource)) {
      return sendStatus(res, 404, 'NotFound', `${t.plural} has no subresource ${route.subresource}`);
    }
    const dryRun = query.dryRun === 'All';
    if (query.dryRun !== undefined && query.dryRun !== 'All') {
      return sendStatus(res, 400, 'BadRequest', `dryRun: unsupported value "${query.dryRun}", supported values: "All"`);
    }
    const ns = route.namespace;
    const objects = bucket(typeKey(t.group, t.plural));
    const current = route.name ? objects.get(objKey(ns, route.name)) : undefined;
    const groupResource = t.group ? `${t.plural}.${t.group}` : t.plural;

    if (method === 'GET' && !route.name) {
      if (query.watch === 'true' || query.watch === '1') return watch(t, ns, query, res);
      const items = [...objects.values()]
        .filter((o) => !ns || o.metadata.namespace === ns)
        .filter((o) => matchesLabels(o, query.labelSelector))
        .sort((a, b) =>
          objKey(a.metadata.namespace, a.metadata.name).localeCompare(objKey(b.metadata.namespace, b.metadata.name)),
        );
      if (wantsTable(req)) return send(res, 200, table(t, items));
      // limit/continue as the API server pages: the token carries the list's resourceVersion and the last key
      let page = items;
      let listRv = String(rv);
      if (query.continue) {
        let token: { rv?: string; after?: string };
        try {
          token = JSON.parse(Buffer.from(query.continue, 'base64').toString('utf8'));
        } catch {
          return sendStatus(res, 400, 'BadRequest', 'continue key is not valid: illegal base64 data');
        }
        if (typeof token.rv !== 'string' || typeof token.after !== 'string')
          return sendStatus(res, 400, 'BadRequest', 'continue key is not valid');
        listRv = token.rv;
        page = page.filter((o) => objKey(o.metadata.namespace, o.metadata.name) > token.after!);
      }
      const limit = Number(query.limit ?? 0);
      const metadata: Record<string, unknown> = { resourceVersion: listRv };
      if (limit > 0 && page.length > limit) {
        const last = page[limit - 1];
        metadata.continue = Buffer.from(
          JSON.stringify({ rv: listRv, after: objKey(last.metadata.namespace, last.metadata.name) }),
        ).toString('base64');
        metadata.remainingItemCount = page.length - limit;
        page = page.slice(0, limit);
      }
      return send(res, 200, { apiVersion: apiVersionOf(t), kind: `${t.kind}List`, metadata, items: page });
    }
    if (method === 'GET') {
      if (!current) return notFound(res, groupResource, route.name!);
      if (wantsTable(req)) return send(res, 200, table(t, [current]));
      return send(res, 200, current);
    }

    let input: any;
    try {
      input = decodeBody(body, req.headers['content-type']);
    } catch (err) {
      return sendStatus(res, 400, 'BadRequest', `the request body is not valid: ${(err as Error).message}`);
    }

    const directive = query.fieldValidation ?? 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(directive)) {
      return sendStatus(
        res,
        400,
        'BadRequest',
        `fieldValidation: Unsupported value: "${directive}": supported values: "Ignore", "Strict", "Warn"`,
      );
    }
    const w: Write = {
      record,
      t,
      dryRun,
      toStatus: route.subresource === 'status',
      manager: query.fieldManager || String(req.headers['user-agent'] ?? 'unknown').split('/')[0],
      warnings: [],
    };
    /**
     * Prunes unknown fields and reports them per fieldValidation; false when the request was answered (Strict).
     * A create or update names the kind (`… cannot be handled as a …`), a patch does not (patch.go).
     */
    const pruned = (obj: any, decoding: boolean): boolean => {
      if (!t.schema || !obj || typeof obj !== 'object') return true;
      const unknown = prune(obj, t.schema).map((f) => `unknown field ${goQuote(f)}`);
      if (!unknown.length || directive === 'Ignore') return true;
      if (directive === 'Warn') {
        w.warnings.push(...unknown);
        w.record.warnings = w.warnings;
        return true;
      }
      const strict = `strict decoding error: ${unknown.join(', ')}`;
      sendStatus(
        res,
        400,
        'BadRequest',
        decoding ? `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: ${strict}` : strict,
      );
      return false;
    };
    // custom resources are decoded as unstructured objects, which need a kind (built-in types take the URL's)
    const needsKind =
      (method === 'POST' || method === 'PUT') && !BUILTIN_TYPES.includes(t) && input && typeof input === 'object';
    if (needsKind && !input.kind)
      return sendStatus(res, 400, 'BadRequest', `Object 'Kind' is missing in '${body.trim()}'`);

    if (method === 'POST' && !route.name) {
      if (!input || typeof input !== 'object' || !input.metadata?.name) {
        return sendStatus(res, 422, 'Invalid', `${t.kind} "": metadata.name: Required value: name is required`, {
          kind: t.kind,
        });
      }
      if (!pruned(input, true)) return;
      if (objects.has(objKey(ns, input.metadata.name))) {
        return sendStatus(res, 409, 'AlreadyExists', `${groupResource} "${input.metadata.name}" already exists`, {
          name: input.metadata.name,
          group: t.group,
          kind: t.plural,
        });
      }
      if (t.namespaced) input.metadata.namespace = ns;
      else delete input.metadata.namespace;
      if (t.statusSubresource) delete input.status;
      delete input.metadata.resourceVersion;
      return create(res, w, input, (obj) => recordUpdate([], w.manager, apiVersionOf(t), scopeOf(w), undefined, obj));
    }

    if (!route.name) return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not allowed on a collection`);

    if (method === 'DELETE') {
      if (!current) return notFound(res, groupResource, route.name);
      const propagation = String(input?.propagationPolicy ?? query.propagationPolicy ?? 'Background');
      if (!['Background', 'Foreground', 'Orphan'].includes(propagation)) {
        return sendStatus(
          res,
          400,
          'BadRequest',
          `propagationPolicy: Unsupported value: "${propagation}": supported values: "Foreground", "Background", "Orphan"`,
        );
      }
      const gone = remove(t, current, dryRun, propagation);
      return send(res, 200, gone);
    }

    if (method === 'PUT') {
      if (!current) return notFound(res, groupResource, route.name);
      if (!input?.metadata) return sendStatus(res, 400, 'BadRequest', 'the body must be an object with metadata');
      if (input.metadata.name !== route.name) {
        return sendStatus(
          res,
          400,
          'BadRequest',
          `the name of the object (${input.metadata.name}) does not match the name on the URL (${route.name})`,
        );
      }
      if (!pruned(input, true)) return;
      // custom resources need a resourceVersion on update; built-in kinds (Leases, Events) allow an unconditional one
      if (!input.metadata.resourceVersion && !BUILTIN_TYPES.includes(t)) {
        return invalidObject(res, t, route.name, [
          'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
        ]);
      }
      if (input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion)
        return conflict(res, groupResource, route.name);
      return update(res, w, current, input);
    }

    if (method === 'PATCH') {
      const contentType = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      const apply = contentType === 'application/apply-patch+yaml';
      const patchOptionsInvalid = (cause: string): void =>
        sendStatus(res, 422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${cause}`, {
          group: 'meta.k8s.io',
          kind: 'PatchOptions',
        });
      if (query.force !== undefined && !apply)
        return patchOptionsInvalid('force: Forbidden: may not be specified for non-apply patch');
      if (apply && !query.fieldManager)
        return patchOptionsInvalid('fieldManager: Required value: is required for apply patch');
      let patched: any;
      try {
        if (contentType === 'application/json-patch+json') {
          if (!current) return notFound(res, groupResource, route.name);
          patched = fastJsonPatch.applyPatch(clone(current), input, true, false).newDocument;
        } else if (contentType === 'application/merge-patch+json') {
          if (!current) return notFound(res, groupResource, route.name);
          patched = mergePatch(clone(current), input);
        } else if (apply) {
          return serverSideApplyRequest(res, w, current, input, query.force === 'true', route.name, ns);
        } else {
          return sendStatus(
            res,
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          );
        }
      } catch (err) {
        return sendStatus(res, 422, 'Invalid', `the patch could not be applied: ${(err as Error).message}`);
      }
      if (patched?.metadata?.resourceVersion && patched.metadata.resourceVersion !== current.metadata.resourceVersion) {
        return conflict(res, groupResource, route.name);
      }
      if (!pruned(patched, false)) return;
      return update(res, w, current, patched);
    }

    return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported`);
  }

  const scopeOf = (w: Write): Scope => ({ statusSubresource: Boolean(w.t.statusSubresource), toStatus: w.toStatus });

  /**
   * Server-side apply: the configuration must fit the schema whatever fieldValidation says (the API server
   * answers 500 with structured-merge-diff's error), then fields are merged by ownership (./managed-fields.ts).
   */
  function serverSideApplyRequest(
    res: ServerResponse,
    w: Write,
    current: any,
    config: any,
    force: boolean,
    name: string,
    ns?: string,
  ): void {
    const { t } = w;
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      return sendStatus(res, 400, 'BadRequest', 'the apply configuration must be an object');
    }
    if (t.schema) {
      const unknown = prune(clone(config), t.schema);
      if (unknown.length) {
        const id = `${ns ?? ''}/${name}; ${apiVersionOf(t)}, Kind=${t.kind}`;
        const why = unknown.map((f) => `.${f.replace(/\[(\d+)\]/g, '[$1]')}: field not declared in schema`).join('\n');
        return send(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `failed to create typed patch object (${id}): ${why}`,
          code: 500,
        });
      }
    }
    if (
      current &&
      config.metadata?.resourceVersion &&
      config.metadata.resourceVersion !== current.metadata.resourceVersion
    ) {
      return conflict(res, t.group ? `${t.plural}.${t.group}` : t.plural, name);
    }
    const base = current ?? {
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      metadata: { name, ...(t.namespaced ? { namespace: ns } : {}) },
    };
    const result = serverSideApply(managedOf(current), w.manager, apiVersionOf(t), scopeOf(w), base, config, force);
    if (!result.ok) {
      return sendStatus(res, 409, 'Conflict', conflictMessage(result.conflicts), {
        causes: result.conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with ${c.manager}`,
          field: c.field,
        })),
      });
    }
    if (!current) {
      if (w.toStatus) return notFound(res, t.group ? `${t.plural}.${t.group}` : t.plural, name);
      if (t.statusSubresource) delete result.object.status;
      return create(res, w, result.object, () => result.managedFields);
    }
    return update(res, w, current, result.object, result.managedFields);
  }

  function managedOf(obj: any | undefined): ManagedFieldsEntry[] {
    return clone(obj?.metadata?.managedFields ?? []);
  }

  /**
   * Defaults, then the schema's validation and the type's own (a webhook's), as the API server orders them.
   * On update the schema's errors on values the update leaves unchanged are dropped (CRD validation
   * ratcheting, on by default since Kubernetes 1.30), so an object stored before a stricter CRD can still
   * have its status written.
   */
  function admit(t: ResourceType, obj: any, operation: 'CREATE' | 'UPDATE', old?: any): FieldError[] {
    if (t.schema) applyDefaults(obj, t.schema);
    let errors = t.schema ? validateObject(obj, t.schema) : [];
    if (old) {
      const unchanged = (e: FieldError): boolean => isDeepStrictEqual(valueAt(obj, e.field), valueAt(old, e.field));
      errors = errors.filter((e) => e.type === 'FieldValueRequired' || !unchanged(e));
    }
    return [...errors, ...(t.validate?.(obj, operation) ?? []).map(parseFieldError)];
  }

  function create(res: ServerResponse, w: Write, obj: any, managed: (obj: any) => ManagedFieldsEntry[]): void {
    const invalid = admit(w.t, obj, 'CREATE');
    if (invalid.length) return invalidObject(res, w.t, obj.metadata.name, invalid);
    obj.metadata.managedFields = managed(obj);
    if (!obj.metadata.managedFields.length) delete obj.metadata.managedFields;
    sendWithWarnings(res, 201, store_(w.t, obj, undefined, w.dryRun), w.warnings);
  }

  /** Stores an update of `current`; `managed`: the apply's managedFields (else the update is recorded). */
  function update(res: ServerResponse, w: Write, current: any, input: any, managed?: ManagedFieldsEntry[]): void {
    const { t, toStatus } = w;
    let next: any;
    if (t.statusSubresource && toStatus) {
      next = { ...clone(current), status: input.status };
      if (input.status === undefined) delete next.status;
    } else if (t.statusSubresource) {
      next = { ...clone(input), status: current.status };
      if (current.status === undefined) delete next.status;
    } else {
      next = clone(input);
    }
    next.metadata = { ...next.metadata, name: current.metadata.name, namespace: current.metadata.namespace };
    if (toStatus) next.metadata = clone(current.metadata);
    const invalid = admit(t, next, 'UPDATE', current);
    if (invalid.length) return invalidObject(res, t, current.metadata.name, invalid);
    next.metadata.managedFields =
      managed ?? recordUpdate(managedOf(current), w.manager, apiVersionOf(t), scopeOf(w), current, next);
    if (!next.metadata.managedFields.length) delete next.metadata.managedFields;
    sendWithWarnings(res, 200, store_(t, next, current, w.dryRun), w.warnings);
  }

  function watch(t: ResourceType, ns: string | undefined, query: Record<string, string>, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const key = typeKey(t.group, t.plural);
    const w: Watcher = { typeKey: key, namespace: ns, res };
    const from = query.resourceVersion;
    if (!from || from === '0') {
      for (const o of bucket(key).values()) if (!ns || o.metadata.namespace === ns) writeEvent(res, 'ADDED', o);
    } else {
      const since = Number(from);
      if (!Number.isFinite(since) || since < oldestRetainedRv) {
        writeEvent(res, 'ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${from} (${oldestRetainedRv + 1})`,
          reason: 'Expired',
          code: 410,
        });
        res.end();
        return;
      }
      for (const ev of history) {
        if (ev.key !== key || ev.rv <= since) continue;
        if (ns && ev.object.metadata.namespace !== ns) continue;
        writeEvent(res, ev.type, ev.object);
      }
    }
    watchers.add(w);
    if (query.allowWatchBookmarks === 'true') {
      w.bookmarks = setInterval(() => {
        writeEvent(res, 'BOOKMARK', {
          kind: t.kind,
          apiVersion: apiVersionOf(t),
          metadata: { resourceVersion: String(rv) },
        });
      }, bookmarkInterval);
    }
    if (query.timeoutSeconds) w.timeout = setTimeout(() => res.end(), Number(query.timeoutSeconds) * 1000);
    const cleanup = (): void => {
      watchers.delete(w);
      if (w.bookmarks) clearInterval(w.bookmarks);
      if (w.timeout) clearTimeout(w.timeout);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
  }

  /** The Table kubectl asks for (Accept: application/json;as=Table;g=meta.k8s.io;v=v1), with the CRD's printer columns. */
  function table(t: ResourceType, items: any[]): unknown {
    const columns = t.printerColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: String(rv) },
      columnDefinitions: [
        {
          name: 'Name',
          type: 'string',
          format: 'name',
          description: 'Name must be unique within a namespace.',
          priority: 0,
        },
        ...columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: '',
          description: c.description ?? '',
          priority: c.priority ?? 0,
        })),
      ],
      rows: items.map((o) => ({
        cells: [o.metadata.name, ...columns.map((c) => cell(c.type, jsonPathValue(o, c.jsonPath)))],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    };
  }

  function groupList(): unknown {
    const groups = new Map<string, Set<string>>();
    for (const t of types.values()) {
      if (!t.group) continue;
      if (!groups.has(t.group)) groups.set(t.group, new Set());
      groups.get(t.group)!.add(t.version);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${[...versions][0]}`, version: [...versions][0] },
      })),
    };
  }

  function resourceList(group: string, version: string): unknown {
    const resources: any[] = [];
    for (const t of types.values()) {
      if (t.group !== group || t.version !== version) continue;
      const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      resources.push({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs,
      });
      if (t.statusSubresource)
        resources.push({
          name: `${t.plural}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        });
    }
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function typeOrThrow(group: string, plural: string): ResourceType {
    const t = types.get(typeKey(group, plural));
    if (!t) throw new Error(`kube-api-server: no resource type ${plural}.${group} is registered`);
    return t;
  }

  return {
    url,
    requests,
    kubeconfig: () =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: test',
        '  cluster:',
        `    server: ${url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: test',
        '  user:',
        '    token: test-token',
        'contexts:',
        '- name: test',
        '  context: {cluster: test, user: test}',
        'current-context: test',
        '',
      ].join('\n'),
    register,
    connections: () => connections,
    inject: (failure) => failures.push({ ...failure, left: failure.times ?? 1 }),
    getObject: (group, plural, name, namespace) => {
      const o = bucket(typeKey(group, plural)).get(objKey(namespace, name));
      return o ? clone(o) : undefined;
    },
    listObjects: (group, plural, namespace) =>
      [...bucket(typeKey(group, plural)).values()]
        .filter((o) => !namespace || o.metadata.namespace === namespace)
        .map(clone),
    putObject: (group, plural, obj) => {
      const t = typeOrThrow(group, plural);
      // stored as the API server would store it: pruned and defaulted (not validated: setup may need anything)
      obj = clone(obj);
      if (t.schema) {
        prune(obj, t.schema);
        applyDefaults(obj, t.schema);
      }
      const prev = bucket(typeKey(group, plural)).get(objKey(obj.metadata?.namespace, obj.metadata?.name));
      return clone(store_(t, obj, prev, false));
    },
    deleteObject: (group, plural, name, namespace) => {
      const t = typeOrThrow(group, plural);
      const prev = bucket(typeKey(group, plural)).get(objKey(namespace, name));
      if (!prev) return false;
      remove(t, prev, false);
      return true;
    },
    compact: () => {
      oldestRetainedRv = rv;
      history.length = 0;
    },
    closeWatches: () => {
      for (const w of [...watchers]) w.res.end();
    },
    openWatches: () => watchers.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of [...watchers]) w.res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --------------------------------------------------------------------------------------------------
// helpers

interface Route {
  group: string;
  version: string;
  namespace?: string;
  plural?: string;
  name?: string;
  subresource?: string;
  discovery?: boolean;
}

function parsePath(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (!parts[1]) return undefined;
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (!parts[1] || !parts[2]) return undefined;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { group, version, discovery: true };
  let namespace: string | undefined;
  // /namespaces/<ns>/<plural>… addresses a namespaced resource; /namespaces and /namespaces/<name> the namespace itself
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length) return undefined;
  return { group, version, namespace, plural, name, subresource };
}

/** As the API server's table printer: dates become ages (`5s`, `3m`, `2h`, `4d`). */
function cell(type: string, value: unknown): unknown {
  if (value === undefined) return null;
  if (type !== 'date' || typeof value !== 'string') return value;
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(value)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(String(req.headers.accept ?? ''));
}

/**
 * The JSONPath subset CRD printer columns use: `.a.b`, `.a[0]`, `.a[?(@.k=="v")].b`. The first match wins,
 * as in the API server's column printer.
 */
export function jsonPathValue(obj: unknown, path: string): unknown {
  const tokens = path.replace(/^\./, '').match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || value === undefined) continue;
      const filter = /^\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(token);
      if (filter) {
        if (Array.isArray(value))
          next.push(...value.filter((v) => v && typeof v === 'object' && String((v as any)[filter[1]]) === filter[2]));
      } else if (/^\[\d+\]$/.test(token)) {
        if (Array.isArray(value)) next.push(value[Number(token.slice(1, -1))]);
      } else if (typeof value === 'object') {
        next.push((value as Record<string, unknown>)[token]);
      }
    }
    current = next.filter((v) => v !== undefined);
  }
  return current[0];
}

/** The value at a field error's path (`spec.a`, `status.conditions[1]`). */
function valueAt(obj: unknown, field: string): unknown {
  let v: any = obj;
  for (const key of field.match(/[^.[\]]+/g) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[key];
  }
  return v;
}

function decodeBody(body: string, contentType: string | undefined): any {
  if (!body) return undefined;
  if (String(contentType ?? '').startsWith('application/apply-patch+yaml')) return parseYaml(body);
  return JSON.parse(body);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function matchesLabels(obj: any, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = obj.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k in labels : labels[k] === v;
  });
}

function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendStatus(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  send(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  });
}

function notFound(res: ServerResponse, groupResource: string, name: string): void {
  sendStatus(res, 404, 'NotFound', `${groupResource} "${name}" not found`, { name });
}

function conflict(res: ServerResponse, groupResource: string, name: string): void {
  sendStatus(
    res,
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name },
  );
}

/** 422 Invalid as errors.NewInvalid builds it: `Kind.group "name" is invalid: <error>` or `…: [<e1>, <e2>]`. */
function invalidObject(res: ServerResponse, t: ResourceType, name: string, errors: Array<string | FieldError>): void {
  const fieldErrors = errors.map((e) => (typeof e === 'string' ? parseFieldError(e) : e));
  const messages = fieldErrors.map(fieldErrorMessage);
  const qualified = t.group ? `${t.kind}.${t.group}` : t.kind;
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  sendStatus(res, 422, 'Invalid', `${qualified} "${name}" is invalid: ${aggregate}`, {
    name,
    group: t.group,
    kind: t.kind,
    causes: fieldErrors.map((e) => ({ reason: e.type, message: e.body, field: e.field })),
  });
}

/** A validator's `field: detail` message as a field error (its type read from the detail's wording). */
function parseFieldError(message: string): FieldError {
  const at = message.indexOf(': ');
  if (at < 0) return { type: 'FieldValueInvalid', field: '', body: message };
  const body = message.slice(at + 2);
  const type = body.startsWith('Required value')
    ? 'FieldValueRequired'
    : body.startsWith('Unsupported value')
      ? 'FieldValueNotSupported'
      : body.startsWith('Forbidden')
        ? 'FieldValueForbidden'
        : 'FieldValueInvalid';
  return { type, field: message.slice(0, at), body };
}

/** Warning headers as the API server sends them (RFC 7234 code 299), one per warning. */
function sendWithWarnings(res: ServerResponse, status: number, body: unknown, warnings: string[]): void {
  if (warnings.length)
    res.setHeader(
      'Warning',
      warnings.map((w) => `299 - ${goQuote(w)}`),
    );
  send(res, status, body);
}

function reasonFor(status: number): string {
  return (
    (
      {
        400: 'BadRequest',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'NotFound',
        409: 'Conflict',
        422: 'Invalid',
        429: 'TooManyRequests',
        500: 'InternalError',
        503: 'ServiceUnavailable',
        504: 'Timeout',
      } as Record<number, string>
    )[status] ?? 'Unknown'
  );
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}
