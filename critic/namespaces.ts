import {
  NAMESPACE_NAME_LABEL,
  SYSTEM_NAMESPACES,
  type LabelSelector,
  type LabelSelectorRequirement,
} from '../common/index.js';

export { NAMESPACE_NAME_LABEL, SYSTEM_NAMESPACES };

const NAME = String.raw`[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?`;
const QUOTED = String.raw`['"\u2018\u2019\u201c\u201d\`]`;
const ITEM = String.raw`${QUOTED}?${NAME}${QUOTED}?`;
const LIST = String.raw`${ITEM}(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)${ITEM})*`;
/** Words that follow "namespace" without being a namespace's name ("a namespace labelled …"). */
const NOT_NAMES = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'is',
  'are',
  'be',
  'has',
  'have',
  'with',
  'without',
  'that',
  'which',
  'where',
  'when',
  'labelled',
  'labeled',
  'named',
  'called',
  'must',
  'may',
  'should',
  'can',
  'cannot',
  'not',
  'of',
  'in',
  'to',
  'for',
  'it',
  'its',
  'their',
  'they',
  'this',
  'these',
  'those',
  'any',
  'every',
  'each',
  'all',
  'other',
  'some',
  'no',
  'label',
  'labels',
  'annotation',
  'annotations',
  'unless',
  'if',
  'except',
  'by',
  'on',
  'from',
  'as',
  'at',
  'only',
  'resources',
  'objects',
  'pods',
  // adjectives that qualify "namespaces" rather than name one
  'system',
  'user',
  'new',
  'existing',
  'same',
  'different',
  'given',
  'target',
  'own',
  'non-system',
  'several',
  'multiple',
  'many',
  'most',
  'both',
  'either',
  'specific',
  'certain',
  'particular',
  'protected',
  'selected',
  'matching',
  'following',
  'those',
  'tenant',
  // "access to host namespaces": the node's network / PID / IPC namespaces, not a Namespace named host (quote it to mean one)
  'host',
]);

/**
 * The namespaces a plain-language intent names, deterministically: "in the 'test' namespace",
 * "in namespace test", "in the prod and staging namespaces", "namespaces `a`, `b`". Names after
 * "except", "outside" or "other than" are exclusions and are not returned. Lower-case DNS labels only.
 */
export function namespacesFromIntent(text: string): string[] {
  const found: string[] = [];
  const add = (list: string, quotedOnly = false): void => {
    for (const raw of list.split(/\s*,\s*|\s+and\s+|\s+or\s+/)) {
      const quoted = new RegExp(`^${QUOTED}`).test(raw.trim());
      const name = raw
        .trim()
        .replace(new RegExp(QUOTED, 'g'), '')
        .replace(/^(?:and|or)\s+/, '');
      if (!new RegExp(`^${NAME}$`).test(name) || (!quoted && (quotedOnly || NOT_NAMES.has(name)))) continue;
      if (!found.includes(name)) found.push(name);
    }
  };
  const lower = text.replace(/\s+/g, ' ');
  // Names after "except …" are exclusions; names a permission is limited to ("only allowed in edge") are
  // where the thing is allowed, so the policy acts everywhere else: neither is the policy's scope.
  const negated = (index: number): boolean =>
    /\b(?:except|outside|other than|not in|excluding|besides)\s+(?:of\s+)?(?:the\s+)?(?:namespaces?\s+)?$/i.test(
      lower.slice(Math.max(0, index - 40), index),
    ) || allowListed(lower, index);
  // "in the prod namespace", "in the 'test' and 'staging' namespaces"
  for (const m of lower.matchAll(
    new RegExp(String.raw`\b(?:in|inside|within|into|to|for|from|of)\s+(?:the\s+)?(${LIST})\s+namespaces?\b`, 'gi'),
  )) {
    if (!negated(m.index + m[0].indexOf(m[1]))) add(m[1]);
  }
  // "in namespace test", "in namespaces a, b and c"
  for (const m of lower.matchAll(
    new RegExp(String.raw`\b(?:in|inside|within|into|to|for|from|of)\s+(?:the\s+)?namespaces?\s+(${LIST})`, 'gi'),
  )) {
    if (!negated(m.index)) add(m[1]);
  }
  // "namespace 'x'" anywhere, when quoted
  for (const m of lower.matchAll(new RegExp(String.raw`\bnamespaces?\s+(${LIST})`, 'gi'))) {
    if (!negated(m.index)) add(m[1], true);
  }
  return found.filter((n) => n === n.toLowerCase());
}

const EXCEPT = String.raw`\b(?:except|excluding|other than|outside(?:\s+of)?|but not|not in|besides)\s+(?:(?:in|for)\s+)?(?:the\s+)?`;

/**
 * The namespaces an intent explicitly leaves out: "every namespace except the 'legacy' namespace",
 * "all pods outside namespaces sandbox and scratch". Same name rules as namespacesFromIntent.
 */
export function namespaceExclusionsFromIntent(text: string): string[] {
  const found: string[] = [];
  const lower = text.replace(/\s+/g, ' ');
  const patterns = [
    new RegExp(`${EXCEPT}(${LIST})\\s+namespaces?\\b`, 'gi'),
    new RegExp(`${EXCEPT}namespaces?\\s+(${LIST})`, 'gi'),
  ];
  const lists: string[] = [];
  for (const re of patterns) for (const m of lower.matchAll(re)) lists.push(m[1]);
  // "LoadBalancer services are only allowed in the 'edge' namespace": the policy acts outside edge.
  const scoped = [
    new RegExp(String.raw`\b(?:in|inside|within|into|to)\s+(?:the\s+)?(${LIST})\s+namespaces?\b`, 'gi'),
    new RegExp(String.raw`\b(?:in|inside|within|into|to)\s+(?:the\s+)?namespaces?\s+(${LIST})`, 'gi'),
  ];
  for (const re of scoped) for (const m of lower.matchAll(re)) if (allowListed(lower, m.index)) lists.push(m[1]);
  for (const list of lists) {
    for (const raw of list.split(/\s*,\s*|\s+and\s+|\s+or\s+/)) {
      const quoted = new RegExp(`^${QUOTED}`).test(raw.trim());
      const name = raw.trim().replace(new RegExp(QUOTED, 'g'), '');
      if (!new RegExp(`^${NAME}$`).test(name) || (!quoted && NOT_NAMES.has(name)) || found.includes(name)) continue;
      found.push(name);
    }
  }
  return found;
}

/**
 * Whether the namespace phrase at `index` says where something is *allowed* rather than where the policy
 * acts: "are only allowed in", "may only run in", "permitted only within", "restricted to". The clause
 * before it must pair "only" (or solely, exclusively) with a permission, or restrict to the namespace.
 */
function allowListed(text: string, index: number): boolean {
  // Only what directly precedes the phrase counts: "can only run as non-root in prod" scopes to prod.
  const before = text
    .slice(Math.max(0, index - 60), index)
    .replace(/\s+(?:in|inside|within|into|to)?\s*(?:the\s+)?(?:namespaces?\s+)?$/i, ' ');
  return (
    /\b(?:restricted|limited|confined)\s*$/i.test(before) ||
    /\b(?:only|solely|exclusively)\s+(?:be\s+)?(?:allowed|permitted|used|created|deployed|scheduled|run|exist)\s*$/i.test(
      before,
    ) ||
    /\b(?:allowed|permitted)\s+(?:only|solely|exclusively)\s*$/i.test(before)
  );
}

/**
 * Whether a namespaceSelector can select the namespace `name`. Only requirements on
 * kubernetes.io/metadata.name are decided; any other label might be present, so those never exclude.
 */
export function selectorMaySelect(selector: LabelSelector | undefined, name: string): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (key === NAMESPACE_NAME_LABEL && value !== name) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    if (req.key !== NAMESPACE_NAME_LABEL) continue;
    if (!requirementHolds(req, name)) return false;
  }
  return true;
}

function requirementHolds(req: LabelSelectorRequirement, name: string): boolean {
  switch (req.operator) {
    case 'In':
      return (req.values ?? []).includes(name);
    case 'NotIn':
      return !(req.values ?? []).includes(name);
    case 'Exists':
      return true;
    case 'DoesNotExist':
      return false;
    default:
      return true;
  }
}

/** The namespace names a selector restricts to by name, or undefined when it may select any name. */
export function selectedNames(selector: LabelSelector | undefined): string[] | undefined {
  if (!selector) return undefined;
  let names: string[] | undefined;
  const intersect = (values: string[]): void => {
    names = names === undefined ? [...values] : names.filter((n) => values.includes(n));
  };
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (key === NAMESPACE_NAME_LABEL) intersect([value]);
  for (const req of selector.matchExpressions ?? []) {
    if (req.key === NAMESPACE_NAME_LABEL && req.operator === 'In') intersect(req.values ?? []);
  }
  return names;
}
