import type { KubeObject, TestCase } from '../../common/index.js';
import type { FamilySolution, OfflineFamily } from './families.js';
import {
  act,
  homeNamespace,
  js,
  namespaceGuard,
  outsideNamespace,
  scopeCases,
  step,
  targetFor,
  updateCase,
  violation,
} from './rules.js';
import { bindingKindsIn, isVagueName } from './text.js';

/**
 * More offline families (see families.ts for the contract): rules that act on a subresource or an operation
 * other than CREATE/UPDATE of the object itself, and rules on fields families.ts does not read. Each one reads
 * one kind of rule exactly, or does not match.
 */

// ---------------------------------------------------------------------------------------------------------
// exec / attach / port-forward: CONNECT on a pod's subresource

/** The pod subresources a CONNECT opens, and how people name them. */
const CONNECT_SUBRESOURCES: ReadonlyArray<{ sub: string; words: RegExp; shown: string; options: string }> = [
  {
    sub: 'exec',
    words:
      /\b(?:kubectl\s+)?exec(?:s|ing)?\b(?:\s+(?:into|in|to))?|\bexecut(?:e|es|ing)\s+commands?\s+(?:in|into|inside)\b|\bpods\/exec\b/i,
    shown: 'exec',
    options: 'PodExecOptions',
  },
  {
    sub: 'attach',
    words: /\b(?:kubectl\s+)?attach(?:es|ing)?\b(?:\s+(?:to|into))?|\bpods\/attach\b/i,
    shown: 'attach',
    options: 'PodAttachOptions',
  },
  {
    sub: 'portforward',
    words: /\b(?:kubectl\s+)?port-?\s?forward(?:s|ing)?\b(?:\s+(?:to|into))?|\bpods\/portforward\b/i,
    shown: 'port-forward',
    options: 'PodPortForwardOptions',
  },
];

const podConnect: OfflineFamily = {
  id: 'pod-connect',
  title: 'exec, attach or port-forward into pods forbidden (CONNECT on pods/exec, pods/attach, pods/portforward)',
  examples: [
    'This policy blocks exec into pods in the production namespace.',
    'Port-forwarding to pods is not allowed.',
  ],
  phrases: [
    ...CONNECT_SUBRESOURCES.map((s) => s.words),
    // "Users must not exec …": everyone, said as who acts (placed by the reader, around the negation).
    /\b(?:users?|anyone|anybody)\b(?=\s+(?:must|should|may|can|cannot|can't|are|is)\b)/i,
    /\b(?:running\s+)?(?:containers?|pods?)\b/i,
    /\b(?:interactive\s+)?(?:sessions?|shells?)\b(?=\s+(?:in|into|to)\b)/i,
    /\b(?:in|into|to)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const named = CONNECT_SUBRESOURCES.filter((s) => s.words.test(t));
    if (!named.length || !ctx.negated) return undefined;
    // A pod's exec, attach and port-forward: any other kind named is another rule.
    if (ctx.resources.some((r) => r.kind !== 'Pod')) return undefined;
    if (!/\b(?:pods?|containers?)\b|\bpods\//i.test(t) && !/\bkubectl\b/i.test(t)) return undefined;
    const pods = ctx.catalog.byKind('v1', 'Pod');
    if (!pods) return undefined;
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    // The request body is the options object (no metadata on a real cluster; the sandbox reads the pod's name
    // and namespace from it). `interactive` varies the options, so no option reads as the rule's condition.
    const connect = (
      s: (typeof CONNECT_SUBRESOURCES)[number],
      namespace: string,
      name: string,
      expect: TestCase['expect'] = 'allow',
      interactive = true,
    ): TestCase => ({
      name,
      operation: 'CONNECT',
      subResource: s.sub,
      namespace,
      object: {
        apiVersion: 'v1',
        kind: s.options,
        metadata: { name: 'web', namespace },
        ...(s.sub === 'portforward'
          ? { ports: [interactive ? 8080 : 5432] }
          : interactive
            ? { container: 'app', stdin: true, tty: true }
            : { container: 'sidecar', stdout: true }),
        ...(s.sub === 'exec' ? { command: interactive ? ['sh'] : ['cat', '/etc/hostname'] } : {}),
      } as KubeObject,
      expect,
    });
    const where = ctx.namespaces.length ? ` in ${ctx.namespaces.join(', ')}` : '';
    const tests: TestCase[] = [];
    for (const s of named) {
      tests.push(
        connect(s, ns, `an interactive kubectl ${s.shown} into a pod${where} is ${verb}`, v),
        connect(s, ns, `a one-off kubectl ${s.shown} into a pod${where} is ${verb}`, v, false),
      );
      const other = outsideNamespace(ctx);
      if (other)
        tests.push(
          connect(s, other, `kubectl ${s.shown} into a pod in namespace ${other} (outside the scope) is allowed`),
        );
      for (const e of ctx.excluded)
        tests.push(connect(s, e, `kubectl ${s.shown} into a pod in the excluded namespace ${e} is allowed`));
      tests.push(connect(s, 'kube-system', `kubectl ${s.shown} into a pod in kube-system is allowed`));
    }
    // The subresources not named stay open: "no exec" says nothing of port-forwarding.
    for (const s of CONNECT_SUBRESOURCES.filter((x) => !named.includes(x)))
      tests.push(connect(s, ns, `kubectl ${s.shown} (not named) into a pod${where} is allowed`));
    tests.push({
      name: `creating a pod${where} is not this policy's business`,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: ns },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.4.2' }] },
      },
      expect: 'allow',
    });
    const subs = named.map((s) => s.sub);
    const what = named.map((s) => s.shown).join(', ');
    const target = targetFor([pods], ['CONNECT'], 'Validating', ctx.namespaces);
    target.resources = subs.map((s) => `pods/${s}`);
    const solution: FamilySolution = {
      polarity: 'forbid',
      family: 'pod-connect',
      summary: `${what} into pods${where} is not allowed (CONNECT on ${target.resources.join(', ')}; other subresources and the pods themselves are left alone)`,
      target,
      steps: [],
      tests,
      placesKinds: ['Pod'],
      javascript: `${namespaceGuard(ctx, [pods])}if (request.operation === 'CONNECT' && ${js(subs)}.indexOf(request.subResource) >= 0) {
  ${act(ctx, `${js(`${what} into pods${where} is not allowed: `)} + request.subResource + ' ' + (request.name || '')`)}
}
`,
    };
    return solution;
  },
};

// ---------------------------------------------------------------------------------------------------------
// Ephemeral containers: added to a running pod through its ephemeralcontainers subresource (kubectl debug)

const EPHEMERAL = /\bephemeral\s+containers?\b|\bephemeralContainers\b/i;

const ephemeralContainers: OfflineFamily = {
  id: 'ephemeral-containers',
  title: 'ephemeral containers (kubectl debug) forbidden: UPDATE of pods/ephemeralcontainers that adds one',
  examples: ['Ephemeral containers are not allowed in pods.', 'This policy blocks the use of ephemeral containers.'],
  phrases: [
    EPHEMERAL,
    /\b(?:added|adding)\b(?=[^.]*\b(?:to|in|into)\b)/i,
    /\b(?:running\s+)?pods?\b/i,
    /\b(?:in|into|to)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!EPHEMERAL.test(t) || !ctx.negated) return undefined;
    // "Ephemeral containers must not be privileged" is about what they do, not whether they may exist: the other
    // words are left unplaced. A pod template cannot carry them (the API server refuses it), so only Pods count.
    if (ctx.resources.some((r) => r.kind !== 'Pod')) return undefined;
    const pods = ctx.catalog.byKind('v1', 'Pod');
    if (!pods) return undefined;
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const debugger1 = { name: 'debugger', image: 'busybox:1.36', targetContainerName: 'app', stdin: true, tty: true };
    const debugger2 = { name: 'debugger-2', image: 'registry.example.com/tools:2', command: ['sh'] };
    const mk = (ephemeral: Array<Record<string, unknown>>, namespace = ns): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace },
      spec: {
        containers: [{ name: 'app', image: 'registry.example.com/app:1.4.2' }],
        ...(ephemeral.length ? { ephemeralContainers: ephemeral } : {}),
      },
    });
    const adding = (
      name: string,
      before: Array<Record<string, unknown>>,
      after: Array<Record<string, unknown>>,
      expect: TestCase['expect'],
      namespace = ns,
    ): TestCase => ({
      name,
      operation: 'UPDATE',
      subResource: 'ephemeralcontainers',
      namespace,
      oldObject: mk(before, namespace),
      object: mk(after, namespace),
      expect,
    });
    const where = ctx.namespaces.length ? ` in ${ctx.namespaces.join(', ')}` : '';
    const tests: TestCase[] = [
      adding(`kubectl debug adding an ephemeral container to a pod${where} is ${verb}`, [], [debugger1], v),
      adding(`adding a second ephemeral container${where} is ${verb}`, [debugger1], [debugger1, debugger2], v),
      adding(`an ephemeralcontainers update that adds none is allowed`, [debugger1], [debugger1], 'allow'),
    ];
    const other = outsideNamespace(ctx);
    if (other)
      tests.push(
        adding(`adding one in namespace ${other} (outside the scope) is allowed`, [], [debugger1], 'allow', other),
      );
    for (const e of ctx.excluded)
      tests.push(adding(`adding one in the excluded namespace ${e} is allowed`, [], [debugger1], 'allow', e));
    tests.push(adding('adding one in kube-system is allowed', [], [debugger1], 'allow', 'kube-system'), {
      name: `creating a pod${where} is not this policy's business`,
      object: mk([]),
      expect: 'allow',
    });
    const target = targetFor([pods], ['UPDATE'], 'Validating', ctx.namespaces);
    target.resources = ['pods/ephemeralcontainers'];
    return {
      polarity: 'forbid',
      family: 'ephemeral-containers',
      summary: `ephemeral containers may not be added to pods${where} (UPDATE of pods/ephemeralcontainers, the only way to add one: the API server refuses them on create and in pod templates); those a pod already has are left alone`,
      target,
      steps: [],
      tests,
      placesKinds: ['Pod'],
      javascript: `${namespaceGuard(ctx, [pods])}const ephemeralOf = function (o) {
  const list = o && o.spec && o.spec.ephemeralContainers;
  return Array.isArray(list) ? list.filter(function (c) { return c && typeof c === 'object'; }) : [];
};
const before = ephemeralOf(request.oldObject).map(function (c) { return c.name; });
const added = ephemeralOf(request.object).filter(function (c) { return before.indexOf(c.name) < 0; });
if (added.length > 0) {
  ${act(ctx, `${js(`ephemeral containers may not be added to pods${where}: `)} + added.map(function (c) { return String(c.name || '?'); }).join(', ')`)}
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// The ingress class an Ingress uses: spec.ingressClassName, or the legacy kubernetes.io/ingress.class annotation

const INGRESS_CLASS_WORDS = /\bingress\s?class(?:es)?\b/i;
const CLASS_NAME = '[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?';
const NOT_CLASS_NAMES = new Set([
  'the',
  'a',
  'an',
  'any',
  'same',
  'default',
  'other',
  'must',
  'is',
  'of',
  'be',
  'set',
  'named',
  'called',
]);
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** "the ingress class nginx", "the nginx ingress class", "ingress class … must be nginx" (one name, or "a or b"). */
function ingressClassNames(text: string): string[] | undefined {
  const q = `[\`'"]?`;
  // One class an Ingress names, so "a, b and c" is as much a choice as "a or b".
  const list = `${q}${CLASS_NAME}${q}(?:\\s*,\\s*(?:(?:or|and)\\s+)?${q}${CLASS_NAME}${q}|\\s+(?:or|and)\\s+${q}${CLASS_NAME}${q})*`;
  const forms = [
    new RegExp(
      `\\bingress\\s?class(?:es)?\\s+(?:named\\s+|called\\s+)?(${list})(?=\\s*(?:[.,;]|$|\\s+(?:in|for|on|are|is|may)\\b))`,
      'i',
    ),
    new RegExp(`\\bthe\\s+(${q}${CLASS_NAME}${q})\\s+ingress\\s?class\\b`, 'i'),
    new RegExp(
      `\\bingress\\s?class\\s+of\\s+(?:every|each|all|an?)\\s+ingress(?:es)?\\s+(?:must|should|shall)\\s+be\\s+(${list})`,
      'i',
    ),
  ];
  for (const re of forms) {
    const m = re.exec(text);
    if (!m) continue;
    const names = m[1]
      .split(/\s*,\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+/i)
      .map((n) => n.replace(/[`'"]/g, '').toLowerCase());
    if (new Set(names).size !== names.length) return undefined;
    if (names.some((n) => NOT_CLASS_NAMES.has(n) || isVagueName(n))) return undefined;
    return names;
  }
  return undefined;
}

const ingressClass: OfflineFamily = {
  id: 'ingress-class',
  title:
    'the ingress class an Ingress uses (spec.ingressClassName, or the legacy kubernetes.io/ingress.class annotation)',
  examples: ['Ingresses must use the ingress class nginx.', 'Ingresses must not use the ingress class public.'],
  phrases: [
    /\bthe\s+(?:ingress\s?class\s+of\s+(?:every|each|all|an?)\s+ingress(?:es)?)\b/i,
    // "Ingresses may only use the ingress classes a or b", "Only the ingress classes a and b are allowed": the list is
    // the allow-list (a ban with "only" is refused below).
    /\bonly\b(?=\s+(?:use\s+)?(?:the\s+)?ingress\s?class)/i,
    INGRESS_CLASS_WORDS,
    /\b(?:named|called|or|and)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!INGRESS_CLASS_WORDS.test(t)) return undefined;
    // Naming the field or the annotation asks for that field (known-field reads "ingressClassName").
    if (/\bingressClassName\b|\bannotation|ingress\.class/i.test(t)) return undefined;
    const ing = ctx.catalog.byKind('networking.k8s.io/v1', 'Ingress');
    if (!ing) return undefined;
    // An Ingress must be named besides the class itself ("The ingress class must be nginx" says of what).
    if (!/\bingress(?:es)?\b(?!\s?class)/i.test(t)) return undefined;
    if (ctx.resources.some((r) => r.kind !== 'Ingress' && r.kind !== 'IngressClass')) return undefined;
    const names = ingressClassNames(t);
    if (!names?.length) return undefined;
    const forbid = ctx.negated;
    if (forbid && /\bonly\b/i.test(t)) return undefined;
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const backend = { service: { name: 'web', port: { number: 80 } } };
    const mk = (cls: { field?: string; annotation?: string }, namespace = ns): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'web',
        namespace,
        ...(cls.annotation ? { annotations: { [LEGACY_CLASS_ANNOTATION]: cls.annotation } } : {}),
      },
      spec: {
        ...(cls.field ? { ingressClassName: cls.field } : {}),
        rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
      },
    });
    const named = names[0];
    const other = names.includes('other-class') ? 'another-class' : 'other-class';
    const tests: TestCase[] = forbid
      ? [
          { name: `spec.ingressClassName ${named} is ${verb}`, object: mk({ field: named }), expect: v },
          { name: `the legacy annotation ${named} is ${verb}`, object: mk({ annotation: named }), expect: v },
          { name: `spec.ingressClassName ${other} is allowed`, object: mk({ field: other }), expect: 'allow' },
          { name: 'an Ingress without a class is allowed', object: mk({}), expect: 'allow' },
          updateCase(`switching to ${named} is ${verb}`, mk({ field: other }), mk({ field: named }), v),
        ]
      : [
          ...names.map((n) => ({
            name: `spec.ingressClassName ${n} is allowed`,
            object: mk({ field: n }),
            expect: 'allow' as const,
          })),
          {
            name: `the legacy annotation ${named} alone is allowed`,
            object: mk({ annotation: named }),
            expect: 'allow',
          },
          { name: `spec.ingressClassName ${other} is ${verb}`, object: mk({ field: other }), expect: v },
          { name: `the legacy annotation ${other} is ${verb}`, object: mk({ annotation: other }), expect: v },
          { name: `an Ingress without a class is ${verb}`, object: mk({}), expect: v },
          {
            name: `${named} in the field but ${other} in the annotation is ${verb}`,
            object: mk({ field: named, annotation: other }),
            expect: v,
          },
          updateCase(`switching away from ${named} is ${verb}`, mk({ field: named }), mk({ field: other }), v),
        ];
    tests.push(...scopeCases(ing, ctx, (o) => mk(forbid ? { field: named } : { field: other }, o.namespace)));
    const list = names.join(' or ');
    const summary = forbid
      ? `Ingresses may not use the ingress class ${list} (spec.ingressClassName or the legacy ${LEGACY_CLASS_ANNOTATION} annotation); an Ingress without a class is left alone`
      : `Ingresses must use the ingress class ${list}: spec.ingressClassName, or the legacy ${LEGACY_CLASS_ANNOTATION} annotation, must name it, and neither may name another (an Ingress without a class is denied)`;
    return {
      polarity: forbid ? 'forbid' : 'require',
      family: 'ingress-class',
      summary,
      target: targetFor([ing], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      placesKinds: ['IngressClass'],
      javascript: `${namespaceGuard(ctx, [ing])}const classes = [];
const field = request.object?.spec?.ingressClassName;
if (typeof field === 'string' && field !== '') classes.push(field);
const legacy = (request.object?.metadata?.annotations || {})[${js(LEGACY_CLASS_ANNOTATION)}];
if (typeof legacy === 'string' && legacy !== '') classes.push(legacy);
const named = ${js(names)};
${
  forbid
    ? `const used = classes.filter(function (c) { return named.indexOf(c) >= 0; });
if (used.length > 0) {
  ${act(ctx, `${js('Ingresses may not use the ingress class ')} + used[0]`)}
}`
    : `const others = classes.filter(function (c) { return named.indexOf(c) < 0; });
if (classes.length === 0 || others.length > 0) {
  ${act(ctx, `${js(`Ingresses must use the ingress class ${list}; this one uses `)} + (classes.join(', ') || 'none')`)}
}`
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Bindings that grant anything to anonymous requests (user system:anonymous, group system:unauthenticated)

const ANONYMOUS_SUBJECT =
  /\b(?:the\s+)?[`'"]?system:anonymous[`'"]?(?:\s+users?)?|\b(?:the\s+)?[`'"]?system:unauthenticated[`'"]?(?:\s+(?:group|users?))?|\b(?:anonymous|unauthenticated)(?:\s+(?:users?|requests?|access))?\b/gi;
/** The bindings the API server and managed platforms reconcile themselves (as binding-role-forbidden leaves them). */
const PLATFORM_BINDING_PREFIXES = ['system:', 'gce:', 'eks:'];

const anonymousBindings: OfflineFamily = {
  id: 'binding-anonymous',
  title: 'RoleBindings / ClusterRoleBindings may not grant anything to system:anonymous or system:unauthenticated',
  examples: [
    'Role bindings must not grant access to the system:anonymous user.',
    'ClusterRoleBindings must not bind the system:unauthenticated group.',
  ],
  phrases: [
    ANONYMOUS_SUBJECT,
    /\b(?:cluster\s?)?role\s?bindings?\b|\b(?:RBAC\s+)?bindings?\b/gi,
    /\bbind(?:s|ing)?\s+(?:(?:cluster\s?)?roles?\s+)?(?:to\b)?/gi,
    /\bgrant(?:s|ing|ed)?\s+(?:any\s+)?(?:access|permissions?|rights?|(?:cluster\s?)?roles?)\s+to\b/gi,
    /\b(?:as\s+(?:a\s+)?)?subjects?\b/gi,
    /\b(?:or|to)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    ANONYMOUS_SUBJECT.lastIndex = 0;
    if (!ANONYMOUS_SUBJECT.test(t) || !ctx.negated) return undefined;
    const crb = ctx.catalog.get('rbac.authorization.k8s.io', 'clusterrolebindings');
    const rb = ctx.catalog.get('rbac.authorization.k8s.io', 'rolebindings');
    if (!crb || !rb) return undefined;
    // The kind written as a kind is that kind; "role bindings", "bindings" (the RBAC notion) or none are both.
    const named = bindingKindsIn(t);
    const resources = [...(named.cluster ? [crb] : []), ...(named.namespaced ? [rb] : [])];
    // A ClusterRoleBinding has no namespace: a namespace would scope half of the rule.
    if (ctx.namespaces.length && resources.includes(crb)) return undefined;
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const api = 'rbac.authorization.k8s.io';
    const user = (name: string) => ({ kind: 'User', name, apiGroup: api });
    const group = (name: string) => ({ kind: 'Group', name, apiGroup: api });
    const mk = (
      r: typeof crb,
      subjects: Array<Record<string, unknown>>,
      name = 'web-readers',
      namespace = homeNamespace(ctx),
    ): KubeObject =>
      ({
        apiVersion: `${api}/v1`,
        kind: r.kind,
        metadata: r.namespaced ? { name, namespace } : { name },
        roleRef: { apiGroup: api, kind: 'ClusterRole', name: 'view' },
        subjects,
      }) as KubeObject;
    const tests: TestCase[] = [];
    for (const r of resources) {
      tests.push(
        {
          name: `a ${r.kind} to the user system:anonymous is ${verb}`,
          object: mk(r, [user('system:anonymous')]),
          expect: v,
        },
        {
          name: `a ${r.kind} to the group system:unauthenticated is ${verb}`,
          object: mk(r, [group('system:unauthenticated')]),
          expect: v,
        },
        {
          name: `a ${r.kind} to alice and system:anonymous is ${verb}`,
          object: mk(r, [user('alice'), user('system:anonymous')]),
          expect: v,
        },
        { name: `a ${r.kind} to the user alice is allowed`, object: mk(r, [user('alice')]), expect: 'allow' },
        {
          name: `a ${r.kind} to the group system:authenticated is allowed`,
          object: mk(r, [group('system:authenticated')]),
          expect: 'allow',
        },
      );
    }
    const primary = resources[0];
    tests.push(
      updateCase(
        `adding system:anonymous to a ${primary.kind} is ${verb}`,
        mk(primary, [user('alice')]),
        mk(primary, [user('alice'), user('system:anonymous')]),
        v,
      ),
      {
        name: `the platform's own ${primary.kind} system:public-info-viewer is allowed`,
        object: mk(primary, [group('system:unauthenticated')], 'system:public-info-viewer'),
        expect: 'allow',
      },
    );
    if (!resources.includes(rb))
      tests.push({
        name: "a RoleBinding to system:anonymous is not this policy's business",
        object: mk(rb, [user('system:anonymous')]),
        expect: 'allow',
      });
    if (!resources.includes(crb))
      tests.push({
        name: "a ClusterRoleBinding to system:anonymous is not this policy's business",
        object: mk(crb, [user('system:anonymous')]),
        expect: 'allow',
      });
    if (resources.includes(rb))
      tests.push(...scopeCases(rb, ctx, (o) => mk(rb, [user('system:anonymous')], undefined, o.namespace)));
    const kinds = resources.map((r) => `${r.kind}s`).join(' and ');
    const summary = `${kinds} may not grant anything to anonymous requests: no subject may be the user system:anonymous or the group system:unauthenticated (either one reaches every unauthenticated request); the platform's own bindings (cluster-admin, system:*, gce:*, eks:*) are left alone`;
    return {
      polarity: 'forbid',
      family: 'binding-anonymous',
      summary,
      target: targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('rbacSubjects', 'the subjects of a binding, normalised')],
      tests,
      placesKinds: ['Role', 'ClusterRole'],
      javascript: `${namespaceGuard(ctx, resources)}const name = request.object?.metadata?.name || '';
const platform = name === 'cluster-admin' || ${js(PLATFORM_BINDING_PREFIXES)}.some(function (p) { return name.indexOf(p) === 0; });
const anonymous = rbacSubjects(request.object).filter(function (s) {
  return (s.kind === 'User' && s.name === 'system:anonymous') || (s.kind === 'Group' && s.name === 'system:unauthenticated');
});
if (!platform && anonymous.length > 0) {
  ${act(ctx, `${js(`${kinds} may not grant anything to anonymous requests: `)} + anonymous.map(function (s) { return s.kind + ' ' + s.name; }).join(', ')`)}
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// NetworkPolicies whose podSelector is empty (they select every Pod of their namespace)

/** "an empty podSelector", "the pod selector is empty", "a non-empty podSelector". */
const EMPTY_POD_SELECTOR =
  /\b(non-?\s?)?empty\s+(?:spec\.)?pod\s?selectors?\b|\b(?:spec\.)?pod\s?selectors?\s+(?:(?:that|which)\s+)?(?:is|are)\s+(non-?\s?)?empty\b/gi;

/**
 * "This policy prevents NetworkPolicies with an empty podSelector", "NetworkPolicies must set a non-empty
 * podSelector": a NetworkPolicy whose spec.podSelector selects every Pod of its namespace (no matchLabels entry and
 * no matchExpressions entry; a missing podSelector is the empty one) is denied. Any other condition (a
 * namespaceSelector, an exception, "only") is not read.
 */
const networkPolicyEmptySelector: OfflineFamily = {
  id: 'network-policy-empty-selector',
  title: 'NetworkPolicies with an empty spec.podSelector (selecting every Pod of the namespace) forbidden',
  examples: [
    'This policy prevents NetworkPolicies with an empty podSelector.',
    'NetworkPolicies must not have an empty pod selector.',
  ],
  phrases: [EMPTY_POD_SELECTOR],
  match: (ctx) => {
    const t = ctx.text;
    const said = [...t.matchAll(new RegExp(EMPTY_POD_SELECTOR.source, 'gi'))];
    if (said.length !== 1) return undefined;
    // "an empty podSelector" names the offence (a ban); "a non-empty podSelector" the compliant state (a requirement).
    const nonEmpty = Boolean(said[0][1] ?? said[0][2]);
    if (nonEmpty === ctx.negated) return undefined;
    if (/\b(?:namespace\s?selectors?|ingress|egress|policyTypes|only|unless|except|but)\b/i.test(t)) return undefined;
    const np = ctx.catalog.byKind('networking.k8s.io/v1', 'NetworkPolicy');
    if (!np || !ctx.resources.includes(np)) return undefined;
    // "pod selector" names no Pod: only a Pod said outside it is a second kind.
    const podsSaid = /\bpods?\b/i.test(t.replace(new RegExp(EMPTY_POD_SELECTOR.source, 'gi'), ' '));
    if (ctx.resources.some((r) => r !== np && (r.kind !== 'Pod' || podsSaid))) return undefined;
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const mk = (podSelector: Record<string, unknown> | undefined, namespace = ns): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace },
      spec: { ...(podSelector ? { podSelector } : {}), policyTypes: ['Ingress'] },
    });
    const labelled = { matchLabels: { app: 'web' } };
    const tests: TestCase[] = [
      { name: `a NetworkPolicy with podSelector {} is ${verb}`, object: mk({}), expect: v },
      {
        name: `a NetworkPolicy with empty matchLabels and matchExpressions is ${verb}`,
        object: mk({ matchLabels: {}, matchExpressions: [] }),
        expect: v,
      },
      { name: `a NetworkPolicy without a podSelector is ${verb}`, object: mk(undefined), expect: v },
      { name: 'a NetworkPolicy selecting app=web is allowed', object: mk(labelled), expect: 'allow' },
      {
        name: 'a NetworkPolicy selecting by a matchExpressions entry is allowed',
        object: mk({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }),
        expect: 'allow',
      },
      updateCase(`emptying a NetworkPolicy's podSelector is ${verb}`, mk(labelled), mk({}), v),
      ...scopeCases(np, ctx, (o) => mk({}, o.namespace)),
    ];
    const summary =
      'NetworkPolicies may not have an empty spec.podSelector (no matchLabels and no matchExpressions entry, or none at all), which selects every Pod in the namespace';
    return {
      polarity: nonEmpty ? 'require' : 'forbid',
      family: 'network-policy-empty-selector',
      summary,
      target: targetFor([np], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, [np])}const sel = request.object?.spec?.podSelector || {};
const labels = sel.matchLabels && typeof sel.matchLabels === 'object' ? Object.keys(sel.matchLabels) : [];
const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
if (labels.length === 0 && exprs.length === 0) {
  ${act(ctx, js(`${summary}`))}
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// The StorageClass a PersistentVolumeClaim uses (spec.storageClassName)

/** A StorageClass name: a DNS subdomain, lower case ("Fast", "SSD" are words, not names). */
const STORAGE_CLASS_NAME = String.raw`[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?`;
/** "use(s) the storage class standard", "use the StorageClass `fast`", "use the `fast` storage class". */
const USES_CLASS = new RegExp(
  String.raw`\b(?:use|uses|using)\s+(?:the\s+)?(?:[Ss]torage\s?[Cc]lass)\s+(?:named\s+|called\s+)?([\x60'"]?)(${STORAGE_CLASS_NAME})\1(?=[\s.,;!]|$)|\b(?:use|uses|using)\s+(?:the\s+)?([\x60'"])(${STORAGE_CLASS_NAME})\3\s+(?:[Ss]torage\s?[Cc]lass)\b`,
  'g',
);

/**
 * "This policy ensures that PersistentVolumeClaims use the storage class standard", "PVCs must use the StorageClass
 * fast": spec.storageClassName equals the name (or, negated, does not). A claim that leaves the field out is given the
 * cluster's default class by the DefaultStorageClass admission plugin before any webhook sees it, so it passes when
 * that default is the named class; with no default class it stays unset (it would bind to no class) and is denied by
 * the requirement. "" (no class, static binding) is not the named class either. A bare name before "storage class"
 * ("the fast storage class") may be a description, and is read only quoted.
 */
const claimStorageClass: OfflineFamily = {
  id: 'claim-storage-class',
  title: 'the StorageClass a PersistentVolumeClaim uses (spec.storageClassName equal to the name, or not)',
  examples: [
    'This policy ensures that PersistentVolumeClaims use the storage class standard.',
    'PVCs must use the StorageClass fast.',
  ],
  phrases: [USES_CLASS],
  match: (ctx) => {
    const t = ctx.text;
    const said = [...t.matchAll(new RegExp(USES_CLASS.source, 'g'))];
    if (said.length !== 1) return undefined;
    const name = said[0][2] ?? said[0][4];
    // "the storage class default" is the cluster's default (whichever it is), not a class so named.
    if (!name || name === 'default' || (isVagueName(name) && name !== 'standard')) return undefined;
    if (/\b(?:only|unless|except|but|or|and)\b/i.test(t)) return undefined;
    const pvc = ctx.catalog.byKind('v1', 'PersistentVolumeClaim');
    if (!pvc || !ctx.resources.includes(pvc)) return undefined;
    if (ctx.resources.some((r) => r !== pvc && r.kind !== 'StorageClass')) return undefined;
    const forbid = ctx.negated;
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const mk = (storageClassName: string | undefined, namespace = ns): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(storageClassName !== undefined ? { storageClassName } : {}),
      },
    });
    const other = name === 'other-class' ? 'another-class' : 'other-class';
    const tests: TestCase[] = forbid
      ? [
          { name: `a claim for the class ${name} is ${verb}`, object: mk(name), expect: v },
          { name: `a claim for the class ${other} is allowed`, object: mk(other), expect: 'allow' },
          {
            name: 'a claim without storageClassName (no default class) is allowed',
            object: mk(undefined),
            expect: 'allow',
          },
          updateCase(`a claim changed to the class ${name} is ${verb}`, mk(other), mk(name), v),
        ]
      : [
          { name: `a claim for the class ${name} is allowed`, object: mk(name), expect: 'allow' },
          { name: `a claim for the class ${other} is ${verb}`, object: mk(other), expect: v },
          { name: `a claim without storageClassName (no default class) is ${verb}`, object: mk(undefined), expect: v },
          { name: `a claim with storageClassName "" (no class) is ${verb}`, object: mk(''), expect: v },
          updateCase(`a claim changed to the class ${other} is ${verb}`, mk(name), mk(other), v),
        ];
    // A claim made before the policy keeps its class (the field is immutable once bound): its later UPDATEs (a
    // resize, a label, the pvc-protection finalizer removed on delete) are not this rule's business.
    const kept = (cls: string): KubeObject => ({
      ...mk(cls),
      metadata: { ...mk(cls).metadata, labels: { touched: 'yes' } },
    });
    tests.push(
      updateCase(
        `an UPDATE that keeps a claim's class ${forbid ? name : other} is allowed`,
        mk(forbid ? name : other),
        kept(forbid ? name : other),
        'allow',
      ),
      ...scopeCases(pvc, ctx, (o) => mk(forbid ? name : other, o.namespace)),
    );
    const summary = forbid
      ? `PersistentVolumeClaims may not use the StorageClass ${name} (spec.storageClassName); a claim without the field is given the cluster's default class before this check, so it is denied only when that default is ${name}; an UPDATE that keeps the class is allowed`
      : `PersistentVolumeClaims must use the StorageClass ${name} (spec.storageClassName); a claim without the field is given the cluster's default class before this check, so it passes only when that default is ${name}, and with no default class (or storageClassName "") it is denied; an UPDATE that keeps the class is allowed`;
    return {
      polarity: forbid ? 'forbid' : 'require',
      family: 'claim-storage-class',
      summary,
      target: targetFor([pvc], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      placesKinds: ['StorageClass'],
      javascript: `${namespaceGuard(ctx, [pvc])}const cls = request.object?.spec?.storageClassName;
if (request.operation === 'UPDATE' && request.oldObject?.spec?.storageClassName === cls) {
  allow();
}
if (${forbid ? `cls === ${js(name)}` : `cls !== ${js(name)}`}) {
  ${act(ctx, `${js(forbid ? `PersistentVolumeClaims may not use the StorageClass ${name}` : `PersistentVolumeClaims must use the StorageClass ${name}; this one uses `)}${forbid ? '' : " + (typeof cls === 'string' && cls !== '' ? cls : 'none')"}`)}
}
`,
    };
  },
};

/** The families of this file, in the order OFFLINE_FAMILIES tries them. */
export const MORE_FAMILIES: readonly OfflineFamily[] = [
  podConnect,
  ephemeralContainers,
  ingressClass,
  anonymousBindings,
  networkPolicyEmptySelector,
  claimStorageClass,
];
