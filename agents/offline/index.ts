import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import {
  isPodControllerResource,
  isPolicyforgeError,
  PolicyforgeError,
  SYSTEM_NAMESPACES,
  type Intent,
  type JsPolicySpec,
  type Plan,
} from '../../common/index.js';
import { withExamples } from '../planner.js';
import { OFFLINE_FAMILIES, type FamilyContext, type FamilySolution, type OfflineFamily } from './families.js';
import { INSTRUCTION_VERB, placeWords, readIntent, type Placement, type Unplaced } from './reading.js';
import { excludedNamespacesIn, namespacesIn, resourcesIn, wantsWarning } from './text.js';

export { OFFLINE_FAMILIES, type OfflineFamily, type FamilySolution } from './families.js';
export { readIntent, placeWords, type Reading, type Placement } from './reading.js';

/** Families that check unrelated things: two of them matching one intent means two rules were asked for. */
const INDEPENDENT_RULES = new Set([
  'privileged',
  'privilege-escalation',
  'read-only-root-filesystem',
  'host-namespaces',
  'host-path',
  'host-ports',
  'capabilities',
  'run-as-non-root',
  'seccomp',
  'run-as-user',
  'run-as-user-bound',
  'root-group',
  'proc-mount',
  'automount-token',
  'default-service-account',
  'external-ips',
  'host-process',
  'apparmor',
  'selinux',
  'selinux-user-role',
  'sysctls',
  'volume-types',
  'image-pull-policy-required',
  'image-tag',
  'image-registry',
  'resources',
  'probes',
  'service-type',
  'ingress-host',
  'ingress-tls',
  'pod-field-required',
  'pod-field-forbidden',
  'subpath-mounts',
  'replicas',
]);

/**
 * Families whose subject another family's phrases swallow: to a pod-spec family "ephemeral containers" is a kind
 * of container, yet they are only ever added through pods/ephemeralcontainers, which a pod-spec policy does not
 * match. When one of these claims an intent that another family solves, the intent asks for two rules ("Ephemeral
 * containers and privileged containers are not allowed") or for a check the other family's policy never makes.
 */
const SUBJECT_RULES = new Set(['ephemeral-containers']);

/** The catalogue, as `policyforge generate --families` prints it. */
export function offlineFamilies(): Array<{ id: string; title: string; examples: string[] }> {
  return OFFLINE_FAMILIES.map((f) => ({ id: f.id, title: f.title, examples: [...f.examples] }));
}

/** What the offline planner understood: the plan, plus the code its coder will write. */
export interface OfflineUnderstanding {
  family: string;
  plan: Plan;
  spec: JsPolicySpec;
}

/**
 * The deterministic planner and coder in one step. The intent is read first (operative statement vs
 * rationale, see reading.ts); a family claims it only when every word of the operative statement is placed
 * by that family and the statement's polarity is the family's. Unknown intents fail fast with
 * PF_ERR_OFFLINE_UNSUPPORTED naming the words nothing could place and the closest families.
 */
export function understandOffline(intent: Intent, catalog: ApiCatalog = builtinCatalog()): OfflineUnderstanding {
  return solveOffline(intent, catalog, true);
}

function solveOffline(intent: Intent, catalog: ApiCatalog, checkAsides: boolean): OfflineUnderstanding {
  const text = intent.text.trim();
  const said = readIntent(text);
  // "Deny privileged containers on create and update": the operations the rule is to check, read, then held to the
  // solution's own operations below (a rule that checks only CREATE, or DELETE too, refuses them).
  const operationsSaid = said.operative.match(CREATE_AND_UPDATE) ?? [];
  const dropOperations = (s: string): string => s.replace(CREATE_AND_UPDATE, '');
  const reading = operationsSaid.length
    ? { ...said, operative: dropOperations(said.operative), statements: said.statements.map(dropOperations) }
    : said;
  const operative = reading.operative;
  // "host namespaces" are the host's network / PID / IPC namespaces (catalog fields), never a Namespace named host.
  const hostWords = /\bhost(?:'s)?\s+namespaces?\b/i.test(operative);
  const named = namespacesIn(operative).filter((n) => !(hostWords && n === 'host'));
  const namespaces = [...new Set([...named, ...(intent.options?.namespaces ?? [])])];
  // Every policy leaves the system namespaces alone (a mistake there stops the control plane, jsPolicy or
  // policyforge from recovering): a rule that exists only to act in one cannot be honoured, so it is refused.
  const system = namespaces.filter((n) => (SYSTEM_NAMESPACES as readonly string[]).includes(n));
  if (system.length)
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" acts in ${system.join(', ')}: policyforge never writes a policy that acts in the system namespaces (${SYSTEM_NAMESPACES.join(', ')}), whose webhooks and controllers a mistake would stop from recovering`,
      ],
      { details: { unplaced: system } },
    );
  // "A pod must not have all of its containers privileged", "Not every container may lack a probe": a negation over
  // "all" / "every" forbids only the pods where the whole set is so, which no family checks (each reads "no
  // container may be privileged"). Refused rather than read as the stricter rule.
  const notAll = negatedUniversal(operative);
  if (notAll)
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" negates "${notAll}": a rule on pods where all of them are so, which offline mode does not write (it would forbid any one of them). Configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [notAll] } },
    );
  // "memory limits are not set.", "Liveness probe is not configured": a bare statement of a state, the way a scanner
  // words its finding (Kubescape's rule descriptions), not a rule. Read as "must not be set" it is the inverse of the
  // finding's meaning (every container must set them); read as the finding's rule it would guess. Refused.
  // Read as an aside of a longer text, a bare statement is read for the rule it could be, so that one beside the rule
  // ("… Pods have the label team.") is refused as a second rule rather than dropped as background.
  const finding = checkAsides ? stateStatement(operative, text) : undefined;
  if (finding)
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" states "${finding}" without saying whether that is what is required or what is to be caught (a scanner's finding); say "must …" or "must not …", or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [finding] } },
    );
  // "Checks whether a deployment uses less than three replicas": a check's question names what is looked at, not which
  // answer is caught (a scanner's finding); "check that X" requires X, "whether" / "if" leaves it open, and read as
  // "X is required" kube-linter's finding was read inverted (test/agents/offline-kubelinter16.test.ts). Refused unless
  // the text says a verdict of its own ("…, and denies those that do not").
  const question = checkAsides ? checkQuestion(text) : undefined;
  if (question)
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" asks "${question} …" without saying which answer is to be caught (a scanner's finding); say "must …" or "must not …", or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [question] } },
    );
  // "in the 'test' namespace" names a namespace, not the Namespace kind: drop those phrases before looking for kinds.
  const excluded = excludedNamespacesIn(operative).filter(
    (n) => !namespaces.includes(n) && !(hostWords && n === 'host'),
  );
  // "in every namespace" scopes the rule to all of them (the reader places it so); it names no Namespace object.
  const kindText = stripNamespacePhrases(operative, [...namespaces, ...excluded]).replace(
    /\b(?:in|across|for)\s+(?:every|all|any|each)\s+namespaces?\b/gi,
    ' ',
  );
  const base = {
    text: operative,
    catalog,
    namespaces,
    excluded,
    warn: wantsWarning(operative),
    resources: resourcesIn(kindText, catalog),
    mode: reading.mode,
    podControllers: intent.options?.podControllers !== false,
  };
  let solution: FamilySolution | undefined;
  const claimed: string[] = [];
  const misses: Unplaced[] = [];
  for (const family of OFFLINE_FAMILIES) {
    const placement = placeWords(reading.statements, {
      phrases: family.phrases,
      namespaces: [...namespaces, ...excluded],
      catalog,
    });
    const ctx: FamilyContext = { ...base, negated: placement.negated };
    const candidate = family.match(ctx);
    if (!candidate) continue;
    claimed.push(family.id);
    const miss = unplacedBy(candidate, placement, reading.mode, namespaces);
    if (miss) {
      misses.push({ family: family.id, ...miss });
      continue;
    }
    solution ??= candidate;
  }
  // One family writes one rule: an intent that combines independent rules would silently lose all but the
  // first, so it is refused rather than half-solved.
  const combined = claimed.filter((id) => INDEPENDENT_RULES.has(id));
  if (combined.length > 1 && (!solution || !combined.includes(solution.family))) {
    throw new PolicyforgeError('PF_ERR_OFFLINE_UNSUPPORTED', [
      `"${text}" combines ${combined.length} rules (${combined.join(', ')}); offline mode writes one rule per policy. Generate them one at a time, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
    ]);
  }
  const subject = claimed.find((id) => SUBJECT_RULES.has(id) && id !== solution?.family);
  // A pod-spec rule that names ephemeral containers also matches pods/ephemeralcontainers (families.ts containerRule).
  if (solution && subject && !solution.target.resources.includes('pods/ephemeralcontainers')) {
    throw new PolicyforgeError('PF_ERR_OFFLINE_UNSUPPORTED', [
      `"${text}" names what ${subject} rules on beside what ${solution.family} checks; offline mode writes one rule per policy, and a ${solution.family} policy would never see them. Generate them one at a time, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
    ]);
  }
  if (!solution) {
    // No family claimed it: say what the nearest families could not place.
    if (misses.length === 0) {
      for (const f of nearestFamilies(operative)) {
        const p = placeWords(reading.statements, {
          phrases: f.phrases,
          namespaces: [...namespaces, ...excluded],
          catalog,
        });
        misses.push({ family: f.id, words: [...p.unplaced, ...p.values] });
      }
    }
    throw refusal(text, operative, misses, reading.rationale);
  }
  // "DaemonSet pods may not use hostPath volumes", "The pod template of Deployments must not use hostNetwork": the
  // controller kind qualifies the pods, but "pods" brings in Pods and every controller, so the rule would hold for
  // all of them (a bare Pod or a Deployment using hostPath denied). Refused rather than widened.
  const ownedPods = CONTROLLER_PODS.find((re) => re.test(operative));
  if (ownedPods && solution.target.resources.includes('pods'))
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" names the pods of one kind of controller ("${ownedPods.exec(operative)?.[0]}"); the ${solution.family} rule would hold for every Pod and every pod controller. Name the kind alone ("DaemonSets must not …"), or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [ownedPods.exec(operative)?.[0] ?? 'pods'] } },
    );
  // "runAsUser must be set and must not be 0", "A seccomp profile is required, and it must not be Unconfined": a ban
  // reads only the second half; an unset field (which the text requires) passes. Refused.
  const setRequired = SET_REQUIRED.exec(operative);
  if (setRequired && solution.polarity === 'forbid')
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" requires a field to be set ("${setRequired[0]}") beside what it forbids; the ${solution.family} rule only forbids, so an unset field would pass. Configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [setRequired[0]] } },
    );
  // "Both the pod and each container must set runAsNonRoot to true": these families take a container's own setting,
  // else the pod's, so a pod that sets it once passes; the text asks for it at both levels. Refused.
  const bothLevels = BOTH_LEVELS.find((re) => re.test(operative));
  if (bothLevels && LEVEL_FALLBACK.has(solution.family) && !/\bmust not\b|\bno container may\b/.test(solution.summary))
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" asks for the setting in the pod and in every container; the ${solution.family} family takes a container's own setting, else the pod's, so it would pass a pod that sets it once. Configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [bothLevels.exec(operative)?.[0] ?? 'both'] } },
    );
  // "PersistentVolumes must not be deleted in the prod namespace", "Namespaces must not be deleted, except the sandbox
  // namespace": a namespace scope or exception on a kind that lives in no namespace. The selector cannot apply it, so
  // the rule was written for every object, the exception dropped; the namespace named may mean the object so named,
  // or the text may be mistaken. Refused rather than widened.
  const t0 = solution.target;
  const unscoped = t0.resources.filter((plural) =>
    t0.apiGroups.some((g) => catalog.get(g, plural)?.namespaced === false),
  );
  if ((named.length || excluded.length) && unscoped.length)
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" scopes ${unscoped.join(', ')} to namespaces (${[...named, ...excluded.map((n) => `not ${n}`)].join(', ')}), but they live in no namespace: the policy could not honour the scope or the exception. Configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md) or say which objects are meant`,
      ],
      { details: { unplaced: [...named, ...excluded] } },
    );
  const operations = solution.target.operations;
  if (
    operationsSaid.length &&
    !(operations.length === 2 && operations.includes('CREATE') && operations.includes('UPDATE'))
  )
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}" says the rule is checked ${operationsSaid.join(', ').trim()}, but the ${solution.family} rule checks ${operations.join(' and ')}. Configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: operationsSaid.map((o) => o.trim()) } },
    );
  const asideTests = checkAsides
    ? [
        ...statementsAgree(intent, solution, [...reading.statements, ...ruleAfterReason(reading.rationale)], catalog),
        ...asideAgrees(intent, solution, reading.asideRules, catalog),
      ]
    : [];
  const plan: Plan = {
    // Namespaces were read from the operative statement only (reading.ts): the critic must not re-read the rationale.
    target: { ...solution.target, namespacesFinal: true, ...(excluded.length ? { excludedNamespaces: excluded } : {}) },
    steps: solution.steps,
    tests: withExamples(intent.examples ?? [], [...solution.tests, ...asideTests]),
    rationale: `offline family ${solution.family}: ${solution.summary}${podControllerNote(solution.target)}`,
  };
  const t = solution.target;
  const spec: JsPolicySpec = {
    type: t.type,
    operations: t.operations,
    resources: t.resources,
    apiGroups: t.apiGroups,
    apiVersions: t.apiVersions,
    scope: t.scope,
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
    javascript: `// policyforge offline family: ${solution.family}. ${solution.summary}\n${solution.javascript}`,
  };
  return { family: solution.family, plan, spec };
}

/** Families that check one subject in more or less precise terms. */
const SAME_SUBJECT = [
  new Set(['run-as-non-root', 'run-as-user', 'run-as-user-bound']),
  new Set(['resources', 'resource-bound']),
];

/**
 * A rule sentence beside "This policy …" is set aside as its motivation ("Privileged mode … must not be allowed. This
 * policy ensures Pods do not call for privileged mode."), and a plain statement ahead of the rule as its background
 * ("Host namespaces let a pod see other workloads. Pods must not use hostNetwork."). Read alone, it must say the same
 * rule or nothing a family reads: one that reads as another family's rule ("Images must not use the latest tag. This
 * policy requires the label team", "Services are restricted to type ClusterIP. Privileged containers are not
 * allowed.") would be dropped: refused, naming the sentence. The same family in other words is a restatement, whose
 * denied cases are returned for the plan.
 */
function asideAgrees(intent: Intent, solution: FamilySolution, asides: string[], catalog: ApiCatalog): Plan['tests'] {
  const tests: Plan['tests'] = [];
  for (const aside of asides) {
    let alone: ReturnType<typeof solveOffline>;
    try {
      // The person's own examples are in the plan once already: the sentence alone is read without them.
      alone = solveOffline({ ...intent, text: aside, examples: undefined }, catalog, false);
    } catch (err) {
      if (!isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')) throw err;
      // Unread, the sentence is the rule's motivation, unless the rule's own family reads it the other way round
      // ("Containers must not drop all capabilities. This policy requires that ALL is listed in capabilities.drop",
      // "Privileged mode … must be allowed. This policy ensures Pods do not call for privileged mode."): which one
      // is meant is not said. Refused, naming the sentence.
      if (opposes(aside, solution, catalog))
        throw new PolicyforgeError(
          'PF_ERR_OFFLINE_UNSUPPORTED',
          [
            `"${intent.text.trim()}": "${aside}" says the opposite of the ${solution.family} rule the text states; say the one rule meant, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
          ],
          { details: { unplaced: [aside] } },
        );
      // "Ingresses must not be of type NodePort. This policy ensures Services of type LoadBalancer are denied.": a rule
      // said of kinds the policy never sees is no reason for it. Refused rather than dropped.
      const other = otherKinds(aside, solution, catalog);
      if (other.length)
        throw new PolicyforgeError(
          'PF_ERR_OFFLINE_UNSUPPORTED',
          [
            `"${intent.text.trim()}": "${aside}" states a rule for ${other.join(', ')}, which the ${solution.family} rule the text states does not match; say the one rule meant, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
          ],
          { details: { unplaced: [aside] } },
        );
      continue;
    }
    const family = alone.family;
    // The same family in other words ("must not be Unconfined" beside "unset, RuntimeDefault or Localhost") may still
    // name more ("Services must not be of type nodeport. This policy ensures Services of type LoadBalancer are
    // denied"): what it denies joins the plan's cases, so the sandbox, not this reading, says whether the policy does
    // what both sentences say. (What it allows, the other may still deny.)
    if (family === solution.family) {
      for (const c of alone.plan.tests)
        if (c.expect !== 'allow') tests.push({ ...c, name: `${c.name} (as "${aside}" says)` });
      continue;
    }
    // A general rule the sentence makes precise ("must run as non-root users" beside "runAsUser … above 0") agrees.
    if (SAME_SUBJECT.some((g) => g.has(family) && g.has(solution.family))) continue;
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${intent.text.trim()}": "${aside}" reads as a ${family} rule beside the ${solution.family} rule the text states; offline mode writes one rule per policy. Say the one rule meant, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [aside] } },
    );
  }
  return tests;
}

/** The kinds a rule-shaped sentence names when none of them is one the solution matches (or places). */
function otherKinds(sentence: string, solution: FamilySolution, catalog: ApiCatalog): string[] {
  if (!RULE_MODAL.test(sentence)) return [];
  // "… the default Namespace should not be used" names where objects live far more often than a Namespace object.
  // "A ServiceAccount token should only be mounted when needed", "Secret volumes …", "a custom SELinux user or role
  // option": the kind's name describes what a Pod mounts, refers to or sets, not the kind a rule is for.
  const kinds = resourcesIn(sentence.replace(KIND_AS_MODIFIER, ' '), catalog).filter((r) => r.plural !== 'namespaces');
  const seen = (r: { plural: string; kind: string }): boolean =>
    solution.target.resources.includes(r.plural) || (solution.placesKinds ?? []).includes(r.kind);
  return kinds.length && !kinds.some(seen) ? kinds.map((r) => r.kind) : [];
}

const KIND_AS_MODIFIER =
  /\b(?:service\s?accounts?|secrets?|config\s?maps?|persistent\s?volume\s?claims?|namespaces?|roles?)\s+(?=(?:tokens?|volumes?|mounts?|names?|references?|keys?|options?)\b)/gi;

const RULE_MODAL =
  /\b(?:must|mustn't|should|shouldn't|shall|may|cannot|can't|needs?\s+to|ha(?:s|ve)\s+to|required|mandatory|(?:allowed|permitted|forbidden|prohibited|disallowed))\b/i;
const NEGATING_WORD =
  /\b(?:not|no|never|without|lack\w*|missing|nobody|none|nothing|cannot|can't|don't|doesn't|mustn't|shouldn't|isn't|aren't|won't|den(?:y|ies|ied|ying)|block\w*|disallow\w*|forbid\w*|prevent\w*|reject\w*|prohibit\w*|refus\w*|disabl\w*|immutable|unset)\b/gi;

/**
 * The family of the rule claims the sentence (its subject is there) with the polarity it does not have: the sentence
 * requires what the rule forbids, or forbids what it requires. Words it cannot place are not looked at (the sentence
 * is a reason: "Privileged mode disables most security mechanisms and must not be allowed" agrees).
 */
function opposes(sentence: string, solution: FamilySolution, catalog: ApiCatalog): boolean {
  const family = OFFLINE_FAMILIES.find((f) => f.id === solution.family);
  if (!family || solution.polarity === 'mutate') return false;
  // A fact ("The latest tag is mutable …", "A NodePort Service opens a port on every node") has no polarity at all.
  const modal = RULE_MODAL.exec(sentence);
  if (!modal) return false;
  // Polarity is counted in the clause that says the rule ("… disables most security mechanisms and must be allowed":
  // "must be allowed"); with two negating words there the count says nothing, and the sentence is left as a reason.
  const head = sentence.slice(0, modal.index);
  const from = Math.max(...[...head.matchAll(/,|;|\b(?:and|but|which|so)\b/gi)].map((m) => m.index + m[0].length), 0);
  const negating = (sentence.slice(from).split(/[,;]/)[0].match(NEGATING_WORD) ?? []).length;
  if (negating > 1) return false;
  const negated = negating === 1;
  const reading = readIntent(sentence);
  if (reading.mode === 'mutate') return false;
  const placement = placeWords(reading.statements, { phrases: family.phrases, namespaces: [], catalog });
  if (placement.conflict) return false;
  const candidate = family.match({
    text: reading.operative,
    catalog,
    namespaces: [],
    excluded: [],
    warn: wantsWarning(reading.operative),
    resources: resourcesIn(reading.operative, catalog),
    mode: reading.mode,
    podControllers: true,
    negated,
  });
  if (!candidate || candidate.polarity !== solution.polarity) return false;
  return candidate.polarity === 'forbid' ? !negated : negated;
}

/**
 * "Privileged containers are not allowed. Pods must not be created in the default namespace.": each sentence a rule of
 * its own, yet the privileged family places every word of both (the second has only a kind, a namespace and a
 * negation, which read as the first rule's scope), so the namespace rule was dropped and the privileged one scoped to
 * default. A statement that alone reads as another family's rule is a second rule: refused. One family in both is one
 * rule. A general rule beside a precise one ("Containers must set resource limits. Containers must have a memory limit
 * of at most 2Gi.") may be one rule or two (the bound alone let a container without a CPU limit pass): what the
 * statement alone denies joins the plan's cases, so the sandbox says whether the policy does what each statement says.
 */
function statementsAgree(
  intent: Intent,
  solution: FamilySolution,
  statements: string[],
  catalog: ApiCatalog,
): Plan['tests'] {
  const tests: Plan['tests'] = [];
  // "A; B", "A, and B", "In addition, B": clauses are statements too (one family placed every word of "Pods must not
  // mount hostPath volumes; pods must not be created in the default namespace", the second rule read as the first's
  // scope); "In addition, …" alone is not read, so the connective is dropped.
  const clauses = statements.flatMap(clausesOf);
  if (clauses.length < 2) return tests;
  for (const statement of clauses) {
    let alone: ReturnType<typeof solveOffline>;
    try {
      alone = solveOffline({ ...intent, text: statement, examples: undefined }, catalog, false);
    } catch (err) {
      if (isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')) continue;
      throw err;
    }
    const family = alone.family;
    if (family === solution.family) continue;
    if (SAME_SUBJECT.some((g) => g.has(family) && g.has(solution.family))) {
      for (const c of alone.plan.tests)
        if (c.expect !== 'allow') tests.push({ ...c, name: `${c.name} (as "${statement}" says)` });
      continue;
    }
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${intent.text.trim()}": "${statement}" reads as a ${family} rule of its own beside the ${solution.family} rule; offline mode writes one rule per policy. Generate them one at a time, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
      ],
      { details: { unplaced: [statement] } },
    );
  }
  return tests;
}

/** The clauses a statement joins with ";" or ", and", a leading connective ("Also,", "In addition,") dropped. */
function clausesOf(statement: string): string[] {
  return statement
    .split(/\s*;\s*|,\s+and\s+/i)
    .map((c) => c.replace(CONNECTIVE_LEAD, '').trim())
    .filter(Boolean);
}

const CONNECTIVE_LEAD = /^(?:and\s+)?(?:also|in\s+addition|additionally|moreover|furthermore|besides)\b\s*,?\s*/i;

/**
 * "… must not be privileged, and to avoid noisy neighbours, CPU limits should be set …", "…, because it can redirect
 * traffic, and this policy prevents …": the reason cut from a statement runs on into a rule, which was cut with it.
 * The clauses after the reason's own are returned, to be read as statements (a reason alone reads as no rule).
 */
function ruleAfterReason(rationale: string[]): string[] {
  return rationale
    .filter((r) => /^\s*(?:,|(?:because|since|as|so|in order|which|for|to)\b)/i.test(r))
    .flatMap((r) =>
      r
        .replace(/^\s*,\s*/, '')
        .split(/\s*[,;]\s*/)
        .slice(1),
    )
    .map((c) => c.replace(/^(?:and|but)\s+/i, ''));
}

/**
 * A negation over a universal quantifier: "must not have all (of its) containers", "must not run every …", "Not all
 * containers may …", "is not allowed for every container to …", "Pods whose containers are all privileged are
 * forbidden". Not "at all", not "in all namespaces" (a scope), not the capability ALL ("must not add ALL").
 */
function negatedUniversal(text: string): string | undefined {
  const patterns = [
    /\bnot\s+(?:(?:have|run|make|let|be|use|set)\s+)?(all|every)\b(?!\s+namespaces?\b)/gi,
    /\bnot\s+(?:allowed|permitted)\s+for\s+(all|every)\b(?!\s+namespaces?\b)/gi,
    /\bwhose\s+[\w-]+\s+are\s+(all)\b/gi,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) if (m[1] !== 'ALL') return m[0];
  return undefined;
}

/** Words that make a text a rule (a modal, an action, a verdict) rather than a statement of how things are. */
const RULE_WORDS =
  /\b(?:must|should|shall|may|might|can|cannot|need|needs|has\s+to|have\s+to|require[ds]?|required|mandatory|allow(?:s|ed)?|permit(?:s|ted)?|forbid\w*|disallow\w*|den(?:y|ies|ied)|block\w*|reject\w*|prevent\w*|refuse\w*|ensure\w*|makes?\s+sure|enforce\w*|validat\w*|verif\w*|check\w*|never|only|avoid\w*|fail(?:s|ed|ing)?|violat\w*|alert\w*|flag\w*|warn\w*|report\w*|detect\w*|audit\w*|do\s+not|don['\u2019]t|no\b|without)\b|\bnot\s+to\b/i;

/**
 * "memory limits are not set.", "Readiness probe is not configured", "CPU requests not specified": a field said to be
 * absent, in the indicative or as a verbless finding title, with no word that makes it a rule. A scanner's finding
 * or a desired state, and which one is not said.
 */
function stateStatement(operative: string, text: string): string | undefined {
  // The whole text: "This policy ensures …" / "… validates that …" frame the statement as a rule (the operative part drops them).
  if (RULE_WORDS.test(text)) return undefined;
  // With or without its verb: trivy's titles name the finding so ("CPU requests not specified").
  const unset =
    /\b(?:(?:is|are)\s+)?not\s+(?:set|configured|defined|specified|present|provided|declared)\b(?!\s+to\b)/i.exec(
      operative,
    )?.[0];
  if (unset) return unset;
  // "Container image is from k8s.gcr.io.", "Containers have resource limits.": a state said plainly, with no word of a
  // rule, an action or a restriction, and no imperative. A scanner words its finding so (the image IS from the frozen
  // registry: that is the problem), a person may word the desired state so; which one is not said. Refused.
  if (RESTRICTION_WORDS.test(text) || IMPERATIVE.test(operative) || /\bnot\b|n['\u2019]t\b/i.test(operative))
    return undefined;
  return operative.trim().replace(/[.!]+$/, '');
}

/** "checks whether", "verifies if", "determines whether": a question that leaves the verdict unsaid. */
const CHECK_QUESTION =
  /\b(?:check(?:s|ed|ing)?|verif(?:y|ies|ied|ying)|validat(?:e|es|ed|ing)|test(?:s|ed|ing)?|determin(?:e|es|ed|ing)|inspect(?:s|ed|ing)?|evaluat(?:e|es|ed|ing)|examin(?:e|es|ed|ing)|assess(?:es|ed|ing)?)\s+(?:whether|if)\b/gi;

/** A verdict said beside the question: a modal, or a verb that allows, denies or reports. */
const VERDICT_WORDS =
  /\b(?:must|should|shall|may|can(?:not)?|needs?\s+to|has\s+to|have\s+to|require[ds]?|required|mandatory|allow\w*|permit\w*|forbid\w*|disallow\w*|den(?:y|ies|ied)|block\w*|reject\w*|prevent\w*|refuse\w*|ensure\w*|enforce\w*|never|avoid\w*|fail(?:s|ed|ing)?|violat\w*|alert\w*|flag\w*|warn\w*|report\w*|audit\w*|do\s+not|don['\u2019]t)\b/i;

/** The check's question the text asks ("Checks whether"), when it says no verdict beside it; else undefined. */
function checkQuestion(text: string): string | undefined {
  const asked = text.match(CHECK_QUESTION);
  if (!asked || VERDICT_WORDS.test(text.replace(CHECK_QUESTION, ' '))) return undefined;
  return asked[0];
}

/** Words that restrict or act, beyond RULE_WORDS: "is prohibited", "restricts", "are limited to", "is immutable", "This policy …". */
const RESTRICTION_WORDS =
  /\b(?:prohibit\w*|restrict\w*|limited|immutable|disable\w*|this\s+policy|sets|adds|mutat\w*|default\w*)\b/i;

/**
 * An instruction: the statement, or a clause of it, opens with a verb, perhaps after its scope ("Drop ALL
 * capabilities", "In prod, set …", "k8s.gcr.io will be frozen, use registry.k8s.io": read, or refused, as such).
 */
const IMPERATIVE = new RegExp(
  String.raw`(?:^|[,;:]\s*)(?:(?:in|for|on|across|within)\b[^,]{0,80},\s*)?${INSTRUCTION_VERB}`,
  'i',
);

/** "must be set", "must be specified", "is required" (not "must be set to X", "are required (not) to …", "it is required that …"). */
/** "on create and update", "on CREATE or UPDATE operations", "when they are created or updated": both, nothing else. */
const CREATE_AND_UPDATE =
  /\s*,?\s*\b(?:(?:on|upon|during|at)\s+(?:both\s+)?(?:create|creation)\s+(?:and|or|&|\/)\s+updates?(?:\s+(?:operations|requests|events))?|(?:when(?:ever)?|as)\s+(?:they\s+are|it\s+is|(?:the\s+)?(?:pods?|objects?|resources?)\s+(?:is|are))\s+created\s+or\s+updated)\b/gi;

const SET_REQUIRED =
  /\b(?:must|should|shall|has\s+to|have\s+to|needs?\s+to)\s+(?:always\s+|explicitly\s+)?be\s+(?:set|specified|defined|present|provided|configured|declared)\b(?!\s+to\b)|(?<!\bit\s)\b(?:is|are)\s+(?:required|mandatory)\b(?!\s+(?:to|not|that)\b)/i;

const CONTROLLER_KIND = String.raw`(?:deployment|statefulset|daemonset|replicaset|job|cronjob|replicationcontroller)s?`;
/** "DaemonSet pods", "Deployment pod templates", "the pods of a DaemonSet", "pod templates in Deployments". */
const CONTROLLER_PODS = [
  new RegExp(String.raw`\b${CONTROLLER_KIND}(?:'s?)?\s+pods?(?:\s+templates?|\s+specs?)?\b`, 'i'),
  new RegExp(
    String.raw`\bpods?(?:\s+templates?|\s+specs?)?\s+(?:of|in|from|for|created\s+by|managed\s+by|owned\s+by|belonging\s+to|run\s+by)\s+(?:(?:a|an|the|all|every|each|any)\s+)?${CONTROLLER_KIND}\b`,
    'i',
  ),
];

/** Families whose requirement is met by a container's own setting, else the pod's (one level suffices). */
const LEVEL_FALLBACK = new Set(['run-as-non-root', 'seccomp', 'run-as-user-bound', 'apparmor']);

/** "both the pod and each container", "the pod securityContext and every container securityContext", "every container and the pod". */
const BOTH_LEVELS = [
  /\bboth\s+(?:the\s+)?pod\b/i,
  /\b(?:in|at)\s+both\b/i,
  /\bpod(?:'s)?(?:[\s-]+level)?(?:\s+(?:securityContext|security\s+context))?\s+and\s+(?:in\s+)?(?:each|every|all|its|the)\s+(?:of\s+its\s+)?containers?\b/i,
  /\b(?:each|every|all)\s+containers?(?:\s+(?:securityContext|security\s+context))?\s+and\s+(?:in\s+)?the\s+pod\b/i,
];

/** Removes "namespace test", "'test' namespace", "namespaces a" around the names found, so the word is not read as the Namespace kind. */
function stripNamespacePhrases(text: string, namespaces: readonly string[]): string {
  let out = text;
  for (const ns of namespaces) {
    const name = ns.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(
      new RegExp(
        `(?:\\bnamespaces?\\s+)?['"\u2018\u2019\u201c\u201d\`]?\\b${name}\\b['"\u2018\u2019\u201c\u201d\`]?(?:\\s+namespaces?\\b)?`,
        'gi',
      ),
      ' ',
    );
  }
  return out;
}

/** Why a family's candidate cannot be claimed: words it did not place, a polarity or a mode it does not have. */
function unplacedBy(
  sol: FamilySolution,
  p: Placement,
  mode: 'validate' | 'mutate',
  namespaces: readonly string[],
): { words: string[]; reason?: string } | undefined {
  // A plain word the family took as a value (a label key, an object name) is placed when the code uses it as a string.
  const words = p.unplaced.filter(
    (w) => QUANTIFIER_WORDS.has(w.toLowerCase()) || !sol.javascript.includes(JSON.stringify(w)),
  );
  const targeted = new Set(sol.target.resources);
  for (const k of p.kinds)
    if (!targeted.has(k.resource.plural) && !(sol.placesKinds ?? []).includes(k.resource.kind)) words.push(k.word);
  for (const v of p.values) {
    const parts = v
      .split(/[=:]/)
      .map((x) => x.replace(/^[\s'"`.*]+|[\s'"`.,;]+$/g, ''))
      .filter(Boolean);
    if (!parts.every((x) => usesValue(sol.javascript, x) || namespaces.includes(x))) words.push(v);
  }
  if (words.length) return { words };
  if (p.conflict) return { words: [], reason: 'one statement forbids what another requires' };
  const wanted = sol.polarity;
  if (wanted === 'mutate' ? mode !== 'mutate' || p.negated : mode === 'mutate')
    return {
      words: [],
      reason:
        wanted === 'mutate'
          ? 'the intent does not ask to set a value'
          : 'the intent asks to add or set a value (a mutation), not to deny',
    };
  if (wanted === 'forbid' && !p.negated)
    return { words: [], reason: 'the intent requires what this family would forbid' };
  if (wanted === 'require' && p.negated)
    return { words: [], reason: 'the intent forbids what this family would require' };
  return undefined;
}

function refusal(text: string, operative: string, misses: Unplaced[], rationale: string[]): PolicyforgeError {
  const closest = [...misses].sort((a, b) => a.words.length - b.words.length).slice(0, 3);
  const lines = [
    ...closest.map((m) => {
      const example = OFFLINE_FAMILIES.find((x) => x.id === m.family)?.examples[0];
      const why = m.words.length
        ? `could not place ${m.words.map((w) => `"${w}"`).join(', ')}`
        : (m.reason ?? 'the statement does not name what this family checks');
      return `${m.family} (${why}${example ? `; e.g. "${example}"` : ''})`;
    }),
  ];
  const unplaced = [...new Set(closest.flatMap((m) => m.words))];
  return new PolicyforgeError(
    'PF_ERR_OFFLINE_UNSUPPORTED',
    [
      `"${text}". ${unplaced.length ? `Words not understood: ${unplaced.join(', ')}. ` : ''}Closest offline families: ${lines.join('; ') || 'none'}. Configure a model to generate any intent: set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama, vLLM or LM Studio (see docs/providers.md); \`policyforge generate --families\` lists what offline mode understands`,
    ],
    {
      details: {
        families: OFFLINE_FAMILIES.map((f) => f.id),
        unplaced,
        closest: closest.map((m) => m.family),
        operative,
        rationale,
      },
    },
  );
}

/** Families sharing the most words with the statement, when none of them claimed it. */
function nearestFamilies(operative: string): OfflineFamily[] {
  const words = new Set(operative.toLowerCase().match(/[a-z]{4,}/g) ?? []);
  const vocabulary = familyVocabulary();
  // A word most families share ("must", "pods", "containers") says little about which one is near: rarer
  // shared words weigh more (inverse document frequency over the families' titles and examples).
  return vocabulary.families
    .map(({ f, terms }) => ({
      f,
      score: [...terms]
        .filter((w) => words.has(w))
        .reduce((sum, w) => sum + Math.log(OFFLINE_FAMILIES.length / (vocabulary.df.get(w) ?? 1)), 0),
    }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 2)
    .map((x) => x.f);
}

let vocabularyCache: { families: Array<{ f: OfflineFamily; terms: Set<string> }>; df: Map<string, number> } | undefined;

function familyVocabulary(): NonNullable<typeof vocabularyCache> {
  if (vocabularyCache) return vocabularyCache;
  const families = OFFLINE_FAMILIES.map((f) => ({
    f,
    terms: new Set(`${f.title} ${f.examples.join(' ')}`.toLowerCase().match(/[a-z]{4,}/g) ?? []),
  }));
  const df = new Map<string, number>();
  for (const { terms } of families) for (const w of terms) df.set(w, (df.get(w) ?? 0) + 1);
  vocabularyCache = { families, df };
  return vocabularyCache;
}

/** "Applies to Pods and to the pod template of …", when the plan reaches into pod controllers. */
function podControllerNote(target: Plan['target']): string {
  const controllers = target.resources.filter(isPodControllerResource);
  return target.resources.includes('pods') && controllers.length
    ? `; applies to Pods and to the pod template of every pod controller (${controllers.join(', ')})`
    : '';
}

/**
 * The policy code uses a value the text names: as a string literal ("team", "registry.k8s.io"), a number in a
 * comparison (2 replicas), or inside a dotted literal (a host under a domain). Values are compared exactly:
 * 'PROD' is not 'prod'.
 */
function usesValue(javascript: string, value: string): boolean {
  if (javascript.includes(JSON.stringify(value))) return true;
  if (/^\d+$/.test(value)) return new RegExp(`(?<![\\w.])${value}(?![\\w.])`).test(javascript);
  return /[./]/.test(value) && (javascript.includes(`"${value}`) || javascript.includes(`${value}"`));
}

/** Quantifiers are never placed by being a value: "only", "unless" change the rule's meaning. */
const QUANTIFIER_WORDS = new Set([
  'only',
  'except',
  'excluding',
  'unless',
  'but',
  'either',
  'neither',
  'nor',
  'one',
  'least',
  'most',
  'other',
  'than',
  'instead',
  'rather',
  'besides',
  'apart',
  'unlike',
]);
