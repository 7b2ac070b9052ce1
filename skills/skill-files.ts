import { readdir } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { pfError, readInputFile, type Skill } from '../common/index.js';
import { topLevelFunctions } from './analyse.js';
import { REVIEW_STATES } from './types.js';

/**
 * The reviewable on-disk form of a skill: `<name>.js` holds exactly one function declaration named
 * `<name>`; `<name>.yaml` holds its description, tests and (when exported) review history and provenance.
 * The built-in library (skills/builtin/) and `policyforge skills export|import` use the same form.
 */
const reviewSchema = z.object({
  state: z.enum(REVIEW_STATES),
  reviewer: z.string().min(1),
  comment: z.string().optional(),
  at: z.string().min(1),
});

/** A skill's name: a JavaScript identifier, which is also what makes it safe as a file name. */
export const SKILL_NAME = /^[A-Za-z_$][\w$]*$/;

/** Largest skill file `skills import` reads (code or metadata). */
export const SKILL_FILE_MAX_BYTES = 256 * 1024;

const skillMetaSchema = z
  .object({
    name: z.string().regex(SKILL_NAME, 'must be a JavaScript identifier'),
    id: z.string().optional(),
    version: z.number().int().positive().optional(),
    description: z.string().min(1, 'must say in one line what the function does'),
    state: z.enum(REVIEW_STATES).optional(),
    reviews: z.array(reviewSchema).optional(),
    provenance: z
      .object({
        intent: z.string().optional(),
        model: z.string().optional(),
        round: z.number().optional(),
        tokens: z.number().optional(),
        date: z.string(),
        source: z.enum(['builtin', 'generated', 'imported']),
      })
      .optional(),
    dependsOn: z.array(z.string()).optional(),
    usage: z.object({ retrieved: z.number().int().min(0), used: z.number().int().min(0) }).optional(),
    tests: z.array(z.object({ name: z.string().min(1), args: z.array(z.unknown()), expected: z.unknown() }).strict()),
  })
  .strict();

export type SkillMeta = z.infer<typeof skillMetaSchema>;

/** Both files of one skill, validated; errors name the file and the field. */
export interface SkillFilePair {
  meta: SkillMeta;
  code: string;
  source: string;
}

export function parseSkillFiles(code: string, yamlText: string, source: { js: string; yaml: string }): SkillFilePair {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw pfError('PF_ERR_INPUT_YAML', source.yaml, (err as Error).message);
  }
  const parsed = skillMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw pfError('PF_ERR_SKILL_INVALID', `${source.yaml} field ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  const meta = parsed.data;
  const names = new Set<string>();
  for (const t of meta.tests) {
    if (names.has(t.name))
      throw pfError('PF_ERR_SKILL_INVALID', `${source.yaml} test "${t.name}"`, 'test names must be unique');
    names.add(t.name);
  }
  const fns = topLevelFunctions(code);
  if (
    fns.length !== 1 ||
    fns[0].name !== meta.name ||
    fns[0].start !== code.search(/\S/) ||
    code.slice(fns[0].end).trim() !== ''
  ) {
    throw pfError(
      'PF_ERR_SKILL_INVALID',
      source.js,
      `must hold exactly one function declaration named ${meta.name} and nothing else (found ${fns.map((f) => f.name).join(', ') || 'no parseable function'})`,
    );
  }
  return { meta, code: code.trim() + '\n', source: source.yaml };
}

/**
 * Reads every `<name>.yaml` + `<name>.js` pair of a folder (sorted by name). A yaml without its js is an
 * error. The folder may come from anyone: symbolic links are not followed, only regular files are read,
 * and each file is capped at SKILL_FILE_MAX_BYTES.
 */
export async function readSkillDir(dir: string): Promise<SkillFilePair[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw pfError('PF_ERR_INPUT_FILE', dir, (err as Error).message);
  }
  const out: SkillFilePair[] = [];
  for (const file of entries.filter((f) => f.endsWith('.yaml')).sort()) {
    const base = file.slice(0, -'.yaml'.length);
    const yamlPath = join(dir, file);
    const jsPath = join(dir, `${base}.js`);
    const read = { maxBytes: SKILL_FILE_MAX_BYTES, followSymlinks: false };
    const yamlText = await readInputFile(yamlPath, read);
    const code = await readInputFile(jsPath, read).catch((err: Error) => {
      throw err.message.includes('ENOENT')
        ? pfError('PF_ERR_INPUT_FILE', jsPath, `ENOENT (every ${file} needs its ${base}.js)`)
        : err;
    });
    out.push(parseSkillFiles(code, yamlText, { js: jsPath, yaml: yamlPath }));
  }
  return out;
}

/** Synchronous variant for the built-in library, read once at module load. */
export function readSkillDirSync(dir: string): SkillFilePair[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const base = file.slice(0, -'.yaml'.length);
      return parseSkillFiles(readFileSync(join(dir, `${base}.js`), 'utf8'), readFileSync(join(dir, file), 'utf8'), {
        js: join(dir, `${base}.js`),
        yaml: join(dir, file),
      });
    });
}

/** The files of one skill: code as written, metadata with everything a reviewer needs to judge it. */
export function skillToFiles(skill: Skill): { js: string; yaml: string } {
  const meta: SkillMeta = {
    name: skill.name,
    id: skill.id,
    version: skill.version,
    description: skill.description,
    state: skill.state,
    reviews: skill.reviews,
    provenance: skill.provenance,
    ...(skill.dependsOn?.length ? { dependsOn: skill.dependsOn } : {}),
    usage: skill.usage,
    tests: skill.tests.map((t) => ({ name: t.name, args: t.args, expected: t.expected })),
  };
  return { js: skill.code.trim() + '\n', yaml: stringifyYaml(meta, { lineWidth: 0 }) };
}
