import type { ApiCatalog, ApiResource } from '../../catalog/index.js';

/**
 * Small, deterministic readers of intent text used by the offline families. They look for the phrasings
 * people use in policy requests ("in the 'test' namespace", "label env=prod", "at least 2 replicas");
 * they are not a language model, and the family catalogue documents what they understand.
 */

const QUOTE = `['"\u2018\u2019\u201c\u201d\`]`;
const NAME = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';

/** Strips the quotes people put around names and values. */
export function unquote(s: string): string {
  return s.replace(new RegExp(`^${QUOTE}+|${QUOTE}+$`, 'g'), '');
}

/** Namespaces the text names: "in the 'test' namespace", "in namespace prod", "in namespaces a, b and c". */
export function namespacesIn(text: string): string[] {
  return scanNamespaces(text).named;
}

/** Namespaces the text leaves out: "except in namespace dev", "outside the sandbox namespace", "but not in a and b". */
export function excludedNamespacesIn(text: string): string[] {
  return scanNamespaces(text).excluded;
}

/** Words a namespace phrase's list can hold that name no namespace: determiners and lead words ("except for"). */
const NOT_A_NAME = new Set([
  'every',
  'all',
  'any',
  'each',
  'a',
  'the',
  'new',
  'other',
  'system',
  'in',
  'of',
  'for',
  'to',
  'within',
  'inside',
  // "in namespaces labelled env=prod", "… with the label x", "… whose name …": a selector, never a namespace's name
  'labelled',
  'labeled',
  'with',
  'without',
  'that',
  'which',
  'whose',
  'where',
  'matching',
  'having',
  'carrying',
  'annotated',
  'named',
  'called',
  'selected',
  'marked',
  'tagged',
]);

/**
 * Words that stand where a name would ("the approved ingress class", "the wrong namespace", "the required labels",
 * "named appropriately") and say which one is meant without naming it. Taken as the name, the rule would check an
 * ingress class, namespace, label key or object literally called "approved".
 */
const VAGUE_NAME =
  /^(?:approved|unapproved|correct|incorrect|wrong|right|proper|improper|properly|appropriate|appropriately|inappropriate|suitable|required|necessary|mandatory|needed|standard|valid|invalid|allowed|permitted|disallowed|forbidden|expected|recommended|preferred|trusted|untrusted|authori[sz]ed|unauthori[sz]ed|sanctioned|accepted|designated|intended|relevant|applicable|respective|corresponding|same|different|existing|current|usual|certain|particular|specific|given|known|unknown|official|supported|unsupported|secure|insecure|sensitive|agreed|predefined|pre-defined|configured)$/i;

/** A word that says which name is meant without naming it (see VAGUE_NAME). */
export function isVagueName(word: string): boolean {
  return VAGUE_NAME.test(unquote(word.trim()));
}

/** A namespace phrase's own lead word, standing inside a list only when another phrase ran into it. */
const LIST_LEAD_WORD = /^(?:in|within|inside|to|for)$/i;

function scanNamespaces(text: string): { named: string[]; excluded: string[] } {
  const named = new Set<string>();
  const excluded = new Set<string>();
  const list = `${QUOTE}?${NAME}${QUOTE}?(?:\\s*(?:,|and|or)\\s*${QUOTE}?${NAME}${QUOTE}?)*`;
  const lead = '(?:in|within|inside|to|for|outside(?:\\s+of)?|except|excluding|besides|other\\s+than)';
  const patterns = [
    new RegExp(`\\b${lead}\\s+(?:the\\s+)?(${list})\\s+namespaces?\\b`, 'gi'),
    new RegExp(`\\b${lead}\\s+(?:the\\s+)?namespaces\\s+(${list})`, 'gi'),
    // singular "namespace": one name ("In namespace batch, set …" is not a list)
    new RegExp(`\\b${lead}\\s+(?:the\\s+)?namespace\\s+(${QUOTE}?${NAME}${QUOTE}?)`, 'gi'),
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      // "in production namespaces" names a class of namespaces (by label or by convention), not one called
      // production: a single unquoted word before a plural is left unplaced, so the intent is refused.
      if (
        re === patterns[0] &&
        /namespaces$/i.test(m[0]) &&
        !/[,]|\band\b|\bor\b/i.test(m[1]) &&
        !/^[`'"\u2018\u201c]/.test(m[1])
      )
        continue;
      // The exclusion is the lead itself ("except the dev namespace") or stands right before it ("but not in",
      // "except in"): an "other than" earlier in the sentence ("capabilities other than X in namespace prod")
      // is about something else, and reading it here excluded the one namespace the rule was for.
      const leadText = text.slice(m.index ?? 0, (m.index ?? 0) + m[0].length - m[1].length);
      const preceding = text.slice(Math.max(0, (m.index ?? 0) - 20), m.index ?? 0);
      const negated =
        /^(?:outside|except|excluding|besides|other\s+than)\b/i.test(leadText) ||
        /\b(?:not|except|excluding|besides|other\s+than|apart\s+from)\s*$/i.test(preceding);
      // "In the past, in namespace prod", "For Deployments, in namespace prod": a phrase ahead of the namespace's own
      // lead joined the list by its comma; only the names after the last lead word in the list are this phrase's.
      const parts = m[1].split(/\s*(?:,|\band\b|\bor\b)\s*/i);
      const ownFrom = parts.map((part) => LIST_LEAD_WORD.test(part.trim())).lastIndexOf(true) + 1;
      for (const part of parts.slice(ownFrom)) {
        const name = unquote(part.trim()).toLowerCase();
        if (name && !NOT_A_NAME.has(name) && !(isVagueName(name) && !/^[`'"\u2018\u201c]/.test(part.trim())))
          (negated ? excluded : named).add(name);
      }
    }
  }
  for (const n of excluded) named.delete(n);
  return { named: [...named], excluded: [...excluded] };
}

/** `key=value`, `key: value`, `'key'`, "label key with value v" near the word label/annotation. */
export interface KeyValue {
  key: string;
  value?: string;
  /** "The label env must be dev, staging or prod": any one of these values (two or more; `value` is unset). */
  values?: string[];
  /** The key is a documented prefix, never a key of its own (see keyIsPrefix): the real keys are `<key>/<name>`. */
  prefix?: boolean;
}

/** Top-level domains that end the prefix part of a label or annotation key. */
const KEY_PREFIX_TLD =
  /\.(?:io|com|org|net|dev|cloud|sh|ai|app|co|me|tech|local|internal|example|eu|de|uk|us|gov|edu|info)$/i;

/**
 * "the annotation container.apparmor.security.beta.kubernetes.io", "the label node-role.kubernetes.io": a dotted
 * domain with no `/` is the prefix of a family of keys (`container.apparmor.security.beta.kubernetes.io/<container>`),
 * not a key anyone sets. Read as one exact key, a rule on it would never fire on a real object.
 */
export function keyIsPrefix(key: string): boolean {
  return (
    !key.includes('/') && /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/i.test(key) && KEY_PREFIX_TLD.test(key)
  );
}

const KEY = '[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?';

/** Words that describe how a key or value is matched ("a label starting with env"), never a key themselves. */
const MATCH_VERBS = /^(?:start|begin|end|match|contain|prefix|suffix|includ)\w*$/i;

const NOT_KEYS = [
  'non-empty',
  'nonempty',
  'empty',
  'valid',
  'new',
  'the',
  'this',
  'that',
  'a',
  'an',
  'any',
  'set',
  'value',
  'values',
  'key',
  'keys',
];

export function keyValuesNear(text: string, word: 'label' | 'annotation'): KeyValue[] {
  const out: KeyValue[] = [];
  const push = (key: string, value?: string): void => {
    key = unquote(key);
    value = value === undefined ? undefined : unquote(value);
    if (!out.some((o) => o.key === key && o.value === value))
      out.push({ key, value, ...(keyIsPrefix(key) ? { prefix: true } : {}) });
  };
  const w = `${word}(?:s|led|ed)?`;
  // label 'env=prod' / labelled env=prod / label env: prod
  for (const m of text.matchAll(
    // (the value may carry its own quotes: "safe-to-evict: \"true\"")
    new RegExp(`\\b${w}\\s+(?:the\\s+)?${QUOTE}?(${KEY})${QUOTE}?\\s*[=:]\\s*${QUOTE}?(${KEY})${QUOTE}?`, 'gi'),
  ))
    push(m[1], m[2]);
  // 'env=prod' label
  for (const m of text.matchAll(new RegExp(`${QUOTE}?(${KEY})\\s*=\\s*(${KEY})${QUOTE}?\\s+${w}\\b`, 'gi')))
    push(m[1], m[2]);
  if (out.length) return out;
  // "Label new Namespaces with team=platform": a key=value elsewhere in a sentence about labels
  if (new RegExp(`\\b${w}`, 'i').test(text)) {
    for (const m of text.matchAll(new RegExp(`(?:^|[\\s'"\`(])(${KEY})=(${KEY})(?=$|[\\s'"\`).,;])`, 'g')))
      push(m[1], m[2]);
  }
  if (out.length) return out;
  // label env with (the) value prod; never "label starting with env" (a prefix rule, not a key). "of" only before
  // "value": "the label team of Namespaces" names whose label it is (read as the value, it required team=Namespaces)
  for (const m of text.matchAll(
    new RegExp(
      `\\b${w}\\s+${QUOTE}?(${KEY})${QUOTE}?\\s+(?:(?:with|set to)\\s+(?:the\\s+)?(?:value\\s+)?|of\\s+(?:the\\s+)?value\\s+)${QUOTE}?(${KEY})${QUOTE}?`,
      'gi',
    ),
  ))
    // "with one of the values dev, staging or prod": a choice among values (keyValueListNear's), never the value "one".
    if (!MATCH_VERBS.test(m[1]) && !/^\s*of\b/i.test(text.slice((m.index ?? 0) + m[0].length))) push(m[1], m[2]);
  if (out.length) return out;
  // set the annotation prometheus.io/scrape to true: "to" names the value only after "set" ("add the label team
  // to Namespaces" names where it goes)
  for (const m of text.matchAll(
    new RegExp(
      `\\bset(?:s|ting)?\\s+(?:the\\s+|an?\\s+)?${w}\\s+${QUOTE}?(${KEY})${QUOTE}?\\s+to\\s+(?:the\\s+)?(?:value\\s+)?${QUOTE}?(${KEY})${QUOTE}?(?=\\s*(?:[.,;]|$|\\s+(?:on|for|in)\\b))`,
      'gi',
    ),
  ))
    push(m[1], m[2]);
  if (out.length) return out;
  // a 'team' label / a non-empty team label
  for (const m of text.matchAll(new RegExp(`${QUOTE}(${KEY})${QUOTE}\\s+${w}\\b`, 'gi'))) push(m[1]);
  for (const m of text.matchAll(new RegExp(`\\b${w}\\s+${QUOTE}(${KEY})${QUOTE}`, 'gi'))) push(m[1]);
  if (out.length) return out;
  for (const m of text.matchAll(new RegExp(`\\b(?:a|an|the|non-empty)\\s+(${KEY})\\s+${w}\\b`, 'gi'))) {
    if (!NOT_KEYS.includes(m[1].toLowerCase()) && !isVagueName(m[1])) push(m[1]);
  }
  if (out.length) return out;
  // the annotation owner on every Service
  for (const m of text.matchAll(new RegExp(`\\b${w}\\s+(${KEY})\\s+(?:on|to|for|in|of)\\b`, 'gi'))) {
    if (!NOT_KEYS.includes(m[1].toLowerCase()) && !isVagueName(m[1])) push(m[1]);
  }
  if (out.length) return out;
  // the label team is present / must be set (on …): the key alone, never "is set to <value>"
  for (const m of text.matchAll(
    new RegExp(
      `\\b${w}\\s+${QUOTE}?(${KEY})${QUOTE}?\\s+(?:is|are|must\\s+be|should\\s+be|be)\\s+(?:present|set|defined|specified|included)\\b(?!\\s+(?:to|as|with|equal)\\b)`,
      'gi',
    ),
  )) {
    if (!NOT_KEYS.includes(m[1].toLowerCase()) && !isVagueName(m[1])) push(m[1]);
  }
  if (out.length) return out;
  // "Namespaces without the label team are not allowed": the key a "without" names, whatever follows
  for (const m of text.matchAll(
    new RegExp(`\\bwithout\\s+(?:the\\s+|an?\\s+)?${w}\\s+${QUOTE}?(${KEY})${QUOTE}?(?!\\s*[=:])`, 'gi'),
  )) {
    if (!NOT_KEYS.includes(m[1].toLowerCase()) && !isVagueName(m[1])) push(m[1]);
  }
  if (out.length) return out;
  // the annotation owner.
  for (const m of text.matchAll(new RegExp(`\\b${w}\\s+(${KEY})\\s*(?:[.,;]|$)`, 'gi'))) {
    if (!NOT_KEYS.includes(m[1].toLowerCase()) && !isVagueName(m[1])) push(m[1]);
  }
  return out;
}

const AMBIGUOUS = new Set([
  'policy',
  'policie',
  'config',
  'application',
  'workflow',
  'gateway',
  'rollout',
  'issuer',
  'certificate',
  'sidecar',
  'event',
  'binding',
  'lease',
  'template',
  'podtemplate',
  'project',
]);

/** Acronyms people write for kinds, as kubectl's short names spell them. */
const KIND_ACRONYMS: Readonly<Record<string, string>> = {
  HPA: 'HorizontalPodAutoscaler',
  PVC: 'PersistentVolumeClaim',
  PV: 'PersistentVolume',
  PDB: 'PodDisruptionBudget',
  CRD: 'CustomResourceDefinition',
};

/**
 * The catalog resources whose kind or plural the text names, in order of appearance. `context` (the whole statement,
 * when `text` is one word of it) is where a kind several custom resource groups share is told apart.
 */
export function resourcesIn(text: string, catalog: ApiCatalog, context: string = text): ApiResource[] {
  const found: Array<{ at: number; r: ApiResource }> = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z][A-Za-z0-9]*/g)) {
    const word = m[0];
    const lower = word.toLowerCase();
    // A word inside a key, domain, image or value ("prometheus.io/scrape", "pods.example.com", "app=service")
    // is part of that value, never a kind the rule targets.
    if (insideValue(text, m.index ?? 0, word.length)) continue;
    // Everyday words that are also CRD kinds count only when written as a kind (capitalised), and
    // "Config Connector" is a product name, not gatekeeper's Config.
    if (AMBIGUOUS.has(lower.replace(/s$/, '')) && !/^[A-Z]/.test(word)) continue;
    if (lower === 'config' && /^\s+connector/i.test(text.slice((m.index ?? 0) + word.length))) continue;
    // "HPA", "PVCs", "PDB": kubectl's short names, only when written as an acronym ("no" and "limits" are short
    // names too, and never kinds in prose).
    const acronym = /^[A-Z]{2,4}s?$/.test(word) ? KIND_ACRONYMS[word.replace(/s$/, '')] : undefined;
    const candidates = acronym ? [acronym.toLowerCase()] : [lower, lower.replace(/es$/, ''), lower.replace(/s$/, '')];
    for (const c of candidates) {
      const hits = [...catalog.kindsNamed(c), ...catalog.byPlural(c)];
      const r = preferred(hits, context);
      if (r && !seen.has(`${r.group}/${r.plural}`)) {
        seen.add(`${r.group}/${r.plural}`);
        found.push({ at: m.index ?? 0, r });
        break;
      }
      if (r) break;
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.r);
}

/** The word at `at` belongs to a longer token joined by '.', '=', ':', '@' or '_' (a "pods/exec" subresource still names pods). */
function insideValue(text: string, at: number, length: number): boolean {
  const start = /[A-Za-z0-9._/:=@-]*$/.exec(text.slice(0, at))?.[0] ?? '';
  const end = /^[A-Za-z0-9._/:=@-]*/.exec(text.slice(at + length))?.[0] ?? '';
  const token = `${start}${text.slice(at, at + length)}${end}`.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return /[A-Za-z0-9][.=:@_][A-Za-z0-9]/.test(token);
}

/**
 * What names one API group among custom resources sharing a kind: "Gateway" is Istio's (networking.istio.io) and the
 * Gateway API's (gateway.networking.k8s.io).
 */
const GROUP_QUALIFIERS: ReadonlyArray<[group: RegExp, words: RegExp]> = [
  [/\.istio\.io$/, /\bistio\b/i],
  [
    /^gateway\.networking\.k8s\.io$/,
    /\bgateway\s+api\b|\bgateway\.networking\.k8s\.io\b|\bgatewayClassName\b|\b(?:HTTP|GRPC|TLS|TCP|UDP)Routes?\b|\blisteners?\b/i,
  ],
];

/**
 * Among resources sharing a kind (Event in core and events.k8s.io), the core/builtin one. Custom resources of one kind
 * in several groups are told apart only by what the text says of them ("Istio Gateways", "spec.gatewayClassName");
 * else none is taken: "Deny Gateways where spec.gatewayClassName is istio" was written for Istio's Gateways, which
 * have no such field, and never saw a Gateway API Gateway.
 */
function preferred(hits: ApiResource[], text: string): ApiResource | undefined {
  if (hits.length === 0) return undefined;
  const builtin = hits.find((h) => h.group === '') ?? hits.find((h) => h.source === 'builtin');
  if (builtin || new Set(hits.map((h) => h.group)).size === 1) return builtin ?? hits[0];
  const named = hits.filter((h) => GROUP_QUALIFIERS.some(([g, words]) => g.test(h.group) && words.test(text)));
  return new Set(named.map((h) => h.group)).size === 1 ? named[0] : undefined;
}

export const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'PodTemplate',
] as const;

/** The text asks to warn rather than block. */
export function wantsWarning(text: string): boolean {
  // "warn" inside a key ("the label pod-security.kubernetes.io/warn") asks for no warning.
  return /(?<![\w./-])warn(ing|s)?\b(?![./-]\w)/i.test(text) && !/\bdeny\b.*\bwarn/i.test(text);
}

/** Words that say the policy forbids something (rather than requires it). */
export function forbids(text: string): boolean {
  return /\b(deny|denies|block|blocks|forbid|forbids|forbidden|disallow|disallows|reject|rejects|prevent|prevents|not allowed|must not|may not|cannot|can't|no\b|never|refuse)/i.test(
    text,
  );
}

/** Hostnames and registry prefixes: something with a dot and no spaces, e.g. registry.example.com or ghcr.io/org. */
export function hostsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:^|[\s'"`(,])\*?\.?((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:\/[a-z0-9._/-]*[a-z0-9])?)/gi,
  )) {
    const v = m[1].toLowerCase();
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

export function numberAfter(text: string, re: RegExp): number | undefined {
  const words: Record<string, number> = {
    one: 1,
    two: 2,
    three: 3,
    four: 4,
    five: 5,
    six: 6,
    seven: 7,
    eight: 8,
    nine: 9,
    ten: 10,
  };
  const m = re.exec(text);
  if (!m) return undefined;
  const raw = m[1].toLowerCase();
  return words[raw] ?? (Number.isFinite(Number(raw)) ? Number(raw) : undefined);
}

/**
 * An exemption stated beside a rule: "Services in the gateway namespace are allowed to use them", "Init containers
 * are not checked", "This policy does not validate ephemeral containers". Every word of one is generic (a kind, a
 * namespace, "allowed", "not", "checked"), so a family would place it as part of the rule: its namespace became the
 * rule's only scope, its kind the only target, its negation agreed with a ban. The phrase is returned so the reader
 * leaves it unplaced. `placed` is the statement once the family's phrases are gone; a permission counts only in a
 * sentence with no negation and no "only" ("No containers are allowed …", "Only ClusterIP Services are allowed").
 */
export function exemptionsIn(statement: string, placed: string, catalog: ApiCatalog): string[] {
  const out: string[] = [];
  for (const m of placed.matchAll(
    /\b(?:is|are)\s+not\s+(?:checked|validated|evaluated|enforced|inspected|examined|affected|covered|considered|matched|subject\s+to)\b|\b(?:does|do)\s*(?:not|n['\u2019]t)\s+(?:check|validate|evaluate|enforce|inspect|examine|affect|cover|consider|look\s+at)\b/gi,
  ))
    out.push(m[0]);
  // "DaemonSets are also checked", "Ephemeral containers are covered too": a kind added to the rule's scope, which a
  // family would read as the rule's only kind.
  for (const m of placed.matchAll(
    /\b(?:is|are)\s+also\s+(?:checked|validated|evaluated|enforced|inspected|covered|included|affected)\b|\b(?:is|are)\s+(?:checked|validated|evaluated|enforced|inspected|covered|included|affected)\s+(?:too|as\s+well)\b/gi,
  ))
    out.push(m[0]);
  // A ban ("No containers are allowed …", "… must not …", "Deny …"). A "not" or "without" inside the subject ("Images
  // not from x.io are allowed", "Containers that are not privileged are allowed") qualifies it: the sentence is still
  // a permission, and counting that "not" as the rule's negation turned it into a ban on x.io.
  const negated =
    /^\s*(?:no|nobody|none|nothing|never|neither)\b|\b(?:must|may|should|shall|can|will|do|does)\s*(?:not|never|n['\u2019]t)\b|\b(?:cannot|deny|denies|denied|block\w*|forbid\w*|disallow\w*|prevent\w*|reject\w*|prohibit\w*|refuse\w*)\b/i;
  // A sentence that starts in lower case ("… volumes. hostPath volumes are permitted …") was not split off: each
  // sentence of the statement is looked at on its own.
  for (const sentence of statement.split(/(?<=[.;!?])\s+/)) {
    // "Containers that do not set a memory limit are allowed": the "do not" qualifies the subject, as "that are not" does;
    // counted as the sentence's ban, the permission went unseen and was read as "no container may set a memory limit".
    const main = sentence.replace(/\b(?:that|which|who)\s+(?:do|does|did)\s*(?:not|n['\u2019]t)\b/gi, ' that ');
    if (negated.test(main) || /\b(?:only|other\s+than|except)\b/i.test(sentence)) continue;
    // "Images from quay.io are also accepted" adds to an allow-list (the family reads the value); one that names a
    // namespace or a kind ("Pods in namespace x are also allowed", "DaemonSets are allowed") narrows the rule.
    if (
      /\b(?:also|too|as\s+well)\b/i.test(sentence) &&
      !/\bnamespaces?\b/i.test(sentence) &&
      resourcesIn(sentence, catalog).length === 0
    )
      continue;
    for (const m of sentence.matchAll(
      /\b(?:is|are)\s+(?:still\s+|also\s+|always\s+)?(?:allowed|permitted|accepted|tolerated|fine|ok|okay)\b/gi,
    ))
      // A family may read "allowed" as its own word ("allowed registries"), but none reads a permission whose subject
      // is negated ("Images not from x.io are allowed"): that one stays unplaced whatever the family took.
      if (
        placed.toLowerCase().includes(m[0].toLowerCase()) ||
        /\b(?:not|without)\b|n['\u2019]t\b/i.test(sentence.slice(0, m.index))
      )
        out.push(m[0]);
  }
  return out;
}

/**
 * The binding kinds a statement names. A kind written as a kind ("RoleBindings", "ClusterRoleBindings", "cluster
 * role bindings") is that kind. "role bindings" (spaced, lower case) and plain "bindings" are the RBAC notion both
 * kinds implement: the Kubernetes documentation writes "role binding" for either, and a ban read as RoleBindings
 * only would still admit the ClusterRoleBinding that grants the same role in every namespace. A statement that
 * sets the kinds against each other ("role bindings, but not cluster role bindings") is refused by the reader
 * (contrastsIn), so the wider reading never overrides a contrast. Nothing named: both.
 */
export function bindingKindsIn(text: string): { cluster: boolean; namespaced: boolean } {
  const cluster = /\bClusterRoleBindings?\b|\bcluster\s+role\s+bindings?\b/i.test(text);
  const namespaced = /(?<!Cluster)\bRoleBindings?\b/.test(text);
  const generic = /\b(?<!cluster\s)role\s+bindings?\b|(?<![A-Za-z])bindings?\b/i.test(
    text.replace(/\b(?:Cluster)?RoleBindings?\b|\bcluster\s+role\s+bindings?\b/gi, ' '),
  );
  return generic || cluster === namespaced ? { cluster: true, namespaced: true } : { cluster, namespaced };
}

/**
 * A rule-shaped sentence that bounds a value or an operation: "The limit must be at most 4Gi.", "The check must run on
 * create only." Beside a "This policy …" sentence it was set aside as motivation, and the policy lost the bound.
 */
export function addsBound(sentence: string): boolean {
  return (
    /\b(?:must|should|shall|needs?\s+to|ha(?:s|ve)\s+to|(?:is|are)\s+(?:not\s+)?(?:required|allowed|permitted|accepted|denied|rejected|blocked|forbidden)|may|can(?:not)?|runs?|applies)\b/i.test(
      sentence,
    ) &&
    /\b(?:at\s+(?:most|least)|no\s+(?:more|less|fewer|greater|larger|higher)\s+than|(?:more|less|fewer|greater|lower|higher|smaller|larger)\s+than|between|exceed\w*|maximum|minimum|up\s+to|below|above|(?:create|creation|update|delete|deletion)s?\s+only|only\s+(?:on|at)\s+(?:create|creation|update|delete))\b|\b\d+(?:\.\d+)?\s*(?:[KMGTPE]i?|m|%)(?![A-Za-z])/i.test(
      sentence,
    )
  );
}

/** A label or annotation value: a word, dotted or dashed, maybe quoted. */
const LIST_VALUE = `${QUOTE}?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?${QUOTE}?`;

/** The ways a key and its allowed values are said; `w` is the label / annotation word. Group 1 the key, 2 the list. */
function valueListForms(w: string): string[] {
  const orList = `${LIST_VALUE}(?:\\s*,\\s*(?:or\\s+)?${LIST_VALUE})*\\s*,?\\s+or\\s+${LIST_VALUE}`;
  // After "one of" the choice is said already, so commas alone may join it: "one of alpha, beta, gamma".
  const commaList = `${LIST_VALUE}(?:\\s*,\\s*${LIST_VALUE})+`;
  const choice = `(?:one|any)\\s+of\\s+(?:the\\s+(?:following\\s+)?values?\\s+)?:?\\s*`;
  const list = `(?:${choice})?(${orList})|${choice}(${commaList})`;
  const valued = `(?:(?:a|the)\\s+value\\s+(?:of\\s+)?)?`;
  const key = `${QUOTE}?(${KEY})${QUOTE}?`;
  // "the team label", "a `team` label": the key before the word.
  const named = `(?:${w}\\s+${key}|${key}\\s+${w})`;
  const whose = `(?:\\s+(?:of|on|for)\\s+(?:(?:all|every|each)\\s+)?[A-Za-z]+)?`;
  // The list ends at the sentence's end or at a scope: "… or prod on every Pod", "… or prod except in the shop
  // namespace" (the namespace phrase is the reader's; without it the values were dropped, "non-empty" left).
  const end = `(?=\\s*(?:[.;]|$|\\s+(?:on|for|in|except|excluding|outside|but\\s+not)\\b))`;
  return [
    `\\b(?:the\\s+)?value\\s+of\\s+(?:the\\s+|an?\\s+)?${named}${whose}\\s+(?:must\\s+be|should\\s+be|is|be)\\s+${valued}(?:${list})${end}`,
    `\\b${named}${whose}\\s+(?:must|should)\\s+(?:be|have|hold|take|carry)\\s+${valued}(?:${list})${end}`,
    `\\b(?:have|has|carry|carries|set|sets|declare|declares|define|defines)\\s+(?:the\\s+|an?\\s+)?${named}\\s+(?:with|set\\s+to|to|whose\\s+value\\s+is)\\s+${valued}(?:${list})${end}`,
  ];
}

/** The words of any value-list form, for a family's phrases. */
export const KEY_VALUE_LIST = new RegExp(
  valueListForms('(?:label|annotation)s?')
    .map((f) => `(?:${f})`)
    .join('|'),
  'i',
);

/**
 * "The label env must be dev, staging or prod", "the value of the label env is one of dev, staging or prod", "Pods
 * must have the label env with one of the values dev, staging or prod": one key and the values it may hold. Only a
 * list joined by commas and "or" (never "and": both at once cannot be), two values or more, each named once.
 */
export function keyValueListNear(text: string, word: 'label' | 'annotation'): KeyValue | undefined {
  for (const f of valueListForms(`${word}s?`)) {
    const m = new RegExp(f, 'i').exec(text);
    if (!m) continue;
    // Groups: the key said after the word or before it, then the list joined by "or" or by commas after "one of".
    const key = m[1] ?? m[2];
    const list = m.slice(3).find((g) => g !== undefined) ?? '';
    // "the same label", "every label": a word that stands where a key would, not one.
    if (NOT_A_KEY.test(key)) return undefined;
    const values = [...list.matchAll(new RegExp(LIST_VALUE, 'g'))].map((x) => unquote(x[0])).filter((v) => v !== 'or');
    if (values.length < 2 || new Set(values).size !== values.length) return undefined;
    return { key: unquote(key), values };
  }
  return undefined;
}

/** Words before "label" / "annotation" that are not its key. */
const NOT_A_KEY =
  /^(?:a|an|the|this|that|its|their|each|every|any|all|some|one|same|other|another|following|required|given|specific|valid|custom|pod|pods|namespace|namespaces|deployment|deployments|resource|resources|object|objects|metadata|new|existing)$/i;

/** The capabilities Docker and containerd give every container that does not drop them (moby's defaults). */
export const RUNTIME_DEFAULT_CAPS = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
