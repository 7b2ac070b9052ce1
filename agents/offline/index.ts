import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import { PolicyforgeError, type Intent, type JsPolicySpec, type Plan } from '../../common/index.js';
import { withExamples } from '../planner.js';
import { OFFLINE_FAMILIES, type FamilyContext, type FamilySolution } from './families.js';
import { excludedNamespacesIn, namespacesIn, resourcesIn, wantsWarning } from './text.js';

export { OFFLINE_FAMILIES, type OfflineFamily, type FamilySolution } from './families.js';
export { SYSTEM_NAMESPACES } from './rules.js';

/** Families that check unrelated things: two of them matching one intent means two rules were asked for. */
const INDEPENDENT_RULES = new Set([
  'privileged', 'privilege-escalation', 'read-only-root-filesystem', 'host-namespaces', 'host-path', 'host-ports', 'capabilities',
  'run-as-non-root', 'image-tag', 'image-registry', 'resources', 'probes', 'service-type', 'ingress-host', 'replicas',
]);

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
 * The deterministic planner and coder in one step: the first family that understands the text plans the
 * target and the cases and writes the code. Unknown intents fail fast with PF_ERR_OFFLINE_UNSUPPORTED.
 */
export function understandOffline(intent: Intent, catalog: ApiCatalog = builtinCatalog()): OfflineUnderstanding {
  const text = intent.text.trim();
  const namespaces = [...new Set([...namespacesIn(text), ...(intent.options?.namespaces ?? [])])];
  // "in the 'test' namespace" names a namespace, not the Namespace kind: drop those phrases before looking for kinds.
  const excluded = excludedNamespacesIn(text).filter((n) => !namespaces.includes(n));
  const kindText = stripNamespacePhrases(text, [...namespaces, ...excluded]);
  const ctx: FamilyContext = { text, catalog, namespaces, excluded, warn: wantsWarning(text), resources: resourcesIn(kindText, catalog) };
  let solution: FamilySolution | undefined;
  for (const family of OFFLINE_FAMILIES) {
    solution = family.match(ctx);
    if (solution) break;
  }
  // One family writes one rule: an intent that combines independent rules would silently lose all but the
  // first, so it is refused rather than half-solved.
  const combined = OFFLINE_FAMILIES.filter((f) => INDEPENDENT_RULES.has(f.id) && f.match(ctx) !== undefined).map((f) => f.id);
  if (combined.length > 1) {
    throw new PolicyforgeError('PF_ERR_OFFLINE_UNSUPPORTED', [
      `"${text}" combines ${combined.length} rules (${combined.join(', ')}); offline mode writes one rule per policy. Generate them one at a time, or configure a model (OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server; see docs/providers.md)`,
    ]);
  }
  if (!solution) {
    throw new PolicyforgeError(
      'PF_ERR_OFFLINE_UNSUPPORTED',
      [
        `"${text}". Configure a model to generate any intent: set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama, vLLM or LM Studio (see docs/providers.md); \`policyforge generate --families\` lists what offline mode understands`,
      ],
      { details: { families: OFFLINE_FAMILIES.map((f) => f.id) } },
    );
  }
  const plan: Plan = {
    target: solution.target,
    steps: solution.steps,
    tests: withExamples(intent.examples ?? [], solution.tests),
    rationale: `offline family ${solution.family}: ${solution.summary}`,
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

/** Removes "namespace test", "'test' namespace", "namespaces a" around the names found, so the word is not read as the Namespace kind. */
function stripNamespacePhrases(text: string, namespaces: readonly string[]): string {
  let out = text;
  for (const ns of namespaces) {
    const name = ns.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?:\\bnamespaces?\\s+)?['"\u2018\u2019\u201c\u201d\`]?\\b${name}\\b['"\u2018\u2019\u201c\u201d\`]?(?:\\s+namespaces?\\b)?`, 'gi'), ' ');
  }
  return out;
}
