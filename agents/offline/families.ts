import type { ApiCatalog, ApiResource } from '../../catalog/index.js';
import type { KubeObject, PlanStep, PlanTarget, TestCase } from '../../common/index.js';
import {
  act,
  homeNamespace,
  js,
  namespaceGuard,
  outsideNamespace,
  sample,
  scopeCases,
  step,
  targetFor,
  updateCase,
  variant,
  violation,
  type RuleContext,
} from './rules.js';
import { MORE_FAMILIES } from './families-more.js';
import { samplePodSpec } from './samples.js';
import { removeNamespacePhrases, type Phrase } from './reading.js';
import {
  bindingKindsIn,
  forbids,
  hostsIn,
  isVagueName,
  keyIsPrefix,
  keyValuesNear,
  keyValueListNear,
  KEY_VALUE_LIST,
  numberAfter,
  resourcesIn,
  unquote,
  WORKLOAD_KINDS,
  type KeyValue,
  RUNTIME_DEFAULT_CAPS,
} from './text.js';

/**
 * The offline catalogue: intent families the deterministic planner and coder understand without a model.
 * Each family reads its parameters from the text, plans the target and the test cases (cases that must be
 * denied, cases that must be allowed, cases just outside the scope) and composes built-in skills into the
 * policy code. The loop verifies the result exactly as it verifies a model's draft.
 */

export interface FamilyContext extends RuleContext {
  catalog: ApiCatalog;
  /** Resources the text names (namespace phrases removed). */
  resources: ApiResource[];
  /** The operative statement negates what this family's phrases describe (reading.ts placeWords). */
  negated: boolean;
  /** An imperative add / set / default: only mutating families answer it. */
  mode: 'validate' | 'mutate';
  /** A pod-spec rule also covers every kind carrying a pod template (IntentOptions.podControllers). */
  podControllers: boolean;
}

export interface FamilySolution {
  family: string;
  /** What was understood, one line (shown as the plan's rationale). */
  summary: string;
  target: PlanTarget;
  steps: PlanStep[];
  tests: TestCase[];
  javascript: string;
  /** forbid: the statement must negate the family's phrases; require: it must not; mutate: it sets a value. */
  polarity: 'forbid' | 'require' | 'mutate';
  /** Kinds the text may name without the plan targeting them (the ClusterRole a binding refers to). */
  placesKinds?: string[];
}

export interface OfflineFamily {
  id: string;
  title: string;
  /** Intents this family solves, as a user would write them. */
  examples: string[];
  /** The words this family places (reading.ts): any other content word of the statement refuses the intent. */
  phrases: readonly Phrase[];
  match(ctx: FamilyContext): FamilySolution | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Pod and workload containers

/** Kinds whose objects carry a pod template, with the apiVersion the catalog knows them by. */
const POD_CONTROLLERS = [
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
  ['apps/v1', 'ReplicaSet'],
  ['batch/v1', 'Job'],
  ['batch/v1', 'CronJob'],
  ['v1', 'ReplicationController'],
] as const;

/**
 * The kinds a pod-spec rule targets: the workload kinds the text names, else Pods and (unless turned off)
 * every pod controller, as Kyverno's rule auto-generation does: a Deployment whose pods would be denied is
 * denied itself instead of being admitted with pods that never appear. Pods named beside a controller ("Pods and
 * Deployments must not …") still reach every controller: a StatefulSet's pods are Pods too.
 */
function workloads(ctx: FamilyContext): ApiResource[] {
  const named = ctx.resources.filter((r) => (WORKLOAD_KINDS as readonly string[]).includes(r.kind));
  if (named.length && !named.some((r) => r.kind === 'Pod')) return named;
  const pods = named.find((r) => r.kind === 'Pod') ?? ctx.catalog.byKind('v1', 'Pod');
  if (!pods) return [];
  const others = named.filter((r) => r !== pods);
  if (!ctx.podControllers) return [pods, ...others];
  return [pods, ...podControllerKinds(ctx), ...others].filter(
    (r, i, all) => all.findIndex((x) => x.kind === r.kind) === i,
  );
}

/** Every pod controller the catalog knows. */
function podControllerKinds(ctx: FamilyContext): ApiResource[] {
  return POD_CONTROLLERS.map(([v, k]) => ctx.catalog.byKind(v, k)).filter((r): r is ApiResource => r !== undefined);
}

/** Label and annotation words, for the metadata families. */
const META_PHRASE = /\b(?:labels?|labell?ed|labell?ing|annotations?|annotated|annotating)\b/i;

/** "annotation x, set to `false`": the value of a label or annotation, not a negation (the value must be in the code). */
const SET_TO_VALUE = /,?\s*\b(?:set\s+to|with\s+(?:the\s+)?value)\b(?=\s*[`'"]?[A-Za-z0-9])/i;

/** Words every pod-spec family places: the pod's parts, not conditions of their own. */
const POD_PHRASES: readonly Phrase[] = [
  /\b(?:(?:init(?:ial)?|ephemeral|regular|app(?:lication)?|sidecar)\s+)?containers?\b/i,
  /\bpod(?:'s)?\s+(?:spec(?:ification)?s?|templates?)\b/i,
  /\bsecurity\s?contexts?\b/i,
  /\b(?:workloads?|pod controllers?)\b/i,
  /\bexempt(?:ed)?\s+images?\s*:/i,
];

/**
 * "Exempt images: a.io/*, special": containers whose image equals an entry, or starts with an entry's text
 * before a trailing `*`, are not checked (Gatekeeper's exemptImages). Only container-by-container rules read
 * it; a pod-level rule that cannot skip one container refuses the intent instead.
 */
export function exemptImagesIn(text: string): string[] {
  const m = /\bexempt(?:ed)?\s+images?\s*:\s*([^\n]+?)(?:\.(?:\s|$)|$)/i.exec(text);
  return m
    ? m[1]
        .split(/\s*,\s*/)
        .map((x) => unquote(x.trim()))
        .filter(Boolean)
    : [];
}

interface ContainerRule {
  family: string;
  summary: string;
  /** JS boolean expression over `c` (a container) and `podSpec` that is true for an offending container. */
  offends: string;
  /** JS string expression describing the offence, for the message. */
  describe: string;
  skills: PlanStep[];
  /** Containers that offend, and containers that comply (each gives one case). */
  offending: Array<{ name: string; container: Record<string, unknown>; podSpec?: Record<string, unknown> }>;
  compliant: Array<{ name: string; container: Record<string, unknown>; podSpec?: Record<string, unknown> }>;
  /** Check init (and ephemeral) containers too. @defaultValue true */
  initContainers?: boolean;
  /** forbid: the offence is what the text names ("privileged"); require: the text names the compliant state. */
  polarity: 'forbid' | 'require';
  /** Declarations the `offends` expression uses, placed after `podSpec` (e.g. the pod's metadata). */
  prelude?: string;
  /**
   * The rule demands a Linux-only field that the API server forbids on a Windows pod (spec.os.name: windows), so
   * such a pod could never comply: it is left alone, as Pod Security Admission does for privilege escalation,
   * capabilities and seccomp (kubernetes/pod-security-admission@8f84a87 policy/check_allowPrivilegeEscalation.go
   * lines 87-89, check_capabilities_restricted.go line 141, check_seccompProfile_restricted.go line 151).
   */
  linuxOnly?: boolean;
  /**
   * The text exempts a pod in a user namespace (spec.hostUsers: false), where UID 0 in the container is not root on
   * the node: such a pod is left alone, as Pod Security Admission does for runAsNonRoot and runAsUser
   * (kubernetes/pod-security-admission@8f84a87 policy/helpers.go lines 39-43, check_runAsNonRoot.go lines 67-74).
   */
  userNamespaceExempt?: boolean;
}

/** ", unless the pod is in a user namespace ("hostUsers: false")": PSA's own words for that exemption. */
const USER_NAMESPACE_EXEMPTION =
  /,?\s*unless\s+(?:the\s+)?pod\s+(?:is\s+in|runs\s+in|uses)\s+a\s+user\s+namespace(?:\s*\(\s*[`'"\u201c]?hostUsers:?\s*[`'"]?false[`'"\u201d]?\s*\))?/i;

/** Said in the summary of a linuxOnly rule, so the restatement shows the exemption. */
const WINDOWS_EXEMPT = ' (Windows pods, where the API server forbids the field, are left alone)';

/**
 * A rule on the pod spec itself (host fields, volumes, sysctls, …), not on each container: containerRule's
 * target and cases without its per-container case (one container cannot offend alone) and without its
 * per-container code; `steps` and `body` (the code after the namespace guard, given the final summary) are
 * the family's. An intent that exempts images is refused: a pod-level field cannot exempt one container's image.
 */
function podSpecRule(
  ctx: FamilyContext,
  rule: Omit<ContainerRule, 'offends' | 'describe' | 'skills' | 'initContainers'>,
  steps: PlanStep[],
  body: (summary: string) => string,
): FamilySolution | undefined {
  if (exemptImagesIn(ctx.text).length) return undefined;
  const sol = containerRule(ctx, { ...rule, offends: 'false', describe: "''", skills: [], initContainers: false });
  if (!sol) return undefined;
  sol.tests = sol.tests.filter((c) => !c.name.startsWith('second container'));
  sol.steps = steps;
  sol.javascript = `${namespaceGuard(ctx, workloads(ctx))}${body(sol.summary)}`;
  return sol;
}

/**
 * Ephemeral containers named as one of the kinds of container a rule covers ("every container, init container and
 * ephemeral container", "including init and ephemeral containers"), not as a subject of their own ("Ephemeral
 * containers and privileged containers are not allowed" asks for two rules).
 */
const EPHEMERAL_LISTED =
  // Not after a qualifier: "Privileged containers, init containers and ephemeral containers are not allowed" may ban
  // the last two outright.
  /(?<=(?:^|[.;:]\s*|\b(?:every|each|all|any|no|the|in|for|of|on|to|that|its|their)\s+))containers?\s*,\s*(?:(?:all\s+|every\s+|each\s+)?init(?:ial)?\s+containers?\s*,?\s*)?(?:and|or)\s+(?:all\s+|every\s+|each\s+)?ephemeral\s+containers?\b|\bincluding\s+(?:init(?:\s+containers?)?\s*,?\s*(?:and|or)\s+)?ephemeral\s+containers?\b/i;

/** A kind of container narrower than "containers": a rule that names only these is a narrower rule than ours. */
const CONTAINER_CLASS = /\b(?:init(?:ial)?|ephemeral|regular|app(?:lication)?|sidecar)\s+containers?\b/i;

/** A kind of container named as one more of the containers a rule covers: "including init containers", "every
 * container, init container and ephemeral container", "containers and init containers", "init containers too". */
const CONTAINER_KIND = String.raw`(?:init(?:ial)?|ephemeral|regular|app(?:lication)?|sidecar)`;
const CONTAINERS_INCLUDED = new RegExp(
  String.raw`\b(?:including|incl\.|counting|as\s+well\s+as|plus)\s+(?:their\s+|the\s+|all\s+|any\s+)?${CONTAINER_KIND}(?:\s+containers?)?(?:\s*,?\s*(?:and|or)\s+${CONTAINER_KIND}\s+containers?)?|\b${CONTAINER_KIND}\s+containers?\s+(?:included|counted|too|as\s+well)\b|\bcontainers?(?:\s*,\s*|\s+(?:and|or)\s+)(?:(?:every|each|all|any)\s+)?${CONTAINER_KIND}\s+containers?(?:\s*,?\s*(?:and|or)\s+(?:(?:every|each|all|any)\s+)?${CONTAINER_KIND}\s+containers?)?`,
  'i',
);

function containerRule(ctx: FamilyContext, rule: ContainerRule): FamilySolution | undefined {
  // "Init containers must not be privileged" is about init containers alone; every family here checks them all.
  if (
    CONTAINER_CLASS.test(ctx.text) &&
    !/\bcontainers?\b/i.test(ctx.text.replace(new RegExp(CONTAINER_CLASS.source, 'gi'), ' '))
  )
    return undefined;
  // "Containers must set memory limits, and init containers must set CPU limits", "… from registry.example.com for
  // containers and from any registry for init containers": a kind of container given a rule of its own. Read as one
  // rule over every container, each demand was made of both. Only a kind named as one more of the containers the
  // rule covers is read.
  if (CONTAINER_CLASS.test(ctx.text.replace(new RegExp(CONTAINERS_INCLUDED.source, 'gi'), ' '))) return undefined;
  const resources = workloads(ctx);
  if (!resources.length) return undefined;
  const primary = resources[0];
  const ns = homeNamespace(ctx);
  const withSpec = (podSpec: Record<string, unknown>, o: { namespace?: string } = {}): KubeObject =>
    sample(primary, { namespace: o.namespace ?? ns, name: 'app', podSpec });
  const podSpecFor = (x: {
    container: Record<string, unknown>;
    podSpec?: Record<string, unknown>;
  }): Record<string, unknown> => ({ ...samplePodSpec([x.container]), ...x.podSpec });
  const first = rule.offending[0];
  const tests: TestCase[] = [
    ...rule.offending.map((x) => ({
      name: `${primary.kind} with ${x.name} is ${violation(ctx) === 'warn' ? 'warned' : 'denied'}`,
      object: withSpec(podSpecFor(x)),
      expect: violation(ctx),
    })),
    ...rule.compliant.map((x) => ({
      name: `${primary.kind} with ${x.name} is allowed`,
      object: withSpec(podSpecFor(x)),
      expect: 'allow' as const,
    })),
  ];
  if (rule.initContainers !== false) {
    tests.push({
      name: `${primary.kind} whose init container has ${first.name} is ${violation(ctx) === 'warn' ? 'warned' : 'denied'}`,
      object: withSpec({
        ...samplePodSpec([rule.compliant[0].container]),
        ...first.podSpec,
        initContainers: [{ name: 'init', image: 'registry.example.com/init:1', ...first.container }],
      }),
      expect: violation(ctx),
    });
  }
  tests.push({
    name: `second container with ${first.name} is ${violation(ctx) === 'warn' ? 'warned' : 'denied'}`,
    object: withSpec({
      containers: [
        { name: 'ok', image: 'registry.example.com/ok:1', ...rule.compliant[0].container },
        { name: 'bad', image: 'registry.example.com/bad:1', ...first.container },
      ],
      ...first.podSpec,
    }),
    expect: violation(ctx),
  });
  tests.push(...scopeCases(primary, ctx, (o) => withSpec(podSpecFor(first), o)));
  if (primary.kind === 'Pod')
    tests.push(...controllerCases(ctx, resources, podSpecFor(first), podSpecFor(rule.compliant[0])));
  tests.push(
    updateCase(
      `UPDATE to ${first.name} is ${violation(ctx) === 'warn' ? 'warned' : 'denied'}`,
      withSpec(podSpecFor(rule.compliant[0])),
      withSpec(podSpecFor(first)),
      violation(ctx),
    ),
  );
  const exempt = exemptImagesIn(ctx.text);
  // Cases for the exemption when the offence is not the image itself (an image rule's cases would change meaning).
  for (const e of 'image' in first.container ? [] : exempt) {
    const image = e.endsWith('*') ? `${e.slice(0, -1)}app:1` : e;
    const other = e.endsWith('*') ? `x${e.slice(0, -1)}app:1` : `${e}-other:1`;
    const withImage = (img: string): KubeObject =>
      withSpec({ ...podSpecFor(first), containers: [{ name: 'app', ...first.container, image: img }] });
    tests.push({
      name: `an exempt image (${image}) with ${first.name} is allowed`,
      object: withImage(image),
      expect: 'allow',
    });
    tests.push({
      name: `a look-alike image (${other}) with ${first.name} is ${violation(ctx) === 'warn' ? 'warned' : 'denied'}`,
      object: withImage(other),
      expect: violation(ctx),
    });
  }

  const every = rule.initContainers === false ? '(podSpec?.containers ?? [])' : 'allContainers(podSpec)';
  const linux = rule.linuxOnly ? `(podSpec?.os?.name === 'windows' ? [] : ${every})` : every;
  const list = rule.userNamespaceExempt ? `(podSpec?.hostUsers === false ? [] : ${linux})` : linux;
  const skipExempt = exempt.length
    ? `  if (${js(exempt)}.some(function (e) { return e.slice(-1) === '*' ? String(c.image || '').indexOf(e.slice(0, -1)) === 0 : c.image === e; })) continue;\n`
    : '';
  const javascript = `${namespaceGuard(ctx, resources)}const podSpec = podSpecOf(request.object);
${rule.prelude ?? ''}const problems = [];
for (const c of ${list}) {
  if (!c || typeof c !== 'object') continue;
${skipExempt}  if (${rule.offends}) problems.push(${rule.describe});
}
if (problems.length > 0) {
  ${act(ctx, `${js(`${rule.summary}: `)} + problems.join('; ')`)}
}
`;
  const target = targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces);
  // "… every container, init container and ephemeral container": an ephemeral container is only ever added through
  // pods/ephemeralcontainers (kubectl debug), which a rule on pods never sees. Naming them adds that subresource.
  if (rule.initContainers !== false && primary.kind === 'Pod' && EPHEMERAL_LISTED.test(ctx.text)) {
    target.resources.push('pods/ephemeralcontainers');
    const pod = withSpec(podSpecFor(rule.compliant[0]));
    const debugging = (c: Record<string, unknown>): KubeObject => ({
      ...pod,
      spec: {
        ...(pod.spec as Record<string, unknown>),
        ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', ...c }],
      },
    });
    const v = violation(ctx);
    tests.push(
      {
        name: `kubectl debug adding an ephemeral container with ${first.name} is ${v === 'warn' ? 'warned' : 'denied'}`,
        operation: 'UPDATE',
        subResource: 'ephemeralcontainers',
        oldObject: pod,
        object: debugging(first.container),
        expect: v,
      },
      {
        name: `kubectl debug adding an ephemeral container with ${rule.compliant[0].name} is allowed`,
        operation: 'UPDATE',
        subResource: 'ephemeralcontainers',
        oldObject: pod,
        object: debugging(rule.compliant[0].container),
        expect: 'allow',
      },
    );
  }
  if (rule.linuxOnly) {
    // A Windows pod that sets none of the Linux-only fields (the only way the API server admits it) is allowed; the
    // same pod declared Linux is not, so only the OS exempts it.
    const bare = samplePodSpec([{}]);
    const v = violation(ctx);
    tests.push(
      {
        name: `Windows ${primary.kind} (spec.os.name: windows) that cannot set the field is allowed`,
        object: withSpec({ ...bare, os: { name: 'windows' } }),
        expect: 'allow',
      },
      {
        name: `Linux ${primary.kind} (spec.os.name: linux) without the field is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: withSpec({ ...bare, os: { name: 'linux' } }),
        expect: v,
      },
    );
  }
  if (rule.userNamespaceExempt) {
    const v = violation(ctx);
    tests.push(
      {
        name: `${primary.kind} in a user namespace (hostUsers: false) with ${first.name} is allowed`,
        object: withSpec({ ...podSpecFor(first), hostUsers: false }),
        expect: 'allow',
      },
      {
        name: `${primary.kind} with hostUsers: true and ${first.name} is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: withSpec({ ...podSpecFor(first), hostUsers: true }),
        expect: v,
      },
    );
  }
  const exemptions = `${rule.linuxOnly ? WINDOWS_EXEMPT : ''}${rule.userNamespaceExempt ? ' (pods in a user namespace, spec.hostUsers: false, are left alone)' : ''}`;
  return {
    family: rule.family,
    summary: `${rule.summary}${exemptions}`,
    target,
    steps: [
      step('podSpecOf', 'the pod spec of a pod or workload'),
      ...(rule.initContainers === false ? [] : [step('allContainers', 'every container, init and ephemeral included')]),
      ...rule.skills,
    ],
    tests,
    javascript,
    polarity: rule.polarity,
  };
}

/** A deny and an allow case on a Deployment and on a CronJob (whose pod spec sits under jobTemplate), when targeted. */
function controllerCases(
  ctx: FamilyContext,
  resources: ApiResource[],
  offending: Record<string, unknown>,
  compliant: Record<string, unknown>,
): TestCase[] {
  const ns = homeNamespace(ctx);
  const v = violation(ctx);
  return resources
    .filter((r) => r.kind === 'Deployment' || r.kind === 'CronJob')
    .flatMap((r) => [
      {
        name: `a ${r.kind} whose pod template violates the rule is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: sample(r, { namespace: ns, name: 'app', podSpec: offending }),
        expect: v,
      },
      {
        name: `a ${r.kind} whose pod template complies is allowed`,
        object: sample(r, { namespace: ns, name: 'app', podSpec: compliant }),
        expect: 'allow' as const,
      },
    ]);
}

const cname = '(c.name || "?")';

const privileged: OfflineFamily = {
  id: 'privileged',
  title: 'privileged containers forbidden',
  examples: [
    'Block privileged containers.',
    'Deployments in namespace prod must not run privileged containers.',
    'This policy ensures Pods do not call for privileged mode.',
  ],
  phrases: [
    ...POD_PHRASES,
    // "sets securityContext.privileged to true": the value of the field the family reads (false is never banned)
    /(?<=\bprivileged[`'"]?\s*)(?:(?:is\s+)?set\s+)?(?:to|=|:)\s*[`'"]?true\b[`'"]?/i,
    /\bprivileged(?:\s+(?:mode|access|pods?))?\b/i,
    /\b(?:call|ask)(?:s)?\s+for\b/i,
    /\b(?:run|runs|running)\s+(?:as|in)\b/i,
  ],
  match: (ctx) =>
    /\bprivileged\b/i.test(ctx.text) && !/escalation/i.test(ctx.text)
      ? containerRule(ctx, {
          family: 'privileged',
          summary: 'privileged containers are not allowed',
          offends: 'isPrivileged(c)',
          describe: `'container ' + ${cname} + ' is privileged'`,
          skills: [step('isPrivileged', 'securityContext.privileged is true')],
          offending: [{ name: 'a privileged container', container: { securityContext: { privileged: true } } }],
          compliant: [
            { name: 'a plain container', container: {} },
            { name: 'privileged: false', container: { securityContext: { privileged: false } } },
          ],
          polarity: 'forbid',
        })
      : undefined,
};

const HOST_FIELDS = { network: 'hostNetwork', pid: 'hostPID', ipc: 'hostIPC' } as const;

const hostNamespaces: OfflineFamily = {
  id: 'host-namespaces',
  title: 'host network / PID / IPC namespaces forbidden',
  examples: [
    "Pods must not use the host's network, PID or IPC namespaces.",
    'Deny pods with hostNetwork.',
    'This policy ensures fields which make use of these host namespaces are unset or set to `false`.',
  ],
  phrases: [
    ...POD_PHRASES,
    // "the host network, PID, and IPC namespaces": a serial comma before the last one.
    /\bhost(?:'s|s')?\s+(?:(?:network(?:ing)?|pid|ipc|process id|inter-process communication)(?:\s*(?:,\s*(?:and|or)?|or|and)\s*(?:the\s+)?(?:host(?:'s)?\s+)?(?:network|pid|ipc))*)?\s*(?:namespaces?)?/i,
    // "`spec.hostNetwork` must be unset or false": the Pod's own path to the field. Not "spec.hostNetwork is true"
    // (field-equality reads that, and did before this phrase).
    /(?<![\w.])spec\.(?=host(?:Network|PID|IPC)\b(?![`'"]?\s+(?:is|=|==|equals|set\s+to|of)\s))/,
    /\bhost(?:Network|PID|IPC)\b/i,
    /\b(?:network(?:ing)?|pid|ipc)\b/i,
    /\b(?:share|shares|shared|sharing|access)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    // "pods in the host namespace" may mean a Namespace named host: too ambiguous to read either way.
    if (/\b(?:in|into|inside|within)\s+(?:the\s+|a\s+)?[`'"]?host[`'"]?\s+namespace\b/i.test(t)) return undefined;
    const direct = [...t.matchAll(/\bhost(Network|PID|IPC)\b/gi)].map(
      (m) => m[1].toLowerCase() as keyof typeof HOST_FIELDS,
    );
    // "the host process ID namespace", "the host inter-process communication namespace": PID and IPC spelled out.
    const spelled = t.replace(/\bprocess\s+ID\b/gi, 'PID').replace(/\binter-?process\s+communication\b/gi, 'IPC');
    const phrased = /\bhost(?:'s|s')?\s+(?:network(?:ing)?|pid|ipc|namespaces?)\b/i.test(spelled)
      ? [...spelled.matchAll(/\b(network|pid|ipc)(?:ing)?\b/gi)].map(
          (m) => m[1].toLowerCase() as keyof typeof HOST_FIELDS,
        )
      : [];
    let kinds = [...new Set([...direct, ...phrased])];
    if (kinds.length === 0 && /\bhost namespaces?\b/i.test(t)) kinds = ['network', 'pid', 'ipc'];
    if (kinds.length === 0) return undefined;
    const fields = kinds.map((k) => HOST_FIELDS[k]);
    return podSpecRule(
      ctx,
      {
        family: 'host-namespaces',
        summary: `pods must not use ${fields.join(', ')}`,
        offending: fields.map((f) => ({ name: `${f}: true`, container: {}, podSpec: { [f]: true } })),
        compliant: [
          { name: 'no host namespaces', container: {} },
          { name: `${fields[0]}: false`, container: {}, podSpec: { [fields[0]]: false } },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const podSpec = podSpecOf(request.object);
const used = ${js(fields)}.filter(function (f) { return podSpec?.[f] === true; });
if (used.length > 0) {
  ${act(ctx, `'pods must not use the host namespaces: ' + used.join(', ') + ' is set'`)}
}
`,
    );
  },
};

/** "hostPath volumes must be mounted read-only", "… mounted with readOnly: true". */
const HOST_PATH_READ_ONLY = /\bread[- ]?only\b|\breadOnly(?::?\s*(?:set\s+to\s+)?[`'"]?true[`'"]?)?(?![\w:])/i;
/** "hostPath volumes must not be mounted writable / read-write". */
const HOST_PATH_WRITABLE = /\b(?:writ(?:e)?able|read[- ]write)\b/i;

const hostPath: OfflineFamily = {
  id: 'host-path',
  title: 'hostPath volumes forbidden',
  examples: ['Pods must not mount hostPath volumes.', 'This policy ensures no hostPath volumes are in use.'],
  phrases: [
    // "validates they are explicitly mounted in readOnly mode" (unset is not read-only either); before "mounted" and
    // "read-only" are placed
    /\bexplicitly\b(?=\s+(?:be\s+)?mounted\b)|(?<=\bread[- ]?only\s+)mode\b/i,
    ...POD_PHRASES,
    /\bhost\s?path(?:\s+volumes?)?\b/i,
    /\bvolumes?\b/i,
    /\bmount(?:s|ed|ing)?\b/i,
    /\bin use\b/i,
    HOST_PATH_READ_ONLY,
    HOST_PATH_WRITABLE,
  ],
  match: (ctx) => {
    if (!/\bhost ?path\b/i.test(ctx.text)) return undefined;
    // "hostPath volumes must not mount /" bans one path; this family reads none, and would ban every hostPath volume.
    if (/(?:^|[\s(`'"\u2018\u201c])\/(?=[\s.,;:!?)`'"\u2019\u201d]|$|\w)/.test(ctx.text)) return undefined;
    if (HOST_PATH_READ_ONLY.test(ctx.text) || HOST_PATH_WRITABLE.test(ctx.text)) return hostPathReadOnly(ctx);
    return podSpecRule(
      ctx,
      {
        family: 'host-path',
        summary: 'hostPath volumes are not allowed',
        offending: [
          {
            name: 'a hostPath volume',
            container: {},
            podSpec: { volumes: [{ name: 'h', hostPath: { path: '/var/run' } }] },
          },
        ],
        compliant: [
          { name: 'no volumes', container: {} },
          { name: 'an emptyDir volume', container: {}, podSpec: { volumes: [{ name: 'e', emptyDir: {} }] } },
        ],
        polarity: 'forbid',
      },
      [
        step('podSpecOf', 'the pod spec of a pod or workload'),
        step('hostPathVolumes', 'the hostPath volumes of a pod spec'),
      ],
      () => `const volumes = hostPathVolumes(podSpecOf(request.object));
if (volumes.length > 0) {
  ${act(ctx, `'hostPath volumes are not allowed: ' + volumes.map(function (v) { return v.name; }).join(', ')`)}
}
`,
    );
  },
};

/**
 * "This policy ensures that all hostPath volumes are mounted read-only": every mount of a hostPath volume, in
 * every container and init container, sets readOnly: true (an unset readOnly mounts read-write). A pod may still
 * have hostPath volumes; other volumes may be mounted writable. "must not be mounted writable" says the same.
 */
function hostPathReadOnly(ctx: FamilyContext): FamilySolution | undefined {
  const t = ctx.text;
  const readOnly = HOST_PATH_READ_ONLY.test(t);
  // "read-only" asks for it; "writable" only as a ban. Both, or "read-only" banned, is not one rule.
  if (readOnly === HOST_PATH_WRITABLE.test(t) || readOnly === ctx.negated) return undefined;
  // readOnly: false, or a value after readOnly other than true, is not this rule.
  if (/\breadOnly\b/i.test(t) && /\bfalse\b/i.test(t)) return undefined;
  const hostVolume = {
    volumes: [
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'scratch', emptyDir: {} },
    ],
  };
  const mount = (name: string, ro?: boolean): Record<string, unknown> => ({
    volumeMounts: [{ name, mountPath: `/mnt/${name}`, ...(ro === undefined ? {} : { readOnly: ro }) }],
  });
  return containerRule(ctx, {
    family: 'host-path',
    summary: 'every mount of a hostPath volume must be read-only (readOnly: true)',
    prelude: `const hostPathNames = hostPathVolumes(podSpec).map(function (v) { return v.name; });\n`,
    offends:
      '(Array.isArray(c.volumeMounts) ? c.volumeMounts : []).some(function (m) { return !!m && hostPathNames.indexOf(m.name) >= 0 && m.readOnly !== true; })',
    describe: `'container ' + ${cname} + ' mounts a hostPath volume writable'`,
    skills: [step('hostPathVolumes', 'the hostPath volumes of a pod spec')],
    offending: [
      { name: 'a hostPath volume mounted without readOnly', container: mount('host'), podSpec: hostVolume },
      { name: 'a hostPath volume mounted readOnly: false', container: mount('host', false), podSpec: hostVolume },
    ],
    compliant: [
      { name: 'a hostPath volume mounted readOnly: true', container: mount('host', true), podSpec: hostVolume },
      {
        name: 'an emptyDir mounted writable beside a hostPath volume',
        container: mount('scratch'),
        podSpec: hostVolume,
      },
      { name: 'no volumes', container: {} },
    ],
    polarity: ctx.negated ? 'forbid' : 'require',
  });
}

/** Every Linux capability (capabilities(7)), without the CAP_ prefix. */
const KNOWN_CAPS = [
  'ALL',
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'SYSLOG',
  'WAKE_ALARM',
];

const ADD_OTHER_THAN = /\b(?:adding|add(?:s|ed)?)\s+(?:linux\s+)?capabilities\s+other\s+than\b/i;

/** A list of capability names: "NET_BIND_SERVICE", "CHOWN, SETUID and SETGID". */
const CAP_LIST = String.raw`((?:CAP_)?[A-Z][A-Z_]{2,}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:CAP_)?[A-Z][A-Z_]{2,})*)`;
/**
 * "Capabilities other than NET_BIND_SERVICE may not be added", "… must never be added": the same allow-list as "adding
 * capabilities other than X is disallowed", said in the passive. Only with "be added": "capabilities other than X are
 * not allowed" does not say whether adding or listing them at all (a drop list) is meant.
 */
const OTHER_THAN_ADDED = new RegExp(
  String.raw`\b(?:[Ll]inux\s+)?[Cc]apabilities\s+other\s+than\b(?=\s+${CAP_LIST.replace('(', '(?:')}\s+(?:(?:must|may|should|shall|can)\s+(?:not|never)|cannot|mustn't|can't)\s+be\s+added\b)`,
);

/**
 * "only (the capability) NET_BIND_SERVICE may be added", "Containers may only add (back) NET_BIND_SERVICE", "… are only
 * permitted to add back the NET_BIND_SERVICE capability": an
 * allow-list, as written. Not before a scope ("may only add X in the prod namespace"): whether "only" limits the
 * capabilities or the namespaces is not said.
 */
const ONLY_ADD = new RegExp(
  String.raw`\b[Oo]nly\s+(?:the\s+)?(?:(?:linux\s+)?capabilit(?:y|ies)\s+)?${CAP_LIST}\s+(?:capabilit(?:y|ies)\s+)?(?:may|can)\s+be\s+added(?:\s+back)?\b(?!\s+(?:in|within|inside|outside|for|to)\b)|\b(?:(?:may|can)\s+only|(?:is|are)\s+only\s+(?:permitted|allowed)\s+to)\s+add(?:\s+back)?\s+(?:the\s+)?(?:(?:linux\s+)?capabilit(?:y|ies)\s+)?${CAP_LIST.replace('(', '(?<caps>')}(?:\s+capabilit(?:y|ies))?\b(?!\s+(?:in|within|inside|outside|for|to)\b)`,
);

/**
 * The capabilities an allow-list clause allows ("adding capabilities other than X, Y is disallowed", "only X may
 * be added", "may only add X"); undefined without one.
 */
function addAllowList(text: string): string[] | undefined {
  const m =
    new RegExp(`${ADD_OTHER_THAN.source}\\s+(.+?)(?=\\s+(?:is|are|must|may|should|can|will)\\b|[.;]|$)`, 'i').exec(
      text,
    ) ??
    new RegExp(`${OTHER_THAN_ADDED.source}\\s+(.+?)(?=\\s+(?:must|may|should|shall|can|cannot)\\b)`).exec(text) ??
    ONLY_ADD.exec(text);
  if (!m) return undefined;
  // Every name in the list is allowed: one left out would deny what the text allows. A name that is no capability
  // (or ALL, which allows anything) is refused (an empty list), never dropped.
  const names = [...(m[1] ?? m.groups?.caps ?? '').matchAll(/\b(?:CAP_)?([A-Z][A-Z_]{2,})\b/g)].map((x) => x[1]);
  if (names.some((c) => c === 'ALL' || !KNOWN_CAPS.includes(c))) return [];
  return [...new Set(names)];
}

/**
 * "ALL is listed in capabilities.drop", "capabilities.drop must contain ALL", "has ALL in
 * securityContext.capabilities.drop": the drop list named by its field path, holding ALL. Not negated ("must not
 * include ALL" is not matched) and never about capabilities.add.
 */
const DROP_FIELD = String.raw`(?:the\s+)?(?:securityContext\.)?capabilities\.drop(?:\s+(?:list|field|array))?`;
const DROP_LISTS_ALL = new RegExp(
  String.raw`\bALL\s+(?:is|be|gets?)\s+(?:listed|included|present)\s+in\s+${DROP_FIELD}\b|\b${DROP_FIELD}\s+(?:(?:must|should|shall|to|always|has\s+to|needs?\s+to)\s+)*(?:lists?|includes?|contains?)\s+ALL\b|\b(?:list|lists|has|have|include|includes)\s+ALL\s+in\s+${DROP_FIELD}\b`,
  'i',
);

/** The text speaks of adding a capability (or granting / requesting one), not of a container having it. */
const ADDS_CAPABILITY =
  /\b(?:add|adds|added|adding|addition|granted|given|grant|grants|request|requests|requested|requesting)\b/i;

const capabilities: OfflineFamily = {
  id: 'capabilities',
  title: 'added Linux capabilities forbidden (all, or the ones named), or ALL capabilities dropped',
  examples: [
    'Containers must not add Linux capabilities.',
    'Deny containers that add NET_ADMIN or SYS_ADMIN.',
    'Containers must drop ALL capabilities.',
  ],
  phrases: [
    // "must not be granted / request the NET_ADMIN capability": adding it, said from the container's side
    /\b(?:be\s+)?(?:granted|given)\b|\brequest(?:s|ed|ing)?\b(?=\s+(?:the\s+|any\s+)?[`'"]?(?:CAP_)?[A-Z_]{3,}[`'"]?\s+capabilit)/i,
    ...POD_PHRASES,
    // "Adding capabilities other than X is disallowed": only X may be added (read with the negation it carries).
    [ADD_OTHER_THAN, 'not'],
    [OTHER_THAN_ADDED, 'not'],
    ONLY_ADD,
    DROP_LISTS_ALL,
    /\bin\s+addition\b/i,
    /[`'"]?\bdrop:?\s*\[\s*[`'"]?ALL[`'"]?\s*\][`'"]?/i,
    /\b(?:linux\s+)?capabilit(?:y|ies)\b/i,
    /\badd(?:s|ed|ing)?\b/i,
    /\bdrop(?:s|ped|ping)?\b/i,
    /\bALL\b/,
    /\babilit(?:y|ies)\b/i,
    /\bexplicitly\b/i,
    /\bCAP_/,
  ],
  match: (ctx) => {
    const allowList = addAllowList(ctx.text);
    if (allowList && allowList.length === 0) return undefined;
    if (/\bdrop/i.test(ctx.text)) return dropAll(ctx, allowList);
    if (allowList) {
      const other = allowList.includes('NET_ADMIN') ? 'SYS_ADMIN' : 'NET_ADMIN';
      return containerRule(ctx, {
        family: 'capabilities',
        summary: `containers may add no capabilities other than ${allowList.join(', ')}`,
        offends: addsOutside(allowList),
        describe: `'container ' + ${cname} + ' adds ' + addedCapabilities(c).join(',')`,
        skills: [step('addedCapabilities', 'the capabilities a container adds, normalised')],
        offending: [
          { name: `capability ${other} added`, container: { securityContext: { capabilities: { add: [other] } } } },
          { name: 'ALL added', container: { securityContext: { capabilities: { add: ['ALL'] } } } },
        ],
        compliant: [
          { name: 'no capabilities added', container: {} },
          { name: `${allowList[0]} added`, container: { securityContext: { capabilities: { add: [allowList[0]] } } } },
        ],
        polarity: 'require',
      });
    }
    // "Capabilities ALL must not be added": the capability named ALL, whose ban lets a container add NET_BIND_SERVICE.
    // "must not add all (ALL) capabilities" may mean that one or every capability: not read.
    if (/\ball\s+(?:(?:the|linux|of\s+the)\s+)*capabilities\b/i.test(ctx.text)) return undefined;
    const named = KNOWN_CAPS.filter((c) => new RegExp(`\\b(?:CAP_)?${c}\\b`).test(ctx.text) && c !== 'ALL');
    // "Do not admit containers with the NET_RAW capability": a container has the runtime's default capabilities
    // (NET_RAW, CHOWN, … under Docker and containerd; CRI-O's set is smaller) unless it drops them, so having one is
    // not adding it. Which containers have it depends on the runtime: read only when the text says "add".
    if (named.some((c) => RUNTIME_DEFAULT_CAPS.includes(c)) && !ADDS_CAPABILITY.test(ctx.text)) return undefined;
    if (/\bALL\b/.test(ctx.text)) named.push('ALL');
    if (!/capabilit/i.test(ctx.text) && named.length === 0) return undefined;
    const offendingCap = named[0] ?? 'NET_ADMIN';
    return containerRule(ctx, {
      family: 'capabilities',
      summary: named.length ? `containers must not add ${named.join(', ')}` : 'containers must not add capabilities',
      offends: named.length
        ? `addedCapabilities(c).some(function (k) { return k === 'ALL' || ${js(named)}.indexOf(k) >= 0; })`
        : 'addedCapabilities(c).length > 0',
      describe: `'container ' + ${cname} + ' adds ' + addedCapabilities(c).join(',')`,
      skills: [step('addedCapabilities', 'the capabilities a container adds, normalised')],
      offending: [
        {
          name: `capability ${offendingCap} added`,
          container: { securityContext: { capabilities: { add: [offendingCap] } } },
        },
      ],
      compliant: [
        { name: 'no capabilities added', container: {} },
        { name: 'capabilities only dropped', container: { securityContext: { capabilities: { drop: ['ALL'] } } } },
        ...(named.length
          ? [
              {
                name: 'another capability added',
                container: {
                  securityContext: {
                    capabilities: { add: [['CHOWN', 'KILL'].find((c) => !named.includes(c)) ?? 'SETUID'] },
                  },
                },
              },
            ]
          : []),
      ],
      polarity: 'forbid',
    });
  },
};

/**
 * JS: container `c` adds a capability not spelled exactly as one of `allowed`. An allow-list fails closed, as Pod
 * Security Admission's does: "chown" or "CAP_CHOWN" is not CHOWN to it (kubernetes/pod-security-admission@8f84a87
 * policy/check_capabilities_baseline.go line 86, check_capabilities_restricted.go line 105), so another spelling of
 * an allowed name is denied rather than guessed at. A ban ("must not add NET_ADMIN") still matches every spelling.
 */
function addsOutside(allowed: string[]): string {
  return `(Array.isArray(c.securityContext?.capabilities?.add) ? c.securityContext.capabilities.add : []).some(function (k) { return ${js(allowed)}.indexOf(k) < 0; })`;
}

/** "Containers must drop ALL capabilities": every container lists ALL (any case) in capabilities.drop. */
function dropAll(ctx: FamilyContext, allowList?: string[]): FamilySolution | undefined {
  const all =
    /\bdrop(?:s|ped|ping)?:?\s*\[?\s*[`'"]?ALL\b|\bALL\s+capabilities\b|\ball\s+capabilities\s+(?:must|should|are|to)\s+be\s+dropped\b/i;
  // Any other "add" is a second condition this rule does not write; an "other than X" allow-list is.
  if (/\badd/i.test(ctx.text) && !allowList) return undefined;
  if (!(all.test(ctx.text) || DROP_LISTS_ALL.test(ctx.text))) return allowList ? undefined : dropNamed(ctx);
  const dropsAll = `(Array.isArray(c.securityContext?.capabilities?.drop) && c.securityContext.capabilities.drop.some(function (k) { return String(k).toUpperCase() === 'ALL'; }))`;
  const other = allowList?.includes('NET_ADMIN') ? 'SYS_ADMIN' : 'NET_ADMIN';
  return containerRule(ctx, {
    family: 'capabilities',
    summary: allowList
      ? `containers must drop ALL capabilities and may add back only ${allowList.join(', ')}`
      : 'containers must drop ALL capabilities',
    offends: allowList ? `!${dropsAll} || ${addsOutside(allowList)}` : `!${dropsAll}`,
    describe: `'container ' + ${cname} + ${js(allowList ? ` must drop ALL and add back only ${allowList.join(', ')}` : ' does not drop ALL capabilities')}`,
    skills: allowList ? [step('addedCapabilities', 'the capabilities a container adds, normalised')] : [],
    offending: [
      { name: 'no capabilities dropped', container: {} },
      { name: 'only NET_RAW dropped', container: { securityContext: { capabilities: { drop: ['NET_RAW'] } } } },
      ...(allowList
        ? [
            {
              name: `ALL dropped, ${other} added`,
              container: { securityContext: { capabilities: { drop: ['ALL'], add: [other] } } },
            },
          ]
        : []),
    ],
    compliant: [
      { name: 'ALL dropped', container: { securityContext: { capabilities: { drop: ['ALL'] } } } },
      {
        name: `ALL dropped, ${allowList?.[0] ?? 'NET_BIND_SERVICE'} added back`,
        container: {
          securityContext: { capabilities: { drop: ['ALL'], add: [allowList?.[0] ?? 'NET_BIND_SERVICE'] } },
        },
      },
    ],
    polarity: 'require',
    linuxOnly: true,
  });
}

/** "drop the NET_RAW capability", "drop NET_RAW and SYS_ADMIN", "drop CAP_NET_RAW": the capabilities to be dropped. */
const DROP_NAMED = new RegExp(
  String.raw`\bdrop(?:s|ping)?\s+(?:the\s+)?(?:(?:linux\s+)?capabilit(?:y|ies)\s+)?${CAP_LIST}(?:\s+capabilit(?:y|ies))?\b`,
);
/** "The NET_RAW capability must be dropped (by every container)": the same requirement, in the passive. */
const DROPPED_NAMED = new RegExp(
  String.raw`\b(?:(?:linux\s+)?capabilit(?:y|ies)\s+)?${CAP_LIST}(?:\s+capabilit(?:y|ies))?\s+(?:must|should|shall|has\s+to|have\s+to|needs?\s+to)\s+(?:always\s+)?be\s+dropped\b`,
);

/**
 * "Containers must drop the NET_RAW capability": each container's drop list holds every capability named, or ALL,
 * which drops it too. Only as a requirement of the container ("must drop"): a ban, or "add" beside it, is
 * another rule.
 */
function dropNamed(ctx: FamilyContext): FamilySolution | undefined {
  const m = DROP_NAMED.exec(ctx.text) ?? DROPPED_NAMED.exec(ctx.text);
  if (!m || ctx.negated) return undefined;
  const names = [...m[1].matchAll(/\b(?:CAP_)?([A-Z][A-Z_]{2,})\b/g)].map((x) => x[1]);
  // Every name must be a capability (ALL is dropAll's); one that is not is refused, never dropped from the rule.
  if (!names.length || names.some((c) => c === 'ALL' || !KNOWN_CAPS.includes(c))) return undefined;
  // One statement, one drop clause: "drop NET_RAW. Drop SYS_ADMIN too" is read as a whole or not at all.
  if ([...ctx.text.matchAll(/\bdrop/gi)].length !== 1) return undefined;
  const caps = [...new Set(names)];
  const other = caps.includes('SYS_ADMIN') ? 'MKNOD' : 'SYS_ADMIN';
  const dropped = `(Array.isArray(c.securityContext?.capabilities?.drop) ? c.securityContext.capabilities.drop.map(function (k) { return String(k).toUpperCase().replace(/^CAP_/, ''); }) : [])`;
  return containerRule(ctx, {
    family: 'capabilities',
    summary: `containers must drop ${caps.join(', ')} (or ALL)`,
    offends: `(function (d) { return d.indexOf('ALL') < 0 && ${js(caps)}.some(function (k) { return d.indexOf(k) < 0; }); })(${dropped})`,
    describe: `'container ' + ${cname} + ${js(` does not drop ${caps.join(', ')}`)}`,
    skills: [],
    offending: [
      { name: 'no capabilities dropped', container: {} },
      { name: `only ${other} dropped`, container: { securityContext: { capabilities: { drop: [other] } } } },
      ...(caps.length > 1
        ? [
            {
              name: `only ${caps[0]} dropped`,
              container: { securityContext: { capabilities: { drop: [caps[0]] } } },
            },
          ]
        : []),
    ],
    compliant: [
      { name: `${caps.join(', ')} dropped`, container: { securityContext: { capabilities: { drop: caps } } } },
      { name: 'ALL dropped', container: { securityContext: { capabilities: { drop: ['ALL'] } } } },
      {
        name: `${caps.join(', ')} dropped as CAP_ names, ${other} too`,
        container: { securityContext: { capabilities: { drop: [...caps.map((k) => `CAP_${k}`), other] } } },
      },
    ],
    polarity: 'require',
    linuxOnly: true,
  });
}

/** "run as root", "run as user 0", "run as UID 0", "run as the root user ID": what a container runs as, not a field. */
const RUN_AS_ROOT =
  /\b(?:run|runs|running)\s+(?:(?:containers?|pods?|workloads?|processes)\s+)?as\s+(?:the\s+)?(?:root(?:\s+user)?(?:\s+(?:ID|UID))?|user\s+(?:ID\s+)?(?:0|zero|root)|UID\s+(?:0|zero))(?![\w.])/i;

const runAsNonRoot: OfflineFamily = {
  id: 'run-as-non-root',
  title: 'containers must run as non-root',
  examples: [
    'Containers must run as non-root.',
    'Deny pods that run as root.',
    'This policy ensures `runAsNonRoot` is set to `true`.',
  ],
  phrases: [
    USER_NAMESPACE_EXEMPTION,
    ...POD_PHRASES,
    /\b(?:(?:run|runs|running)\s+as\s+)?(?:a\s+)?non-?root(?:\s+users?)?\b/i,
    /\brunAsNonRoot\b/i,
    [RUN_AS_ROOT, 'not'],
    /\b(?:run|runs|running)\b/i,
  ],
  match: (ctx) => {
    const userNamespaceExempt = USER_NAMESPACE_EXEMPTION.test(ctx.text);
    if (!/\b(?:non-?root|runAsNonRoot)\b/i.test(ctx.text) && !RUN_AS_ROOT.test(ctx.text)) return undefined;
    // Naming the field asks for the field: runAsNonRoot: true (container over pod); a runAsUser does not count.
    if (/\brunAsNonRoot\b/.test(ctx.text)) {
      // "must not set runAsNonRoot to false", "runAsNonRoot must not be false" leave an unset field alone, which this
      // rule denies: the two negations are not a requirement of true.
      if (/\bfalse\b/i.test(ctx.text)) return undefined;
      return containerRule(ctx, {
        family: 'run-as-non-root',
        userNamespaceExempt,
        summary: 'containers must set runAsNonRoot: true (in the container or the pod securityContext)',
        offends:
          '(typeof c.securityContext?.runAsNonRoot === "boolean" ? c.securityContext.runAsNonRoot : podSpec?.securityContext?.runAsNonRoot) !== true',
        describe: `'container ' + ${cname} + ' does not set runAsNonRoot: true'`,
        skills: [],
        offending: [
          { name: 'no runAsNonRoot', container: {} },
          {
            name: 'runAsNonRoot: false over a pod-level true',
            container: { securityContext: { runAsNonRoot: false } },
            podSpec: { securityContext: { runAsNonRoot: true } },
          },
          { name: 'only runAsUser 1000', container: { securityContext: { runAsUser: 1000 } } },
        ],
        compliant: [
          { name: 'runAsNonRoot at pod level', container: {}, podSpec: { securityContext: { runAsNonRoot: true } } },
          { name: 'runAsNonRoot in the container', container: { securityContext: { runAsNonRoot: true } } },
        ],
        polarity: 'require',
      });
    }
    return containerRule(ctx, {
      family: 'run-as-non-root',
      userNamespaceExempt,
      summary:
        "containers must run as a non-root user: runAsNonRoot: true (the container's, else the pod's), which makes the kubelet refuse to start the container as root whatever its user, or else a non-zero runAsUser (an unset runAsUser runs the image's own user, which admission cannot see)",
      offends: '!runsAsNonRoot(c, podSpec)',
      describe: `'container ' + ${cname} + ' may run as root'`,
      skills: [step('runsAsNonRoot', 'runAsNonRoot or a non-zero runAsUser, container over pod')],
      offending: [
        { name: "no runAsUser and no runAsNonRoot (the image's user, maybe root)", container: {} },
        { name: 'runAsUser 0', container: { securityContext: { runAsUser: 0 } } },
        {
          name: 'runAsUser 0 in the container over a pod-level 1000',
          container: { securityContext: { runAsUser: 0 } },
          podSpec: { securityContext: { runAsUser: 1000 } },
        },
      ],
      compliant: [
        { name: 'runAsNonRoot at pod level', container: {}, podSpec: { securityContext: { runAsNonRoot: true } } },
        {
          // As Pod Security Admission's runAsNonRoot check: the kubelet will not start it as UID 0.
          name: 'runAsNonRoot: true beside runAsUser 0 (the kubelet refuses to start it as root)',
          container: { securityContext: { runAsNonRoot: true, runAsUser: 0 } },
        },
        { name: 'runAsUser 1000', container: { securityContext: { runAsUser: 1000 } } },
        { name: 'runAsUser 1000 at pod level', container: {}, podSpec: { securityContext: { runAsUser: 1000 } } },
      ],
      polarity: 'require',
    });
  },
};

const imageTag: OfflineFamily = {
  id: 'image-tag',
  title: "image tags: no ':latest' / untagged images (or digests required)",
  examples: [
    "Do not allow pods whose containers use the ':latest' tag or no tag at all.",
    'Images must be pinned by digest.',
    'This policy validates that the image specifies a tag and that it is not called `latest`.',
  ],
  phrases: [
    ...POD_PHRASES,
    // Before the digest phrase, which the lookahead needs. (Phrases are taken in order.)
    // "Images must be pulled by digest": how the image is named when pulled, the digest asked for.
    /\bpulled\s+by\b(?=\s+(?:(?:a|its|their|the)\s+)?(?:sha-?256\s+)?(?:digest|checksum))/i,
    // "to name a tag other than latest": a tag is required and it is not latest (the family's two offences).
    [
      /\b(?:(?:to\s+)?(?:name|use|specify|carry|have)\s+)?an?\s+(?:image\s+)?tag\s+other\s+than\s+[`'"\u2018\u2019]?:?latest\b[`'"\u2018\u2019]?/i,
      'not',
    ],
    /[`'"\u2018\u2019]?:?latest[`'"\u2018\u2019]?(?:\s+(?:image\s+)?tags?)?/i,
    /\b(?:no\s+(?:image\s+)?tag(?:\s+at\s+all)?|without\s+(?:a|any)\s+tag|untagged|tagged)\b/i,
    // "an image tag is either not specified or `latest`": untagged or latest, the family's two offences.
    /\b(?:is\s+)?either\s+(?:not\s+specified|unspecified|missing)\s+or\b/i,
    /\b(?:sha-?(?:256)?\s+)?(?:checksums?|digests?)(?:\s+rather\s+than\s+(?:an?\s+)?(?:image\s+)?tags?)?\b/i,
    /\b(?:image\s+)?tags?\b/i,
    /\b(?:container\s+)?images?(?:\s+references?)?\b/i,
    /\b(?:pinned|referenced)\s+(?:by|to|with)\b/i,
    /\b(?:called|named)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    // Image tags are case-sensitive (the distribution reference grammar's tag is [\w][\w.-]{0,127}): ':LATEST' or
    // `Latest` written as the tag itself names a tag other than 'latest', which the rule below would let through while
    // it denied 'latest'. Which one is meant is not said: not read. A title's capital ("Disallow Latest Tag") is prose.
    if (/(?:[`'"\u2018\u2019]:?|:)(?!latest\b)[Ll][Aa][Tt][Ee][Ss][Tt]\b|\bLATEST\b/.test(t)) return undefined;
    const digest =
      /\b(digest|checksum)/i.test(t) &&
      // "This policy requires images to be pinned by digest": the lead is gone, "to be pinned" is the requirement.
      // ("This policy requires that all images specify a digest": the lead gone, "specify" is the requirement.)
      /\b(must|require|required|only|pinned|use|uses|specify|specifies|include|includes)\b|\bto\s+be\s+(?:pinned|referenced|pulled)\b|\bpulled\s+by\b/i.test(
        t,
      ) &&
      !/\blatest\b/i.test(t);
    // "Images must have a tag", "Images must be tagged", "Image tags are required": the untagged rule, said as a need
    const needsTag =
      !/\blatest\b/i.test(t) &&
      /\b(?:must|should|need\s+to|needs\s+to)\s+(?:have|specify|carry|include|use|name)\s+an?\s+(?:image\s+)?tag\b|\b(?:must|should)\s+be\s+tagged\b|\b(?:image\s+)?tags\s+are\s+required\b/i.test(
        t,
      );
    if (!digest && !needsTag && !(/\blatest\b/i.test(t) || /\b(untagged|no tag|without a tag)\b/i.test(t)))
      return undefined;
    // "Images must specify a digest, and the latest tag is not allowed": a digest asked for beside the ':latest' ban
    // is a second requirement, which the ':latest' rule below drops (a:1.0, with no digest, would pass). Only "a digest
    // or a tag other than latest" (the digest as an alternative) is the ':latest' rule.
    if (
      /\blatest\b/i.test(t) &&
      /\b(?:digest|checksum)s?\b/i.test(t) &&
      !/\b(?:digest|checksum)s?\s+or\b|\bor\s+(?:by\s+)?(?:an?\s+)?(?:sha-?256\s+)?(?:digest|checksum)/i.test(t)
    )
      return undefined;
    // "must include a digest or a tag" accepts a tag too: read as "digest required" it would deny every tagged image.
    if (
      digest &&
      /\btags?\b/i.test(t.replace(/\b(?:rather\s+than|instead\s+of)\s+(?:an?\s+)?(?:image\s+)?tags?\b/gi, ' '))
    )
      return undefined;
    if (digest) {
      // "a sha256 digest" names the algorithm: a digest in another one (or a malformed one) does not count.
      const sha256 = /\bsha-?256\b/i.test(t);
      return containerRule(ctx, {
        family: 'image-tag',
        summary: sha256
          ? 'images must be pinned by a sha256 digest (@sha256:<64 hex digits>)'
          : 'images must be pinned by digest',
        offends: sha256
          ? '!/^sha256:[a-f0-9]{64}$/.test(parseImage(c.image).digest)'
          : "parseImage(c.image).digest === ''",
        describe: `'container ' + ${cname} + ' image ' + c.image + ' has no ${sha256 ? 'sha256 ' : ''}digest'`,
        skills: [step('parseImage', 'registry, repository, tag and digest of an image reference')],
        offending: [
          { name: 'a tag but no digest', container: { image: 'registry.example.com/app:1.4.2' } },
          ...(sha256
            ? [{ name: 'a sha512 digest', container: { image: `registry.example.com/app@sha512:${'b'.repeat(128)}` } }]
            : []),
        ],
        compliant: [{ name: 'a digest', container: { image: `registry.example.com/app@sha256:${'a'.repeat(64)}` } }],
        polarity: 'require',
      });
    }
    // "Untagged images are not allowed" says nothing of ':latest', which is a tag: only a missing tag is the offence.
    if (!/\blatest\b/i.test(t))
      return containerRule(ctx, {
        family: 'image-tag',
        summary: 'images must carry a tag or a digest',
        offends: "(function (r) { return r.tag === '' && r.digest === ''; })(parseImage(c.image))",
        describe: `'container ' + ${cname} + ' uses ' + (c.image || 'no image') + ' (no tag)'`,
        skills: [step('parseImage', 'parse an image reference')],
        offending: [
          { name: 'an untagged image', container: { image: 'nginx' } },
          { name: 'a registry port and no tag', container: { image: 'registry.local:5000/team/app' } },
        ],
        compliant: [
          { name: 'a pinned tag', container: { image: 'registry.example.com/app:1.4.2' } },
          { name: "the ':latest' tag (a tag)", container: { image: 'nginx:latest' } },
          { name: 'a digest', container: { image: `nginx@sha256:${'a'.repeat(64)}` } },
          { name: 'a registry port and a tag', container: { image: 'registry.local:5000/team/app:2.1' } },
        ],
        polarity: needsTag ? 'require' : 'forbid',
      });
    return containerRule(ctx, {
      family: 'image-tag',
      summary: "images must carry a tag other than ':latest'",
      offends: "imageTag(c.image) === 'latest'",
      describe: `'container ' + ${cname} + ' uses ' + (c.image || 'no image') + ' (latest or no tag)'`,
      skills: [
        step('imageTag', "an image's tag, 'latest' when it has neither tag nor digest"),
        step('parseImage', 'parse an image reference'),
      ],
      offending: [
        { name: "the ':latest' tag", container: { image: 'nginx:latest' } },
        { name: 'an untagged image', container: { image: 'nginx' } },
        { name: 'a registry port and no tag', container: { image: 'registry.local:5000/team/app' } },
      ],
      compliant: [
        { name: 'a pinned tag', container: { image: 'registry.example.com/app:1.4.2' } },
        { name: 'a digest', container: { image: `nginx@sha256:${'a'.repeat(64)}` } },
        { name: 'a registry port and a tag', container: { image: 'registry.local:5000/team/app:2.1' } },
      ],
      polarity: 'forbid',
    });
  },
};

/** Words that give registries named in another clause their own subject or scope. */
const GAP_SUBJECT =
  /\b(?:init|ephemeral|sidecar|containers?|pods?|namespaces?|workloads?|deployments?|statefulsets?|daemonsets?|replicasets?|jobs?|cronjobs?|elsewhere|otherwise|except|unless)\b/i;

const imageRegistry: OfflineFamily = {
  id: 'image-registry',
  title: 'image registries allowed (or blocked)',
  examples: [
    'Pods may only run images from registry.example.com.',
    'Deny images from docker.io.',
    'This policy validates that container images only originate from the registry `eu.foo.io` or `bar.io`.',
  ],
  phrases: [
    // "This policy restricts images to those from a.io and b.io": the allow-list, said as a restriction.
    // First: the images phrase below takes the words the lookahead needs.
    /\brestrict(?:s|ed)?\b(?=\s+(?:all\s+)?(?:container\s+)?images?\s+to\s+(?:those|ones|images)\s+(?:from|hosted|pulled|stored)\b)/i,
    /\bto\s+(?:those|ones)\b(?=\s+(?:from|hosted|pulled|stored)\b)/i,
    ...POD_PHRASES,
    // "Images from registries other than registry.example.com are not allowed", "Images are not allowed unless they
    // come from registry.example.com": the allow-list said through its complement, a negation the ban undoes.
    [/\bother\s+than\b(?=\s+(?:the\s+)?[`'"]?(?:[a-z0-9-]+\.)+[a-z]{2,})/i, 'not'],
    [
      /\bunless\s+(?:they|it|the\s+images?)\s+(?:(?:come|comes|originate|originates)\s+from|(?:is|are)\s+(?:pulled\s+)?from)\b(?=\s+(?:the\s+)?(?:registry\s+)?[`'"]?(?:[a-z0-9-]+\.)+[a-z]{2,})/i,
      'not',
    ],
    /\bonly\b(?=\s+(?:(?:be|run|use|pull|contain)\s+)?(?:(?:container\s+)?images?|come|comes|originate|originates|be\s+pulled|pulled|from|registr\w*)\b)/i,
    // "from either `eu.foo.io` or `bar.io`": the alternatives of the allow-list, nothing more.
    /(?<=\bfrom\s+)either\b(?=\s+[`'"]?(?:[a-z0-9-]+\.)+[a-z]{2,}[^\s]*\s+or\s+[`'"]?(?:[a-z0-9-]+\.)+[a-z]{2,})/i,
    /(?<=\bfrom\s+[`'"]?[a-z0-9.-]+\.[a-z]{2,}[^\s]*(?:\s+(?:or|and)\s+[`'"]?[a-z0-9.-]+\.[a-z]{2,}[^\s]*)*\s+)only\b/i,
    /\b(?:container\s+)?images?\b/i,
    /\b(?:image\s+)?registr(?:y|ies)\b/i,
    /\b(?:come|comes|coming|originate|originates|originating|pulled|pull|pulls|hosted|stored)\b/i,
    /\b(?:approved|trusted|allowed|permitted)\b/i,
    /\b(?:container\s+)?repositor(?:y|ies)\b/i,
    /\b(?:the\s+)?list\s+of\s+prefixes\b/i,
    /\bbegin(?:s|ning)?\s+with(?:\s+a\s+string\s+from\s+the\s+specified\s+list)?\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bimages?\b/i.test(t) && !/\bregistr(y|ies)\b/i.test(t)) return undefined;
    // "Exempt images: a.io/*" names images the rule skips, not the registries it is about.
    if (exemptImagesIn(t).length) return undefined;
    // "other than x.io" / "unless … from x.io" reads as the allow-list only under a ban ("… are not allowed"); "Images
    // from registries other than docker.io are allowed" is a permission, which says nothing of docker.io.
    if (/\bother\s+than\b|\bunless\b/i.test(t) && !forbids(t)) return undefined;
    const registries = hostsIn(t);
    if (registries.length === 0) return undefined;
    // "*.example.com" means the hosts under example.com; hostsIn drops the wildcard and the rule would compare the
    // registry with example.com itself (registry.example.com denied, example.com allowed). Refused.
    if (/\*\.(?:[a-z0-9-]+\.)+[a-z]{2,}/i.test(t)) return undefined;
    // One list ("from a.io, b.io or c.io"), never registries said in separate clauses: "containers use images from
    // a.io, and init containers from b.io" gives each to its own containers, and one list would let both use either.
    const lower = t.toLowerCase();
    const at = registries.map((r) => lower.indexOf(r)).sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) {
      const before = registries.find((r) => lower.indexOf(r) === at[i - 1]) ?? '';
      const gap = lower.slice(at[i - 1] + before.length, at[i]).replace(/[`'"*]/g, ' ');
      // Another sentence or ;-clause ("… Images from b.io are also accepted.") is read by its own polarity, unless it
      // names its own subject or scope ("…; init containers from b.io"); a contrast ("a.io, not b.io", "rather than")
      // is refused by the reader, which names it.
      if (/[.!?;]\s/.test(gap) && !GAP_SUBJECT.test(gap)) continue;
      if (/,\s*(?:but\s+)?(?:not|never|only)\b|\b(?:rather\s+than|instead\s+of)\b/.test(gap)) continue;
      if (!/^\s*,?\s*(?:(?:and|or|and\/or)\s+)?(?:(?:from|the|registry|registries)\s+)*\.?$/.test(gap))
        return undefined;
    }
    // Read through the statement's polarity: "must come from" / "only from" is an allow-list, "deny images from" a block-list.
    const only = !ctx.negated;
    if (ctx.negated && /\bonly\b/i.test(t)) return undefined;
    // "Images from registry.example.com are allowed", "… can be pulled from …": a permission, which says nothing of
    // other registries; read as the allow-list only when something makes it one ("only", "must", "ensures", …).
    if (
      only &&
      /\b(?:are|is|be)\s+(?:allowed|permitted|trusted|accepted)\b|\bcan\s+be\s+(?:pulled|used|run)\b/i.test(t) &&
      !/\bonly\b|\bmust\b|\bshall\b|\brequir|\bensur|\benforc|\bden(?:y|ies|ied)\b|\bnot\b|n't\b|\bblock|\brestrict|\bvalidat/i.test(
        t,
      )
    )
      return undefined;
    const matches = `${js(registries)}.some(function (r) { const ref = parseImage(c.image); return r.indexOf('/') >= 0 ? (ref.registry + '/' + ref.repository).indexOf(r + '/') === 0 : ref.registry === r; })`;
    const allowedImage = registries[0].includes('/') ? `${registries[0]}/app:1.4.2` : `${registries[0]}/team/app:1.4.2`;
    // The offending and compliant examples must not be the registries the rule names ("… quay.io is also accepted").
    const named = (host: string) => registries.some((r) => r.split('/')[0] === host);
    const foreign = `${['quay.io', 'ghcr.io', 'registry.gitlab.com', 'public.ecr.aws'].find((h) => !named(h)) ?? 'other.example'}/other/app:1`;
    const dockerHub = named('docker.io') || named('index.docker.io') || named('registry-1.docker.io');
    return containerRule(ctx, {
      family: 'image-registry',
      summary: only
        ? `images must come from ${registries.join(' or ')}`
        : `images from ${registries.join(', ')} are not allowed`,
      offends: only ? `!(${matches})` : matches,
      describe: `'container ' + ${cname} + ' image ' + c.image + ${js(only ? ` is not from ${registries.join(' or ')}` : ' comes from a blocked registry')}`,
      skills: [step('parseImage', 'registry, repository, tag and digest of an image reference')],
      offending: only
        ? [
            { name: 'an image from another registry', container: { image: foreign } },
            ...(dockerHub ? [] : [{ name: 'a Docker Hub image', container: { image: 'nginx:1.27' } }]),
            {
              name: 'a look-alike registry host',
              container: { image: `${registries[0].split('/')[0]}.evil.io/app:1` },
            },
          ]
        : [{ name: 'an image from a blocked registry', container: { image: allowedImage } }],
      compliant: only
        ? [{ name: 'an image from an allowed registry', container: { image: allowedImage } }]
        : [{ name: 'an image from another registry', container: { image: foreign } }],
      polarity: only ? 'require' : 'forbid',
    });
  },
};

/** A word an image name may hold: lower case letters, digits and separators (repository names are lower case). */
const IMAGE_WORD = String.raw`[a-z0-9](?:[-a-z0-9_.]*[a-z0-9])?`;
/**
 * "an image containing the name tiller", "image names must not contain tiller", "images whose name contains tiller":
 * a word the image's name (its repository path) holds. Group 1 or 2: the word.
 */
const IMAGE_NAME_HOLDS = new RegExp(
  [
    String.raw`\b(?:(?:container\s+)?images?|image\s+names?)\s+(?:(?:whose|with\s+a|with\s+the)\s+names?\s+)?(?:containing|contains?|that\s+contains?|including|includes?)\s+(?:the\s+(?:name|word|string)\s+)?([\x60'"]?)(${IMAGE_WORD})\1(?=[\s.,;!]|$)`,
    // "Container images must not contain the name tiller": the modal and its negation stay the reader's.
    String.raw`(?<=\b(?:(?:container\s+)?images?|image\s+names?)\s+(?:must|should|shall|may|can)\s+(?:not|never)\s+)contain\s+(?:the\s+(?:name|word|string)\s+)?([\x60'"]?)(${IMAGE_WORD})\3(?=[\s.,;!]|$)`,
  ].join('|'),
  'g',
);

/**
 * "This policy validates that there is not an image containing the name tiller": no container's image name (its
 * registry and repository path, not the tag) holds the word. Only a ban: "images must contain X" names no rule anyone
 * writes. The word is matched as written (image names are lower case; a capital is refused).
 */
const imageNameForbidden: OfflineFamily = {
  id: 'image-name-forbidden',
  title: 'images whose name holds a word forbidden ("no image containing the name tiller")',
  examples: ['Container images must not contain the name tiller.'],
  phrases: [
    IMAGE_NAME_HOLDS,
    ...POD_PHRASES,
    // "there is not an image …": the image's presence, said as existence.
    /\bthere\s+(?:is|are)\b/i,
    /\b(?:container\s+)?images?(?:\s+names?)?\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const said = [...t.matchAll(new RegExp(IMAGE_NAME_HOLDS.source, 'gi'))];
    if (said.length !== 1 || !ctx.negated) return undefined;
    const word = said[0][2] ?? said[0][4];
    if (!/^[a-z0-9][-a-z0-9_.]*$/.test(word) || isVagueName(word)) return undefined;
    if (/\b(?:only|unless|except|but|or|and|tag|tags|registry|registries)\b/i.test(t)) return undefined;
    const holds = `(function (r) { return (r.registry + '/' + r.repository).indexOf(${js(word)}) >= 0; })(parseImage(c.image))`;
    return containerRule(ctx, {
      family: 'image-name-forbidden',
      summary: `no container image name may contain ${word}`,
      offends: holds,
      describe: `'container ' + ${cname} + ' image ' + c.image + ${js(` has ${word} in its name`)}`,
      skills: [step('parseImage', 'registry, repository, tag and digest of an image reference')],
      offending: [
        { name: `an image named ${word}`, container: { image: `registry.example.com/${word}:1.0` } },
        { name: `an image whose path holds ${word}`, container: { image: `ghcr.io/helm/${word}-server:2.16` } },
      ],
      compliant: [
        { name: 'another image', container: { image: 'registry.example.com/app:1.0' } },
        { name: `${word} only in the tag`, container: { image: `registry.example.com/app:${word}` } },
      ],
      polarity: 'forbid',
    });
  },
};

const RESOURCE_NAMES = ['cpu', 'memory'] as const;
/** "CPU", "CPU and memory", "memory, CPU": the resources of a requests / limits list. */
const RES_LIST = String.raw`(?:cpu|memory)(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:cpu|memory))*`;
/** "requests", "limits and requests", "requests, limits": the sections of a requests / limits list. */
const SECTION_LIST = String.raw`(?:requests?|limits?)(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:requests?|limits?))*`;

const resourceFields: OfflineFamily = {
  id: 'resources',
  title: 'resource requests / limits required',
  examples: [
    'Every container in a pod must request CPU and set a memory limit.',
    'Containers must set CPU and memory limits.',
    'This policy validates that all containers have something specified for memory and CPU requests and memory limits.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\b(?:spec\.containers(?:\[\])?\.)?resources\.(?:requests|limits)\.(?:cpu|memory)\b/i,
    /\bexplicitly\b/i,
    /\b(?:cpu|memory)\b/i,
    /\bresources?\b/i,
    /\brequest(?:s|ed|ing)?\b/i,
    /\blimit(?:s|ed)?\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text.toLowerCase();
    const want = new Set<string>();
    // `resources.limits.cpu`: the field path itself.
    for (const m of t.matchAll(/\bresources\.(requests|limits)\.(cpu|memory)\b/g)) want.add(`${m[1]}.${m[2]}`);
    // "CPU and memory requests and limits", "requests and limits for memory", "request CPU": every resource of a
    // list with every section of its list. Two readings over the same words ("CPU requests and limits for memory")
    // or a resource / section word no list took would drop or add a field, so either is refused.
    const spans: Array<[number, number]> = [];
    const take = (m: RegExpMatchArray, sections: string, resources: string): void => {
      spans.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
      for (const sec of sections.match(/\b(?:request|limit)/g) ?? [])
        for (const n of resources.match(/\b(?:cpu|memory)\b/g) ?? []) want.add(`${sec}s.${n}`);
    };
    for (const m of t.matchAll(new RegExp(String.raw`\b(${RES_LIST})\s+(${SECTION_LIST})\b`, 'g'))) take(m, m[2], m[1]);
    for (const m of t.matchAll(
      new RegExp(
        String.raw`\b(?:resource\s+)?(${SECTION_LIST})\s+(?:(?:are|is|be|must\s+be|to\s+be)\s+)?(?:(?:set|defined|specified|configured|declared|present|required)\s+)?(?:for|on|of)\s+(${RES_LIST})\b|\brequest(?:s|ing)?\s+(${RES_LIST})\b`,
        'g',
      ),
    ))
      take(m, m[1] ?? 'request', m[2] ?? m[3]);
    if (spans.some((a, i) => spans.some((b, j) => i !== j && a[0] < b[1] && b[0] < a[1]))) return undefined;
    if (spans.length) {
      let rest = t;
      for (const [a, b] of spans) rest = rest.slice(0, a) + ' '.repeat(b - a) + rest.slice(b);
      if (
        /\b(?:cpu|memory|requests?|limits?)\b/.test(
          rest.replace(/\bresources\.(?:requests|limits)\.(?:cpu|memory)\b/g, ' '),
        )
      )
        return undefined;
    }
    if (want.size === 0) {
      // "resource limits and requests" asks for both as "requests and limits" does (kube-score's Container Resources).
      if (/\b(resource )?(?:requests and limits|limits and requests)\b/.test(t))
        RESOURCE_NAMES.forEach((n) => (want.add(`requests.${n}`), want.add(`limits.${n}`)));
      else if (/\bresource limits\b/.test(t)) RESOURCE_NAMES.forEach((n) => want.add(`limits.${n}`));
      else if (/\bresource requests\b/.test(t)) RESOURCE_NAMES.forEach((n) => want.add(`requests.${n}`));
      // A section the text names that no phrase above took ("resource limits & requests") would be dropped.
      const sections = [...want].map((w) => w.split('.')[0]);
      if (
        want.size &&
        ['request', 'limit'].some((s) => new RegExp(`\\b${s}s?\\b`).test(t) && !sections.includes(`${s}s`))
      )
        return undefined;
    }
    if (want.size === 0) return undefined;
    // "CPU limits without memory limits": one field conditional on another, not both required.
    if (/\b(?:cpu|memory|requests?|limits?)\b[^.]*\bwithout\b[^.]*\b(?:cpu|memory|requests?|limits?)\b/i.test(t))
      return undefined;
    const pairs = [...want].map((w) => w.split('.') as [string, string]);
    if (ctx.negated) return offersUnset(t) ? undefined : forbidResources(ctx, pairs, t);
    // "CPU or memory limits", "requests or limits": one of several is a condition this family does not write.
    if (/\bor\b|\beither\b/i.test(t)) return undefined;
    // The API server rejects resources on an ephemeral container: asked of them, the rule could only block kubectl
    // debug; unnamed, a debugged pod's ephemeral containers are left alone (an UPDATE of the pod would be denied).
    if (/\bephemeral\s+containers?\b/i.test(t)) return undefined;
    const full: Record<string, Record<string, string>> = {};
    for (const [section, name] of pairs) (full[section] ??= {})[name] = name === 'cpu' ? '100m' : '256Mi';
    const missingOne = (drop: [string, string]): Record<string, Record<string, string>> => {
      const copy = structuredClone(full);
      delete copy[drop[0]][drop[1]];
      return copy;
    };
    return containerRule(ctx, {
      family: 'resources',
      summary: `every container must set ${[...want].join(' and ')}`,
      offends: `(podSpec?.ephemeralContainers ?? []).indexOf(c) < 0 && ${js(pairs)}.some(function (p) { return !hasResourceField(c, p[0], p[1]); })`,
      describe: `'container ' + ${cname} + ' lacks ' + ${js(pairs)}.filter(function (p) { return !hasResourceField(c, p[0], p[1]); }).map(function (p) { return 'resources.' + p[0] + '.' + p[1]; }).join(', ')`,
      skills: [step('hasResourceField', 'a container sets resources.<section>.<name>')],
      offending: [
        { name: 'no resources', container: {} },
        ...pairs.map((p) => ({ name: `no ${p[0]}.${p[1]}`, container: { resources: missingOne(p) } })),
      ],
      compliant: [{ name: `${[...want].join(' and ')} set`, container: { resources: full } }],
      polarity: 'require',
    });
  },
};

/**
 * "must be Always or unset", "unset or at least 1000": "unset" counts as a negation in the reader, so a
 * statement that offers it as an alternative would read as a ban on the value. Families that read a ban from
 * the statement's polarity refuse these instead.
 */
const UNSET_ALTERNATIVE =
  /\bor\s+(?:be\s+|is\s+|left\s+)?(?:unset|not\s+set|absent|omitted|undefined|missing|empty)\b|\b(?:unset|not\s+set|absent|omitted|undefined|missing|empty)\s*,?\s*or\b/i;

/** UNSET_ALTERNATIVE, except "unset or false", which the reader reads as one negation (GENERIC_PHRASES). */
function offersUnset(text: string): boolean {
  return UNSET_ALTERNATIVE.test(
    text.replace(
      /\b(?:unset|not\s+set|undefined|absent|omitted)\s*,?\s*or\s+(?:explicitly\s+)?(?:set\s+to\s+)?[`'"]?(?:false|0|zero)\b[`'"]?/gi,
      ' ',
    ),
  );
}

/**
 * "CPU limits are not allowed" / "Containers must not set CPU limits": every container (init and ephemeral
 * included) that sets the field is the offence. Several fields are read only as "A or B" (any one of them is
 * banned); "CPU and memory limits are not allowed" could ban the pair or each one, so it is not read.
 */
function forbidResources(ctx: FamilyContext, pairs: Array<[string, string]>, t: string): FamilySolution | undefined {
  if (/\beither\b/i.test(t) || (pairs.length > 1 ? !/\bor\b/i.test(t) || /\band\b/i.test(t) : /\bor\b/i.test(t)))
    return undefined;
  const fields = pairs.map((p) => `resources.${p[0]}.${p[1]}`);
  const other = (p: [string, string]): [string, string] => [p[0] === 'limits' ? 'requests' : 'limits', p[1]];
  const set = (p: [string, string], value: string): Record<string, unknown> => ({
    resources: { [p[0]]: { [p[1]]: value } },
  });
  const quantity = (p: [string, string]): string => (p[1] === 'cpu' ? '500m' : '256Mi');
  const siblings = pairs
    .map((p) => [p[0], p[1] === 'cpu' ? 'memory' : 'cpu'] as [string, string])
    .filter((p) => !pairs.some((q) => q[0] === p[0] && q[1] === p[1]));
  return containerRule(ctx, {
    family: 'resources',
    summary: `no container may set ${fields.join(' or ')}`,
    offends: `${js(pairs)}.some(function (p) { return hasResourceField(c, p[0], p[1]); })`,
    describe: `'container ' + ${cname} + ' sets ' + ${js(pairs)}.filter(function (p) { return hasResourceField(c, p[0], p[1]); }).map(function (p) { return 'resources.' + p[0] + '.' + p[1]; }).join(', ')`,
    skills: [step('hasResourceField', 'a container sets resources.<section>.<name>')],
    offending: pairs.map((p) => ({ name: `resources.${p[0]}.${p[1]} set`, container: set(p, quantity(p)) })),
    compliant: [
      { name: 'no resources', container: {} },
      ...pairs.map((p) => ({ name: `only resources.${other(p).join('.')}`, container: set(other(p), quantity(p)) })),
      ...siblings.map((p) => ({ name: `only resources.${p.join('.')}`, container: set(p, quantity(p)) })),
    ],
    polarity: 'forbid',
  });
}

/** "memory limits", "requests for CPU", `resources.limits.memory`: one section and one resource of a container. */
const RESOURCE_PAIR =
  /\b(?:(cpu|memory|ephemeral[- ]storage)\s+(requests?|limits?)|(requests?|limits?)\s+(?:for|of|on)\s+(cpu|memory|ephemeral[- ]storage)|resources\.(requests|limits)\.(cpu|memory|ephemeral-storage))\b/gi;
const QUANTITY = String.raw`(\d+(?:\.\d+)?(?:m|k|Ki|M|Mi|G|Gi|T|Ti)?)(?![\w.])`;
const NOT = String.raw`(?:must|should|may|can|does|do)\s*(?:not|n['\u2019]t)\s+(?:be\s+)?`;
/** How a bound is said; a negation inside the phrase ("must not exceed") is part of it. First match wins. */
const RESOURCE_BOUNDS: ReadonlyArray<{ re: RegExp; side: 'max' | 'min'; strict: boolean }> = [
  {
    re: new RegExp(
      String.raw`\b(?:at\s+most|no\s+(?:more|greater|larger|higher)\s+than|up\s+to|(?:a\s+)?maximum\s+of|${NOT}(?:exceed|greater\s+than|more\s+than|larger\s+than|higher\s+than|above|over)|(?:must|should)\s+not\s+(?:request|set|use|have)\s+more\s+than|cannot\s+exceed|not\s+exceeding)\s+${QUANTITY}`,
      'i',
    ),
    side: 'max',
    strict: false,
  },
  {
    re: new RegExp(
      String.raw`\b(?:at\s+least|no\s+(?:less|lower|smaller|fewer)\s+than|(?:a\s+)?minimum\s+of|${NOT}(?:less\s+than|lower\s+than|smaller\s+than|below|under))\s+${QUANTITY}`,
      'i',
    ),
    side: 'min',
    strict: false,
  },
  {
    re: new RegExp(
      String.raw`(?<!\b(?:not|no)\s+(?:be\s+)?)\b(?:less\s+than|lower\s+than|smaller\s+than|below|under)\s+${QUANTITY}`,
      'i',
    ),
    side: 'max',
    strict: true,
  },
  {
    re: new RegExp(
      String.raw`(?<!\b(?:not|no)\s+(?:be\s+|request\s+|set\s+|use\s+|have\s+)?)\b(?:greater\s+than|more\s+than|larger\s+than|higher\s+than|above|over)\s+${QUANTITY}`,
      'i',
    ),
    side: 'min',
    strict: true,
  },
];
/** "if set", "when specified": a container that leaves the field out is not checked. */
const IF_SET =
  /\b(?:if|when(?:ever)?)\s+(?:(?:it|they|one|an?|the|any)\s+(?:[\w-]+\s+){0,3}?(?:is|are)\s+)?(?:set|specified|present|defined|given|provided)\b/i;

interface QuantityBound {
  side: 'max' | 'min';
  strict: boolean;
  quantity: string;
  /** The offending values were named ("above 2Gi are not allowed"), so leaving the field out is not one. */
  unsetAllowed: boolean;
  /** The JS comparison that is the offence (value <cmp> bound). */
  cmp: string;
  /** "at most 2Gi", for summaries and messages. */
  said: string;
  /** A quantity within the bound and one outside it, for the cases. */
  inside: string;
  outside: string;
}

/**
 * The one bound a statement sets. Negated, only a strict bound has one reading: "Memory limits above 2Gi are not
 * allowed" is "at most 2Gi", and names the offence, so a field left out is not one.
 */
function quantityBound(text: string, negated: boolean): QuantityBound | undefined {
  // Every bound said counts: "at least 100m of CPU and at least 128Mi of memory" is two bounds, not the first.
  const bounds = RESOURCE_BOUNDS.flatMap((b) =>
    [...text.matchAll(new RegExp(b.re.source, 'gi'))].map((m) => ({ ...b, quantity: m[1] })),
  );
  if (bounds.length !== 1) return undefined;
  const b = bounds[0];
  if (negated && !b.strict) return undefined;
  const side = negated ? (b.side === 'min' ? 'max' : 'min') : b.side;
  const strict = negated ? false : b.strict;
  const small = smallerQuantity(b.quantity);
  const big = `${parseFloat(b.quantity) * 2}${b.quantity.replace(/^[\d.]+/, '')}`;
  return {
    side,
    strict,
    quantity: b.quantity,
    unsetAllowed: negated,
    cmp: side === 'max' ? (strict ? '>=' : '>') : strict ? '<=' : '<',
    said: `${side === 'max' ? (strict ? 'below' : 'at most') : strict ? 'above' : 'at least'} ${b.quantity}`,
    inside: side === 'max' ? small : big,
    outside: side === 'max' ? big : small,
  };
}

/**
 * The statement asks for the field itself, so leaving it out is an offence. Not "It is required that …", which frames
 * the whole rule ("It is required that containers with memory limits above 2Gi are not allowed" asks for no limit).
 */
const ASKS_FOR_FIELD =
  /\b(?:must|should|shall|need\s+to|needs\s+to|(?:is|are)\s+required\s+to)\s+(?:(?:also\s+)?be\s+(?:set|specified|defined|declared|present)\b|(?:have|set|specify|define|declare|include|request)\b)|(?<!\bit\s)\b(?:is|are)\s+required\b(?!\s+that\b)/i;

/** A smaller quantity than q, in the same or a finer unit ("4Gi" -> "2Gi", "1Gi" -> "512Mi", "1" -> "500m"). */
function smallerQuantity(q: string): string {
  const m = /^(\d+(?:\.\d+)?)(\D*)$/.exec(q);
  if (!m) return q;
  const n = Number(m[1]);
  if (n >= 2) return `${Math.floor(n / 2)}${m[2]}`;
  const finer: Record<string, [string, number]> = {
    '': ['m', 1000],
    Ki: ['', 1024],
    Mi: ['Ki', 1024],
    Gi: ['Mi', 1024],
    Ti: ['Gi', 1024],
    k: ['', 1000],
    M: ['k', 1000],
    G: ['M', 1000],
    T: ['G', 1000],
  };
  const f = finer[m[2]];
  return f ? `${Math.floor((n * f[1]) / 2)}${f[0]}` : '0';
}

/**
 * "Memory limits must not exceed 2Gi", "CPU requests must be at least 100m", "Containers must have a memory limit
 * of at most 4Gi": one bound on one resource of every container (init included; an ephemeral container, which may
 * not set resources, is never asked for the field), compared as quantities (2048Mi is 2Gi). A container that leaves
 * the field out is denied (it has no such bound: an unset limit is unlimited, an unset request asks for nothing),
 * unless the statement says "if set".
 */
const resourceBound: OfflineFamily = {
  id: 'resource-bound',
  title: 'a bound on a container resource request or limit (quantities compared, unset denied unless "if set")',
  examples: [
    'Containers must have a memory limit of at most 2Gi.',
    'Every container must request at least 100m of CPU.',
  ],
  phrases: [
    ...RESOURCE_BOUNDS.map((b) => b.re),
    IF_SET,
    RESOURCE_PAIR,
    /\b(?:request(?:s|ed|ing)?|limit(?:s|ed)?)\b/i,
    /\b(?:cpu|memory|ephemeral[- ]storage)\b/i,
    ...POD_PHRASES,
    /\b(?:value|amount|quantity)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const pairs = new Set(
      [...t.matchAll(RESOURCE_PAIR)].map((m) => {
        const section = (m[2] ?? m[3] ?? m[5]).toLowerCase().replace(/s?$/, 's');
        const name = (m[1] ?? m[4] ?? m[6]).toLowerCase().replace(/\s/, '-');
        return `${section}.${name}`;
      }),
    );
    // "Every container must request at least 100m of CPU": the verb names the section. Counted beside a named
    // pair too: "request at least 100m of CPU and set a memory limit" bounds the request, not the limit.
    const verb =
      /\brequest(?:s|ing)?\s+(?:at\s+least|at\s+most|no\s+more\s+than|more\s+than|less\s+than)\b[^.]*?\bof\s+(cpu|memory)\b/i.exec(
        t,
      );
    if (verb) pairs.add(`requests.${verb[1].toLowerCase()}`);
    if (pairs.size !== 1 || offersUnset(t)) return undefined;
    // "Pods must have a memory limit of at most 4Gi": a pod's limit may be its containers' sum (or spec.resources);
    // only a bound said of containers, or of no subject, is read as one on each container.
    if (/\b(?:pods?|deployments?|statefulsets?|daemonsets?|replicasets?|jobs?|cronjobs?|workloads?)\b/i.test(t)) {
      if (!/\bcontainers?\b/i.test(t)) return undefined;
    }
    const bound = quantityBound(t, ctx.negated);
    if (!bound) return undefined;
    const { strict, quantity } = bound;
    const [section, name] = [...pairs][0].split('.');
    // A plain number of memory is bytes: "at most 2 memory" is surely a slip for 2Gi; not read.
    if (name !== 'cpu' && /^\d+(?:\.\d+)?$/.test(quantity)) return undefined;
    // Nor the wrong unit: "500m" of memory is half a byte (surely 500M or 500Mi), "2M" CPUs are two million cores.
    if (name === 'cpu' ? /[^\dm.]/.test(quantity) : /m$/.test(quantity)) return undefined;
    // A ban on what is above the bound leaves an unset field alone, unless the statement also asks for the field
    // ("Containers must set a memory limit, and no container may use more than 2Gi": read as the ban alone, a
    // container without a limit passed).
    const optional = IF_SET.test(t) || (bound.unsetAllowed && !ASKS_FOR_FIELD.test(t));
    // Whether a container without the field passes is said, or the statement is not read: "must have a memory limit
    // of at most 4Gi" / "must be set and …" ask for the field; "Memory limits must not exceed 2Gi" leaves it open.
    if (!optional && !ASKS_FOR_FIELD.test(t)) return undefined;
    // The API server rejects resources on an ephemeral container: "every … ephemeral container must have a memory
    // limit" could only ever block kubectl debug.
    if (!optional && EPHEMERAL_LISTED.test(t)) return undefined;
    const field = `resources.${section}.${name}`;
    const { cmp, said, inside, outside } = bound;
    const set = (q: string): Record<string, unknown> => ({ resources: { [section]: { [name]: q } } });
    const offending = [
      { name: `${field} ${outside}`, container: set(outside) },
      ...(strict ? [{ name: `${field} exactly ${quantity}`, container: set(quantity) }] : []),
      ...(optional ? [] : [{ name: `no ${field}`, container: {} }]),
    ];
    const compliant = [
      { name: `${field} ${inside}`, container: set(inside) },
      ...(strict ? [] : [{ name: `${field} exactly ${quantity}`, container: set(quantity) }]),
      ...(optional ? [{ name: `no ${field}`, container: {} }] : []),
    ];
    return containerRule(ctx, {
      family: 'resource-bound',
      summary: `every container's ${field} must be ${said}${optional ? ' when set' : ''}`,
      // Nor is a debugged pod's ephemeral container asked for the field it may not set: any later UPDATE of the pod
      // (a relabel) would be denied.
      offends: `${optional ? '' : '(podSpec?.ephemeralContainers ?? []).indexOf(c) < 0 && '}(function () { const q = parseQuantity(((c.resources || {})[${js(section)}] || {})[${js(name)}]); return q === null ? ${!optional} : q ${cmp} parseQuantity(${js(quantity)}); })()`,
      describe: `'container ' + ${cname} + ' has ${field} ' + String(((c.resources || {})[${js(section)}] || {})[${js(name)}] ?? 'unset')`,
      skills: [step('parseQuantity', 'a resource quantity as a number')],
      offending,
      compliant,
      polarity: ctx.negated ? 'forbid' : 'require',
    });
  },
};

const RES_WORDS = String.raw`(?:(?:cpu|memory)(?:\s+and\s+(?:cpu|memory))?\s+)`;
/** "memory requests are equal to (their) memory limits", "CPU requests must match the CPU limits". */
const REQUESTS_EQUAL_LIMITS = new RegExp(
  String.raw`\b(${RES_WORDS})?requests?\s+(?:(?:are|is|must\s+be|should\s+be|shall\s+be|be|to\s+be|must|should|shall)\s+)?(?:equal\s+to|equal|equals|the\s+same\s+as|identical\s+to|match|matches|matching)\s+(?:the\s+|their\s+|its\s+)?(${RES_WORDS})?limits?\b`,
  'gi',
);
/** "memory requests and limits are equal", "CPU requests and limits must match". */
const REQUESTS_AND_LIMITS_EQUAL = new RegExp(
  String.raw`\b(${RES_WORDS})?requests?\s+and\s+limits?\s+(?:(?:are|must\s+be|should\s+be|shall\s+be|be|to\s+be)\s+)?(?:equal|the\s+same|identical|match)\b`,
  'gi',
);
/** "Pods must have Guaranteed QoS", "… be in the Guaranteed QoS class": requests equal limits for CPU and memory. */
const GUARANTEED_QOS =
  /\b(?:have|be|be\s+in|belong\s+to|run\s+(?:in|with))\s+(?:the\s+|a\s+)?Guaranteed\s+(?:QoS|quality\s+of\s+service)(?:\s+class)?\b/gi;

/**
 * "This policy ensures that memory requests are equal to memory limits": every container (init containers too; an
 * ephemeral container may not set resources) has a limit for each named resource, and a request equal to it as a
 * quantity (1Gi is 1024Mi). A request left unset is the limit: the API server defaults it so on a Pod before any
 * webhook runs, and the pods a template makes get the same. A resource must be named (CPU only when said); "Guaranteed
 * QoS" said as the pod's class is both CPU and memory, the Kubernetes definition.
 */
const requestsEqualLimits: OfflineFamily = {
  id: 'requests-equal-limits',
  title: 'resource requests equal to limits for the named resources (memory and/or CPU), or Guaranteed QoS',
  examples: ['This policy ensures that memory requests are equal to memory limits.', 'Pods must have Guaranteed QoS.'],
  phrases: [REQUESTS_EQUAL_LIMITS, REQUESTS_AND_LIMITS_EQUAL, GUARANTEED_QOS, ...POD_PHRASES],
  match: (ctx) => {
    const t = ctx.text;
    if (ctx.negated || /\b(?:if|when|unless|only|except|ephemeral)\b/i.test(t)) return undefined;
    const said = [
      ...[...t.matchAll(new RegExp(REQUESTS_EQUAL_LIMITS.source, 'gi'))].map((m) => [m[1] ?? '', m[2] ?? '']),
      ...[...t.matchAll(new RegExp(REQUESTS_AND_LIMITS_EQUAL.source, 'gi'))].map((m) => [m[1] ?? '', '']),
    ];
    const qos = [...t.matchAll(new RegExp(GUARANTEED_QOS.source, 'gi'))].length;
    if (said.length + qos !== 1) return undefined;
    const namesIn = (s: string): string[] => [...new Set((s.toLowerCase().match(/\b(?:cpu|memory)\b/g) ?? []).sort())];
    let names: string[];
    if (qos) {
      if (/\b(?:cpu|memory|requests?|limits?)\b/i.test(t)) return undefined;
      names = ['cpu', 'memory'];
    } else {
      const [left, right] = said[0].map(namesIn);
      // "memory requests … CPU limits" compares two resources; each side must name the same ones, or one side none.
      if (left.length && right.length && left.join() !== right.join()) return undefined;
      names = left.length ? left : right;
      // "requests are equal to limits" names no resource: CPU, memory or both? Not read.
      if (!names.length) return undefined;
      // Every cpu / memory word belongs to the phrase ("… memory requests equal to memory limits, and CPU limits").
      if (namesIn(t).join() !== names.join() || (t.match(/\b(?:cpu|memory)\b/gi) ?? []).length > 2) return undefined;
    }
    const shown = names.map((n) => (n === 'cpu' ? 'CPU' : n)).join(' and ');
    const q = (n: string, v: string): string => (n === 'cpu' ? `${v}m` : `${v}Mi`);
    const both = (req: string, lim: string): Record<string, unknown> => ({
      resources: {
        requests: Object.fromEntries(names.map((n) => [n, q(n, req)])),
        limits: Object.fromEntries(names.map((n) => [n, q(n, lim)])),
      },
    });
    const first = names[0];
    const summary = `every container (init containers too) must set ${names.map((n) => `limits.${n}`).join(' and ')} and request exactly as much (compared as quantities; an unset request is the limit, as the API server defaults it)${qos ? ': the Guaranteed QoS class' : ''}`;
    return containerRule(ctx, {
      family: 'requests-equal-limits',
      summary,
      offends: `(podSpec?.ephemeralContainers ?? []).indexOf(c) < 0 && ${js(names)}.some(function (n) { const r = c.resources || {}; const lim = parseQuantity((r.limits || {})[n]); const req = parseQuantity((r.requests || {})[n] ?? (r.limits || {})[n]); return lim === null || req === null || Math.abs(req - lim) > 1e-9 * Math.max(Math.abs(req), Math.abs(lim)); })`,
      describe: `'container ' + ${cname} + ' does not request exactly its ${shown} limit'`,
      skills: [step('parseQuantity', 'a resource quantity as a number')],
      offending: [
        { name: `a ${first} request below the limit`, container: both('256', '512') },
        { name: `no ${first} limit`, container: {} },
        {
          name: `a ${first} request and no limit`,
          container: { resources: { requests: Object.fromEntries(names.map((n) => [n, q(n, '256')])) } },
        },
      ],
      compliant: [
        { name: `equal ${shown} requests and limits`, container: both('512', '512') },
        {
          name: `a ${first} request and limit written in other units`,
          container: {
            resources: {
              requests: Object.fromEntries(names.map((n) => [n, n === 'cpu' ? '500m' : '1Gi'])),
              limits: Object.fromEntries(names.map((n) => [n, n === 'cpu' ? '0.5' : '1024Mi'])),
            },
          },
        },
        {
          name: `${shown} limits only (the requests default to them)`,
          container: { resources: { limits: Object.fromEntries(names.map((n) => [n, q(n, '512')])) } },
        },
      ],
      polarity: 'require',
    });
  },
};

/**
 * "PersistentVolumeClaims must not request more than 100Gi of storage": a bound on spec.resources.requests.storage,
 * compared as a quantity; a resize (UPDATE) past the bound is denied too.
 */
const claimStorageBound: OfflineFamily = {
  id: 'claim-storage-bound',
  title: 'a bound on the storage a PersistentVolumeClaim requests (quantities compared)',
  examples: ['PersistentVolumeClaims must not request more than 100Gi of storage.'],
  phrases: [
    ...RESOURCE_BOUNDS.map((b) => b.re),
    /\bspec\.resources\.requests\.storage\b|\b(?:of\s+)?storage\b|\b(?:capacity|size)\b/gi,
    /\brequest(?:s|ed|ing)?\b/i,
  ],
  match: (ctx) => {
    const claim = ctx.resources.find((r) => r.kind === 'PersistentVolumeClaim');
    if (!claim || ctx.resources.length !== 1) return undefined;
    const bound = quantityBound(ctx.text, ctx.negated);
    // A plain number of storage is bytes: surely a slip for a unit; not read.
    // Nor "500m" (half a byte: surely 500M or 500Mi).
    if (!bound || /^\d+(?:\.\d+)?m?$/.test(bound.quantity)) return undefined;
    const { strict, quantity } = bound;
    const { cmp, said, inside, outside } = bound;
    const ns = homeNamespace(ctx);
    const mk = (storage: string, namespace = ns): KubeObject => ({
      ...sample(claim, { namespace, name: 'data' }),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
    });
    const v = violation(ctx);
    const denied = v === 'warn' ? 'warned' : 'denied';
    const summary = `PersistentVolumeClaims must request ${said} of storage`;
    return {
      polarity: ctx.negated ? 'forbid' : 'require',
      family: 'claim-storage-bound',
      summary,
      target: targetFor([claim], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('parseQuantity', 'a resource quantity as a number')],
      tests: [
        { name: `a claim for ${outside} is ${denied}`, object: mk(outside), expect: v },
        { name: `a claim for ${inside} is allowed`, object: mk(inside), expect: 'allow' },
        {
          name: `a claim for exactly ${quantity} is ${strict ? denied : 'allowed'}`,
          object: mk(quantity),
          expect: strict ? v : 'allow',
        },
        updateCase(`resizing a claim to ${outside} is ${denied}`, mk(inside), mk(outside), v),
        ...scopeCases(claim, ctx, (o) => mk(outside, o.namespace)),
      ],
      javascript: `${namespaceGuard(ctx, [claim])}const q = parseQuantity(request.object?.spec?.resources?.requests?.storage);
if (q === null || q ${cmp} parseQuantity(${js(quantity)})) {
  ${act(ctx, `${js(`${summary}, got `)} + String(request.object?.spec?.resources?.requests?.storage ?? 'none')`)}
}
`,
    };
  },
};

const PROBES = { readiness: 'readinessProbe', liveness: 'livenessProbe', startup: 'startupProbe' } as const;

const probes: OfflineFamily = {
  id: 'probes',
  title: 'readiness / liveness / startup probes required (deny or warn)',
  examples: [
    'Warn, but do not block, when a Deployment has a container without a readinessProbe.',
    'Pods must define a liveness probe.',
    'This policy validates that all containers have one of livenessProbe, readinessProbe, or startupProbe defined.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\b(?:readiness|liveness|startup)(?:\s*probes?)?\b/i,
    /\bprobes?\b/i,
    /\b(?:at\s+least\s+)?(?:one|any)\s+of(?:\s+the)?\b|\beither\b/i,
    /\bconfigured\b/i,
    /,?\s*\bor\s+(?:both|all\s+(?:three|of\s+them))\b|\band\s*\/\s*or\b/i,
  ],
  match: (ctx) => {
    const found = /probes?\b/i.test(ctx.text)
      ? [...ctx.text.matchAll(/\b(readiness|liveness|startup)(?:\s*probes?)?\b/gi)].map(
          (m) => PROBES[m[1].toLowerCase() as keyof typeof PROBES],
        )
      : [];
    const probeList = [...new Set(found)];
    if (probeList.length === 0) return undefined;
    // "one of A, B or C" / "either A or B" / "A or B" / "an A probe or a B probe": any one will do; "A and B":
    // every one is needed.
    const list =
      /\b(?:readiness|liveness|startup)\w*(?:\s*probes?\b)?(?:\s*(?:,\s*(?:and\b|or\b)?|\band\s*\/\s*or\b|\band\b|\bor\b)\s*(?:a\s+|an\s+)?(?:readiness|liveness|startup)\w*(?:\s*probes?\b)?)+/i.exec(
        ctx.text,
      )?.[0] ?? '';
    const anyOf =
      probeList.length > 1 &&
      (/\b(?:one|any)\s+of\b|\beither\b|\bor\s+(?:both|all\s+(?:three|of\s+them))\b|\band\s*\/\s*or\b/i.test(
        ctx.text,
      ) ||
        (/\bor\b/i.test(list) && !/\band\b/i.test(list)));
    if (probeList.length > 1 && /\bor\b/i.test(list) && /\band\b/i.test(list) && !/\band\s*\/\s*or\b/i.test(list))
      return undefined;
    // Probes named apart ("containers with a liveness probe define a readiness probe") are a condition and its
    // consequence, not one list: read as a list, every container would need both.
    const listed = new Set([...list.matchAll(/\b(readiness|liveness|startup)/gi)].map((m) => m[1].toLowerCase()));
    if (probeList.length > 1 && found.length > 0 && listed.size < probeList.length) return undefined;
    const with_ = Object.fromEntries(probeList.map((p) => [p, { httpGet: { path: '/healthz', port: 8080 } }]));
    const only = (p: string): Record<string, unknown> => ({ [p]: { httpGet: { path: '/healthz', port: 8080 } } });
    const words = probeList.join(anyOf ? ' or ' : ' and ');
    return containerRule(ctx, {
      family: 'probes',
      summary: anyOf
        ? `every container needs at least one of ${probeList.join(', ')}`
        : `every container needs ${words}`,
      offends: anyOf
        ? `!${js(probeList)}.some(function (p) { return hasProbe(c, p); })`
        : `${js(probeList)}.some(function (p) { return !hasProbe(c, p); })`,
      describe: anyOf
        ? `'container ' + ${cname} + ' has none of ${probeList.join(', ')}'`
        : `'container ' + ${cname} + ' has no ' + ${js(probeList)}.filter(function (p) { return !hasProbe(c, p); }).join(', ')`,
      skills: [step('hasProbe', 'a container defines the probe')],
      offending: anyOf
        ? [{ name: `none of ${probeList.join('/')}`, container: {} }]
        : [
            { name: `no ${probeList.join('/')}`, container: {} },
            ...(probeList.length > 1 ? [{ name: `only ${probeList[0]}`, container: only(probeList[0]) }] : []),
          ],
      compliant: anyOf
        ? [
            { name: `only ${probeList[probeList.length - 1]}`, container: only(probeList[probeList.length - 1]) },
            { name: `only ${probeList[0]}`, container: only(probeList[0]) },
            { name: words, container: with_ },
          ]
        : [{ name: words, container: with_ }],
      // Init containers cannot have probes: only regular containers are checked.
      initContainers: false,
      polarity: 'require',
    });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Mutating families

const pullPolicy: OfflineFamily = {
  id: 'image-pull-policy',
  title: 'set imagePullPolicy on every container (mutating)',
  examples: ['In the prod namespace, set imagePullPolicy to Always on every container of a pod.'],
  phrases: [
    ...POD_PHRASES,
    /\bimage\s?pull\s?polic(?:y|ies)\b/i,
    // Not "default": the API server defaults imagePullPolicy before any webhook runs, so "default it to Always" (set it
    // only where it is missing) cannot be told from overriding every container's policy, which this family does.
    /\b(?:set|make|force|ensure|mutate)\b/i,
    /\b(?:Always|IfNotPresent|Never)\b/,
  ],
  match: (ctx) => {
    const m = /\bimage ?pull ?policy\b.*?\b(Always|IfNotPresent|Never)\b/i.exec(ctx.text);
    if (!m || !/\b(set|make|force|ensure|mutate)\b/i.test(ctx.text)) return undefined;
    // "Set imagePullPolicy to Always on init containers" names some containers; the patch below sets every one.
    if (/\b(?:init|ephemeral|sidecar|regular|app(?:lication)?)\s+containers?\b/i.test(ctx.text)) return undefined;
    const value = ['Always', 'IfNotPresent', 'Never'].find((v) => v.toLowerCase() === m[1].toLowerCase());
    const resources = workloads(ctx);
    if (!value) return undefined;
    if (!resources.length) return undefined;
    const r = resources[0];
    const ns = homeNamespace(ctx);
    const other = value === 'Always' ? 'IfNotPresent' : 'Always';
    const obj = (containers: Array<Record<string, unknown>>, namespace = ns): KubeObject =>
      sample(r, { namespace, name: 'app', podSpec: { containers } });
    const tests: TestCase[] = [
      {
        name: `${r.kind} without imagePullPolicy is mutated`,
        object: obj([{ name: 'app', image: 'registry.example.com/app:1' }]),
        expect: 'mutate',
        patched: patchedContainers(r, [{ name: 'app', imagePullPolicy: value }]),
      },
      {
        name: `${r.kind} with imagePullPolicy ${other} is mutated`,
        object: obj([{ name: 'app', image: 'registry.example.com/app:1', imagePullPolicy: other }]),
        expect: 'mutate',
        patched: patchedContainers(r, [{ name: 'app', imagePullPolicy: value }]),
      },
      {
        name: `${r.kind} already ${value} is left alone`,
        object: obj([{ name: 'app', image: 'registry.example.com/app:1', imagePullPolicy: value }]),
        expect: 'allow',
      },
      ...scopeCases(r, ctx, (o) => obj([{ name: 'app', image: 'registry.example.com/app:1' }], o.namespace)),
      // The pod template of a controller is patched the same way (CronJob: under jobTemplate).
      ...resources
        .filter((c) => r.kind === 'Pod' && (c.kind === 'Deployment' || c.kind === 'CronJob'))
        .map((c) => ({
          name: `${c.kind} without imagePullPolicy is mutated`,
          object: sample(c, {
            namespace: ns,
            name: 'app',
            podSpec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
          }),
          expect: 'mutate' as const,
          patched: patchedContainers(c, [{ name: 'app', imagePullPolicy: value }]),
        })),
    ];
    return {
      polarity: 'mutate',
      family: 'image-pull-policy',
      summary: `set imagePullPolicy ${value} on every container`,
      // CREATE only: a pod's containers are immutable on UPDATE, so a patch there would be refused.
      target: targetFor(resources, ['CREATE'], 'Mutating', ctx.namespaces),
      steps: [step('podSpecOf', 'the pod spec of a pod or workload'), step('allContainers', 'every container')],
      tests,
      javascript: `${namespaceGuard(ctx, resources)}const obj = request.object;
let changed = false;
for (const c of allContainers(podSpecOf(obj))) {
  if (c && typeof c === 'object' && c.imagePullPolicy !== ${js(value)}) {
    c.imagePullPolicy = ${js(value)};
    changed = true;
  }
}
if (changed) {
  mutate(obj);
}
`,
    };
  },
};

/** "that do not set one", "when missing", "if not specified", "unless already set": only where the field is missing. */
const WHEN_MISSING =
  /\b(?:that|which|who)\s+(?:do|does)\s*(?:not|n['\u2019]t)\s+(?:already\s+)?(?:set|specify|have|define|declare|request|include)\s+(?:one|them|it|any|their\s+own|its\s+own)\b|\b(?:when|where|if)\s+(?:(?:it\s+is|they\s+are)\s+)?(?:missing|absent|unset|not\s+(?:already\s+)?(?:set|specified|defined|present|provided|given))\b|\bunless\s+(?:(?:it\s+is|they\s+are)\s+)?already\s+(?:set|specified|defined|present)\b/i;
/** "cpu 100m", "CPU request of 100m", "cpu: 100m", "100m of CPU", "100m CPU": one resource and its quantity. */
const DEFAULT_QUANTITY = new RegExp(
  String.raw`\b(cpu|memory)\s*(?:requests?\s*)?(?:of|to|=|:|at)?\s*${QUANTITY}|${QUANTITY}\s*(?:of\s+)?(cpu|memory)\b`,
  'gi',
);

/**
 * "Add a default CPU request of 100m to containers that do not set one", "This policy adds default requests of
 * cpu 100m and memory 128Mi to every container": each named request is set where a container (init containers
 * too; ephemeral containers cannot carry resources) has none, and kept where it has one. A container with a limit
 * but no request is left alone: the API server has already set that request to the limit (a default above the
 * limit would make the pod invalid). Limits are not defaulted: a default limit below a request the container
 * sets would make the pod invalid too, so "default limits" is refused.
 */
const resourceDefaults: OfflineFamily = {
  id: 'resource-defaults',
  title: 'default container resource requests where missing (mutating)',
  examples: [
    'Add a default CPU request of 100m to containers that do not set one.',
    'This policy adds default requests of cpu 100m and memory 128Mi to every container.',
  ],
  phrases: [
    DEFAULT_QUANTITY,
    WHEN_MISSING,
    /\b(?:add|adds|adding|set|sets|setting|give|gives|apply|applies|inject|injects|assign|assigns|put|puts|default|defaults|defaulted|by\s+default)\b/i,
    /\b(?:resource\s+)?requests?\b/i,
    /\b(?:cpu|memory)\b/i,
    /\b(?:values?|amounts?)\b/i,
    ...POD_PHRASES,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (ctx.mode !== 'mutate' || ctx.negated) return undefined;
    if (!/\bdefault(?:s|ed)?\b/i.test(t) && !WHEN_MISSING.test(t)) return undefined;
    // Requests only (see above), and never a list of some containers: the patch covers containers and init containers.
    if (/\blimits?\b/i.test(t) || /\b(?:init|ephemeral|sidecar|regular|app(?:lication)?)\s+containers?\b/i.test(t))
      return undefined;
    if (!/\brequests?\b/i.test(t)) return undefined;
    const found = [...t.matchAll(DEFAULT_QUANTITY)].map((m) => ({
      name: (m[1] ?? m[4]).toLowerCase(),
      quantity: m[2] ?? m[3],
    }));
    const names = new Set(found.map((f) => f.name));
    // One quantity per resource, each named once: "cpu 100m and memory 128Mi".
    if (!found.length || names.size !== found.length) return undefined;
    for (const { name, quantity } of found) {
      // A plain number of memory is bytes, "500m" of memory half a byte, "2M" CPUs two million cores: slips, not read.
      if (name === 'memory' ? /^\d+(?:\.\d+)?$|m$/.test(quantity) : /[^\dm.]/.test(quantity)) return undefined;
    }
    // Every cpu/memory word belongs to a quantity: "a CPU request of 100m and a memory request" names no memory value.
    if ([...t.matchAll(/\b(?:cpu|memory)\b/gi)].length !== found.length) return undefined;
    const resources = workloads(ctx);
    if (!resources.length) return undefined;
    const r = resources[0];
    const ns = homeNamespace(ctx);
    const defaults = Object.fromEntries(found.map((f) => [f.name, f.quantity]));
    const [first] = found;
    const own = first.name === 'cpu' ? '250m' : '256Mi';
    const others = Object.fromEntries(found.filter((f) => f !== first).map((f) => [f.name, f.quantity]));
    const obj = (
      containers: Array<Record<string, unknown>>,
      initContainers?: Array<Record<string, unknown>>,
      on: ApiResource = r,
      namespace = ns,
    ): KubeObject =>
      sample(on, {
        namespace,
        name: 'app',
        podSpec: { containers, ...(initContainers ? { initContainers } : {}) },
      });
    const c = (resources?: Record<string, unknown>): Record<string, unknown> => ({
      name: 'app',
      image: 'registry.example.com/app:1',
      ...(resources ? { resources } : {}),
    });
    const patched = (on: ApiResource, spec: Record<string, unknown>): unknown => {
      const path = patchedContainers(on, []) as Record<string, unknown>;
      // patchedContainers builds the nesting for one list; fill the pod spec at its leaf.
      const leaf = (o: Record<string, unknown>): Record<string, unknown> =>
        'containers' in o ? o : leaf((o.spec ?? o.template ?? o.jobTemplate) as Record<string, unknown>);
      const at = leaf(path);
      delete at.containers;
      Object.assign(at, spec);
      return path;
    };
    const tests: TestCase[] = [
      {
        name: `${r.kind} whose container has no requests gets ${describeQuantities(defaults)}`,
        object: obj([c()]),
        expect: 'mutate',
        patched: patched(r, { containers: [c({ requests: defaults })] }),
      },
      {
        name: `${r.kind}'s init container without requests gets them too`,
        object: obj([c({ requests: defaults })], [{ ...c(), name: 'init' }]),
        expect: 'mutate',
        patched: patched(r, {
          containers: [c({ requests: defaults })],
          initContainers: [{ ...c({ requests: defaults }), name: 'init' }],
        }),
      },
      found.length > 1
        ? {
            name: `${r.kind} whose container requests ${first.name} ${own} keeps it and gets the rest`,
            object: obj([c({ requests: { [first.name]: own } })]),
            expect: 'mutate' as const,
            patched: patched(r, { containers: [c({ requests: { ...others, [first.name]: own } })] }),
          }
        : {
            name: `${r.kind} whose container requests ${first.name} ${own} is left alone`,
            object: obj([c({ requests: { [first.name]: own } })]),
            expect: 'allow' as const,
          },
      {
        name: `${r.kind} whose container sets every request already is left alone`,
        object: obj([c({ requests: Object.fromEntries(found.map((f) => [f.name, f.name === 'cpu' ? '1' : '1Gi'])) })]),
        expect: 'allow',
      },
      // The API server sets a missing request to the container's limit before any webhook sees the pod.
      ...found.map((f) => {
        const limit = f.name === 'cpu' ? '50m' : '64Mi';
        const rest = Object.fromEntries(found.filter((g) => g !== f).map((g) => [g.name, g.quantity]));
        return Object.keys(rest).length
          ? {
              name: `${r.kind} whose container has a ${f.name} limit keeps its ${f.name} request as the limit`,
              object: obj([c({ limits: { [f.name]: limit }, requests: { [f.name]: limit } })]),
              expect: 'mutate' as const,
              patched: patched(r, {
                containers: [c({ limits: { [f.name]: limit }, requests: { ...rest, [f.name]: limit } })],
              }),
            }
          : {
              name: `${r.kind} whose container has a ${f.name} limit (so a request equal to it) is left alone`,
              object: obj([c({ limits: { [f.name]: limit }, requests: { [f.name]: limit } })]),
              expect: 'allow' as const,
            };
      }),
      ...scopeCases(r, ctx, (o) => obj([c()], undefined, r, o.namespace)),
      ...resources
        .filter((w) => r.kind === 'Pod' && (w.kind === 'Deployment' || w.kind === 'CronJob'))
        .map((w) => ({
          name: `${w.kind} whose pod template's container has no requests gets them`,
          object: obj([c()], undefined, w),
          expect: 'mutate' as const,
          patched: patched(w, { containers: [c({ requests: defaults })] }),
        })),
      // A pod template is not defaulted as a Pod is: a request above its limit there would make every pod invalid.
      ...resources
        .filter((w) => w.kind === 'Deployment')
        .map((w) => {
          const limit = { [first.name]: first.name === 'cpu' ? '50m' : '64Mi' };
          return found.length > 1
            ? {
                name: `${w.kind} whose container has a ${first.name} limit and no request gets only the others`,
                object: obj([c({ limits: limit })], undefined, w),
                expect: 'mutate' as const,
                patched: patched(w, { containers: [c({ limits: limit, requests: others })] }),
              }
            : {
                name: `${w.kind} whose container has a ${first.name} limit and no request is left alone`,
                object: obj([c({ limits: limit })], undefined, w),
                expect: 'allow' as const,
              };
        }),
    ];
    return {
      polarity: 'mutate',
      family: 'resource-defaults',
      summary: `default ${describeQuantities(defaults)} on every container and init container that does not request them`,
      // CREATE only: a pod's containers are immutable on UPDATE, so a patch there would be refused.
      target: targetFor(resources, ['CREATE'], 'Mutating', ctx.namespaces),
      steps: [
        step('podSpecOf', 'the pod spec of a pod or workload'),
        step('defaultRequests', 'set each missing request, keeping the container’s own', false),
      ],
      tests,
      javascript: `${namespaceGuard(ctx, resources)}const obj = request.object;
const defaults = ${js(defaults)};
const spec = podSpecOf(obj) || {};
let changed = false;
for (const c of [...(spec.containers || []), ...(spec.initContainers || [])]) {
  if (!c || typeof c !== 'object') continue;
  for (const [name, quantity] of Object.entries(defaults)) {
    const resources = c.resources || {};
    const requests = resources.requests || {};
    // A limit without a request: the API server has set the request to the limit already.
    if (requests[name] !== undefined || (resources.limits || {})[name] !== undefined) continue;
    c.resources = { ...resources, requests: { ...requests, [name]: quantity } };
    changed = true;
  }
}
if (changed) {
  mutate(obj);
}
`,
    };
  },
};

function describeQuantities(q: Record<string, string>): string {
  return Object.entries(q)
    .map(([name, quantity]) => `a ${name} request of ${quantity}`)
    .join(' and ');
}

function patchedContainers(r: ApiResource, containers: unknown[]): unknown {
  if (r.kind === 'Pod') return { spec: { containers } };
  if (r.kind === 'CronJob') return { spec: { jobTemplate: { spec: { template: { spec: { containers } } } } } };
  if (r.kind === 'PodTemplate') return { template: { spec: { containers } } };
  return { spec: { template: { spec: { containers } } } };
}

/** The one key=value the text names; undefined when it names several keys (several rules: not one family's job). */
function singleKeyValue(text: string, word: 'label' | 'annotation', needValue = false): KeyValue | undefined {
  const all = keyValuesNear(text, word).filter((k) => !needValue || k.value !== undefined);
  const pairs = new Set([...text.matchAll(/([A-Za-z0-9][-A-Za-z0-9_./]*)=[A-Za-z0-9]/g)].map((m) => m[1]));
  return new Set(all.map((k) => k.key)).size === 1 && pairs.size <= 1 ? all[0] : undefined;
}

function metaWord(text: string): 'label' | 'annotation' | undefined {
  if (/\bannotat/i.test(text)) return 'annotation';
  if (/\blabel/i.test(text)) return 'label';
  return undefined;
}

function subjectResources(ctx: FamilyContext): ApiResource[] {
  return ctx.resources.filter(
    (r) => !['Binding', 'Role', 'ClusterRole'].includes(r.kind) || ctx.resources.length === 1,
  );
}

const metadataDefault: OfflineFamily = {
  id: 'metadata-default',
  title: 'default a label or annotation when missing (mutating)',
  examples: [
    'Give every new Namespace the label team=platform unless it already has a team label.',
    'Add the annotation owner=platform to new ConfigMaps.',
  ],
  phrases: [
    /\bunless\s+(?:it|they)\s+already\s+(?:has|have)\s+(?:a|an|the|one)?\s*[`'"]?[A-Za-z0-9_./-]+[`'"]?\s+(?:label|annotation)\b/i,
    META_PHRASE,
    /\b(?:give|add|set|default|apply|attach|put|label|annotate)\b/i,
    /\bby default\b/i,
    /\bwhen missing\b/i,
  ],
  match: (ctx) => {
    if (
      !/^\s*(give|add|set|default|apply|attach|put|ensure|label|annotate)\b/i.test(ctx.text) &&
      !/\bby default\b/i.test(ctx.text)
    )
      return undefined;
    // "Set the label env=prod on every Pod" asks for that value: this family keeps a value the object already has,
    // which only "add", "give", "default" or a stated condition ("unless it already has one") leave open.
    if (
      /^\s*(?:(?:this|the)\s+(?:policy|rule)\s+)?(?:sets?|force|forces|overwrites?|overrides?)\b/i.test(ctx.text) &&
      !/\bunless\b|\bwhen\s+missing\b|\bby\s+default\b/i.test(ctx.text)
    )
      return undefined;
    const word = metaWord(ctx.text);
    if (!word) return undefined;
    const kv = singleKeyValue(ctx.text, word, true);
    const resources = subjectResources(ctx).slice(0, 1);
    // A documented prefix names no key to set (its keys are `<prefix>/<name>`).
    if (!kv?.value || kv.prefix || !resources.length) return undefined;
    const value = kv.value;
    const r = resources[0];
    const field = word === 'label' ? 'labels' : 'annotations';
    const ns = homeNamespace(ctx);
    const mk = (meta: Record<string, string> | undefined, namespace = ns): KubeObject =>
      sample(r, { namespace, name: 'sample', ...(meta ? { [field]: meta } : {}) });
    const other = kv.key === 'env' ? 'tier' : 'env';
    const tests: TestCase[] = [
      {
        name: `${r.kind} without ${field} gets ${kv.key}=${kv.value}`,
        object: mk(undefined),
        expect: 'mutate',
        patched: { metadata: { [field]: { [kv.key]: kv.value } } },
      },
      {
        name: `${r.kind} with another ${word} keeps it and gets ${kv.key}`,
        object: mk({ [other]: 'x' }),
        expect: 'mutate',
        patched: { metadata: { [field]: { [kv.key]: kv.value, [other]: 'x' } } },
      },
      {
        name: `${r.kind} with its own ${kv.key} keeps it`,
        object: mk({ [kv.key]: `${kv.value}-own` }),
        expect: 'allow',
      },
      {
        name: `${r.kind} already ${kv.key}=${kv.value} is left alone`,
        object: mk({ [kv.key]: value }),
        expect: 'allow',
      },
      ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
    ];
    return {
      polarity: 'mutate',
      family: 'metadata-default',
      summary: `new ${r.kind} objects get ${word} ${kv.key}=${kv.value} unless they have one`,
      target: targetFor([r], ['CREATE'], 'Mutating', ctx.namespaces),
      steps: [step(word === 'label' ? 'getLabel' : 'getAnnotation', `read a ${word}`)],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}const obj = request.object;
if (obj && ${word === 'label' ? 'getLabel' : 'getAnnotation'}(obj, ${js(kv.key)}) === undefined) {
  obj.metadata = obj.metadata || {};
  obj.metadata.${field} = Object.assign({}, obj.metadata.${field} || {}, { ${js(kv.key)}: ${js(kv.value)} });
  mutate(obj);
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Labels and annotations

function metadataTargets(ctx: FamilyContext): ApiResource[] {
  const named = subjectResources(ctx);
  if (named.length) return named.slice(0, 3);
  return [];
}

/**
 * "immutable" in a label rule: a rule on changes (immutable-metadata's), or a key or value named so ("the label
 * immutable"). The reader counts the word as a negation, so metadata-required and metadata-forbidden read it as the
 * opposite polarity ("The label team must be immutable" banned the label); neither reads it.
 */
const IMMUTABLE_WORD = /\bimmutable\b/i;

const metadataRequired: OfflineFamily = {
  id: 'metadata-required',
  title: 'labels / annotations required (present, non-empty, or a given value)',
  examples: [
    "Every Deployment must carry a non-empty 'team' label.",
    'Namespaces must have the annotation owner.',
    'The label env of Pods must be dev, staging or prod.',
  ],
  phrases: [
    KEY_VALUE_LIST,
    SET_TO_VALUE,
    META_PHRASE,
    /\bnon-?empty\b/i,
    /\bwith\s+(?:some|a|any)\s+value\b/i,
    /\bkeys?\b/i,
    /\bbear\b/i,
    // "Deny Namespaces missing the annotation owner": the key's absence is the offence, a negation (as "without")
    [/\b(?:missing|lacking|lacks?)\b/i, 'not'],
  ],
  match: (ctx) => {
    const t = ctx.text;
    const word = metaWord(t);
    if (!word || IMMUTABLE_WORD.test(t)) return undefined;
    // Whether the statement requires or forbids is its polarity (reading.ts), checked against this family's.
    const resources = metadataTargets(ctx);
    const list = keyList(ctx, word);
    if (list && resources.length) return metadataKeysRule(ctx, resources, word, list);
    // "The label env must be dev, staging or prod": one of the values named. A namespace phrase inside the sentence
    // ("of Pods in the shop namespace must be …") is the reader's, as it is when the words are placed; left in, the
    // list went unread and any non-empty value passed.
    const allowed = keyValueListNear(removeNamespacePhrases(t, [...ctx.namespaces, ...ctx.excluded]), word);
    if (allowed) {
      if (ctx.negated || keyIsPrefix(allowed.key) || !resources.length) return undefined;
      return metadataRule(ctx, resources, word, allowed, 'required');
    }
    // A value list said ("The pod label must be one of a or b") whose key or values could not be taken: read as a
    // bare key, the list's words would be placed and dropped.
    if (KEY_VALUE_LIST.test(t)) return undefined;
    const kv = singleKeyValue(t, word);
    // "must have the label pod-security.kubernetes.io": which key under the prefix is meant is not said.
    if (!kv || kv.prefix || !resources.length) return undefined;
    return metadataRule(ctx, resources, word, kv, 'required');
  },
};

/**
 * Where a label or annotation rule reads the metadata it checks. Pods alone: the pod's own, and a pod controller's pod
 * template (`pod`), as the pod-spec rules do (workloads()). Pods among other kinds ("All Pods and Services must have
 * the label app"): each named kind's own metadata, and a pod controller's pod template too (`subjects`, the list to
 * check): a Deployment's pods are Pods, so its template must pass, and a controller named as well ("Pods and
 * Deployments …") must pass on itself as well as on its template. `templates` are the controllers reached.
 */
function metadataSubjects(
  ctx: FamilyContext,
  resources: ApiResource[],
): { templates: ApiResource[]; many: boolean; prelude: string } {
  if (!resources.some((x) => x.kind === 'Pod') || !ctx.podControllers)
    return { templates: [], many: false, prelude: '' };
  const templates = podControllerKinds(ctx);
  if (resources.length === 1)
    return { templates, many: false, prelude: `${POD_META_JS}const pod = { metadata: podMeta };\n` };
  const own = resources.map((x) => x.kind);
  const through = templates.map((x) => x.kind);
  return {
    templates,
    many: true,
    prelude: `${POD_META_JS}const kind = request.object && request.object.kind;
const subjects = [];
if (${js(own)}.indexOf(kind) >= 0) subjects.push(request.object);
if (${js(through)}.indexOf(kind) >= 0) subjects.push({ metadata: podMeta });
`,
  };
}

/**
 * A pod controller for a label or annotation case: `own` on itself, `meta` on its pod template. The sample selects its
 * pods by the label app, which its template then always carries; when the label app is one of the `keys` the case is
 * about, it selects by another label, or a template without app (or a controller with app only on itself) could not be written.
 */
function controllerSample(
  c: ApiResource,
  namespace: string,
  field: 'labels' | 'annotations',
  meta: Record<string, string> | undefined,
  own: Record<string, string> | undefined,
  keys: readonly string[],
): KubeObject {
  const obj = sample(c, {
    namespace,
    name: 'app',
    ...(own ? { [field]: own } : {}),
    ...(meta ? { template: { [field]: meta } } : {}),
  });
  const spec = obj.spec as
    { selector?: { matchLabels?: unknown }; template?: { metadata?: { labels?: unknown } } } | undefined;
  if (field !== 'labels' || !keys.includes('app') || !spec?.selector?.matchLabels || !spec.template?.metadata)
    return obj;
  const selector = ['workload', 'component', 'instance'].find((x) => !keys.includes(x)) ?? 'workload';
  spec.selector.matchLabels = { [selector]: 'app' };
  spec.template.metadata.labels = { [selector]: 'app', ...meta };
  return obj;
}

/** One key of a list, as written: `app`, `'team'`, `env=prod`. */
const LIST_KEY = String.raw`[\`'"\u2018\u2019\u201c\u201d]?([A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?)(?:=([A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?))?[\`'"\u2018\u2019\u201c\u201d]?`;

/** Words that stand where a key of a list would, without being one ("the label app and must …"). */
const NOT_LIST_KEYS = new Set(
  `a an the this that these those any all every each both either neither one its their and or but not no nor must should
   shall may can be is are have has carry carries set sets also only other another same non-empty nonempty empty valid
   value values key keys label labels annotation annotations`.split(/\s+/),
);

/**
 * The keys a requirement lists: "the labels app and team", "the annotations owner and cost-center", "both an app
 * label and an owner label", "the app, team and owner labels". Joined by "and", every key is required; by "or" (no
 * "either"), at least one. Undefined unless the statement is a plain requirement about one metadata word: a negation
 * ("without the labels a and b", "must not have …") leaves open whether the pair or each key is meant, "and" mixed
 * with "or" has no one reading, and a value in an "or" list, a repeated key, a prefix or a kind is refused.
 */
function keyList(ctx: FamilyContext, word: 'label' | 'annotation'): { keys: KeyValue[]; any: boolean } | undefined {
  const t = ctx.text;
  if (/\bannotat/i.test(t) && /\blabel/i.test(t)) return undefined;
  if (
    /\b(?:not|no|never|without|nobody|none|nothing|cannot|deny|denies|denied|block\w*|forbid\w*|disallow\w*|prevent\w*|reject\w*|prohibit\w*|refuse\w*|missing|lack\w*|unless|except\w*)\b|n['\u2019]t\b/i.test(
      t,
    )
  )
    return undefined;
  const w = `${word}s?`;
  const sep = String.raw`(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)`;
  const end = String.raw`(?=\s*(?:[.;!,]|$)|\s+(?:in|on|for|across)\s)`;
  const det = String.raw`(?:an?|the)\s+`;
  const forms = [
    // the labels app and team / the label env=prod and tier=web
    new RegExp(String.raw`\b${w}\s+((?:${LIST_KEY}${sep})+${LIST_KEY})${end}`, 'gi'),
    // both an app label and an owner label
    new RegExp(String.raw`\b(?:both\s+)?((?:${det}${LIST_KEY}\s+${word}${sep})+${det}${LIST_KEY}\s+${word})\b`, 'gi'),
    // the label app and the label team
    new RegExp(
      String.raw`\b(?:both\s+)?((?:(?:${det})?${word}\s+${LIST_KEY}${sep})+(?:${det})?${word}\s+${LIST_KEY})${end}`,
      'gi',
    ),
    // the app and team labels
    new RegExp(String.raw`\b(?:the|both)\s+((?:${LIST_KEY}${sep})+${LIST_KEY})\s+${word}s\b`, 'gi'),
  ];
  const found = forms.flatMap((re) => [...t.matchAll(re)].map((m) => m[1]));
  if (found.length !== 1) return undefined;
  const list = found[0];
  const joins = [...list.matchAll(/\b(and|or)\b/gi)].map((m) => m[1].toLowerCase());
  if (new Set(joins).size > 1) return undefined;
  const keys: KeyValue[] = [];
  const item = new RegExp(String.raw`^(?:(?:an?|the)\s+)?(?:${word}\s+)?${LIST_KEY}(?:\s+${word})?$`, 'i');
  for (const part of list.split(new RegExp(sep, 'i'))) {
    const m = item.exec(part.trim());
    if (!m) return undefined;
    const key = m[1];
    if (NOT_LIST_KEYS.has(key.toLowerCase()) || keyIsPrefix(key) || resourcesIn(key, ctx.catalog).length)
      return undefined;
    if (keys.some((k) => k.key === key)) return undefined;
    keys.push({ key, ...(m[2] !== undefined ? { value: m[2] } : {}) });
  }
  const any = joins.includes('or');
  if (keys.length < 2 || (any && keys.some((k) => k.value !== undefined))) return undefined;
  // Every key=value of the statement is one of the list's (a pair elsewhere is another condition).
  const pairs = [...t.matchAll(/([A-Za-z0-9][-A-Za-z0-9_./]*)=[A-Za-z0-9]/g)].map((m) => m[1]);
  if (pairs.some((p) => !keys.some((k) => k.key === p && k.value !== undefined))) return undefined;
  return { keys, any };
}

/**
 * Several keys required at once ("the labels app and team": each one; "app or team": at least one), each
 * present and non-empty, or equal to the value given. Pods cover the pod template of every pod controller, as
 * metadataRule does.
 */
function metadataKeysRule(
  ctx: FamilyContext,
  resources: ApiResource[],
  word: 'label' | 'annotation',
  list: { keys: KeyValue[]; any: boolean },
): FamilySolution {
  const r = resources[0];
  const field = word === 'label' ? 'labels' : 'annotations';
  const getter = word === 'label' ? 'getLabel' : 'getAnnotation';
  const ns = homeNamespace(ctx);
  const v = violation(ctx);
  const verb = v === 'warn' ? 'warned' : 'denied';
  const { keys, any } = list;
  const shown = (k: KeyValue): string => (k.value === undefined ? k.key : `${k.key}=${k.value}`);
  const good = (k: KeyValue): string => k.value ?? 'x';
  const all: Record<string, string> = Object.fromEntries(keys.map((k) => [k.key, good(k)]));
  const only = (k: KeyValue): Record<string, string> => ({ [k.key]: good(k) });
  const without = (k: KeyValue): Record<string, string> =>
    Object.fromEntries(keys.filter((x) => x !== k).map((x) => [x.key, good(x)]));
  const otherKey = ['tier', 'zone', 'extra'].find((x) => !keys.some((k) => k.key === x)) ?? 'extra-key';
  const mk = (meta: Record<string, string> | undefined, namespace = ns): KubeObject =>
    sample(r, { namespace, name: 'sample', ...(meta ? { [field]: meta } : {}) });
  const { templates: podTemplates, many, prelude } = metadataSubjects(ctx, resources);
  const namedToo = (c: ApiResource): boolean => many && resources.some((x) => x.kind === c.kind);
  const withTemplate = (c: ApiResource, meta: Record<string, string> | undefined, own?: Record<string, string>) =>
    controllerSample(
      c,
      ns,
      field,
      meta,
      own,
      keys.map((k) => k.key),
    );
  const listed = (join: string): string =>
    `${keys.slice(0, -1).map(shown).join(', ')} ${join} ${shown(keys[keys.length - 1])}`;
  const names = listed(any ? 'or' : 'and');
  const tests: TestCase[] = any
    ? [
        ...keys.map((k) => ({
          name: `${r.kind} with only the ${word} ${k.key} is allowed`,
          object: mk(only(k)),
          expect: 'allow' as const,
        })),
        { name: `${r.kind} with ${listed('and')} is allowed`, object: mk(all), expect: 'allow' },
        {
          name: `${r.kind} with none of ${names} is ${verb}`,
          object: mk({ [otherKey]: 'web' }),
          expect: v,
          message: keys[0].key,
        },
        { name: `${r.kind} without ${field} is ${verb}`, object: mk(undefined), expect: v },
        {
          name: `${r.kind} whose only one, ${keys[0].key}, is empty is ${verb}`,
          object: mk({ [keys[0].key]: '' }),
          expect: v,
        },
        ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
        updateCase(
          `removing the ${word} ${keys[0].key}, the only one, is ${verb}`,
          mk(only(keys[0])),
          mk(undefined),
          v,
        ),
      ]
    : [
        { name: `${r.kind} with ${names} is allowed`, object: mk(all), expect: 'allow' },
        ...keys.map((k) => ({
          name: `${r.kind} without the ${word} ${k.key} (the others set) is ${verb}`,
          object: mk(without(k)),
          expect: v,
          message: k.key,
        })),
        ...keys
          .filter((k) => k.value !== undefined)
          .map((k) => ({
            name: `${r.kind} with ${k.key}=${k.value}-other is ${verb}`,
            object: mk({ ...all, [k.key]: `${k.value}-other` }),
            expect: v,
          })),
        ...keys
          .filter((k) => k.value === undefined)
          .slice(0, 1)
          .map((k) => ({
            name: `${r.kind} with an empty ${k.key} is ${verb}`,
            object: mk({ ...all, [k.key]: '' }),
            expect: v,
          })),
        { name: `${r.kind} with other ${field} only is ${verb}`, object: mk({ [otherKey]: 'web' }), expect: v },
        { name: `${r.kind} without ${field} is ${verb}`, object: mk(undefined), expect: v },
        ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
        updateCase(
          `removing the ${word} ${keys[keys.length - 1].key} is ${verb}`,
          mk(all),
          mk(without(keys[keys.length - 1])),
          v,
        ),
      ];
  for (const x of resources.slice(1)) {
    const obj = (meta: Record<string, string> | undefined): KubeObject =>
      sample(x, { namespace: ns, name: 'sample', ...(meta ? { [field]: meta } : {}) });
    tests.push(
      { name: `${x.kind} with ${names} is allowed`, object: obj(all), expect: 'allow' },
      any
        ? { name: `${x.kind} without ${field} is ${verb}`, object: obj(undefined), expect: v }
        : { name: `${x.kind} without the ${word} ${keys[0].key} is ${verb}`, object: obj(without(keys[0])), expect: v },
    );
  }
  for (const c of podTemplates.filter((x) => x.kind === 'Deployment' || x.kind === 'CronJob' || namedToo(x)))
    tests.push(
      {
        name: `a ${c.kind} with ${names} on itself, not on its pod template, is ${verb}`,
        object: withTemplate(c, undefined, all),
        expect: v,
      },
      // A controller named beside Pods is checked on itself too.
      namedToo(c)
        ? {
            name: `a ${c.kind} (named too) whose pod template has ${names}, not itself, is ${verb}`,
            object: withTemplate(c, all),
            expect: v,
          }
        : {
            name: `a ${c.kind} whose pod template has ${any ? `only ${keys[keys.length - 1].key}` : names} is allowed`,
            object: withTemplate(c, any ? only(keys[keys.length - 1]) : all),
            expect: 'allow',
          },
      ...(namedToo(c)
        ? [
            {
              name: `a ${c.kind} with ${names} on itself and on its pod template is allowed`,
              object: withTemplate(c, all, all),
              expect: 'allow' as const,
            },
          ]
        : []),
      ...(any
        ? []
        : [
            {
              name: `a ${c.kind} whose pod template lacks ${keys[0].key} is ${verb}`,
              object: withTemplate(c, without(keys[0])),
              expect: v,
            },
          ]),
    );
  const outsider = ctx.catalog.byKind('v1', resources.some((x) => x.kind === 'ConfigMap') ? 'Secret' : 'ConfigMap');
  if (outsider)
    tests.push({
      name: `a ${outsider.kind} without ${field} is not this policy's business`,
      object: sample(outsider, { namespace: ns, name: 'other' }),
      expect: 'allow',
    });
  const kinds = resources.map((x) => x.kind).join(', ');
  const message = any
    ? `${kinds} objects must carry at least one of the ${field} ${keys.map((k) => k.key).join(', ')} (non-empty)`
    : `${kinds} objects must carry every one of the ${field} ${keys.map((k) => (k.value === undefined ? `${k.key} (non-empty)` : `${k.key}=${k.value}`)).join(', ')}`;
  const subject = podTemplates.length ? 'pod' : 'request.object';
  const wanted = keys.map((k) => [k.key, k.value ?? null]);
  return {
    polarity: 'require',
    family: 'metadata-required',
    summary: message,
    target: targetFor([...resources, ...podTemplates], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
    steps: [
      step(getter, `read a ${word}`),
      ...(ctx.namespaces.length ? [step('inNamespaces', 'the request is in one of the named namespaces')] : []),
    ],
    tests,
    javascript: many
      ? `${namespaceGuard(ctx, resources)}${prelude}const wanted = ${js(wanted)};
const missingOn = function (subject) {
  return wanted.filter(function (kv) {
    const value = ${getter}(subject, kv[0]);
    return kv[1] === null ? value === undefined || value === null || String(value).trim() === '' : value !== kv[1];
  }).map(function (kv) { return kv[1] === null ? kv[0] : kv[0] + '=' + kv[1]; });
};
const missing = subjects.map(missingOn).filter(function (m) {
  return ${any ? 'm.length === wanted.length' : 'm.length > 0'};
})[0];
if (missing) {
  ${act(ctx, `${js(`${message}; missing: `)} + missing.join(', ')`)}
}
`
      : `${namespaceGuard(ctx, resources)}${prelude}const wanted = ${js(wanted)};
const missing = wanted.filter(function (kv) {
  const value = ${getter}(${subject}, kv[0]);
  return kv[1] === null ? value === undefined || value === null || String(value).trim() === '' : value !== kv[1];
}).map(function (kv) { return kv[1] === null ? kv[0] : kv[0] + '=' + kv[1]; });
if (${any ? 'missing.length === wanted.length' : 'missing.length > 0'}) {
  ${act(ctx, `${js(`${message}; missing: `)} + missing.join(', ')`)}
}
`,
  };
}

const metadataForbidden: OfflineFamily = {
  id: 'metadata-forbidden',
  title: 'labels / annotations forbidden (a key, or a key=value), optionally in named namespaces',
  examples: [
    "Deny pods with the label 'env=prod' in the 'test' namespace.",
    'Services must not carry the annotation expose=public.',
  ],
  phrases: [SET_TO_VALUE, META_PHRASE, /\bkeys?\b/i],
  match: (ctx) => {
    const word = metaWord(ctx.text);
    if (!word || !ctx.negated) return undefined;
    // "The label team must be immutable": a rule on changes (immutable-metadata's); its "immutable", counted as a
    // negation, read as the label banned.
    if (IMMUTABLE_WORD.test(ctx.text)) return undefined;
    const kv = singleKeyValue(ctx.text, word);
    const resources = metadataTargets(ctx);
    if (!kv || !resources.length) return undefined;
    return metadataRule(ctx, resources, word, kv, 'forbidden');
  },
};

function metadataRule(
  ctx: FamilyContext,
  resources: ApiResource[],
  word: 'label' | 'annotation',
  kv: KeyValue,
  mode: 'required' | 'forbidden',
): FamilySolution {
  const r = resources[0];
  const field = word === 'label' ? 'labels' : 'annotations';
  const getter = word === 'label' ? 'getLabel' : 'getAnnotation';
  const ns = homeNamespace(ctx);
  const mk = (meta: Record<string, string> | undefined, namespace = ns): KubeObject =>
    sample(r, { namespace, name: 'sample', ...(meta ? { [field]: meta } : {}) });
  const what = kv.values
    ? `${word} ${kv.key} (one of ${kv.values.join(', ')})`
    : kv.value === undefined
      ? `${word} ${kv.key}`
      : `${word} ${kv.key}=${kv.value}`;
  const good = kv.values?.[kv.values.length - 1] ?? kv.value ?? 'x';
  const otherValue = kv.values ? `${kv.values[0]}-other` : kv.value === undefined ? undefined : `${kv.value}-other`;
  const v = violation(ctx);
  const otherKey = kv.key === 'app' ? 'tier' : 'app';
  // A documented prefix ("container.apparmor.security.beta.kubernetes.io") stands for every key under it.
  const key = kv.prefix ? `${kv.key}/app` : kv.key;
  // A rule on Pods covers the pod template of every pod controller, as the pod-spec rules do (workloads()): a
  // Deployment whose template breaks it would only create pods that are denied. A controller's own metadata is not
  // its pods' (unless the controller is named too: metadataSubjects).
  const { templates: podTemplates, many, prelude } = metadataSubjects(ctx, resources);
  const withTemplate = (c: ApiResource, meta: Record<string, string> | undefined, own?: Record<string, string>) =>
    controllerSample(c, ns, field, meta, own, [key]);
  const tests: TestCase[] =
    mode === 'forbidden'
      ? [
          {
            name: `${r.kind} with ${what} is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: mk({ [key]: good }),
            expect: v,
            message: kv.key,
          },
          ...(otherValue
            ? [
                {
                  name: `${r.kind} with ${kv.key}=${otherValue} is allowed`,
                  object: mk({ [key]: otherValue }),
                  expect: 'allow' as const,
                },
              ]
            : []),
          { name: `${r.kind} without ${field} is allowed`, object: mk(undefined), expect: 'allow' },
          { name: `${r.kind} with other ${field} only is allowed`, object: mk({ [otherKey]: 'web' }), expect: 'allow' },
          ...(kv.prefix
            ? [
                {
                  name: `${r.kind} with another key under ${kv.key}/ is ${v === 'warn' ? 'warned' : 'denied'}`,
                  object: mk({ [otherKey]: 'web', [`${kv.key}/sidecar`]: good }),
                  expect: v,
                },
                {
                  name: `${r.kind} with a look-alike key x${kv.key}/app is allowed`,
                  object: mk({ [`x${kv.key}/app`]: good }),
                  expect: 'allow' as const,
                },
              ]
            : []),
          ...scopeCases(r, ctx, (o) => mk({ [key]: good }, o.namespace)),
          updateCase(
            `${word === 'label' ? 'relabelling' : 'annotating'} to ${what} is ${v === 'warn' ? 'warned' : 'denied'}`,
            mk(otherValue ? { [key]: otherValue } : undefined),
            mk({ [key]: good }),
            v,
          ),
        ]
      : [
          { name: `${r.kind} with ${kv.key}=${good} is allowed`, object: mk({ [key]: good }), expect: 'allow' },
          {
            name: `${r.kind} without ${field} is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: mk(undefined),
            expect: v,
            message: kv.key,
          },
          {
            name: `${r.kind} with an empty ${kv.key} is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: mk({ [key]: '' }),
            expect: v,
          },
          {
            name: `${r.kind} with other ${field} only is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: mk({ [otherKey]: 'web' }),
            expect: v,
          },
          ...(otherValue
            ? [
                {
                  name: `${r.kind} with ${kv.key}=${otherValue} is ${v === 'warn' ? 'warned' : 'denied'}`,
                  object: mk({ [key]: otherValue }),
                  expect: v,
                },
              ]
            : []),
          ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
          updateCase(
            `removing the ${word} ${kv.key} is ${v === 'warn' ? 'warned' : 'denied'}`,
            mk({ [key]: good }),
            mk(undefined),
            v,
          ),
        ];
  // Every other kind the statement names gets the rule too ("pods and services with the label …").
  for (const x of resources.slice(1)) {
    const obj = (meta: Record<string, string> | undefined): KubeObject =>
      sample(x, { namespace: ns, name: 'sample', ...(meta ? { [field]: meta } : {}) });
    tests.push(
      mode === 'forbidden'
        ? {
            name: `${x.kind} with ${what} is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: obj({ [key]: good }),
            expect: v,
          }
        : {
            name: `${x.kind} without ${field} is ${v === 'warn' ? 'warned' : 'denied'}`,
            object: obj(undefined),
            expect: v,
          },
    );
  }
  // A controller named beside Pods is checked on itself too: its own metadata then counts.
  const namedToo = (c: ApiResource): boolean => many && resources.some((x) => x.kind === c.kind);
  for (const c of podTemplates.filter((x) => x.kind === 'Deployment' || x.kind === 'CronJob' || namedToo(x)))
    tests.push(
      ...(mode === 'forbidden'
        ? [
            {
              name: `a ${c.kind} whose pod template has ${what} is ${v === 'warn' ? 'warned' : 'denied'}`,
              object: withTemplate(c, { [key]: good }),
              expect: v,
            },
            namedToo(c)
              ? {
                  name: `a ${c.kind} (named too) with ${what} on itself, not on its pod template, is ${v === 'warn' ? 'warned' : 'denied'}`,
                  object: withTemplate(c, undefined, { [key]: good }),
                  expect: v,
                }
              : {
                  name: `a ${c.kind} with ${what} on itself, not on its pod template, is allowed`,
                  object: withTemplate(c, undefined, { [key]: good }),
                  expect: 'allow' as const,
                },
          ]
        : [
            {
              name: `a ${c.kind} with ${what} on itself, not on its pod template, is ${v === 'warn' ? 'warned' : 'denied'}`,
              object: withTemplate(c, undefined, { [key]: good }),
              expect: v,
            },
            namedToo(c)
              ? {
                  name: `a ${c.kind} (named too) with ${what} on its pod template, not on itself, is ${v === 'warn' ? 'warned' : 'denied'}`,
                  object: withTemplate(c, { [key]: good }),
                  expect: v,
                }
              : {
                  name: `a ${c.kind} whose pod template has ${what} is allowed`,
                  object: withTemplate(c, { [key]: good }),
                  expect: 'allow' as const,
                },
            ...(namedToo(c)
              ? [
                  {
                    name: `a ${c.kind} with ${what} on itself and on its pod template is allowed`,
                    object: withTemplate(c, { [key]: good }, { [key]: good }),
                    expect: 'allow' as const,
                  },
                ]
              : []),
          ]),
    );
  // Another kind carrying the same metadata is outside the scope.
  const outsider = ctx.catalog.byKind('v1', resources.some((x) => x.kind === 'ConfigMap') ? 'Secret' : 'ConfigMap');
  if (outsider) {
    tests.push({
      name: `a ${outsider.kind} ${mode === 'forbidden' ? `with ${what}` : `without ${field}`} is not this policy's business`,
      object: sample(outsider, {
        namespace: ns,
        name: 'other',
        ...(mode === 'forbidden' ? { [field]: { [key]: good } } : {}),
      }),
      expect: 'allow',
    });
  }
  const cond =
    mode === 'forbidden'
      ? kv.value === undefined
        ? `value !== undefined`
        : `value === ${js(kv.value)}`
      : kv.values
        ? `${js(kv.values)}.indexOf(value) < 0`
        : kv.value === undefined
          ? `value === undefined || value === null || String(value).trim() === ''`
          : `value !== ${js(kv.value)}`;
  const kinds = resources.map((x) => x.kind).join(', ');
  const under = kv.prefix ? ` (any key ${kv.key}/…)` : '';
  // The pod's metadata: a Pod's own, a controller's pod template's (and, among other kinds, each one's own).
  const subject = podTemplates.length ? 'pod' : 'request.object';
  const message =
    mode === 'forbidden'
      ? `${kinds} objects with ${what}${under} are not allowed${ctx.namespaces.length ? ` in namespace ${ctx.namespaces.join(', ')}` : ''}`
      : kv.values
        ? `${kinds} objects must carry the ${word} ${kv.key} with one of the values ${kv.values.join(', ')}`
        : `${kinds} objects must carry a non-empty ${what}`;
  return {
    polarity: mode === 'forbidden' ? 'forbid' : 'require',
    family: mode === 'forbidden' ? 'metadata-forbidden' : 'metadata-required',
    summary: message,
    target: targetFor([...resources, ...podTemplates], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
    steps: [
      kv.prefix
        ? step(`${field} under ${kv.key}/`, `every ${word} key under the prefix`, false)
        : step(getter, `read a ${word}`),
      ...(ctx.namespaces.length ? [step('inNamespaces', 'the request is in one of the named namespaces')] : []),
    ],
    tests,
    javascript: kv.prefix
      ? many
        ? `${namespaceGuard(ctx, resources)}${prelude}const keys = [];
for (const subject of subjects) {
  const found = subject && subject.metadata && subject.metadata.${field};
  for (const k of Object.keys(found && typeof found === 'object' ? found : {})) {
    if ((k === ${js(kv.key)} || k.indexOf(${js(`${kv.key}/`)}) === 0)${kv.value === undefined ? '' : ` && found[k] === ${js(kv.value)}`} && keys.indexOf(k) < 0) keys.push(k);
  }
}
if (keys.length > 0) {
  ${act(ctx, `${js(`${message}: `)} + keys.join(', ')`)}
}
`
        : `${namespaceGuard(ctx, resources)}${prelude}const found = ${subject} && ${subject}.metadata && ${subject}.metadata.${field};
const keys = Object.keys(found && typeof found === 'object' ? found : {}).filter(function (k) {
  return (k === ${js(kv.key)} || k.indexOf(${js(`${kv.key}/`)}) === 0)${kv.value === undefined ? '' : ` && found[k] === ${js(kv.value)}`};
});
if (keys.length > 0) {
  ${act(ctx, `${js(`${message}: `)} + keys.join(', ')`)}
}
`
      : many
        ? `${namespaceGuard(ctx, resources)}${prelude}const offending = subjects.some(function (subject) {
  const value = ${getter}(subject, ${js(kv.key)});
  return ${cond};
});
if (offending) {
  ${act(ctx, js(message))}
}
`
        : `${namespaceGuard(ctx, resources)}${prelude}const value = ${getter}(${subject}, ${js(kv.key)});
if (${cond}) {
  ${act(ctx, js(message))}
}
`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Services, ingresses, replicas, RBAC, deletion, immutable fields, field equality

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

/** "(the) (type) ClusterIP", "type `NodePort`": a Service type named after a verb that limits to it. */
const TO_SERVICE_TYPE = String.raw`\s+(?:the\s+)?(?:types?\s+)?[\`'"]?(?:ClusterIP|NodePort|LoadBalancer|ExternalName)\b`;
/**
 * "This policy restricts Services to type ClusterIP", "Services are restricted to the ClusterIP type": only the types
 * named, as "only ClusterIP Services are allowed" says. Not "restricts NodePort Services" (no "to": a ban, read so).
 */
const RESTRICT_SERVICES_TO = new RegExp(
  String.raw`\brestrict(?:s|ed)?\b(?=\s+(?:(?:all|the)\s+)?services?\s+to${TO_SERVICE_TYPE}|\s+to${TO_SERVICE_TYPE})`,
  'i',
);

const serviceType: OfflineFamily = {
  id: 'service-type',
  title: 'Service types forbidden (or only some allowed)',
  examples: ['Services of type NodePort are not allowed.', 'Only ClusterIP services are allowed.'],
  phrases: [
    /\bonly\b(?=\s+(?:services?\s+of\s+type\s+|(?:type\s+)?(?:ClusterIP|NodePort|LoadBalancer|ExternalName)\b))/i,
    // "Services should only use (be of) the ClusterIP type": the allow-list said as what a Service does
    new RegExp(String.raw`\bonly\b(?=\s+(?:use|be\s+of)${TO_SERVICE_TYPE})`, 'i'),
    RESTRICT_SERVICES_TO,
    // "Services of a type other than ClusterIP are not allowed": only ClusterIP (read with the negation it carries).
    [
      /(?:\b(?:of\s+)?(?:an?\s+)?types?\s+|(?<=\bservices?\s+))other\s+than\b(?=\s+[`'"]?(?:ClusterIP|NodePort|LoadBalancer|ExternalName)\b)/i,
      'not',
    ],
    /\b(?:ClusterIP|NodePort|LoadBalancer|ExternalName)\b/i,
    /\bservice\s+types?\b/i,
  ],
  match: (ctx) => {
    const svc = ctx.catalog.byKind('v1', 'Service');
    if (!svc || !/\bservices?\b/i.test(ctx.text)) return undefined;
    const named = SERVICE_TYPES.filter((s) => new RegExp(`\\b${s}\\b`, 'i').test(ctx.text));
    if (named.length === 0) return undefined;
    // "Services must be of type ClusterIP (or NodePort)", "… must use the type ClusterIP": the allow-list said as a need
    // (never "… ClusterIP and NodePort", which no Service can be)
    const required =
      !ctx.negated &&
      /\b(?:must|should|shall|need\s+to|needs\s+to)\s+(?:be\s+of\s+(?:the\s+)?type|use\s+(?:the\s+)?type)\s+[`'"]?(?:ClusterIP|NodePort|LoadBalancer|ExternalName)\b/i.test(
        ctx.text,
      ) &&
      !/\b(?:ClusterIP|NodePort|LoadBalancer|ExternalName)[`'"]?,?\s+and\b/i.test(ctx.text);
    const only = /\bonly\b|\bother\s+than\b/i.test(ctx.text) || RESTRICT_SERVICES_TO.test(ctx.text) || required;
    const forbidden = only ? SERVICE_TYPES.filter((s) => !named.includes(s)) : named;
    const allowed = SERVICE_TYPES.filter((s) => !forbidden.includes(s));
    const ns = homeNamespace(ctx);
    const mk = (type: string, namespace = ns): KubeObject => sample(svc, { namespace, name: 'svc', spec: { type } });
    const v = violation(ctx);
    const tests: TestCase[] = [
      ...forbidden.map((s) => ({
        name: `a ${s} Service is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: mk(s),
        expect: v,
      })),
      ...allowed.map((s) => ({ name: `a ${s} Service is allowed`, object: mk(s), expect: 'allow' as const })),
      updateCase(
        `changing a Service to ${forbidden[0]} is ${v === 'warn' ? 'warned' : 'denied'}`,
        mk(allowed[0] ?? 'ClusterIP'),
        mk(forbidden[0]),
        v,
      ),
      ...scopeCases(svc, ctx, (o) => mk(forbidden[0], o.namespace)),
    ];
    if (!forbidden.includes('ClusterIP')) {
      const untyped = sample(svc, { namespace: ns, name: 'svc' });
      delete (untyped.spec as Record<string, unknown>).type;
      tests.push({ name: 'a Service without a type (ClusterIP) is allowed', object: untyped, expect: 'allow' });
    }
    return {
      polarity: only ? 'require' : 'forbid',
      family: 'service-type',
      summary: `Services of type ${forbidden.join(', ')} are not allowed`,
      target: targetFor([svc], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, [svc])}const type = request.object?.spec?.type || 'ClusterIP';
if (${js(forbidden)}.indexOf(type) >= 0) {
  ${act(ctx, `'Services of type ' + type + ' are not allowed'`)}
}
`,
    };
  },
};

const ingressHost: OfflineFamily = {
  id: 'ingress-host',
  title: 'Ingress hosts must end in given domains',
  examples: ['Ingress hosts must end in .example.com.'],
  phrases: [
    /\bhost\s?(?:names?)?s?\b/i,
    /\bend(?:s|ing)?\s+(?:in|with)\b/i,
    /\b(?:domains?|suffix(?:es)?|sub-?domains?)\b/i,
    /\bunder\b/i,
    /\brules?\b/i,
  ],
  match: (ctx) => {
    const ing = ctx.catalog.byKind('networking.k8s.io/v1', 'Ingress');
    if (!ing || !/\bingress(es)?\b/i.test(ctx.text) || !/\bhost(?:s|names?)?\b/i.test(ctx.text)) return undefined;
    const suffixes = hostsIn(ctx.text).filter((h) => !h.includes('/'));
    if (suffixes.length === 0) return undefined;
    // "Every Ingress rule must set a host under example.com" also requires a host, which this rule does not.
    if (REQUIRES_HOST.test(ctx.text)) return undefined;
    const ns = homeNamespace(ctx);
    const rule = (host: string): Record<string, unknown> => ({
      host,
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
    });
    const mk = (hosts: string[], namespace = ns): KubeObject =>
      sample(ing, { namespace, name: 'web', spec: { rules: hosts.map(rule) } });
    const s = suffixes[0];
    const v = violation(ctx);
    const tests: TestCase[] = [
      { name: 'a host under the domain is allowed', object: mk([`shop.${s}`]), expect: 'allow' },
      { name: 'a foreign host is denied', object: mk(['shop.example.invalid']), expect: v },
      { name: 'one bad host among good ones is denied', object: mk([`a.${s}`, 'b.evil.io']), expect: v },
      { name: 'a suffix trick without the dot is denied', object: mk([`bad${s}`]), expect: v },
      {
        name: 'a TLS host outside the domain is denied',
        object: sample(ing, {
          namespace: ns,
          name: 'web',
          spec: { rules: [rule(`a.${s}`)], tls: [{ hosts: ['x.evil.io'], secretName: 't' }] },
        }),
        expect: v,
      },
      { name: 'an Ingress without hosts is allowed', object: mk([]), expect: 'allow' },
      ...scopeCases(ing, ctx, (o) => mk(['shop.example.invalid'], o.namespace)),
    ];
    return {
      polarity: 'require',
      family: 'ingress-host',
      summary: `Ingress hosts must end in ${suffixes.join(' or ')}`,
      target: targetFor([ing], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [
        step('ingressHosts', 'every host of an Ingress, rules and TLS'),
        step('hostHasSuffix', 'a host ends in one of the domains'),
      ],
      tests,
      javascript: `${namespaceGuard(ctx, [ing])}const bad = ingressHosts(request.object).filter(function (h) { return !hostHasSuffix(h, ${js(suffixes)}); });
if (bad.length > 0) {
  ${act(ctx, `'Ingress hosts must end in ${suffixes.join(' or ')}: ' + bad.join(', ')`)}
}
`,
    };
  },
};

interface Bound {
  n: number;
  /** "more than" / "fewer than": the number itself is outside the range. */
  strict: boolean;
}

/**
 * The replica range a statement asks for, both as inclusive numbers (for the cases) and as written (for the
 * code). "must not have more than 5" is "at most 5" and "must not have fewer than 2" is "at least 2"; a negated
 * "at least", "at most" or "between" says what is forbidden in a way a single range does not capture, so it is
 * not read.
 */
function replicaBounds(
  text: string,
  negated: boolean,
): { lo?: number; hi?: number; written: { lo?: Bound; hi?: Bound } } | undefined {
  const between = /\bbetween\s+(\w+)\s+and\s+(\w+)\s+replicas?\b/i.exec(text);
  if (between) {
    const a = numberAfter(between[1], /^(\w+)$/);
    const b = numberAfter(between[2], /^(\w+)$/);
    if (negated || a === undefined || b === undefined || a > b) return undefined;
    return { lo: a, hi: b, written: { lo: { n: a, strict: false }, hi: { n: b, strict: false } } };
  }
  const atLeast = numberAfter(
    text,
    /\b(?:at least|minimum of|min(?:imum)?|no fewer than|no less than)\s+(\w+)\s+replicas?/i,
  );
  // "must not exceed 5 replicas", "The replica count of StatefulSets must not exceed 5": "exceed" is "more than" (the
  // statement's "not" makes it "at most", below)
  const moreThan =
    numberAfter(text, /(?<!\bno\s)\b(?:more than|exceeds?)\s+(\w+)\s+replicas?/i) ??
    numberAfter(
      text,
      /^\s*(?:the\s+)?(?:replica\s+count|number\s+of\s+replicas)\s+(?:of|for)\s+(?:all\s+|every\s+)?[A-Za-z]+\s+(?:must|should|shall|may|can)\s*(?:not|never)\s+exceed\s+(\d+)\s*$/i,
    );
  const atMost = numberAfter(text, /\b(?:at most|maximum of|max(?:imum)?|no more than)\s+(\w+)\s+replicas?/i);
  const fewerThan = numberAfter(text, /(?<!\bno\s)\b(?:fewer|less) than\s+(\w+)\s+replicas?/i);
  if ([atLeast, moreThan].filter((n) => n !== undefined).length > 1) return undefined;
  if ([atMost, fewerThan].filter((n) => n !== undefined).length > 1) return undefined;
  let lo: Bound | undefined =
    atLeast !== undefined
      ? { n: atLeast, strict: false }
      : moreThan !== undefined
        ? { n: moreThan, strict: true }
        : undefined;
  let hi: Bound | undefined =
    atMost !== undefined
      ? { n: atMost, strict: false }
      : fewerThan !== undefined
        ? { n: fewerThan, strict: true }
        : undefined;
  if (!lo && !hi) return undefined;
  if (negated) {
    // Only "not more than N" (at most N) and "not fewer than N" (at least N) have one plain reading.
    if ((lo && !lo.strict) || (hi && !hi.strict)) return undefined;
    [lo, hi] = [hi && { n: hi.n, strict: false }, lo && { n: lo.n, strict: false }];
  }
  const low = lo && (lo.strict ? lo.n + 1 : lo.n);
  const high = hi && (hi.strict ? hi.n - 1 : hi.n);
  if (low !== undefined && high !== undefined && low > high) return undefined;
  // "fewer than 1 replica" leaves only 0: no workload rule means that.
  if (high !== undefined && high < 1) return undefined;
  return { lo: low, hi: high, written: { lo, hi } };
}

const replicas: OfflineFamily = {
  id: 'replicas',
  title: 'minimum / maximum replicas of workloads',
  examples: [
    'Deployments in the prod namespace need at least 2 replicas.',
    'StatefulSets may have at most 5 replicas.',
  ],
  phrases: [
    // first, while its bound is still there to see
    // "This policy limits Deployments to at most 5 replicas": the verb of a bound, never a resource limit
    /\blimits?\b(?=[^.]{0,60}?\bto\s+(?:at\s+most|no\s+more\s+than|a\s+maximum\s+of)\s+\d+\s+replicas\b)/i,
    /\b(?:replica\s+count|number\s+of)\b/i,
    /\breplicas?\b/i,
    /\b(?:at\s+least|minimum\s+of|min(?:imum)?|no\s+fewer\s+than|no\s+less\s+than|more\s+than|at\s+most|maximum\s+of|max(?:imum)?|no\s+more\s+than|fewer\s+than|less\s+than)(?:\s+(?:one|two|three|four|five|six|seven|eight|nine|ten)\b)?/i,
    /\bbetween\s+\w+\s+and\b/i,
    /\bexceeds?\b/i,
  ],
  match: (ctx) => {
    if (!/\breplicas?\b/i.test(ctx.text)) return undefined;
    const bounds = replicaBounds(ctx.text, ctx.negated);
    if (!bounds) return undefined;
    const { lo, hi } = bounds;
    let resources = ctx.resources.filter((r) =>
      ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'].includes(r.kind),
    );
    const deployment = ctx.catalog.byKind('apps/v1', 'Deployment');
    if (!resources.length && deployment) resources = [deployment];
    const r = resources[0];
    if (!r) return undefined;
    const ns = homeNamespace(ctx);
    const mk = (n: number | undefined, namespace = ns): KubeObject => {
      const o = sample(r, { namespace, name: 'api' });
      if (n === undefined) delete (o.spec as Record<string, unknown>).replicas;
      else (o.spec as Record<string, unknown>).replicas = n;
      return o;
    };
    const v = violation(ctx);
    const tests: TestCase[] = [];
    const bad = lo !== undefined ? lo - 1 : (hi ?? 0) + 1;
    const goodN = lo !== undefined ? (hi !== undefined ? lo : lo + 1) : Math.max(1, hi ?? 1);
    tests.push({ name: `${goodN} replicas is allowed`, object: mk(goodN), expect: 'allow' });
    tests.push({ name: `${bad} replicas is ${v === 'warn' ? 'warned' : 'denied'}`, object: mk(bad), expect: v });
    if (lo !== undefined) tests.push({ name: `exactly ${lo} replicas is allowed`, object: mk(lo), expect: 'allow' });
    if (hi !== undefined) tests.push({ name: `exactly ${hi} replicas is allowed`, object: mk(hi), expect: 'allow' });
    if (lo !== undefined && hi !== undefined)
      tests.push({
        name: `${hi + 1} replicas is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: mk(hi + 1),
        expect: v,
      });
    if (lo !== undefined && lo > 1)
      tests.push({ name: 'no replicas field (defaults to 1) is denied', object: mk(undefined), expect: v });
    tests.push(updateCase(`scaling to ${bad} is ${v === 'warn' ? 'warned' : 'denied'}`, mk(goodN), mk(bad), v));
    tests.push(...scopeCases(r, ctx, (o) => mk(bad, o.namespace)));
    // The numbers as written ("fewer than 10" is `replicas >= 10`), so the policy uses the value the intent names.
    const { written } = bounds;
    const conds = [
      written.lo ? (written.lo.strict ? `replicas <= ${written.lo.n}` : `replicas < ${written.lo.n}`) : '',
      written.hi ? (written.hi.strict ? `replicas >= ${written.hi.n}` : `replicas > ${written.hi.n}`) : '',
    ]
      .filter(Boolean)
      .join(' || ');
    const wanted = [
      written.lo ? `${written.lo.strict ? 'more than' : 'at least'} ${written.lo.n}` : '',
      written.hi ? `${written.hi.strict ? 'fewer than' : 'at most'} ${written.hi.n}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      polarity: ctx.negated ? 'forbid' : 'require',
      family: 'replicas',
      summary: `${r.kind} objects need ${wanted} replicas`,
      target: targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, resources)}const raw = request.object?.spec?.replicas;
// An absent replicas field means 1, as the API server defaults it.
const replicas = typeof raw === 'number' ? raw : 1;
if (${conds}) {
  ${act(ctx, `'${r.kind} needs ${wanted} replicas, got ' + replicas`)}
}
`,
    };
  },
};

const HPA_MIN = /\b(?:spec\.)?minReplicas\b|\bmin(?:imum)?\s+(?:number\s+of\s+)?replicas\b/i;
const HPA_MIN_BOUND =
  /\b(?:at\s+least|no\s+(?:fewer|less)\s+than|a\s+minimum\s+of)\s+(\w+)\b|\b(\w+)\s+or\s+(?:more|greater|higher|above)\b/i;

/**
 * "HorizontalPodAutoscalers must set minReplicas to at least 2", "HPA minReplicas should be 2 or more": a lower
 * bound on spec.minReplicas. The API server defaults an unset minReplicas to 1 before admission, so unset is 1.
 */
const hpaMinReplicas: OfflineFamily = {
  id: 'hpa-min-replicas',
  title: "a lower bound on a HorizontalPodAutoscaler's minReplicas (unset is 1)",
  examples: ['HorizontalPodAutoscalers must set minReplicas to at least 2.'],
  phrases: [HPA_MIN_BOUND, HPA_MIN],
  match: (ctx) => {
    const hpa = ctx.resources.find((r) => r.kind === 'HorizontalPodAutoscaler');
    if (!hpa || ctx.resources.length !== 1 || ctx.negated || !HPA_MIN.test(ctx.text)) return undefined;
    // maxReplicas beside it is another rule.
    if (/\bmax(?:imum)?\s*replicas\b|\bmaxReplicas\b/i.test(ctx.text)) return undefined;
    // Whether an HPA that leaves minReplicas out passes must be said: the API server defaults it to 1, but a manifest
    // checked before it reaches the cluster (Polaris' own test) has none. "must set / have minReplicas …" asks for
    // the field; "minReplicas should be 2 or more" does not say, so it is not read.
    if (
      !/\b(?:must|should|shall|needs?\s+to|(?:is|are)\s+required\s+to)\s+(?:set|have|specify|define|declare)\b/i.test(
        ctx.text,
      )
    )
      return undefined;
    const m = HPA_MIN_BOUND.exec(ctx.text);
    const n = m ? numberAfter(m[1] ?? m[2], /^(\w+)$/) : undefined;
    if (n === undefined || n < 1 || !Number.isInteger(n)) return undefined;
    const ns = homeNamespace(ctx);
    const mk = (min: number | undefined, namespace = ns): KubeObject => ({
      ...sample(hpa, { namespace, name: 'web' }),
      apiVersion: `autoscaling/${hpa.versions[0]}`,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        ...(min === undefined ? {} : { minReplicas: min }),
        maxReplicas: Math.max(10, n + 5),
      },
    });
    const v = violation(ctx);
    const denied = v === 'warn' ? 'warned' : 'denied';
    const tests: TestCase[] = [
      { name: `minReplicas ${n} is allowed`, object: mk(n), expect: 'allow' },
      { name: `minReplicas ${n + 1} is allowed`, object: mk(n + 1), expect: 'allow' },
      ...(n > 1
        ? [
            { name: `minReplicas ${n - 1} is ${denied}`, object: mk(n - 1), expect: v },
            { name: `no minReplicas (defaults to 1) is ${denied}`, object: mk(undefined), expect: v },
            updateCase(`lowering minReplicas to ${n - 1} is ${denied}`, mk(n), mk(n - 1), v),
            ...scopeCases(hpa, ctx, (o) => mk(n - 1, o.namespace)),
          ]
        : []),
    ];
    if (n <= 1) return undefined;
    return {
      polarity: 'require',
      family: 'hpa-min-replicas',
      summary: `HorizontalPodAutoscalers need minReplicas of at least ${n}`,
      target: targetFor([hpa], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, [hpa])}const raw = request.object?.spec?.minReplicas;
// An absent minReplicas means 1, as the API server defaults it.
const min = typeof raw === 'number' ? raw : 1;
if (min < ${n}) {
  ${act(ctx, `'HorizontalPodAutoscalers need minReplicas of at least ${n}, got ' + min`)}
}
`,
    };
  },
};

const rbacSubjects: OfflineFamily = {
  id: 'rbac-subjects',
  title: 'only given subjects (or nobody) may be bound to a role',
  examples: [
    'Only the group platform-admins may be bound to the cluster-admin ClusterRole.',
    'Deny bindings to the cluster-admin ClusterRole.',
  ],
  phrases: [
    /\bonly\b(?=\s+(?:members\s+of\s+)?(?:the\s+)?(?:groups?|users?|service\s?accounts?)\b)/i,
    /\b(?:groups?|users?|service\s?accounts?|subjects?|members?)\b/i,
    /\b(?:bound|bind(?:s|ing|ings)?)\b/i,
    /\b(?:nobody|no one)\b/i,
    /\bto\b/i,
  ],
  match: (ctx) => {
    const m =
      /\bonly\s+(?:the\s+)?(groups?|users?|service ?accounts?)\s+(.+?)\s+(?:may|can|is allowed to|are allowed to)\s+be\s+bound\s+to\s+(?:the\s+)?['"`]?([A-Za-z0-9:._-]+)['"`]?\s*(ClusterRole|Role)?/i.exec(
        ctx.text,
      );
    // "Nobody may be bound to the cluster-admin ClusterRole" / "Deny bindings to the cluster-admin ClusterRole"
    const none = m
      ? undefined
      : /\b(?:deny|forbid|block|disallow|prevent|reject|nobody|no one|no subject)\b.*?\b(?:bind\w*|bound)\b.*?\bto\s+(?:the\s+)?['"`]?([A-Za-z0-9:._-]+)['"`]?\s+(ClusterRole|Role)\b/i.exec(
          ctx.text,
        );
    const bound = m ?? none;
    if (!bound) return undefined;
    // "… bound to ClusterRoles / any ClusterRole / a Role / privileged ClusterRoles": no role is named (a kind word, a
    // determiner, or a description before a plural kind). Read as a role's name, the rule checked bindings to a role
    // called "ClusterRoles" or "any" and admitted every other binding.
    if (m) {
      const after = ctx.text.slice(m.index + m[0].length);
      if (
        /^(?:cluster-?)?roles?$/i.test(m[3]) ||
        /^(?:any|a|an|all|every|each|some|other|these|those|such)$/i.test(m[3]) ||
        (m[4] !== undefined && /^s\b/i.test(after))
      )
        return undefined;
    }
    // "prevents binding service accounts to cluster-admin" bans one kind of subject, not every binding to the role.
    const subjectKinds = [/\busers?\b/i, /\bgroups?\b/i, /\bservice\s?accounts?\b/i].filter((re) => re.test(ctx.text));
    if (!m && subjectKinds.length > 0 && subjectKinds.length < 3) return undefined;
    const kind = m ? (/^group/i.test(m[1]) ? 'Group' : /^user/i.test(m[1]) ? 'User' : 'ServiceAccount') : 'Group';
    const names = m
      ? m[2]
          .split(/\s*(?:,|\band\b|\bor\b)\s*/)
          .map((s) => unquote(s.trim()))
          .filter(Boolean)
      : [];
    const role = m ? m[3] : bound[1];
    const roleKindWord = m ? m[4] : bound[2];
    const roleKind = roleKindWord && /^role$/i.test(roleKindWord) ? 'Role' : 'ClusterRole';
    const crb = ctx.catalog.get('rbac.authorization.k8s.io', 'clusterrolebindings');
    const rb = ctx.catalog.get('rbac.authorization.k8s.io', 'rolebindings');
    if (!crb || !rb) return undefined;
    const resources = roleKind === 'Role' ? [rb] : [crb, rb];
    const subject = (k: string, n: string): Record<string, unknown> =>
      k === 'ServiceAccount'
        ? { kind: k, name: n, namespace: 'default' }
        : { kind: k, name: n, apiGroup: 'rbac.authorization.k8s.io' };
    const mk = (
      r: typeof crb,
      roleName: string,
      subjects: Array<Record<string, unknown>>,
      namespace?: string,
    ): KubeObject =>
      sample(r, {
        name: 'binding',
        namespace: namespace ?? 'default',
        extra: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName }, subjects },
      });
    const primary = resources[0];
    const v = violation(ctx);
    const allowedSubject = names.length ? [subject(kind, names[0])] : [];
    const tests: TestCase[] = [
      ...(names.length
        ? [
            {
              name: `binding ${kind} ${names[0]} to ${role} is allowed`,
              object: mk(primary, role, allowedSubject),
              expect: 'allow' as const,
            },
          ]
        : []),
      {
        name: `binding a user to ${role} is denied`,
        object: mk(primary, role, [subject('User', 'mallory')]),
        expect: v,
      },
      {
        name: `binding a service account to ${role} is denied`,
        object: mk(primary, role, [subject('ServiceAccount', 'ci')]),
        expect: v,
      },
      {
        name: names.length ? 'mixed subjects are denied' : `binding a group to ${role} is denied`,
        object: mk(primary, role, [...allowedSubject, subject(kind === 'Group' ? 'User' : 'Group', 'someone')]),
        expect: v,
      },
      {
        name: `binding a user to another role is allowed`,
        object: mk(primary, 'view', [subject('User', 'mallory')]),
        expect: 'allow',
      },
      { name: `a binding without subjects is allowed`, object: mk(primary, role, []), expect: 'allow' },
    ];
    if (resources.includes(rb) && primary !== rb) {
      tests.push({
        name: `a RoleBinding of a user to ${role} is denied`,
        object: mk(rb, role, [subject('User', 'mallory')], 'team-a'),
        expect: v,
      });
    }
    tests.push(
      updateCase(
        `adding a user to a ${role} binding is denied`,
        mk(primary, role, allowedSubject),
        mk(primary, role, [...allowedSubject, subject('User', 'mallory')]),
        v,
      ),
      // The API server keeps its bootstrap bindings (cluster-admin -> system:masters, system:*) reconciled at start-up:
      // denying them could leave the cluster without its own admin group.
      {
        name: `the platform's own binding cluster-admin (group system:masters) is allowed`,
        object: variant(mk(primary, role, [subject('Group', 'system:masters')]), (o) => {
          (o.metadata ??= {}).name = 'cluster-admin';
        }),
        expect: 'allow',
      },
    );
    // "Deny bindings to the cluster-admin ClusterRole" bans the bindings, with or without subjects, as "Bindings to … are
    // not allowed" (binding-role-forbidden) does; "Nobody may be bound to …" speaks of subjects, and a binding without
    // any binds nobody. (Read the first way, the binding without subjects was allowed by one wording, denied by the other.)
    const bansBindings = !m && !/\b(?:nobody|no one|no subjects?)\b/i.test(ctx.text);
    if (bansBindings) {
      const empty = tests.findIndex((c) => c.name === 'a binding without subjects is allowed');
      tests[empty] = {
        name: `a binding to ${role} without subjects is denied`,
        object: mk(primary, role, []),
        expect: v,
      };
    }
    const who = names.length ? `only ${kind} ${names.join(', ')}` : 'nobody';
    return {
      polarity: m ? 'require' : 'forbid',
      placesKinds: [roleKind],
      family: 'rbac-subjects',
      summary: `${bansBindings ? `bindings to ${roleKind} ${role} are not allowed, with or without subjects` : `${who} may be bound to ${roleKind} ${role}`} (the platform's own bindings — cluster-admin, system:*, gce:*, eks:* — are left alone)`,
      target: targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', []),
      steps: [step('rbacSubjects', 'the subjects of a binding, normalised')],
      tests,
      javascript: `const binding = request.object;
const bindingName = binding?.metadata?.name || '';
const platform = bindingName === 'cluster-admin' || ${js(PLATFORM_ROLE_PREFIXES)}.some(function (p) { return bindingName.indexOf(p) === 0; });
if (!platform && binding?.roleRef?.kind === ${js(roleKind)} && binding?.roleRef?.name === ${js(role)}) {
  const others = rbacSubjects(binding).filter(function (s) { return !(s.kind === ${js(kind)} && ${js(names)}.indexOf(s.name) >= 0); });
  if (others.length > 0) {
    ${act(ctx, `'${who} may be bound to ${role}; not ' + others.map(function (s) { return s.kind + ' ' + s.name; }).join(', ')`)}
  }${
    bansBindings
      ? `
  ${act(ctx, `'bindings to the ${roleKind} ${role} are not allowed'`)}`
      : ''
  }
}
`,
    };
  },
};

/**
 * Whether a label or annotation is itself what is deleted or removed, rather than a condition on the objects
 * that may not be deleted ("with the label x", "that have the annotation y", "labelled z", "whose label …").
 */
function removesMetadata(text: string): boolean {
  const value = `(?:\\s+[\`'"]?[\\w./=-]+[\`'"]?)?`;
  const conditions = new RegExp(
    `\\b(?:with|having|carrying|bearing|whose|(?:that|which|who)\\s+(?:have|has|carry|carries|bear|bears))\\s+(?:the\\s+|an?\\s+|any\\s+)?(?:[\`'"]?[\\w./=-]+[\`'"]?\\s+)?(?:labels?|annotations?)${value}|\\b(?:labell?ed|annotated)${value}`,
    'gi',
  );
  return META_PHRASE.test(text.replace(conditions, ' '));
}

/** The role a binding refers to and, when written, the kind of role: "to the admin ClusterRole", "to cluster-admin". */
const ROLE_REF = String.raw`(?:the\s+)?['"\`]?([a-z0-9][a-z0-9:._-]*)['"\`]?(?:\s+(ClusterRoles?|Roles?|cluster\s?roles?|roles?)\b)?`;

/** Words that stand where a role's name would, without naming one. */
const NOT_A_ROLE_NAME =
  /^(?:a|an|any|all|every|each|some|no|other|another|their|its|this|that|these|those|one|certain|specific|such|same|given|named|default|(?:cluster\s?)?roles?|clusterroles?|cluster)$/i;

/** "ClusterRoleBindings to cluster-admin": the binding kind, then the role it refers to (and its kind, if said). */
const BINDING_TO_ROLE = new RegExp(
  String.raw`\b(ClusterRoleBindings?|RoleBindings?|(?:cluster\s+)?role\s?bindings?|bindings?)\s+(?:to|of|for|referencing|that\s+references?)\s+${ROLE_REF}`,
  'i',
);

/**
 * "RoleBindings must not grant the cluster-admin role", "No binding may reference cluster-admin": bindings as the
 * subject, a verb that points them at a role, and the role ending the statement (a role granted "to someone" is a
 * rule on subjects, rbac-subjects' or binding-anonymous').
 */
const BINDING_GRANTS_ROLE = new RegExp(
  String.raw`^\s*(?:no\s+|all\s+|every\s+|any\s+)?(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?|bindings?)(?:(?:\s*,\s*|\s+(?:and|or)\s+|\s*,\s*(?:and|or)\s+)(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?))*\s+(?:must|may|should|shall|can)(?:\s*not|n['\u2019]t)?(?:\s+never)?\s+(?:grant|reference|refer\s+to|bind\s+to|point\s+(?:at|to))\s+${ROLE_REF}\s*$`,
  'i',
);

/** "This policy prevents RoleBindings from granting the cluster-admin ClusterRole" (the lead read as "deny"). */
const BINDING_KEPT_FROM_ROLE = new RegExp(
  String.raw`^\s*deny\s+(?:all\s+|any\s+)?(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?|bindings?)(?:(?:\s*,\s*|\s+(?:and|or)\s+|\s*,\s*(?:and|or)\s+)(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?))*\s+from\s+(?:granting|referencing|binding\s+to|pointing\s+(?:at|to))\s+${ROLE_REF}\s*$`,
  'i',
);

/**
 * "This policy prevents binding the cluster-admin ClusterRole (with a RoleBinding or ClusterRoleBinding)" (the lead
 * read as "deny"): the role, with its kind said (so "binding users" is never a role), then the binding kinds, if any.
 */
const BINDING_KINDS_LIST = String.raw`(?:a\s+|an\s+|any\s+)?(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?)(?:(?:\s*,\s*|\s+(?:and|or)\s+|\s*,\s*(?:and|or)\s+)(?:a\s+|an\s+)?(?:(?:Cluster)?RoleBindings?|(?:cluster\s+)?role\s?bindings?))*`;
const BINDING_ROLE_WITH = new RegExp(
  String.raw`^\s*deny\s+binding\s+${ROLE_REF}(?:\s+(?:with|via|through|using|by|in)\s+${BINDING_KINDS_LIST})?\s*$`,
  'i',
);

const bindingToRole: OfflineFamily = {
  id: 'binding-role-forbidden',
  title: 'bindings to a named role forbidden outright ("ClusterRoleBindings to cluster-admin are not allowed")',
  examples: [
    'ClusterRoleBindings to cluster-admin are not allowed.',
    'RoleBindings to the admin ClusterRole are forbidden.',
    'RoleBindings must not grant the cluster-admin role.',
  ],
  phrases: [
    /\b(?:to|of|for|referencing|that\s+references?)\b/i,
    /\b(?:grant|reference|refer\s+to|bind\s+to|point\s+(?:at|to))\b/i,
    /\bfrom\s+(?:granting|referencing|binding\s+to|pointing\s+(?:at|to))\b/i,
    /\b(?:role\s?)?bindings?\b/i,
    /\bthrough\b/i,
  ],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const statement = ctx.text.replace(/[.!]+\s*$/, '');
    const withRole = BINDING_ROLE_WITH.exec(statement);
    const m =
      BINDING_TO_ROLE.exec(ctx.text) ??
      BINDING_GRANTS_ROLE.exec(statement) ??
      BINDING_KEPT_FROM_ROLE.exec(statement) ??
      withRole;
    if (!m) return undefined;
    const role = m[m.length - 2];
    const kindWord = m[m.length - 1];
    // "to any ClusterRole", "to a ClusterRole", "must not reference ClusterRoles", "to privileged ClusterRoles":
    // a determiner, a kind or an adjective ahead of a plural names no role.
    if (NOT_A_ROLE_NAME.test(role) || (kindWord && /s$/i.test(kindWord))) return undefined;
    // "ClusterRoleBindings must not reference users", "RoleBindings must not grant permissions", "Bindings to everyone
    // are forbidden": a plain word with no role kind after it and no quotes is an English noun, not a role's name (the
    // users / permissions rule was read as "no binding to a role named users"). Only the built-in roles admin, edit and
    // view are taken bare; names with -, :, . or digits ("cluster-admin") are names.
    if (!kindWord && /^[a-z]+$/i.test(role) && !/['"`]/.test(m[0]) && !/^(?:admin|edit|view)$/i.test(role))
      return undefined;
    // "binding X" names no role unless its kind is said ("binding users"); the kinds are the ones after "with"
    // (the verb "binding" is not one), else every binding.
    if (m === withRole && !kindWord) return undefined;
    const named = bindingKindsIn(m === withRole ? statement.replace(/^\s*deny\s+binding\b/i, ' ') : ctx.text);
    // "ClusterRole", "cluster role": a ClusterRole; "Role" written as the kind: a Role. A plain "role" ("the
    // cluster-admin role") or none names no kind: a RoleBinding may refer to a Role or a ClusterRole of that name,
    // and either grants it, so both are matched (a ClusterRoleBinding can only refer to a ClusterRole).
    const saidKind = !kindWord
      ? undefined
      : /^cluster\s?roles?$/i.test(kindWord)
        ? 'ClusterRole'
        : /^Roles?$/.test(kindWord)
          ? 'Role'
          : undefined;
    if (named.cluster && saidKind === 'Role') {
      // "ClusterRoleBindings to the X Role" cannot exist; "bindings to the X Role" are RoleBindings.
      if (named.namespaced && !/\bClusterRoleBindings?\b|\bcluster\s+role\s+bindings?\b/i.test(ctx.text))
        named.cluster = false;
      else return undefined;
    }
    const roleKind = saidKind ?? (named.namespaced ? undefined : 'ClusterRole');
    const crb = ctx.catalog.get('rbac.authorization.k8s.io', 'clusterrolebindings');
    const rb = ctx.catalog.get('rbac.authorization.k8s.io', 'rolebindings');
    if (!crb || !rb) return undefined;
    const resources = [...(named.cluster ? [crb] : []), ...(named.namespaced ? [rb] : [])];
    // A ClusterRoleBinding has no namespace: a namespace would scope half of the rule.
    if (ctx.namespaces.length && resources.includes(crb)) return undefined;
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const mk = (
      r: ApiResource,
      roleName: string,
      subjects: Array<Record<string, unknown>>,
      kind: string = roleKind ?? 'ClusterRole',
    ): KubeObject =>
      sample(r, {
        name: 'binding',
        namespace: 'team-a',
        extra: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects },
      });
    const user = [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }];
    const primary = resources[0];
    const shown = roleKind ?? 'ClusterRole';
    const tests: TestCase[] = [
      ...resources.map((r) => ({
        name: `a ${r.kind} to ${shown} ${role} is ${verb}`,
        object: mk(r, role, user),
        expect: v,
      })),
      // No kind said: a RoleBinding to a Role of that name grants it too.
      ...(roleKind === undefined
        ? [{ name: `a RoleBinding to a Role named ${role} is ${verb}`, object: mk(rb, role, user, 'Role'), expect: v }]
        : []),
      {
        name: `a ${primary.kind} to ${shown} ${role} without subjects is ${verb}`,
        object: mk(primary, role, []),
        expect: v,
      },
      {
        name: `a ${primary.kind} to another role is allowed`,
        object: mk(primary, `${role}-other`, user),
        expect: 'allow',
      },
      ...(roleKind === 'ClusterRole' && resources.includes(rb)
        ? [
            {
              name: `a RoleBinding to a Role named ${role} is allowed`,
              object: mk(rb, role, user, 'Role'),
              expect: 'allow' as const,
            },
          ]
        : []),
      ...(roleKind === 'Role'
        ? [
            {
              name: `a RoleBinding to the ClusterRole named ${role} is allowed`,
              object: mk(rb, role, user, 'ClusterRole'),
              expect: 'allow' as const,
            },
          ]
        : []),
      updateCase(
        `pointing a ${primary.kind} at ${role} is ${verb}`,
        mk(primary, 'view', user),
        mk(primary, role, user),
        v,
      ),
    ];
    if (!resources.includes(rb))
      tests.push({
        name: `a RoleBinding to ${shown} ${role} is not this policy's business`,
        object: mk(rb, role, user),
        expect: 'allow',
      });
    // The API server reconciles its own bindings (cluster-admin, system:*) at start-up, managed platforms
    // theirs (gce:*, eks:*): denying those writes breaks that, as rbac-rules' platform roles say.
    tests.push({
      name: `the platform's own ${primary.kind} system:test to ${role} is allowed`,
      object: { ...mk(primary, role, user), metadata: { ...mk(primary, role, user).metadata, name: 'system:test' } },
      expect: 'allow',
    });
    const kinds = resources.map((r) => `${r.kind}s`).join(' and ');
    const summary = `${kinds} whose roleRef is ${roleKind ? `the ${roleKind} ${role}` : `a Role or ClusterRole named ${role}`} are not allowed (with or without subjects; the platform's own bindings — cluster-admin, system:*, gce:*, eks:* — are left alone)`;
    return {
      polarity: 'forbid',
      placesKinds: roleKind ? [roleKind] : ['Role', 'ClusterRole'],
      family: 'binding-role-forbidden',
      summary,
      target: targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, resources)}const ref = request.object?.roleRef;
const name = request.object?.metadata?.name || '';
const platform = name === 'cluster-admin' || ${js(PLATFORM_ROLE_PREFIXES)}.some(function (p) { return name.indexOf(p) === 0; });
if (!platform && ref && ${roleKind ? `ref.kind === ${js(roleKind)}` : `(ref.kind === 'Role' || ref.kind === 'ClusterRole')`} && ref.name === ${js(role)}) {
  ${act(ctx, js(summary))}
}
`,
    };
  },
};

/** Words for a Pod that no controller or other owner created. */
const BARE_POD = /\b(?:bare|naked|standalone|unmanaged|orphan(?:ed)?)\s+pods?\b/i;
const WITHOUT_OWNER =
  /\b(?:that\s+(?:are|is)\s+)?(?:without|not\s+(?:managed|owned|created)\s+by|lacking)\s+(?:a\s+|an\s+|any\s+)?(?:controllers?|owners?|owner\s?references?|ownerReferences)\b/i;

const barePods: OfflineFamily = {
  id: 'bare-pods',
  title: 'bare Pods (no ownerReferences: not created by a controller) forbidden',
  examples: ['Bare pods without a controller are not allowed.', 'Pods must be managed by a controller.'],
  phrases: [
    WITHOUT_OWNER,
    // "must be managed by a controller": a Pod without one is the offence (read with a negation).
    [/\b(?:managed|owned|created)\s+by\s+(?:a\s+|an\s+)?(?:controllers?|owners?|workload\s+controllers?)\b/i, 'not'],
    BARE_POD,
  ],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const t = ctx.text;
    if (
      !BARE_POD.test(t) &&
      !WITHOUT_OWNER.test(t) &&
      !/\b(?:managed|owned|created)\s+by\s+(?:a\s+|an\s+)?(?:(?:workload\s+)?controllers?|owners?)\b/i.test(t)
    )
      return undefined;
    const pods = ctx.catalog.byKind('v1', 'Pod');
    if (!pods || ctx.resources.some((r) => r.kind !== 'Pod')) return undefined;
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const ns = homeNamespace(ctx);
    const owned = (refs: Array<Record<string, unknown>> | undefined, namespace = ns): KubeObject => {
      const o = sample(pods, { namespace, name: 'p' });
      if (refs) (o.metadata ??= {}).ownerReferences = refs as never;
      return o;
    };
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9', uid: 'u1', controller: true };
    const summary =
      'Pods must have an owner (metadata.ownerReferences), i.e. be created by a controller or another owner; checked when a Pod is created, so existing Pods and orphaning by the garbage collector are left alone';
    return {
      polarity: 'forbid',
      family: 'bare-pods',
      summary,
      target: targetFor([pods], ['CREATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests: [
        { name: `a Pod with no ownerReferences is ${verb}`, object: owned(undefined), expect: v },
        { name: `a Pod with an empty ownerReferences list is ${verb}`, object: owned([]), expect: v },
        { name: 'a Pod owned by a ReplicaSet is allowed', object: owned([rs]), expect: 'allow' },
        {
          name: 'a Pod owned by a Job is allowed',
          object: owned([{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u2', controller: true }]),
          expect: 'allow',
        },
        ...scopeCases(pods, ctx, (o) => owned(undefined, o.namespace)),
      ],
      javascript: `${namespaceGuard(ctx, [pods])}const refs = request.object?.metadata?.ownerReferences;
if (!Array.isArray(refs) || refs.length === 0) {
  ${act(ctx, js('Pods must be created by a controller (no ownerReferences): ') + " + String(request.object?.metadata?.name || '')")}
}
`,
    };
  },
};

const deleteProtection: OfflineFamily = {
  id: 'delete-protection',
  title: 'deletion protection (by label, annotation or name)',
  examples: ['Nobody may delete a namespace labelled protected=true.', 'Deny deleting the ConfigMaps named settings.'],
  phrases: [
    META_PHRASE,
    /\b(?:delet(?:e|es|ed|ing|ion)|remov(?:e|es|ed|ing|al))\b/i,
    /\b(?:named|called)\b/i,
    /\bprotect(?:ed|ion)?\b(?!=)/i,
  ],
  match: (ctx) => {
    // Whether it forbids is the statement's polarity (the reader's): "… is denied", "… may not be deleted" both do.
    if (!/\b(delet\w*|remov\w*)\b/i.test(ctx.text)) return undefined;
    // "Removing the team label from Deployments is not allowed" removes a label (an UPDATE), not the object.
    if (removesMetadata(ctx.text)) return undefined;
    // "Pods labelled tier=web must not be created or deleted": another operation is forbidden beside the deletion,
    // which this family would drop (a CREATE passes). Not this family's rule.
    if (
      /\b(?:creat(?:e|es|ed|ing|ion)|updat(?:e|es|ed|ing)|modif(?:y|ies|ied|ying|ication)|edit(?:s|ed|ing)?)\b/i.test(
        ctx.text,
      )
    )
      return undefined;
    const resources = subjectResources(ctx).slice(0, 1);
    if (!resources.length) return undefined;
    const r = resources[0];
    const word = metaWord(ctx.text);
    const kv = word ? keyValuesNear(ctx.text, word)[0] : undefined;
    if (kv?.prefix) return undefined;
    // "ConfigMaps named settings may not be deleted": the names end where the verb begins.
    const named = /\b(?:named|called)\s+(.+?)(?=\s+(?:may|must|can|cannot|should|shall|is|are)\b|\.|$)/i
      .exec(ctx.text)?.[1]
      .split(/\s*(?:,|\band\b|\bor\b)\s*/)
      .map((s) => unquote(s.trim()))
      .filter(Boolean);
    // "named appropriately", "named correctly": how the name is chosen, not a name.
    if (named?.some(isVagueName)) return undefined;
    const ns = homeNamespace(ctx);
    const mk = (meta?: Record<string, string>, name = 'sample', namespace = ns): KubeObject =>
      sample(r, { namespace, name, ...(meta && word ? { [word === 'label' ? 'labels' : 'annotations']: meta } : {}) });
    const v = violation(ctx);
    let cond: string;
    let what: string;
    let protectedObj: (namespace?: string) => KubeObject;
    let ordinary: KubeObject;
    const getter = word === 'annotation' ? 'getAnnotation' : 'getLabel';
    if (kv && word) {
      cond =
        kv.value === undefined
          ? `${getter}(old, ${js(kv.key)}) !== undefined`
          : `${getter}(old, ${js(kv.key)}) === ${js(kv.value)}`;
      what = `${word} ${kv.key}${kv.value === undefined ? '' : `=${kv.value}`}`;
      protectedObj = (namespace) => mk({ [kv.key]: kv.value ?? 'x' }, 'protected', namespace);
      ordinary = mk(
        kv.value === undefined ? undefined : { [kv.key]: `${kv.value === 'true' ? 'false' : `${kv.value}-other`}` },
        'ordinary',
      );
    } else if (named?.length) {
      cond = `${js(named)}.indexOf(old?.metadata?.name) >= 0`;
      what = `name ${named.join(', ')}`;
      protectedObj = (namespace) => mk(undefined, named[0], namespace);
      ordinary = mk(undefined, 'ordinary');
    } else {
      return undefined;
    }
    const tests: TestCase[] = [
      {
        name: `deleting a ${r.kind} with ${what} is denied`,
        operation: 'DELETE',
        oldObject: protectedObj(),
        expect: v,
      },
      { name: `deleting an ordinary ${r.kind} is allowed`, operation: 'DELETE', oldObject: ordinary, expect: 'allow' },
      {
        name: `deleting a ${r.kind} without ${word ?? 'metadata'}s is allowed`,
        operation: 'DELETE',
        oldObject: mk(undefined, 'bare'),
        expect: 'allow',
      },
      { name: `creating a ${r.kind} with ${what} is allowed`, object: protectedObj(), expect: 'allow' },
      ...scopeCases(r, ctx, (o) => protectedObj(o.namespace), 'DELETE'),
    ];
    if (named?.length) tests.splice(2, 1);
    return {
      polarity: 'forbid',
      family: 'delete-protection',
      summary: `${r.kind} objects with ${what} may not be deleted`,
      target: targetFor([r], ['DELETE'], 'Validating', ctx.namespaces),
      steps: kv ? [step(getter, `read a ${word}`)] : [],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}const old = request.oldObject;
if (request.operation === 'DELETE' && old && ${cond}) {
  ${act(ctx, `${js(`${r.kind} objects with ${what} may not be deleted: `)} + (old?.metadata?.name || '')`)}
}
`,
    };
  },
};

/** The operation each inflection of a verb names: "deleted", "deletion", "removing" are all DELETE. */
const OPERATION_WORDS: ReadonlyArray<{ op: 'CREATE' | 'UPDATE' | 'DELETE'; words: RegExp }> = [
  { op: 'CREATE', words: /\bcreat(?:e|es|ed|ing|ion)\b/i },
  {
    op: 'UPDATE',
    words: /\b(?:updat(?:e|es|ed|ing)|modif(?:y|ies|ied|ying|ications?)|chang(?:e|es|ed|ing)|edit(?:s|ed|ing)?)\b/i,
  },
  { op: 'DELETE', words: /\b(?:delet(?:e|es|ed|ing|ion)|remov(?:e|es|ed|ing|al))\b/i },
];

/**
 * Words that would attach a condition to "may not be deleted" ("… when they have resources", "… that use …",
 * "… by the CI user"): the reader places many of them as function words, so this family refuses them itself
 * rather than drop the condition and ban the operation outright.
 */
const OPERATION_CONDITION =
  /\b(?:if|when|whenever|where|whose|which|that|who|unless|while|with|without|having|has|have|had|contain\w*|includ\w*|carr(?:y|ies|ying)|by|use[sd]?|using|run\w*|set|sets|setting|specif\w*|defin\w*|declar\w*|resources?|fields?|attributes?|own|exist\w*|present|something|new|types?|kinds?|via|whether|also|both|then|there|every\s+namespaces?|all\s+namespaces?)\b/i;

const operationForbidden: OfflineFamily = {
  id: 'operation-forbidden',
  title: 'creating, updating or deleting a kind forbidden outright (optionally in named namespaces)',
  examples: ['ConfigMaps may not be deleted.', 'Deleting namespaces is not allowed.', 'Secrets must not be modified.'],
  phrases: OPERATION_WORDS.map((o) => new RegExp(o.words.source, 'gi')),
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const t = ctx.text;
    const operations = OPERATION_WORDS.filter((o) => o.words.test(t)).map((o) => o.op);
    // Polarity is checked by the reader: "ConfigMaps may be deleted" is refused as the opposite of a ban.
    if (!operations.length || OPERATION_CONDITION.test(t)) return undefined;
    const resources = ctx.resources;
    if (!resources.length) return undefined;
    // "Roles must not allow the deletion of secrets" is about what a role grants (RBAC), not deleting roles.
    if (
      resources.some((x) => x.kind === 'Role' || x.kind === 'ClusterRole') &&
      /\b(?:allows?|grants?|permits?|gives?)\b/i.test(t)
    )
      return undefined;
    const r = resources[0];
    const ns = homeNamespace(ctx);
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const past: Record<string, string> = { CREATE: 'created', UPDATE: 'updated', DELETE: 'deleted' };
    const mk = (x: ApiResource, namespace = ns, name = 'sample'): KubeObject => sample(x, { namespace, name });
    const request = (
      op: 'CREATE' | 'UPDATE' | 'DELETE',
      x: ApiResource,
      namespace = ns,
    ): Pick<TestCase, 'operation' | 'object' | 'oldObject'> => {
      const obj = mk(x, namespace);
      if (op === 'DELETE') return { operation: 'DELETE', oldObject: obj };
      if (op === 'UPDATE')
        return {
          operation: 'UPDATE',
          oldObject: obj,
          object: variant(obj, (o) => ((o.metadata ??= {}).labels = { changed: 'yes' })),
        };
      return { object: obj };
    };
    const tests: TestCase[] = resources.flatMap((x) =>
      operations.map((op) => ({ name: `${op} of a ${x.kind} is ${verb}`, ...request(op, x), expect: v })),
    );
    for (const op of (['CREATE', 'UPDATE', 'DELETE'] as const).filter((o) => !operations.includes(o)))
      tests.push({ name: `${op} of a ${r.kind} is allowed`, ...request(op, r), expect: 'allow' });
    const outsider = ctx.catalog.byKind('v1', resources.some((x) => x.kind === 'ConfigMap') ? 'Secret' : 'ConfigMap');
    if (outsider && !resources.includes(outsider))
      tests.push({
        name: `${operations[0]} of a ${outsider.kind} is not this policy's business`,
        ...request(operations[0], outsider),
        expect: 'allow',
      });
    if (r.namespaced) {
      const other = outsideNamespace(ctx);
      for (const [where, name] of [
        ...(other ? [[other, `in namespace ${other} (outside the scope)`]] : []),
        ...ctx.excluded.map((e) => [e, `in the excluded namespace ${e}`]),
        ['kube-system', 'in kube-system'],
      ])
        tests.push({
          name: `${operations[0]} of a ${r.kind} ${name} is allowed`,
          ...request(operations[0], r, where),
          expect: 'allow',
        });
    }
    // "Pods must not be created (in the default namespace)": a pod controller created there would only make pods that
    // are denied, so creating one is denied too, as kind-in-namespace and the pod-spec rules do (workloads()). Only its
    // creation: updating or deleting a Deployment is not creating or deleting a Pod.
    const controllers =
      operations.includes('CREATE') && resources.some((x) => x.kind === 'Pod')
        ? workloads(ctx).filter((x) => x.kind !== 'Pod' && !resources.some((y) => y.kind === x.kind))
        : [];
    for (const c of controllers.filter((x) => x.kind === 'Deployment' || x.kind === 'CronJob'))
      tests.push(
        { name: `CREATE of a ${c.kind} (its pods would be denied) is ${verb}`, ...request('CREATE', c), expect: v },
        ...(['UPDATE', 'DELETE'] as const).map((op) => ({
          name: `${op} of a ${c.kind} is allowed`,
          ...request(op, c),
          expect: 'allow' as const,
        })),
      );
    const kinds = resources.map((x) => x.kind).join(', ');
    const done = operations.map((o) => past[o]).join(' or ');
    const summary = `${kinds} objects may not be ${done}${ctx.namespaces.length ? ` in namespace ${ctx.namespaces.join(', ')}` : ''} (every ${operations.join('/')} request for them is ${verb})${controllers.length ? '; nor may a pod controller be created' : ''}`;
    const onlyCreate = controllers.length
      ? `if (${js(controllers.map((x) => x.kind))}.indexOf((request.object || request.oldObject || {}).kind) >= 0 && request.operation !== 'CREATE') {
  allow();
}
`
      : '';
    return {
      polarity: 'forbid',
      family: 'operation-forbidden',
      summary,
      target: targetFor([...resources, ...controllers], operations, 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, [...resources, ...controllers])}${onlyCreate}if (${js(operations)}.indexOf(request.operation) >= 0) {
  const target = request.object || request.oldObject;
  ${act(ctx, `${js(`${kinds} objects may not be ${done}: `)} + String((target && target.metadata && target.metadata.name) || request.name || '')`)}
}
`,
    };
  },
};

const PATH = /\b((?:spec|metadata|data|roleRef|subjects|rules|template|type)(?:\.[A-Za-z0-9_-]+)+)\b/;

/** `value` placed at `parts` ("securityContext", "fsGroup" -> { securityContext: { fsGroup: value } }). */
function nestedAt(parts: readonly string[], value: unknown): Record<string, unknown> {
  return parts.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as Record<string, unknown>;
}

/**
 * A dotted path that runs through a list ("spec.containers.image", "spec.rules.host"): no object holds a value at
 * that path, so a check on it would deny everything or nothing (its samples, built from the path, would agree),
 * and which items it means (every one? one?) is not said.
 */
function throughList(path: string): boolean {
  return path
    .split('.')
    .slice(0, -1)
    .some((p) => LIST_FIELDS.has(p));
}

const immutableField: OfflineFamily = {
  id: 'immutable-field',
  title: 'immutable fields (deny UPDATEs that change a field path)',
  examples: [
    'Deny changes to spec.selector of Deployments.',
    'The spec.storageClassName of PersistentVolumeClaims is immutable.',
  ],
  phrases: [
    /\b(?:chang(?:e|es|ed|ing)|modif(?:y|ies|ied|ying|ications?)|edit(?:s|ed|ing)?|alter(?:s|ed|ing|ations?)?|updat(?:e|es|ed|ing))\b/i,
    /\b(?:after\s+creation|once\s+(?:set|created))\b/i,
  ],
  match: (ctx) => {
    const path = PATH.exec(ctx.text)?.[1];
    if (!path || throughList(path) || !/\b(immutable|chang\w*|modif\w*|edit\w*|updat\w*)\b/i.test(ctx.text))
      return undefined;
    // "Deny Pods where spec.hostNetwork is true on update", "Pods whose spec.x is y must not be updated": the field
    // is said to have a value, a condition on the object; the update is what is denied, not a change of the field
    // (an UPDATE keeping hostNetwork true would pass). Not this family's rule.
    if (fieldHasValue(ctx.text, path)) return undefined;
    const r = subjectResources(ctx)[0];
    if (!r) return undefined;
    const ns = homeNamespace(ctx);
    const parts = path.split('.');
    const mk = (value: unknown, namespace = ns): KubeObject => sampleWithField(r, namespace, parts, value);
    const v = violation(ctx);
    const tests: TestCase[] = [
      updateCase(`changing ${path} is denied`, mk('before'), mk('after'), v),
      updateCase(
        `an UPDATE keeping ${path} is allowed`,
        mk('before'),
        variant(mk('before'), (o) => ((o.metadata ??= {}).labels = { touched: 'yes' })),
        'allow',
      ),
      updateCase(
        `setting ${path} for the first time is denied`,
        variant(mk('x'), (o) => removePath(o, parts)),
        mk('after'),
        v,
      ),
      { name: `creating with any ${path} is allowed`, object: mk('after'), expect: 'allow' },
      ...(r.namespaced
        ? [
            updateCase(
              `changing ${path} in kube-system is allowed`,
              mk('before', 'kube-system'),
              mk('after', 'kube-system'),
              'allow',
            ),
          ]
        : []),
    ];
    return {
      polarity: 'forbid',
      family: 'immutable-field',
      summary: `${path} of ${r.kind} may not change after creation`,
      target: targetFor([r], ['UPDATE'], 'Validating', ctx.namespaces),
      steps: [
        step('fieldChanged', 'a field differs between oldObject and object'),
        step('getPath', 'read a dotted path'),
      ],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}if (request.operation === 'UPDATE' && fieldChanged(request, ${js(path)})) {
  ${act(ctx, js(`${path} of ${r.kind} may not be changed`))}
}
`,
    };
  },
};

/** "spec.x is true", "spec.x = 3", "with spec.x set to y": the text gives the field a value (not "is immutable"). */
function fieldHasValue(text: string, path: string): boolean {
  const at = text.indexOf(path);
  const after = text.slice(at + path.length);
  return (
    /^\s*(?:(?:is|are)\s+(?!(?:not\s+|never\s+)?(?:immutable|chang|modif|updat|edit|alter|set\b|allowed|permitted))|={1,2}|equals?\b|set\s+to\b)/i.test(
      after,
    ) || /\b(?:with|where|whose|when|if)\s+(?:the\s+)?$/i.test(text.slice(0, at))
  );
}

/** A sample `resource` object with the dotted field `parts` set to `value`, or removed when it is undefined. */
function sampleWithField(
  resource: ApiResource,
  namespace: string | undefined,
  parts: string[],
  value: unknown,
): KubeObject {
  const o = sample(resource, { namespace, name: 'sample' });
  if (value === undefined) {
    removePath(o, parts);
    return o;
  }
  let cur: JsonObject = o;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    cur = cur[p] = next && typeof next === 'object' ? (next as JsonObject) : {};
  }
  cur[parts[parts.length - 1]] = value;
  return o;
}

/** A Kubernetes object, or any object inside one, as plain JSON. */
type JsonObject = Record<string, unknown>;

function removePath(o: JsonObject, parts: string[]): void {
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (!next || typeof next !== 'object') return;
    cur = next as JsonObject;
  }
  delete cur[parts[parts.length - 1]];
}

const referenceKind: OfflineFamily = {
  id: 'reference-kind',
  title: 'Config Connector resources whose spec.resourceRef points at a kind forbidden',
  examples: ['Deny any IAMPolicy Config Connector resources that reference a Project.'],
  phrases: [/\breferenc(?:e|es|ing)\s+(?:a|an|the|any)?\s*['"`]?[A-Z][A-Za-z0-9]+['"`]?/, /\bconfig\s+connector\b/i],
  match: (ctx) => {
    const m = /\breferenc(?:e|es|ing)\s+(?:a|an|the|any)?\s*['"`]?([A-Z][A-Za-z0-9]+)['"`]?/.exec(ctx.text);
    if (!m || !forbids(ctx.text)) return undefined;
    const refKind = m[1];
    // spec.resourceRef is Config Connector's convention; other CRDs name their references differently.
    const r = ctx.resources.find((x) => x.kind !== refKind && x.group.endsWith('.cnrm.cloud.google.com'));
    if (!r) return undefined;
    const ns = homeNamespace(ctx);
    const mk = (ref: Record<string, unknown> | undefined, namespace = ns): KubeObject =>
      sample(r, { namespace, name: 'sample', spec: ref ? { resourceRef: ref } : {} });
    const otherKind = refKind === 'StorageBucket' ? 'PubSubTopic' : 'StorageBucket';
    const v = violation(ctx);
    const tests: TestCase[] = [
      {
        name: `${r.kind} referencing a ${refKind} by name is denied`,
        object: mk({ kind: refKind, name: 'target' }),
        expect: v,
      },
      {
        name: `${r.kind} referencing a ${refKind} by external id is denied`,
        object: mk({ kind: refKind, external: `${refKind.toLowerCase()}s/target` }),
        expect: v,
      },
      {
        name: `${r.kind} referencing a ${otherKind} is allowed`,
        object: mk({ kind: otherKind, name: 'other' }),
        expect: 'allow',
      },
      { name: `${r.kind} without a resourceRef is allowed`, object: mk(undefined), expect: 'allow' },
      updateCase(
        `changing the reference to a ${refKind} is denied`,
        mk({ kind: otherKind, name: 'other' }),
        mk({ kind: refKind, name: 'target' }),
        v,
      ),
      ...scopeCases(r, ctx, (o) => mk({ kind: refKind, name: 'target' }, o.namespace)),
    ];
    return {
      polarity: 'forbid',
      family: 'reference-kind',
      summary: `${r.kind} objects must not reference a ${refKind}`,
      target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('getPath', 'read a dotted path without throwing')],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}if (getPath(request.object, 'spec.resourceRef.kind') === ${js(refKind)}) {
  ${act(ctx, js(`${r.kind} must not reference a ${refKind}`))}
}
`,
    };
  },
};

const FIELD_EQUALS = new RegExp(`${PATH.source}\\s+(?:is|=|==|equals|set to|of)\\s+['"\`]?([A-Za-z0-9._:/%-]+)['"\`]?`);

/**
 * Words after "is" that say whether the field is there, not what it holds: "where spec.selfSigned is set" was read
 * as the value "set" (a ClusterIssuer with `selfSigned: {}` admitted), "where spec.kmsKeyRef is unset" as the value
 * "unset" (the topic without a key admitted, the opposite of the rule). Lower case only: "None" is a value.
 */
const PRESENCE_WORD =
  /^(?:set|unset|empty|null|nil|none|present|absent|missing|defined|undefined|specified|unspecified|blank|omitted|provided|configured|given|non-?empty)$/;

/**
 * The last segment of a path that names a list: a list never equals one value ("where spec.policyTypes is Egress"
 * compared ["Egress"] with "Egress" and admitted every NetworkPolicy); whether the rule means "holds", "is only" or
 * "starts with" is not said. Plural field names are lists by the API conventions, but for counts and durations.
 */
function namesList(path: string, value: unknown): boolean {
  const parts = path.split('.');
  const last = parts[parts.length - 1];
  // A ResourceQuota's spec.hard is a map from resource names to quantities ("spec.hard.pods", "spec.hard.secrets").
  if (parts[parts.length - 2] === 'hard') return false;
  if (LIST_FIELDS.has(last)) return true;
  // A field said to be true or false is a flag, whatever its name ("enableServiceLinks").
  return typeof value !== 'boolean' && /[^s]s$/.test(last) && !/(?:us|is|[Rr]eplicas|Seconds|Millis|Bytes)$/.test(last);
}

/**
 * Built-in fields the API server fills in when a request leaves them out, by kind, and the pod spec's (by path inside
 * the pod spec). A ban on that value must deny the object without the field, which runs with it: "Deny Services where
 * spec.type is ClusterIP" admitted the Service without a type. KNOWN_FIELDS holds more.
 */
const BUILT_IN_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  Service: { 'spec.type': 'ClusterIP', 'spec.ipFamilyPolicy': 'SingleStack', 'spec.publishNotReadyAddresses': false },
  Deployment: { 'spec.replicas': 1, 'spec.strategy.type': 'RollingUpdate', 'spec.minReadySeconds': 0 },
  StatefulSet: {
    'spec.replicas': 1,
    'spec.podManagementPolicy': 'OrderedReady',
    'spec.updateStrategy.type': 'RollingUpdate',
    'spec.revisionHistoryLimit': 10,
    'spec.minReadySeconds': 0,
  },
  DaemonSet: {
    'spec.updateStrategy.type': 'RollingUpdate',
    'spec.revisionHistoryLimit': 10,
    'spec.minReadySeconds': 0,
  },
  ReplicaSet: { 'spec.replicas': 1 },
  ReplicationController: { 'spec.replicas': 1 },
  Job: { 'spec.completionMode': 'NonIndexed', 'spec.parallelism': 1 },
  CronJob: { 'spec.successfulJobsHistoryLimit': 3, 'spec.failedJobsHistoryLimit': 1 },
  PersistentVolume: { 'spec.persistentVolumeReclaimPolicy': 'Retain', 'spec.volumeMode': 'Filesystem' },
  PriorityClass: { preemptionPolicy: 'PreemptLowerPriority' },
  Pod: {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    terminationGracePeriodSeconds: 30,
    enableServiceLinks: true,
    automountServiceAccountToken: true,
    hostUsers: true,
  },
};

/**
 * What an unset built-in field holds when the ban is on `value`: its default, false for a boolean left out (the API's
 * booleans are false unless BUILT_IN_DEFAULTS says otherwise), else undefined (the field is simply absent); KNOWN_FIELDS
 * gives its fields' defaults. Null when no one value stands for the unset field.
 */
function unsetBuiltIn(kind: string, path: string, value: unknown): { fallback: unknown } | null {
  const known = Object.values(KNOWN_FIELDS[kind] ?? {}).find((f) => f.path === path);
  if (known) {
    const d = known.valueDefault ?? known.numberDefault ?? (known.type === 'boolean' ? false : undefined);
    // A Service's externalTrafficPolicy exists on NodePort and LoadBalancer Services only: unset on a ClusterIP
    // Service it is not Cluster (known-field reads the bare name with that scope).
    if (kind === 'Service' && path === 'spec.externalTrafficPolicy' && d !== undefined && String(d) === String(value))
      return null;
    return { fallback: d };
  }
  // Defaulted by the Service's type (true for a LoadBalancer, absent otherwise): no one value stands for unset.
  if (kind === 'Service' && path === 'spec.allocateLoadBalancerNodePorts') return null;
  const table = BUILT_IN_DEFAULTS[kind] ?? {};
  if (path in table) return { fallback: table[path] };
  return { fallback: typeof value === 'boolean' ? false : undefined };
}

/**
 * The code that compares `current` with the value the text names: a number or boolean said in prose also matches
 * its string form (a ConfigMap's data, a label, a quantity such as a ResourceQuota's `pods: "0"` are strings).
 */
function equalsJs(current: string, value: unknown): string {
  return typeof value === 'string'
    ? `${current} === ${js(value)}`
    : `[${js(value)}, ${js(String(value))}].indexOf(${current}) >= 0`;
}

/** Built-in fields the API server accepts only a fixed set of spellings for (beyond KNOWN_FIELDS' values). */
const BUILT_IN_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Service: { 'spec.type': ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
  Pod: {
    'spec.restartPolicy': ['Always', 'OnFailure', 'Never'],
    'spec.dnsPolicy': ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
    'spec.preemptionPolicy': ['PreemptLowerPriority', 'Never'],
  },
};

/**
 * "Deny Services where spec.type is clusterip": a value the API server would reject for the field, which no object can
 * hold, so a ban on it never fires (it was verified against its own cases, made of objects the API server refuses).
 * The field's accepted spellings, or undefined when the field has no fixed set.
 */
function acceptedValues(kind: string, path: string): readonly string[] | undefined {
  const known = Object.values(KNOWN_FIELDS[kind] ?? {}).find((f) => f.path === path);
  return known?.values ?? BUILT_IN_ENUMS[kind]?.[path];
}

const fieldEquality: OfflineFamily = {
  id: 'field-equality',
  title: 'a field equal to a value forbidden, on any catalog resource (CRDs included)',
  examples: [
    'Deny StorageBuckets where spec.storageClass is COLDLINE.',
    'Deny Services whose spec.externalTrafficPolicy is Local.',
  ],
  phrases: [FIELD_EQUALS, /\b(?:where|whose)\b/i],
  match: (ctx) => {
    const m = FIELD_EQUALS.exec(ctx.text);
    if (!m || !forbids(ctx.text)) return undefined;
    const r = subjectResources(ctx)[0];
    if (!r) return undefined;
    const path = m[1];
    if (throughList(path)) return undefined;
    const raw = m[2].replace(/\.$/, '');
    if (PRESENCE_WORD.test(raw)) return undefined;
    // "The field spec.restartPolicy of Pods must be Never": "of" names whose field it is; "Pods" is no value (read as
    // one, with "Never" counted as the negation, it forbade restartPolicy "Pods" and never checked Never).
    if (
      /^\S+\s+of\s/.test(m[0]) &&
      (/^(?:a|an|the|any|every|each|all)$/i.test(raw) || resourcesIn(raw, ctx.catalog).length)
    )
      return undefined;
    // "100%" stays a string: an int-or-percent field holds "100%", never the number 100.
    const value: unknown =
      raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    if (namesList(path, value)) return undefined;
    const builtIn = BUILT_IN_GROUP.test(r.group);
    const accepted = builtIn && typeof value === 'string' ? acceptedValues(r.kind, path) : undefined;
    if (accepted && !accepted.includes(value as string)) return undefined;
    // A custom resource's unset boolean may be false or default to true (its controller decides): "where
    // spec.versioning.enabled is false" cannot say whether the bucket without it is denied (as field-value-required
    // refuses "must set X to false").
    if (value === false && !builtIn) return undefined;
    const parts = path.split('.');
    const other = typeof value === 'boolean' ? !value : typeof value === 'number' ? value + 1 : `${raw}-other`;
    const podField = r.kind === 'Pod' && parts[0] === 'spec' && parts.length > 1 && ctx.resources.length === 1;
    const unset = builtIn
      ? unsetBuiltIn(r.kind, podField ? parts.slice(1).join('.') : path, value)
      : { fallback: undefined };
    if (!unset) return undefined;
    const fallback = unset.fallback;
    // Unset, the field holds what the API server gives it; a ban on exactly that denies the object without it.
    const unsetDenied = fallback !== undefined && String(fallback) === String(value);
    const read = (getter: string): string =>
      fallback === undefined
        ? getter
        : `(function (x) { return x === undefined || x === null ? ${js(fallback)} : x; })(${getter})`;
    const unsetNote = unsetDenied ? ` (unset, ${path} is ${JSON.stringify(fallback)})` : '';
    // "Deny Pods where spec.hostNetwork is true": a Deployment's pods come from its template, so the rule reaches the
    // pod template of every pod controller, or the Deployment is admitted and its pods never appear.
    if (podField) {
      const inner = parts.slice(1);
      const nest = (x: unknown): Record<string, unknown> => nestedAt(inner, x);
      const summary = `pods with ${path} = ${raw} are not allowed${unsetNote}`;
      const absent = { name: `no ${path}`, container: {} };
      return podSpecRule(
        ctx,
        {
          family: 'field-equality',
          summary,
          offending: [
            { name: `${path} ${raw}`, container: {}, podSpec: nest(value) },
            ...(unsetDenied ? [absent] : []),
          ],
          compliant: [
            { name: `another ${path}`, container: {}, podSpec: nest(other) },
            ...(unsetDenied ? [] : [absent]),
          ],
          polarity: 'forbid',
        },
        [
          step('podSpecOf', 'the pod spec of a pod or workload'),
          step('getPath', 'read a dotted path without throwing'),
        ],
        () => `if (${equalsJs(read(`getPath(podSpecOf(request.object), ${js(inner.join('.'))})`), value)}) {
  ${act(ctx, js(summary))}
}
`,
      );
    }
    const ns = homeNamespace(ctx);
    const mk = (value: unknown, namespace = ns): KubeObject => sampleWithField(r, namespace, parts, value);
    const v = violation(ctx);
    const word = v === 'warn' ? 'warned' : 'denied';
    const tests: TestCase[] = [
      { name: `${r.kind} with ${path} ${raw} is ${word}`, object: mk(value), expect: v },
      { name: `${r.kind} with another ${path} is allowed`, object: mk(other), expect: 'allow' },
      unsetDenied
        ? {
            name: `${r.kind} without ${path} (so ${JSON.stringify(fallback)}) is ${word}`,
            object: mk(undefined),
            expect: v,
          }
        : { name: `${r.kind} without ${path} is allowed`, object: mk(undefined), expect: 'allow' },
      ...(typeof value === 'string'
        ? []
        : [{ name: `${r.kind} with ${path} "${raw}" (a string) is ${word}`, object: mk(String(value)), expect: v }]),
      updateCase(`changing ${path} to ${raw} is ${word}`, mk(other), mk(value), v),
      ...scopeCases(r, ctx, (o) => mk(value, o.namespace)),
    ];
    const summary = `${r.kind} objects with ${path} = ${raw} are not allowed${unsetNote}`;
    return {
      polarity: 'forbid',
      family: 'field-equality',
      summary,
      target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('getPath', 'read a dotted path without throwing')],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}if (${equalsJs(read(`getPath(request.object, ${js(path)})`), value)}) {
  ${act(ctx, js(`${r.kind} objects with ${path} = ${raw} are not allowed`))}
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// More container and scope rules

const privilegeEscalation: OfflineFamily = {
  id: 'privilege-escalation',
  title: 'privilege escalation forbidden (allowPrivilegeEscalation: false required; unset allows escalation)',
  examples: [
    'Disallow privilege escalation in containers.',
    'Containers must not set allowPrivilegeEscalation to true.',
    'This policy ensures the `allowPrivilegeEscalation` field is set to `false`.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\bexplicitly\b/i,
    /\b(?:allow\s+)?privilege[- ]?escalation\b/i,
    /\ballowPrivilegeEscalation\b/i,
    /\bescalat(?:e|ing)\s+privileges?\b/i,
  ],
  match: (ctx) => {
    if (!/\bprivilege[- ]?escalation\b|\ballowPrivilegeEscalation\b/i.test(ctx.text)) return undefined;
    // "Containers must not set allowPrivilegeEscalation": the field left out, which lets a process escalate. Read as
    // a ban on escalation it demanded the field be set (to false); the field must be banned with a value to be read.
    // "Containers should not run with allowPrivilegeEscalation" (Checkov CKV_K8S_20) names the state a container
    // runs in, not the field written: a container that leaves the field out runs with escalation allowed too.
    const runsWith =
      /\brun(?:s|ning)?\s+with\s+[`'"]?allowPrivilegeEscalation\b(?![`'"]?\s*(?::|=|set\b|field\b))/i.test(ctx.text);
    if (
      ctx.negated &&
      !runsWith &&
      /\ballowPrivilegeEscalation\b/.test(ctx.text) &&
      !/\b(?:true|enabled|false)\b/i.test(ctx.text)
    )
      return undefined;
    // Unset means escalation is allowed (the kernel's no_new_privs is only set by an explicit false), so "privilege
    // escalation is not allowed" and "is set to false" both deny a container that leaves the field out. Only a
    // statement about the value true ("must not set allowPrivilegeEscalation to true") leaves unset alone.
    // "allowPrivilegeEscalation, if specified, must be false" leaves unset alone too.
    const explicit = !/\bset(?:s|ting)?\b[^.]*\btrue\b/i.test(ctx.text) && !IF_SET.test(ctx.text);
    return containerRule(ctx, {
      family: 'privilege-escalation',
      summary: explicit
        ? 'containers must set allowPrivilegeEscalation: false'
        : 'containers must not allow privilege escalation',
      offends: explicit
        ? 'c.securityContext?.allowPrivilegeEscalation !== false'
        : 'c.securityContext?.allowPrivilegeEscalation === true',
      describe: explicit
        ? `'container ' + ${cname} + ' does not set allowPrivilegeEscalation: false'`
        : `'container ' + ${cname} + ' sets allowPrivilegeEscalation: true'`,
      skills: [],
      offending: [
        { name: 'allowPrivilegeEscalation: true', container: { securityContext: { allowPrivilegeEscalation: true } } },
        ...(explicit ? [{ name: 'no securityContext', container: {} }] : []),
      ],
      compliant: [
        ...(explicit ? [] : [{ name: 'no securityContext', container: {} }]),
        {
          name: 'allowPrivilegeEscalation: false',
          container: { securityContext: { allowPrivilegeEscalation: false } },
        },
      ],
      polarity: 'forbid',
      linuxOnly: explicit,
    });
  },
};

const readOnlyRoot: OfflineFamily = {
  id: 'read-only-root-filesystem',
  title: 'readOnlyRootFilesystem: true required',
  examples: [
    'Containers must use a read-only root filesystem.',
    'This policy validates that containers define a securityContext with `readOnlyRootFilesystem: true`.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\bexplicitly\b/i,
    // "a read only root filesystem", "a read-only filesystem": a container's own filesystem is its root filesystem.
    /\b(?:read[- ]?only|immutable)\s+(?:root\s?)?file\s?systems?\b/i,
    /\breadOnlyRootFilesystem\b/i,
    /\bmount(?:ed)?\s+(?:as\s+)?read-?only\b/i,
    /\b(?:(?:the|its|their)\s+)?(?:root\s+)?file\s?systems?\s+(?:should|must|shall|needs?\s+to|has\s+to|have\s+to)\s+be\s+read[- ]only\b/i,
  ],
  match: (ctx) =>
    // "The filesystem should be read only": a container's own filesystem is its root filesystem (volumes are mounted).
    /\bread[- ]?only (?:root ?)?file ?system\b|\breadOnlyRootFilesystem\b|\bfile\s?systems?\s+(?:should|must|shall|needs?\s+to|has\s+to|have\s+to)\s+be\s+read[- ]only\b/i.test(
      ctx.text,
    ) &&
    // "when set, must be true" and "must not be set to false" leave an unset field alone, which this family denies.
    !IF_SET.test(ctx.text) &&
    !/\bfalse\b/i.test(ctx.text)
      ? containerRule(ctx, {
          family: 'read-only-root-filesystem',
          summary: 'containers must set readOnlyRootFilesystem: true',
          offends: 'c.securityContext?.readOnlyRootFilesystem !== true',
          describe: `'container ' + ${cname} + ' does not set readOnlyRootFilesystem: true'`,
          skills: [],
          offending: [
            { name: 'no securityContext', container: {} },
            {
              name: 'readOnlyRootFilesystem: false',
              container: { securityContext: { readOnlyRootFilesystem: false } },
            },
          ],
          compliant: [
            { name: 'readOnlyRootFilesystem: true', container: { securityContext: { readOnlyRootFilesystem: true } } },
          ],
          polarity: 'require',
        })
      : undefined,
};

/**
 * "This policy validates that liveness and readiness probes are not the same": a container that sets both probes
 * named may not set them identical (compared as values, key order aside). A container with one or neither is fine.
 */
const probesDistinct: OfflineFamily = {
  id: 'probes-distinct',
  title: 'two probes of a container (liveness, readiness, startup) must not be identical',
  examples: ['This policy validates that liveness and readiness probes are not the same.'],
  phrases: [
    ...POD_PHRASES,
    /\b(?:readiness|liveness|startup)(?:\s*probes?)?\b/i,
    /\bprobes?\b/i,
    /\b(?:the\s+)?same\b|\bidentical\b|\bequal\b|\bdiffer(?:ent|s)?\b|\bdistinct\b/i,
    /\b(?:both|each\s+other|one\s+another)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const named = [...new Set([...t.matchAll(/\b(readiness|liveness|startup)\b/gi)].map((m) => m[1].toLowerCase()))];
    if (named.length !== 2 || !/\bprobes?\b/i.test(t)) return undefined;
    const same = /\bsame\b|\bidentical\b|\bequal\b/i.test(t);
    const differ = /\bdiffer(?:ent|s)?\b|\bdistinct\b/i.test(t);
    // "must be different" or "must not be the same"; "must be the same" / "must not differ" ask the opposite.
    if (same === differ || (same ? !ctx.negated : ctx.negated)) return undefined;
    // "… must be different and must both be set": a second condition (the probes required) this rule does not write.
    if (
      /\b(?:set|defined?|required?|present|configured|specified|specify|have|has|need)\b|\band\s+(?:must|should)\b/i.test(
        t,
      )
    )
      return undefined;
    const [a, b] = named.map((n) => PROBES[n as keyof typeof PROBES]);
    const probe = (path: string, port = 8080): Record<string, unknown> => ({
      httpGet: { path, port },
      periodSeconds: 10,
    });
    return containerRule(ctx, {
      family: 'probes-distinct',
      summary: `a container's ${a} and ${b} must not be identical`,
      prelude: `function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ':' + canon(v[k]); }).join(',') + '}';
  return JSON.stringify(v);
}
`,
      offends: `!!c.${a} && !!c.${b} && canon(c.${a}) === canon(c.${b})`,
      describe: `'container ' + ${cname} + ${js(` has the same ${a} and ${b}`)}`,
      skills: [],
      offending: [
        { name: `the same ${a} and ${b}`, container: { [a]: probe('/healthz'), [b]: probe('/healthz') } },
        {
          name: `the same ${a} and ${b}, keys in another order`,
          container: { [a]: probe('/healthz'), [b]: { periodSeconds: 10, httpGet: { port: 8080, path: '/healthz' } } },
        },
      ],
      compliant: [
        { name: `a different ${a} and ${b}`, container: { [a]: probe('/healthz'), [b]: probe('/ready') } },
        { name: `only a ${a}`, container: { [a]: probe('/healthz') } },
        { name: 'no probes', container: {} },
      ],
      polarity: ctx.negated ? 'forbid' : 'require',
    });
  },
};

/**
 * "This policy requires that every container port has a name": each entry of every container's ports sets a
 * non-empty name (Services and probes may then refer to it by name). A container without ports is fine.
 */
const containerPortNames: OfflineFamily = {
  id: 'container-port-names',
  title: 'every container port must be named (ports[].name set)',
  examples: ['This policy requires that every container port has a name.', 'Container ports must be named.'],
  phrases: [
    ...POD_PHRASES,
    /\b(?:container\s?)?ports?\b/i,
    /\bcontainerPorts?\b/i,
    /\bnamed\b|\bnames?\b/i,
    /\b(?:entry|entries)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bports?\b|\bcontainerPorts?\b/i.test(t) || !/\bnamed\b|\bnames?\b/i.test(t) || ctx.negated) return undefined;
    // A name asked of ports, not a given name ("named http"), nor a rule on the names themselves ("unique names").
    if (/\bnamed\s+(?!\.|$)\S/i.test(t) || /\bhost\s?ports?\b|\bunique\b|\bprefix\w*\b|\bpattern\b/i.test(t))
      return undefined;
    return containerRule(ctx, {
      family: 'container-port-names',
      summary: 'every container port must set a name',
      offends:
        '(Array.isArray(c.ports) ? c.ports : []).some(function (p) { return !p || typeof p.name !== "string" || p.name === ""; })',
      describe: `'container ' + ${cname} + ' has a port without a name'`,
      skills: [],
      offending: [
        { name: 'a port without a name', container: { ports: [{ containerPort: 8080 }] } },
        {
          name: 'a named port and one without a name',
          container: { ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] },
        },
      ],
      compliant: [
        { name: 'a named port', container: { ports: [{ name: 'http', containerPort: 8080 }] } },
        { name: 'no ports', container: {} },
      ],
      polarity: 'require',
    });
  },
};

/** "including init containers", "init containers included", "containers and init containers": init containers count. */
const INIT_COUNTED =
  /,?\s*\b(?:including|incl\.|counting)\s+(?:their\s+|the\s+)?init(?:ial)?\s+containers\b|,?\s*\binit(?:ial)?\s+containers\s+(?:included|counted|too|as\s+well)\b|\b(?:containers|container)\s+and\s+init(?:ial)?\s+containers\b/i;
/** The one upper bound on the number of containers: [phrase, polarity it needs ("not more than" needs a negation)]. */
const CONTAINER_COUNT: ReadonlyArray<[RegExp, boolean]> = [
  [
    /\blimits?\s+the\s+number\s+of\s+containers\s+(?:in|of|per)\s+(?:a|each|every|the)\s+pod\s+to\s+(?:at\s+most\s+|a\s+maximum\s+of\s+|no\s+more\s+than\s+)?(\d+)\b/i,
    false,
  ],
  [
    /\b(?:at\s+most|no\s+more\s+than|not\s+more\s+than|a\s+maximum\s+of|up\s+to)\s+(\d+)\s+(?:(?:regular|app(?:lication)?)\s+)?containers\b/i,
    false,
  ],
  [/(?<!\b(?:no|not)\s+)\bmore\s+than\s+(\d+)\s+containers\b/i, true],
  // "The number of containers in a Pod must not exceed 4": the count as the subject, "must not exceed" its bound (the
  // phrase takes the "not" with it, as "no more than" does)
  [
    /\bthe\s+number\s+of\s+containers\s+(?:in|of|per)\s+(?:a|each|every|the)\s+pod\s+(?:must|should|shall|may|can)\s*(?:not|never)\s+exceed\s+(\d+)(?=\s*$)/i,
    false,
  ],
];

/** "This policy limits Pods to at most 4 containers", "… 4 containers per Pod": the words around a bound. */
const CONTAINER_COUNT_WORDS: readonly RegExp[] = [
  /\blimits?\s+(?:pods?\s+)?to\b(?=\s+(?:at\s+most|no\s+more\s+than|a\s+maximum\s+of)\s+\d+\s+containers\b)/i,
  /(?<=\bcontainers\s+)per\s+pod\b/i,
];

/**
 * "This policy limits the number of containers in a Pod to at most 4", "Pods must not have more than 4 containers":
 * a pod spec (a Pod's, or a pod controller's template) lists at most N containers in spec.containers. Init containers
 * count only when the text says so ("including init containers"); ephemeral containers (kubectl debug) never.
 */
const containerCount: OfflineFamily = {
  id: 'container-count',
  title: 'at most N containers in a pod (spec.containers; init containers only when the text counts them)',
  examples: [
    'This policy limits the number of containers in a Pod to at most 4.',
    'Pods must not have more than 4 containers.',
  ],
  phrases: [...CONTAINER_COUNT_WORDS, ...CONTAINER_COUNT.map(([re]) => re), INIT_COUNTED, ...POD_PHRASES],
  match: (ctx) => {
    const t = ctx.text;
    const said = CONTAINER_COUNT.flatMap(([re, negated]) =>
      [...t.matchAll(new RegExp(re.source, 'gi'))].map((m) => ({ n: Number(m[1]), negated })),
    );
    if (said.length !== 1 || said[0].negated !== ctx.negated) return undefined;
    const max = said[0].n;
    // Any other number is a second bound ("or 2 volumes"); ephemeral containers are never part of a pod's count.
    if ((t.match(/\d+/g) ?? []).length !== 1 || max < 1 || /\bephemeral\b/i.test(t)) return undefined;
    const withInit = INIT_COUNTED.test(t);
    // Init containers said any other way ("4 containers with init containers", "Pods with init containers …"):
    // counted or a condition? Not read.
    if (!withInit && /\binit(?:ial)?\s+containers?\b/i.test(t)) return undefined;
    // "at most 4 init containers" is a bound on init containers alone (containerRule refuses it); "init" said in
    // any other way is not placed.
    const many = (n: number, prefix = 'c'): Array<Record<string, unknown>> =>
      Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, image: 'registry.example.com/app:1.4.2' }));
    const init = many(1, 'init');
    const what = withInit ? 'containers and init containers' : 'containers';
    const summary = withInit
      ? `a pod may have at most ${max} containers, init containers counted (spec.containers + spec.initContainers); ephemeral containers are not counted`
      : `a pod may have at most ${max} containers in spec.containers; init containers and ephemeral containers are not counted`;
    return podSpecRule(
      ctx,
      {
        family: 'container-count',
        summary,
        offending: [
          { name: `${max + 1} containers`, container: {}, podSpec: { containers: many(max + 1) } },
          ...(withInit
            ? [
                {
                  name: `${max} containers and an init container`,
                  container: {},
                  podSpec: { containers: many(max), initContainers: init },
                },
              ]
            : []),
        ],
        compliant: [
          { name: `${max} containers`, container: {}, podSpec: { containers: many(max) } },
          { name: 'one container', container: {} },
          ...(withInit
            ? []
            : [
                {
                  name: `${max} containers and an init container`,
                  container: {},
                  podSpec: { containers: many(max), initContainers: init },
                },
              ]),
        ],
        polarity: ctx.negated ? 'forbid' : 'require',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const podSpec = podSpecOf(request.object) || {};
const count = (Array.isArray(podSpec.containers) ? podSpec.containers.length : 0)${withInit ? ' + (Array.isArray(podSpec.initContainers) ? podSpec.initContainers.length : 0)' : ''};
if (count > ${max}) {
  ${act(ctx, `${js(`a pod may have at most ${max} ${what}; this one has `)} + count`)}
}
`,
    );
  },
};

const hostPorts: OfflineFamily = {
  id: 'host-ports',
  title: 'hostPort on container ports forbidden',
  examples: [
    'Pods must not use hostPort.',
    'Deny containers that expose host ports.',
    'This policy ensures the `hostPort` field is unset or set to `0`.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\bhost\s?ports?\b/i,
    /\b(?:container\s?)?ports?\b/i,
    /\bexpos(?:e|es|ed|ing)\b/i,
    /\bbind(?:s|ing)?\s+to\b/i,
  ],
  match: (ctx) =>
    /\bhost ?ports?\b/i.test(ctx.text)
      ? containerRule(ctx, {
          family: 'host-ports',
          summary: 'containers must not use hostPort',
          offends:
            '(Array.isArray(c.ports) ? c.ports : []).some(function (p) { return p && typeof p.hostPort === "number" && p.hostPort > 0; })',
          describe: `'container ' + ${cname} + ' uses a hostPort'`,
          skills: [],
          offending: [{ name: 'a hostPort', container: { ports: [{ containerPort: 8080, hostPort: 8080 }] } }],
          compliant: [
            { name: 'no ports', container: {} },
            { name: 'a containerPort only', container: { ports: [{ containerPort: 8080 }] } },
          ],
          polarity: 'forbid',
        })
      : undefined,
};

// ---------------------------------------------------------------------------------------------------------
// Pod Security Standards controls read field by field: seccomp, runAsUser, procMount, the service account
// token, and a Service's externalIPs. Each reads only the phrasings whose meaning is unambiguous; "unset or"
// is read as "unset is allowed", its absence as "the value must be set".

const SECCOMP_TYPES = ['RuntimeDefault', 'Localhost', 'Unconfined'] as const;

/** "unset or …": the field may also be left out. */
const UNSET_OR =
  /\b(?:is\s+|are\s+|be\s+)?(?:either\s+)?(?:unset|not\s+set|undefined|absent|omitted|left\s+out)\s*,?\s*or\b/i;

/** "If seccomp profiles are specified, …": the clause that lets a pod leave the profile out. */
const SECCOMP_IF_SPECIFIED =
  /\b(?:if|when)\s+(?:a\s+|the\s+|any\s+)?seccomp\s+profiles?\s+(?:is|are)\s+(?:set|specified|present|defined)\b/i;
/** "Seccomp profiles must be specified": the profile may not be left out. */
const SECCOMP_MUST_SPECIFY =
  /\bseccomp\s+profiles?\s+(?:must|should|shall)\s+(?:always\s+)?be\s+(?:explicitly\s+)?(?:specified|set|defined)\s*(?=[,;.]|\s+and\b|$)/i;

const seccomp: OfflineFamily = {
  id: 'seccomp',
  title: 'seccomp profile type: one of the named types required (or Unconfined forbidden)',
  examples: [
    'This policy ensures the seccomp profile is set to `RuntimeDefault` or `Localhost`.',
    'Containers must not set the seccomp profile to `Unconfined`.',
  ],
  phrases: [
    ...POD_PHRASES,
    UNSET_OR,
    /\b(?:explicitly\s+set\s+to(?:\s+one\s+of)?|set\s+to\s+one\s+of|one\s+of)\b/i,
    /\bseccomp(?:\s*profiles?)?(?:\s+types?)?\b|\bseccompProfile(?:\.type)?\b/i,
    /\b(?:profile\s+)?types?\b/i,
    /[`'"]?\b(?:RuntimeDefault|Localhost|Unconfined)\b[`'"]?(?:\s+profiles?\b)?/,
    // The Pod Security Standards' words: "only runtime default and localhost profiles are allowed".
    /\b(?:runtime[\s-]?default|localhost|unconfined)(?:\s+profiles?)?\b(?!\/)/i,
    SECCOMP_IF_SPECIFIED,
    SECCOMP_MUST_SPECIFY,
    /\bonly\b/i,
  ],
  match: (ctx) => {
    // "runtime default", "localhost": the types as the Pod Security Standards write them.
    const t = ctx.text
      .replace(/\bruntime[\s-]?default\b/gi, 'RuntimeDefault')
      .replace(/\blocalhost\b(?!\/)/gi, 'Localhost')
      .replace(/\bunconfined\b/gi, 'Unconfined');
    if (!/\bseccomp/i.test(t)) return undefined;
    const named = SECCOMP_TYPES.filter((s) => new RegExp(`\\b${s}\\b`).test(t));
    if (named.length === 0) return undefined;
    // "Only RuntimeDefault and Localhost profiles are allowed" does not say whether a pod may leave the profile out
    // (which runs it Unconfined): read only beside "if specified" (it may) or "must be specified" (it may not).
    if (/\bonly\b/i.test(t) && !(SECCOMP_IF_SPECIFIED.test(t) || IF_SET.test(t) || SECCOMP_MUST_SPECIFY.test(t)))
      return undefined;
    // "The seccomp profile, if set, must be …": leaving it out is allowed, as with "unset or …".
    const unsetAllowed = UNSET_OR.test(t) || IF_SET.test(t) || SECCOMP_IF_SPECIFIED.test(t);
    const banUnconfined = named.length === 1 && named[0] === 'Unconfined';
    // "RuntimeDefault or Localhost, not Unconfined" mixes an allow-list and a ban: not read.
    if (!banUnconfined && named.includes('Unconfined')) return undefined;
    const typeOf =
      '(function (sc) { return sc && sc.seccompProfile && typeof sc.seccompProfile === "object" ? sc.seccompProfile.type : undefined; })';
    const pod = `${typeOf}(podSpec?.securityContext)`;
    const own = `${typeOf}(c.securityContext)`;
    const offends = banUnconfined
      ? `${pod} === "Unconfined" || ${own} === "Unconfined"`
      : `[${pod}, ${own}].some(function (v) { return v !== undefined && ${js(named)}.indexOf(v) < 0; })${unsetAllowed ? '' : ` || (${own} === undefined && ${pod} === undefined)`}`;
    const good = named.includes('RuntimeDefault') || banUnconfined ? 'RuntimeDefault' : named[0];
    const profile = (type: string): Record<string, unknown> => ({
      seccompProfile: type === 'Localhost' ? { type, localhostProfile: 'profiles/app.json' } : { type },
    });
    const stranger = 'Unconfined';
    return containerRule(ctx, {
      family: 'seccomp',
      summary: banUnconfined
        ? 'the seccomp profile (pod or container) must not be Unconfined'
        : `every container's seccomp profile (its own, else the pod's) must be ${unsetAllowed ? 'unset or ' : ''}${named.join(' or ')}`,
      offends,
      describe: `'container ' + ${cname} + ' seccomp profile ' + (${own} || ${pod} || 'unset')`,
      skills: [],
      offending: [
        { name: `seccomp ${stranger} in the container`, container: { securityContext: profile(stranger) } },
        { name: `seccomp ${stranger} at pod level`, container: {}, podSpec: { securityContext: profile(stranger) } },
        ...(unsetAllowed || banUnconfined ? [] : [{ name: 'no seccomp profile', container: {} }]),
      ],
      compliant: [
        { name: `seccomp ${good} at pod level`, container: {}, podSpec: { securityContext: profile(good) } },
        { name: `seccomp ${good} in the container`, container: { securityContext: profile(good) } },
        ...(unsetAllowed || banUnconfined ? [{ name: 'no seccomp profile', container: {} }] : []),
        ...(!banUnconfined && named.length > 1
          ? [{ name: `seccomp ${named[1]}`, container: { securityContext: profile(named[1]) } }]
          : []),
      ],
      polarity: banUnconfined ? 'forbid' : 'require',
      linuxOnly: !unsetAllowed && !banUnconfined,
    });
  },
};

const runAsUser: OfflineFamily = {
  id: 'run-as-user',
  title: 'runAsUser 0 (root) forbidden in the pod or container securityContext',
  examples: [
    'This policy ensures containers do not set `runAsUser` to `0`.',
    'This policy ensures `runAsUser` is either unset or set to a number greater than zero.',
  ],
  phrases: [
    USER_NAMESPACE_EXEMPTION,
    ...POD_PHRASES,
    [
      /\b(?:is\s+|be\s+)?(?:either\s+)?(?:unset|not\s+set)\s*,?\s*or\s+(?:set\s+to\s+)?(?:a\s+)?(?:number|value|UID|user\s+ID)?\s*(?:greater\s+than|above|higher\s+than)\s+(?:zero|0)\b/i,
      'not',
    ],
    /\brunAsUser\b/i,
    /\b(?:to|of|as|=|:)?\s*(?:zero|root|UID\s+0|user\s+ID\s+0)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\brunAsUser\b/.test(t)) return undefined;
    const userNamespaceExempt = USER_NAMESPACE_EXEMPTION.test(t);
    const unsetOr =
      /\b(?:unset|not\s+set)\s*,?\s*or\s+(?:set\s+to\s+)?(?:a\s+)?(?:number|value|UID|user\s+ID)?\s*(?:greater\s+than|above|higher\s+than)\s+(?:zero|0)\b/i.test(
        t,
      );
    if (!unsetOr && !/(?:^|[^\w.])(?:0|zero|root)(?![\w.])/i.test(t)) return undefined;
    return containerRule(ctx, {
      family: 'run-as-user',
      userNamespaceExempt,
      summary: 'runAsUser must not be 0 (root), in the pod or the container securityContext',
      offends: 'podSpec?.securityContext?.runAsUser === 0 || c.securityContext?.runAsUser === 0',
      describe: `'container ' + ${cname} + ' runs as runAsUser 0'`,
      skills: [],
      offending: [
        { name: 'runAsUser 0 in the container', container: { securityContext: { runAsUser: 0 } } },
        { name: 'runAsUser 0 at pod level', container: {}, podSpec: { securityContext: { runAsUser: 0 } } },
      ],
      compliant: [
        { name: 'no runAsUser', container: {} },
        { name: 'runAsUser 1000', container: { securityContext: { runAsUser: 1000 } } },
        { name: 'runAsUser 1000 at pod level', container: {}, podSpec: { securityContext: { runAsUser: 1000 } } },
      ],
      polarity: 'forbid',
    });
  },
};

/** How a bound on the user ID is worded, and what it means for the value. */
const UID_BOUNDS: ReadonlyArray<{ words: RegExp; op: '>' | '>=' | '<' | '<=' }> = [
  // First: "greater than or equal to" holds "greater than", and the first bound whose words match is taken.
  {
    words:
      /\b(?:greater|higher|more|larger)\s+than\s+or\s+equal\s+to\b|\bequal\s+to\s+or\s+(?:greater|higher|more|larger)\s+than\b/i,
    op: '>=',
  },
  {
    words:
      /\b(?:less|lower|fewer|smaller)\s+than\s+or\s+equal\s+to\b|\bequal\s+to\s+or\s+(?:less|lower|fewer|smaller)\s+than\b/i,
    op: '<=',
  },
  { words: /\b(?:greater|higher|more|larger)\s+than\b|\babove\b|\bover\b/i, op: '>' },
  { words: /\bat\s+least\b|\bno\s+(?:less|lower|fewer|smaller)\s+than\b|\bminimum\s+of\b/i, op: '>=' },
  { words: /\b(?:less|lower|fewer|smaller)\s+than\b|\bbelow\b|\bunder\b/i, op: '<' },
  { words: /\bat\s+most\b|\bno\s+(?:more|greater|higher|larger)\s+than\b|\bmaximum\s+of\b/i, op: '<=' },
];

const UID_SUBJECT = /\b(?:runAsUser|user\s?ID|UID|user)\b/i;
const UID_BOUND_PHRASE = new RegExp(
  `${UID_SUBJECT.source}(?:\\s+(?:of|is|be|must\\s+be|set\\s+to|to|that\\s+is|which\\s+is))*\\s+(?:a\\s+(?:number|value)\\s+)?` +
    `(${UID_BOUNDS.map((b) => b.words.source).join('|')})\\s+(\\d+)(?![\\w.])`,
  'i',
);

/** "a runAsUser of 1000 or higher", "UID 1000 or more": the bound said after the number. */
const UID_BOUND_AFTER = new RegExp(
  `${UID_SUBJECT.source}(?:\\s+(?:of|is|be|must\\s+be|set\\s+to|to|that\\s+is|which\\s+is))*\\s+(\\d+)\\s+or\\s+` +
    `(more|higher|greater|larger|above|over|less|lower|smaller|fewer|below|under)\\b`,
  'i',
);

/**
 * "a runAsUser between 1000 and 2000", "runAsUser must be in the range 1000-2000", "… from 1000 to 2000": both ends
 * allowed (a range of IDs is given by its first and last, as PodSecurityPolicy's MustRunAs ranges were). "exclusive"
 * is not matched (its word is left unplaced).
 */
const UID_RANGE = new RegExp(
  `${UID_SUBJECT.source}(?:\\s+(?:of|is|be|must\\s+be|set\\s+to|to|that\\s+is|which\\s+is))*\\s+(?:a\\s+(?:number|value)\\s+)?` +
    `(?:between\\s+(\\d+)\\s+and\\s+(\\d+)|in\\s+the\\s+range\\s+(?:of\\s+)?(\\d+)\\s*(?:-|\u2013|to)\\s*(\\d+)|from\\s+(\\d+)\\s+to\\s+(\\d+))(?![\\w.])(?:\\s*,?\\s*\\(?inclusive\\)?)?`,
  'i',
);

/** "runAsUser must be between 1000 and 2000": every container's runAsUser (its own, else the pod's) set and in the range. */
function uidRange(ctx: FamilyContext): FamilySolution | undefined {
  const m = UID_RANGE.exec(ctx.text);
  if (!m) return undefined;
  // A ban on a range ("must not run with a UID between …") and a range beside another bound are other rules.
  if (ctx.negated || [...ctx.text.matchAll(/(?<![\w.])\d+(?![\w.])/g)].length !== 2) return undefined;
  if (/\b(?:unset|not\s+set|absent|omitted|undefined|missing|empty|left\s+out|exclusive)\b/i.test(ctx.text))
    return undefined;
  const lo = Number(m[1] ?? m[3] ?? m[5]);
  const hi = Number(m[2] ?? m[4] ?? m[6]);
  if (!(lo < hi)) return undefined;
  const effective =
    '(typeof c.securityContext?.runAsUser === "number" ? c.securityContext.runAsUser : podSpec?.securityContext?.runAsUser)';
  const range = `from ${lo} to ${hi} (both included)`;
  const mid = Math.floor((lo + hi) / 2);
  return containerRule(ctx, {
    family: 'run-as-user-bound',
    summary: `every container's runAsUser (its own, else the pod's) must be set and ${range}; an unset runAsUser runs the image's own user, which admission cannot see, so it is denied`,
    offends: `!(typeof ${effective} === "number" && ${effective} >= ${lo} && ${effective} <= ${hi})`,
    describe: `'container ' + ${cname} + ' runAsUser ' + (${effective} === undefined ? 'unset' : ${effective}) + ${js(` is not ${range}`)}`,
    skills: [],
    offending: [
      { name: `runAsUser ${hi + 1}`, container: { securityContext: { runAsUser: hi + 1 } } },
      ...(lo > 0 ? [{ name: `runAsUser ${lo - 1}`, container: { securityContext: { runAsUser: lo - 1 } } }] : []),
      { name: `runAsUser ${hi + 1} at pod level`, container: {}, podSpec: { securityContext: { runAsUser: hi + 1 } } },
      { name: "no runAsUser (the image's own user)", container: {} },
      {
        name: `runAsUser ${hi + 1} in the container over a pod-level ${mid}`,
        container: { securityContext: { runAsUser: hi + 1 } },
        podSpec: { securityContext: { runAsUser: mid } },
      },
    ],
    compliant: [
      { name: `runAsUser ${lo}`, container: { securityContext: { runAsUser: lo } } },
      { name: `runAsUser ${hi}`, container: { securityContext: { runAsUser: hi } } },
      { name: `runAsUser ${mid} at pod level`, container: {}, podSpec: { securityContext: { runAsUser: mid } } },
    ],
    polarity: 'require',
  });
}

const runAsUserBound: OfflineFamily = {
  id: 'run-as-user-bound',
  title: 'runAsUser bounded (greater than, at least, below, at most N), pod or container securityContext',
  examples: [
    'runAsUser must be greater than 1000.',
    'Containers must run as a user ID of at least 10000.',
    'Pods must not run with a UID below 1000.',
  ],
  phrases: [
    ...POD_PHRASES,
    UID_BOUND_PHRASE,
    UID_BOUND_AFTER,
    UID_RANGE,
    /\b(?:run|runs|running)\s+(?:as|with)\b/i,
    /\b(?:a|the|its|their|of)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (UID_RANGE.test(t)) return uidRange(ctx);
    const after = UID_BOUND_AFTER.exec(t);
    // "1000 or higher" is "at least 1000", "1000 or lower" "at most 1000".
    const m: readonly string[] | null = after
      ? [after[0], /^(?:less|lower|smaller|fewer|below|under)$/i.test(after[2]) ? 'at most' : 'at least', after[1]]
      : UID_BOUND_PHRASE.exec(t);
    if (!m) return undefined;
    // One bound per rule: "between", a second number or a second bound is another condition. "Unset" is a
    // negation to the reader, so "at least 1000 or unset" would turn the bound around: not read.
    if ([...t.matchAll(/(?<![\w.])\d+(?![\w.])/g)].length !== 1) return undefined;
    if (/\b(?:unset|not\s+set|absent|omitted|undefined|missing|empty|left\s+out)\b/i.test(t)) return undefined;
    const bound = UID_BOUNDS.find((b) => b.words.test(m[1]));
    if (!bound) return undefined;
    const n = Number(m[2]);
    // A ban on the field's values ("runAsUser greater than 1000 is not allowed") says nothing of an unset field,
    // which has no value; a ban on what the container runs as ("must not run with a UID below 1000") covers the
    // image's unknown user too. Only the second is read.
    if (ctx.negated && !/\b(?:run|runs|running)\s+(?:as|with)\b/i.test(t)) return undefined;
    // "must not run with a UID below 1000" is "at least 1000": the statement's negation turns the bound around.
    const flip = { '>': '<=', '>=': '<', '<': '>=', '<=': '>' } as const;
    const op = ctx.negated ? flip[bound.op] : bound.op;
    const ok = (x: number): boolean => (op === '>' ? x > n : op === '>=' ? x >= n : op === '<' ? x < n : x <= n);
    const words = { '>': 'greater than', '>=': 'at least', '<': 'less than', '<=': 'at most' }[op];
    const good = [n + 1, n, n - 1, n + 1000, 0].find((x) => x >= 0 && ok(x));
    const bad = [n, n + 1, n - 1, 0, n + 1000].find((x) => x >= 0 && !ok(x));
    if (good === undefined || bad === undefined) return undefined;
    const effective =
      '(typeof c.securityContext?.runAsUser === "number" ? c.securityContext.runAsUser : podSpec?.securityContext?.runAsUser)';
    return containerRule(ctx, {
      family: 'run-as-user-bound',
      summary: `every container's runAsUser (its own, else the pod's) must be set and ${words} ${n}; an unset runAsUser runs the image's own user, which admission cannot see, so it is denied`,
      offends: `!(typeof ${effective} === "number" && ${effective} ${op} ${n})`,
      describe: `'container ' + ${cname} + ' runAsUser ' + (${effective} === undefined ? 'unset' : ${effective}) + ${js(` is not ${words} ${n}`)}`,
      skills: [],
      offending: [
        { name: `runAsUser ${bad}`, container: { securityContext: { runAsUser: bad } } },
        { name: `runAsUser ${bad} at pod level`, container: {}, podSpec: { securityContext: { runAsUser: bad } } },
        { name: "no runAsUser (the image's own user)", container: {} },
        {
          name: `runAsUser ${bad} in the container over a pod-level ${good}`,
          container: { securityContext: { runAsUser: bad } },
          podSpec: { securityContext: { runAsUser: good } },
        },
      ],
      compliant: [
        { name: `runAsUser ${good}`, container: { securityContext: { runAsUser: good } } },
        { name: `runAsUser ${good} at pod level`, container: {}, podSpec: { securityContext: { runAsUser: good } } },
      ],
      polarity: ctx.negated ? 'forbid' : 'require',
    });
  },
};

/** The procMount family's phrases that say Default (or unset) is what is allowed. */
const PROC_MOUNT_DEFAULT_REQUIRED = [
  /\b(?:is\s+|be\s+)?(?:either\s+)?(?:unset|not\s+set)\s*,?\s*or\s+(?:set\s+to\s+)?[`'"]?Default[`'"]?/i,
  /\b(?:be|is|set\s+to)\s+[`'"]?Default[`'"]?/i,
  /\b(?:use|uses|using)\s+(?:the\s+)?[`'"]?Default[`'"]?\s+(?:proc\s?mount|procMount)(?:\s+type)?\b/i,
  /\bnothing\s+but\s+(?:the\s+)?[`'"]?default[`'"]?\s+(?:proc\s?mount|procMount)(?:\s+types?)?\b/i,
  /\b(?:be\s+)?changed\s+from\s+(?:the\s+)?[`'"]?default[`'"]?(?:\s+(?:value|type))?/i,
];

const procMount: OfflineFamily = {
  id: 'proc-mount',
  title: 'procMount other than Default (Unmasked) forbidden',
  examples: [
    'This policy ensures the `procMount` field is unset or set to `Default`.',
    'Containers must not set procMount to `Unmasked`.',
  ],
  phrases: [
    ...POD_PHRASES,
    [/\b(?:is\s+|be\s+)?(?:either\s+)?(?:unset|not\s+set)\s*,?\s*or\s+(?:set\s+to\s+)?[`'"]?Default[`'"]?/i, 'not'],
    [/\b(?:be|is|set\s+to)\s+[`'"]?Default[`'"]?/i, 'not'],
    // "must use the Default procMount": anything else is the offence.
    [/\b(?:use|uses|using)\s+(?:the\s+)?[`'"]?Default[`'"]?\s+(?:proc\s?mount|procMount)(?:\s+type)?\b/i, 'not'],
    // "nothing but the default procMount can be specified": no procMount other than Default.
    [/\bnothing\s+but\s+(?:the\s+)?[`'"]?default[`'"]?\s+(?:proc\s?mount|procMount)(?:\s+types?)?\b/i, 'not'],
    // "must not be changed from the default": anything but Default is the offence.
    /\b(?:be\s+)?changed\s+from\s+(?:the\s+)?[`'"]?default[`'"]?(?:\s+(?:value|type))?/i,
    /\b(?:the\s+)?(?:default\s+)?(?:proc\s?mount|procMount)(?:\s+types?)?\b/i,
    /[`'"]?\bUnmasked\b[`'"]?/,
    /\bto\b/i,
  ],
  match: (ctx) => {
    if (!/\bproc\s?mount\b/i.test(ctx.text)) return undefined;
    // The rule is fixed (Default or unset allowed, Unmasked not): the value the text names must be the one it
    // allows or the one it bans. "The Default procMount is not allowed", "Setting procMount to Default is
    // forbidden" ban Default; "must be unset or set to Unmasked", "use the Unmasked procMount" require Unmasked.
    // Read as the fixed rule, each would deny what the text allows: not read.
    const t = ctx.text;
    const defaultNamed = /[`'"]default[`'"]|\bDefault\b|\bdefault\s+(?:proc\s?mount|procMount)\b/.test(t);
    if (defaultNamed && !PROC_MOUNT_DEFAULT_REQUIRED.some((re) => re.test(t))) return undefined;
    if (
      /\b(?:unset|not\s+set)\s*,?\s*or\s+(?:set\s+to\s+)?[`'"]?unmasked\b|(?<!\bnot\s|\bnever\s)\b(?:be|use|uses|using)\s+(?:set\s+to\s+)?(?:the\s+)?[`'"]?unmasked\b/i.test(
        t,
      )
    )
      return undefined;
    return containerRule(ctx, {
      family: 'proc-mount',
      summary: 'containers must leave procMount unset or Default (Unmasked is not allowed)',
      offends: 'c.securityContext?.procMount !== undefined && c.securityContext?.procMount !== "Default"',
      describe: `'container ' + ${cname} + ' uses procMount ' + c.securityContext.procMount + ' (only "Default" is allowed; "Unmasked" is not)'`,
      skills: [],
      offending: [{ name: 'procMount Unmasked', container: { securityContext: { procMount: 'Unmasked' } } }],
      compliant: [
        { name: 'no procMount', container: {} },
        { name: 'procMount Default', container: { securityContext: { procMount: 'Default' } } },
      ],
      polarity: 'forbid',
    });
  },
};

const automountToken: OfflineFamily = {
  id: 'automount-token',
  title: 'pods must not automount the service account token (automountServiceAccountToken: false)',
  examples: [
    'This policy ensures Pods set `automountServiceAccountToken` to `false`.',
    'Pods must not automount service account tokens.',
  ],
  phrases: [
    // "… must not be automatically mounted (into pods)": how the token is mounted, and where
    /\bautomatically(?=\s+mount)/i,
    /\binto(?=\s+(?:(?:the|their|its|a|any|every)\s+)?(?:pods?|containers?)\b)/i,
    ...POD_PHRASES,
    /\bautomountServiceAccountToken\b/i,
    /\b(?:auto-?)?mount(?:s|ed|ing)?(?:\s+of)?\b|\bautomount(?:s|ed|ing)?\b/i,
    /\b(?:(?:the|their|its)\s+)?service\s?accounts?\s+(?:api\s+)?(?:tokens?|credentials)\b/i,
    /\b(?:api\s+)?(?:tokens?|credentials)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (
      !/\bautomountServiceAccountToken\b|\b(?:auto-?)?mount\w*\b[^.]*\bservice\s?accounts?\s+(?:api\s+)?(?:tokens?|credentials)\b/i.test(
        t,
      ) &&
      // "Service account tokens must not be automatically mounted": the token first, then how it is mounted. Only the
      // automatic mount, which is what the field turns off ("must not be mounted" may mean a projected volume too).
      !/\bservice\s?accounts?\s+(?:api\s+)?(?:tokens?|credentials)\b[^.]*\b(?:automatically\s+mounted|auto-?mounted)\b/i.test(
        t,
      )
    )
      return undefined;
    // "unset or false" would allow the default (true): not the same rule, not read. "must not set it to true" leaves
    // an unset field alone too (the default comes from the service account), which this rule denies.
    if (/\b(?:unset|not\s+set|absent|omitted)\b/i.test(t) || /\btrue\b/i.test(t)) return undefined;
    return podSpecRule(
      ctx,
      {
        family: 'automount-token',
        summary: 'pods must set automountServiceAccountToken: false',
        offending: [
          { name: 'automountServiceAccountToken unset (defaults to true)', container: {} },
          {
            name: 'automountServiceAccountToken: true',
            container: {},
            podSpec: { automountServiceAccountToken: true },
          },
        ],
        compliant: [
          {
            name: 'automountServiceAccountToken: false',
            container: {},
            podSpec: { automountServiceAccountToken: false },
          },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const podSpec = podSpecOf(request.object);
if (podSpec && podSpec.automountServiceAccountToken !== false) {
  ${act(ctx, `'pods must set automountServiceAccountToken: false'`)}
}
`,
    );
  },
};

const DEFAULT_SERVICE_ACCOUNT =
  /(?<!\bnon-?)\b(?:the\s+)?[`'"]?default[`'"]?\s+service\s?accounts?\b|\bservice\s?accounts?\s+(?:named|called)\s+[`'"]?default[`'"]?(?![\w-])/i;

const defaultServiceAccount: OfflineFamily = {
  id: 'default-service-account',
  title: 'pods must not run as the namespace\'s default service account (serviceAccountName absent or "default")',
  examples: ['Pods must not use the default service account.', 'Workloads must run with a non-default ServiceAccount.'],
  phrases: [
    ...POD_PHRASES,
    // "a non-default service account", "a service account other than default": the default one is the offence.
    [/\b(?:a\s+)?non-?default\s+service\s?accounts?\b/i, 'not'],
    // "specify a `serviceAccountName` other than `default`": the field named for the account.
    [
      /\b(?:a\s+)?(?:service\s?accounts?|[`'"]?(?:spec\.)?serviceAccountName[`'"]?)\s+other\s+than\s+(?:the\s+)?[`'"]?default[`'"]?(?![\w-])/i,
      'not',
    ],
    DEFAULT_SERVICE_ACCOUNT,
    /\b(?:run|runs|running)\s+(?:as|with|under)\b/i,
  ],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const t = ctx.text;
    if (
      !DEFAULT_SERVICE_ACCOUNT.test(t) &&
      !/\bnon-?default\s+service\s?accounts?\b|\b(?:service\s?accounts?|serviceAccountName[`'"]?)\s+other\s+than\s+(?:the\s+)?[`'"]?default\b/i.test(
        t,
      )
    )
      return undefined;
    return podSpecRule(
      ctx,
      {
        family: 'default-service-account',
        summary:
          'pods must name a service account other than "default" (serviceAccountName, or the deprecated serviceAccount when serviceAccountName is unset; neither set means the default one)',
        offending: [
          { name: 'no service account (the default one)', container: {} },
          { name: 'serviceAccountName default', container: {}, podSpec: { serviceAccountName: 'default' } },
          { name: 'the deprecated serviceAccount default', container: {}, podSpec: { serviceAccount: 'default' } },
        ],
        compliant: [
          { name: 'serviceAccountName app', container: {}, podSpec: { serviceAccountName: 'app' } },
          { name: 'only the deprecated serviceAccount app', container: {}, podSpec: { serviceAccount: 'app' } },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const podSpec = podSpecOf(request.object);
// The deprecated serviceAccount stands in when serviceAccountName is unset; neither means the namespace's default.
const account = podSpec ? podSpec.serviceAccountName || podSpec.serviceAccount || 'default' : undefined;
if (account === 'default') {
  ${act(ctx, `'pods must not use the default service account'`)}
}
`,
    );
  },
};

const externalIps: OfflineFamily = {
  id: 'external-ips',
  title: 'Services with externalIPs forbidden',
  examples: ['This policy ensures Services do not use `externalIPs`.', 'Services must not set external IPs.'],
  // The path first: placed after the bare name, "spec." was left over ("Do not set spec.externalIPs" was refused).
  phrases: [/\bspec\.externalIPs\b/i, /\bexternal\s?IPs?(?:\s+(?:addresses|field))?\b|\bexternalIPs\b/i],
  match: (ctx) => {
    const svc = ctx.catalog.byKind('v1', 'Service');
    if (!svc || !/\bexternal\s?IPs?\b/i.test(ctx.text)) return undefined;
    const ns = homeNamespace(ctx);
    const mk = (ips: string[] | undefined, namespace = ns): KubeObject =>
      sample(svc, { namespace, name: 'svc', spec: { type: 'ClusterIP', ...(ips ? { externalIPs: ips } : {}) } });
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    return {
      polarity: 'forbid',
      family: 'external-ips',
      summary: 'Services may not set externalIPs',
      target: targetFor([svc], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests: [
        { name: `a Service with an external IP is ${verb}`, object: mk(['203.0.113.10']), expect: v },
        { name: 'a Service without externalIPs is allowed', object: mk(undefined), expect: 'allow' },
        { name: 'a Service with an empty externalIPs list is allowed', object: mk([]), expect: 'allow' },
        updateCase(`adding an external IP is ${verb}`, mk(undefined), mk(['203.0.113.10']), v),
        ...scopeCases(svc, ctx, (o) => mk(['203.0.113.10'], o.namespace)),
      ],
      javascript: `${namespaceGuard(ctx, [svc])}const ips = request.object?.spec?.externalIPs;
if (Array.isArray(ips) && ips.length > 0) {
  ${act(ctx, `'Services may not set externalIPs: ' + ips.join(', ')`)}
}
`,
    };
  },
};

const hostProcess: OfflineFamily = {
  id: 'host-process',
  title: 'Windows HostProcess containers forbidden (windowsOptions.hostProcess: true, pod or container)',
  examples: [
    'This policy ensures the `hostProcess` field, if present, is set to `false`.',
    'Pods must not run HostProcess containers.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\b(?:windows\s+)?(?:hostProcess|host\s?process)(?:\s+(?:field|containers?|pods?|mode))?\b/i,
    /\bwindowsOptions(?:\.hostProcess)?\b/i,
    /\bif\s+present\b/i,
    /\b(?:run|runs|running)\b/i,
  ],
  match: (ctx) => {
    if (!/\bhost\s?process\b/i.test(ctx.text)) return undefined;
    const flag = (where: string): string =>
      `(${where} && ${where}.windowsOptions && ${where}.windowsOptions.hostProcess === true)`;
    return containerRule(ctx, {
      family: 'host-process',
      summary: 'HostProcess containers (windowsOptions.hostProcess: true, in the pod or a container) are not allowed',
      offends: `${flag('podSpec?.securityContext')} || ${flag('c.securityContext')}`,
      describe: `'container ' + ${cname} + ' runs as a HostProcess container'`,
      skills: [],
      offending: [
        {
          name: 'hostProcess: true in the container',
          container: { securityContext: { windowsOptions: { hostProcess: true } } },
        },
        {
          name: 'hostProcess: true at pod level',
          container: {},
          podSpec: { securityContext: { windowsOptions: { hostProcess: true } } },
        },
      ],
      compliant: [
        { name: 'no windowsOptions', container: {} },
        { name: 'hostProcess: false', container: { securityContext: { windowsOptions: { hostProcess: false } } } },
      ],
      polarity: 'forbid',
    });
  },
};

/** "pod controllers", "their controllers": the kinds carrying a pod template, named beside Pods. */
// "Pods, Deployments and other workloads": the kinds that carry a pod template, as "pod controllers" says.
const POD_CONTROLLERS_SAID = /\b(?:pod|their|its)\s+controllers\b|\bother\s+workloads\b/i;

const kindInNamespace: OfflineFamily = {
  id: 'kind-in-namespace',
  title: 'a kind forbidden in named namespaces (e.g. nothing in default)',
  examples: ['Pods must not be created in the default namespace.', 'Deny Deployments in namespace legacy.'],
  phrases: [POD_CONTROLLERS_SAID],
  match: (ctx) => {
    // The statement's polarity (reading.ts) says whether it forbids: "Pods are not created in …" does, without a deny verb.
    // A property counted as a negation ("Secrets in shop are required to be immutable", "… disabled", "… unset") says
    // how the objects must be, not that they may not be there: read as a ban on Secrets in shop, it was inverted.
    if (
      ctx.namespaces.length === 0 ||
      !(ctx.negated || forbids(ctx.text)) ||
      /\blabel|annotat|image|contain|replica|host|privileged|type\b|\bimmutable\b|\bdisabl|\bunset\b/i.test(ctx.text)
    )
      return undefined;
    const r = subjectResources(ctx).find((x) => x.namespaced);
    if (!r) return undefined;
    // "Pods and pod controllers": the controllers are what a rule on Pods reaches anyway (workloads()); said without
    // Pods ("Pod controllers must not be created …") they are not read as Pods, nor when the rule would not reach them.
    if (new RegExp(POD_CONTROLLERS_SAID.source, 'i').test(ctx.text)) {
      const rest = ctx.text.replace(new RegExp(POD_CONTROLLERS_SAID.source, 'gi'), ' ');
      if (r.kind !== 'Pod' || !/\bpods?\b/i.test(rest) || !ctx.podControllers) return undefined;
    }
    const ns = ctx.namespaces[0];
    const v = violation(ctx);
    const tests: TestCase[] = [
      {
        name: `a ${r.kind} in ${ns} is ${v === 'warn' ? 'warned' : 'denied'}`,
        object: sample(r, { namespace: ns, name: 'x' }),
        expect: v,
        message: ns,
      },
      {
        name: `a ${r.kind} in another namespace is allowed`,
        object: sample(r, { namespace: ns === 'apps' ? 'web' : 'apps', name: 'x' }),
        expect: 'allow',
      },
      {
        name: `a ${r.kind} in kube-system is allowed`,
        object: sample(r, { namespace: 'kube-system', name: 'x' }),
        expect: 'allow',
      },
    ];
    const outsider = ctx.catalog.byKind('v1', r.kind === 'ConfigMap' ? 'Secret' : 'ConfigMap');
    if (outsider)
      tests.push({
        name: `a ${outsider.kind} in ${ns} is not this policy's business`,
        object: sample(outsider, { namespace: ns, name: 'x' }),
        expect: 'allow',
      });
    // No Pods in a namespace means no pod controllers there either: their pods would be refused one by one.
    const resources = r.kind === 'Pod' ? workloads(ctx) : [r];
    for (const c of resources.filter((x) => x.kind === 'Deployment' || x.kind === 'CronJob')) {
      tests.push(
        {
          name: `a ${c.kind} in ${ns} is ${v === 'warn' ? 'warned' : 'denied'}`,
          object: sample(c, { namespace: ns, name: 'x' }),
          expect: v,
        },
        {
          name: `a ${c.kind} in another namespace is allowed`,
          object: sample(c, { namespace: ns === 'apps' ? 'web' : 'apps', name: 'x' }),
          expect: 'allow',
        },
      );
    }
    const what = resources.length > 1 ? 'Pods and pod controllers' : `${r.kind} objects`;
    return {
      polarity: 'forbid',
      family: 'kind-in-namespace',
      summary: `${what} may not be created in namespace ${ctx.namespaces.join(', ')}`,
      target: targetFor(resources, ['CREATE'], 'Validating', ctx.namespaces),
      steps: [step('inNamespaces', 'the request is in one of the named namespaces')],
      tests,
      javascript: `if (inNamespaces(request, ${js(ctx.namespaces)})) {
  ${act(ctx, `${js(`${what} may not be created in namespace `)} + (request.namespace || '')`)}
}
`,
    };
  },
};

/**
 * "set spec.mtls.mode to STRICT", "spec.mtls.mode must be set to STRICT": one value a dotted path must hold.
 * Only the "set" wordings: they say the field must be present, where "spec.mtls.mode must be STRICT" leaves
 * open whether leaving it out (and taking the controller's default) is fine.
 */
const VALUE_TOKEN = `['"\\\`]?([A-Za-z0-9._:/-]*[A-Za-z0-9_/-])['"\\\`]?(?![^\\s.,;!?'"\\\`]|\\.[A-Za-z0-9]|\\s*(?:,|\\bor\\b|\\band\\b|\\bif\\b|\\bwhen\\b|\\bunless\\b))`;
const FIELD_VALUE = new RegExp(
  `\\bset\\s+${PATH.source}\\s+to\\s+${VALUE_TOKEN}|${PATH.source.replace('(', '(?<path>')}\\s+(?:must|should|needs\\s+to|has\\s+to)\\s+be\\s+set\\s+to\\s+${VALUE_TOKEN.replace('(', '(?<value>')}`,
);

/** Kubernetes' own API groups: the core group, dotless groups (apps, batch, policy) and *.k8s.io. */
const BUILT_IN_GROUP = /^$|^[a-z0-9-]+$|\.k8s\.io$/;

const fieldValueRequired: OfflineFamily = {
  id: 'field-value-required',
  title: 'a field path required to hold one value, on any catalog resource (CRDs included)',
  examples: [
    'PeerAuthentication resources must set spec.mtls.mode to STRICT.',
    'StorageBuckets must set spec.storageClass to STANDARD.',
  ],
  phrases: [FIELD_VALUE],
  match: (ctx) => {
    const m = FIELD_VALUE.exec(ctx.text);
    if (
      !m ||
      forbids(ctx.text) ||
      !/\b(?:must|should|need to|needs to|has to|have to|required?|requires)\b/i.test(ctx.text)
    )
      return undefined;
    const r = subjectResources(ctx)[0];
    if (!r || ctx.resources.length !== 1) return undefined;
    const path = m[1] ?? m.groups?.path;
    const raw = m[2] ?? m.groups?.value;
    // A built-in kind's fields are read by the families that know how the API server defaults them; and an unset
    // boolean is usually false already, so "must set X to false" would deny the ordinary object.
    if (!path || !raw || raw === 'false' || BUILT_IN_GROUP.test(r.group) || throughList(path)) return undefined;
    // A plural field is usually a list ("spec.dnsNames", "spec.hosts"): one value set there is not the list.
    if (/[^s]s$/.test(path) && !/(?:us|is)$/.test(path)) return undefined;
    const value: unknown = raw === 'true' ? true : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    const parts = path.split('.');
    const ns = homeNamespace(ctx);
    const mk = (value: unknown, namespace = ns): KubeObject => sampleWithField(r, namespace, parts, value);
    const other = typeof value === 'boolean' ? !value : typeof value === 'number' ? value + 1 : `${raw}-other`;
    const v = violation(ctx);
    const denied = v === 'warn' ? 'warned' : 'denied';
    return {
      polarity: 'require',
      family: 'field-value-required',
      summary: `${r.kind} objects must set ${path} to ${raw}`,
      target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('getPath', 'read a dotted path without throwing')],
      tests: [
        { name: `${r.kind} with ${path} ${raw} is allowed`, object: mk(value), expect: 'allow' },
        { name: `${r.kind} with another ${path} is ${denied}`, object: mk(other), expect: v },
        // "must set X to V": an object that leaves X out has not set it, whatever a controller would assume.
        { name: `${r.kind} without ${path} is ${denied}`, object: mk(undefined), expect: v },
        updateCase(`changing ${path} away from ${raw} is ${denied}`, mk(value), mk(other), v),
        ...scopeCases(r, ctx, (o) => mk(other, o.namespace)),
      ],
      javascript: `${namespaceGuard(ctx, [r])}if (getPath(request.object, ${js(path)}) !== ${js(value)}) {
  ${act(ctx, js(`${r.kind} objects must set ${path} to ${raw}`))}
}
`,
    };
  },
};

/**
 * "This policy ensures that Jobs set ttlSecondsAfterFinished": with the lead dropped, "Jobs set …" is the need,
 * said as what every object does. Only a short subject (no clause of its own: "which", "that", "with", "if" …)
 * then the setter; a negation is the families' own business (they refuse or ban).
 */
const STATES_SETTER =
  /^(?:(?!\b(?:which|that|who|whose|with|without|if|when|unless|except|not|no|only)\b)[^,;:]){1,80}?\b(?:sets?|specif(?:y|ies)|defines?|declares?)\s+\S/i;

/** "without", "lacking", "that do not set": the field path follows, the thing the object lacks. */
const ABSENT_BEFORE_PATH =
  /\b(?:without|lacking|missing|lacks?|(?:that|which)\s+(?:do|does)\s*(?:not|n['\u2019]t)\s+(?:set|have|define|specify|include|contain))\s+(?:an?\s+|the\s+|any\s+)?[`'"]?$/i;

const fieldRequired: OfflineFamily = {
  id: 'field-required',
  title: 'a field path required (set and non-empty), on any catalog resource',
  examples: ['Pods must set spec.priorityClassName.', 'Deployments must define spec.template.spec.serviceAccountName.'],
  phrases: [PATH, /\b(?:non-?empty|a\s+value)\b/i],
  match: (ctx) => {
    const found = PATH.exec(ctx.text);
    const path = found?.[1];
    // "Pods must set spec.priorityClassName and spec.schedulerName": one path is checked; the second was placed (the
    // phrase takes every path) and dropped, so a pod without it passed. Two paths are two rules: refused.
    if (new Set([...ctx.text.matchAll(new RegExp(PATH.source, 'g'))].map((m) => m[1])).size > 1) return undefined;
    // "Deny pods that do not set spec.priorityClassName", "Pods without spec.priorityClassName are not allowed": the
    // requirement said as a ban on its absence (two negations, which the reader counts to a requirement).
    const absenceBanned =
      found !== null && forbids(ctx.text) && ABSENT_BEFORE_PATH.test(ctx.text.slice(0, found.index));
    if (
      !path ||
      (!absenceBanned &&
        (!(
          /\b(must|should|need to|needs to|required?|requires)\s+(?:set|have|define|specify|include|contain)?\b/i.test(
            ctx.text,
          ) || STATES_SETTER.test(ctx.text)
        ) ||
          forbids(ctx.text))) ||
      // "set spec.acme.server to https://…" names the value: any value would pass here.
      /\bset\s+(?:\S+\s+)?to\s+(?!(?:a\s+)?(?:non-?empty\s+)?value\b)\S/i.test(ctx.text)
    )
      return undefined;
    const r = subjectResources(ctx)[0];
    if (!r) return undefined;
    const parts = path.split('.');
    if (throughList(path)) return undefined;
    const unset = `value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)`;
    // "Pods must set spec.priorityClassName": a Deployment's pods are made from its template, so a rule that only
    // looked at Pods would let the Deployment in and stop its pods (the pod-controllers class of issue 11).
    if (r.kind === 'Pod' && parts[0] === 'spec' && parts.length > 1 && ctx.resources.length === 1) {
      const inner = parts.slice(1);
      const nest = (x: unknown): Record<string, unknown> => nestedAt(inner, x);
      return podSpecRule(
        ctx,
        {
          family: 'field-required',
          summary: `pods must set ${path}`,
          offending: [
            { name: `no ${path}`, container: {} },
            { name: `an empty ${path}`, container: {}, podSpec: nest('') },
          ],
          compliant: [{ name: `${path} set`, container: {}, podSpec: nest('value') }],
          polarity: 'require',
        },
        [
          step('podSpecOf', 'the pod spec of a pod or workload'),
          step('getPath', 'read a dotted path without throwing'),
        ],
        () => `const value = getPath(podSpecOf(request.object), ${js(inner.join('.'))});
if (${unset}) {
  ${act(ctx, js(`pods must set ${path}`))}
}
`,
      );
    }
    const scoped = fieldSamples(ctx, r, parts);
    if (!scoped) return undefined;
    const { scope, mk } = scoped;
    const v = violation(ctx);
    return {
      polarity: 'require',
      family: 'field-required',
      summary: `${r.kind} objects must set ${path}${scope?.note ?? ''}`,
      target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [step('getPath', 'read a dotted path without throwing')],
      tests: [
        { name: `${r.kind} with ${path} set is allowed`, object: mk('value'), expect: 'allow' },
        {
          name: `${r.kind} without ${path} is ${v === 'warn' ? 'warned' : 'denied'}`,
          object: mk(undefined),
          expect: v,
          message: parts[parts.length - 1],
        },
        { name: `${r.kind} with an empty ${path} is ${v === 'warn' ? 'warned' : 'denied'}`, object: mk(''), expect: v },
        updateCase(`removing ${path} is ${v === 'warn' ? 'warned' : 'denied'}`, mk('value'), mk(undefined), v),
        ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
        ...(scope ? scope.cases(() => mk(undefined), v) : []),
      ],
      javascript: `${namespaceGuard(ctx, [r])}${scope?.guard ?? ''}const value = getPath(request.object, ${js(path)});
if (${unset}) {
  ${act(ctx, js(`${r.kind} objects must set ${path}`))}
}
`,
    };
  },
};

/**
 * Fields of the built-in kinds that hold lists: a dotted path through one names no single value ("spec.containers.
 * image" is every container's image, or one's).
 */
const LIST_FIELDS: ReadonlySet<string> = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'volumes',
  'volumeMounts',
  'volumeDevices',
  'env',
  'envFrom',
  'ports',
  'tolerations',
  'imagePullSecrets',
  'hostAliases',
  'topologySpreadConstraints',
  'readinessGates',
  'resourceClaims',
  'schedulingGates',
  'rules',
  'tls',
  'hosts',
  'paths',
  'subjects',
  'ingress',
  'egress',
  'from',
  'to',
  'finalizers',
  'ownerReferences',
  'conditions',
  'args',
  'command',
  'externalIPs',
  'loadBalancerSourceRanges',
  'accessModes',
  'webhooks',
  'secrets',
  'nodeSelectorTerms',
  'matchExpressions',
  'verbs',
  'apiGroups',
]);

const immutableMetadata: OfflineFamily = {
  id: 'immutable-metadata',
  title: 'a label or annotation that may not change (or be removed) once set',
  examples: ['The team label of Deployments must not change.', 'Deny changes to the owner annotation on Namespaces.'],
  phrases: [
    META_PHRASE,
    // "must be immutable" says "must not change": a negation, as the reader counts it elsewhere.
    [/\bimmutable\b/i, 'not'],
    /\b(?:chang(?:e|es|ed|ing)|modif(?:y|ies|ied|ying|ications?)|edit(?:s|ed|ing)?|alter(?:s|ed|ing|ations?)?)\b/i,
    /\b(?:or|and)\s+(?:remov(?:e|ed|al|ing)|delet(?:e|ed|ion|ing))\b/i,
    /\b(?:once\s+set|after\s+creation)\b/i,
  ],
  match: (ctx) => {
    const word = metaWord(ctx.text);
    if (!word || !/\b(immutable|chang\w*|modif\w*|edit\w*|alter\w*)\b/i.test(ctx.text) || PATH.test(ctx.text))
      return undefined;
    const kv = keyValuesNear(ctx.text, word)[0];
    const r = subjectResources(ctx)[0];
    if (!kv || kv.prefix || !r) return undefined;
    const field = word === 'label' ? 'labels' : 'annotations';
    const getter = word === 'label' ? 'getLabel' : 'getAnnotation';
    const ns = homeNamespace(ctx);
    const mk = (value: string | undefined, namespace = ns): KubeObject =>
      sample(r, { namespace, name: 'sample', ...(value === undefined ? {} : { [field]: { [kv.key]: value } }) });
    const v = violation(ctx);
    return {
      polarity: 'forbid',
      family: 'immutable-metadata',
      summary: `the ${word} ${kv.key} of ${r.kind} objects may not change once set`,
      target: targetFor([r], ['UPDATE'], 'Validating', ctx.namespaces),
      steps: [step(getter, `read a ${word}`)],
      tests: [
        updateCase(`changing the ${word} ${kv.key} is denied`, mk('a'), mk('b'), v),
        updateCase(`removing the ${word} ${kv.key} is denied`, mk('a'), mk(undefined), v),
        updateCase(
          `an UPDATE keeping the ${word} ${kv.key} is allowed`,
          mk('a'),
          variant(mk('a'), (o) => ((o.metadata ??= {}).generation = 2)),
          'allow',
        ),
        updateCase(`setting the ${word} ${kv.key} for the first time is allowed`, mk(undefined), mk('a'), 'allow'),
        { name: `creating with any ${kv.key} is allowed`, object: mk('a'), expect: 'allow' },
        ...(r.namespaced
          ? [
              updateCase(
                `changing it in kube-system is allowed`,
                mk('a', 'kube-system'),
                mk('b', 'kube-system'),
                'allow',
              ),
            ]
          : []),
      ],
      javascript: `${namespaceGuard(ctx, [r])}const before = ${getter}(request.oldObject, ${js(kv.key)});
if (request.operation === 'UPDATE' && before !== undefined && ${getter}(request.object, ${js(kv.key)}) !== before) {
  ${act(ctx, js(`the ${word} ${kv.key} of ${r.kind} objects may not change once set`))}
}
`,
    };
  },
};

const VERB_OPERATIONS: Record<string, Array<'CREATE' | 'UPDATE' | 'DELETE'>> = {
  create: ['CREATE'],
  add: ['CREATE'],
  make: ['CREATE'],
  update: ['UPDATE'],
  modify: ['UPDATE'],
  change: ['UPDATE'],
  edit: ['UPDATE'],
  patch: ['UPDATE'],
  delete: ['DELETE'],
  remove: ['DELETE'],
  manage: ['CREATE', 'UPDATE', 'DELETE'],
  write: ['CREATE', 'UPDATE', 'DELETE'],
};

const requesterGroups: OfflineFamily = {
  id: 'requester',
  title: 'only given groups or users may create / update / delete a kind',
  examples: [
    'Only members of the group platform-admins may create Namespaces.',
    'Only the user alice may delete ConfigMaps in namespace shop.',
  ],
  phrases: [
    /\bonly\s+(?:members\s+of\s+)?(?:the\s+)?(?:groups?|users?)\s+(.+?)\s+(?:may|can|are allowed to|is allowed to)\b/i,
    /\b(?:create|add|make|update|modify|change|edit|patch|delete|remove|manage|write)\b/i,
  ],
  match: (ctx) => {
    const m =
      /\bonly\s+(?:members\s+of\s+)?(?:the\s+)?(groups?|users?)\s+(.+?)\s+(?:may|can|are allowed to|is allowed to)\s+((?:create|add|make|update|modify|change|edit|patch|delete|remove|manage|write)(?:\s*(?:,|and|or)\s*(?:create|add|make|update|modify|change|edit|patch|delete|remove|manage|write))*)\b/i.exec(
        ctx.text,
      );
    if (!m || /\bbound\b|\bbind/i.test(ctx.text)) return undefined;
    const byGroup = /^group/i.test(m[1]);
    const names = m[2]
      .split(/\s*(?:,|\band\b|\bor\b)\s*/)
      .map((x) => unquote(x.trim()))
      .filter(Boolean);
    const operations = [
      ...new Set(
        m[3]
          .toLowerCase()
          .split(/\s*(?:,|and|or)\s*/)
          .flatMap((v) => VERB_OPERATIONS[v.trim()] ?? []),
      ),
    ];
    const r = subjectResources(ctx).find((x) => !['Group', 'User'].includes(x.kind));
    if (!r || names.length === 0 || operations.length === 0) return undefined;
    const ns = homeNamespace(ctx);
    const insider = byGroup
      ? { username: 'alice', groups: [names[0], 'system:authenticated'] }
      : { username: names[0], groups: ['system:authenticated'] };
    const outsider = byGroup
      ? { username: 'mallory', groups: ['developers', 'system:authenticated'] }
      : { username: 'mallory', groups: ['system:authenticated'] };
    const v = violation(ctx);
    const request = (
      op: 'CREATE' | 'UPDATE' | 'DELETE',
      userInfo: TestCase['userInfo'],
      namespace = ns,
    ): Omit<TestCase, 'name' | 'expect'> => {
      const obj = sample(r, { namespace, name: 'x' });
      if (op === 'DELETE') return { operation: op, oldObject: obj, userInfo };
      if (op === 'UPDATE')
        return {
          operation: op,
          object: variant(obj, (o) => ((o.metadata ??= {}).labels = { changed: 'yes' })),
          oldObject: obj,
          userInfo,
        };
      return { object: obj, userInfo };
    };
    const who = `${byGroup ? 'members of' : 'the user'} ${names.join(', ')}`;
    const tests: TestCase[] = operations.flatMap((op) => [
      { name: `${op} of a ${r.kind} by ${who} is allowed`, ...request(op, insider), expect: 'allow' as const },
      { name: `${op} of a ${r.kind} by someone else is denied`, ...request(op, outsider), expect: v },
    ]);
    const other = (['CREATE', 'UPDATE', 'DELETE'] as const).find((op) => !operations.includes(op));
    if (other)
      tests.push({
        name: `${other} of a ${r.kind} by someone else is not this policy's business`,
        ...request(other, outsider),
        expect: 'allow',
      });
    tests.push(
      ...(r.namespaced
        ? [
            {
              name: `a ${r.kind} in kube-system is allowed`,
              ...request(operations[0], outsider, 'kube-system'),
              expect: 'allow' as const,
            },
          ]
        : []),
    );
    const check = byGroup
      ? `userInGroups(request, ${js(names)})`
      : `${js(names)}.indexOf(request.userInfo?.username) >= 0`;
    return {
      polarity: 'require',
      family: 'requester',
      summary: `only ${who} may ${operations.join('/').toLowerCase()} ${r.kind} objects`,
      target: targetFor([r], operations, 'Validating', ctx.namespaces),
      steps: byGroup ? [step('userInGroups', 'the requesting user is in one of the groups')] : [],
      tests,
      javascript: `${namespaceGuard(ctx, [r])}if (!(${check})) {
  ${act(ctx, `${js(`only ${who} may ${operations.join('/').toLowerCase()} ${r.kind} objects; not `)} + (request.userInfo?.username || 'this user')`)}
}
`,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Image pull policy (validating), AppArmor, SELinux, sysctls and volume types: the values the text names,
// read as an allow-list or a ban. A name the family does not know, or a list it cannot split, is a refusal.

const pullPolicyRequired: OfflineFamily = {
  id: 'image-pull-policy-required',
  title: 'every container must set imagePullPolicy to the named value (validating)',
  examples: ['Image pull policy must be set to "Always".', 'Containers must set imagePullPolicy to `Always`.'],
  phrases: [
    ...POD_PHRASES,
    /\bimage\s?pull\s?polic(?:y|ies)\b|\bimagePullPolicy\b/i,
    // "image pull policies other than Always are not allowed": Always is required (two negations).
    [/\bother\s+than\b(?=\s+[`'"]?(?:Always|IfNotPresent|Never)\b)/i, 'not'],
    /[`'"]?\b(?:Always|IfNotPresent|Never)\b[`'"]?/i,
  ],
  match: (ctx) => {
    if (ctx.mode === 'mutate') return undefined;
    const named = [...ctx.text.matchAll(/\b(Always|IfNotPresent|Never)\b/gi)].map((m) => m[1].toLowerCase());
    if (!/\bimage\s?pull\s?polic(?:y|ies)\b|\bimagePullPolic(?:y|ies)\b/i.test(ctx.text) || new Set(named).size !== 1)
      return undefined;
    const value = ['Always', 'IfNotPresent', 'Never'].find((v) => v.toLowerCase() === named[0]);
    if (!value) return undefined;
    const other = value === 'Always' ? 'IfNotPresent' : 'Always';
    if (ctx.negated) return offersUnset(ctx.text) ? undefined : forbidPullPolicy(ctx, value);
    // "Image pull policy should be Always": a container that names no policy gets one from the API server (Always
    // for a ':latest' or untagged image, IfNotPresent otherwise). Whether such a container passes is not said, and
    // the scanners read the same sentence both ways: Polaris fails `image: busybox` with no policy, Checkov's
    // CKV_K8S_15 passes it (its default is Always). Read only when the text asks for the field to be set, or names
    // Never, which no image gets by default.
    if (value !== 'Never' && !PULL_POLICY_SET.test(ctx.text)) return undefined;
    return containerRule(ctx, {
      family: 'image-pull-policy-required',
      summary: `every container must set imagePullPolicy: ${value}`,
      offends: `c.imagePullPolicy !== ${js(value)}`,
      describe: `'container ' + ${cname} + ' has imagePullPolicy ' + (c.imagePullPolicy || 'unset')`,
      skills: [],
      offending: [
        { name: 'no imagePullPolicy', container: {} },
        { name: `imagePullPolicy ${other}`, container: { imagePullPolicy: other } },
      ],
      compliant: [{ name: `imagePullPolicy ${value}`, container: { imagePullPolicy: value } }],
      polarity: 'require',
    });
  },
};

/** "must set imagePullPolicy to Always", "imagePullPolicy must be explicitly set to Always": the field itself is asked for. */
const PULL_POLICY_SET = /\b(?:set|sets|setting|specify|specifies|specified|declare|declares|declared|explicitly)\b/i;

/** The pull policy the API server gives a container that names none: Always for ':latest' or untagged images. */
const EFFECTIVE_PULL_POLICY = `(c.imagePullPolicy || (imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent'))`;

/**
 * "Pods must not use the image pull policy Always": the policy a container ends up with is the offence. The
 * API server defaults an unset imagePullPolicy before admission webhooks run (Always for a ':latest' or untagged
 * image, IfNotPresent otherwise), so the code reads an unset field the same way and the cases say so.
 */
function forbidPullPolicy(ctx: FamilyContext, value: string): FamilySolution | undefined {
  const other = value === 'IfNotPresent' ? 'Always' : 'IfNotPresent';
  const defaulted =
    value === 'Always' ? 'nginx:latest' : value === 'IfNotPresent' ? 'registry.example.com/app:1.4.2' : undefined;
  const notDefaulted = value === 'Always' ? 'registry.example.com/app:1.4.2' : 'nginx:latest';
  return containerRule(ctx, {
    family: 'image-pull-policy-required',
    summary: `no container may use imagePullPolicy ${value} (an unset policy counts as the API server's default: Always for a ':latest' or untagged image, IfNotPresent otherwise)`,
    offends: `${EFFECTIVE_PULL_POLICY} === ${js(value)}`,
    describe: `'container ' + ${cname} + ' uses imagePullPolicy ' + ${EFFECTIVE_PULL_POLICY}`,
    skills: [
      step('imageTag', "an image's tag, 'latest' when it has neither tag nor digest"),
      step('parseImage', 'parse an image reference'),
    ],
    offending: [
      { name: `imagePullPolicy ${value}`, container: { imagePullPolicy: value } },
      ...(defaulted
        ? [{ name: `no imagePullPolicy on ${defaulted} (defaulted to ${value})`, container: { image: defaulted } }]
        : []),
    ],
    compliant: [
      { name: `imagePullPolicy ${other}`, container: { imagePullPolicy: other } },
      {
        name: `no imagePullPolicy on ${notDefaulted} (defaulted to ${notDefaulted.endsWith(':latest') ? 'Always' : 'IfNotPresent'})`,
        container: { image: notDefaulted },
      },
    ],
    polarity: 'forbid',
  });
}

/** The items of a list: "a, b and c" / "`a`, `b`, or `c`", quotes and a final full stop removed. */
function listItems(raw: string): string[] {
  return raw
    .replace(/\.\s*$/, '')
    .split(/\s*(?:,|\band\b|\bor\b|\bas\s+well\s+as\b)\s*/i)
    .map((x) => unquote(x.trim()).replace(/\.$/, ''))
    .filter(Boolean);
}

/** The pod's metadata (Pod, pod template, CronJob's job template), where per-container annotations live. */
const POD_META_JS = `const podMeta = (function (o) {
  if (!o || typeof o !== 'object') return {};
  if (o.kind === 'Pod') return o.metadata || {};
  const s = o.spec || {};
  const t = o.kind === 'CronJob' ? ((s.jobTemplate || {}).spec || {}).template
    : o.kind === 'PodTemplate' ? o.template : s.template;
  return (t && t.metadata) || {};
})(request.object);
`;

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** "RuntimeDefault" / "runtime/default" / "Localhost" / "localhost/x" / "unconfined" → the annotation's spelling. */
function appArmorName(raw: string): string | undefined {
  const v = raw.replace(/[.,]+$/, '');
  const lower = v.toLowerCase();
  if (lower === 'runtimedefault' || lower === 'runtime/default') return 'runtime/default';
  if (lower === 'localhost') return 'localhost/*';
  if (lower === 'unconfined') return 'unconfined';
  if (/^localhost\/[A-Za-z0-9_.*/-]+$/.test(v)) return v;
  return undefined;
}

const APPARMOR_VALUE = new RegExp(
  `[\`'"]?(?:${[
    '\\bRuntimeDefault\\b',
    '\\bLocalhost\\b(?!/)',
    '\\bUnconfined\\b',
    '\\bruntime/default\\b',
    '\\blocalhost/[A-Za-z0-9_.*/-]*[A-Za-z0-9_*]',
  ].join('|')})[\`'"]?`,
  'gi',
);

const apparmor: OfflineFamily = {
  id: 'apparmor',
  title: 'AppArmor profile: only the named profiles allowed, or unconfined forbidden (annotation or appArmorProfile)',
  examples: [
    'Containers must not run with the `unconfined` AppArmor profile.',
    'The AppArmor profile of every container must be `runtime/default` or `localhost/*`.',
    'This policy ensures the AppArmor profile is unset or set to `RuntimeDefault`.',
  ],
  phrases: [
    ...POD_PHRASES,
    UNSET_OR,
    /^\s*configures\b/i,
    /\b(?:an?\s+)?(?:allow-?list|array|list)\s+of\b/i,
    /\bfor\s+use\s+by\b/i,
    // "AppArmor profiles other than runtime/default are not allowed": only the named ones (two negations).
    [/\bother\s+than\b/i, 'not'],
    // "must not specify any other AppArmor profiles than runtime/default": the same, split around the subject.
    [/\b(?:any\s+)?other\b(?=\s+app\s?armor\s+profiles?\s+than\b)/i, 'not'],
    /(?<=\bprofiles?\s+)than\b/i,
    /\bapp\s?armor(?:\s+profiles?)?\b|\bappArmorProfile(?:\.type)?\b/i,
    /\b(?:explicitly\s+set\s+to(?:\s+one\s+of)?|set\s+to\s+one\s+of|one\s+of)\b/i,
    /\bprofiles?(?:\s+types?)?\b/i,
    // "disallows overriding the AppArmor profile with unconfined": setting it to unconfined.
    /\boverrid(?:e|es|ing)\b(?=[^.]*\bwith\s+(?:the\s+)?[`'"]?unconfined\b)/i,
    /\bwith\b(?=\s+(?:the\s+)?[`'"]?unconfined\b)/i,
    APPARMOR_VALUE,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bapp\s?armor/i.test(t)) return undefined;
    const rawNames = [...t.matchAll(APPARMOR_VALUE)].map((m) => unquote(m[0]));
    const names = rawNames.map(appArmorName);
    if (!names.length || names.some((n) => n === undefined)) return undefined;
    const ban = names.every((n) => n === 'unconfined');
    // "runtime/default, not unconfined" mixes an allow-list and a ban: not read.
    if (!ban && names.includes('unconfined')) return undefined;
    // "Profiles other than X are not allowed" speaks of the profiles set: leaving it unset (the container
    // runtime's default profile) is not another profile.
    const otherThan = /\bother\s+(?:app\s?armor\s+profiles?\s+)?than\b/i.test(t);
    if (otherThan && ban) return undefined;
    // A container that names no profile runs under runtime/default ("On supported hosts, the 'runtime/default'
    // AppArmor profile is applied by default"): a list that allows runtime/default allows leaving it unset, as Pod
    // Security Admission does (kubernetes/pod-security-admission@8f84a87 policy/check_appArmorProfile.go, allowed
    // values "'runtime/default', 'localhost/*', empty, undefined"). Unless the text asks for it explicitly.
    const defaultAllowed = names.includes('runtime/default') && !/\bexplicitly\b/i.test(t);
    const unsetAllowed = ban || otherThan || UNSET_OR.test(t) || IF_SET.test(t) || defaultAllowed;
    const prelude = `${POD_META_JS}const appArmorOf = function (c) {
  const a = (podMeta.annotations || {})[${js(APPARMOR_ANNOTATION)} + c.name];
  if (typeof a === 'string' && a) return a;
  const field = function (sc) {
    const p = sc && sc.appArmorProfile;
    if (!p || typeof p !== 'object' || !p.type) return undefined;
    if (p.type === 'RuntimeDefault') return 'runtime/default';
    if (p.type === 'Localhost') return 'localhost/' + (p.localhostProfile || '');
    if (p.type === 'Unconfined') return 'unconfined';
    return String(p.type);
  };
  return field(c.securityContext) || field(podSpec && podSpec.securityContext);
};
const appArmorNamed = ${js(rawNames)}.map(function (n) {
  const l = n.toLowerCase();
  if (l === 'runtimedefault') return 'runtime/default';
  if (l === 'localhost') return 'localhost/*';
  return l === 'unconfined' ? 'unconfined' : n;
});
const appArmorAllowed = function (p) {
  return appArmorNamed.some(function (a) { return a.slice(-1) === '*' ? p.indexOf(a.slice(0, -1)) === 0 : p === a; });
};
`;
    const field = (type: string): Record<string, unknown> => ({
      appArmorProfile: type === 'Localhost' ? { type, localhostProfile: 'profiles/other' } : { type },
    });
    const podUnconfined = { securityContext: field('Unconfined') };
    const good = ban || names.includes('runtime/default') ? 'RuntimeDefault' : 'Localhost';
    const localhostOk = names.some((n) => n === 'localhost/*');
    const offending = ban
      ? [
          { name: 'AppArmor Unconfined in the container', container: { securityContext: field('Unconfined') } },
          { name: 'AppArmor Unconfined at pod level', container: {}, podSpec: podUnconfined },
        ]
      : [
          { name: 'AppArmor Unconfined in the container', container: { securityContext: field('Unconfined') } },
          { name: 'AppArmor Unconfined at pod level', container: {}, podSpec: podUnconfined },
          ...(unsetAllowed ? [] : [{ name: 'no AppArmor profile', container: {} }]),
          ...(localhostOk || good === 'Localhost'
            ? []
            : [{ name: 'a Localhost profile not named', container: { securityContext: field('Localhost') } }]),
        ];
    const compliant = [
      { name: `AppArmor ${good} in the container`, container: { securityContext: field(good) } },
      {
        name: `AppArmor ${good} in the container over Unconfined at pod level`,
        container: { securityContext: field(good) },
        podSpec: podUnconfined,
      },
      ...(unsetAllowed ? [{ name: 'no AppArmor profile', container: {} }] : []),
    ];
    const sol = containerRule(ctx, {
      family: 'apparmor',
      summary: ban
        ? 'no container may run with the unconfined AppArmor profile (annotation, container or pod appArmorProfile)'
        : `every container's AppArmor profile must be ${unsetAllowed ? `unset${defaultAllowed ? " (the runtime's default, runtime/default)" : ''} or ` : ''}${[...new Set(names)].join(' or ')}`,
      offends: ban
        ? 'appArmorOf(c) === "unconfined"'
        : `${unsetAllowed ? 'appArmorOf(c) !== undefined && ' : ''}!appArmorAllowed(appArmorOf(c) || '')`,
      describe: `'container ' + ${cname} + ' AppArmor profile ' + (appArmorOf(c) || 'unset')`,
      skills: [],
      offending,
      compliant,
      polarity: ban ? 'forbid' : 'require',
      prelude,
    });
    if (!sol) return undefined;
    // The annotation form, on a Pod (a controller carries it on its pod template, which the samples do not set).
    const primary = workloads(ctx)[0];
    if (primary?.kind === 'Pod') {
      const v = violation(ctx);
      const annotated = (value: string): KubeObject =>
        sample(primary, {
          namespace: homeNamespace(ctx),
          name: 'app',
          annotations: { [`${APPARMOR_ANNOTATION}c0`]: value },
          podSpec: samplePodSpec([{}]),
        });
      const allowedValue = ban ? 'runtime/default' : (names[0] ?? 'runtime/default').replace('*', 'app');
      sol.tests.push(
        { name: 'the annotation unconfined is denied', object: annotated('unconfined'), expect: v },
        { name: `the annotation ${allowedValue} is allowed`, object: annotated(allowedValue), expect: 'allow' },
      );
    }
    return sol;
  },
};

/** One allowed SELinux configuration: "type container_t" or "type x and level s0". */
type SeLinuxConfig = Partial<Record<'type' | 'user' | 'role' | 'level', string>>;

const SELINUX_NAME = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/;

const selinux: OfflineFamily = {
  id: 'selinux',
  title: 'SELinux options: none at all, or only the named types or configurations',
  examples: [
    'This policy ensures that the `seLinuxOptions` field is undefined.',
    'The SELinux type of every container must be one of container_t, container_init_t or container_kvm_t.',
    'Defines an allow-list of seLinuxOptions configurations: type container_t, type container_init_t.',
  ],
  phrases: [
    ...POD_PHRASES,
    // "is unset or one of a, b", "if set, must be a or b": the list allows an unset type too, as read below.
    /\b(?:is|be)\s+(?:unset|undefined|not\s+set)\s+or\s+(?:one\s+of\b)?/i,
    /\b(?:if|when)\s+(?:it\s+is\s+)?(?:set|specified|present)\b/i,
    [/\b(?:is|are|be)\s+(?:undefined|unset|not\s+set|absent|omitted)\b/i, 'not'],
    /^\s*defines\b/i,
    /\b(?:an?\s+)?(?:allow-?list|array|list)\s+of\b/i,
    /\bse\s?linux(?:\s*options)?\b|\bseLinuxOptions(?:\.type)?\b/i,
    /\b(?:configurations?|configs?|fields?|types?|options)\b/i,
    /\bone\s+of\b/i,
    new RegExp(`\\b(?:(?:type|user|role|level)\\s+)?[\`'"]?${SELINUX_NAME.source}[\`'"]?`, 'i'),
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bse\s?linux/i.test(t)) return undefined;
    // The type is checked only when set (an unset type is the runtime's default), so "unset or one of" and "if set,
    // must be" say what the list already means.
    const listRe =
      /\b(?:configurations?|types?)\b[^.:\n]{0,40}?(?::|\b(?:must|should|shall)\s+be\s+(?:unset\s+or\s+)?one\s+of\b|\bis\s+(?:unset\s+or\s+)?one\s+of\b|(?<=\b(?:if|when)\s+set,?\s+)(?:must|should)\s+be\b)\s*/;
    const lists = [...t.matchAll(new RegExp(`${listRe.source}([^\\n]+?)(?=\\.(?:\\s|$)|$)`, 'gi'))].map((m) => m[1]);
    const check = (configs: SeLinuxConfig[], whole: boolean): string =>
      whole
        ? `${js(configs)}.some(function (a) {
  return ['level', 'role', 'type', 'user'].every(function (f) { return !o[f] || o[f] === a[f]; });
})`
        : `!o.type || ${js(configs.map((c) => c.type))}.indexOf(o.type) >= 0`;
    let configs: SeLinuxConfig[] | undefined;
    let whole = false;
    if (lists.length === 1) {
      // "configurations: type a, type b and level s0" names whole option sets; "types: a, b" names types alone.
      whole = /\bconfigurations?\b/i.test(t);
      configs = [];
      for (const item of lists[0].split(/\s*,\s*|\s+or\s+/)) {
        const config: SeLinuxConfig = {};
        for (const part of item.split(/\s+and\s+/)) {
          const m = whole
            ? /^(type|user|role|level)\s+[`'"]?([A-Za-z0-9_:.-]+?)[`'"]?$/.exec(part.trim())
            : /^[`'"]?([a-z][a-z0-9_]*)[`'"]?$/.exec(part.trim());
          if (!m) return undefined;
          if (whole) config[m[1] as keyof SeLinuxConfig] = m[2];
          else config.type = m[1];
        }
        configs.push(config);
      }
      if (!configs.length || (!whole && configs.some((c) => !SELINUX_NAME.test(c.type ?? '')))) return undefined;
    } else if (lists.length > 1 || SELINUX_NAME.test(t)) {
      return undefined;
    }
    const none = configs === undefined;
    // The ban reads "seLinuxOptions must be unset"; a statement about types or allowed values without naming
    // them ("must use one of the allowed types") is not a ban.
    if (none && /\b(?:one\s+of|types?|allowed|configurations?|values?)\b/i.test(t)) return undefined;
    const offendsOf = (o: string): string =>
      none
        ? `(${o} && typeof ${o} === 'object' && Object.keys(${o}).length > 0)`
        : `(${o} && typeof ${o} === 'object' && !(function (o) { return ${check(configs ?? [], whole)}; })(${o}))`;
    const pod = 'podSpec?.securityContext?.seLinuxOptions';
    const own = 'c.securityContext?.seLinuxOptions';
    const firstType = configs?.[0]?.type ?? 'container_t';
    const goodOptions: Record<string, string> = configs ? Object.fromEntries(Object.entries(configs[0])) : {};
    const spc = { seLinuxOptions: { type: 'spc_t' } };
    const customUser = { seLinuxOptions: { ...goodOptions, user: 'sysadm_u' } };
    const good = { securityContext: { seLinuxOptions: goodOptions } };
    return containerRule(ctx, {
      family: 'selinux',
      summary: none
        ? 'no pod or container may set seLinuxOptions'
        : whole
          ? `every seLinuxOptions (pod or container) must match one of: ${(configs ?? [])
              .map((c) =>
                Object.entries(c)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(' and '),
              )
              .join('; ')}`
          : `the SELinux type (pod or container) must be unset or one of ${(configs ?? []).map((c) => c.type).join(', ')}`,
      offends: `${offendsOf(pod)} || ${offendsOf(own)}`,
      describe: `'container ' + ${cname} + ' seLinuxOptions ' + JSON.stringify(${own} || ${pod})`,
      skills: [],
      offending: [
        { name: 'seLinuxOptions type spc_t in the container', container: { securityContext: spc } },
        { name: 'seLinuxOptions type spc_t at pod level', container: {}, podSpec: { securityContext: spc } },
        ...(none || whole ? [{ name: 'a custom SELinux user', container: { securityContext: customUser } }] : []),
      ],
      compliant: [
        { name: 'no seLinuxOptions', container: {} },
        ...(none
          ? []
          : [
              { name: `seLinuxOptions type ${firstType}`, container: good },
              { name: `seLinuxOptions type ${firstType} at pod level`, container: {}, podSpec: good },
            ]),
        ...(!none && !whole
          ? [
              {
                name: 'an allowed type with a custom level',
                container: { securityContext: { seLinuxOptions: { type: firstType, level: 's0:c1,c2' } } },
              },
            ]
          : []),
      ],
      polarity: none ? 'forbid' : 'require',
    });
  },
};

/** "a custom SELinux user or role": seLinuxOptions.user / .role, the fields the baseline forbids setting. */
const SELINUX_USER_ROLE =
  /\bseLinuxOptions\.(user|role)\b|\bse\s?linux\s+(user|role)(?:\s+or\s+(user|role))?(?:\s+options?)?\b/gi;

const selinuxUserRole: OfflineFamily = {
  id: 'selinux-user-role',
  title: 'a custom SELinux user or role (seLinuxOptions.user / .role, pod or container) forbidden',
  examples: ['Custom SELinux user or role options are not allowed.', 'Containers must not set an SELinux user.'],
  phrases: [
    ...POD_PHRASES,
    // The user or role right after "SELinux" (never a "user" elsewhere: "set by any user" is not a field).
    SELINUX_USER_ROLE,
    /\b(?:a\s+|any\s+)?(?:custom|non-?default)\b/i,
  ],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const t = ctx.text;
    if (!/\bse\s?linux/i.test(t)) return undefined;
    // Types and levels are the selinux family's; "user and role" could ban the pair or each (not said). Two field
    // paths ("must not set seLinuxOptions.user and seLinuxOptions.role") name two fields, each banned, as "must not
    // set hostNetwork and hostPID" does ("both" still refuses).
    const paths = t.replace(
      /\bseLinuxOptions\.(?:user|role)\s+and\s+(?:securityContext\.)?seLinuxOptions\.(?:user|role)\b/gi,
      ' ',
    );
    if (/\b(?:type|level)s?\b|\band\b/i.test(paths)) return undefined;
    const fields = [
      ...new Set(
        [...t.matchAll(SELINUX_USER_ROLE)].flatMap((m) =>
          m
            .slice(1)
            .filter(Boolean)
            .map((f) => f.toLowerCase()),
        ),
      ),
    ]
      .sort()
      .reverse();
    if (!fields.length) return undefined;
    const setIn = (o: string): string =>
      `(function (x) { return !!x && typeof x === 'object' && ${js(fields)}.some(function (f) { return typeof x[f] === 'string' && x[f] !== ''; }); })(${o})`;
    const opts = (extra: Record<string, string>): Record<string, unknown> => ({
      seLinuxOptions: { ...extra },
    });
    return containerRule(ctx, {
      family: 'selinux-user-role',
      summary: `no pod or container may set an SELinux ${fields.join(' or ')} (seLinuxOptions.${fields.join(' / .')}); the type and level are left alone`,
      offends: `${setIn('podSpec?.securityContext?.seLinuxOptions')} || ${setIn('c.securityContext?.seLinuxOptions')}`,
      describe: `'container ' + ${cname} + ' sets a custom SELinux ${fields.join(' or ')}'`,
      skills: [],
      offending: [
        ...fields.map((f) => ({
          name: `an SELinux ${f} in the container`,
          container: { securityContext: opts({ [f]: f === 'user' ? 'sysadm_u' : 'sysadm_r' }) },
        })),
        {
          name: `an SELinux ${fields[0]} at pod level`,
          container: {},
          podSpec: { securityContext: opts({ [fields[0]]: fields[0] === 'user' ? 'sysadm_u' : 'sysadm_r' }) },
        },
      ],
      compliant: [
        { name: 'no seLinuxOptions', container: {} },
        { name: 'only an SELinux type', container: { securityContext: opts({ type: 'container_t' }) } },
        { name: 'only an SELinux level', container: { securityContext: opts({ level: 's0:c123,c456' }) } },
        ...(fields.length === 1
          ? [
              {
                name: `an SELinux ${fields[0] === 'user' ? 'role' : 'user'} (not named)`,
                container: {
                  securityContext: opts(fields[0] === 'user' ? { role: 'sysadm_r' } : { user: 'sysadm_u' }),
                },
              },
            ]
          : []),
      ],
      polarity: 'forbid',
    });
  },
};

/** A sysctl name or pattern: kernel.shm_rmid_forced, net.*, net.ipv4.ip_local_port_range. */
const SYSCTL_NAME = /(?:kernel|net|vm|fs|user|abi|dev|debug)(?:\.[A-Za-z0-9_*-]+)+/;

const SYSCTL_QUOTED = `[\`'"]?${SYSCTL_NAME.source}[\`'"]?`;
/** A list's separator: ",", "and", "or", or both (", and"). */
const LIST_SEPARATOR = '\\s*(?:,\\s*(?:(?:and|or)\\b)?|\\band\\b|\\bor\\b)\\s*';
const SYSCTL_LIST_ITEMS = `(?:none|\\*|${SYSCTL_QUOTED})(?:${LIST_SEPARATOR}(?:${SYSCTL_QUOTED}|\\*))*`;

/**
 * The Pod Security Standards' safe sysctls: the baseline level's "Sysctls" control, allowed names as of policy
 * version v1.37 (kubernetes/pod-security-admission@8f84a87 policy/check_sysctls.go lines 92-115): five since v1.0,
 * net.ipv4.ip_local_reserved_ports since v1.27, the TCP keepalive and fin_timeout ones since v1.29, tcp_rmem and
 * tcp_wmem since v1.32, tcp_slow_start_after_idle and tcp_notsent_lowat since v1.37. "Only safe sysctls" means this
 * list; a kubelet older than a name's version still refuses the pod itself, so allowing it here lets nothing run
 * that the node would not allow.
 */
const PSS_SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
];

/** "safe sysctls", "the safe set of sysctls" (the Kubernetes one); "a safe subset" names no list and is not read. */
const SAFE_SYSCTLS = /\b(?:the\s+)?(?:kubernetes\s+)?safe\s+(?:set\s+of\s+)?sysctls?\b/i;
const UNSAFE_SYSCTLS = /\b(?:any\s+)?unsafe\s+sysctls?\b/i;

/** "Only the following sysctls are allowed: a, b": the allow-list after a colon (group 1). */
const ONLY_FOLLOWING_SYSCTLS = new RegExp(
  `\\bonly\\s+the\\s+following\\s+sysctls\\s+(?:are\\s+(?:allowed|permitted)|may\\s+be\\s+(?:set|used))\\s*:\\s*(${SYSCTL_LIST_ITEMS})`,
  'i',
);

const sysctls: OfflineFamily = {
  id: 'sysctls',
  title: 'sysctls (pod securityContext.sysctls): none, only the named ones, or not the named ones',
  examples: [
    'Pods must not set any sysctls.',
    'Only the sysctls net.ipv4.ip_local_port_range and net.ipv4.tcp_syncookies may be set.',
    'Pods must not set the kernel.* sysctls.',
  ],
  phrases: [
    ...POD_PHRASES,
    // The lists (names with underscores are not words the reader tokenises): placed whole, read by match().
    new RegExp(`\\b(?:an?\\s+)?allow-?list\\s+of\\s+(?:unsafe\\s+)?sysctls\\s*:\\s*${SYSCTL_LIST_ITEMS}`, 'i'),
    new RegExp(`\\b(?:an?\\s+)?disallow-?list\\s+of\\s+sysctls\\s*:\\s*${SYSCTL_LIST_ITEMS}`, 'i'),
    [new RegExp(`\\b(?:sysctls\\s+)?other\\s+than\\s+(?:the\\s+)?(?:sysctls\\s+)?${SYSCTL_LIST_ITEMS}`, 'i'), 'not'],
    ONLY_FOLLOWING_SYSCTLS,
    new RegExp(`\\bonly\\s+(?:the\\s+)?(?:sysctls\\s+)?${SYSCTL_LIST_ITEMS}(?:\\s+sysctls)?`, 'i'),
    new RegExp(`[\`'"]?${SYSCTL_NAME.source}[\`'"]?`, 'gi'),
    // Gatekeeper's description of its two lists, which is how this family combines them.
    // (its "containers" is placed by the pod phrases, which run first)
    /^\s*controls\s+the\s+[`'"]?sysctls?[`'"]?\s+profile\s+used\s+by\b/i,
    new RegExp(
      '\\bwhen\\s+specified\\s*,?\\s*any\\s+sysctl\\s+not\\s+in\\s+the\\s+[`\'"]?allowed(?:Unsafe)?Sysctls[`\'"]?\\s+' +
        '(?:parameter|list)\\s+is\\s+considered\\s+(?:to\\s+be\\s+)?forbidden\\b',
      'i',
    ),
    new RegExp(
      '\\b(?:the\\s+)?[`\'"]?forbiddenSysctls[`\'"]?\\s+(?:parameter|list)\\s+takes\\s+precedence\\s+over\\s+' +
        'the\\s+[`\'"]?allowed(?:Unsafe)?Sysctls[`\'"]?\\s+(?:parameter|list)\\b',
      'i',
    ),
    // "Only safe sysctls may be set" / "must not set unsafe sysctls": the Pod Security Standards' safe set.
    // … and "Pods may only set safe sysctls".
    new RegExp(`\\bonly\\s+(?:(?:set|use|specify|define)\\s+)?${SAFE_SYSCTLS.source}`, 'i'),
    SAFE_SYSCTLS,
    UNSAFE_SYSCTLS,
    /\b(?:any\s+)?sysctls?\b/i,
    /\bsafe\b(?=\s+sysctls?\b)/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bsysctls?\b/i.test(t)) return undefined;
    // Safe / unsafe sets are the kubelet's, not named here: not read.
    const gatekeeperUnsafe = /allow-?list\s+of\s+unsafe/i.test(t);
    // "a safe subset" names no list; "safe sysctls" / "unsafe sysctls" are the Pod Security Standards' set.
    if (/\b(?:un)?safe\s+subset\b/i.test(t) && !gatekeeperUnsafe) return undefined;
    const safeOnly = !gatekeeperUnsafe && /\bonly\b/i.test(t) && SAFE_SYSCTLS.test(t);
    const noUnsafe = !gatekeeperUnsafe && ctx.negated && UNSAFE_SYSCTLS.test(t);
    if (!gatekeeperUnsafe && /\b(?:un)?safe\b/i.test(t) && !safeOnly && !noUnsafe) return undefined;
    const itemsOf = (re: RegExp): string[] | undefined => {
      const m = re.exec(t);
      return m ? (m[1].trim().toLowerCase() === 'none' ? [] : listItems(m[1])) : undefined;
    };
    const items = `(${SYSCTL_LIST_ITEMS})`;
    const allowed =
      (safeOnly || noUnsafe ? PSS_SAFE_SYSCTLS : undefined) ??
      itemsOf(new RegExp(`\\ballow-?list\\s+of\\s+(?:unsafe\\s+)?sysctls\\s*:\\s*${items}`, 'i')) ??
      itemsOf(ONLY_FOLLOWING_SYSCTLS) ??
      itemsOf(new RegExp(`\\bonly\\s+(?:the\\s+)?(?:sysctls\\s+)?${items}`, 'i')) ??
      itemsOf(new RegExp(`\\bother\\s+than\\s+(?:the\\s+)?(?:sysctls\\s+)?${items}`, 'i'));
    let forbidden = itemsOf(new RegExp(`\\bdisallow-?list\\s+of\\s+sysctls\\s*:\\s*${items}`, 'i'));
    const named = [...t.matchAll(new RegExp(SYSCTL_NAME.source, 'gi'))].map((m) => m[0]);
    const listed = [...(allowed ?? []), ...(forbidden ?? [])];
    // Lists ("an allow-list of sysctls: …", "only …", "other than …") carry the rule themselves: the statement
    // around them must not negate it. A ban ("must not set … sysctls") must.
    const fromLists = (allowed !== undefined && !noUnsafe) || forbidden !== undefined;
    if (safeOnly && named.length) {
      // "Only safe sysctls are allowed: a, b, c": the text spells out its own safe list, which is not ours (the
      // Pod Security Standards' set, which has grown over versions) unless it names exactly the same sysctls.
      const own = new Set(named.map((n) => n.toLowerCase()));
      if (own.size !== PSS_SAFE_SYSCTLS.length || PSS_SAFE_SYSCTLS.some((n) => !own.has(n))) return undefined;
    }
    if (noUnsafe) {
      // "must not set unsafe sysctls": the safe set is allowed, nothing else is banned; no name may be added.
      if (named.length) return undefined;
    } else if (!fromLists) {
      // "must not set (any | the kernel.*) sysctls": a ban on the names, or on every sysctl.
      if (!ctx.negated) return undefined;
      forbidden = named.length ? named : ['*'];
    } else if (named.some((n) => !listed.includes(n))) {
      return undefined;
    }
    const matches = `function (list, n) {
  return list.some(function (p) { return p === '*' || (p.slice(-1) === '*' ? n.indexOf(p.slice(0, -1)) === 0 : n === p); });
}`;
    const conds = [forbidden ? `m(${js(forbidden)}, n)` : '', allowed ? `!m(${js(allowed)}, n)` : '']
      .filter(Boolean)
      .join(' || ');
    const forbiddenAll = (forbidden ?? []).includes('*') || (allowed !== undefined && allowed.length === 0);
    const portRange = 'net.ipv4.ip_local_port_range';
    let badName = 'kernel.sem';
    if (forbidden?.length && !forbidden.includes('*')) badName = forbidden[0].replace('*', 'sem');
    else if (allowed && !allowed.includes('*')) badName = 'kernel.msgmax';
    let goodName: string | undefined = portRange;
    if (forbiddenAll) goodName = undefined;
    else if (allowed?.length)
      goodName = allowed.find((a) => a !== '*')?.replace('*', 'ip_local_port_range') ?? portRange;
    // The cases follow the code's own matcher (so a list like "kernel.*" and "net.*" is checked as written).
    const m = (list: string[], n: string): boolean =>
      list.some((p) => p === '*' || (p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p));
    const violates = (n: string): boolean => Boolean((forbidden && m(forbidden, n)) || (allowed && !m(allowed, n)));
    if (!violates(badName) || (goodName && violates(goodName))) return undefined;
    const withSysctls = (names: string[]): Record<string, unknown> => ({
      securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) },
    });
    return podSpecRule(
      ctx,
      {
        family: 'sysctls',
        summary: forbiddenAll
          ? 'pods may not set any sysctls'
          : [
              forbidden ? `pods may not set the sysctls ${forbidden.join(', ')}` : '',
              allowed
                ? `pods may set only the ${safeOnly || noUnsafe ? "Pod Security Standards' safe " : ''}sysctls ${allowed.join(', ')}${safeOnly || noUnsafe ? ' (baseline, as of v1.29)' : ''}`
                : '',
            ]
              .filter(Boolean)
              .join('; '),
        offending: [{ name: `the sysctl ${badName}`, container: {}, podSpec: withSysctls([badName]) }],
        compliant: [
          { name: 'no sysctls', container: {} },
          ...(goodName ? [{ name: `the sysctl ${goodName}`, container: {}, podSpec: withSysctls([goodName]) }] : []),
        ],
        polarity: fromLists ? 'require' : 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const podSpec = podSpecOf(request.object);
const m = ${matches};
const list = podSpec?.securityContext?.sysctls;
const bad = (Array.isArray(list) ? list : [])
  .map(function (s) { return String((s && s.name) || ''); })
  .filter(function (n) { return ${conds}; });
if (bad.length > 0) {
  ${act(ctx, `${js(`${summary}: `)} + bad.join(', ')`)}
}
`,
    );
  },
};

const VOLUME_TYPES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'hostPath',
  'image',
  'iscsi',
  'nfs',
  'persistentVolumeClaim',
  'photonPersistentDisk',
  'portworxVolume',
  'projected',
  'quobyte',
  'rbd',
  'scaleIO',
  'secret',
  'storageos',
  'vsphereVolume',
] as const;

const VOLUME_NAME = `[\`'"]?(?:${VOLUME_TYPES.join('|')})[\`'"]?`;
const VOLUME_LIST = `${VOLUME_NAME}(?:${LIST_SEPARATOR}${VOLUME_NAME})*`;

/** "only the following volume types are used:", "only volumes of the following types may be mounted:". */
const ONLY_FOLLOWING_VOLUMES =
  /(?:\bonly\s+(?:the\s+following\s+(?:volume\s+types|types\s+of\s+volumes?)|volumes\s+of\s+the\s+following\s+types)\s+(?:are|may\s+be|can\s+be)\s+(?:used|allowed|permitted|mounted)\s*:|\b(?:allows|permits)\s+only\s+the\s+following\s+(?:volume\s+types|types\s+of\s+volumes?)\s*:)/;

/** Where a list of volume types is said to be the allowed ones, or the forbidden ones. */
const VOLUME_ALLOW = [
  new RegExp(
    `\\b(?:an?\\s+)?(?:allow-?list|array|list)\\s+of\\s+(?:allowed\\s+)?volume\\s+types\\s*:\\s*(${VOLUME_LIST})`,
    'i',
  ),
  new RegExp(
    `\\brestrict(?:s|ed)?\\s+(?:mountable\\s+|the\\s+)?volumes?(?:\\s+types?)?\\s+to\\s+(?:the\\s+types\\s+)?(${VOLUME_LIST})`,
    'i',
  ),
  new RegExp(
    `\\bonly\\s+(?:(?:use|mount|have|specify)\\s+)?(?:the\\s+)?(?:volume\\s+types?\\s+)?(${VOLUME_LIST})` +
      '(?:\\s+volumes?(?:\\s+types?)?)?',
    'i',
  ),
  new RegExp(`\\bvolumes?(?:\\s+types?)?\\s+other\\s+than\\s+(${VOLUME_LIST})`, 'i'),
  // "only the following volume types are used: configMap, csi, …" (the Pod Security Standards' restricted list)
  new RegExp(`${ONLY_FOLLOWING_VOLUMES.source}\\s*(${VOLUME_LIST})\\s*$`, 'i'),
];
const VOLUME_FORBID = [
  new RegExp(`\\b(?:an?\\s+)?(?:disallow-?list|deny-?list)\\s+of\\s+volume\\s+types\\s*:\\s*(${VOLUME_LIST})`, 'i'),
  new RegExp(`(?:^|\\s)(${VOLUME_LIST})\\s+volumes?\\b`, 'i'),
  new RegExp(`\\bvolumes?\\s+of\\s+(?:the\\s+)?types?\\s+(${VOLUME_LIST})`, 'i'),
];

const volumeTypes: OfflineFamily = {
  id: 'volume-types',
  title: 'volume types: only the named types allowed, or the named types forbidden',
  examples: [
    'Pods may only use configMap, emptyDir, secret and persistentVolumeClaim volumes.',
    'This policy restricts volumes to `configMap`, `emptyDir`, `projected` and `secret`.',
    'nfs and gitRepo volumes are not allowed.',
  ],
  phrases: [
    new RegExp(ONLY_FOLLOWING_VOLUMES.source, 'i'),
    ...POD_PHRASES,
    // "Restricts mountable volume types to those specified by the user": the list follows as a parameter line.
    /\brestrict(?:s|ed)?\s+(?:mountable\s+)?volume\s+types\s+to\s+those\s+specified(?:\s+by\s+the\s+user)?\b/i,
    /\brestrict(?:s|ed)?\b(?=[^.]*\bvolumes?\b[^.]*\bto\b)/i,
    new RegExp(
      `\\bonly\\b(?=\\s+(?:(?:use|mount|have|specify)\\s+)?(?:the\\s+)?(?:volume\\s+types?\\s+)?[\`'"]?[a-zA-Z]+[\`'"]?(?:${LIST_SEPARATOR}[\`'"]?[a-zA-Z]+[\`'"]?)*\\s+volumes?\\b)`,
      'i',
    ),
    /\b(?:an?\s+)?(?:allow-?list|disallow-?list|deny-?list|array|list)\s+of\b/i,
    [/\bother\s+than\b/i, 'not'],
    /\b[`'"]?volumes[`'"]?\s+is\s+an?\s+array\s+of\b/i,
    /\b(?:mountable\s+)?volumes?(?:\s+(?:types?|sources?|kinds?))?\b/i,
    /\b(?:of\s+)?(?:the\s+)?types?\b/i,
    /\b(?:mount|mounts|mounted|mounting)\b/i,
    new RegExp(VOLUME_NAME, 'i'),
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bvolumes?\b/i.test(t)) return undefined;
    const canonical = (raw: string): string | undefined =>
      VOLUME_TYPES.find((v) => v.toLowerCase() === unquote(raw).toLowerCase());
    const first = (res: RegExp[]): string[] | undefined => {
      for (const re of res) {
        const m = re.exec(t);
        if (m) return listItems(m[1]).map((x) => canonical(x) ?? x);
      }
      return undefined;
    };
    const allowed = first(VOLUME_ALLOW);
    const forbidden = allowed ? undefined : first(VOLUME_FORBID);
    const list = allowed ?? forbidden;
    if (!list?.length || list.some((x) => !(VOLUME_TYPES as readonly string[]).includes(x))) return undefined;
    // Every type the text names must be in the list read (one list per rule).
    const named = [...t.matchAll(new RegExp(`\\b(?:${VOLUME_TYPES.join('|')})\\b`, 'gi'))].map(
      (m) => canonical(m[0]) ?? m[0],
    );
    if (named.some((n) => !list.includes(n))) return undefined;
    // A ban on hostPath alone is the host-path family's.
    if (forbidden && forbidden.length === 1 && forbidden[0] === 'hostPath') return undefined;
    const banned = forbidden ?? [];
    const bad = allowed ? (['hostPath', 'nfs', 'gitRepo'].find((x) => !allowed.includes(x)) ?? 'rbd') : banned[0];
    const good = allowed
      ? allowed[0]
      : (['emptyDir', 'configMap', 'secret'].find((x) => !banned.includes(x)) ?? 'projected');
    const sources: Record<string, unknown> = {
      hostPath: { path: '/var' },
      nfs: { server: 'nfs.example.com', path: '/' },
    };
    const volume = (type: string, name = 'v'): Record<string, unknown> => ({ name, [type]: sources[type] ?? {} });
    const typeCheck = allowed
      ? `${js(allowed)}.indexOf(k) < 0 && ${js(allowed)}.indexOf('*') < 0`
      : `${js(forbidden)}.indexOf(k) >= 0`;
    return podSpecRule(
      ctx,
      {
        family: 'volume-types',
        summary: allowed
          ? `pods may use only ${allowed.join(', ')} volumes`
          : `pods may not use ${banned.join(', ')} volumes`,
        offending: [
          { name: `a ${bad} volume`, container: {}, podSpec: { volumes: [volume(bad)] } },
          {
            name: `a ${good} volume beside a ${bad} volume`,
            container: {},
            podSpec: { volumes: [volume(good, 'ok'), volume(bad)] },
          },
        ],
        compliant: [
          { name: 'no volumes', container: {} },
          { name: `a ${good} volume`, container: {}, podSpec: { volumes: [volume(good)] } },
        ],
        polarity: allowed ? 'require' : 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const podSpec = podSpecOf(request.object);
const volumes = Array.isArray(podSpec?.volumes) ? podSpec.volumes : [];
const bad = [];
for (const v of volumes) {
  if (!v || typeof v !== 'object') continue;
  // A volume's type is its one key besides the name.
  for (const k of Object.keys(v)) {
    if (k !== 'name' && ${typeCheck}) bad.push((v.name || '?') + ' (' + k + ')');
  }
}
if (bad.length > 0) {
  ${act(ctx, `${js(`${summary}: `)} + bad.join(', ')`)}
}
`,
    );
  },
};

const ingressTls: OfflineFamily = {
  id: 'ingress-tls',
  title: 'Ingresses must configure TLS (a non-empty spec.tls)',
  examples: ['Every Ingress must have TLS configured.', 'Fails when an Ingress lacks TLS settings.'],
  phrases: [
    /\b(?:spec\.)?tls\b(?:\s+(?:settings|configuration|config|section|block|entry|entries)\b)?/i,
    [/\b(?:lacks?|lacking|missing|without)\b/i, 'not'],
    // "must configure TLS" as "must have TLS configured"
    /\b(?:enabled|configured?|configures|defined)\b/i,
  ],
  match: (ctx) => {
    const ing = ctx.catalog.byKind('networking.k8s.io/v1', 'Ingress');
    if (!ing || !/\bingress(?:es)?\b/i.test(ctx.text) || !/\btls\b/i.test(ctx.text)) return undefined;
    // TLS for some hosts only, or a particular secret, is another rule.
    if (ctx.resources.some((r) => r.kind !== 'Ingress')) return undefined;
    const ns = homeNamespace(ctx);
    const backend = { service: { name: 'web', port: { number: 80 } } };
    const rule = { host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } };
    const mk = (tls: unknown[] | undefined, namespace = ns): KubeObject =>
      sample(ing, { namespace, name: 'web', spec: { rules: [rule], ...(tls ? { tls } : {}) } });
    const v = violation(ctx);
    const verb = v === 'warn' ? 'warned' : 'denied';
    const withTls = [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }];
    return {
      polarity: 'require',
      family: 'ingress-tls',
      summary: 'Ingresses must configure TLS (spec.tls with at least one entry)',
      target: targetFor([ing], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests: [
        { name: 'an Ingress with TLS is allowed', object: mk(withTls), expect: 'allow' },
        { name: `an Ingress without TLS is ${verb}`, object: mk(undefined), expect: v },
        { name: `an Ingress with an empty TLS list is ${verb}`, object: mk([]), expect: v },
        updateCase(`removing TLS is ${verb}`, mk(withTls), mk(undefined), v),
        ...scopeCases(ing, ctx, (o) => mk(undefined, o.namespace)),
      ],
      javascript: `${namespaceGuard(ctx, [ing])}const tls = request.object?.spec?.tls;
if (!Array.isArray(tls) || tls.length === 0) {
  ${act(ctx, "'Ingresses must configure TLS (spec.tls)'")}
}
`,
    };
  },
};

/** Pod spec fields a rule may require by name: the field, and how people write it. */
const POD_FIELDS: ReadonlyArray<{ field: string; words: RegExp; list?: boolean; sample: unknown }> = [
  {
    field: 'priorityClassName',
    words: /\bpriority\s?class(?:\s?name)?(?:es)?\b|\bpriorityClassName\b/i,
    sample: 'high-priority',
  },
  {
    field: 'runtimeClassName',
    words: /\bruntime\s?class(?:\s?name)?(?:es)?\b|\bruntimeClassName\b/i,
    sample: 'gvisor',
  },
  {
    field: 'topologySpreadConstraints',
    words: /\btopology\s?spread\s?constraints?\b|\btopologySpreadConstraints\b/i,
    list: true,
    sample: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'app' } },
      },
    ],
  },
];

const podFieldRequired: OfflineFamily = {
  id: 'pod-field-required',
  title: 'a pod spec field required: priorityClassName, runtimeClassName or topologySpreadConstraints',
  examples: ['Pods must set a priority class.', 'Fails when there is no topology spread constraint on the pod.'],
  phrases: [...POD_PHRASES, ...POD_FIELDS.map((f) => f.words), /\b(?:configured|defined|specified)\b/i],
  match: (ctx) => {
    // A field path ("spec.priorityClassName") is field-required's, on whatever kind the text names.
    if (PATH.test(ctx.text)) return undefined;
    const named = POD_FIELDS.filter((f) => f.words.test(ctx.text));
    if (named.length !== 1) return undefined;
    const f = named[0];
    const missing = f.list
      ? `!Array.isArray(value) || value.length === 0`
      : `typeof value !== 'string' || value === ''`;
    return podSpecRule(
      ctx,
      {
        family: 'pod-field-required',
        summary: `pods must set ${f.field}`,
        offending: [
          { name: `no ${f.field}`, container: {} },
          { name: `an empty ${f.field}`, container: {}, podSpec: { [f.field]: f.list ? [] : '' } },
        ],
        compliant: [{ name: `${f.field} set`, container: {}, podSpec: { [f.field]: f.sample } }],
        polarity: 'require',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const value = podSpecOf(request.object)?.${f.field};
if (${missing}) {
  ${act(ctx, js(`pods must set ${f.field}`))}
}
`,
    );
  },
};

/** A PriorityClass or RuntimeClass name: a DNS subdomain, lower case ("High", "GVisor" are words, not names). */
const CLASS_NAME = String.raw`[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?`;
/** The class fields a name is given to, and how people name them. */
const CLASS_FIELDS = POD_FIELDS.filter((f) => !f.list);
const CLASS_WORDS = String.raw`(?:priority\s?class(?:\s?name)?|runtime\s?class(?:\s?name)?|priorityClassName|runtimeClassName)`;
/**
 * "must use the priority class high", "must set runtimeClassName to gvisor", "The priorityClassName of Pods must not be
 * system-node-critical", "must use the `gvisor` runtime class": one class named by one name. Group 2/4/6/8: the name.
 */
const CLASS_NAMED = new RegExp(
  [
    String.raw`\b(?:use|uses|using|run\s+with|runs\s+with)\s+(?:the\s+)?${CLASS_WORDS}\s+(?:named\s+|called\s+)?([\x60'"]?)(${CLASS_NAME})\1(?=[\s.,;!]|$)`,
    String.raw`\b(?:set|sets|setting)\s+(?:the\s+)?${CLASS_WORDS}\s+to\s+([\x60'"]?)(${CLASS_NAME})\3(?=[\s.,;!]|$)`,
    String.raw`\b${CLASS_WORDS}\s+(?:of\s+(?:all\s+|every\s+|each\s+)?\w+\s+)?(?:must|should|shall)\s+(?:not\s+)?be\s+([\x60'"]?)(${CLASS_NAME})\5(?=[\s.,;!]|$)`,
    String.raw`\b(?:use|uses|using)\s+(?:the\s+)?([\x60'"])(${CLASS_NAME})\7\s+${CLASS_WORDS}\b`,
  ].join('|'),
  'gi',
);

/**
 * "Pods must use the priority class high", "Pods must not set runtimeClassName to runc": spec.priorityClassName or
 * spec.runtimeClassName equal to the name (or, negated, not), on Pods and every pod controller's template. Required, a
 * pod without the field is denied: for a Pod the Priority admission plugin has already written the cluster's default
 * PriorityClass into the field before any webhook sees it (plugin/pkg/admission/priority), so only a pod left with no
 * class at all is denied. One name only: a list ("high or critical"), "only" or an exception is refused.
 */
const podClassName: OfflineFamily = {
  id: 'pod-class-name',
  title:
    'the PriorityClass or RuntimeClass a pod uses (priorityClassName / runtimeClassName equal to the name, or not)',
  examples: [
    'Pods must use the runtime class gvisor.',
    'Pods must not use the priority class system-cluster-critical.',
  ],
  phrases: [...POD_PHRASES, CLASS_NAMED],
  match: (ctx) => {
    const t = ctx.text;
    const said = [...t.matchAll(new RegExp(CLASS_NAMED.source, 'gi'))];
    if (said.length !== 1) return undefined;
    const name = [2, 4, 6, 8].map((i) => said[0][i]).find((x) => x !== undefined);
    // Names are lower case (the phrase is read without case, so "GVisor" reaches here); "the priority class default"
    // is the cluster's default class, whichever it is.
    if (!name || !/^[a-z0-9.-]+$/.test(name) || name === 'default' || isVagueName(name)) return undefined;
    // "Priority class should be set": after "be", an unquoted participle or state is what the field must be, not a
    // name (pod-field-required reads that).
    if (
      said[0][6] === name &&
      !said[0][5] &&
      /(?:ed|ing)$|^(?:set|unset|empty|present|none|null|true|false|non|valid|one)$/.test(name)
    )
      return undefined;
    if (/\b(?:only|unless|except|but|or|and)\b/i.test(t)) return undefined;
    const fields = CLASS_FIELDS.filter((f) => f.words.test(said[0][0]));
    if (fields.length !== 1) return undefined;
    const field = fields[0].field;
    const forbid = ctx.negated;
    const other = name === 'other-class' ? 'another-class' : 'other-class';
    return podSpecRule(
      ctx,
      {
        family: 'pod-class-name',
        summary: forbid ? `pods must not use ${field} ${name}` : `pods must use ${field} ${name}`,
        offending: forbid
          ? [{ name: `${field} ${name}`, container: {}, podSpec: { [field]: name } }]
          : [
              { name: `no ${field}`, container: {} },
              { name: `${field} ${other}`, container: {}, podSpec: { [field]: other } },
            ],
        compliant: forbid
          ? [
              { name: `no ${field}`, container: {} },
              { name: `${field} ${other}`, container: {}, podSpec: { [field]: other } },
            ]
          : [{ name: `${field} ${name}`, container: {}, podSpec: { [field]: name } }],
        polarity: forbid ? 'forbid' : 'require',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const value = podSpecOf(request.object)?.${field};
if (${forbid ? `value === ${js(name)}` : `value !== ${js(name)}`}) {
  ${act(ctx, js(summary))}
}
`,
    );
  },
};

const GROUP_FIELDS = ['runAsGroup', 'fsGroup', 'supplementalGroups'] as const;

/** "unset or set to a number greater than zero": 0 is the offence, unset is fine. */
const UNSET_OR_ABOVE_ZERO = new RegExp(
  '\\b(?:unset|not\\s+set)\\s*,?\\s*or\\s+(?:set\\s+to\\s+)?(?:a\\s+)?(?:number|value|GID|group\\s+ID)?\\s*' +
    '(?:greater\\s+than|above|higher\\s+than)\\s+(?:zero|0)\\b',
  'i',
);

const rootGroup: OfflineFamily = {
  id: 'root-group',
  title:
    'the root group (GID 0) forbidden in the named fields: runAsGroup (pod or container), fsGroup, ' +
    'supplementalGroups',
  examples: [
    'This policy ensures `runAsGroup`, `fsGroup` and `supplementalGroups` are not set to `0`.',
    'Containers must not set `runAsGroup` to `0`.',
  ],
  phrases: [
    ...POD_PHRASES,
    [new RegExp(`\\b(?:is\\s+|are\\s+|be\\s+)?(?:either\\s+)?${UNSET_OR_ABOVE_ZERO.source}`, 'i'), 'not'],
    // "a non-zero runAsGroup": not the root group, the family's ban said positively (unset stays allowed)
    [/\b(?:an?\s+)?non-?zero\b/i, 'not'],
    /\b(?:runAsGroup|fsGroup|supplementalGroups)\b/,
    /\b(?:to|of|as|=|:)?\s*(?:zero|root\s+group|GID\s+0|group\s+ID\s+0)\b/i,
    /\b(?:contain|contains|include|includes)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const fields = GROUP_FIELDS.filter((f) => new RegExp(`\\b${f}\\b`).test(t));
    if (!fields.length) return undefined;
    // "must be set to a non-zero value" asks for the field to be set, which this family never requires
    if (/\bset\s+to\s+(?:an?\s+)?non-?zero\b/i.test(t)) return undefined;
    const unsetOr = UNSET_OR_ABOVE_ZERO.test(t);
    if (!unsetOr && !/(?:^|[^\w.])(?:0|zero)(?![\w.])|\broot\s+group\b/i.test(t)) return undefined;
    const conds: string[] = [];
    if (fields.includes('runAsGroup')) {
      conds.push('podSpec?.securityContext?.runAsGroup === 0', 'c.securityContext?.runAsGroup === 0');
    }
    if (fields.includes('fsGroup')) conds.push('podSpec?.securityContext?.fsGroup === 0');
    if (fields.includes('supplementalGroups')) {
      conds.push('(podSpec?.securityContext?.supplementalGroups || []).indexOf(0) >= 0');
    }
    const offending = [
      ...(fields.includes('runAsGroup')
        ? [
            { name: 'runAsGroup 0 in the container', container: { securityContext: { runAsGroup: 0 } } },
            { name: 'runAsGroup 0 at pod level', container: {}, podSpec: { securityContext: { runAsGroup: 0 } } },
          ]
        : []),
      ...(fields.includes('fsGroup')
        ? [{ name: 'fsGroup 0', container: {}, podSpec: { securityContext: { fsGroup: 0 } } }]
        : []),
      ...(fields.includes('supplementalGroups')
        ? [
            {
              name: 'supplementalGroups with 0',
              container: {},
              podSpec: { securityContext: { supplementalGroups: [1, 0] } },
            },
          ]
        : []),
    ];
    const good = Object.fromEntries(fields.map((f) => [f, f === 'supplementalGroups' ? [1000] : 1000]));
    return containerRule(ctx, {
      family: 'root-group',
      summary: `${fields.join(', ')} must not be 0 (the root group)`,
      offends: conds.join(' || '),
      describe: `'container ' + ${cname} + ' runs with the root group (GID 0)'`,
      skills: [],
      offending,
      compliant: [
        { name: 'no group fields', container: {} },
        {
          name: 'non-zero groups',
          container: fields.includes('runAsGroup') ? { securityContext: { runAsGroup: 1000 } } : {},
          podSpec: { securityContext: good },
        },
      ],
      polarity: 'forbid',
    });
  },
};

// ---------------------------------------------------------------------------------------------------------
// RBAC rules: what a Role or ClusterRole grants

/** Verbs that open a connection to a subresource (pods/exec and the like): kubectl exec uses create, websockets get. */
const CONNECT_VERBS = ['create', 'get', '*'];
/** Verbs that let a role holder grant or assume more than it has. */
const RBAC_SPECIAL_VERBS = ['escalate', 'bind', 'impersonate'] as const;
/**
 * Roles the API server (system:*) or the managed platform (gce:*, eks:*) reconciles, and the default user-facing
 * ClusterRoles: a webhook that denies writes to them breaks that reconciliation, so rules about what a role
 * grants never apply to them.
 */
const PLATFORM_ROLE_PREFIXES = ['system:', 'gce:', 'eks:'];
const DEFAULT_ROLES = ['cluster-admin', 'admin', 'edit', 'view'];

const rbacRules: OfflineFamily = {
  id: 'rbac-rules',
  title: 'what Roles / ClusterRoles may grant: wildcards, the escalate / bind / impersonate verbs, named resources',
  examples: [
    'Roles and ClusterRoles must not use wildcards in their verbs.',
    'ClusterRoles must not grant the escalate, bind or impersonate verbs.',
    'Fails when the ClusterRole allows pods/exec or pods/attach.',
    'Roles must not grant access to Secrets.',
  ],
  phrases: [
    /\bRBAC\b/,
    /\b(?:grant|grants|granted|granting|give|gives|giving|access|permissions?|privileges?|rules?|verbs?)\b/i,
    /\b(?:the\s+)?(?:use|usage)\s+of\b/i,
    /\bwildcards?(?:\s*\(?\s*[`'"]?\*[`'"]?\s*\)?)?/i,
    /[`'"]\*[`'"]/,
    /\b(?:escalate|bind|impersonate)\b/i,
    /\b[a-z]+\/(?:exec|attach|portforward|proxy)\b/gi,
    /\b(?:on|to|with|in)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const roleKinds = ctx.resources.filter((r) => r.kind === 'Role' || r.kind === 'ClusterRole');
    if (!roleKinds.length && !/\bRBAC\b/.test(t)) return undefined;
    // "ClusterRoles must not grant the bind or escalate verbs on roles": a role kind after "on" / "to" / "over" is what
    // the grant is on, not a kind the rule checks (read as one, every Role granting bind was denied too).
    if (/\b(?:on|to|for|over|against)\s+(?:the\s+|other\s+|any\s+|all\s+)?(?:cluster\s*)?roles?\b/i.test(t))
      return undefined;
    const roles = ctx.catalog.get('rbac.authorization.k8s.io', 'roles');
    const clusterRoles = ctx.catalog.get('rbac.authorization.k8s.io', 'clusterroles');
    if (!roles || !clusterRoles) return undefined;
    // "roles" in lower case, the plural "Roles" (as RBAC policy libraries use it for both), or RBAC means both
    // kinds; a singular kind word ("… a Role …", "ClusterRoles") names that kind. The restatement says which.
    const generic = /\broles?\b/.test(t) || /\bRoles\b/.test(t);
    const both = !roleKinds.length || (generic && !roleKinds.some((r) => r.kind === 'ClusterRole'));
    const resources = both ? [roles, clusterRoles] : roleKinds;
    // Bindings are rbac-subjects' and rbac-requester's: a text naming one is not about what a role grants.
    if (ctx.resources.some((r) => /Binding$/.test(r.kind))) return undefined;
    // "must not allow get on secrets" bans one verb; read as "no access to secrets" it would also deny a
    // Role that only lists them. Ordinary verbs are not read (some are plain English words the reader skips), in
    // any form: "must not allow creating pods" is one verb too, never all access to pods.
    if (
      /\b(?:get(?:s|ting)?|list(?:s|ed|ing)?|watch(?:es|ed|ing)?|creat(?:e|es|ed|ing|ion)|updat(?:e|es|ed|ing)|patch(?:es|ed|ing)?|delet(?:e|es|ed|ing|ion)|deletecollection|read(?:s|ing)?|writ(?:e|es|ing)|modif\w*|edit(?:s|ed|ing)?|chang\w*|view(?:s|ed|ing)?)\b/i.test(
        t,
      )
    )
      return undefined;
    // "the use of * in the verbs": a bare asterisk between words is the wildcard too.
    const wildcard = /\bwildcards?\b|[`'"(]\*[`'")]|(?<=^|\s)\*(?=\s|[.,;]|$)/i.test(t);
    const verbs = RBAC_SPECIAL_VERBS.filter((v) => new RegExp(`\\b${v}\\b`, 'i').test(t));
    const subresources = [...t.matchAll(/\b([a-z]+)\/(exec|attach|portforward|proxy)\b/gi)].map((m) => ({
      plural: m[1].toLowerCase(),
      sub: m[2].toLowerCase(),
    }));
    const others = ctx.resources.filter((r) => r.kind !== 'Role' && r.kind !== 'ClusterRole');
    // Kind words inside "pods/exec" name the subresource's parent, not a resource of their own.
    const named = others.filter((r) => !subresources.some((s) => s.plural === r.plural));
    type Grant = { group: string; resource: string; verbs?: string[] };
    const grants: Grant[] = [
      ...subresources.map((s) => ({
        group: ctx.catalog.byPlural(s.plural)[0]?.group ?? '',
        resource: `${s.plural}/${s.sub}`,
        verbs: CONNECT_VERBS,
      })),
      ...named.map((r) => ({ group: r.group, resource: r.plural })),
    ];
    // One rule per policy: wildcards, verbs, or resources, never two of them at once.
    const modes = [wildcard, verbs.length > 0, grants.length > 0].filter(Boolean).length;
    if (modes !== 1) return undefined;
    if (subresources.some((s) => !ctx.catalog.byPlural(s.plural).length)) return undefined;
    const lists: Array<'verbs' | 'resources'> = [];
    if (wildcard) {
      // "the `*` verb on any resource": "resource" says where the verb applies, not that the resources list holds
      // the wildcard; read as a list, a Role granting get on '*' was denied too. With verbs named, such a phrase is
      // not a list ("wildcards for all resources" alone still names the resources list).
      const where =
        /\b(?:on|for|to|of|across|over)\s+(?:any|all|every|each)\s+(?:(?:of\s+)?(?:the|their|its)\s+)?resources?\b/gi;
      const listed = /\bverbs?\b/i.test(t) ? t.replace(where, ' ') : t;
      if (/\bverbs?\b/i.test(t)) lists.push('verbs');
      if (/\bresources?\b/i.test(listed)) lists.push('resources');
      if (!lists.length) return undefined;
      // "No wildcard verb and resource roles", "wildcards in verbs and resources": a rule with '*' in both lists at
      // once (trivy's KSV-0044 allows a '*' verb on a named resource) or a '*' in either; the text does not say which.
      // Read only when the lists are joined by "or" / "nor".
      if (
        lists.length > 1 &&
        !/\bverbs?\s+(?:n?or)\s+(?:\w+\s+)?resources?\b|\bresources?\s+(?:n?or)\s+(?:\w+\s+)?verbs?\b/i.test(listed)
      )
        return undefined;
    }
    const ns = homeNamespace(ctx);
    const primary = resources[0];
    const rule = (apiGroups: string[], res: string[], vs: string[]): Record<string, unknown> => ({
      apiGroups,
      resources: res,
      verbs: vs,
    });
    const mk = (
      r: ApiResource,
      rules: Array<Record<string, unknown>>,
      name = 'team-role',
      namespace = ns,
    ): KubeObject => sample(r, { name, namespace, extra: { rules } });
    const plain = rule([''], ['configmaps'], ['get', 'list']);
    const v = violation(ctx);
    const word = v === 'warn' ? 'warned' : 'denied';
    const offending: Array<[string, Record<string, unknown>]> = [];
    const compliant: Array<[string, Record<string, unknown>]> = [['a plain read rule', plain]];
    let condition: string;
    let what: string;
    if (wildcard) {
      for (const l of lists)
        offending.push([`'*' in ${l}`, l === 'verbs' ? rule([''], ['configmaps'], ['*']) : rule([''], ['*'], ['get'])]);
      if (!lists.includes('resources')) compliant.push([`'*' in resources only`, rule([''], ['*'], ['get'])]);
      if (!lists.includes('verbs')) compliant.push([`'*' in verbs only`, rule([''], ['configmaps'], ['*'])]);
      condition = lists.map((l) => `listOf(r.${l}).indexOf('*') >= 0`).join(' || ');
      what = `a wildcard ('*') in ${lists.join(' or ')}`;
    } else if (verbs.length) {
      for (const vb of verbs)
        offending.push([`the ${vb} verb`, rule(['rbac.authorization.k8s.io'], ['clusterroles'], [vb])]);
      offending.push([`the '*' verb`, rule(['rbac.authorization.k8s.io'], ['clusterroles'], ['*'])]);
      compliant.push(['read access to roles', rule(['rbac.authorization.k8s.io'], ['clusterroles'], ['get', 'list'])]);
      condition = `listOf(r.verbs).some(function (x) { return x === '*' || ${js(verbs)}.indexOf(x) >= 0; })`;
      what = `the ${verbs.join(', ')} verb${verbs.length > 1 ? 's' : ''}`;
    } else {
      const checks = grants.map((g) => {
        const [base] = g.resource.split('/');
        const resourceHit = `(res.indexOf('*') >= 0 || res.indexOf(${js(g.resource)}) >= 0${g.resource.includes('/') ? ` || res.indexOf(${js(`${base}/*`)}) >= 0` : ''})`;
        const groupHit = `(groups.indexOf('*') >= 0 || groups.indexOf(${js(g.group)}) >= 0)`;
        const verbHit = g.verbs ? `vs.some(function (x) { return ${js(g.verbs)}.indexOf(x) >= 0; })` : 'vs.length > 0';
        return `(${groupHit} && ${resourceHit} && ${verbHit})`;
      });
      condition = `(function () { const groups = listOf(r.apiGroups); const res = listOf(r.resources); const vs = listOf(r.verbs); return ${checks.join(' || ')}; })()`;
      what = `access to ${grants.map((g) => g.resource).join(', ')}`;
      for (const g of grants) {
        const vb = g.verbs ? ['create'] : ['get'];
        offending.push([`${g.resource} (${vb[0]})`, rule([g.group], [g.resource], vb)]);
        offending.push([`${g.resource} through '*' resources`, rule([g.group], ['*'], vb)]);
        offending.push([`${g.resource} through '*' apiGroups`, rule(['*'], [g.resource], ['*'])]);
        if (g.verbs) compliant.push([`${g.resource} with the list verb only`, rule([g.group], [g.resource], ['list'])]);
      }
      compliant.push([
        `the same resources in another API group`,
        rule(
          ['example.com'],
          grants.map((g) => g.resource),
          ['get'],
        ),
      ]);
    }
    const tests: TestCase[] = [
      ...offending.map(([n, r]) => ({
        name: `${primary.kind} granting ${n} is ${word}`,
        object: mk(primary, [plain, r]),
        expect: v,
      })),
      ...compliant.map(([n, r]) => ({
        name: `${primary.kind} with ${n} is allowed`,
        object: mk(primary, [r]),
        expect: 'allow' as const,
      })),
      { name: `${primary.kind} without rules is allowed`, object: mk(primary, []), expect: 'allow' },
      {
        name: `the platform's own ${primary.kind} system:test is allowed`,
        object: mk(primary, [offending[0][1]], 'system:test'),
        expect: 'allow',
      },
      updateCase(
        `UPDATE adding ${offending[0][0]} is ${word}`,
        mk(primary, [plain]),
        mk(primary, [plain, offending[0][1]]),
        v,
      ),
    ];
    for (const r of resources.slice(1))
      tests.push({
        name: `${r.kind} granting ${offending[0][0]} is ${word}`,
        object: mk(r, [offending[0][1]]),
        expect: v,
      });
    tests.push(...scopeCases(primary, ctx, (o) => mk(primary, [offending[0][1]], 'team-role', o.namespace)));
    const summary = `${resources.map((r) => `${r.kind}s`).join(' and ')} must not grant ${what} (the platform's own roles — system:*, gce:*, eks:*, cluster-admin, admin, edit, view — are left alone)`;
    return {
      family: 'rbac-rules',
      summary,
      target: targetFor(resources, ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, resources)}function listOf(x) { return Array.isArray(x) ? x : []; }
const role = request.object;
const name = String(role?.metadata?.name || '');
const platform = ${js(PLATFORM_ROLE_PREFIXES)}.some(function (p) { return name.indexOf(p) === 0; }) || ${js(DEFAULT_ROLES)}.indexOf(name) >= 0;
const offending = platform ? [] : listOf(role?.rules).filter(function (r) { return r && typeof r === 'object' && (${condition}); });
if (offending.length > 0) {
  ${act(ctx, `${js(`${roleKindWords(resources)} must not grant ${what}: `)} + JSON.stringify(offending[0])`)}
}
`,
      polarity: 'forbid',
      placesKinds: named
        .map((r) => r.kind)
        .concat(subresources.flatMap((s) => ctx.catalog.byPlural(s.plural).map((r) => r.kind))),
    };
  },
};

function roleKindWords(resources: ApiResource[]): string {
  return resources.map((r) => `${r.kind}s`).join(' and ');
}

// ---------------------------------------------------------------------------------------------------------
// Secrets as environment variables, container runtime sockets, scheduling fields

const SECRET_ENV_WORDS = /\b(?:environment|env)\s*(?:variables?|vars?)\b|\benvFrom\b|\benv\b/i;
/** Environment variables named without envFrom: "env", "env vars", "environment variables". */
const SECRET_ENV_PLAIN = /\b(?:environment|env)\s*(?:variables?|vars?)\b|\benv\b/i;

const secretEnv: OfflineFamily = {
  id: 'secret-env',
  title: 'Secrets exposed as environment variables forbidden (env[].valueFrom.secretKeyRef, envFrom[].secretRef)',
  examples: [
    'Secrets must not be used as environment variables.',
    'This policy ensures no container reads a Secret through env or envFrom.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\bsecrets?\b/i,
    SECRET_ENV_WORDS,
    /\b(?:secretKeyRef|secretRef)\b/i,
    /\b(?:as|from|in|into|through|via|by)\b/i,
    /\b(?:use|uses|used|using|usage|consum\w*|read\w*|expos\w*|reference\w*|pass\w*|inject\w*)\b/i,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bsecrets?\b|\bsecret(?:KeyRef|Ref)\b/i.test(t) || !SECRET_ENV_WORDS.test(t)) return undefined;
    // Only a ban is read: "Secrets must be mounted as files, not environment variables" names two forms.
    if (!ctx.negated || /\b(?:volumes?|files?|mount\w*)\b/i.test(t)) return undefined;
    // "disallows secretKeyRef in env" bans that one form; "must not use envFrom with a secretRef" the other. Only
    // a statement that names neither (or both) bans every Secret taken as environment variables.
    const namesKeyRef = /\bsecretKeyRef\b/i.test(t);
    const namesEnvFrom = /\benvFrom\b|\bsecretRef\b/i.test(t);
    const keyRefOnly = namesKeyRef && !namesEnvFrom;
    const envFromOnly = namesEnvFrom && !namesKeyRef && !SECRET_ENV_PLAIN.test(t);
    const keyRefCheck =
      '(Array.isArray(c.env) && c.env.some(function (e) { return !!(e && e.valueFrom && e.valueFrom.secretKeyRef); }))';
    const envFromCheck = '(Array.isArray(c.envFrom) && c.envFrom.some(function (e) { return !!(e && e.secretRef); }))';
    const offends = keyRefOnly ? keyRefCheck : envFromOnly ? envFromCheck : `${keyRefCheck} || ${envFromCheck}`;
    const keyRefCase = {
      name: 'an env var from a secretKeyRef',
      container: { env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
    };
    const envFromCase = { name: 'envFrom a secretRef', container: { envFrom: [{ secretRef: { name: 'db' } }] } };
    const sol = containerRule(ctx, {
      family: 'secret-env',
      summary: keyRefOnly
        ? 'no container may take a Secret as an environment variable through env valueFrom.secretKeyRef'
        : envFromOnly
          ? 'no container may take a Secret as environment variables through envFrom secretRef'
          : 'no container may take a Secret as environment variables (env valueFrom.secretKeyRef or envFrom secretRef)',
      offends,
      describe: `'container ' + ${cname} + ' takes a Secret as environment variables'`,
      skills: [],
      offending: keyRefOnly ? [keyRefCase] : envFromOnly ? [envFromCase] : [keyRefCase, envFromCase],
      compliant: [
        ...(keyRefOnly ? [envFromCase] : envFromOnly ? [keyRefCase] : []),
        { name: 'a plain env var', container: { env: [{ name: 'MODE', value: 'prod' }] } },
        {
          name: 'an env var from a configMapKeyRef',
          container: { env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }] },
        },
        { name: 'envFrom a configMapRef', container: { envFrom: [{ configMapRef: { name: 'cfg' } }] } },
        {
          name: 'a Secret mounted as a volume',
          container: { volumeMounts: [{ name: 's', mountPath: '/etc/secret' }] },
          podSpec: { volumes: [{ name: 's', secret: { secretName: 'db' } }] },
        },
      ],
      polarity: 'forbid',
    });
    if (!sol) return undefined;
    // "Secrets" names the Secret kind as the thing exposed, not a kind the policy selects.
    sol.placesKinds = ['Secret'];
    return sol;
  },
};

/** The container runtimes' sockets, as their packages install them (/var/run is a link to /run on most nodes). */
const RUNTIME_SOCKETS: Array<{ runtime: string; words: RegExp; paths: string[] }> = [
  {
    runtime: 'docker',
    words: /\bdocker(?:d)?\b/i,
    paths: ['/var/run/docker.sock', '/run/docker.sock'],
  },
  {
    runtime: 'containerd',
    words: /\bcontainerd\b/i,
    paths: ['/var/run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
  },
  { runtime: 'cri-o', words: /\bcri-?o\b/i, paths: ['/var/run/crio/crio.sock', '/run/crio/crio.sock'] },
  {
    runtime: 'cri-dockerd',
    words: /\bcri-dockerd\b/i,
    paths: ['/var/run/cri-dockerd.sock', '/run/cri-dockerd.sock'],
  },
];

const runtimeSocket: OfflineFamily = {
  id: 'runtime-socket',
  title: 'hostPath mounts of a container runtime socket (Docker, containerd, CRI-O) forbidden',
  examples: [
    'Pods must not mount the Docker socket.',
    'This policy ensures no pod mounts the socket of a container runtime (Docker, containerd or CRI-O).',
  ],
  phrases: [
    ...POD_PHRASES,
    /(?:\/[\w.-]+)+\.sock\b/g,
    /\b(?:cri-dockerd|docker(?:d)?|containerd|cri-o|crio)\b/gi,
    /\b(?:container\s+)?(?:runtime|engine|daemon|CRI)(?:\s+engines?)?\b/gi,
    /\b(?:unix\s+)?sockets?\b|\.sock\b/i,
    /\bhost\s?path(?:\s+volumes?)?\b|\bvolumes?\b|\bbind\s+mounts?\b/i,
    /\b(?:mount|mounts|mounted|mounting|use|uses|used|using|access\w*|expos\w*)\b/i,
    /\b(?:the|a|an|of|its|their|on|from|into|in|any|or|and|node'?s?|host'?s?)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bsockets?\b|\.sock\b/i.test(t) || !ctx.negated) return undefined;
    // A socket path names its runtime; a path that is no runtime's socket is not read.
    const pathsNamed = [...t.matchAll(/(?:\/[\w.-]+)+\.sock\b/g)].map((m) => m[0]);
    if (pathsNamed.some((p) => !RUNTIME_SOCKETS.some((r) => r.paths.includes(p)))) return undefined;
    // "cri-dockerd" is its own runtime, not Docker's socket
    const others = t.replace(/\bcri-dockerd\b/gi, ' ').replace(/(?:\/[\w.-]+)+\.sock\b/g, ' ');
    const named = RUNTIME_SOCKETS.filter(
      (r) => r.words.test(r.runtime === 'cri-dockerd' ? t : others) || pathsNamed.some((p) => r.paths.includes(p)),
    );
    const generic = /\b(?:container\s+)?(?:runtime|engine|daemon|CRI)\b/i.test(t);
    // "the socket" with no runtime named says nothing about which; a named one is checked alone.
    const runtimes = named.length ? named : generic ? RUNTIME_SOCKETS : [];
    if (!runtimes.length) return undefined;
    // Named paths are taken as written; a runtime named by word covers where its packages put the socket.
    const paths = pathsNamed.length ? [...new Set(pathsNamed)] : runtimes.flatMap((r) => r.paths);
    const names = runtimes.map((r) => r.runtime).join(', ');
    const hostPath = (path: string): Record<string, unknown> => ({ volumes: [{ name: 'sock', hostPath: { path } }] });
    return podSpecRule(
      ctx,
      {
        family: 'runtime-socket',
        summary: `pods may not mount the ${names} socket${runtimes.length > 1 ? 's' : ''} through hostPath (${paths.join(', ')})`,
        offending: [
          ...paths.map((p) => ({ name: `a hostPath of ${p}`, container: {}, podSpec: hostPath(p) })),
          { name: `a hostPath of ${paths[0]}/`, container: {}, podSpec: hostPath(`${paths[0]}/`) },
        ],
        compliant: [
          { name: 'no volumes', container: {} },
          { name: 'a hostPath of another file', container: {}, podSpec: hostPath('/var/log/app.log') },
          { name: 'an emptyDir volume', container: {}, podSpec: { volumes: [{ name: 'e', emptyDir: {} }] } },
        ],
        polarity: 'forbid',
      },
      [
        step('podSpecOf', 'the pod spec of a pod or workload'),
        step('hostPathVolumes', 'the hostPath volumes of a pod spec'),
      ],
      () => `const sockets = ${js(paths)};
const mounted = hostPathVolumes(podSpecOf(request.object)).filter(function (v) {
  const path = String((v.hostPath && v.hostPath.path) || '').replace(/\\/+$/, '');
  return sockets.indexOf(path) >= 0;
});
if (mounted.length > 0) {
  ${act(ctx, `'pods may not mount a container runtime socket: ' + mounted.map(function (v) { return v.hostPath.path; }).join(', ')`)}
}
`,
    );
  },
};

/** Pod spec fields that pin scheduling, which a ban on "using" them reads as "set to a non-empty value". */
const SCHEDULING_FIELDS: Array<{ field: string; words: RegExp; sample: unknown }> = [
  { field: 'nodeName', words: /\bnode\s?Name\b/i, sample: 'node-1' },
  { field: 'nodeSelector', words: /\bnode\s?Selectors?\b/i, sample: { disktype: 'ssd' } },
];

const schedulingFields: OfflineFamily = {
  id: 'scheduling-fields',
  title: 'pod spec nodeName / nodeSelector forbidden',
  examples: ['Pods must not set nodeName.', 'This policy prevents the use of nodeSelector or nodeName in pods.'],
  phrases: [
    ...POD_PHRASES,
    /\b(?:spec\.)?node\s?Name\b|\b(?:spec\.)?node\s?Selectors?\b/gi,
    /\b(?:fields?|the\s+use\s+of|use|uses|using|set|sets|setting|specify\w*|defin\w*)\b/i,
    /\b(?:or|and|either|any|of|the)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const named = SCHEDULING_FIELDS.filter((f) => f.words.test(t));
    if (!named.length || !ctx.negated) return undefined;
    // "only nodeSelector may be used", "unless", "except": an allow-list or an exception, not a plain ban.
    if (/\b(?:only|unless|except|other\s+than|instead)\b/i.test(t)) return undefined;
    const fields = named.map((f) => f.field);
    const empty = (f: (typeof SCHEDULING_FIELDS)[number]): unknown => (typeof f.sample === 'string' ? '' : {});
    return podSpecRule(
      ctx,
      {
        family: 'scheduling-fields',
        summary: `pods may not set ${fields.join(' or ')}`,
        offending: named.map((f) => ({ name: `${f.field} set`, container: {}, podSpec: { [f.field]: f.sample } })),
        compliant: [
          { name: `no ${fields.join(' or ')}`, container: {} },
          ...named.map((f) => ({ name: `an empty ${f.field}`, container: {}, podSpec: { [f.field]: empty(f) } })),
          {
            name: 'node affinity instead',
            container: {},
            podSpec: {
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] }],
                  },
                },
              },
            },
          },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      () => `const podSpec = podSpecOf(request.object) || {};
const set = ${js(fields)}.filter(function (f) {
  const v = podSpec[f];
  return typeof v === 'string' ? v !== '' : !!v && typeof v === 'object' && Object.keys(v).length > 0;
});
if (set.length > 0) {
  ${act(ctx, `'pods may not set ' + set.join(', ')`)}
}
`,
    );
  },
};

/** A taint key as written: "node-role.kubernetes.io/control-plane", `dedicated`. */
const TAINT_KEY =
  /[`'"\u2018\u201c]?((?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)[`'"\u2019\u201d]?/;
const TOLERATION_OF_KEY = new RegExp(
  String.raw`\b(?:tolerat(?:e|es|ing)\s+(?:the\s+)?(?:taint\s+)?|tolerations?\s+(?:for|of|to|with\s+(?:the\s+)?key)\s+(?:the\s+)?(?:taint\s+)?)${TAINT_KEY.source}(?:\s+taints?\b)?`,
  'i',
);
/** A taint effect, or a bare nickname of a taint key that lives under a prefix. */
const TAINT_NICKNAME =
  /^(?:(?:Prefer)?NoSchedule|NoExecute|control-?plane|master|gpus?|not-?ready|unreachable|unschedulable|(?:disk|memory|pid)-?pressure|network-?unavailable|out-of-service|uninitialized)$/i;
const TOLERATE_ALL =
  /\btolerat(?:e|es|ing)\s+(?:all|every)\s+taints?\b|\btolerations?\s+(?:for|of|to)\s+(?:all|every)\s+taints?\b|\b(?:wildcard|catch-all)\s+tolerations?\b/i;

/**
 * "Pods must not tolerate the node-role.kubernetes.io/control-plane taint", "Pods must not tolerate all taints":
 * a toleration that lets a pod onto nodes kept for something else. A toleration with no key and operator Exists
 * tolerates every taint, the named one included, so it offends both readings.
 */
const tolerations: OfflineFamily = {
  id: 'tolerations',
  title: 'tolerating a named taint (or every taint) forbidden',
  examples: ['Pods must not tolerate the dedicated taint.', 'Pods must not tolerate all taints.'],
  phrases: [TOLERATE_ALL, TOLERATION_OF_KEY, ...POD_PHRASES, /\b(?:a|any|the)\b/gi],
  match: (ctx) => {
    const t = ctx.text;
    if (!ctx.negated || /\b(?:only|unless|except|other\s+than|instead)\b/i.test(t)) return undefined;
    const all = TOLERATE_ALL.test(t);
    const key = all ? undefined : TOLERATION_OF_KEY.exec(t)?.[1];
    if (!all && (!key || /^(?:all|any|every|the|a|taints?)$/i.test(key))) return undefined;
    // "the NoExecute taint" names an effect, not a key; "the control-plane / master / gpu taint", "not-ready" are
    // nicknames of keys that live under a prefix (node-role.kubernetes.io/control-plane, nvidia.com/gpu,
    // node.kubernetes.io/not-ready): checking the bare word would let every real toleration through.
    if (key && TAINT_NICKNAME.test(key)) return undefined;
    const wildcard = { operator: 'Exists' };
    const offending = [
      {
        name: 'a toleration with no key and operator Exists (tolerates every taint)',
        container: {},
        podSpec: { tolerations: [wildcard] },
      },
      ...(key
        ? [
            {
              name: `a toleration for ${key}`,
              container: {},
              podSpec: { tolerations: [{ key, operator: 'Exists', effect: 'NoSchedule' }] },
            },
            {
              name: `a toleration for ${key} with a value`,
              container: {},
              podSpec: { tolerations: [{ key, operator: 'Equal', value: 'true' }] },
            },
          ]
        : []),
    ];
    // Key order: the named key first, so the deny case the restatement leads with is the one the text names.
    if (key) offending.push(offending.shift() as (typeof offending)[number]);
    return podSpecRule(
      ctx,
      {
        family: 'tolerations',
        summary: key ? `pods may not tolerate the taint ${key}` : 'pods may not tolerate every taint',
        offending,
        compliant: [
          { name: 'no tolerations', container: {} },
          {
            name: 'a toleration for another taint',
            container: {},
            podSpec: {
              tolerations: [
                {
                  key: key === 'dedicated' ? 'example.com/gpu' : 'dedicated',
                  operator: 'Equal',
                  value: 'gpu',
                  effect: 'NoSchedule',
                },
              ],
            },
          },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const podSpec = podSpecOf(request.object) || {};
const key = ${js(key ?? null)};
const bad = (Array.isArray(podSpec.tolerations) ? podSpec.tolerations : []).filter(function (t) {
  if (!t || typeof t !== 'object') return false;
  // No key with operator Exists matches every taint.
  if (!t.key && t.operator === 'Exists') return true;
  return key !== null && t.key === key;
});
if (bad.length > 0) {
  ${act(ctx, js(summary))}
}
`,
    );
  },
};

const EMPTY_DIR =
  /\b(?:volumes?\s+of\s+(?:the\s+)?type\s+)?emptyDir(?:\s+volumes?)?\b|\bempty\s+dir(?:ectory)?\s+volumes?\b/i;
const SIZE_LIMIT = /\b(?:(?:emptyDir\.)?sizeLimit|size\s+limit)s?\b/i;

/**
 * "emptyDir volumes must set a sizeLimit": an emptyDir without one can fill the node's disk (or, with medium Memory,
 * its memory) until the kubelet evicts the pod. Every emptyDir of the pod is checked; other volumes are left alone.
 */
const emptyDirSizeLimit: OfflineFamily = {
  id: 'emptydir-size-limit',
  title: 'every emptyDir volume must set a sizeLimit',
  examples: ['emptyDir volumes must set a sizeLimit.', 'Every emptyDir volume must have a size limit.'],
  phrases: [EMPTY_DIR, SIZE_LIMIT, ...POD_PHRASES, /\b(?:a|an|the)\b/gi],
  match: (ctx) => {
    const t = ctx.text;
    if (!EMPTY_DIR.test(t) || !SIZE_LIMIT.test(t) || ctx.negated || offersUnset(t)) return undefined;
    return podSpecRule(
      ctx,
      {
        family: 'emptydir-size-limit',
        summary: 'every emptyDir volume must set a sizeLimit',
        offending: [
          {
            name: 'an emptyDir without a sizeLimit',
            container: {},
            podSpec: { volumes: [{ name: 'scratch', emptyDir: {} }] },
          },
          {
            name: 'a second emptyDir without a sizeLimit',
            container: {},
            podSpec: {
              volumes: [
                { name: 'a', emptyDir: { sizeLimit: '1Gi' } },
                { name: 'b', emptyDir: { medium: 'Memory' } },
              ],
            },
          },
        ],
        compliant: [
          {
            name: 'an emptyDir with a sizeLimit',
            container: {},
            podSpec: { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }] },
          },
          { name: 'no volumes', container: {} },
          {
            name: 'a configMap volume',
            container: {},
            podSpec: { volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }] },
          },
        ],
        polarity: 'require',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const podSpec = podSpecOf(request.object) || {};
const unbounded = (Array.isArray(podSpec.volumes) ? podSpec.volumes : []).filter(function (v) {
  return v && v.emptyDir && typeof v.emptyDir === 'object' && (v.emptyDir.sizeLimit === undefined || v.emptyDir.sizeLimit === null || v.emptyDir.sizeLimit === '');
});
if (unbounded.length > 0) {
  ${act(ctx, `${js(`${summary}: `)} + unbounded.map(function (v) { return v.name; }).join(', ')`)}
}
`,
    );
  },
};

/** Pod spec fields a ban reads by name: set (a non-empty list, true) is the offence. */
const POD_SPEC_BANS: ReadonlyArray<{ field: string; words: RegExp; kind: 'list' | 'true'; sample: unknown }> = [
  {
    field: 'hostAliases',
    words: /\b(?:spec\.)?hostAliases\b|\bhost\s+aliases\b|\b\/etc\/hosts\s+entries\b/i,
    kind: 'list',
    sample: [{ ip: '10.0.0.10', hostnames: ['db.internal'] }],
  },
  {
    field: 'shareProcessNamespace',
    words:
      /\b(?:spec\.)?shareProcessNamespace\b|\bshar(?:e|es|ed|ing)\s+(?:a\s+|the\s+|one\s+|their\s+)?(?:single\s+)?process\s+namespaces?(?:\s+between\s+(?:their\s+)?containers)?\b/i,
    kind: 'true',
    sample: true,
  },
];

const podSpecBan: OfflineFamily = {
  id: 'pod-field-forbidden',
  title: 'pod spec hostAliases or shareProcessNamespace forbidden',
  examples: ['Pods must not set hostAliases.', 'Pods must not share a process namespace between containers.'],
  // The field's own words first: "between containers" belongs to "share a process namespace".
  phrases: [...POD_SPEC_BANS.map((f) => f.words), ...POD_PHRASES, /\bfields?\b/i],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const named = POD_SPEC_BANS.filter((f) => f.words.test(ctx.text));
    if (named.length !== 1) return undefined;
    const f = named[0];
    const cond = f.kind === 'list' ? 'Array.isArray(value) && value.length > 0' : 'value === true';
    return podSpecRule(
      ctx,
      {
        family: 'pod-field-forbidden',
        summary:
          f.kind === 'list' ? `pods may not set ${f.field} (a non-empty list)` : `pods may not set ${f.field}: true`,
        offending: [{ name: `${f.field} set`, container: {}, podSpec: { [f.field]: f.sample } }],
        compliant: [
          { name: `no ${f.field}`, container: {} },
          {
            name: f.kind === 'list' ? `an empty ${f.field}` : `${f.field}: false`,
            container: {},
            podSpec: { [f.field]: f.kind === 'list' ? [] : false },
          },
        ],
        polarity: 'forbid',
      },
      [step('podSpecOf', 'the pod spec of a pod or workload')],
      (summary) => `const value = (podSpecOf(request.object) || {})[${js(f.field)}];
if (${cond}) {
  ${act(ctx, js(summary))}
}
`,
    );
  },
};

/** "subPath volume mounts": subPath and subPathExpr (its expanded form) both mount a sub-path of a volume. */
const SUBPATH_WORDS = /\bsub-?\s?path(?:Expr)?s?\b(?:\s+(?:volume\s?)?mounts?)?/i;

const subPathMounts: OfflineFamily = {
  id: 'subpath-mounts',
  title: 'volume mounts with subPath (or subPathExpr) forbidden',
  examples: ['Containers must not use subPath volume mounts.', 'Deny pods whose volumeMounts set subPathExpr.'],
  phrases: [
    ...POD_PHRASES,
    SUBPATH_WORDS,
    /\b(?:volume\s?Mounts?|volume\s+mounts?|mounts?)\b/i,
    /\b(?:mount|mounts|mounted|mounting)\b/i,
  ],
  match: (ctx) => {
    if (offersUnset(ctx.text)) return undefined;
    const t = ctx.text;
    if (!SUBPATH_WORDS.test(t)) return undefined;
    // "subPathExpr" named alone bans that field; "subPath" bans both forms (the expanded one is a subPath too).
    const exprOnly = /\bsubPathExpr\b/i.test(t) && !/\bsub-?\s?paths?\b(?!Expr)/i.test(t);
    const fields = exprOnly ? ['subPathExpr'] : ['subPath', 'subPathExpr'];
    const mount = (extra: Record<string, unknown>): Record<string, unknown> => ({
      volumeMounts: [{ name: 'data', mountPath: '/data', ...extra }],
    });
    const volume = { volumes: [{ name: 'data', emptyDir: {} }] };
    return containerRule(ctx, {
      family: 'subpath-mounts',
      summary: `no container may mount a volume with ${fields.join(' or ')}${exprOnly ? '' : ' (subPathExpr is the expanded form of subPath)'}`,
      offends: `(Array.isArray(c.volumeMounts) ? c.volumeMounts : []).some(function (m) { return !!m && ${js(fields)}.some(function (f) { return typeof m[f] === 'string' && m[f] !== ''; }); })`,
      describe: `'container ' + ${cname} + ' mounts a volume with ${fields.join(' or ')}'`,
      skills: [],
      offending: [
        ...(exprOnly ? [] : [{ name: 'a subPath mount', container: mount({ subPath: 'app' }), podSpec: volume }]),
        { name: 'a subPathExpr mount', container: mount({ subPathExpr: '$(POD_NAME)' }), podSpec: volume },
      ],
      compliant: [
        { name: 'a whole-volume mount', container: mount({}), podSpec: volume },
        { name: 'no mounts', container: {} },
        ...(exprOnly ? [{ name: 'a plain subPath mount', container: mount({ subPath: 'app' }), podSpec: volume }] : []),
      ],
      polarity: 'forbid',
    });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Ingress hosts left blank or wildcarded; probes and lifecycle hooks aimed at another host

/** "Every Ingress rule must set a host", "Ingress rules without a host …": a requirement on each rule. */
const REQUIRES_HOST =
  /\brules?\b[^.]*?\b(?:must|shall|should|needs?\s+to|(?:is|are)\s+required\s+to)\s+(?:set|have|specify|define|declare|include)\s+an?\s+host(?:\s?name)?\b|\brules?\s+without\s+an?\s+host(?:\s?name)?\b/i;

const WILDCARD_LEAD = /\b(?:start|begin)s?\s+with\s+(?:a\s+)?(?:wildcard\b|[`'"]?\*(?:\.)?[`'"]?(?=[\s,;]|\.?$))/i;

const ingressOpenHost: OfflineFamily = {
  id: 'ingress-open-host',
  title: 'Ingress rules with a blank (missing or empty) or wildcard (*) host forbidden',
  examples: [
    'Ingresses must not have a blank or wildcard host.',
    'Users should not be able to create Ingresses with an empty hostname.',
  ],
  phrases: [
    // "Users should not be able to create …": who and how, around the negation (placed by the reader)
    /\b(?:users?|anyone)\b(?=\s+(?:should|must|may|can)\b)/i,
    /\b(?:be\s+able\s+to\s+)?(?:create|submit)\b/i,
    /\bhost\s?names?\b|\bhosts?\b/i,
    // "a host that starts with a wildcard", "hosts must not begin with *": a wildcard host (only "*." may lead one)
    WILDCARD_LEAD,
    /\b(?:blank|empty|missing|unset|wildcard(?:ed)?s?)\b/gi,
    /\(\s*[`'"]?\*[`'"]?\s*\)|[`'"]\*[`'"]/,
    /\b(?:rules?|with|a|an|or|and|the|any|their|its|that|which)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    const ing = ctx.catalog.byKind('networking.k8s.io/v1', 'Ingress');
    // "Every Ingress rule must set a host", "Ingress rules without a host are not allowed": a blank host is the
    // offence. Said of the rules only: "every Ingress must set a host" does not say whether one without rules may.
    const requiresHost = !ctx.negated && REQUIRES_HOST.test(t);
    if (
      !ing ||
      !/\bingress(?:es)?\b/i.test(t) ||
      !/\bhost(?:s|\s?names?)?\b/i.test(t) ||
      !(ctx.negated || requiresHost)
    )
      return undefined;
    // Hosts under a domain are ingress-host's; a TLS section is ingress-tls's.
    if (hostsIn(t).length || /\btls\b/i.test(t)) return undefined;
    const blank = requiresHost || /\b(?:blank|empty|missing|unset)\b/i.test(t);
    const wildcard = /\bwildcard/i.test(t) || /\(\s*[`'"]?\*[`'"]?\s*\)|[`'"]\*[`'"]/.test(t) || WILDCARD_LEAD.test(t);
    if (!blank && !wildcard) return undefined;
    if (requiresHost && (wildcard || /\b(?:blank|empty|missing|unset)\b/i.test(t))) return undefined;
    const ns = homeNamespace(ctx);
    const rule = (host?: string): Record<string, unknown> => ({
      ...(host === undefined ? {} : { host }),
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
    });
    const mk = (rules: Array<Record<string, unknown>>, namespace = ns): KubeObject =>
      sample(ing, { namespace, name: 'web', spec: { rules } });
    const v = violation(ctx);
    const word = v === 'warn' ? 'warned' : 'denied';
    const what = [blank ? 'a blank host' : '', wildcard ? 'a wildcard (*) host' : ''].filter(Boolean).join(' or ');
    const tests: TestCase[] = [
      { name: 'a rule for shop.example.com is allowed', object: mk([rule('shop.example.com')]), expect: 'allow' },
    ];
    if (blank)
      tests.push(
        { name: `a rule without a host is ${word}`, object: mk([rule()]), expect: v },
        { name: `a rule with an empty host is ${word}`, object: mk([rule('')]), expect: v },
        { name: `a blank host beside a named one is ${word}`, object: mk([rule('a.example.com'), rule()]), expect: v },
      );
    else tests.push({ name: 'a rule without a host is not this rule', object: mk([rule()]), expect: 'allow' });
    if (wildcard)
      tests.push(
        { name: `a rule for *.example.com is ${word}`, object: mk([rule('*.example.com')]), expect: v },
        {
          name: `a wildcard beside a named host is ${word}`,
          object: mk([rule('a.example.com'), rule('*.example.com')]),
          expect: v,
        },
      );
    else tests.push({ name: 'a wildcard host is not this rule', object: mk([rule('*.example.com')]), expect: 'allow' });
    tests.push(
      updateCase(
        `UPDATE adding ${what} is ${word}`,
        mk([rule('a.example.com')]),
        mk([rule('a.example.com'), rule(wildcard ? '*.example.com' : '')]),
        v,
      ),
      ...scopeCases(ing, ctx, (o) => mk([rule(wildcard ? '*.example.com' : '')], o.namespace)),
    );
    const conditions = [
      blank ? "typeof r.host !== 'string' || r.host === ''" : '',
      wildcard ? "(typeof r.host === 'string' && r.host.indexOf('*') >= 0)" : '',
    ].filter(Boolean);
    return {
      polarity: requiresHost ? 'require' : 'forbid',
      family: 'ingress-open-host',
      summary: requiresHost
        ? 'every Ingress rule must set a host (a rule without one, or with an empty one, is denied; an Ingress without rules is left alone)'
        : `Ingress rules may not have ${what}`,
      target: targetFor([ing], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
      steps: [],
      tests,
      javascript: `${namespaceGuard(ctx, [ing])}const rules = Array.isArray(request.object?.spec?.rules) ? request.object.spec.rules : [];
const open = rules.filter(function (r) { return r && typeof r === 'object' && (${conditions.join(' || ')}); });
if (open.length > 0) {
  ${act(ctx, js(`Ingress rules may not have ${what}`))}
}
`,
    };
  },
};

const PROBE_FIELDS = ['livenessProbe', 'readinessProbe', 'startupProbe'];
const HOOK_FIELDS = ['postStart', 'preStop'];

const handlerHost: OfflineFamily = {
  id: 'handler-host',
  title: 'the host field of probes and lifecycle hooks (httpGet.host, tcpSocket.host) forbidden',
  examples: [
    'Probes and lifecycle hooks must not set a host.',
    'This policy disallows the host field in liveness, readiness and startup probes.',
  ],
  phrases: [
    ...POD_PHRASES,
    /\bthe\s+(?:baseline|restricted)\s+(?:profile|level)(?:\s*\(\s*v?[\d.]+\+?\s*\))?\s+requires\s+that\b/i,
    /\b(?:liveness|readiness|startup)(?:\s*probes?)?\b|\b(?:liveness|readiness|startup)Probe\b/gi,
    /\bprobes?\b/gi,
    /\blifecycle\s+(?:hooks?|handlers?)\b|\bhooks?\b|\blifecycle\b/gi,
    /\bpostStart\b|\bpreStop\b/gi,
    /\b(?:httpGet|tcpSocket)(?:\.host)?\b/gi,
    /\bhost(?:\s+field)?s?\b/gi,
    /\b(?:field|specify\w*|set|sets|setting|defin\w*|use|uses|using|in|of|and|or|the|a|an|any)\b/gi,
  ],
  match: (ctx) => {
    const t = ctx.text;
    if (!/\bhost\b/i.test(t) || !ctx.negated) return undefined;
    const probes = /\bprobes?\b|Probe\b/i.test(t);
    const hooks = /\blifecycle\b|\bhooks?\b|\bpostStart\b|\bpreStop\b/i.test(t);
    if (!probes && !hooks) return undefined;
    // A host namespace or a host path is another rule.
    if (/\bhost\s?(?:namespaces?|network|pid|ipc|path|ports?)\b/i.test(t)) return undefined;
    const fields = [...(probes ? PROBE_FIELDS : []), ...(hooks ? HOOK_FIELDS : [])];
    const handlerOf = (f: string): string =>
      PROBE_FIELDS.includes(f) ? `c.${f}` : `(c.lifecycle && c.lifecycle.${f})`;
    const offends = fields
      .map(
        (f) =>
          `(function (h) { return !!h && !!((h.httpGet && h.httpGet.host) || (h.tcpSocket && h.tcpSocket.host)); })(${handlerOf(f)})`,
      )
      .join(' || ');
    const where = [probes ? 'probes' : '', hooks ? 'lifecycle hooks' : ''].filter(Boolean).join(' and ');
    const httpGet = (host?: string): Record<string, unknown> => ({
      httpGet: { path: '/healthz', port: 8080, ...(host === undefined ? {} : { host }) },
    });
    const offending = [
      ...(probes
        ? [
            { name: 'a liveness probe with httpGet.host', container: { livenessProbe: httpGet('10.0.0.1') } },
            {
              name: 'a readiness probe with tcpSocket.host',
              container: { readinessProbe: { tcpSocket: { port: 80, host: 'node.local' } } },
            },
          ]
        : []),
      ...(hooks
        ? [
            {
              name: 'a preStop hook with httpGet.host',
              container: { lifecycle: { preStop: httpGet('169.254.169.254') } },
            },
          ]
        : []),
    ];
    const compliant = [
      {
        name: 'a probe without a host',
        container: { livenessProbe: httpGet(), readinessProbe: { tcpSocket: { port: 80 } } },
      },
      { name: 'a hook with an empty host', container: { lifecycle: { postStart: httpGet('') } } },
      ...(!probes
        ? [{ name: 'a probe with a host (not named)', container: { livenessProbe: httpGet('10.0.0.1') } }]
        : []),
      ...(!hooks
        ? [{ name: 'a hook with a host (not named)', container: { lifecycle: { preStop: httpGet('10.0.0.1') } } }]
        : []),
    ];
    return containerRule(ctx, {
      family: 'handler-host',
      summary: `${where} may not set a host (httpGet.host or tcpSocket.host)`,
      offends,
      describe: `'container ' + ${cname} + ' sets a host in a probe or lifecycle hook'`,
      skills: [],
      offending,
      compliant,
      polarity: 'forbid',
    });
  },
};

// ---------------------------------------------------------------------------------------------------------
// Well-known fields of built-in kinds, named without their path ("CronJobs must set concurrencyPolicy to Forbid")

/**
 * Service fields the API server accepts only on some Service types: externalTrafficPolicy "may only be set for
 * externally-accessible services" (NodePort, LoadBalancer, or ClusterIP with externalIPs); loadBalancerClass,
 * loadBalancerSourceRanges and allocateLoadBalancerNodePorts "may only be used when `type` is 'LoadBalancer'". A
 * requirement to set one is read for those Services alone: asked of every Service it would deny each ClusterIP
 * Service, which can never carry it. healthCheckNodePort (LoadBalancer with externalTrafficPolicy Local only, and
 * allocated by the API server) is not read.
 */
const SERVICE_TYPE_FIELDS: Readonly<Record<string, { types: readonly string[]; externalIPs?: boolean } | null>> = {
  externalTrafficPolicy: { types: ['NodePort', 'LoadBalancer'], externalIPs: true },
  loadBalancerClass: { types: ['LoadBalancer'] },
  loadBalancerSourceRanges: { types: ['LoadBalancer'] },
  allocateLoadBalancerNodePorts: { types: ['LoadBalancer'] },
  healthCheckNodePort: null,
};

/** The Service types a Service field exists on (SERVICE_TYPE_FIELDS): the code that skips the others, and cases. */
interface ServiceTypeScope {
  /** "(only NodePort and LoadBalancer Services, or Services with externalIPs, accept it)". */
  note: string;
  /** Code that admits a Service of another type (placed before the check). */
  guard: string;
  /** A sample of the type the field exists on. */
  typed: (o: KubeObject) => KubeObject;
  /** Cases: a Service outside the scope is admitted, one inside without the field is not. */
  cases: (without: () => KubeObject, v: TestCase['expect']) => TestCase[];
}

/**
 * undefined: the field holds on every object of the kind; null: it exists only where it cannot be read, or the text
 * names Service types itself ("LoadBalancer Services must set …"), which the scope written here would not follow.
 */
function serviceTypeScope(r: ApiResource, path: string, text: string): ServiceTypeScope | null | undefined {
  if (r.kind !== 'Service' || r.group !== '') return undefined;
  const name = /^spec\.([A-Za-z]+)$/.exec(path)?.[1];
  if (!name || !(name in SERVICE_TYPE_FIELDS)) return undefined;
  const f = SERVICE_TYPE_FIELDS[name];
  if (!f || /\b(?:ClusterIP|NodePort|LoadBalancer|ExternalName|headless)\b|\btype\b/i.test(text)) return null;
  const { types, externalIPs } = f;
  const setType = (o: KubeObject, type: string, ips?: string[]): KubeObject =>
    variant(o, (x) => {
      const spec = ((x as JsonObject).spec ??= {}) as JsonObject;
      spec.type = type;
      if (ips) spec.externalIPs = ips;
    });
  const shown = `${types.join(' and ')} Services${externalIPs ? ', or Services with externalIPs,' : ''}`;
  return {
    note: ` (only ${shown} accept ${name}; other Services are not checked)`,
    guard: `const serviceType = getPath(request.object, "spec.type") || "ClusterIP";
${externalIPs ? 'const externalIPs = getPath(request.object, "spec.externalIPs");\n' : ''}if (${js(types)}.indexOf(serviceType) < 0${externalIPs ? ' && !(Array.isArray(externalIPs) && externalIPs.length > 0)' : ''}) {
  allow();
}
`,
    typed: (o) => setType(o, types[types.length - 1]),
    cases: (without, v) => [
      {
        name: `a ClusterIP Service without ${path} is allowed (the API server rejects ${name} there)`,
        object: setType(without(), 'ClusterIP'),
        expect: 'allow',
      },
      ...(types.length > 1
        ? [
            {
              name: `a ${types[0]} Service without ${path} is ${v === 'warn' ? 'warned' : 'denied'}`,
              object: setType(without(), types[0]),
              expect: v,
            },
          ]
        : []),
      ...(externalIPs
        ? [
            {
              name: `a ClusterIP Service with externalIPs, without ${path}, is ${v === 'warn' ? 'warned' : 'denied'}`,
              object: setType(without(), 'ClusterIP', ['203.0.113.10']),
              expect: v,
            },
          ]
        : []),
    ],
  };
}

/** The Secret types Kubernetes defines (https://kubernetes.io/docs/concepts/configuration/secret/#secret-types). */
const SECRET_TYPES = [
  'Opaque',
  'kubernetes.io/service-account-token',
  'kubernetes.io/dockercfg',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
  'bootstrap.kubernetes.io/token',
] as const;

/**
 * Samples of `r` holding a value at `parts`, in the statement's home namespace, and the Service types the field
 * exists on. A field some Service types never accept is required of the others only (serviceTypeScope); null when
 * the field cannot be read for Services at all.
 */
function fieldSamples(
  ctx: FamilyContext,
  r: ApiResource,
  parts: string[],
): { scope: ServiceTypeScope | undefined; mk: (value: unknown, namespace?: string) => KubeObject } | null {
  const scope = serviceTypeScope(r, parts.join('.'), ctx.text);
  if (scope === null) return null;
  const ns = homeNamespace(ctx);
  const mk = (value: unknown, namespace = ns): KubeObject => {
    const o = sampleWithField(r, namespace, parts, value);
    return scope ? scope.typed(o) : o;
  };
  return { scope, mk };
}

interface KnownField {
  path: string;
  /** intOrString: a number or a percentage ("2", "50%"), as the API's IntOrString. */
  type: 'string' | 'number' | 'boolean' | 'intOrString';
  /** The values the API server accepts, where it enumerates them. */
  values?: readonly string[];
  /**
   * The API server refuses to change it once set: an object made before the policy can never comply, so an UPDATE
   * that keeps the value is not this rule's business (else its relabel, or the removal of a finalizer on delete, is
   * denied and it is stuck).
   */
  fixed?: true;
  /**
   * Once the field holds this value the API server refuses to change it (`immutable: true`): an object made before
   * the policy that holds it can never comply with a ban, so an UPDATE of such an object is allowed.
   */
  fixedAt?: unknown;
  /** The API server fills it in before admission: a requirement that it be set can never fail, so is not read. */
  defaulted?: true;
  /** A number the API server fills in when unset (what a bound on an unset field is checked against). */
  numberDefault?: number;
  /** A value the API server fills in when unset (what a ban on a value checks an unset field as). */
  valueDefault?: string;
}

/**
 * Fields a description names by their bare name, by kind. Only fields whose name is unique within the kind
 * (a bare "replicas" could be a Deployment's or an HPA's bounds) and whose meaning does not depend on context.
 */
const KNOWN_FIELDS: Readonly<Record<string, Readonly<Record<string, KnownField>>>> = {
  Ingress: { ingressClassName: { path: 'spec.ingressClassName', type: 'string' } },
  Service: {
    externalTrafficPolicy: {
      path: 'spec.externalTrafficPolicy',
      type: 'string',
      values: ['Cluster', 'Local'],
      valueDefault: 'Cluster',
    },
    internalTrafficPolicy: {
      path: 'spec.internalTrafficPolicy',
      type: 'string',
      values: ['Cluster', 'Local'],
      valueDefault: 'Cluster',
    },
    sessionAffinity: {
      path: 'spec.sessionAffinity',
      type: 'string',
      values: ['None', 'ClientIP'],
      valueDefault: 'None',
    },
    loadBalancerClass: { path: 'spec.loadBalancerClass', type: 'string' },
  },
  CronJob: {
    concurrencyPolicy: {
      path: 'spec.concurrencyPolicy',
      type: 'string',
      values: ['Allow', 'Forbid', 'Replace'],
      valueDefault: 'Allow',
    },
    startingDeadlineSeconds: { path: 'spec.startingDeadlineSeconds', type: 'number' },
    timeZone: { path: 'spec.timeZone', type: 'string' },
  },
  Job: {
    ttlSecondsAfterFinished: { path: 'spec.ttlSecondsAfterFinished', type: 'number' },
    activeDeadlineSeconds: { path: 'spec.activeDeadlineSeconds', type: 'number' },
    backoffLimit: { path: 'spec.backoffLimit', type: 'number', numberDefault: 6 },
  },
  PersistentVolumeClaim: {
    storageClassName: { path: 'spec.storageClassName', type: 'string', fixed: true },
    volumeMode: {
      path: 'spec.volumeMode',
      type: 'string',
      values: ['Filesystem', 'Block'],
      fixed: true,
      valueDefault: 'Filesystem',
    },
  },
  StorageClass: {
    allowVolumeExpansion: { path: 'allowVolumeExpansion', type: 'boolean' },
    reclaimPolicy: {
      path: 'reclaimPolicy',
      type: 'string',
      values: ['Delete', 'Retain'],
      fixed: true,
      valueDefault: 'Delete',
    },
    volumeBindingMode: {
      path: 'volumeBindingMode',
      type: 'string',
      values: ['Immediate', 'WaitForFirstConsumer'],
      fixed: true,
      valueDefault: 'Immediate',
    },
  },
  Deployment: {
    revisionHistoryLimit: { path: 'spec.revisionHistoryLimit', type: 'number', numberDefault: 10 },
    progressDeadlineSeconds: { path: 'spec.progressDeadlineSeconds', type: 'number', numberDefault: 600 },
  },
  PodDisruptionBudget: {
    minAvailable: { path: 'spec.minAvailable', type: 'intOrString' },
    maxUnavailable: { path: 'spec.maxUnavailable', type: 'intOrString' },
  },
  // A Secret's type is free text; only the built-in types are read (a custom one is refused, not guessed at).
  Secret: {
    // the API server gives every Secret a type (Opaque when unset) before admission: "must set type" is never read
    type: { path: 'type', type: 'string', values: SECRET_TYPES, fixed: true, defaulted: true, valueDefault: 'Opaque' },
    immutable: { path: 'immutable', type: 'boolean', fixedAt: true },
  },
  ConfigMap: { immutable: { path: 'immutable', type: 'boolean', fixedAt: true } },
  HorizontalPodAutoscaler: {
    minReplicas: { path: 'spec.minReplicas', type: 'number', numberDefault: 1 },
    maxReplicas: { path: 'spec.maxReplicas', type: 'number' },
  },
};

const KNOWN_FIELD_NAMES = [...new Set(Object.values(KNOWN_FIELDS).flatMap((f) => Object.keys(f)))];
const KNOWN_FIELD_WORD = new RegExp(`\\b(?:${KNOWN_FIELD_NAMES.join('|')})\\b`, 'g');
/** What may follow the field before the value: "to", "=", "is", "set to"; nothing only for an enumerated value. */
const VALUE_AFTER =
  /^\s*(?:(?:is|be|equals?|set\s+to|to|of|=|==|:)\s*)?[`'"]?([A-Za-z0-9._:/%-]+?)[`'"]?(?=[\s,;]|\.(?:\s|$)|$)/;

/** "must be", "should not be set to", "has to equal": a modal that a field's value follows. */
const MODAL_BE =
  "(?:must(?:\\s+never)?|should|shall|(?:has|have|needs?)\\s+to|(?:is|are)\\s+required\\s+to|may\\s+not|cannot|can't)\\s+(?:not\\s+)?(?:be\\s+(?:set\\s+to\\s+)?|equal\\s+)";
/** "except in the dev namespace" is a scope the reader places (ctx.excluded), not an exception to the value. */
function withoutExceptedNamespaces(text: string): string {
  return text.replace(
    /\bexcept\s+in\s+(?:the\s+)?(?:[`'"]?[a-z0-9-]+[`'"]?\s+namespace|namespace\s+[`'"]?[a-z0-9-]+[`'"]?)/gi,
    ' ',
  );
}

/** "… must be V", "… should be set to V", "… must equal V" right after the field (or after "of <kinds>"). */
// ("must be set", "must be specified" ask for the field, never name its value)
const MODAL_VALUE = new RegExp(
  `^\\s*${MODAL_BE}(?!(?:set|present|specified|defined|provided|configured|given|unset|empty|used|denied|rejected|blocked|refused|disallowed|forbidden|prohibited|allowed|permitted|accepted|admitted|warned)\\b)([\`'"]?[A-Za-z0-9._:/%-]+?[\`'"]?)(?=[\\s,;]|\\.(?:\\s|$)|$)`,
  'i',
);
/** "of CronJobs", "of every CronJob", "in all Ingresses" between a field and its modal. */
const OF_KIND = /^\s*(?:of|in|on|for)\s+((?:(?:the|a|an|any|every|each|all)\s+)?[A-Za-z]+)/i;

/**
 * A Job's own field ("Jobs must set activeDeadlineSeconds …") also holds for the Jobs a CronJob makes from its
 * `spec.jobTemplate`: checked on Jobs alone, a CronJob without it is admitted and every Job it starts is denied (the
 * pod-controllers class of issue 11, one level up). The solution's code reads the template of a CronJob, its target
 * takes in CronJobs, and each case about a Job is asked again as the CronJob whose template it is.
 */
function reachingJobTemplates(ctx: FamilyContext, r: ApiResource, sol: FamilySolution): FamilySolution {
  const cron = ctx.catalog.byKind('batch/v1', 'CronJob');
  if (r.kind !== 'Job' || r.group !== 'batch' || !ctx.podControllers || !cron || ctx.resources.includes(cron))
    return sol;
  const asCronJob = (o: KubeObject | undefined): KubeObject | undefined =>
    o && o.kind === 'Job'
      ? {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: o.metadata,
          spec: { schedule: '*/10 * * * *', jobTemplate: { spec: (o as JsonObject).spec ?? {} } },
        }
      : undefined;
  const cronCases = sol.tests.flatMap((c): TestCase[] => {
    const object = asCronJob(c.object);
    if (!object) return [];
    const oldObject = asCronJob(c.oldObject);
    if (c.oldObject && !oldObject) return [];
    return [
      { ...c, name: `a CronJob whose job template is as in: ${c.name}`, object, ...(oldObject ? { oldObject } : {}) },
    ];
  });
  return {
    ...sol,
    summary: `${sol.summary}; applies to Jobs and to the job template of CronJobs`,
    target: {
      ...targetFor([r, cron], sol.target.operations, sol.target.type, ctx.namespaces),
      ...(sol.target.namespacesFinal ? { namespacesFinal: true } : {}),
    },
    tests: [...sol.tests, ...cronCases],
    javascript: `const subject = request.kind && request.kind.kind === 'CronJob' ? ((request.object || {}).spec || {}).jobTemplate || {} : request.object;
${sol.javascript.replace(/getPath\(request\.object, /g, 'getPath(subject, ')}`,
  };
}

function jobsToo(ctx: FamilyContext, sol: FamilySolution | undefined): FamilySolution | undefined {
  const r = subjectResources(ctx)[0];
  return sol && r ? reachingJobTemplates(ctx, r, sol) : sol;
}

const knownField: OfflineFamily = {
  id: 'known-field',
  title: `a well-known field of a built-in kind required, required to hold a value, or forbidden a value (${KNOWN_FIELD_NAMES.join(', ')})`,
  examples: [
    'CronJobs must set concurrencyPolicy to Forbid.',
    'Ingresses must set ingressClassName.',
    'Services must not use externalTrafficPolicy Local.',
  ],
  phrases: [
    // An enumerated or boolean value right after its field is the field's value, never a verb: "to Forbid" is
    // not a negation, "to false" not a "not".
    ...Object.values(KNOWN_FIELDS).flatMap((fields) =>
      Object.entries(fields).flatMap(([name, f]) => {
        const values = f.type === 'boolean' ? ['true', 'false'] : (f.values ?? []);
        const alternatives = values.map((x) => x.replace(/[.]/g, '\\.')).join('|');
        // near the field, or after "of <kinds> must be": "The volumeMode of PersistentVolumeClaims must be Block"
        // is a value, not the verb "block" (which, counted as a negation, would forbid the value required)
        const lead = `(?:[^.]{0,24}?|\\s+(?:of|in|on|for)\\s+[^.]{0,40}?\\s+${MODAL_BE})`;
        return values.length
          ? [new RegExp(`(?<=\\b${name}\\b${lead})\\b(?:${alternatives})(?![\\w/-]|\\.\\w)`, 'g')]
          : [];
      }),
    ),
    KNOWN_FIELD_WORD,
    /\b(?:set|sets|setting|define\w*|specify\w*|have|has|use|uses|using|with|to|be|is|equals?|of|the|a|an|field|value)\b/gi,
    /[=:]/g,
  ],
  match: (ctx) => jobsToo(ctx, matchKnownField(ctx)),
};

/** The one well-known field of the statement's one kind that `word` finds, where it stands; else undefined. */
function namedKnownField(
  ctx: FamilyContext,
  word: RegExp,
): { r: ApiResource; name: string; field: KnownField; at: number } | undefined {
  const r = subjectResources(ctx)[0];
  if (!r || ctx.resources.length !== 1) return undefined;
  const fields = KNOWN_FIELDS[r.kind];
  if (!fields) return undefined;
  const named = [...ctx.text.matchAll(word)];
  if (named.length !== 1 || !(named[0][0] in fields)) return undefined;
  return { r, name: named[0][0], field: fields[named[0][0]], at: named[0].index ?? 0 };
}

function matchKnownField(ctx: FamilyContext): FamilySolution | undefined {
  const t = ctx.text;
  const found = namedKnownField(ctx, KNOWN_FIELD_WORD);
  if (!found) return undefined;
  const { r, name, field } = found;
  // "… is immutable", "… must not change": a rule on changes to the field (immutable-field's), not on its value.
  // The `immutable` field of ConfigMaps and Secrets is the exception: "ConfigMaps must be immutable" sets it.
  const changeWords = name === 'immutable' ? t.replace(/\bimmutable\b/g, ' ') : t;
  if (/\b(?:immutable|chang(?:e|es|ed|ing)|modif\w*|alter\w*|edit(?:s|ed|ing)?)\b/i.test(changeWords)) return undefined;
  // Bounds ("at most", "greater than", "between") are not equality; "only"/"unless" add conditions.
  if (
    /\b(?:at\s+(?:most|least)|more\s+than|less\s+than|fewer\s+than|greater|between|maximum|minimum|only|unless|except)\b/i.test(
      withoutExceptedNamespaces(t),
    )
  )
    return undefined;
  const after = t.slice(found.at + name.length);
  // "The concurrencyPolicy of CronJobs must be Forbid", "CronJob concurrencyPolicy must be Forbid": the value
  // follows the modal; read as if it followed the field ("of CronJobs" names whose field it is).
  const modal = MODAL_VALUE.exec(
    after.replace(OF_KIND, (m, kinds: string) => (resourcesIn(kinds, ctx.catalog).length ? ' ' : m)),
  );
  const rest = modal ? ` to ${modal[1]}` : after;
  const m = VALUE_AFTER.exec(rest);
  // "concurrencyPolicy to Forbid or Replace", "of type Opaque or kubernetes.io/tls", "Retain, Delete": a list of
  // values, of which the rule below would keep the first (the others are placed as the field's enumerated values).
  // A comma or "and" is a list only when a value follows ("to Forbid, so that …" is one value).
  const then = m
    ? /^\s*(,\s*(?:or\b|and\b)?|\/|\bor\b|\band\b|\bnor\b)\s*[`'"]?([A-Za-z0-9._:/%-]*)/i.exec(rest.slice(m[0].length))
    : null;
  if (
    then &&
    (/^(?:\/|or|nor|,\s*or)$/i.test(then[1].trim()) ||
      (field.values ?? []).includes(then[2]) ||
      /[./:%\d]/.test(then[2]))
  )
    return undefined;
  const connector = m ? /^\s*(?:is|be|equals?|set\s+to|to|of|=|==|:)\s*/.test(rest) : false;
  let raw = m?.[1];
  // A bare word after the field is its value only when the field enumerates it.
  if (raw && !connector && !(field.values ?? []).includes(raw)) raw = undefined;
  // A value the field enumerates, named but not read as its value ("… must be Forbid" read as "must be set"), or a
  // number after a numeric field: the statement says more than this family read. Refused rather than dropped.
  const enumerated = field.type === 'boolean' ? ['true', 'false'] : (field.values ?? []);
  if (
    raw === undefined &&
    (enumerated.some((x) => new RegExp(`(?<![\\w./-])${x.replace(/[.]/g, '\\.')}(?![\\w/-])`).test(after)) ||
      (field.type !== 'string' && /\d/.test(after)))
  )
    return undefined;
  // "must be immutable": the object is to be immutable, i.e. `immutable: true`.
  if (
    name === 'immutable' &&
    !raw &&
    /\b(?:must|should|shall|(?:need|have)s?\s+to)\s+(?:not\s+)?be\s+immutable\b/i.test(t)
  )
    raw = 'true';
  // "The storageClassName of a PersistentVolumeClaim …": "of" names whose field it is, not its value.
  if (
    raw &&
    /^\s*of\s/i.test(rest) &&
    (/^(?:a|an|the|any|every|each|all)$/i.test(raw) || resourcesIn(raw, ctx.catalog).length)
  )
    return undefined;
  if (raw && field.values && !field.values.includes(raw)) return undefined;
  let value: unknown = raw;
  if (raw !== undefined) {
    if (field.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') return undefined;
      value = raw === 'true';
    } else if (field.type === 'number') {
      if (!/^\d+$/.test(raw)) return undefined;
      value = Number(raw);
    } else if (field.type === 'intOrString') {
      if (!/^\d+%?$/.test(raw)) return undefined;
      value = raw.endsWith('%') ? raw : Number(raw);
    }
  }
  const path = field.path;
  const parts = path.split('.');
  const scoped = fieldSamples(ctx, r, parts);
  if (!scoped) return undefined;
  const { scope, mk } = scoped;
  const kept = field.fixed
    ? `if (request.operation === 'UPDATE' && JSON.stringify(getPath(request.oldObject, ${js(path)})) === JSON.stringify(getPath(request.object, ${js(path)}))) {
  allow();
}
`
    : field.fixedAt !== undefined
      ? `if (request.operation === 'UPDATE' && getPath(request.oldObject, ${js(path)}) === ${js(field.fixedAt)}) {
  allow();
}
`
      : '';
  const keptNote = field.fixed
    ? `; an UPDATE that keeps ${path} as it was is allowed (it cannot change once set)`
    : field.fixedAt !== undefined
      ? `; an UPDATE of an object whose ${path} was already ${JSON.stringify(field.fixedAt)} is allowed (it cannot change from it)`
      : '';
  // A requirement of the fixedAt value itself needs no fixedAt guard (an object holding it complies); of another
  // value ("must set immutable to false"), an older object holding it could never comply.
  const guard = `${scope?.guard ?? ''}${field.fixed || (value !== undefined && value !== field.fixedAt) ? kept : ''}`;
  // An object made before the policy, breaking it, is relabelled: allowed when the fixed field keeps its value.
  const keptCases = (breaking: KubeObject, ban = false): TestCase[] =>
    field.fixed ||
    (ban &&
      field.fixedAt !== undefined &&
      parts.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as JsonObject)[k] : undefined), breaking) ===
        field.fixedAt)
      ? [
          updateCase(
            `an UPDATE of an older ${r.kind} that keeps ${path} as it was is allowed`,
            breaking,
            variant(breaking, (x) => {
              const meta = ((x as JsonObject).metadata ??= {}) as JsonObject;
              meta.labels = { ...((meta.labels as JsonObject | undefined) ?? {}), touched: 'yes' };
            }),
            'allow',
          ),
        ]
      : [];
  const note = scope?.note ?? '';
  const v = violation(ctx);
  const word = v === 'warn' ? 'warned' : 'denied';
  const sampleValue: unknown =
    field.type === 'boolean'
      ? true
      : field.type === 'number'
        ? 30
        : field.type === 'intOrString'
          ? 1
          : (field.values?.[0] ?? 'standard');
  const other: unknown =
    value === undefined
      ? undefined
      : typeof value === 'boolean'
        ? !value
        : typeof value === 'number'
          ? value + 1
          : ((field.values ?? []).find((x) => x !== value) ?? `${String(value)}-other`);
  const show = value === undefined ? '' : JSON.stringify(value);
  // An int-or-percent field holds zero as 0 or "0%", the same thing ("must not set maxUnavailable to 0" means no
  // disruption, said either way); any other number and its percentage differ.
  const zero = field.type === 'intOrString' && (value === 0 || value === '0%');
  // Unset, the field holds the API server's default ("CronJobs must not use concurrencyPolicy Allow" denies a CronJob
  // without one, which runs as Allow); an unset flag is off ("must not set allowVolumeExpansion to false" denies the
  // StorageClass without it, which cannot expand).
  const fallback: unknown = field.valueDefault ?? field.numberDefault ?? (field.type === 'boolean' ? false : undefined);
  const current =
    fallback === undefined
      ? `getPath(request.object, ${js(path)})`
      : `(function (x) { return x === undefined || x === null ? ${js(fallback)} : x; })(getPath(request.object, ${js(path)}))`;
  const holds = zero ? `[0, '0%'].includes(${current})` : `${current} === ${js(value)}`;
  const zeroNote = zero ? ' (0 and "0%" alike)' : '';
  const differs = zero ? `!${holds}` : `getPath(request.object, ${js(path)}) !== ${js(value)}`;
  const zeroCases = (expect: TestCase['expect']): TestCase[] =>
    zero
      ? [
          {
            name: `${r.kind} with ${path} ${JSON.stringify(value === 0 ? '0%' : 0)} is ${expect === 'allow' ? 'allowed' : word}`,
            object: mk(value === 0 ? '0%' : 0),
            expect,
          },
        ]
      : [];
  const base = {
    target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
    steps: [step('getPath', 'read a dotted path without throwing')],
  };
  if (ctx.negated) {
    // "must not use externalTrafficPolicy Local": that value is forbidden; other values and unset are fine (unset
    // holding the default, which is banned when it is the value).
    if (value === undefined) return undefined;
    const unsetBanned = fallback !== undefined && (fallback === value || (zero && fallback === 0));
    const defaultNote =
      fallback === undefined
        ? ''
        : ` (an unset ${path} counts as the API server's default, ${JSON.stringify(fallback)})`;
    return {
      ...base,
      polarity: 'forbid',
      family: 'known-field',
      summary: `${r.kind} objects may not set ${path} to ${show}${zeroNote}${defaultNote}${field.fixed || value === field.fixedAt ? keptNote : ''}`,
      tests: [
        { name: `${r.kind} with ${path} ${show} is ${word}`, object: mk(value), expect: v },
        { name: `${r.kind} with ${path} ${JSON.stringify(other)} is allowed`, object: mk(other), expect: 'allow' },
        unsetBanned
          ? { name: `${r.kind} without ${path} is ${word}`, object: mk(undefined), expect: v }
          : { name: `${r.kind} without ${path} is allowed`, object: mk(undefined), expect: 'allow' },
        updateCase(`UPDATE to ${path} ${show} is ${word}`, mk(other), mk(value), v),
        ...zeroCases(v),
        ...keptCases(mk(value), value === field.fixedAt),
        ...scopeCases(r, ctx, (o) => mk(value, o.namespace)),
        // The default holds only where the field exists (externalTrafficPolicy: NodePort and LoadBalancer Services).
        ...(unsetBanned && scope ? scope.cases(() => mk(undefined), v) : []),
      ],
      javascript: `${namespaceGuard(ctx, [r])}${unsetBanned ? (scope?.guard ?? '') : ''}${field.fixed || value === field.fixedAt ? kept : ''}if (${holds}) {
  ${act(ctx, js(`${r.kind} objects may not set ${path} to ${show}`))}
}
`,
    };
  }
  if (value !== undefined) {
    // "Services must set sessionAffinity to None": a Service without the field has it (the API server's default), and
    // this rule would deny it. Not read.
    if (fallback !== undefined && fallback === value) return undefined;
    return {
      ...base,
      polarity: 'require',
      family: 'known-field',
      summary: `${r.kind} objects must set ${path} to ${show}${zeroNote}${note}${field.fixed || value !== field.fixedAt ? keptNote : ''}`,
      tests: [
        { name: `${r.kind} with ${path} ${show} is allowed`, object: mk(value), expect: 'allow' },
        { name: `${r.kind} with ${path} ${JSON.stringify(other)} is ${word}`, object: mk(other), expect: v },
        { name: `${r.kind} without ${path} is ${word}`, object: mk(undefined), expect: v },
        updateCase(`UPDATE away from ${show} is ${word}`, mk(value), mk(other), v),
        ...zeroCases('allow'),
        ...keptCases(mk(other), value !== field.fixedAt),
        ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
        ...(scope ? scope.cases(() => mk(undefined), v) : []),
      ],
      javascript: `${namespaceGuard(ctx, [r])}${guard}if (${differs}) {
  ${act(ctx, js(`${r.kind} objects must set ${path} to ${show}`))}
}
`,
    };
  }
  // "must set ingressClassName", "Deny Ingresses without an ingressClassName": present and not empty. A boolean
  // "set" is not read: "must set immutable" or "must set allowVolumeExpansion" means true to most, false to the letter.
  if (field.type === 'boolean' || field.defaulted) return undefined;
  if (!/\b(?:must|should|need\s+to|needs\s+to|required?|requires|without)\b/i.test(t) && !STATES_SETTER.test(t))
    return undefined;
  return {
    ...base,
    polarity: 'require',
    family: 'known-field',
    summary: `${r.kind} objects must set ${path}${note}${field.fixed ? keptNote : ''}`,
    tests: [
      { name: `${r.kind} with ${path} set is allowed`, object: mk(sampleValue), expect: 'allow' },
      { name: `${r.kind} without ${path} is ${word}`, object: mk(undefined), expect: v, message: name },
      ...(field.type === 'string'
        ? [{ name: `${r.kind} with an empty ${path} is ${word}`, object: mk(''), expect: v }]
        : []),
      updateCase(`removing ${path} is ${word}`, mk(sampleValue), mk(undefined), v),
      ...keptCases(mk(undefined)),
      ...scopeCases(r, ctx, (o) => mk(undefined, o.namespace)),
      ...(scope ? scope.cases(() => mk(undefined), v) : []),
    ],
    javascript: `${namespaceGuard(ctx, [r])}${guard}const value = getPath(request.object, ${js(path)});
if (value === undefined || value === null || value === '') {
  ${act(ctx, js(`${r.kind} objects must set ${path}`))}
}
`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// A bound on a well-known number field ("Jobs must set activeDeadlineSeconds to at most 3600")

/** The words of a bound; the number follows. */
const BOUND_LOW = /\b(?:at\s+least|no\s+(?:fewer|less)\s+than|(?:a\s+)?minimum\s+of)\s+(\d+)\b/i;
const BOUND_LOW_STRICT = /(?<!\bno\s)\b(?:more|greater)\s+than\s+(\d+)\b|\b(?:exceeds?|exceeding|above)\s+(\d+)\b/i;
const BOUND_HIGH = /\b(?:at\s+most|no\s+(?:more|greater)\s+than|(?:a\s+)?maximum\s+of|up\s+to)\s+(\d+)\b/i;
const BOUND_HIGH_STRICT = /(?<!\bno\s)\b(?:less|fewer|lower)\s+than\s+(\d+)\b|\bbelow\s+(\d+)\b/i;
const BOUND_BETWEEN = /\bbetween\s+(\d+)\s+and\s+(\d+)\b/i;

/**
 * The inclusive range a statement puts on a number: "at most 3600", "must not exceed 300" (negated "more than" is
 * "at most"), "between 60 and 3600". A negated "at most" or "between" forbids a range, which is not read; two
 * bounds on one side are not read.
 */
function numberBounds(text: string, negated: boolean): { lo?: number; hi?: number } | undefined {
  const num = (m: RegExpExecArray | null): number | undefined =>
    m ? Number(m.slice(1).find((x) => x !== undefined)) : undefined;
  const between = BOUND_BETWEEN.exec(text);
  if (between) {
    const [a, b] = [Number(between[1]), Number(between[2])];
    if (negated || a > b || [BOUND_LOW, BOUND_LOW_STRICT, BOUND_HIGH, BOUND_HIGH_STRICT].some((re) => re.test(text)))
      return undefined;
    return { lo: a, hi: b };
  }
  const low = num(BOUND_LOW.exec(text));
  const lowStrict = num(BOUND_LOW_STRICT.exec(text));
  const high = num(BOUND_HIGH.exec(text));
  const highStrict = num(BOUND_HIGH_STRICT.exec(text));
  if ([low, lowStrict].filter((n) => n !== undefined).length > 1) return undefined;
  if ([high, highStrict].filter((n) => n !== undefined).length > 1) return undefined;
  if (negated) {
    // only "not more than N" (at most N) and "not fewer than N" (at least N) have one plain reading
    if (low !== undefined || high !== undefined) return undefined;
    if (lowStrict !== undefined && highStrict !== undefined) return undefined;
    if (lowStrict !== undefined) return { hi: lowStrict };
    if (highStrict !== undefined) return { lo: highStrict };
    return undefined;
  }
  const lo = low ?? (lowStrict !== undefined ? lowStrict + 1 : undefined);
  const hi = high ?? (highStrict !== undefined ? highStrict - 1 : undefined);
  if (lo === undefined && hi === undefined) return undefined;
  if (lo !== undefined && hi !== undefined && lo > hi) return undefined;
  if (hi !== undefined && hi < 0) return undefined;
  return { lo, hi };
}

const NUMBER_FIELD_NAMES = Object.values(KNOWN_FIELDS).flatMap((f) =>
  Object.entries(f)
    .filter(([, x]) => x.type === 'number')
    .map(([n]) => n),
);
const NUMBER_FIELD_WORD = new RegExp(`\\b(?:${[...new Set(NUMBER_FIELD_NAMES)].join('|')})\\b`, 'g');

const knownFieldBound: OfflineFamily = {
  id: 'known-field-bound',
  title: `a well-known number field of a built-in kind bounded (${[...new Set(NUMBER_FIELD_NAMES)].join(', ')})`,
  examples: [
    'Jobs must set activeDeadlineSeconds to at most 3600.',
    'HorizontalPodAutoscalers must have maxReplicas of at most 20.',
  ],
  phrases: [
    NUMBER_FIELD_WORD,
    /\b(?:at\s+(?:least|most)|no\s+(?:fewer|less|more|greater)\s+than|(?:more|greater|less|fewer|lower)\s+than|(?:a\s+)?(?:minimum|maximum)\s+of|up\s+to|exceeds?|exceeding|above|below|between)\s+\d+(?:\s+and\s+\d+)?\b/gi,
    /\b(?:set|sets|setting|have|has|use|uses|with|to|be|is|of|the|a|an|field|value|seconds?)\b/gi,
  ],
  match: (ctx) => jobsToo(ctx, matchKnownFieldBound(ctx)),
};

function matchKnownFieldBound(ctx: FamilyContext): FamilySolution | undefined {
  const t = ctx.text;
  const found = namedKnownField(ctx, NUMBER_FIELD_WORD);
  if (!found) return undefined;
  const { r, name, field } = found;
  if (field.type !== 'number') return undefined;
  if (/\b(?:only|unless|except|if|when|or)\b/i.test(withoutExceptedNamespaces(t))) return undefined;
  // the bound follows the field: "at most 3600 seconds of activeDeadlineSeconds" is not read
  const bounds = numberBounds(t.slice(found.at + name.length), ctx.negated);
  if (!bounds || numberBounds(t.slice(0, found.at), false)) return undefined;
  const { lo, hi } = bounds;
  const path = field.path;
  const parts = path.split('.');
  const ns = homeNamespace(ctx);
  const mk = (n: number | undefined, namespace = ns): KubeObject => sampleWithField(r, namespace, parts, n);
  const v = violation(ctx);
  const word = v === 'warn' ? 'warned' : 'denied';
  const range = [lo !== undefined ? `at least ${lo}` : '', hi !== undefined ? `at most ${hi}` : '']
    .filter(Boolean)
    .join(' and ');
  const fallback = field.numberDefault;
  // Unset: the API server's default where it has one. Else no limit at all: that breaks an upper bound the
  // statement asks to be set ("must set activeDeadlineSeconds to at most 3600"), not one it only forbids going over
  // ("must not set activeDeadlineSeconds above 3600" says nothing of Jobs without one). A lower bound is met by no
  // limit, unless the statement asks for the field itself ("Jobs must set ttlSecondsAfterFinished to at least 100").
  const asksForField = !ctx.negated && /\b(?:set|specify|define|declare|have|configure)\b/i.test(t.slice(0, found.at));
  const unsetBreaks =
    fallback !== undefined
      ? (lo !== undefined && fallback < lo) || (hi !== undefined && fallback > hi)
      : (hi !== undefined || asksForField) && !ctx.negated;
  const unsetNote =
    fallback !== undefined
      ? `an unset ${path} counts as the API server's default, ${fallback}`
      : unsetBreaks
        ? hi !== undefined
          ? `an unset ${path} means no limit, which breaks the bound`
          : `the statement asks for ${path} to be set`
        : hi !== undefined
          ? `an unset ${path} is allowed: the statement forbids values out of range, it does not ask for one`
          : `an unset ${path} means no limit, which meets the bound`;
  const asked = unsetBreaks || fallback !== undefined ? `must set ${path} to` : `may set ${path} only to`;
  const summary = `${r.kind} objects ${asked} ${range} (${unsetNote})`;
  const inside = lo ?? hi ?? 0;
  const tests: TestCase[] = [
    ...(lo !== undefined
      ? [
          { name: `${path} ${lo} is allowed`, object: mk(lo), expect: 'allow' as const },
          ...(lo > 0 ? [{ name: `${path} ${lo - 1} is ${word}`, object: mk(lo - 1), expect: v }] : []),
        ]
      : []),
    ...(hi !== undefined
      ? [
          { name: `${path} ${hi} is allowed`, object: mk(hi), expect: 'allow' as const },
          { name: `${path} ${hi + 1} is ${word}`, object: mk(hi + 1), expect: v },
        ]
      : []),
    {
      name: `${r.kind} without ${path} is ${unsetBreaks ? word : 'allowed'} (${unsetNote})`,
      object: mk(undefined),
      expect: unsetBreaks ? v : 'allow',
    },
    updateCase(
      `UPDATE to ${path} ${hi !== undefined ? hi + 1 : (lo ?? 1) - 1} is ${word}`,
      mk(inside),
      mk(hi !== undefined ? hi + 1 : (lo ?? 1) - 1),
      v,
    ),
    ...scopeCases(r, ctx, (o) => mk(hi !== undefined ? hi + 1 : (lo ?? 1) - 1, o.namespace)),
  ];
  const checks = [lo !== undefined ? `value < ${lo}` : '', hi !== undefined ? `value > ${hi}` : ''].filter(Boolean);
  const unsetJs = fallback !== undefined ? String(fallback) : 'null';
  return {
    // "must not exceed 3600" is read as "at most 3600" (numberBounds): the statement's polarity, the same range
    polarity: ctx.negated ? 'forbid' : 'require',
    family: 'known-field-bound',
    summary,
    target: targetFor([r], ['CREATE', 'UPDATE'], 'Validating', ctx.namespaces),
    steps: [step('getPath', 'read a dotted path without throwing')],
    tests,
    javascript: `${namespaceGuard(ctx, [r])}const raw = getPath(request.object, ${js(path)});
const value = raw === undefined || raw === null ? ${unsetJs} : raw;
if (value === null ? ${unsetBreaks} : typeof value !== 'number' || ${checks.join(' || ')}) {
  ${act(ctx, `${js(`${r.kind} objects: ${path} must be ${range}; this one has `)} + (value === null ? 'none' : value)`)}
}
`,
  };
}

/** Most specific first: the first family that understands the text wins. */
export const OFFLINE_FAMILIES: readonly OfflineFamily[] = [
  ...MORE_FAMILIES,
  rbacSubjects,
  rbacRules,
  secretEnv,
  runtimeSocket,
  schedulingFields,
  tolerations,
  emptyDirSizeLimit,
  podSpecBan,
  subPathMounts,
  ingressOpenHost,
  handlerHost,
  requesterGroups,
  bindingToRole,
  barePods,
  deleteProtection,
  immutableField,
  immutableMetadata,
  pullPolicy,
  resourceDefaults,
  metadataDefault,
  hostNamespaces,
  hostPath,
  probesDistinct,
  containerPortNames,
  containerCount,
  requestsEqualLimits,
  hostPorts,
  seccomp,
  runAsUser,
  runAsUserBound,
  rootGroup,
  procMount,
  automountToken,
  defaultServiceAccount,
  externalIps,
  hostProcess,
  apparmor,
  selinux,
  selinuxUserRole,
  sysctls,
  volumeTypes,
  privilegeEscalation,
  readOnlyRoot,
  privileged,
  capabilities,
  runAsNonRoot,
  imageTag,
  imageNameForbidden,
  imageRegistry,
  pullPolicyRequired,
  resourceFields,
  resourceBound,
  claimStorageBound,
  probes,
  serviceType,
  ingressHost,
  ingressTls,
  podClassName,
  podFieldRequired,
  replicas,
  hpaMinReplicas,
  referenceKind,
  knownFieldBound,
  knownField,
  fieldEquality,
  fieldValueRequired,
  fieldRequired,
  metadataRequired,
  metadataForbidden,
  kindInNamespace,
  operationForbidden,
];

export function resourcesForContext(text: string, catalog: ApiCatalog): ApiResource[] {
  return resourcesIn(text, catalog);
}
