import { createHash } from 'node:crypto';
import {
  MODE_TO_VIOLATION_POLICY,
  ownJsPolicy,
  ownerPolicyName,
  POLICY_NAME_SUFFIX,
  type Intent,
  type JsPolicy,
  type JsPolicySpec,
} from '../common/index.js';

/**
 * Our code, not the model, decides what a JsPolicy is called and who owns it: the model proposes only a
 * spec. The name is a DNS subdomain with at least three parts, as jsPolicy requires.
 */

export { POLICY_NAME_SUFFIX };
const STOP = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'and',
  'or',
  'any',
  'every',
  'all',
  'that',
  'which',
  'with',
  'must',
  'may',
  'be',
  'is',
  'are',
  'on',
  'for',
]);

/** `<slug>.policyforge.dev` from the intent text, or from the owner's name when there is an owner. */
export function policyNameFor(intent: Intent): string {
  if (intent.owner) return ownerPolicyName(intent.owner);
  const words = intent.text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter((w) => w && !STOP.has(w));
  let slug = '';
  for (const w of words) {
    if ((slug ? slug.length + 1 : 0) + w.length > 40) break;
    slug = slug ? `${slug}-${w}` : w;
  }
  if (!slug) slug = 'policy';
  // Intents sharing their first words must not share a name: add a short hash when words were cut off.
  if (slug.split('-').length < words.length) slug = `${slug}-${hash(intent.text).slice(0, 6)}`;
  return `${slug}.${POLICY_NAME_SUFFIX}`;
}

export { MODE_TO_VIOLATION_POLICY };

/**
 * The intent's mode (GPTPolicy spec.mode) as the policy's violationPolicy. Cases are written and verified
 * in Enforce terms (what the policy decides); the mode only says what jsPolicy does with a rejection, so
 * it is applied to the verified policy, not to the one the cases run against.
 */
export function applyMode(policy: JsPolicy, mode: keyof typeof MODE_TO_VIOLATION_POLICY | undefined): JsPolicy {
  if (!mode) return policy;
  return { ...policy, spec: { ...policy.spec, violationPolicy: MODE_TO_VIOLATION_POLICY[mode] } };
}

/**
 * A whole JsPolicy around a proposed spec, through common's one envelope (ownJsPolicy): the operator wraps
 * the result in the same one, so what is verified here is what it applies.
 */
export function assemblePolicy(spec: JsPolicySpec, intent: Intent): JsPolicy {
  return ownJsPolicy(spec, intent.owner, { name: policyNameFor(intent), failurePolicy: intent.options?.failurePolicy });
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
