import { builtinModules } from 'node:module';
import { builtinCatalog, type ApiCatalog, type ApiResource } from '../catalog/index.js';
import {
  OPERATIONS,
  POLICY_TYPES,
  VIOLATION_POLICIES,
  type Finding,
  type Intent,
  type JsPolicy,
  type LabelSelector,
  type Plan,
} from '../common/index.js';
import { codeFacts, HOST_APIS, SIDE_EFFECT_GLOBALS } from './code-facts.js';
import { NAMESPACE_NAME_LABEL, selectedNames, selectorMaySelect, SYSTEM_NAMESPACES } from './namespaces.js';
import {
  effectiveGroups,
  effectiveOperations,
  excludedNamespaces,
  intendedNamespaces,
  matchedResources,
  neededOperations,
  resourceRules,
  showGroup,
} from './rules.js';

export interface LintContext {
  /** Resources that exist. @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /** What the policy is meant to target (namespaces, operations, resources). */
  plan?: Plan;
  /** The user's intent: its namespaces, options.failurePolicy opt-in, mode. */
  intent?: Intent;
}

/** Policies above this many seconds hold an API request that long when the jsPolicy pod is slow. */
export const SAFE_TIMEOUT_SECONDS = 5;

/** Resources whose admission a policy must not sit in front of (cluster control loops depend on them). */
const CRITICAL_RESOURCES: Readonly<Record<string, string>> = {
  validatingwebhookconfigurations: 'a broken policy could stop anyone from removing the webhook that broke the cluster',
  mutatingwebhookconfigurations: 'a broken policy could stop anyone from removing the webhook that broke the cluster',
  jspolicies: 'jsPolicy could not update or delete its own policies while this one fails',
  jspolicybundles: 'jsPolicy could not update its own bundles while this one fails',
  gptpolicies: 'policyforge could not update or delete the GPTPolicies that own the JsPolicies',
  leases: 'node heartbeats and leader election write leases every few seconds; failures mark nodes NotReady',
  nodes: 'kubelets update their Node objects constantly; failures make nodes NotReady',
};

/** Subresources that controllers and the scheduler write; a policy on them rarely does what was meant. */
const RISKY_SUBRESOURCES: Readonly<Record<string, string>> = {
  status: 'controllers write status constantly',
  binding: 'the scheduler binds every pod through it',
  eviction: 'node drains and the descheduler evict through it',
};

/** Fields the API server refuses to change on UPDATE, by `group/plural`: a Mutating policy changing them breaks updates. */
const IMMUTABLE_ON_UPDATE: Readonly<Record<string, readonly string[]>> = {
  '/pods': [
    'imagePullPolicy',
    'securityContext',
    'resources',
    'env',
    'envFrom',
    'command',
    'args',
    'ports',
    'volumeMounts',
    'volumes',
    'nodeSelector',
    'serviceAccountName',
    'hostNetwork',
    'hostPID',
    'hostIPC',
    'runtimeClassName',
    'priorityClassName',
    'priority',
    'affinity',
    'initContainers',
    'containers',
    'restartPolicy',
    'dnsPolicy',
    'nodeName',
    'schedulerName',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
  ],
  'apps/deployments': ['selector'],
  'apps/replicasets': ['selector'],
  'apps/daemonsets': ['selector'],
  'apps/statefulsets': ['selector', 'serviceName', 'volumeClaimTemplates', 'podManagementPolicy'],
  'batch/jobs': ['selector', 'template', 'completions', 'completionMode'],
  '/services': ['clusterIP', 'clusterIPs', 'ipFamilies'],
  '/persistentvolumeclaims': ['storageClassName', 'accessModes', 'volumeName', 'volumeMode', 'selector'],
};

const ENUMS = {
  type: POLICY_TYPES,
  scope: ['Cluster', 'Namespaced', '*'],
  failurePolicy: ['Fail', 'Ignore'],
  matchPolicy: ['Exact', 'Equivalent'],
  reinvocationPolicy: ['Never', 'IfNeeded'],
  violationPolicy: VIOLATION_POLICIES,
  auditPolicy: ['Log', 'Skip'],
} as const;

const SPEC_FIELDS = new Set([
  'type',
  'operations',
  'resources',
  'apiGroups',
  'apiVersions',
  'scope',
  'namespaceSelector',
  'objectSelector',
  'failurePolicy',
  'matchPolicy',
  'reinvocationPolicy',
  'timeoutSeconds',
  'violationPolicy',
  'auditPolicy',
  'auditLogSize',
  'dependencies',
  'javascript',
]);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Static checks of a draft JsPolicy: schema and jsPolicy rules, the code (compiles, no Node.js APIs,
 * nothing undefined), the API catalog (resources, groups, versions, scope, kinds the code expects) and
 * safety (blast radius). Every finding carries a severity, a one-line risk and a concrete fix.
 */
export function lintPolicy(policy: JsPolicy, ctx: LintContext = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (f: Finding): void => {
    findings.push(f);
  };
  schemaRules(policy, add);
  const spec = policy?.spec;
  // The checks below read the spec's fields as their declared types: a mistyped spec gets schema findings only.
  if (!spec || typeof spec !== 'object' || findings.some((f) => f.rule === 'schema/type')) return findings;
  const catalog = ctx.catalog ?? builtinCatalog();
  codeRules(policy, catalog, add);
  catalogRules(policy, catalog, add);
  safetyRules(policy, catalog, ctx, add);
  return findings.sort((a, b) => Number(a.severity !== 'blocking') - Number(b.severity !== 'blocking'));
}

type Add = (f: Finding) => void;

function schemaRules(policy: JsPolicy, add: Add): void {
  if (policy?.apiVersion !== 'policy.jspolicy.com/v1beta1') {
    add({
      rule: 'schema/api-version',
      severity: 'blocking',
      message: `apiVersion is ${JSON.stringify(policy?.apiVersion)}: jsPolicy serves only policy.jspolicy.com/v1beta1`,
      fix: 'set apiVersion: policy.jspolicy.com/v1beta1',
      path: 'apiVersion',
    });
  }
  if (policy?.kind !== 'JsPolicy') {
    add({
      rule: 'schema/kind',
      severity: 'blocking',
      message: `kind is ${JSON.stringify(policy?.kind)}, not JsPolicy`,
      fix: 'set kind: JsPolicy',
      path: 'kind',
    });
  }
  const name = policy?.metadata?.name;
  if (typeof name !== 'string' || !DNS_SUBDOMAIN.test(name) || name.length > 253 || name.split('.').length < 3) {
    add({
      rule: 'schema/name',
      severity: 'blocking',
      message: `metadata.name ${JSON.stringify(name)} is rejected: jsPolicy needs a DNS subdomain with at least three dot-separated parts`,
      fix: 'name it like no-prod-pods.policyforge.dev (lower case, dots between at least three parts)',
      path: 'metadata.name',
    });
  }
  const spec = policy?.spec as unknown as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') {
    add({
      rule: 'schema/spec',
      severity: 'blocking',
      message: 'the policy has no spec',
      fix: 'add spec with type, operations, resources and javascript',
      path: 'spec',
    });
    return;
  }
  const types: Array<[string, (v: unknown) => boolean, string]> = [
    ['operations', isStringList, 'a list of strings'],
    ['resources', isStringList, 'a list of strings'],
    ['apiGroups', isStringList, 'a list of strings'],
    ['apiVersions', isStringList, 'a list of strings'],
    ['namespaceSelector', isPlainObject, 'a label selector object'],
    ['objectSelector', isPlainObject, 'a label selector object'],
    ['javascript', (v) => typeof v === 'string', 'a string'],
    ['type', (v) => typeof v === 'string', 'a string'],
    ['timeoutSeconds', (v) => typeof v === 'number', 'a number'],
  ];
  for (const [field, ok, what] of types) {
    if (spec[field] !== undefined && spec[field] !== null && !ok(spec[field])) {
      add({
        rule: 'schema/type',
        severity: 'blocking',
        message: `spec.${field} must be ${what}, not ${JSON.stringify(spec[field])?.slice(0, 60)}`,
        fix: `write spec.${field} as ${what}`,
        path: `spec.${field}`,
      });
    }
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(key))
      add({
        rule: 'schema/unknown-field',
        severity: 'advisory',
        message: `spec.${key} is not a JsPolicy field and is dropped by the API server`,
        fix: `remove spec.${key} (fields: ${[...SPEC_FIELDS].join(', ')})`,
        path: `spec.${key}`,
      });
  }
  for (const [field, allowed] of Object.entries(ENUMS)) {
    const value = spec[field];
    if (value === undefined) continue;
    if (!(allowed as readonly unknown[]).includes(value)) {
      const cased = (allowed as readonly string[]).find(
        (a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase(),
      );
      add({
        rule: 'schema/enum',
        severity: 'blocking',
        message: `spec.${field} ${JSON.stringify(value)} is rejected by jsPolicy's webhook${cased ? ' (values are case-sensitive)' : ''}`,
        fix: cased ? `write spec.${field}: ${cased}` : `use one of ${allowed.join(', ')}`,
        path: `spec.${field}`,
      });
    }
  }
  const type = (spec.type as string | undefined) ?? 'Validating';
  if (spec.reinvocationPolicy !== undefined && type !== 'Mutating') {
    add({
      rule: 'schema/reinvocation-policy',
      severity: 'advisory',
      message: 'spec.reinvocationPolicy applies to Mutating policies only',
      fix: 'remove spec.reinvocationPolicy',
      path: 'spec.reinvocationPolicy',
    });
  }

  const ops = spec.operations;
  if (!Array.isArray(ops) || ops.length === 0) {
    add({
      rule: 'schema/operations',
      severity: 'blocking',
      message: 'spec.operations is required and empty: the policy would never run',
      fix: 'list the operations the intent needs, e.g. [CREATE, UPDATE]',
      path: 'spec.operations',
    });
  } else {
    ops.forEach((op, i) => {
      if (op !== '*' && !(OPERATIONS as readonly unknown[]).includes(op)) {
        add({
          rule: 'schema/operations',
          severity: 'blocking',
          message: `spec.operations[${i}] ${JSON.stringify(op)} is not an operation`,
          fix: 'use CREATE, UPDATE, DELETE or CONNECT (upper case)',
          path: `spec.operations[${i}]`,
        });
      }
    });
    if (type === 'Controller' && ops.some((op) => !['CREATE', 'DELETE', '*'].includes(op as string))) {
      add({
        rule: 'schema/controller-operations',
        severity: 'blocking',
        message: 'Controller policies accept only CREATE, DELETE or * (an update arrives as CREATE)',
        fix: 'use operations [CREATE] (and DELETE to see deletions)',
        path: 'spec.operations',
      });
    }
  }
  for (const field of ['operations', 'apiGroups', 'apiVersions'] as const) {
    const list = spec[field];
    if (Array.isArray(list) && list.includes('*') && list.length > 1) {
      add({
        rule: 'schema/wildcard-not-alone',
        severity: 'blocking',
        message: `spec.${field} mixes * with other entries, which jsPolicy rejects`,
        fix: `use * alone or list the values without *`,
        path: `spec.${field}`,
      });
    }
  }

  const resources = spec.resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    add({
      rule: 'schema/resources',
      severity: 'blocking',
      message: 'spec.resources is required and empty: the policy would never run',
      fix: 'list plural resource names, e.g. [pods]',
      path: 'spec.resources',
    });
  } else {
    resources.forEach((r, i) => {
      if (typeof r !== 'string' || !/^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)(\/(\*|[a-z0-9]+))?$/.test(r)) {
        add({
          rule: 'schema/resources',
          severity: 'blocking',
          message: `spec.resources[${i}] ${JSON.stringify(r)} is not a rule resource (plural, lower case, optional /subresource)`,
          fix: 'write the lower-case plural, e.g. pods, deployments, pods/exec',
          path: `spec.resources[${i}]`,
        });
      }
      if (type === 'Controller' && typeof r === 'string' && r.includes('*')) {
        add({
          rule: 'schema/controller-resources',
          severity: 'blocking',
          message: 'Controller policies cannot use * in resources',
          fix: 'list the plural resources the controller watches',
          path: `spec.resources[${i}]`,
        });
      }
    });
  }
  if (Array.isArray(spec.apiVersions)) {
    spec.apiVersions.forEach((v, i) => {
      if (v !== '*' && (typeof v !== 'string' || !/^v\d+((alpha|beta)\d+)?$/.test(v))) {
        add({
          rule: 'schema/api-versions',
          severity: 'blocking',
          message: `spec.apiVersions[${i}] ${JSON.stringify(v)} is a version with its group or not a version`,
          fix: 'list versions only (v1, v1beta1); groups go in apiGroups',
          path: `spec.apiVersions[${i}]`,
        });
      }
    });
  }
  const timeout = spec.timeoutSeconds;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 30)
  ) {
    add({
      rule: 'schema/timeout-seconds',
      severity: 'blocking',
      message: `spec.timeoutSeconds ${JSON.stringify(timeout)} is outside 1..30`,
      fix: `set spec.timeoutSeconds: ${SAFE_TIMEOUT_SECONDS}`,
      path: 'spec.timeoutSeconds',
    });
  }
  const logSize = spec.auditLogSize;
  if (
    logSize !== undefined &&
    (typeof logSize !== 'number' || !Number.isInteger(logSize) || logSize < 1 || logSize > 39)
  ) {
    add({
      rule: 'schema/audit-log-size',
      severity: 'advisory',
      message: `spec.auditLogSize ${JSON.stringify(logSize)} is outside what jsPolicy keeps (1..39)`,
      fix: 'remove spec.auditLogSize (default 20)',
      path: 'spec.auditLogSize',
    });
  }
  if (typeof spec.javascript !== 'string' || spec.javascript.trim() === '') {
    add({
      rule: 'schema/javascript',
      severity: 'blocking',
      message:
        'spec.javascript is empty: jsPolicy would need a JsPolicyBundle of the same name, which policyforge never produces',
      fix: 'put the policy code in spec.javascript',
      path: 'spec.javascript',
    });
  }
  if (
    spec.dependencies !== undefined &&
    (typeof spec.dependencies !== 'object' ||
      spec.dependencies === null ||
      Object.values(spec.dependencies).some((v) => typeof v !== 'string'))
  ) {
    add({
      rule: 'schema/dependencies',
      severity: 'blocking',
      message: 'spec.dependencies must map npm package names to semver ranges',
      fix: 'write dependencies as {name: "^1.2.3"} or remove them',
      path: 'spec.dependencies',
    });
  }
  for (const field of ['namespaceSelector', 'objectSelector'] as const) {
    const problem = selectorProblem(spec[field]);
    if (problem)
      add({
        rule: 'schema/selector',
        severity: 'blocking',
        message: `spec.${field}: ${problem}`,
        fix: 'use {matchLabels: {key: value}} or matchExpressions [{key, operator: In|NotIn|Exists|DoesNotExist, values}]',
        path: `spec.${field}`,
      });
  }
}

function isStringList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function selectorProblem(sel: unknown): string | undefined {
  if (sel === undefined) return undefined;
  if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) return 'a label selector must be an object';
  const s = sel as LabelSelector;
  if (
    s.matchLabels !== undefined &&
    (typeof s.matchLabels !== 'object' || Object.values(s.matchLabels).some((v) => typeof v !== 'string'))
  )
    return 'matchLabels values must be strings';
  for (const [i, req] of (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).entries()) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(req?.operator))
      return `matchExpressions[${i}].operator ${JSON.stringify(req?.operator)} is not In, NotIn, Exists or DoesNotExist`;
    if (typeof req.key !== 'string' || !req.key) return `matchExpressions[${i}].key is missing`;
    const hasValues = Array.isArray(req.values) && req.values.length > 0;
    if ((req.operator === 'In' || req.operator === 'NotIn') && !hasValues)
      return `matchExpressions[${i}] (${req.operator}) needs values`;
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && hasValues)
      return `matchExpressions[${i}] (${req.operator}) must not have values`;
  }
  if (s.matchExpressions !== undefined && !Array.isArray(s.matchExpressions)) return 'matchExpressions must be a list';
  return undefined;
}

/**
 * Why jsPolicy's bundle cannot hold the module a policy loads, or undefined when it can: a package declared in
 * spec.dependencies (or a path inside one, `lodash/fp`).
 */
function moduleLoadProblem(module: string | undefined, dependencies: Record<string, string>): string | undefined {
  if (module === undefined) return 'a module name the code computes, which webpack cannot resolve before it runs';
  const name = module.startsWith('node:') ? module.slice(5) : module;
  if (module.startsWith('node:') || builtinModules.includes(name))
    return `${name} is a Node.js built-in, which jsPolicy's runtime does not have`;
  const pkg = module.startsWith('@') ? module.split('/').slice(0, 2).join('/') : module.split('/')[0];
  if (Object.prototype.hasOwnProperty.call(dependencies, pkg)) return undefined;
  return `${pkg || module} is not declared in spec.dependencies`;
}

function codeRules(policy: JsPolicy, catalog: ApiCatalog, add: Add): void {
  const spec = policy.spec;
  if (typeof spec.javascript !== 'string' || !spec.javascript.trim()) return;
  const hasDependencies = !!spec.dependencies && Object.keys(spec.dependencies).length > 0;
  const facts = codeFacts(spec.javascript);
  const type = spec.type ?? 'Validating';
  if (facts.syntaxError) {
    add({
      rule: 'code/syntax',
      severity: 'blocking',
      message: `the javascript does not compile (${facts.syntaxError}): jsPolicy deletes the webhook, so nothing is enforced`,
      fix: 'fix the syntax error; write a plain script (no top-level return, no module syntax)',
      path: 'spec.javascript',
    });
    return;
  }
  // An import of a package is reported below, by name; what is left is module syntax with nothing to bundle.
  if (facts.usesImport && !hasDependencies && !facts.moduleLoads.some((l) => l.how === 'import')) {
    add({
      rule: 'code/import',
      severity: 'blocking',
      message:
        "the code uses module syntax (import(), export) but declares no spec.dependencies: jsPolicy's webpack bundle cannot resolve what it loads, the bundle fails and jsPolicy deletes the policy's webhook, so nothing is enforced",
      fix: 'inline the helper functions instead of importing them, or declare the package in spec.dependencies',
      path: 'spec.javascript',
    });
  }
  const loads = facts.moduleLoads.filter(
    (l) => l.how === 'import' || facts.undeclared.some((u) => u.name === 'require'),
  );
  for (const load of loads) {
    const why = moduleLoadProblem(load.module, spec.dependencies ?? {});
    if (!why) continue;
    const what =
      load.how === 'import'
        ? `import of '${load.module}'`
        : `require(${load.module === undefined ? '…' : `'${load.module}'`})`;
    add({
      rule: 'code/host-api',
      severity: 'blocking',
      message: `${what}: ${why}; jsPolicy bundles spec.javascript with webpack, which resolves only the packages declared in spec.dependencies: the bundle fails and jsPolicy deletes the policy's webhook, so nothing is enforced`,
      fix: HOST_APIS.require,
      path: 'spec.javascript',
    });
  }
  for (const { name, called } of facts.undeclared) {
    // require() of a declared package works as in jsPolicy (bundled); the loads it cannot do are reported above.
    if (name === 'require' && facts.moduleLoads.some((l) => l.how === 'require')) continue;
    const hostFix = HOST_APIS[name];
    if (name === 'require') {
      add({
        rule: 'code/host-api',
        severity: 'blocking',
        message:
          "the code uses require other than as require('package'): jsPolicy's bundle (webpack) resolves only require or import of a package declared in spec.dependencies, and the request is answered with 500",
        fix: HOST_APIS.require,
        path: 'spec.javascript',
      });
    } else if (hostFix) {
      add({
        rule: 'code/host-api',
        severity: 'blocking',
        message: `the code uses ${name}, which jsPolicy's runtime does not have (no Node.js, no browser APIs): it throws and the request is denied with 500`,
        fix: hostFix,
        path: 'spec.javascript',
      });
    } else {
      add({
        rule: called ? 'code/undefined-function' : 'code/undefined-variable',
        severity: 'blocking',
        message: `the code ${called ? 'calls' : 'reads'} ${name}, which is never declared: a ReferenceError denies the request with 500`,
        fix: called
          ? `include the declaration of function ${name} in spec.javascript`
          : `declare ${name} (const/let) or read it from request`,
        path: 'spec.javascript',
      });
    }
  }
  for (const how of facts.indirections) {
    add({
      rule: 'code/indirect-global',
      severity: 'blocking',
      message: `the code reaches globals by a route the text does not name: ${how}; a policy has no reason to, and it can hide side effects`,
      fix: 'call jsPolicy functions by their names (deny, warn, mutate, get, list); no eval, Function, globalThis[…] or this[…]',
      path: 'spec.javascript',
    });
  }
  for (const name of facts.unavailable) {
    add({
      rule: 'code/unavailable-global',
      severity: 'blocking',
      message: `the code uses ${name}, which policyforge's sandbox takes away: its memory escapes the isolate's limit, and no policy needs it`,
      fix: `write the check with plain objects, arrays and strings; no ${name}`,
      path: 'spec.javascript',
    });
  }
  for (const what of facts.undecodable) {
    add({
      rule: 'code/result-type',
      severity: 'blocking',
      message: `${what}: jsPolicy decodes the result into Go types and answers 500 json: cannot unmarshal, denying the request`,
      fix: 'deny(message: string, reason?: string, code?: number), warn(message: string), mutate(object)',
      path: 'spec.javascript',
    });
  }
  if (facts.usesAsync) {
    add({
      rule: 'code/async',
      severity: 'advisory',
      message:
        'the code uses async/await: every jsPolicy host function is synchronous and a verdict inside a promise may come too late',
      fix: 'write synchronous code',
      path: 'spec.javascript',
    });
  }
  if (facts.calls.mutate && type !== 'Mutating') {
    add({
      rule: 'code/mutate-in-validating',
      severity: 'blocking',
      message: `mutate() in a ${type} policy only ends the script: the object is admitted unchanged`,
      fix: 'set spec.type: Mutating, or use deny()/warn() instead of mutate()',
      path: 'spec.type',
    });
  }
  if (facts.calls.requeue && type !== 'Controller') {
    add({
      rule: 'code/requeue-outside-controller',
      severity: 'advisory',
      message: 'requeue() only means something in a Controller policy',
      fix: 'use deny() in a webhook policy',
      path: 'spec.javascript',
    });
  }
  if (!['deny', 'warn', 'mutate', 'requeue', 'create', 'update', 'remove'].some((fn) => facts.calls[fn])) {
    add({
      rule: 'code/no-verdict',
      severity: 'advisory',
      message: 'the code never calls deny(), warn() or mutate(): it can only admit',
      fix: 'call deny(message) (or warn/mutate) where the intent is violated',
      path: 'spec.javascript',
    });
  }
  // The kinds the code expects must be deliverable by the match rules (or exist, for get/list).
  const matched = matchedResources(spec, catalog);
  const wildcard = resourceRules(spec).some((r) => r.plural === '*');
  const deliverable = new Set(matched.map((r) => r.kind.toLowerCase()));
  // A subresource request (pods/exec, deployments/scale) carries the subresource's kind in request.kind.
  const subresourceKinds = resourceRules(spec).some((r) => r.subresource);
  for (const cmp of facts.kindComparisons) {
    if (wildcard || deliverable.has(cmp.kind.toLowerCase())) continue;
    if (subresourceKinds && cmp.path !== 'request.object.kind' && cmp.path !== 'request.oldObject.kind') continue;
    const served = catalog.kindsNamed(cmp.kind);
    add({
      rule: 'catalog/kind-unreachable',
      severity: 'blocking',
      message: `the code checks ${cmp.path} === '${cmp.kind}', but the match rules only deliver ${[...new Set(matched.map((r) => r.kind))].join(', ') || 'nothing known'}: that branch never runs`,
      fix: served.length
        ? `add ${served.map((r) => `${r.plural} (apiGroups ${showGroup(r.group)})`).join(' or ')} to the rules, or drop the check`
        : `drop the check on ${cmp.kind}, or match the resource that has kind ${cmp.kind}`,
      path: 'spec.resources',
    });
  }
  for (const lookup of facts.lookups) {
    if (!lookup.apiVersion) continue;
    if (catalog.byKind(lookup.apiVersion, lookup.kind)) continue;
    const served = catalog.kindsNamed(lookup.kind);
    const known = served.length > 0 || hasDiscovery(catalog);
    add({
      rule: 'catalog/lookup-kind',
      severity: known ? 'blocking' : 'advisory',
      message: `${lookup.fn}('${lookup.kind}', '${lookup.apiVersion}') names ${served.length ? 'a kind at the wrong apiVersion' : 'a kind the API catalog does not know'}: it finds nothing`,
      fix: served.length
        ? `use ${served.map((r) => `'${r.group ? `${r.group}/` : ''}${r.versions[0]}'`).join(' or ')} as the apiVersion`
        : 'check the kind name and apiVersion against kubectl api-resources',
      path: 'spec.javascript',
    });
  }
}

function hasDiscovery(catalog: ApiCatalog): boolean {
  return catalog.all().some((r) => r.source === 'discovery');
}

function catalogRules(policy: JsPolicy, catalog: ApiCatalog, add: Add): void {
  const spec = policy.spec;
  const groups = effectiveGroups(spec);
  const versions = spec.apiVersions?.length ? spec.apiVersions : ['*'];
  const usedGroups = new Set<string>();
  resourceRules(spec).forEach((rule, i) => {
    if (rule.plural === '*') {
      usedGroups.add('*');
      return;
    }
    const candidates = catalog.byPlural(rule.plural);
    if (candidates.length === 0) {
      const asKind = catalog
        .all()
        .find(
          (r) =>
            r.kind.toLowerCase() === rule.plural.toLowerCase() ||
            r.singular === rule.plural ||
            r.shortNames?.includes(rule.plural),
        );
      if (asKind) {
        add({
          rule: 'catalog/not-plural',
          severity: 'blocking',
          message: `spec.resources[${i}] ${rule.raw} is a kind, singular or short name: webhook rules match plurals only, so nothing is matched`,
          fix: `use ${asKind.plural}${rule.subresource ? `/${rule.subresource}` : ''} (apiGroups ${showGroup(asKind.group)})`,
          path: `spec.resources[${i}]`,
        });
      } else {
        const discovered = hasDiscovery(catalog);
        add({
          rule: 'catalog/unknown-resource',
          severity: discovered ? 'blocking' : 'advisory',
          message: `no API serves ${rule.plural}${discovered ? ' on this cluster' : ' among the known resources'}: the policy may never run`,
          fix: 'check the plural with kubectl api-resources and correct spec.resources',
          path: `spec.resources[${i}]`,
        });
      }
      return;
    }
    const served = groups.includes('*') ? candidates : candidates.filter((c) => groups.includes(c.group));
    if (served.length === 0) {
      add({
        rule: 'catalog/wrong-group',
        severity: 'blocking',
        message: `${rule.plural} is served by ${candidates.map((c) => showGroup(c.group)).join(' and ')}, not ${groups.map(showGroup).join(', ')}: the policy never runs`,
        fix: `set spec.apiGroups to [${candidates.map((c) => JSON.stringify(c.group)).join(', ')}]`,
        path: 'spec.apiGroups',
      });
      return;
    }
    for (const c of served) usedGroups.add(c.group);
    if (!versions.includes('*') && !served.some((c) => c.versions.some((v) => versions.includes(v)))) {
      add({
        rule: 'catalog/wrong-version',
        severity: 'blocking',
        message: `${rule.plural} is served at ${[...new Set(served.flatMap((c) => c.versions))].join(', ')}, not ${versions.join(', ')}: the policy never runs`,
        fix: 'remove spec.apiVersions (matchPolicy Equivalent covers every version) or list a served one',
        path: 'spec.apiVersions',
      });
    }
    const subresource = rule.subresource;
    if (subresource && subresource !== '*' && !served.some((c) => c.subresources.includes(subresource))) {
      add({
        rule: 'catalog/unknown-subresource',
        severity: 'blocking',
        message: `${rule.plural} has no subresource ${rule.subresource} (it has: ${[...new Set(served.flatMap((c) => c.subresources))].join(', ') || 'none'})`,
        fix: `use ${rule.plural} or one of its subresources`,
        path: `spec.resources[${i}]`,
      });
    }
    if (spec.scope === 'Cluster' && served.every((c) => c.namespaced)) {
      add({
        rule: 'catalog/scope-mismatch',
        severity: 'blocking',
        message: `scope Cluster never matches ${rule.plural}, which is namespaced`,
        fix: 'set spec.scope: Namespaced (or remove it)',
        path: 'spec.scope',
      });
    }
    if (spec.scope === 'Namespaced' && served.every((c) => !c.namespaced)) {
      add({
        rule: 'catalog/scope-mismatch',
        severity: 'blocking',
        message: `scope Namespaced never matches ${rule.plural}, which is cluster-scoped`,
        fix: 'set spec.scope: Cluster (or remove it)',
        path: 'spec.scope',
      });
    }
  });
  if (!groups.includes('*') && !usedGroups.has('*')) {
    for (const g of groups) {
      if (!usedGroups.has(g) && catalog.groups().includes(g)) {
        add({
          rule: 'catalog/unused-group',
          severity: 'advisory',
          message: `apiGroups lists ${showGroup(g)}, which serves none of the listed resources`,
          fix: `remove ${JSON.stringify(g)} from spec.apiGroups`,
          path: 'spec.apiGroups',
        });
      }
    }
  }
}

function safetyRules(policy: JsPolicy, catalog: ApiCatalog, ctx: LintContext, add: Add): void {
  const spec = policy.spec;
  const type = spec.type ?? 'Validating';
  const intentText = ctx.intent?.text ?? '';
  const rules = resourceRules(spec);
  const matched = matchedResources(spec, catalog);
  const unknownRule = rules.some((r) => r.plural !== '*' && catalog.byPlural(r.plural).length === 0);
  const wildcard = rules.some((r) => r.plural === '*');
  // namespaceSelector applies to namespaced resources and to Namespace objects themselves.
  const selectorApplies =
    wildcard || unknownRule || matched.some((r) => r.namespaced || (r.group === '' && r.plural === 'namespaces'));
  const sel = spec.namespaceSelector;

  if (
    type !== 'Controller' &&
    (spec.failurePolicy ?? 'Fail') === 'Fail' &&
    ctx.intent?.options?.failurePolicy !== 'Fail'
  ) {
    add({
      rule: 'safety/failure-policy-fail',
      severity: 'blocking',
      message: `failurePolicy is Fail${spec.failurePolicy ? '' : ' (the default when unset)'}: while the jsPolicy pod is unreachable every matching request is rejected, its replacement included`,
      fix: 'set spec.failurePolicy: Ignore (only the GPTPolicy may opt in to Fail)',
      path: 'spec.failurePolicy',
    });
  }

  const intended = intendedNamespaces(ctx.plan, ctx.intent);
  if (selectorApplies && intended.length) {
    const names = selectedNames(sel);
    const outside = names ? names.filter((n) => !intended.includes(n)) : [];
    if (!names || outside.length) {
      add({
        rule: 'safety/all-namespaces',
        severity: 'blocking',
        message: names
          ? `the namespaceSelector selects ${outside.join(', ')}, which the intent does not name (it names ${intended.join(', ')})`
          : `the policy acts in every namespace, but the intent names only ${intended.join(', ')}`,
        fix: `set spec.namespaceSelector.matchExpressions to [{key: ${NAMESPACE_NAME_LABEL}, operator: In, values: [${intended.join(', ')}]}]`,
        path: 'spec.namespaceSelector',
      });
    }
  }
  const excluded = excludedNamespaces(ctx.plan, ctx.intent);
  const excludedReachable = selectorApplies
    ? excluded.filter((n) => !(SYSTEM_NAMESPACES as readonly string[]).includes(n) && selectorMaySelect(sel, n))
    : [];
  if (excludedReachable.length) {
    add({
      rule: 'safety/all-namespaces',
      severity: 'blocking',
      message: `the policy can act in ${excludedReachable.join(', ')}, which the intent excludes`,
      fix: `add {key: ${NAMESPACE_NAME_LABEL}, operator: NotIn, values: [${excludedReachable.join(', ')}]} to spec.namespaceSelector.matchExpressions`,
      path: 'spec.namespaceSelector',
    });
  }
  if (selectorApplies) {
    const reachable = SYSTEM_NAMESPACES.filter((n) => selectorMaySelect(sel, n));
    if (reachable.length) {
      add({
        rule: 'safety/system-namespaces',
        severity: 'blocking',
        message: `the policy can act in ${reachable.join(', ')}: a mistake there stops the control plane, jsPolicy or policyforge from recovering`,
        fix: `add {key: ${NAMESPACE_NAME_LABEL}, operator: NotIn, values: [${SYSTEM_NAMESPACES.join(', ')}]} to spec.namespaceSelector.matchExpressions`,
        path: 'spec.namespaceSelector',
      });
    }
  }

  if (rules.some((r) => r.plural === '*')) {
    add({
      rule: 'safety/wildcard-resources',
      severity: 'blocking',
      message: 'resources * sends every API request of every kind through this policy',
      fix: `list only the plurals the intent is about${ctx.plan ? ` (${ctx.plan.target.resources.join(', ')})` : ''}`,
      path: 'spec.resources',
    });
  } else if (effectiveGroups(spec).includes('*')) {
    // metrics.k8s.io serves read-only `pods` and `nodes`: never admitted, so not a second match.
    const servingGroups = (plural: string): string[] => [
      ...new Set(
        catalog
          .byPlural(plural)
          .map((c) => c.group)
          .filter((g) => g !== 'metrics.k8s.io'),
      ),
    ];
    const groupsServing = [...new Set(rules.flatMap((r) => servingGroups(r.plural)))];
    if (groupsServing.length) {
      const ambiguous = rules.filter((r) => servingGroups(r.plural).length > 1).map((r) => r.plural);
      add({
        rule: 'safety/wildcard-groups',
        severity: ambiguous.length ? 'blocking' : 'advisory',
        message: `apiGroups is ${spec.apiGroups ? '*' : 'unset (*)'}: ${ambiguous.length ? `${ambiguous.join(', ')} is served by several groups and all of them are matched` : 'any other API group serving the same plural is matched too'}`,
        fix: `set spec.apiGroups to [${groupsServing.map((g) => JSON.stringify(g)).join(', ')}]`,
        path: 'spec.apiGroups',
      });
    }
  }

  if (type !== 'Controller') {
    const ops = effectiveOperations(spec);
    const needed = neededOperations(ctx.plan, ctx.intent);
    for (const op of ['DELETE', 'CONNECT'] as const) {
      if (!ops.includes(op)) continue;
      if (needed && needed.includes(op)) continue;
      if (!needed && !(spec.operations ?? []).includes('*')) continue;
      add({
        rule: 'safety/unneeded-operation',
        severity: needed ? 'blocking' : 'advisory',
        message: `operations include ${op}${(spec.operations ?? []).includes('*') ? ' (through *)' : ''}, which the intent does not need: ${op === 'DELETE' ? 'request.object is absent on DELETE, so code reading it denies deletions with 500' : 'every exec/attach/port-forward goes through the policy'}`,
        fix: `set spec.operations to [${(needed ?? ['CREATE', 'UPDATE']).join(', ')}]`,
        path: 'spec.operations',
      });
    }
  }

  const asked = (word: string): boolean =>
    (ctx.plan?.target.resources ?? []).some((r) => r.includes(word)) || new RegExp(`\\b${word}`, 'i').test(intentText);
  rules.forEach((rule, i) => {
    const subs =
      rule.subresource === '*' || (rule.plural === '*' && rule.subresource)
        ? Object.keys(RISKY_SUBRESOURCES)
        : rule.subresource && RISKY_SUBRESOURCES[rule.subresource]
          ? [rule.subresource]
          : [];
    for (const sub of subs) {
      if (asked(sub)) continue;
      add({
        rule: 'safety/subresource',
        severity: 'blocking',
        message: `${rule.raw} matches the ${sub} subresource: ${RISKY_SUBRESOURCES[sub]}`,
        fix: `use ${rule.plural === '*' ? 'the plurals the intent needs' : rule.plural} without /${rule.subresource}`,
        path: `spec.resources[${i}]`,
      });
    }
  });

  const timeout = spec.timeoutSeconds ?? 10;
  // A Controller policy holds no API request: its timeout only bounds its own run.
  if (type !== 'Controller' && typeof timeout === 'number' && timeout > SAFE_TIMEOUT_SECONDS) {
    add({
      rule: 'safety/timeout',
      severity: 'advisory',
      message: `timeoutSeconds is ${timeout}${spec.timeoutSeconds === undefined ? ' (the default)' : ''}: a slow policy holds every matching API request that long`,
      fix: `set spec.timeoutSeconds: ${SAFE_TIMEOUT_SECONDS} (policy code should answer in milliseconds)`,
      path: 'spec.timeoutSeconds',
    });
  }

  const critical = new Map<string, ApiResource>();
  for (const r of matched) if (CRITICAL_RESOURCES[r.plural] && r.group !== 'metrics.k8s.io') critical.set(r.plural, r);
  for (const [plural, r] of critical) {
    const named =
      new RegExp(`\\b(${plural}|${r.kind}|${r.kind.replace(/([a-z])([A-Z])/g, '$1 $2')})`, 'i').test(intentText) ||
      (ctx.plan?.target.resources ?? []).includes(plural);
    add({
      rule: 'safety/critical-resource',
      severity: named ? 'advisory' : 'blocking',
      message: `the policy matches ${plural}${wildcard ? ' (through *)' : ''}: ${CRITICAL_RESOURCES[plural]}`,
      fix: named
        ? `keep failurePolicy Ignore and exclude system namespaces; test ${plural} updates carefully`
        : `remove ${plural} from the rules (list only the resources the intent names)`,
      path: 'spec.resources',
    });
  }

  // Every policy type: a side-effect function the code names (called, aliased, or through globalThis/this)
  // must be declared by the plan. The sandbox's record of what the code did is checked too (verify()).
  const facts = typeof spec.javascript === 'string' ? codeFacts(spec.javascript) : undefined;
  const inWebhook =
    type !== 'Controller' ? ['create', 'update', 'remove', 'fetchSync'].filter((fn) => facts?.sideEffectRefs[fn]) : [];
  for (const fn of SIDE_EFFECT_GLOBALS.filter((f) => facts?.sideEffectRefs[f] && !inWebhook.includes(f))) {
    // Statically only the function is known, not the kinds it writes: those are judged on behaviour.
    if ((ctx.plan?.sideEffects ?? []).some((d) => d.fn === fn)) continue;
    add({
      rule: 'code/undeclared-side-effect',
      severity: ctx.plan ? 'blocking' : 'advisory',
      message: `the code uses ${fn}()${ctx.plan ? ', which the plan does not declare' : ' (a side effect: verify() needs a plan that declares it)'}${fn === 'remove' ? ': it deletes objects' : ''}`,
      fix: `remove the ${fn}() call unless the intent asks for it (then the plan declares it in sideEffects)`,
      path: 'spec.javascript',
    });
  }

  if (type !== 'Controller' && facts) {
    const sideEffects = inWebhook;
    if (sideEffects.length) {
      add({
        rule: 'safety/side-effects',
        severity: 'blocking',
        message: `${sideEffects.map((f) => `${f}()`).join(', ')} in a ${type} policy runs on every admission (dry runs and retries included)${sideEffects.includes('fetchSync') ? ', and a network error throws and denies with 500' : ''}`,
        fix: 'decide from request alone (and get/list lookups); move side effects to a Controller policy',
        path: 'spec.javascript',
      });
    }
    if (type === 'Mutating' && effectiveOperations(spec).includes('UPDATE') && !facts.checksOperation) {
      for (const r of matched) {
        const immutable = IMMUTABLE_ON_UPDATE[`${r.group}/${r.plural}`];
        if (!immutable) continue;
        const touched = facts.assignedProperties.filter((p) => immutable.includes(p));
        if (!touched.length) continue;
        add({
          rule: 'safety/immutable-field',
          severity: 'blocking',
          message: `the policy mutates ${[...new Set(touched)].join(', ')} of ${r.plural} on UPDATE; the API server rejects changes to those fields after creation, so every update fails`,
          fix: `set spec.operations to [CREATE], or mutate only when request.operation === 'CREATE'`,
          path: 'spec.operations',
        });
      }
    }
  }
}
