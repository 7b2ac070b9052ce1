/**
 * Every rule the critic reports, with what it checks. Ids are stable: the loop, the coder's prompt and
 * clients match on them. Severity is per finding (some rules are advisory in one context and blocking in
 * another, e.g. an unknown resource is blocking only once the cluster's catalog was discovered).
 */
export const RULES = {
  'schema/api-version': 'apiVersion is policy.jspolicy.com/v1beta1',
  'schema/kind': 'kind is JsPolicy',
  'schema/name': 'metadata.name is a DNS subdomain with at least three dot-separated parts',
  'schema/spec': 'the policy has a spec',
  'schema/type': 'spec fields have their declared types (lists of strings, selector objects, a string of code)',
  'schema/unknown-field': 'spec has only JsPolicy fields',
  'schema/enum':
    'type, scope, failurePolicy, matchPolicy, reinvocationPolicy, violationPolicy, auditPolicy are valid, case-sensitive values',
  'schema/reinvocation-policy': 'reinvocationPolicy only on Mutating policies',
  'schema/operations': 'operations is non-empty and lists CREATE, UPDATE, DELETE, CONNECT or *',
  'schema/controller-operations': 'Controller policies use only CREATE, DELETE or *',
  'schema/wildcard-not-alone': '* appears alone in operations, apiGroups and apiVersions',
  'schema/resources': 'resources is non-empty and uses rule syntax (lower-case plural, optional /subresource)',
  'schema/controller-resources': 'Controller policies do not use * in resources',
  'schema/api-versions': 'apiVersions lists versions, not group/version',
  'schema/timeout-seconds': 'timeoutSeconds is an integer in 1..30',
  'schema/audit-log-size': 'auditLogSize is within what jsPolicy keeps (1..39)',
  'schema/javascript': 'javascript is present (policyforge never produces JsPolicyBundles)',
  'schema/dependencies': 'dependencies maps npm names to semver ranges',
  'schema/selector': 'namespaceSelector and objectSelector are valid label selectors',
  'code/syntax':
    'the javascript parses as a classic script (jsPolicy deletes the webhook of a policy that does not compile)',
  'code/compile': 'the javascript compiles in V8',
  'code/import': 'no import without spec.dependencies',
  'code/host-api':
    'no Node.js or browser API jsPolicy lacks (process, Buffer, setTimeout, fetch, …); require/import only of packages declared in spec.dependencies',
  'code/undefined-function': 'every function called is declared or a jsPolicy/ECMAScript global',
  'code/undefined-variable': 'every variable read is declared or a jsPolicy/ECMAScript global',
  'code/async': 'no async/await (host functions are synchronous)',
  'code/mutate-in-validating': 'mutate() only in Mutating policies',
  'code/requeue-outside-controller': 'requeue() only in Controller policies',
  'code/no-verdict': 'the code can deny, warn or mutate',
  'code/unavailable-global':
    'no WebAssembly, SharedArrayBuffer or Atomics (the sandbox takes them away: their memory escapes the limit)',
  'code/result-type':
    'deny/warn messages are strings, deny codes numbers, mutate gets an object (jsPolicy decodes them into Go types)',
  'code/indirect-global':
    'no globals reached by computed names, eval, Function or the global object as a value (they hide side effects)',
  'code/undeclared-side-effect':
    'every side-effect function the code names (create, update, remove, fetchSync, readFileSync, env, requeue) is declared by the plan',
  'catalog/not-plural': 'resources name plurals, not kinds, singulars or short names',
  'catalog/unknown-resource': 'resources exist in the API catalog',
  'catalog/wrong-group': 'each resource is served by one of apiGroups (the finding names the group that serves it)',
  'catalog/wrong-version': 'apiVersions include a version the resource is served at',
  'catalog/unknown-subresource': 'subresources exist on their resource',
  'catalog/scope-mismatch': 'scope agrees with the resources (Cluster/Namespaced)',
  'catalog/unused-group': 'every apiGroup serves one of the resources',
  'catalog/kind-unreachable':
    'kinds the code compares request.object.kind/request.kind.kind with can be delivered by the rules',
  'catalog/lookup-kind': 'get()/list() name a kind served at that apiVersion',
  'safety/failure-policy-fail': 'failurePolicy Fail only with the intent’s explicit opt-in',
  'safety/all-namespaces': 'namespaced resources are scoped to the namespaces the intent or plan names',
  'safety/system-namespaces':
    'kube-system, kube-public, kube-node-lease, jspolicy and policyforge are excluded by name',
  'safety/wildcard-resources': 'no * resources',
  'safety/wildcard-groups': 'apiGroups is explicit',
  'safety/unneeded-operation': 'no DELETE or CONNECT the intent does not need',
  'safety/subresource': 'no status, binding or eviction subresources unless asked',
  'safety/timeout': 'timeoutSeconds is small',
  'safety/critical-resource':
    'no webhook configurations, JsPolicies, GPTPolicies, leases or nodes unless the intent is about them',
  'safety/side-effects': 'no create/update/remove/fetchSync in Validating or Mutating policies',
  'safety/immutable-field': 'Mutating policies do not change fields that are immutable on UPDATE',
  'safety/delete-needs-approval':
    'a policy that deletes objects has the operator’s or the user’s explicit approval (intent option allowDeletes)',
  'plan/side-effect-not-asked': 'the plan declares side effects only where the intent asks for them',
  'plan/side-effect-forbidden':
    'no declared side effect on webhook configurations, JsPolicies, GPTPolicies, RBAC, leases, CRDs or system namespaces, nor deleting namespaces',
  'plan/side-effect-in-webhook': 'writes and fetchSync are declared only for Controller policies',
  'plan/side-effect-unscoped': 'declared writes name the kinds they write',
  'behaviour/undeclared-side-effect':
    'every side effect the sandbox recorded in any case, probe or fuzz run is declared by the plan',
  'behaviour/forbidden-side-effect':
    'no recorded write to forbidden kinds or system namespaces, nor a namespace deletion, nor fetchSync to the API server, loopback or metadata services, nor reading the pod’s credentials, whatever the plan declares',
  'suite/case-failed': 'every planned case gives its expected outcome',
  'suite/invalid': 'the planned cases are well-formed',
  'suite/no-cases': 'the plan has cases',
  'fuzz/crash': 'the code does not throw on unusual but well-formed objects (jsPolicy would deny them with 500)',
  'cluster/dry-run': 'the API server accepts the policy in a server-side dry-run',
  'scope/narrowed': 'scope experiment: the code only acts in the intended namespaces; the selector was narrowed',
  'scope/code-acts-outside':
    'scope experiment: the code acts outside the intended namespaces; only the selector scopes it',
  'scope/acts-in-few-namespaces': 'scope experiment: a cluster-wide plan whose code acts in few namespaces',
} as const;

export type RuleId = keyof typeof RULES;
