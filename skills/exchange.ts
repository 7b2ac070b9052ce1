import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { pfError, type Skill, type StoredPolicy } from '../common/index.js';
import { inlineSkills } from './inline.js';
import type { SkillSandbox } from './library.js';
import { readSkillDir, SKILL_NAME, skillToFiles, type SkillFilePair } from './skill-files.js';
import type { SkillStore } from './types.js';

/**
 * Writes one `<name>.js` + `<name>.yaml` pair per skill (the highest version of each name given), so a
 * team reviews skills in a pull request and imports them elsewhere. Returns the files written. Names come
 * from a store anyone may have filled: every name must be an identifier (no `../`), and no file is written
 * through a symbolic link planted in the folder.
 */
export async function exportSkills(skills: readonly Skill[], dir: string): Promise<string[]> {
  const latest = new Map<string, Skill>();
  for (const s of skills) {
    if (!SKILL_NAME.test(s.name))
      throw pfError(
        'PF_ERR_SKILL_INVALID',
        `skill ${JSON.stringify(s.name.slice(0, 80))}`,
        'its name is not a JavaScript identifier, so it cannot be a file name; nothing was written',
      );
    if ((latest.get(s.name)?.version ?? 0) < s.version) latest.set(s.name, s);
  }
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const skill of [...latest.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const files = skillToFiles(skill);
    await writeNoFollow(join(dir, `${skill.name}.js`), files.js);
    await writeNoFollow(join(dir, `${skill.name}.yaml`), files.yaml);
    written.push(join(dir, `${skill.name}.js`), join(dir, `${skill.name}.yaml`));
  }
  return written;
}

/** Creates or truncates a regular file; a symbolic link in its place is refused (O_NOFOLLOW), not followed. */
async function writeNoFollow(path: string, text: string): Promise<void> {
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o644,
  ).catch((err: NodeJS.ErrnoException) => {
    throw pfError(
      'PF_ERR_INPUT_FILE',
      path,
      err.code === 'ELOOP' ? 'it is a symbolic link; export does not write through links' : (err.code ?? String(err)),
    );
  });
  try {
    if (!(await handle.stat()).isFile())
      throw pfError('PF_ERR_INPUT_FILE', path, 'it is not a regular file; export writes only regular files');
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

export interface ImportOptions {
  /** Keep the state and review history the files carry (a trusted source) instead of starting as candidates. @defaultValue false */
  keepState?: boolean;
  /** Who imported (recorded in the provenance of candidates). @defaultValue undefined */
  importedBy?: string;
  /** @defaultValue () => new Date() */
  now?: () => Date;
  /**
   * When given, every skill's tests run in it (with the skills it calls, from the folder or the store's
   * approved ones) before anything is added; one failing test refuses the whole import. @defaultValue undefined
   */
  sandbox?: Pick<SkillSandbox, 'runFunctionTests'>;
}

export interface ImportReport {
  added: string[];
  duplicates: string[];
}

/**
 * Validates every pair in a folder first (nothing is written when one is invalid), then adds them:
 * as candidates with provenance source `imported`, or, with keepState, in the state they were exported in.
 */
export async function importSkills(store: SkillStore, dir: string, options: ImportOptions = {}): Promise<ImportReport> {
  const pairs = await readSkillDir(dir);
  const now = options.now ?? (() => new Date());
  if (options.sandbox) await checkTests(store, pairs, options.sandbox);
  const report: ImportReport = { added: [], duplicates: [] };
  for (const { meta, code } of pairs) {
    const provenance = {
      ...(meta.provenance ?? {}),
      date: meta.provenance?.date ?? now().toISOString(),
      source: options.keepState ? (meta.provenance?.source ?? 'imported') : 'imported',
    } as Skill['provenance'];
    const put = await store.putSkill({
      name: meta.name,
      description: meta.description,
      code,
      tests: meta.tests.map((t) => ({ name: t.name, args: t.args, expected: t.expected })),
      provenance,
      state: options.keepState ? (meta.state ?? 'candidate') : 'candidate',
      reviews: options.keepState ? (meta.reviews ?? []) : [],
      dependsOn: meta.dependsOn,
    });
    (put.status === 'duplicate' ? report.duplicates : report.added).push(put.skill.id);
  }
  return report;
}

async function checkTests(
  store: SkillStore,
  pairs: SkillFilePair[],
  sandbox: Pick<SkillSandbox, 'runFunctionTests'>,
): Promise<void> {
  const asSkill = ({ meta, code }: SkillFilePair): Skill => ({
    id: `${meta.name}@import`,
    name: meta.name,
    version: Number.MAX_SAFE_INTEGER, // the folder's version of a name wins over the store's
    description: meta.description,
    code,
    tests: meta.tests,
    provenance: { date: '', source: 'imported' },
    state: 'candidate',
    reviews: [],
    usage: { retrieved: 0, used: 0 },
  });
  const pool = [...(await store.listSkills({ state: 'approved', latestOnly: true })), ...pairs.map(asSkill)];
  for (const pair of pairs) {
    if (!pair.meta.tests.length) continue;
    const code = inlineSkills(
      pair.code,
      pool.filter((s) => s.name !== pair.meta.name),
    );
    const results = await sandbox.runFunctionTests(code, pair.meta.name, pair.meta.tests);
    const failed = results.find((r) => !r.passed);
    if (failed)
      throw pfError(
        'PF_ERR_SKILL_INVALID',
        `${pair.source} test "${failed.name}"`,
        `fails in the sandbox: ${failed.error ?? 'wrong result'}`,
      );
  }
}

/** The system message of the fine-tuning examples: what the assistant is being taught to do. */
export const POLICY_SYSTEM_PROMPT =
  'You write jsPolicy JsPolicy resources (policy.jspolicy.com/v1beta1) for Kubernetes from a plain-language intent. ' +
  'Answer with the JsPolicy YAML only: scope it to the namespaces the intent names, exclude system namespaces, ' +
  'use failurePolicy Ignore unless asked otherwise, only the operations needed, and JavaScript that never throws on unusual objects.';

/**
 * Approved stored policies as OpenAI chat fine-tuning examples, one JSON object per line:
 * {"messages":[system, user = the intent, assistant = the verified JsPolicy as YAML]}.
 */
export function policiesToOpenAIJsonl(policies: readonly StoredPolicy[]): string {
  return policies
    .filter((p) => p.state === 'approved')
    .map((p) =>
      JSON.stringify({
        messages: [
          { role: 'system', content: POLICY_SYSTEM_PROMPT },
          { role: 'user', content: p.intent },
          { role: 'assistant', content: stringifyYaml(p.policy, { lineWidth: 0 }) },
        ],
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}
