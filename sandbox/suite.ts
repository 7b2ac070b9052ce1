import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import type { PolicyBundle } from './runner.js';
import {
  fieldPath,
  INPUT_FILE_MAX_BYTES,
  JsPolicySpecSchema,
  parseCase,
  PolicyforgeError,
  readInputFile,
  type JsPolicy,
  type Suite,
} from '../common/index.js';

/**
 * Suites (`../shared/intents/README.md` format) and JsPolicy documents: YAML in, typed values out.
 * Every error names the file, the case (by name, or by index when it has none) and the field.
 */

const labels = z.record(z.string(), z.string());

const policySchema = z.object({
  apiVersion: z.literal('policy.jspolicy.com/v1beta1'),
  kind: z.literal('JsPolicy'),
  metadata: z
    .object({
      name: z
        .string()
        .regex(
          /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?){2,}$/,
          'must be a DNS subdomain with at least three dot-separated parts, e.g. no-prod-pods.example.com',
        ),
      labels: labels.optional(),
      annotations: labels.optional(),
      ownerReferences: z
        .array(z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string() }).loose())
        .optional(),
    })
    .loose(),
  // common's JsPolicy spec (what jsPolicy's webhook accepts); fields it does not know are left to the lints.
  spec: JsPolicySpecSchema.loose(),
});

function readYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) throw new PolicyforgeError('PF_ERR_INPUT_YAML', [source, doc.errors[0].message]);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // yaml refuses alias bombs ("Excessive alias count …"): bad input, not a crash.
    throw new PolicyforgeError('PF_ERR_INPUT_YAML', [source, (err as Error).message]);
  }
}

/** Parses one suite; `source` (a file name) appears in every error. */
export function parseSuite(text: string, source = 'suite'): Suite {
  const raw = readYaml(text, source);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [source, 'a suite is a mapping with `intent` and `cases`']);
  const doc = raw as Record<string, unknown>;
  if (typeof doc.intent !== 'string' || !doc.intent.trim())
    throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [source, 'field `intent` must be a non-empty string']);
  if (!Array.isArray(doc.cases) || doc.cases.length === 0)
    throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [source, 'field `cases` must be a non-empty list']);
  const extra = Object.keys(doc).filter((k) => k !== 'intent' && k !== 'cases');
  if (extra.length)
    throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [
      source,
      `unknown field \`${extra[0]}\` (a suite has only intent and cases)`,
    ]);
  const cases = doc.cases.map((c, i) => parseCase(c, `${source} case ${caseLabel(c, i)}`));
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name))
      throw new PolicyforgeError('PF_ERR_SUITE_INVALID', [
        `${source} case "${c.name}"`,
        'field `name`: must be unique in the file',
      ]);
    seen.add(c.name);
  }
  return { intent: doc.intent, cases, source };
}

function caseLabel(c: unknown, index: number): string {
  const name = c && typeof c === 'object' ? (c as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name ? `"${name}"` : `#${index + 1}`;
}

/** One case of the suite format: common's parseCase (TestCaseSchema), where suites have always exported it. */
export { parseCase };

export async function loadSuite(path: string): Promise<Suite> {
  return parseSuite(await readText(path), path);
}

/**
 * Parses and validates a JsPolicy document the way jsPolicy's own webhook would accept it. Without
 * `bundleOnly` it must carry spec.javascript (policyforge never makes JsPolicyBundles); with it an empty one
 * means the policy runs a JsPolicyBundle of its name (parsePolicyFile).
 */
export function parsePolicy(text: string, source = 'policy', options: { bundleOnly?: boolean } = {}): JsPolicy {
  return checkPolicy(readYaml(text, source), source, options);
}

function checkPolicy(raw: unknown, source: string, options: { bundleOnly?: boolean }): JsPolicy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [
      source,
      `field \`${fieldPath(issue.path) || '(document)'}\`: ${issue.message}`,
    ]);
  }
  const policy = parsed.data as JsPolicy;
  const spec = policy.spec;
  const fail = (field: string, why: string): never => {
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [source, `field \`${field}\`: ${why}`]);
  };
  if (!spec.javascript && !options.bundleOnly) {
    fail('spec.javascript', 'is empty: jsPolicy would run a JsPolicyBundle of the same name (test --bundle)');
  }
  if (spec.operations.includes('*') && spec.operations.length > 1) fail('spec.operations', '`*` must be alone');
  for (const f of ['apiGroups', 'apiVersions'] as const) {
    const list = spec[f];
    if (list && list.includes('*') && list.length > 1) fail(`spec.${f}`, '`*` must be alone');
  }
  if (spec.type === 'Controller') {
    if (spec.operations.some((o) => o !== 'CREATE' && o !== 'DELETE' && o !== '*'))
      fail('spec.operations', 'a Controller policy allows only CREATE, DELETE or `*`');
    if (spec.resources.some((r) => r.includes('*'))) fail('spec.resources', 'a Controller policy cannot use `*`');
  }
  return policy;
}

export async function loadPolicy(path: string): Promise<JsPolicy> {
  return parsePolicy(await readText(path), path);
}

const bundleSchema = z.object({
  apiVersion: z.literal('policy.jspolicy.com/v1beta1'),
  kind: z.literal('JsPolicyBundle'),
  metadata: z.object({ name: z.string().min(1) }).loose(),
  spec: z
    .object({
      bundle: z
        .string()
        .regex(/^[A-Za-z0-9+/=\s]*$/, 'must be base64 (gzipped javascript)')
        .optional(),
    })
    .loose(),
});

/** The documents of a YAML stream (`---` separated), empty ones skipped, as kubectl apply -f reads a file. */
function readYamlStream(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new PolicyforgeError('PF_ERR_INPUT_YAML', [source, doc.errors[0].message]);
    try {
      const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (value !== null && value !== undefined) out.push(value);
    } catch (err) {
      throw new PolicyforgeError('PF_ERR_INPUT_YAML', [source, (err as Error).message]);
    }
  }
  return out;
}

function checkBundle(raw: unknown, source: string): PolicyBundle {
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = fieldPath(issue.path) || '(document)';
    const why = `JsPolicyBundle field \`${field}\`: ${issue.message}`;
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [source, why]);
  }
  return parsed.data as PolicyBundle;
}

const kindOf = (doc: unknown) => (doc && typeof doc === 'object' ? (doc as { kind?: unknown }).kind : undefined);

/**
 * A policy file as `kubectl apply -f` takes it: one JsPolicy, and the JsPolicyBundles it may come with (a
 * policy without spec.javascript runs the bundle of its name, as upstream's examples/by-feature/precompiled.yaml).
 */
export function parsePolicyFile(text: string, source = 'policy'): { policy: JsPolicy; bundles: PolicyBundle[] } {
  const docs = readYamlStream(text, source);
  const policies = docs.filter((d) => kindOf(d) !== 'JsPolicyBundle');
  if (policies.length !== 1) {
    const found = `expected one JsPolicy document, found ${policies.length} (besides JsPolicyBundles)`;
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [source, found]);
  }
  const bundles = docs.filter((d) => kindOf(d) === 'JsPolicyBundle').map((d) => checkBundle(d, source));
  return { policy: checkPolicy(policies[0], source, { bundleOnly: true }), bundles };
}

/** The JsPolicyBundle documents of a file (`policyforge test --bundle`). */
export function parsePolicyBundles(text: string, source = 'bundle'): PolicyBundle[] {
  const docs = readYamlStream(text, source);
  if (docs.length === 0) throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [source, 'holds no JsPolicyBundle']);
  return docs.map((d) => checkBundle(d, source));
}

export async function loadPolicyFile(path: string): Promise<{ policy: JsPolicy; bundles: PolicyBundle[] }> {
  return parsePolicyFile(await readText(path), path);
}

export async function loadPolicyBundles(path: string): Promise<PolicyBundle[]> {
  return parsePolicyBundles(await readText(path), path);
}

/**
 * A JsPolicy document as written, schema unchecked, for `policyforge lint`, which reports every schema
 * problem as a finding in one run. Only what is not a policy document at all is an error: a file that
 * cannot be read, text that is not YAML, or a document that is not a mapping.
 */
export async function loadPolicyDocument(path: string): Promise<JsPolicy> {
  const raw = readYaml(await readText(path), path);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [
      path,
      'the document is not a mapping (a JsPolicy is apiVersion, kind, metadata and spec)',
    ]);
  }
  return raw as JsPolicy;
}

/** YAML for a JsPolicy, block-style javascript so it reads like the source. */
export function serializePolicy(policy: JsPolicy): string {
  return stringify(policy, { lineWidth: 0, blockQuote: 'literal' });
}

/** Size-capped, regular files only (common/input-file.ts): a FIFO would hang the read, /dev/zero or a huge file exhaust memory. */
async function readText(path: string): Promise<string> {
  return readInputFile(path, { maxBytes: INPUT_FILE_MAX_BYTES });
}
