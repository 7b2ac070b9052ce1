import { JSPOLICY_HOST_NAMES, type Plan, type Provenance, type Skill } from '../common/index.js';
import { topLevelFunctions } from './analyse.js';
import { codeHash } from './normalise.js';
import type { SkillDraft } from './types.js';

export interface ExtractedSkill extends SkillDraft {
  /** How the policy wrote it: `const` helpers are rewritten as declarations (same behaviour, see analyse.ts). */
  form: 'function' | 'const';
  /** Where the helper is in the policy's source, [start, end). */
  span: [number, number];
}

export interface ExtractOptions {
  /** Descriptions of the plan's steps are used for helpers named after them. */
  plan?: Plan;
  provenance?: Provenance;
  /** Skills already known (e.g. the inlined built-ins): helpers with the same normalised code are not extracted again. */
  known?: readonly Skill[];
}

/**
 * The candidate skills a verified policy offers: its top-level helper functions that are pure (use no
 * jsPolicy host function and not `request`). Tests are added by the caller from the cases that ran
 * (SkillLibrary.learn); here each gets its description from the plan step of the same name, the comment
 * above it, or a generic line naming the intent.
 */
export function extractSkills(javascript: string, options: ExtractOptions = {}): ExtractedSkill[] {
  const fns = topLevelFunctions(javascript);
  const knownHashes = new Set((options.known ?? []).map((s) => codeHash(s.code)));
  const names = new Set(fns.map((f) => f.name));
  const host = new Set<string>(JSPOLICY_HOST_NAMES);
  const steps = new Map((options.plan?.steps ?? []).map((s) => [s.name, s.description]));
  const knownNames = new Set((options.known ?? []).map((s) => s.name));
  const provenance: Provenance = options.provenance ?? { date: new Date().toISOString(), source: 'generated' };

  const pure = fns.filter((f) => ![...f.free].some((n) => host.has(n)));
  // A helper calling an impure helper is impure too.
  const pureNames = new Set(pure.map((f) => f.name));
  const impure = new Set(fns.filter((f) => !pureNames.has(f.name)).map((f) => f.name));
  let changed = true;
  while (changed) {
    changed = false;
    for (const f of pure) {
      if (!impure.has(f.name) && [...f.free].some((n) => impure.has(n))) {
        impure.add(f.name);
        changed = true;
      }
    }
  }
  return pure
    .filter((f) => !impure.has(f.name) && !knownHashes.has(codeHash(f.code)))
    .map((f) => {
      const dependsOn = [...f.free].filter((n) => (names.has(n) || knownNames.has(n)) && n !== f.name).sort();
      return {
        name: f.name,
        description:
          steps.get(f.name) ??
          f.comment ??
          `Helper ${f.name} from the verified policy for "${provenance.intent ?? 'an intent'}".`,
        code: f.code.trim() + '\n',
        tests: [],
        provenance,
        state: 'candidate',
        ...(dependsOn.length ? { dependsOn } : {}),
        form: f.form,
        span: [f.start, f.end],
      } satisfies ExtractedSkill;
    });
}
