import type { RecordedRequest, ScriptStep } from '../support/scripted-openai-server.js';

/**
 * A scripted model for the two related intents of issue 5 ("block privileged containers", then the same in
 * namespace prod), answering planner, coder and critic requests as a careful model would. It reads its own
 * prompt, so the only thing that changes its answers is what the library put there: a coder whose system
 * prompt carries `function isPrivileged(` calls it; one whose prompt does not writes the helper itself.
 * Used by test/loop/related-intents.test.ts and bench/library-prompts.ts.
 */

export const INTENT_ALL = 'block privileged containers';
export const INTENT_PROD = 'block privileged containers in namespace prod';

type Obj = Record<string, unknown>;

function pod(name: string, namespace: string, containers: Obj[], initContainers: Obj[] = []): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers, ...(initContainers.length ? { initContainers } : {}) },
  };
}
const plain = (name = 'app'): Obj => ({ name, image: 'registry.example.com/app:1.2' });
const privileged = (name = 'app', value = true): Obj => ({ ...plain(name), securityContext: { privileged: value } });

function casesFor(namespace: string): Obj[] {
  return [
    { name: 'a privileged container is denied', object: pod('priv', namespace, [privileged()]), expect: 'deny' },
    {
      name: 'a privileged init container is denied',
      object: pod('init', namespace, [plain()], [privileged('setup')]),
      expect: 'deny',
    },
    {
      name: 'an UPDATE that makes a container privileged is denied',
      operation: 'UPDATE',
      object: pod('upd', namespace, [privileged()]),
      oldObject: pod('upd', namespace, [plain()]),
      expect: 'deny',
    },
    { name: 'a pod without a securityContext is allowed', object: pod('plain', namespace, [plain()]), expect: 'allow' },
    {
      name: 'privileged: false is allowed',
      object: pod('unpriv', namespace, [privileged('app', false)]),
      expect: 'allow',
    },
  ];
}

/** The names of the retrieved skills the planner's human message lists ("- name: description"). */
function listedSkills(human: string): Set<string> {
  const section = human.split('## Retrieved skills')[1]?.split('\n## ')[0] ?? '';
  return new Set([...section.matchAll(/^- ([A-Za-z0-9_]+):/gm)].map((m) => m[1]));
}

function planAnswer(req: RecordedRequest): Obj {
  const human = req.messages[1]?.content ?? '';
  const prod = human.includes(INTENT_PROD);
  const known = listedSkills(human);
  const steps: Obj[] = [];
  if (known.has('privilegedContainers')) {
    steps.push({
      name: 'privilegedContainers',
      description: 'names of the containers of a pod spec that run privileged',
      skill: 'privilegedContainers',
    });
  } else {
    if (known.has('allContainers'))
      steps.push({
        name: 'allContainers',
        description: 'containers, init and ephemeral containers of a pod spec',
        skill: 'allContainers',
      });
    else steps.push({ name: 'containersOf', description: 'containers, init and ephemeral containers of a pod spec' });
    if (known.has('isPrivileged'))
      steps.push({ name: 'isPrivileged', description: 'securityContext.privileged is true', skill: 'isPrivileged' });
    steps.push({
      name: 'privilegedContainers',
      description: 'names of the containers of a pod spec that run privileged',
    });
  }
  if (prod && known.has('inNamespaces'))
    steps.push({
      name: 'inNamespaces',
      description: 'the request is in one of the given namespaces',
      skill: 'inNamespaces',
    });
  const tests = casesFor(prod ? 'prod' : 'default');
  if (prod)
    tests.push({
      name: 'a privileged container outside prod is allowed',
      object: pod('dev', 'dev', [privileged()]),
      expect: 'allow',
    });
  return {
    rationale: prod
      ? 'Pods in namespace prod whose containers (init and ephemeral too) set securityContext.privileged are denied; other namespaces and unprivileged pods are allowed.'
      : 'Pods with any container (init and ephemeral too) that sets securityContext.privileged are denied; unprivileged pods are allowed.',
    target: {
      type: 'Validating',
      resources: ['pods'],
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE', 'UPDATE'],
      scope: 'Namespaced',
      namespaces: prod ? ['prod'] : [],
    },
    steps,
    tests,
  };
}

/** The helpers a model writes when no skill in its prompt does the job (guarded: the fuzzer sends odd shapes). */
const OWN_CONTAINERS = `function containersOf(podSpec) {
  if (!podSpec || typeof podSpec !== 'object') return [];
  const lists = [podSpec.containers, podSpec.initContainers, podSpec.ephemeralContainers];
  const out = [];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const c of list) if (c && typeof c === 'object') out.push(c);
  }
  return out;
}`;
/** The walk as first written by many policy authors: spec.containers only (see containersOnlyFirstModel). */
const OWN_CONTAINERS_ONLY = `function containersOf(podSpec) {
  if (!podSpec || typeof podSpec !== 'object' || !Array.isArray(podSpec.containers)) return [];
  return podSpec.containers.filter((c) => c && typeof c === 'object');
}`;
const OWN_PRIVILEGED = `function privilegedContainers(podSpec) {
  return containersOf(podSpec)
    .filter((c) => c.securityContext?.privileged === true)
    .map((c) => String(c.name ?? '(unnamed)'));
}`;
const SKILL_PRIVILEGED = `function privilegedContainers(podSpec) {
  return allContainers(podSpec)
    .filter(isPrivileged)
    .map((c) => String(c.name ?? '(unnamed)'));
}`;

function draftAnswer(req: RecordedRequest, containersOnlyFirst: boolean): Obj {
  const system = req.messages[0]?.content ?? '';
  const human = req.messages[1]?.content ?? '';
  const prod = human.includes(INTENT_PROD);
  // A skill is callable when the prompt shows its code or lists its signature (a skill a shown skill calls).
  const has = (name: string): boolean => system.includes(`function ${name}(`) || system.includes(`// ${name}(`);
  // The report of the last round names a failing init-container case: the walk must cover every list.
  const toldAboutInit = /\[blocking\] case "[^"]*init container/.test(human);
  const helpers: string[] = [];
  if (!has('privilegedContainers')) {
    if (has('allContainers') && has('isPrivileged')) helpers.push(SKILL_PRIVILEGED);
    else helpers.push(containersOnlyFirst && !toldAboutInit ? OWN_CONTAINERS_ONLY : OWN_CONTAINERS, OWN_PRIVILEGED);
  }
  const inScope = prod
    ? has('inNamespaces')
      ? "inNamespaces(request, ['prod'])"
      : "request.namespace === 'prod'"
    : '';
  const decision = [
    `const names = ${inScope ? `${inScope} ? privilegedContainers(request.object?.spec) : []` : 'privilegedContainers(request.object?.spec)'};`,
    'if (names.length > 0) {',
    `  deny('privileged containers are not allowed${prod ? ' in namespace prod' : ''}: ' + names.join(', '));`,
    '}',
    'allow();',
  ];
  return {
    explanation: helpers.length
      ? 'first draft: helpers for the containers, then the decision'
      : 'first draft: the retrieved privilegedContainers skill, then the decision',
    plan: prod
      ? 'privileged container names of the pod, only in prod; deny when any'
      : 'privileged container names of the pod; deny when any',
    spec: {
      type: 'Validating',
      operations: ['CREATE', 'UPDATE'],
      resources: ['pods'],
      apiGroups: [''],
      apiVersions: ['v1'],
      scope: 'Namespaced',
      ...(prod ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } } } : {}),
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      violationPolicy: 'Deny',
      javascript: [...helpers, ...decision].join('\n'),
    },
  };
}

const APPROVE = {
  reasoning:
    'denies exactly pods with a privileged container (init containers included) in the scope the intent names; the rest is allowed',
  success: true,
  critique: '',
};

/** One scripted answer, chosen by the tool the loop asks for (submit_plan, submit_policy, submit_review). */
export function privilegedModel(req: RecordedRequest): ScriptStep {
  return answer(req, false);
}

/**
 * The same model, except that when no skill in its prompt walks the containers and it writes the walk itself,
 * its first draft reads spec.containers only, and it covers init and ephemeral containers once the report names
 * a failing init-container case. That first draft is the gap policy libraries written by people shipped and
 * fixed later: trivy-checks KSV017 (PR #536), kubescape regolibrary C-0057 (PR #734, issue #709), kubescape
 * cel-admission-library C-0057 (#107), polaris (#1203), kyverno/policies (#650). A model without memory makes
 * it again on every fresh run; a verified skill is the library's memory of the fix.
 */
export function containersOnlyFirstModel(req: RecordedRequest): ScriptStep {
  return answer(req, true);
}

function answer(req: RecordedRequest, containersOnlyFirst: boolean): ScriptStep {
  const tool = req.body?.tools?.[0]?.function?.name;
  if (tool === 'submit_plan') return { toolCall: { arguments: planAnswer(req) } };
  if (tool === 'submit_policy') return { toolCall: { arguments: draftAnswer(req, containersOnlyFirst) } };
  if (tool === 'submit_review') return { toolCall: { arguments: APPROVE } };
  return {
    status: 400,
    body: { error: { message: `privileged model: no answer for tool ${String(tool)}`, type: 'invalid_request_error' } },
  };
}
