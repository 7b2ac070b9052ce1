import type { KubeObject, Operation } from '../../common/index.js';
import type { ReplayRequest } from '../../sandbox/index.js';

/**
 * Kubernetes audit events (audit.k8s.io/v1 Event) as admission requests. What an event records depends on
 * the audit policy's level: Metadata has no objects, Request has requestObject, RequestResponse both.
 *
 * - verb → operation: create → CREATE, update and patch → UPDATE, delete → DELETE; reads (get, list,
 *   watch) and deletecollection never reached an admission webhook as one object: skipped;
 * - the object: for create and update the requestObject (what admission saw, before other webhooks'
 *   patches), else the responseObject; for patch only the responseObject (the requestObject is the
 *   patch itself); for delete the responseObject is the deleted object (when it is not a Status);
 * - user: the impersonated user when there is one (admission sees that one), else the user;
 * - stages: only ResponseComplete and Panic (an event without a stage counts): the others repeat the
 *   same request.
 */

export type AuditEntry = { type: 'request'; request: ReplayRequest; ref: string } | { type: 'skipped'; why: string };

const OPERATION_OF: Record<string, Operation> = {
  create: 'CREATE',
  update: 'UPDATE',
  patch: 'UPDATE',
  delete: 'DELETE',
};

export function isAuditEvent(doc: Record<string, unknown>): boolean {
  return doc.kind === 'Event' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('audit.k8s.io/');
}

/** The fields of an audit.k8s.io Event this reads; anything may be missing or mistyped in a log. */
interface AuditEventFields {
  stage?: unknown;
  verb?: unknown;
  level?: unknown;
  objectRef?: { namespace?: unknown; name?: unknown; subresource?: unknown };
  requestObject?: unknown;
  responseObject?: unknown;
  user?: AuditUser;
  impersonatedUser?: AuditUser;
}
interface AuditUser {
  username?: unknown;
  uid?: unknown;
  groups?: unknown;
  extra?: unknown;
}

export function auditEntry(event: AuditEventFields): AuditEntry {
  const stage = event.stage as string | undefined;
  if (stage !== undefined && stage !== 'ResponseComplete' && stage !== 'Panic')
    return { type: 'skipped', why: `audit stage ${stage} (the same request is recorded at ResponseComplete)` };
  const verb = String(event.verb ?? '');
  const operation = OPERATION_OF[verb];
  if (!operation)
    return { type: 'skipped', why: `audit verb ${verb || '(none)'}: not an admission request for one object` };
  const ref = event.objectRef ?? {};
  const asObject = (o: unknown): KubeObject | undefined => {
    const obj = o as KubeObject | undefined;
    return obj &&
      typeof obj === 'object' &&
      typeof obj.kind === 'string' &&
      typeof obj.apiVersion === 'string' &&
      obj.kind !== 'Status' &&
      !obj.kind.endsWith('Options')
      ? obj
      : undefined;
  };
  let object: KubeObject | undefined;
  if (verb === 'create' || verb === 'update') object = asObject(event.requestObject) ?? asObject(event.responseObject);
  else object = asObject(event.responseObject);
  if (!object)
    return {
      type: 'skipped',
      why: `audit event without a ${verb === 'delete' ? 'deleted' : 'request'} object (audit level ${event.level ?? 'unknown'})`,
    };
  const user = event.impersonatedUser ?? event.user ?? {};
  const request: ReplayRequest = {
    operation,
    ...(operation === 'DELETE' ? { oldObject: object } : { object }),
    // An update's old object is not in the audit log; a policy reading request.oldObject would throw on
    // its absence and count as a denial it never made, so the update replays as from the same object.
    ...(operation === 'UPDATE' ? { oldObject: object } : {}),
    namespace: typeof ref.namespace === 'string' ? ref.namespace : '',
    ...(ref.subresource ? { subResource: String(ref.subresource) } : {}),
    userInfo: {
      username: String(user.username ?? ''),
      groups: Array.isArray(user.groups) ? user.groups.map(String) : [],
      ...(user.uid ? { uid: String(user.uid) } : {}),
      ...(user.extra && typeof user.extra === 'object' ? { extra: stringLists(user.extra) } : {}),
    },
  };
  const where = ref.namespace ? `${ref.namespace}/` : '';
  const name = ref.name ?? object.metadata?.name ?? '';
  return {
    type: 'request',
    request,
    ref: `${verb} ${object.kind} ${where}${name}${ref.subresource ? `/${ref.subresource}` : ''} by ${request.userInfo?.username || '(unknown)'}`,
  };
}

/** userInfo.extra as admission/v1 types it (map of string lists), whatever the log held. */
function stringLists(extra: object): Record<string, string[]> {
  return Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]));
}
