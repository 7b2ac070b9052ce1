import type { ApiCatalog, ApiResource } from '../../catalog/index.js';
import { addsBound, exemptionsIn, resourcesIn, RUNTIME_DEFAULT_CAPS } from './text.js';

/**
 * The offline planner's reading of an intent, before any family sees it. Policy descriptions mix what must
 * happen (the operative statement: "…must not…", "This policy ensures…", "Deny…") with why ("…because…",
 * "…can lead to…", "…will be frozen…"). Only the operative statement is read; the rationale is never mined
 * for keywords. A family may claim an intent only when every content word of the operative statement is
 * placed (as a kind, a field, a value, a namespace, a verb, a polarity word or a function word) and the
 * statement's polarity is the family's: anything left over is a refusal that names the words.
 */

export interface Reading {
  /** The operative statement(s), lead-ins such as "This policy ensures that" removed, joined. */
  operative: string;
  /** The same, one entry per sentence: polarity is read per statement. */
  statements: string[];
  /** Sentences and clauses set aside as rationale (never read for keywords). */
  rationale: string[];
  /** An imperative add/set/default/inject: only a mutating family may claim it. */
  mode: 'validate' | 'mutate';
  /**
   * Sentences set aside unread that are not marked as rationale: those beside a "This policy …" sentence, which says
   * what is done ("Privileged mode must not be allowed. This policy ensures …"), and a plain statement ahead of the
   * rule taken for its background ("Pods do not call for privileged mode. Images must not use the latest tag."). Each
   * may restate the rule or say a second one: the reader checks which (index.ts, asideAgrees).
   */
  asideRules: string[];
}

/** Where a family's reading of the operative statement stands once its own phrases have been placed. */
export interface Placement {
  /** An odd number of negations: the statement forbids what the family's phrases describe. */
  negated: boolean;
  /** Two statements disagree: one negates what the other asks for. */
  conflict?: boolean;
  /** Words nothing placed, in order (quantifiers such as only / unless / except included). */
  unplaced: string[];
  /** Kind words the statement names (must be kinds the plan targets). */
  kinds: Array<{ word: string; resource: ApiResource }>;
  /** Values (quoted, dotted, numeric, key=value, camelCase fields) that the policy must actually use. */
  values: string[];
}

/**
 * A sentence ends before a capital, a quote or a parenthesis, and before a field name written as the API spells it
 * ("… does not take the service down. hostNetwork is not allowed."): a rule that starts with one is a sentence of its
 * own, never the tail of the reason before it (RATIONALE_CLAUSE would set it aside with that reason). Not after an
 * abbreviation ("e.g. hostNetwork").
 */
const SENTENCE_END =
  /(?<=[.!?;])\s+(?=[A-Z`'"(\u2018\u201c])|(?<=[.!?])(?<!\b(?:e\.g|i\.e|etc|vs|cf|approx|incl|a\.m|p\.m)\.)\s+(?=[a-z]+[A-Z][A-Za-z0-9]*\b)|(?<![a-z,])\n+|\n+(?![a-z])/;

// (A line break inside a sentence, a lower-case word after a word or a comma, is wrapped text: "… on a host,\nand should
// be disallowed …" in the Pod Security Standards' own descriptions. Every other line break ends a sentence.)

/** Clause openers after which a sentence explains why, not what. */
const RATIONALE_CLAUSE =
  /\s*(?:,\s*|\s+)(?:because|since|as (?:this|it|they|these|that)|so that|so (?=[^.]*\b(?:does|do|is|are|can|cannot|will|won't|doesn't|don't|isn't|aren't|would|stays?|remains?|keeps?)\b)|in order to|(?<=,\s*)which (?:can|could|may|might|would|will|allows?|helps?|reduces?|prevents?)|for (?:security|compliance|performance|cost) reasons|to (?:avoid|prevent|reduce|ensure|help|protect|limit|minimi[sz]e|mitigate|improve)\b|as (?:a|an) (?:best practice|security measure)|(?:\(|-|–|—)\s*(?:e\.g\.|see|this|for)).*$/i;

/** Sentences that say what the policy does or what must hold. */
/** A reason, then "and" and the rule's modal: "… to reduce attack surface and should be required". */
const COORDINATED_RULE =
  /^(.*?)\s+and\s+(?=(?:should|must|shall|needs?\s+to|ha(?:s|ve)\s+to|(?:is|are)\s+(?:not\s+)?(?:required|allowed|permitted|forbidden|prohibited))\b)/i;

const OPERATIVE_SENTENCE =
  /^(?:this|the) (?:policy|rule)\b|\b(?:must|shall|should|need to|needs to|have to|has to|are required to|is required to|may not|may only|can only|cannot|can't|mustn't|shouldn't)\b|\b(?:is|are) (?:not )?(?:allowed|permitted|forbidden|prohibited|disallowed|denied|blocked|rejected|required|immutable)\b|^(?:please\s+)?(?:deny|denies|require|requires|block|blocks|disallow|disallows|forbid|forbids|prevent|prevents|reject|rejects|ensure|ensures|enforce|enforces|restrict|restricts|only|do not|don't|never|warn|warns|audit|add|adds|set|sets|give|label|annotate|default|inject|mutate|protect|protects|limit|limits|allow|nobody|no one|no\b|every|all|each|any)\b/i;

/** A sentence about consequences, history or advice, even if it contains "must" or "should". */
const RATIONALE_SENTENCE =
  /^this (?!policy\b|rule\b)(?:prevents|stops|protects|avoids|keeps|reduces|helps|limits|mitigates|closes|removes)\b|\b(?:can lead to|could lead to|may lead to|leads to|will be frozen|is deprecated|are deprecated|has been deprecated|best practice|it is (?:important|recommended|common|advised|advisable|a good idea)|is recommended|are recommended|this can|this could|this may|can be used to|could be used to|may be used to|allows? (?:an )?attackers?|for example|e\.g\.|use of this policy|requires customi[sz]ation|known issue|auto-?generation|see:|https?:\/\/|corresponds to|for (?:more |further )?information|to prevent bypasses|if exact matches)/i;

/**
 * "A container that does not set a CPU request may be scheduled on a node without capacity", "… traffic may reach a
 * container that is not ready": what may happen, a consequence said as a possibility, not a permission. (A sentence
 * with "only", "not" or "never" may still be a rule, and is left to be read.)
 */
const POSSIBLE_CONSEQUENCE =
  /\b(?:may|might|could|can)\s+(?:be\s+(?:scheduled|evicted|killed|starved|throttled|exposed|compromised|abused|exploited|overwhelmed|lost)|(?:reach|cause|result\s+in|gain|escape|consume|exhaust|crash|starve|leak|expose|compromise|affect|impact|degrade|overload|bypass|escalate|tamper\s+with|interfere\s+with|run\s+out\s+of)\b)/i;
/** Words that keep a possibility a rule ("may only", "may not"); the conditions of a consequence are set aside first. */
const STILL_A_RULE = /\b(?:only|not|never|no)\b|n['\u2019]t\b/i;
const CONSEQUENCE_CONDITION = /\bnot\s+ready\b|\b(?:does|do)\s+not\s+(?:set|define|specify|have)\b|\bwithout\b/gi;

/**
 * The capabilities the Pod Security Standards' baseline lets a container add: the runtimes' defaults less NET_RAW
 * (pod-security-admission policy/check_capabilities_baseline.go lines 62-76).
 */
const BASELINE_CAPABILITIES = RUNTIME_DEFAULT_CAPS.filter((c) => c !== 'NET_RAW');

/** "<subject> disables … and must be disallowed" (groups: subject, what it does, the rule). */
const FACT_THEN_RULE =
  /^((?:[\w`'".-]+\s+){0,4}?[\w`'".-]+)\s+((?:(?:can|could|may)\s+)?(?:disables?|allows?|gives?|grants?|provides?|exposes?|bypass(?:es)?|increases?|enables?|lets?|permits?|weakens?|undermines?|circumvents?)\s+[^,;]+?)\s*,?\s+and\s+((?:must|should|shall)\s+(?:not\s+)?(?:be\s+)?\w+.*)$/i;

/** "Use registry.k8s.io instead.": advice on what to do instead, beside a rule that says what is not allowed. */
const ADVICE_INSTEAD = /^(?:please\s+)?(?:use|prefer|switch\s+to|migrate\s+to|move\s+to|consider)\b.*\binstead\b/i;

/** "This policy also requires …", "The policy additionally checks …": a rule beside the ones stated before it. */
const ADDING_POLICY = /^(?:this|the) (?:policy|rule)\s+(?:also|further|additionally)\b/i;

/** "This policy ensures that …": the lead-in is not part of what is required. Negating leads become "deny". */
const POLICY_LEAD =
  /^(?:this|the) (?:policy|rule)(?:,\s*(?:requiring|which requires|available (?:in|from|since)|supported (?:in|from|since))\s+Kubernetes\s+v?[\d.]+(?:\s+or\s+(?:later|newer|above|higher))?\s*,)?\s+(?:also\s+|further\s+|additionally\s+)?(?:(ensures?|validates?|checks?(?: to ensure)?|verif(?:y|ies)|requires?|enforces?|makes? sure|mandates?|will (?:ensure|validate|check|require))|(prevents?|blocks?|denies|disallows?|forbids?|rejects?|will (?:prevent|block|deny|disallow|forbid|reject)))(?:\s+that)?\s+/i;

/**
 * "This policy only allows images from x.io", "… allows only the capability NET_BIND_SERVICE to be added": the
 * allow-list said as what the policy does, read as "only images from x.io are allowed" / "only the capability
 * NET_BIND_SERVICE may be added", the way the families read an allow-list. Not when a namespace or another scope is
 * named ("only allows X in namespace Y", "… for Deployments": whether "only" limits X or the scope is not said), nor
 * when X is allowed to do something ("only allows pods to use …": which word "only" limits is not said either).
 */
const ONLY_ALLOWS =
  /^(?:this|the)\s+(?:policy|rule)\s+(?:will\s+)?(?:only\s+(?:allows?|permits?)|(?:allows?|permits?)\s+only)\s+(?!.*\bnamespaces?\b)(.+?)(?:\s+to\s+be\s+(\w+(?:\s+back)?))?$/i;

function onlyAllows(statement: string): string {
  const m = ONLY_ALLOWS.exec(statement);
  if (!m || /\b(?:to|in|for|on|within|inside|outside|except|unless|when|if|where)\s+\w/i.test(m[1])) return statement;
  return m[2] ? `only ${m[1]} may be ${m[2]}` : `only ${m[1]} are allowed`;
}

/**
 * "This policy requires every Ingress to set spec.ingressClassName": with the lead dropped, "every Ingress to set
 * …" states no need at all, and the families look for one ("must", "required"). It is said as the rule it is,
 * "every Ingress must set …". Only after "requires"/"mandates" (where "X to V" is what is required) and only for a
 * short subject without a "to" of its own, followed by a verb a rule uses.
 */
const REQUIRES_TO =
  /^(?:this|the)\s+(?:policy|rule)\s+(?:also\s+|further\s+|additionally\s+)?(?:requires|mandates|will\s+(?:require|mandate))\s+(?!that\b)/i;
const SUBJECT_TO =
  /^((?:(?!\bto\b)[^,;:]){1,80}?)\s+to\s+(?=(?:not\s+)?(?:set|specify|define|declare|have|use|run|include|carry|provide|drop|be|come|pull|mount|request|expose|reference|list|contain)\b)/i;

function requiredOf(led: string, before: string): string {
  if (!REQUIRES_TO.test(before)) return led;
  return led.replace(SUBJECT_TO, '$1 must ');
}

/** Splits an intent into its operative statement and its rationale. */
/** A namespace name as written after "in (the)" or before "namespace". */
const NS_NAME = `[\`'"]?[a-z0-9](?:[-a-z0-9]*[a-z0-9])?[\`'"]?`;
/** "in the edge namespace", "in namespace edge", "in the namespace edge": one namespace, named. */
const IN_ONE_NAMESPACE = `(?:in|within|inside)\\s+(?:the\\s+)?(?:(${NS_NAME})\\s+namespace|namespace\\s+(${NS_NAME}))`;
const ONLY_IN_NAMESPACE = [
  // "LoadBalancer Services are only allowed in the edge namespace", "… are allowed only in …", "… is only permitted …"
  new RegExp(
    `^(.+?)\\s+(?:is|are)\\s+(?:only\\s+(?:allowed|permitted)(?:\\s+to\\s+(?:run|exist))?|(?:allowed|permitted)\\s+only)\\s+${IN_ONE_NAMESPACE}$`,
    'i',
  ),
  // "NodePort Services are allowed in the edge namespace only": "only" after the place. (Left to the family, the
  // "only" read as theirs: only NodePort Services were allowed in edge, every other type there denied.)
  new RegExp(`^(.+?)\\s+(?:is|are)\\s+(?:allowed|permitted)\\s+${IN_ONE_NAMESPACE}\\s+only$`, 'i'),
  new RegExp(
    `^(.+?)\\s+(?:may|can|must|should|shall)\\s+be\\s+(?:created|used|deployed)\\s+${IN_ONE_NAMESPACE}\\s+only$`,
    'i',
  ),
  // "LoadBalancer Services are restricted to the edge namespace", "… must be limited to …": kept there, the same place.
  new RegExp(
    `^(.+?)\\s+(?:is|are|must\\s+be|should\\s+be|shall\\s+be)\\s+(?:restricted|limited|confined)\\s+to\\s+(?:the\\s+)?(?:(${NS_NAME})\\s+namespace|namespace\\s+(${NS_NAME}))$`,
    'i',
  ),
  // "LoadBalancer Services may only be created in the edge namespace"
  // ("… should only be created in …", "… must only be deployed in …": the same single place, said as a duty)
  new RegExp(
    `^(.+?)\\s+(?:may|can|must|should|shall)\\s+only\\s+(?:be\\s+(?:created|used|deployed|run)|run|exist)\\s+${IN_ONE_NAMESPACE}$`,
    'i',
  ),
];

/** "Only X are allowed in the edge namespace" (group 1: "Only"). */
const ONLY_X_IN_NAMESPACE = new RegExp(
  `^(only)\\s+(?!in\\b).+?\\s+(?:is|are|may\\s+be|can\\s+be)\\s+(?:allowed|permitted|created|used|deployed)\\s+${IN_ONE_NAMESPACE}$`,
  'i',
);

/** "… in any namespace other than dev" (the whole tail). */
const OTHER_THAN_NAMESPACE = new RegExp(
  `^(.+?)\\s+in\\s+(?:any|every|all)\\s+namespaces?\\s+(?:other\\s+than|except|but)\\s+(?:the\\s+)?(?:namespace\\s+)?(${NS_NAME})(?:\\s+namespace)?$`,
  'i',
);
/** "In all namespaces except dev, Pods must not …" (a leading clause, then the rule). */
const LEADING_EXCEPT_NAMESPACE = new RegExp(
  `^in\\s+(?:any|every|all)\\s+namespaces?\\s+(?:other\\s+than|except|but)\\s+(?:the\\s+)?(?:namespace\\s+)?(${NS_NAME})(?:\\s+namespace)?\\s*,\\s*(.+)$`,
  'i',
);

/** "… unless they are in the monitoring namespace", "… unless the Pod runs in namespace ops": the whole tail. */
const UNLESS_IN_NAMESPACE = new RegExp(
  `^(.+?),?\\s+unless\\s+(?:they|it|the\\s+[A-Za-z]+)\\s+(?:(?:are|is)\\s+(?:(?:running|created|deployed)\\s+)?|runs?\\s+)${IN_ONE_NAMESPACE}$`,
  'i',
);

/**
 * "X are only allowed in the edge namespace" says X is not allowed in any other: the statement is read as "X are not
 * allowed outside the edge namespace", which the families read with edge excluded. Only the whole statement so
 * shaped: "Only X are allowed in edge" (every other thing is denied there) is a different rule and is left as it is.
 */
export function onlyInNamespace(statement: string): string {
  const st = statement.trim();
  for (const re of ONLY_IN_NAMESPACE) {
    const m = re.exec(st);
    if (m && !/\bonly\b/i.test(m[1])) return `${m[1]} are not allowed outside the ${m[2] ?? m[3]} namespace`;
  }
  // "… in any namespace other than dev", "In all namespaces except dev, …": the same exception, said around the rule
  const other = OTHER_THAN_NAMESPACE.exec(st);
  if (other && !/\b(?:unless|except|only|other\s+than)\b/i.test(other[1]))
    return `${other[1]} except in the ${other[2]} namespace`;
  const leading = LEADING_EXCEPT_NAMESPACE.exec(st);
  if (leading && !/\b(?:unless|except|only|other\s+than)\b/i.test(leading[2]))
    return `${leading[2]} except in the ${leading[1]} namespace`;
  // "… unless they are in the monitoring namespace": the exception "except in the monitoring namespace" names
  const unless = UNLESS_IN_NAMESPACE.exec(st);
  if (unless && !/\b(?:unless|except|only)\b/i.test(unless[1]))
    return `${unless[1]} except in the ${unless[2] ?? unless[3]} namespace`;
  return statement;
}

/** Namespace names in a list: "dev", "dev and staging", "`dev`, `qa` and `staging`". */
const NS_LIST = `${NS_NAME}(?:\\s*,\\s*(?:and\\s+)?${NS_NAME}|\\s+and\\s+${NS_NAME})*`;
/** "(is) exempt (from this policy)", "are excluded from the rule": the whole predicate of an exemption sentence. */
const EXEMPT_PREDICATE = String.raw`(?:is|are)\s+(?:exempt(?:ed)?|excluded)(?:\s+from\s+(?:this|the)\s+(?:policy|rule|check|requirement))?`;
/**
 * A sentence that only exempts namespaces from the rule beside it: "The dev namespace is exempt.", "Namespaces dev and
 * staging are excluded from this policy.", "Pods in the dev namespace are exempt." (group 1 the subject kind, if any,
 * group 2 or 3 the names).
 */
const NAMESPACE_EXEMPTION = new RegExp(
  `^(?:(?:all\\s+)?([A-Za-z]+)\\s+in\\s+)?(?:the\\s+)?(?:(${NS_LIST})\\s+namespaces?|namespaces?\\s+(${NS_LIST}))\\s+${EXEMPT_PREDICATE}$`,
  'i',
);

/**
 * "Pods must not use hostPath volumes. The dev namespace is exempt.": an exemption said as a sentence of its own is the
 * rule's "except in the dev namespace", which the families read. Folded only into a single rule that names no
 * namespace and no exception of its own (with two rules, or a rule already scoped, which one it narrows is not said;
 * those stay refused), and "Pods in dev are exempt" only when the rule is about Pods (another kind's exemption says
 * nothing about this rule's objects).
 */
function foldNamespaceExemption(statements: string[]): string[] {
  const exemptions = statements.map((st) => NAMESPACE_EXEMPTION.exec(st.trim()));
  const rules = statements.filter((_st, i) => !exemptions[i]);
  const found = exemptions.filter((m): m is RegExpExecArray => m !== null);
  if (found.length !== 1 || rules.length !== 1) return statements;
  const [m] = found;
  const rule = rules[0];
  if (
    /\b(?:namespaces?|except\w*|exclud\w*|exempt\w*|unless|only|other\s+than|outside|besides|apart\s+from)\b/i.test(
      rule,
    )
  )
    return statements;
  if (m[1] && !new RegExp(`\\b${m[1].replace(/e?s$/i, '')}(?:e?s)?\\b`, 'i').test(rule)) return statements;
  const names = [...(m[2] ?? m[3]).matchAll(new RegExp(NS_NAME, 'g'))]
    .map((x) => x[0])
    .filter((n) => !/^and$/i.test(n));
  const plural = names.length > 1 ? 'namespaces' : 'namespace';
  return [`${rule} except in the ${names.join(' and ')} ${plural}`];
}

/** securityContext fields a container has and a pod does not: no pod-level value can stand in for them. */
const CONTAINER_ONLY_FIELD = String.raw`(?:privileged|allowPrivilegeEscalation|readOnlyRootFilesystem|procMount)`;
const CONTAINER_PATH = String.raw`[\`'"]?spec\.(containers|initContainers|ephemeralContainers)(?:\[\*?\])?\.securityContext\.(${CONTAINER_ONLY_FIELD})[\`'"]?`;
/** Three such paths, one per list of containers, joined as a list ("a, b and c", "a, b, or c"). */
const CONTAINER_PATH_LIST = new RegExp(
  `^${CONTAINER_PATH}\\s*,\\s*${CONTAINER_PATH}\\s*,?\\s*(?:and|or)?\\s+${CONTAINER_PATH}(?=\\s+(?:must|should|shall|(?:is|are)\\s+(?:not\\s+)?(?:allowed|permitted|required)))`,
  'i',
);

/**
 * "`spec.containers[*].securityContext.privileged`, `spec.initContainers[*].securityContext.privileged` and
 * `spec.ephemeralContainers[*].securityContext.privileged` must be unset or false" (the Pod Security Standards' way of
 * naming a field) says what "the `securityContext.privileged` of containers, init containers and ephemeral containers"
 * says, which the container families read: each checks every container, init and ephemeral included. Only the three
 * lists together, of one container-only field: one list alone is a narrower rule than any family writes, and a field
 * a pod may also set (runAsNonRoot, seccompProfile) would name a level the families do not keep to.
 */
function containerPathList(sentence: string): string {
  const m = CONTAINER_PATH_LIST.exec(sentence);
  if (!m) return sentence;
  const lists = new Set([m[1], m[3], m[5]].map((x) => x.toLowerCase()));
  const fields = new Set([m[2], m[4], m[6]].map((x) => x.toLowerCase()));
  if (lists.size !== 3 || fields.size !== 1) return sentence;
  return `The \`securityContext.${m[2]}\` of containers, init containers and ephemeral containers${sentence.slice(m[0].length)}`;
}

/**
 * "This policy ensures the following fields are unset or set to false:\n- spec.hostNetwork\n- spec.hostPID": a list
 * set out as bullets after a colon is the list said in the sentence ("…: spec.hostNetwork and spec.hostPID."). Items
 * that are sentences of their own (ending in a full stop) are left as they are.
 */
function bulletsAsList(text: string): string {
  return text.replace(
    /:[ \t]*\r?\n((?:[ \t]*[-*\u2022][ \t]+[^\n]*[^\n.][ \t]*(?:\r?\n|$))+)/g,
    (whole, block: string) => {
      const items = block
        .split(/\r?\n/)
        .map((line) => line.replace(/^[ \t]*[-*\u2022][ \t]+/, '').trim())
        .filter(Boolean);
      if (items.length === 0) return whole;
      const list = items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
      return `: ${list}.\n`;
    },
  );
}

/** "To avoid noisy neighbours, …", "In order to protect the node, …": a purpose ahead of the rule, up to its comma. */
const LEADING_PURPOSE =
  /^(?:to|in\s+order\s+to)\s+(?:avoid|prevent|reduce|ensure|help|protect|limit|minimi[sz]e|mitigate|improve|keep|stop|guard\s+against)\b[^,;]*,\s*(?=\S)/i;

/**
 * "According to pod security standard 'HostPath Volumes', …", "According to the CIS benchmark, …": the source the rule
 * is cited from, up to its comma. It says who states the rule, not a condition of it; the rule after it is read as
 * it would be alone. Only a named source (a standard, benchmark, guide, best practice, documentation, recommendation).
 */
const ATTRIBUTION_LEAD =
  /^according\s+to\s+(?:the\s+)?[^,]{0,60}?\b(?:standards?|benchmarks?|guid(?:e|es|ance)|best\s+practices?|documentation|docs|recommendations?)\b[^,]{0,40},\s*(?=\S)/i;

export function readIntent(text: string): Reading {
  // Links point at background reading; a parenthetical list of examples ("(such as via set-user-ID …)") illustrates
  // the rule without adding a condition.
  const sentences = bulletsAsList(text)
    // A URL given as a value ("set spec.acme.server to https://…") is the rule's own word, kept.
    .replace(/\s*\(?(?:(?:for more information,?\s*)?\bsee:?\s*)?\bhttps?:\/\/\S+/gi, (url, at: number, all: string) =>
      /(?:\b(?:to|be|is|equals?)|=)\s*$/i.test(all.slice(0, at)) && !/^\s*\(|\bsee\b/i.test(url) ? url : '',
    )
    .replace(/\s*\((?:such as|e\.g\.,?|for example,?|for instance,?)\s[^()]*\)/gi, '')
    // "drop `ALL` capabilities, add back only `NET_BIND_SERVICE`": a capability's name in code quotes is the name.
    .replace(
      /`((?:CAP_)?[A-Z][A-Z_]{2,})`(?=[^.]*\bcapabilit)|(?<=\bcapabilit[^.]*)`((?:CAP_)?[A-Z][A-Z_]{2,})`/g,
      '$1$2',
    )
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter(Boolean);
  const rationale: string[] = [];
  const policySentences: string[] = [];
  const operative: string[] = [];
  /** "Exempt images: x." / "Applies to Pod objects …": parameters and scope, always read. */
  const parameters: string[] = [];
  /** Neither marked as rationale nor phrased as a rule: read unless a "This policy …" sentence says what is done. */
  const unmarked: string[] = [];
  /** Rule-shaped sentences that also carry a rationale marker. */
  const unmarkedRules: string[] = [];
  /** Unmarked sentences seen before any rule-shaped one: candidates for background (see isBackground). */
  const leading: string[] = [];
  /** Sentences a rationale marker set aside ("… can be used to …", "It is recommended …"). */
  const markedRationale: string[] = [];
  /** "This policy also requires …" adds to the rule sentences before it: they are read, not set aside. */
  let adds = false;
  /** Unmarked sentences set aside unread (Reading.asideRules). */
  const asideRules: string[] = [];
  /** Unmarked sentences seen after a rule-shaped one: candidates for background too, when no "This policy …" is. */
  const trailing: string[] = [];
  for (const [at, said] of sentences.entries()) {
    const raw = resolveAnaphor(said, sentences.slice(0, at));
    // "This sample policy …", "The following policy …", "This policy is used to ensure …", "Use this policy to
    // ensure …": the same lead as "This policy ensures …", said another way.
    let s = raw
      .replace(/[.!;]+$/, '')
      // "To avoid noisy neighbours, CPU limits should be set …": a leading purpose says why, not what
      .replace(LEADING_PURPOSE, (purpose: string, at: number, all: string) =>
        narrows(purpose, all.slice(purpose.length)) ? purpose : '',
      )
      .replace(ATTRIBUTION_LEAD, '')
      // "Policy: Pods must have the label team": a label naming what follows, never the kyverno.io Policy kind (taken
      // for a parameter, the rule was read for "Policy, Pod objects").
      .replace(/^(?:policy|rule)\s*:\s+(?=\S)/i, '')
      // "Privileged Pods disable most security mechanisms and must be disallowed": what the subject does, then the rule
      // for it joined by "and"; the first predicate says why. Only a plain predicate (nothing that could limit the rule).
      .replace(FACT_THEN_RULE, (m: string, subject: string, fact: string, rule: string) => {
        if (
          limits(fact) ||
          /\b(?:only|unless|except|not|no|never|when|if|where|which|that|who)\b/i.test(`${subject} ${fact}`)
        )
          return m;
        rationale.push(`${subject} ${fact}`);
        return `${subject} ${rule}`;
      })
      // "Adding NET_RAW or capabilities beyond the default set must be disallowed" (the Pod Security Standards' baseline):
      // the default set is the container runtimes' less NET_RAW, which Kubernetes lists (pod-security-admission
      // policy/check_capabilities_baseline.go lines 62-76). Without "NET_RAW" the runtime's own default set is meant,
      // which differs between runtimes (containerd's holds NET_RAW, CRI-O's is smaller): left unread.
      .replace(
        /\bNET_RAW\s+or\s+capabilities\s+beyond\s+the\s+default\s+set\b/i,
        `capabilities other than ${BASELINE_CAPABILITIES.slice(0, -1).join(', ')} and ${BASELINE_CAPABILITIES.at(-1)}`,
      )
      // "Sysctls … should be disallowed except for an allowed "safe" subset" (the Pod Security Standards' text): the
      // safe set Kubernetes names, as "only safe sysctls are allowed" says.
      .replace(
        /^sysctls\s+(?:should|must)\s+be\s+disallowed\s+except\s+for\s+(?:an?\s+|the\s+)?(?:allowed\s+)?["'`\u201c]?safe["'`\u201d]?\s+subset$/i,
        'only safe sysctls are allowed',
      )
      // "Makes sure that all pods have …": a check's description with its subject (the check) left out, as
      // "Ensures that …" is.
      .replace(/^makes?\s+sure\b(?=\s+\S)/i, 'This policy makes sure')
      .replace(/^(this|the)\s+(?:sample|following|example)\s+(policy|rule)\b/i, '$1 $2')
      // "Restrict LoadBalancer Services to the edge namespace": they are allowed there only, as "… are only allowed in the
      // edge namespace" says (which the families read); one namespace, the rest of the sentence the subject.
      .replace(
        /^(?:(?:this|the)\s+(?:policy|rule)\s+)?restricts?\s+((?:[\w-]+\s+){0,3}[\w-]+)\s+to\s+(?:the\s+)?([`'"]?[a-z0-9][-a-z0-9]*[`'"]?)\s+namespace$/i,
        '$1 are only allowed in the $2 namespace',
      )
      // "This policy prevents users from creating …": everyone is stopped, as in "prevents creating …". A qualified
      // subject ("prevents non-admin users from …") names whom it applies to and is left to refuse.
      .replace(
        /^((?:this|the)\s+(?:policy|rule)\s+(?:also\s+)?(?:prevents?|blocks?|stops?|disallows?|forbids?|prohibits?))\s+(?:users|anyone|everyone|people)\s+from\s+(?=\w+ing\b)/i,
        '$1 ',
      )
      .replace(
        /^(?:use\s+this\s+(policy|rule)\s+to|(?:this|the)\s+(policy|rule)\s+(?:is|can\s+be)\s+used\s+to)\s+(?=\w)/i,
        (_m, a?: string, b?: string) => `This ${a ?? b} will `,
      )
      // "This policy adds the label … / sets imagePullPolicy to …": what the policy does to the object, said as the
      // imperative a mutating family reads ("Add the label …"); a validating family never reads it (mode: mutate).
      .replace(
        /^(?:this|the)\s+(?:policy|rule)\s+(?:will\s+)?(add|set|inject|assign|annotate|default)s?\b(?=\s+\S)/i,
        (_m, verb: string) => verb,
      );
    s = containerPathList(s);
    // ("Only the following sysctls are allowed: a, b" is a rule whose list follows a colon, not a parameter.)
    if ((/^[A-Z][A-Za-z ,()/-]{1,80}:\s+\S/.test(s) && !/^only\b/i.test(s)) || /^applies to\b/i.test(s)) {
      parameters.push(s);
      continue;
    }
    // "This policy, requiring Kubernetes v1.19 or later, ensures …": the aside is read (and refused) unless POLICY_LEAD drops it.
    const isPolicy = /^(?:this|the) (?:policy|rule)(?:,[^,]{1,80},)?\s+(?!is\b)/i.test(s);
    const consequence = POSSIBLE_CONSEQUENCE.test(s) && !STILL_A_RULE.test(s.replace(CONSEQUENCE_CONDITION, ' '));
    if ((RATIONALE_SENTENCE.test(s) || ADVICE_INSTEAD.test(s) || consequence) && !isPolicy) {
      // A rule with an aside ("…must not add capabilities, e.g. NET_ADMIN") is still a rule: it is read (and
      // refused if the aside cannot be placed) unless a "This policy" sentence says what is done.
      if (OPERATIVE_SENTENCE.test(s))
        unmarkedRules.push(
          s.replace(RATIONALE_CLAUSE, (m: string) => {
            if (limits(m)) return m;
            rationale.push(m.trim());
            return '';
          }),
        );
      else markedRationale.push(s);
      continue;
    }
    // "Pods specify a Namespace name other than `default`" says where they may not be: read as "not … in".
    const plain = s.replace(
      /\b(?:must\s+|should\s+)?(?:specify|specifies|use|uses|have|has)\s+a\s+namespace(?:\s+name)?\s+other\s+than\s+(?=[`'"\u2018\u201c]?[a-z0-9-]+[`'"\u2019\u201d]?\s*$)/i,
      'are not created in the namespace ',
    );
    // "Fails when X" (a check's wording): the object is denied when X holds, i.e. "deny when X".
    const plainRule = namespaceUse(plain).replace(/^(?:it\s+)?fails\s+(?=when\b|if\b)/i, 'deny ');
    const led = requiredOf(
      plainRule.replace(POLICY_LEAD, (_m, neutral: string | undefined, negating: string | undefined) =>
        negating && !neutral ? 'deny ' : '',
      ),
      plainRule,
    );
    // "…, so they are exempt": a clause that names an exception is never set aside as the reason.
    // "For pods labelled tier=web, to avoid noisy neighbours, CPU limits should be set": the reason opens in the middle
    // and the rule follows it; cut there, only the scope would be left to read as a rule. Kept whole (and refused).
    // "The default /proc masks are set up to reduce attack surface and should be required": the rule that follows the
    // reason with "and" is the subject's own; only the reason is cut.
    let reason = '';
    const clause = led.replace(RATIONALE_CLAUSE, (m: string) => {
      if (limits(m)) return m;
      if (OPERATIVE_SENTENCE.test(m) && !OPERATIVE_SENTENCE.test(led.slice(0, led.length - m.length))) {
        const coordinated = COORDINATED_RULE.exec(m);
        if (!coordinated) return m;
        reason = coordinated[1];
        return ` and ${m.slice(coordinated[0].length)}`;
      }
      reason = m;
      return '';
    });
    if (clause !== led) rationale.push(reason.trim());
    if (isPolicy) {
      policySentences.push(onlyAllows(clause));
      if (ADDING_POLICY.test(s)) adds = true;
    } else if (OPERATIVE_SENTENCE.test(clause)) operative.push(clause);
    else if (operative.length === 0 && unmarkedRules.length === 0) leading.push(clause);
    else {
      unmarked.push(clause);
      trailing.push(clause);
    }
  }
  // "A hostPath volume exposes the node's filesystem. Pods must not use hostPath volumes.": a plain statement of
  // fact ahead of the rule is its background. One that could limit the rule (a quantifier, an exception, a need,
  // a namespace, "we"/"our") is still read, so the intent is refused rather than read without its condition.
  if (operative.length || unmarkedRules.length) {
    const ruleText = [...operative, ...unmarkedRules].join(' ');
    for (const l of leading) {
      const background = isBackground(l, ruleText);
      (background ? rationale : unmarked).push(l);
      if (background) asideRules.push(l);
    }
  } else unmarked.unshift(...leading);
  // A description's own "This policy …" sentence is what the policy does; the must/should sentences around
  // it motivate it. Without one, every sentence not marked as rationale is read.
  // A sentence set aside that names an exception or a scope of its own ("The monitoring namespace is exempt.",
  // "It applies only to Deployments.", "Pods labelled role=edge may use it.") would, unread, leave a rule wider
  // than the one meant: it is read instead, and refused unless a family places it (a namespace exemption beside a
  // single rule is folded into that rule, foldNamespaceExemption).
  let chosen: string[];
  if (policySentences.length) {
    chosen = [...policySentences, ...parameters];
    const policyText = policySentences.join(' ');
    for (const other of [...operative, ...unmarked, ...unmarkedRules]) {
      const rule = !unmarked.includes(other);
      // "Host ports should be disallowed, or at minimum restricted to a known list.": the weaker alternative the
      // author would settle for; the "This policy …" sentence says which one is written.
      const firm = other.replace(CONCESSION, '');
      const read = narrows(firm, policyText) || (rule && (adds || namesOtherField(firm, policyText)));
      (read ? chosen : rationale).push(other);
      if (!read) asideRules.push(other);
    }
    for (const other of markedRationale) (narrows(other, policyText, true) ? chosen : rationale).push(other);
  } else {
    // "Images must not use the latest tag. The latest tag is mutable and makes rollbacks unreliable.": a plain
    // statement of fact after the rule is its background, as one ahead of it is (isBackground); it is still read
    // alone (asideRules), so a second rule said plainly is refused rather than dropped. An instruction is never
    // background.
    const ruleText = [...operative, ...unmarkedRules].join(' ');
    const background = ruleText
      ? trailing.filter((t) => isBackground(t, ruleText) && !INSTRUCTION.test(t) && REASON_CUE.test(t))
      : [];
    rationale.push(...background);
    asideRules.push(...background);
    chosen = [...operative, ...unmarkedRules, ...unmarked.filter((u) => !background.includes(u)), ...parameters];
    const chosenText = chosen.join(' ');
    for (const other of markedRationale) (narrows(other, chosenText, true) ? chosen : rationale).push(other);
  }
  if (chosen.length === 0) chosen = sentences.map((s) => s.replace(/[.!;]+$/, ''));
  const statements = foldNamespaceExemption(chosen.map(onlyInNamespace));
  const joined = statements.join('. ');
  return { operative: joined, statements, rationale, mode: mutationMode(statements), asideRules };
}

/** A field, label or annotation named as such: `x`, 'x', a camelCase word, or a dotted key (kubernetes.io/ingress.class). */
const NAMED_THING = String.raw`(?:\`[^\`\s]+\`|'[^'\s]+'|"[^"\s]+"|[a-z]+[A-Z][A-Za-z0-9]*|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:\/[A-Za-z0-9.-]+)?)`;
const THING_NOUN = String.raw`(field|annotation|label|setting)s?`;
const ANAPHOR = new RegExp(String.raw`\b(this|these)\s+${THING_NOUN}\b`, 'i');
const NAMED_THINGS = new RegExp(
  String.raw`\b(?:the\s+)?(${NAMED_THING}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)${NAMED_THING})*)\s+${THING_NOUN}\b`,
  'gi',
);

/**
 * "The hostPID and hostIPC fields let a Pod share the host's namespaces. This policy ensures these fields are unset or
 * set to false.": "these fields" are the ones the sentence before names. The anaphor is replaced by what it stands for
 * when the nearest earlier sentence naming such things names exactly one list of them, of the same noun and number;
 * otherwise it is left, and the statement that names nothing is refused.
 */
function resolveAnaphor(sentence: string, before: readonly string[]): string {
  const m = ANAPHOR.exec(sentence);
  if (!m) return sentence;
  const plural = m[1].toLowerCase() === 'these';
  const noun = m[2].toLowerCase();
  for (const earlier of [...before].reverse()) {
    const named = [...earlier.matchAll(NAMED_THINGS)];
    if (named.length === 0) continue;
    const same = named.filter((n) => n[2].toLowerCase() === noun);
    if (same.length !== 1 || named.length !== same.length) return sentence;
    const [whole, list] = same[0];
    const many = /s$/i.test(whole.trim()) || /,|\b(?:and|or)\b/i.test(list);
    if (many !== plural) return sentence;
    return sentence.replace(ANAPHOR, `the ${list} ${whole.trim().split(/\s+/).pop() ?? ''}`);
  }
  return sentence;
}

const USED_NAMESPACE = String.raw`the\s+(${NS_NAME})\s+namespace`;
const BAN_VERB = String.raw`(prevents?|blocks?|disallows?|forbids?|denies|deny|rejects?)`;
/** Whose use it is: the objects of the use's own clause, never a clause of its own ("…; tokens are forbidden"). */
const USE_SUBJECT = String.raw`(?:(?!\b(?:is|are|must|should|shall|may|can)\b)[^;])+`;

/**
 * "Pods must not use the default namespace", "The default namespace must not be used by Pods", "This policy prevents
 * the use of the default namespace for Pods": where the objects may not be, said as a use of the namespace. Read as
 * "… not be created in the default namespace" (kind-in-namespace); a use said without a ban is left as it is. The
 * objects are those of the use's own clause ("…; automounting of tokens is forbidden" is a rule of its own).
 */
function namespaceUse(sentence: string): string {
  return sentence
    .replace(
      new RegExp(String.raw`\b(must|should|shall|may|can|do|does)\s+not\s+use\s+${USED_NAMESPACE}$`, 'i'),
      '$1 not be created in the $2 namespace',
    )
    .replace(
      new RegExp(
        String.raw`^${USED_NAMESPACE}\s+(must|should|shall|may|can)\s+not\s+be\s+used\s+(?:by|for)\s+(${USE_SUBJECT})$`,
        'i',
      ),
      '$3 $2 not be created in the $1 namespace',
    )
    .replace(
      new RegExp(String.raw`\b${BAN_VERB}\s+the\s+use\s+of\s+${USED_NAMESPACE}\s+(?:for|by)\s+(${USE_SUBJECT})$`, 'i'),
      '$1 $3 in the $2 namespace',
    )
    .replace(
      new RegExp(
        String.raw`^(?:(?:the\s+)?use\s+of|using)\s+${USED_NAMESPACE}\s+(?:for|by)\s+(${USE_SUBJECT}?)\s+is\s+(not\s+allowed|not\s+permitted|forbidden|prohibited|disallowed)$`,
        'i',
      ),
      '$2 are $3 in the $1 namespace',
    );
}

/** ", or at minimum restricted to a known list": a weaker alternative, after the rule it softens. */
const CONCESSION =
  /,?\s+or\s+at\s+(?:a\s+|the\s+(?:very\s+)?)?minimum\b,?\s+(?:be\s+)?(?:restricted|limited)\s+to\b[^,;]*$/i;

/**
 * Beyond what narrows() looks for: words by which a sentence *ahead* of the rule could still limit it (a need, a
 * modal, a condition, "we"/"our", a namespace, a quoted value). Such a sentence is never background.
 */
const HEDGED =
  /(?<!-)\b(?:only|other|others|but|however|instead|rather|apart|unlike|need|needs|needed|require[sd]?|allowed|permitted|approved|trusted|may|might|must|should|shall|can only|cannot|can't|we|our|us|namespaces?|where|whose)\b|[`"\u201c]|(?<![A-Za-z])['\u2018]/i;

/**
 * Phrases that only look limiting: a possibility ("may be malicious"), "each other", "read-only", and the kernel's
 * namespaces ("the host's PID namespace"), which are no Kubernetes namespace a rule could be scoped to.
 */
const NOT_LIMITING =
  /\b(?:may|might)\s+(?:be|lead|cause|result|expose|break|leak|allow an attacker)\b|\beach\s+other(?:['\u2019]s)?\b|\b(?:PID|IPC|network|process|user|mount|UTS|Linux|kernel)\s+namespaces?\b/gi;

/**
 * What marks a sentence after the rule as its reason: a possibility or a harm ("They can access every device", "The
 * latest tag is mutable", "… expose the node's filesystem"). A plain fact without one ("Monitoring agents mount the
 * host.") may be the exception the rule leaves unsaid: it is read, and the intent refused.
 */
const REASON_CUE =
  /\b(?:can|could|may|might|would)\s+\w+|\b(?:risk\w*|attack\w*|secur\w*|danger\w*|unsafe|unreliabl\w*|breakout|escap\w*|escalat\w*|compromis\w*|expos\w*|leak\w*|cost\w*|mutable|vulnerab\w*|malicious|harm\w*|starv\w*|noisy|outage\w*|exhaust\w*|abus\w*|bypass\w*|tamper\w*|worse|unpredictabl\w*|insecure)\b/i;

/** A sentence that tells the reader to do something: a rule of its own, never background. */
export const INSTRUCTION_VERB = String.raw`(?:please\s+)?(?:use|set|add|drop|give|run|mount|pin|pull|tag|make|keep|ensure|enable|disable|configure|specify|define|declare|label|annotate|avoid|limit|restrict|assign|apply|include|exclude|remove|strip|reserve|attach|default|inject)\b`;
const INSTRUCTION = new RegExp(`^${INSTRUCTION_VERB}`, 'i');

/** A plain statement of fact ahead of the rule that names no condition the rule could take on. */
function isBackground(sentence: string, ruleText: string): boolean {
  return (
    !narrows(sentence, ruleText) &&
    !HEDGED.test(sameNamespaces(sentence, ruleText).replace(NOT_LIMITING, ' ')) &&
    // "On update, deny privileged containers.": a scope said first does not make the instruction a fact.
    !/^(?:(?:in|for|on|upon|during|when|across|within)\b[^,]{0,80},\s*)?(?:deny|require|block|disallow|forbid|prevent|reject)\b/i.test(
      sentence,
    )
  );
}

/**
 * "The default namespace is shared by everyone. Pods must not be created in the default namespace.": a namespace
 * the rule itself names is the rule's subject in the background too, not a condition the background adds.
 */
function sameNamespaces(sentence: string, ruleText: string): string {
  const q = `[\`'"\u2018\u2019\u201c\u201d]?`;
  // "Deleting a namespace removes everything in it. Namespaces labelled … must not be deleted.": when Namespaces are
  // what the rule is about, "a namespace" in the background is that subject, not a namespace the rule is scoped to.
  if (
    /^\s*(?:(?:all|every|each|no|any)\s+)?namespaces?\b|\b(?:delet|remov|creat|modif|updat)\w*\s+(?:(?:a|an|any|the)\s+)?namespaces?\b/i.test(
      ruleText,
    )
  )
    sentence = sentence.replace(/\b(?:a|an|any|every|each)\s+namespace\b(?!\s*[`'"\u2018\u201c])/gi, ' ');
  return sentence.replace(
    new RegExp(`\\b(?:the\\s+)?${q}([a-z0-9][a-z0-9-]*)${q}\\s+namespace\\b`, 'gi'),
    (phrase: string, name: string) =>
      new RegExp(`\\b${name.replace(/-/g, '\\-')}${q}\\s+namespace\\b`, 'i').test(ruleText) ? ' ' : phrase,
  );
}

/**
 * A reason clause that still limits the rule: an exception or a scope ("…, so they are exempt"), something not needed
 * ("Jobs run to completion, so they do not need probes": Jobs are left out), something allowed or only so, how
 * violations are answered, or a bound ("… so that no container uses more than 2Gi": the limit is bounded). Set aside
 * with the reason, the rule lost it; kept, the statement is read (and refused unless a family places it).
 */
function limits(clause: string): boolean {
  return (
    narrows(clause, '', true) ||
    /\b(?:(?:do|does|did)\s*(?:not|n['\u2019]t)|never|no\s+longer)\s+need\b|\bneeds?\s+(?:no|none)\b|\bno\s+need\b|\bneedn['\u2019]t\b|\bonly\b/i.test(
      clause,
    ) ||
    /\b(?:(?:more|less|fewer|greater|higher|lower|larger|smaller)\s+than|at\s+(?:most|least)|up\s+to|exceed\w*)\s+\d|\b\d+(?:\.\d+)?\s*(?:[KMGTPE]i?|m|%)(?![A-Za-z])/i.test(
      clause,
    )
  );
}

/** Words of an exception or a scope (an operation too: "… on update"): a sentence with one may narrow the rule it sits beside. */
const SCOPE_WORDS =
  /(?<!-)\b(?:(?:on|upon|during)\s+(?:creat(?:e|ion)|updat(?:e|es)|delet(?:e|ion))|when\s+(?:(?:it|they|the\s+\w+|\w+)\s+)?(?:is|are)\s+(?:being\s+)?(?:created|updated|deleted|modified)|except|excepted|exempt\w*|exceptions?|exclud\w*|unless|(?:does|do|is|are)\s+not\s+appl(?:y|ied)|appl(?:y|ies)\s+(?:only\s+)?(?:to|in|for|on)|covered|scoped?\s+to|limited\s+to|other\s+than|apart\s+from|besides)\b/i;

/** "only" that picks out what is covered ("Only Deployments …", "only in …", "only pods …"), not "add back only what is needed". */
const ONLY_SCOPE =
  /(?<!-)\bonly\s+(?:the\s+)?(?:(?:to|in|for|on|within|when|if)\b|[A-Z]|(?:\w+\s+){0,2}(?:pods?|containers?|deployments?|workloads?|namespaces?|images?|services?|init|ephemeral)\b)/;

/** "may" as a permission ("Pods labelled x may use it", "… may be."): an exception to the rule beside it. */
const PERMISSION =
  /\bmay\s+(?:also\s+|still\s+)?(?:use|set|run|have|keep|mount|add|request|share|create|bind|override|skip|ignore|opt|continue|be\s+(?:privileged|set|run|created|deployed|exempt\w*|excluded|allowed|permitted|granted|bound|used\s+(?:by|in|for))\b|be\s*$)/i;

/** Something allowed, skipped or added beside the rule: "init containers are allowed", "Jobs are ignored", "… too". */
const ASIDE =
  /(?<!\bnot\s|n['\u2019]t\s|\bnever\s|\bbe\s)\b(?:is|are)\s+(?:still\s+|also\s+)?(?:allowed|permitted|accepted|tolerated|fine|ok|okay)\b|\b(?:is|are)\s+not\s+(?:checked|validated|affected|evaluated|enforced|covered|included|considered|inspected|matched)\b|\b(?:ignored|skipped|untouched|left\s+alone|out\s+of\s+scope)\b|\b(?:can|may)\s+still\b|\btoo\b(?!\s+(?:many|much|few|little|long|large|high|low|big|small|often|early|late)\b)|\b(?:also|as\s+well|additionally|in\s+addition|furthermore|moreover|likewise|similarly|one\s+of|either)\b/i;

/**
 * How a violation is answered: "Violations are logged, not blocked.", "Violations produce a warning.", "Requests are
 * audited, not rejected.", "Enforcement is in audit mode.". Set aside as background, the rule denied what the person
 * asked only to log or to warn about: such a sentence is read (and refused unless a family places it).
 */
const ENFORCEMENT =
  /\bviolations?\b|\bviolating\b|(?<![\w./-])warn(?:s|ed|ing|ings)?\b(?![./-]\w)|\baudit(?:s|ed|ing)?\b(?!\s+logs?\b)|\baudit\s+(?:mode|only)\b|\b(?:is|are|be|get|gets)\s+(?:only\s+)?(?:logged|reported|recorded|flagged)\b|\bdry[-\s]run\b|\b(?:not|never)\s+(?:be\s+)?(?:blocked|denied|rejected|enforced|refused)\b|\benforcement\b/i;

/**
 * A sentence beside the rule that could narrow or widen it: an exception or scope word, a permission, something
 * allowed, skipped or added, a label selector, a registry or domain, or a namespace the rule itself does not name.
 */
function narrows(sentence: string, ruleText: string, marked = false): boolean {
  if (
    SCOPE_WORDS.test(sentence) ||
    ONLY_SCOPE.test(sentence) ||
    PERMISSION.test(sentence) ||
    ASIDE.test(sentence) ||
    ENFORCEMENT.test(sentence)
  )
    return true;
  // A sentence already marked as rationale names values as history or advice ("k8s.gcr.io will be frozen"): its
  // words count, its values never do.
  if (marked) return false;
  if (addsBound(sentence)) return true;
  const rule = ruleText.toLowerCase();
  for (const m of sentence.matchAll(
    /[\w./-]+=[\w./-]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}\b|\b[a-z0-9-]+\.(?:io|com|org|net|dev|cloud|local|internal|example)\b/gi,
  ))
    if (!rule.includes(m[0].toLowerCase())) return true;
  for (const name of namespaceNamesIn(sentence))
    if (!new RegExp(`\\b${name.replace(/-/g, '\\-')}\\b`).test(rule)) return true;
  return false;
}

/**
 * A rule of its own beside the "This policy …" sentence: "Services must not use NodePort. This policy ensures Services
 * of type LoadBalancer are denied." names a field or value (a camelCase word: NodePort, hostNetwork) the policy
 * sentence does not. Set aside as rationale, its rule was dropped without a word; read, the statement is refused
 * unless one family places both.
 */
function namesOtherField(sentence: string, ruleText: string): boolean {
  // a rule says what must be, not what can ("… a host port that a NetworkPolicy cannot control" is background)
  // ("Services cannot use NodePort" is a rule; in a relative clause, "a port that a NetworkPolicy cannot control", not)
  if (
    !/\b(?:must|shall|should|may\s+not|mustn't|shouldn't|(?:is|are)\s+(?:not\s+)?(?:allowed|permitted|forbidden|prohibited|required))\b/i.test(
      sentence,
    ) &&
    !/^(?:(?!\b(?:that|which|who|whom|whose|where)\b).)*\b(?:cannot|can't|can\s+only|may\s+only)\b/i.test(sentence)
  )
    return false;
  const rule = ruleText.toLowerCase();
  return [...sentence.matchAll(/\b(?:[a-z]+[A-Z]|[A-Z][a-z]+[A-Z])[A-Za-z0-9]*\b/g)].some(
    (m) => !rule.includes(m[0].toLowerCase()),
  );
}

/** Namespace names a sentence mentions: "the prod namespace", "namespace `prod`", "namespace prod." */
function namespaceNamesIn(sentence: string): string[] {
  const q = `[\`'"\u2018\u2019\u201c\u201d]`;
  // Not from inside a word: "the host's namespaces" names no namespace "s".
  const before = new RegExp(`(?<![A-Za-z0-9]['\u2019]?)${q}?([a-z0-9][a-z0-9-]*)${q}?\\s+namespaces?\\b`, 'gi');
  const after = new RegExp(
    `\\bnamespace\\s+(?:${q}([a-z0-9][a-z0-9-]*)${q}|([a-z0-9][a-z0-9-]*)(?=\\s*(?:[,;:).]|$|\\s(?:and|or|is|are|must|should|namespace)\\b)))`,
    'gi',
  );
  const names = [
    ...[...sentence.matchAll(before)].map((m) => m[1]),
    ...[...sentence.matchAll(after)].map((m) => m[1] ?? m[2]),
  ];
  return names.map((n) => n.toLowerCase()).filter((n) => !NOT_A_NAMESPACE.has(n));
}

/** Words that stand before or after "namespace" without naming one, and the host's own namespaces. */
const NOT_A_NAMESPACE = new Set(
  `the a an its their every all any each same different separate new own other single one multiple many
   system target given specific particular that this which whose kubernetes k8s is are must should be
   and or of in to for from with by as per default
   host id pid ipc uts network communication process inter-process user mount cgroup time linux kernel`.split(/\s+/),
);

/** Imperative add / set / default / inject / give / label / annotate at the head of a statement. */
function mutationMode(statements: string[]): Reading['mode'] {
  // "In the shop namespace, this policy sets …": a scope said first leaves the statement's head where it was (read
  // as a requirement, the policy denied every object it was to change).
  return statements.some((said) => {
    const s = said.replace(/^(?:(?:in|within|inside|for|on)\s+[^,]+,\s*)/i, '');
    return (
      /^(?:please\s+)?(?:(?:in|for|on) [^,]+,\s*)?(?:add|set|default|inject|give|assign|label|annotate|mutate|patch|append|insert|attach|put|apply)\b/i.test(
        s,
      ) ||
      // "… no container adds the SYS_ADMIN capability": a container adding capabilities is a field of the object
      // (securityContext.capabilities.add), what the rule checks; "the policy adds …" is the policy changing it.
      /\b(?:by default|(?:is|are|be) defaulted|(?<!\b(?:containers?|that|which)\s+)adds|injects|defaults)\b/i.test(s) ||
      // "… has imagePullPolicy set to Always by setting it", "…, adding app=unknown if it is missing", "Namespaces get
      // the label team=platform when created", "… is given the label …": the policy puts the value there itself. Read as a
      // requirement, every object without it would be denied instead of changed.
      /\bby\s+(?:(?:automatically|always)\s+)?(?:adding|setting|injecting|defaulting|patching|mutating|inserting|appending|assigning|labell?ing|annotating|overwriting|overriding|replacing|rewriting)\b|,\s*(?:adding|setting|injecting|defaulting|inserting|appending|assigning)\b/i.test(
        s,
      ) ||
      /^(?!(?:no|nobody|none|never|not)\b)(?:(?:all|every|each|any)\s+)?(?:new\s+)?[\w.-]+(?:\s+[\w.-]+)?\s+(?:(?:automatically|always)\s+)?(?:gets?|receives?|(?:is|are)\s+(?:automatically\s+)?(?:given|assigned|added))\b/i.test(
        s,
      ) ||
      // "Drop all capabilities from every container": taken from the object, as "Add … to every Pod" is put on it.
      /^(?:please\s+)?(?:drop|remove|strip|delete)\b[^.]*\bfrom\b/i.test(s) ||
      // "Enable readOnlyRootFilesystem on all containers", "Disable automountServiceAccountToken on all pods": a field
      // switched on or off, as "This policy enables …" is (below); read as a requirement, the pods without it were
      // denied instead of changed. ("Disable privilege escalation" names no field and still reads as a rule.)
      /^(?:please\s+)?(?:enable|disable|turn\s+(?:on|off))\s+[`'"]?[a-z]+[A-Z][A-Za-z]*\b/.test(
        s.replace(/^[A-Z]/, (c) => c.toLowerCase()),
      ) ||
      // "This policy sets imagePullPolicy to Always": what the policy itself does to the object is a mutation.
      /^(?:this|the) (?:policy|rule)\s+(?:also\s+|will\s+)?(?:sets?|assigns?|mutates?|patch(?:es)?|appends?|inserts?|labels?|annotates?|gives?|overwrites?|replaces?|changes?|rewrites?)\b/i.test(
        s,
      ) ||
      // "This policy drops ALL capabilities from every container", "… disables automountServiceAccountToken on every
      // Pod", "… enables readOnlyRootFilesystem": the policy changes the object (a validating policy cannot drop or
      // enable anything), so no validating family reads it as a requirement. "removes the ability to …" still blocks.
      /^(?:this|the) (?:policy|rule)\s+(?:also\s+|will\s+|automatically\s+)?(?:drops?|removes?|strips?|disables?|enables?|turns?\s+(?:on|off)|forces?|overrides?|converts?|modifies?|updates?|adjusts?)\b(?!\s+(?:the\s+)?(?:ability|abilities|possibility|option|options|chance|means|need|risk)\b)/i.test(
        s,
      )
    );
  })
    ? 'mutate'
    : 'validate';
}

/** Words that carry no condition of their own. */
const FUNCTION_WORDS = new Set(
  `a an the this that these those of in on at to for from with by as and or is are be been being was were it its it's they them their there
   which who whose whom where when whenever if then any all every each must should shall may might can could need needs required require
   requires requiring ensure ensures ensured make sure policy rule rules cluster kubernetes k8s object objects resource resources field fields new
   also both so do does did have has having had use uses using used run runs running specify specifies specified specifying define defines
   defined defining declare declares declared contain contains containing include includes including carry carries carrying set sets
   setting allow allows allowed allowing permit permits permitted admit admits admitting admitted accepted create creates created creating creation exist exists
   present kind kinds type types applies usage within inside across cluster-wide clusterwide namespaced please validate validates validated
   check checks checked verify verifies verified enforce enforces enforced get gets provide provides provided via whether own something make use of
   entirely completely altogether attribute attributes configured enable enables enabled enabling`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words that negate what follows: an odd count means the statement forbids what the family's phrases describe. */
const NEGATORS = new Set(
  `not no never without lacking lack lacks missing nobody none nothing cannot can't don't doesn't mustn't shouldn't isn't aren't won't
   deny denies denied denying block blocks blocked blocking disallow disallows disallowed disallowing forbid forbids forbidden forbidding
   prevent prevents prevented preventing reject rejects rejected rejecting prohibit prohibits prohibited prohibiting refuse refuses refused
   disable disables disabled immutable unset`
    .split(/\s+/)
    .filter(Boolean),
);

/** Saying that something is optional: no rule at all, whatever family's words surround it. */
const NOT_A_RULE =
  /\b(?:(?:is|are|be|was|were)\s+not\s+(?:required|necessary|mandatory|needed|compulsory|obligatory)|not\s+(?:required|necessary|mandatory|needed)|(?:do|does|did)\s*(?:not|n['\u2019]t)\s+(?:need(?:\s+to)?|have\s+to)|need\s+not|needn['\u2019]t|optional(?:ly)?)\b/gi;

/** Quantifiers and exceptions: read only when a family's phrase consumes them, otherwise the intent is refused. */
const QUANTIFIERS = new Set(
  `only except excluding unless but either neither nor one least most other than instead rather besides apart unlike`.split(
    /\s+/,
  ),
);

/** "restrict X to Y" means "only Y"; plain "restrict X" is read as a ban. Never a value ("enforce=restricted"). */
const RESTRICT = /(?<![=:/.@`'"\u2018\u201c-])\brestrict(?:s|ed|ing)?\b(?![^.]*\bto\b)/gi;
const RESTRICT_TO = /(?<![=:/.@`'"\u2018\u201c-])\brestrict(?:s|ed|ing)?\b(?=[^.]*\bto\b)/i;

/** "set to restricted", "with the value disabled": the word after a setter is a value, whatever it means elsewhere. */
const SET_VALUE = /(\b(?:set\s+to|with\s+(?:the\s+)?value|equal\s+to|equals)\s+)([A-Za-z]+)\b(?![`'"\u2019\u201d])/gi;

/**
 * The value of a label or annotation is a string, whatever it says elsewhere: "set the label istio-injection to
 * disabled", "the annotation prometheus.io/scrape: false", "the label pod-security.kubernetes.io/enforce on Namespaces
 * must be restricted". Read as words, "disabled", "restricted", "none" counted as a negation and "false" as "not"
 * (a requirement became a ban on that very value, or on the key), and "true" / "enabled" were dropped (the value was
 * lost). Such a value is put in curly quotes, which the generic phrases never read, so it is a value the family must
 * use, or the intent is refused.
 */
const META_VALUE_WORD =
  '(?:disabled?|enabled?|none|no|never|nothing|false|true|on|off|yes|deny|denied|block(?:ed)?|reject(?:ed)?|refused?|forbid(?:den)?|prohibit(?:ed)?|prevent(?:ed)?|restrict(?:ed|s|ing)?)';
const META_KEY = '[`\'"]?[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?[`\'"]?';
const META_WORDS = '(?:labels?|labell?ed|annotations?|annotated)';
/** "must (not) be (set to)", "is (not) (set to)": what comes between a label and the value it is said to hold. */
const META_BE =
  '(?:(?:must|should|shall|has\\s+to|have\\s+to|needs?\\s+to)\\s+(?:not\\s+)?be(?:\\s+set\\s+to)?|(?:is|are)(?:\\s+not)?(?:\\s+set\\s+to)?)';
/** Words that say the object is banned ("the label K is forbidden"), never a value. */
const META_BAN_WORD =
  '(?:deny|denied|block(?:ed)?|reject(?:ed)?|refused?|forbid(?:den)?|prohibit(?:ed)?|prevent(?:ed)?)';
const META_VALUES: readonly RegExp[] = [
  // label env=disabled / annotation prometheus.io/scrape: false / label K with (the) value none / label K set to off
  new RegExp(
    `(\\b${META_WORDS}\\s+(?:the\\s+)?${META_KEY}\\s*(?:[=:]\\s*|\\s+(?:,\\s*)?(?:set\\s+to|with\\s+(?:the\\s+)?value|equal\\s+to)\\s+))(${META_VALUE_WORD})\\b(?![\`'"\u2019\u201d])`,
    'gi',
  ),
  // set the label K to disabled ("add the label K to Namespaces" names where it goes, never a value)
  new RegExp(
    `(\\bset(?:s|ting)?\\s+(?:the\\s+|an?\\s+)?${META_WORDS}\\s+${META_KEY}\\s+to\\s+(?:the\\s+)?(?:value\\s+)?)(${META_VALUE_WORD})\\b(?![\`'"\u2019\u201d])`,
    'gi',
  ),
  // the label K (on Namespaces) must be (set to) restricted, the K label is not restricted; "must be forbidden /
  // denied" is a ban, not a value
  new RegExp(
    `(\\b(?:${META_WORDS}\\s+${META_KEY}|${META_KEY}\\s+${META_WORDS})\\s+(?:(?:on|of|for|in)\\s+[^.;]*?\\s+)?${META_BE}\\s+)((?!${META_BAN_WORD}\\b)${META_VALUE_WORD})\\b(?![\`'"\u2019\u201d])`,
    'gi',
  ),
  // the ingress class (named) none, the none ingress class: a class's name (claim-storage-class reads its own)
  new RegExp(
    `(\\bingress\\s*class(?:Name)?\\s+(?:(?:named|called)\\s+)?)(${META_VALUE_WORD})\\b(?![\`'"\u2019\u201d])`,
    'gi',
  ),
  new RegExp(`(\\bthe\\s+)(${META_VALUE_WORD})(?=\\s+ingress\\s*class\\b)`, 'gi'),
  // the ClusterRole restricted, the restricted Role, the group blocked: a role's or a subject's name
  new RegExp(
    `(\\bthe\\s+(?:ClusterRole|Role|group|user|service\\s?account)\\s+(?:(?:named|called)\\s+)?)(${META_VALUE_WORD})\\b(?![\`'"\u2019\u201d])`,
    'gi',
  ),
  new RegExp(`(\\bthe\\s+)(${META_VALUE_WORD})(?=\\s+(?:ClusterRole|Role|group|user|service\\s?account)\\b)`, 'gi'),
];

/** A family's phrase; `[re, 'not']` reads the phrase as a negation ("run as root" for a non-root rule). */
export type Phrase = RegExp | readonly [RegExp, 'not'];

/** Phrasings every family reads the same way: booleans, "unset or false", and warn-instead-of-deny. */
/**
 * "at the pod level or in every container", "at the Pod or container level" (either level will do): how the families
 * read a field already. ("at the pod and container levels" asks for both, and stays unplaced.)
 */
const EITHER_LEVEL =
  /\b(?:at|on|in)\s+(?:either\s+)?(?:the\s+)?(?:pod|container)\s+or\s+(?:the\s+)?(?:pod|container)\s+levels?\b|\b(?:either\s+)?(?:at|on)\s+the\s+pod\s+level\s+or\s+(?:in|on|for)\s+(?:every|each|all(?:\s+the)?)\s+containers?\b|\b(?:either\s+)?(?:in|on|for)\s+(?:every|each|all(?:\s+the)?)\s+containers?\s+or\s+(?:at|on)\s+the\s+pod\s+level\b/gi;

const GENERIC_PHRASES: ReadonlyArray<[RegExp, string]> = [
  [
    /\b(?:is |are |be )?(?:unset|not set|undefined|absent|omitted)\s*,?\s*or\s+(?:explicitly\s+)?(?:set\s+to\s+)?[`'"]?(?:false|0|zero)[`'"]?/gi,
    ' not ',
  ],
  [/(?:\bset\s+to|\bis|\bare|\bbe|:)\s*[`'"]?false\b[`'"]?/gi, ' not '],
  // "is not true": the field is unset or false (the family decides which counts), one negation.
  [/\b(?:is|are|be)\s+not\s+(?:set\s+to\s+)?[`'"]?true\b[`'"]?/gi, ' not '],
  [/(?:\bset\s+to|\bis|\bare|\bbe|:)\s*[`'"]?true\b[`'"]?/gi, ' '],
  // "set `hostNetwork` to `false`", "from setting hostPID to true": the field, then its value, after a verb that sets it.
  // (a statement is one sentence already: a dot here is a path's, "securityContext.privileged", whose words the
  // family's phrases may have taken first)
  [/(?<=\bset(?:s|ting)?\b[^;]{0,60}?)\bto\s+[`'"]?false\b[`'"]?/gi, ' not '],
  [/(?<=\bset(?:s|ting)?\b[^;]{0,60}?)\bto\s+[`'"]?true\b[`'"]?/gi, ' '],
  [
    /\bwarn(?:s|ing)?\s*,?\s*(?:but|and)?\s*(?:do(?:es)?\s+not|don't|not)\s+(?:block|deny|reject)(?:\s+(?:it|them))?\s*,?/gi,
    ' deny ',
  ],
  // "should trigger a warning", "Log a warning for …": the same warning, said with another verb
  [
    /\b(?:trigger|triggers|raise|raises|emit|emits|log|logs|produce|produces|issue|issues)\s+(?:a\s+)?warnings?\b/gi,
    ' deny ',
  ],
  // Never a word inside a key ("the label pod-security.kubernetes.io/warn", "example.com/warn-only").
  [/(?<![\w./-])warn(?:s|ing)?\b(?![./-]\w)/gi, ' deny '],
  [/\bmake use of\b/gi, ' '],
  // "the following fields are unset or set to false: spec.hostNetwork, …": the list after the colon is the fields
  [/\bthe\s+following\b(?=[^.;:]*:)/gi, ' '],
  // "Privileged containers should be avoided", "hostPath volumes must be avoided": the thing is not to be used, a ban
  // said as advice (as "should not" is read). Only with a modal and "be": "to avoid …" is a purpose, set aside before.
  [/\b(?:must|should|shall|needs?\s+to|ought\s+to|are\s+to|is\s+to)\s+be\s+avoided\b/gi, ' not '],
  // "Avoid privileged containers.": the same, as a headline imperative (as "Disallow …" is)
  [/^\s*(?:please\s+)?avoid\b/i, ' deny '],
];

const QUOTE_CHARS = `'"\u2018\u2019\u201c\u201d\``;

/**
 * Places the words of an operative statement. `phrases` are the family's own words (removed first, so
 * "no tag at all" or "host namespaces" are read as one thing), `namespaces` the names the statement scopes
 * to or excludes (removed with their lead words), `mutating` lets add/set/default words stand as verbs.
 */
export function placeWords(statements: string | readonly string[], o: PlaceOptions): Placement {
  const each = (typeof statements === 'string' ? [statements] : statements).map((st) => placeStatement(st, o));
  // Each statement's polarity counts when it speaks about the family's subject or negates something; a
  // scope line ("Applies to Pod objects …") has none. Statements that disagree are not read at all.
  const counted = each.filter((p) => p.aboutSubject || p.negated);
  const negated = counted.some((p) => p.negated);
  return {
    negated,
    conflict: counted.some((p) => p.negated !== negated),
    unplaced: each.flatMap((p) => p.unplaced),
    kinds: each.flatMap((p) => p.kinds),
    values: each.flatMap((p) => p.values),
  };
}

interface PlaceOptions {
  phrases: readonly Phrase[];
  namespaces: readonly string[];
  catalog: ApiCatalog;
}

function placeStatement(statement: string, o: PlaceOptions): Placement & { aboutSubject: boolean } {
  // A value that is also a negating word ("set to disabled", "with value none", "set to restricted") is quoted,
  // so it is read as the value it is; counted as a negation it would turn the requirement into a ban on it.
  let s = ` ${statement} `.replace(SET_VALUE, (m, lead: string, word: string) =>
    word.toLowerCase() !== 'not' && (NEGATORS.has(word.toLowerCase()) || /^restrict/i.test(word))
      ? `${lead}\`${word}\``
      : m,
  );
  for (const re of META_VALUES) s = s.replace(re, (_m, lead: string, word: string) => `${lead}\u201c${word}\u201d`);
  s = removeNamespacePhrases(s, o.namespaces).replace(EITHER_LEVEL, ' ');
  const before = s;
  for (const p of o.phrases) {
    const [re, becomes] = Array.isArray(p) ? p : [p, ' '];
    s = s.replace(
      new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`),
      becomes === 'not' ? ' not ' : ' ',
    );
  }
  const aboutSubject = s !== before;
  for (const [re, becomes] of GENERIC_PHRASES) s = s.replace(re, becomes);
  // "restrict X to Y" is an allow-list of Y, whichever phrase took the "to" ("Restrict LoadBalancer Services to the edge
  // namespace": the namespace phrase took it, and read as a ban the rule denied them in edge, the inverse). Judged on
  // the statement as written; a "restrict" no family read as its allow-list stays unplaced.
  if (!RESTRICT_TO.test(statement)) s = s.replace(RESTRICT, ' deny ');
  // "is not allowed", "do not allow": one negation, read through the tokens below.
  const unplaced: string[] = [];
  // "CPU limits are not required", "containers need not set …": a permission, never a ban. Counting its "not"
  // as the rule's negation would forbid what the person only said is optional.
  for (const m of s.matchAll(NOT_A_RULE)) unplaced.push(m[0].trim().replace(/\s+/g, ' '));
  s = s.replace(NOT_A_RULE, ' ');
  // "deny pods where all containers …" is a different rule from "… any container …": not read.
  for (const m of s.matchAll(/\b(?:where|if|when|whose|in which)\s+(all|every|each)\b/gi)) unplaced.push(m[1]);
  unplaced.push(...contrastsIn(s));
  unplaced.push(...coordinatedBans(statement));
  // "in namespaces labelled env=prod", "… with the label tier=web", "… whose name …": a selector of namespaces, which
  // no family reads. Left to the families, its label was read as the object's own ("ConfigMaps must not be deleted in
  // namespaces labelled protected=true" protected ConfigMaps labelled so) and its "namespaces" as a second kind.
  for (const m of statement.matchAll(
    /\b(?:in|within|inside|into|across|outside(?:\s+of)?)\s+(?:(?:the|a|an|any|all|every|each)\s+)?namespaces?\s+(?:labell?ed|with|without|that|which|whose|where|matching|having|carrying|annotated|named|called|selected|marked|tagged)\b/gi,
  ))
    unplaced.push(m[0]);
  // "must have a liveness probe if they have a readiness probe": a requirement with a condition the family does
  // not place (its own phrases are gone by now) would be read as unconditional.
  const conditional =
    /\b(?:must|should|shall|needs?\s+to|(?:is|are)\s+required\s+to)\b[^.]*?\b(if|when|whenever|provided|once)\b/i.exec(
      s,
    );
  if (conditional) unplaced.push(conditional[1]);
  // "Containers with a CPU limit must also set a memory limit", "Pods that use hostPath must set …": a qualifier
  // on the subject ahead of a requirement is its condition. Read as one list, both would be required of every
  // object. (A qualifier ahead of "… must be denied / are not allowed" is the offence itself, and reads fine.)
  const qualified =
    /^\s*(?:all\s+|every\s+|each\s+|any\s+)?[\w-]+(?:\s+[\w-]+)?\s+(with|that|which|having|using|running|whose)\b[^.]*?\b(?:must|should|shall|needs?\s+to|ha(?:ve|s)\s+to|(?:is|are)\s+required\s+to)\s+(?!(?:(?:also|not|never)\s+)*be\s+(?:allowed|permitted|admitted|accepted|denied|rejected|blocked|forbidden|prohibited|disallowed|created|deployed|scheduled|run|used|deleted|removed)\b)(?:also\s+|not\s+|never\s+)*\w/i.exec(
      removeNamespacePhrases(` ${statement} `, o.namespaces),
    );
  if (qualified) unplaced.push(qualified[1]);
  // "Pods in the dev namespace may be": a bare permission is an exception to a rule, never a rule of its own.
  // "may" with a limit ("may only", "Nobody may", "may have at most") is a rule.
  if (
    /\bmay\b/i.test(statement) &&
    !/\b(?:only|not|never|nobody|no\s+one|none|no|at\s+most|at\s+least|up\s+to)\b|n['\u2019]t\b/i.test(statement)
  )
    unplaced.push('may');
  // A slash standing alone is the root path ("hostPath volumes must not mount /"): no family reads it, and as
  // punctuation it went unseen, so the rule dropped it (every hostPath volume denied). Between two words ("CPU /
  // memory", "read / write") it only joins them. Looked for in the statement as written: the family's phrases are
  // gone from `s`, leaving a joining slash between blanks.
  for (const m of statement.matchAll(/(?<![^\s([])\/(?![^\s.,;:!?)\]])/g))
    if (!(/[A-Za-z0-9]\s+$/.test(statement.slice(0, m.index)) && /^\s+[A-Za-z0-9]/.test(statement.slice(m.index + 1))))
      unplaced.push('/');
  const values: string[] = [];
  const kinds: Placement['kinds'] = [];
  let negations = 0;
  const tokenRe = new RegExp(
    `[${QUOTE_CHARS}]([^${QUOTE_CHARS}]+)[${QUOTE_CHARS}]|[A-Za-z0-9*][A-Za-z0-9._/:=@*+-]*[A-Za-z0-9*]|[A-Za-z0-9]`,
    'g',
  );
  // "A PersistentVolumeClaim's storage request", "a container's probes": a possessive is its word's (the family's
  // phrases have had their "host's" already); its "s" was left over, unplaced.
  s = s.replace(/(?<=[A-Za-z])['\u2019]s\b(?![\w'\u2019])/g, '');
  for (const m of s.matchAll(tokenRe)) {
    const quoted = m[1] !== undefined;
    const raw = (m[1] ?? m[0]).trim().replace(/['\u2019]s$/i, '');
    if (!raw) continue;
    const word = raw.toLowerCase();
    if (!quoted && NEGATORS.has(word)) {
      negations++;
      continue;
    }
    if (!quoted && QUANTIFIERS.has(word)) {
      unplaced.push(raw);
      continue;
    }
    if (!quoted && FUNCTION_WORDS.has(word)) continue;
    if (/^[a-z]+(?:['\u2019]t)$/i.test(raw)) {
      negations++;
      continue;
    }
    const kind = !quoted && /^[A-Za-z]+$/.test(raw) ? resourcesIn(raw, o.catalog, statement)[0] : undefined;
    if (kind) {
      kinds.push({ word: raw, resource: kind });
      continue;
    }
    if (quoted || /[0-9._/:=@*-]/.test(raw) || /[a-z][A-Z]/.test(raw)) {
      values.push(raw.replace(/^[.*]+/, ''));
      continue;
    }
    unplaced.push(raw);
  }
  // "Pods created by Deployments", "Deployments … on their pods": one kind qualified through another. Read as two
  // kinds, the rule would check every Pod (bare ones included) or the Deployment's own labels, not its template's.
  for (const m of s.matchAll(
    /\b(?:created|owned|managed|controlled|spawned|generated|launched|started)\s+by\b|\b(?:their|its)\s+(?:own\s+)?(?:pods?|pod\s+templates?|templates?|jobs?|replica\s*sets?)\b/gi,
  ))
    unplaced.push(m[0]);
  // "in the pod securityContext", "at the container level", "in its own securityContext": where the field must sit.
  // Families read a field container over pod (the kubelet's rule), so a demand for one level would be lost. No
  // family places these words, so the statement as written is searched (a family's phrases may eat "pod").
  for (const m of statement
    .replace(EITHER_LEVEL, ' ')
    .matchAll(
      /\b(?:pod|container)[-\s]level\b|\b(?:in|at|on)\s+(?:the\s+)?(?:pod|container|its\s+own|each\s+container)(?:['\u2019]s)?\s+(?:securityContext|security\s+context|level|spec)\b|\bits\s+own\s+(?:securityContext|security\s+context)\b/gi,
    ))
    unplaced.push(m[0]);
  // "Only NodePort Services are allowed in the edge namespace": only NodePort ones in edge (the others denied there), or
  // NodePort ones only in edge? Both are said by these words; neither is read.
  const onlyThere = ONLY_X_IN_NAMESPACE.exec(statement.trim());
  if (onlyThere) unplaced.push(onlyThere[1]);
  // "A, B, or both" / "A and/or B" asks for at least one: a family that reads lists as "every one" would require
  // both, so the words stay unplaced unless the family's own phrase took them.
  for (const m of s.matchAll(/\bor\s+(?:both|all\s+(?:three|of\s+them))\b|\band\s*\/\s*or\b/gi)) unplaced.push(m[0]);
  // "Init containers are not checked", "Services in namespace x are allowed to use them": an exemption beside the rule.
  unplaced.push(...exemptionsIn(statement, s, o.catalog));
  // "must not set both a and b" bans the pair, not each one.
  const both = /\bboth\b/i.exec(s);
  if (both && negations % 2 === 1) unplaced.push(both[0]);
  // "Images from a.io are not allowed; images from b.io are blocked": clauses of one polarity are one rule, each
  // negating once (summed, the two would read as "must come from a.io or b.io"). Clauses that differ are refused above.
  const parities = s
    .split(';')
    .filter((c) => /[A-Za-z]/.test(c))
    .map((c) => negationsIn(c) % 2);
  const negated =
    parities.length > 1 && parities.every((x) => x === parities[0]) ? parities[0] === 1 : negations % 2 === 1;
  return { negated, unplaced, kinds, values, aboutSubject };
}

/**
 * "Images must come from a.io, not b.io", "… from a.io; b.io is blocked", "must not come from b.io, only from
 * a.io": two clauses of opposite polarity in one statement. Counting negations over the whole statement would
 * apply one polarity to everything it names (blocking a.io too), so the contrast words are left unplaced and
 * the intent is refused. Namespace phrases ("but not in prod") are gone before this runs.
 */
function contrastsIn(statement: string): string[] {
  const found = [...statement.matchAll(/,\s*(?:but\s+)?(?:not|never|only)\b|\b(?:rather\s+than|instead\s+of)\b/gi)].map(
    (m) => m[0].replace(/^,\s*/, ''),
  );
  const clauses = statement.split(';').filter((c) => /[A-Za-z]/.test(c));
  if (clauses.length > 1) {
    const parity = clauses.map((c) => countNegations(c) % 2);
    if (parity.some((p) => p !== parity[0])) found.push(';');
  }
  return found;
}

/** A ban said as a clause's own verb: "must not", "is not allowed", "are denied", "deny", "prevents". */
const MAIN_BAN =
  /\b(?:(?:must|should|shall|may|can|will|do|does)\s+(?:not|never)|cannot|(?:mustn|shouldn|don|doesn|can|won)['\u2019]t|(?:is|are|be)\s+(?:not\s+(?:allowed|permitted)|denied|forbidden|prohibited|disallowed|blocked|rejected)|deny|denies|block|blocks|forbid|forbids|disallow|disallows|reject|rejects|prevent|prevents|prohibit|prohibits)\b/gi;

/**
 * "Deny images from a.io and deny images from b.io", "Pods must not use hostNetwork and must not use hostPID": two
 * bans, each its clause's own verb, are two negations by count, and an even count reads as a requirement ("images
 * must come from a.io or b.io"). A negation inside a qualifier ("deny images that are not from a.io", "images that
 * do not come from a.io must be denied") is a real double negation and is not one of these. The second ban's words
 * are left unplaced.
 */
function coordinatedBans(statement: string): string[] {
  const found: string[] = [];
  for (const clause of statement.replace(WARN_NOT_BLOCK, ' ').split(';')) {
    const main = [...clause.matchAll(MAIN_BAN)].filter((m) => {
      const lead =
        clause
          .slice(0, m.index)
          .split(/[,]|\band\b|\bbut\b|\bor\b/i)
          .pop() ?? '';
      return !/\b(?:that|which|who|whose|where|if|when|whenever|unless|whether|without)\b/i.test(lead);
    });
    // Joined: a comma or a conjunction between the two ("do not block" is one predicate, a real double negation).
    for (let i = 1; i < main.length; i++) {
      const between = clause.slice((main[i - 1].index ?? 0) + main[i - 1][0].length, main[i].index);
      if (/[,]|\b(?:and|but|or|also|as\s+well\s+as)\b/i.test(between)) {
        found.push(main[i][0]);
        break;
      }
    }
  }
  return found;
}

/** "Warn, but do not block": a warning, not two bans (GENERIC_PHRASES reads it as one). */
const WARN_NOT_BLOCK =
  /\bwarn(?:s|ing)?\s*,?\s*(?:but|and)?\s*(?:do(?:es)?\s+not|don't|not)\s+(?:block|deny|reject)(?:\s+(?:it|them))?\s*,?/gi;

/** The negations placeStatement counts in a stretch of its text (quoted values are never negations). */
function negationsIn(text: string): number {
  let n = 0;
  for (const m of text.matchAll(
    new RegExp(
      `[${QUOTE_CHARS}]([^${QUOTE_CHARS}]+)[${QUOTE_CHARS}]|[A-Za-z0-9*][A-Za-z0-9._/:=@*+-]*[A-Za-z0-9*]|[A-Za-z0-9]`,
      'g',
    ),
  )) {
    if (m[1] !== undefined) continue;
    const raw = m[0].replace(/['\u2019]s$/i, '');
    if (NEGATORS.has(raw.toLowerCase()) || /^[a-z]+(?:['\u2019]t)$/i.test(raw)) n++;
  }
  return n;
}

function countNegations(clause: string): number {
  return (clause.toLowerCase().match(/[a-z']+/g) ?? []).filter((w) => NEGATORS.has(w) || /^[a-z]+n't$/.test(w)).length;
}

/** Removes "in the 'test' namespace", "except in namespaces a and b", "in every namespace" with their lead words. */
export function removeNamespacePhrases(text: string, namespaces: readonly string[]): string {
  let out = text;
  const q = `[${QUOTE_CHARS}]?`;
  const lead = `(?:(?:but\\s+)?not\\s+in|except(?:\\s+(?:in|for))?|excluding|outside(?:\\s+of)?|other\\s+than|besides|apart\\s+from|in|within|inside|to|for)`;
  for (const ns of namespaces) {
    const name = ns.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(
      new RegExp(
        `(?:\\b${lead}\\s+)?(?:the\\s+)?(?:namespaces?\\s+)?${q}\\b${name}\\b${q}(?:\\s+namespaces?\\b)?(?:\\s+only\\b)?`,
        'gi',
      ),
      ' ',
    );
  }
  return out
    .replace(/\b(?:in|across|for)\s+(?:every|all|any|each)\s+namespaces?\b/gi, ' ')
    .replace(/\b(?:every|all|any|each)\s+namespaces?\b(?=\s+(?:except|excluding|but|other))/gi, ' ');
}

/** The words of a refusal: what could not be placed, and the families whose phrasing came closest. */
export interface Unplaced {
  family: string;
  words: string[];
  reason?: string;
}
