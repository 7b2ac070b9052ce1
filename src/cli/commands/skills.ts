import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { pfError, type ReviewState, type Skill, type StoredPolicy } from '../../../common/index.js';
import {
  exportSkills,
  importSkills,
  openSkillStore,
  policiesToOpenAIJsonl,
  REVIEW_STATES,
  skillStoreConfigFromEnv,
  SkillLibrary,
  type SkillLibraryOptions,
  type SkillStore,
} from '../../../skills/index.js';
import { createSandbox } from '../../../sandbox/index.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';

interface StoreFlags {
  store?: string;
  json?: boolean;
}

interface ReviewFlags extends StoreFlags {
  reviewer?: string;
  comment?: string;
}

// `policyforge skills list|search|show|approve|reject|deprecate|export|import` — review and exchange of the
// skill library. Every subcommand opens the configured store (--store, $POLICYFORGE_SKILL_STORE, or the
// SQLite file under $POLICYFORGE_HOME) with the built-in skills seeded.
export const registerSkills: RegisterCommand = (program, { io }) => {
  const print = (flags: StoreFlags, value: unknown, human: () => string): void => printTo(io, flags, value, human);
  const withLibrary = (flags: StoreFlags, fn: (store: SkillStore) => Promise<void>): Promise<void> =>
    openLibrary(io, flags, fn);
  const skills = program.command('skills').description('review, search and exchange the skill library');
  const withStore = (cmd: Command): Command =>
    cmd
      .option(
        '--store <spec>',
        'skill store: a SQLite path or a redis:// URL (default: $POLICYFORGE_SKILL_STORE or ~/.policyforge/skills.sqlite)',
      )
      .option('--json', 'print JSON');

  withStore(skills.command('list').description('list skills (highest version of each name unless --all-versions)'))
    .option('--state <state>', `only this review state (${REVIEW_STATES.join(', ')})`)
    .option('--all-versions', 'every version, not only the highest')
    .option('--policies', 'list stored verified policies instead of skills')
    .action((flags: StoreFlags & { state?: string; allVersions?: boolean; policies?: boolean }) =>
      withLibrary(flags, async (store) => {
        if (flags.policies) {
          const policies = (await store.listPolicies()).filter(
            (p) => !flags.state || p.state === parseState(flags.state),
          );
          print(flags, policies, () => policies.map(policyLine).join('\n') || '(no stored policies)');
          return;
        }
        const list = await store.listSkills({
          ...(flags.state ? { state: parseState(flags.state) } : {}),
          latestOnly: !flags.allVersions,
        });
        print(flags, list, () => list.map(skillLine).join('\n') || '(no skills)');
      }),
    );

  withStore(skills.command('search').description('the skills retrieval would give the coder for this text'))
    .argument('<query...>', 'intent text (and plan steps)')
    .option('-k, --top <n>', 'how many', '5')
    .option('--candidates', 'include candidate skills (after approved ones)')
    .option('--lexical', 'rank by words only (BM25+), without the embedding model even when one is configured')
    .option('--offline', 'do not call a model even when one is configured (as generate --offline): lexical ranking')
    .action(
      async (
        query: string[],
        flags: StoreFlags & { top: string; candidates?: boolean; lexical?: boolean; offline?: boolean },
      ) => {
        const k = Number(flags.top);
        if (!Number.isInteger(k) || k < 1)
          throw pfError('PF_ERR_INPUT_INVALID', '--top', `"${flags.top}" is not a positive whole number`);
        // The model configuration is read as generate reads it (a bad one is the same PF_ERR_CONFIG, exit 2,
        // before the store is opened), and the embeddings are the loop's, under the loop's cache key.
        const ranking = flags.lexical || flags.offline ? {} : await loopEmbeddings(io.env);
        await withLibrary(flags, async (store) => {
          const found = await new SkillLibrary(store, { includeCandidates: flags.candidates, ...ranking }).search(
            query.join(' '),
            k,
          );
          print(flags, found, () => found.map(skillLine).join('\n') || '(no matching skills)');
        });
      },
    );

  withStore(
    skills
      .command('show')
      .description('a skill (id, or name for its highest version) or a stored policy (policy-… id)'),
  )
    .argument('<id>', 'e.g. imageTag@1, imageTag, or policy-0123abcd4567')
    .action((id: string, flags: StoreFlags) =>
      withLibrary(flags, async (store) => {
        if (id.startsWith('policy-')) {
          const policy = await store.getPolicy(id);
          if (!policy) throw pfError('PF_ERR_NOT_FOUND', `stored policy ${id}`);
          print(flags, policy, () => showPolicy(policy));
          return;
        }
        const skill = await findSkill(store, id);
        print(flags, skill, () => showSkill(skill));
      }),
    );

  const review = (state: ReviewState, verb: string): void => {
    withStore(
      skills.command(verb).description(`${verb} a skill or stored policy (recorded with reviewer, comment and time)`),
    )
      .argument('<id>', 'skill id (name@version) or stored policy id (policy-…)')
      .option('--reviewer <name>', 'who reviews (default: the current user)')
      .option('--comment <text>', 'why')
      .action((id: string, flags: ReviewFlags) =>
        withLibrary(flags, async (store) => {
          const input = {
            state,
            reviewer: flags.reviewer ?? defaultReviewer(io.env),
            ...(flags.comment ? { comment: flags.comment } : {}),
          };
          if (id.startsWith('policy-')) {
            const p = await store.reviewPolicy(id, input);
            print(flags, p, () => `${p.id} is now ${p.state}`);
            return;
          }
          if (!id.includes('@'))
            throw pfError(
              'PF_ERR_INPUT_INVALID',
              id,
              'review a specific version: give name@version (see `policyforge skills list --all-versions`)',
            );
          const s = await store.reviewSkill(id, input);
          print(flags, s, () => `${s.id} is now ${s.state}`);
        }),
      );
  };
  review('approved', 'approve');
  review('rejected', 'reject');
  review('deprecated', 'deprecate');

  withStore(
    skills
      .command('export')
      .description('write one <name>.js + <name>.yaml pair per skill, or approved runs as OpenAI fine-tuning JSONL'),
  )
    .argument('[dir]', 'folder for the file pairs (files format)')
    .option('--format <format>', 'files | openai-jsonl', 'files')
    .option('--state <state>', 'only skills in this state (files format; default: every state)')
    .option('--out <file>', 'openai-jsonl: write here instead of stdout')
    .action((dir: string | undefined, flags: StoreFlags & { format: string; state?: string; out?: string }) =>
      withLibrary(flags, async (store) => {
        if (flags.format === 'openai-jsonl') {
          const policies = await store.listPolicies();
          const jsonl = policiesToOpenAIJsonl(policies);
          const count = jsonl ? jsonl.trimEnd().split('\n').length : 0;
          if (flags.out) {
            await writeFile(flags.out, jsonl);
            io.stderr.write(`wrote ${count} fine-tuning example(s) (approved stored policies) to ${flags.out}\n`);
          } else io.stdout.write(jsonl);
          return;
        }
        if (flags.format !== 'files')
          throw pfError('PF_ERR_INPUT_INVALID', '--format', `"${flags.format}" is not files or openai-jsonl`);
        if (!dir) throw pfError('PF_ERR_INPUT_INVALID', 'export', 'give the folder to write the skill files to');
        const list = await store.listSkills(flags.state ? { state: parseState(flags.state) } : {});
        const files = await exportSkills(list, dir);
        print(flags, { files }, () => `wrote ${files.length / 2} skill(s) to ${dir}`);
      }),
    );

  withStore(
    skills
      .command('import')
      .description('validate and add the skill file pairs of a folder (as candidates unless --keep-state)'),
  )
    .argument('<dir>', 'folder of <name>.js + <name>.yaml pairs')
    .option('--keep-state', 'keep the review state and history the files carry (trusted source)')
    .option('--no-tests', "do not run the skills' tests in the sandbox before importing")
    .action((dir: string, flags: StoreFlags & { keepState?: boolean; tests: boolean }) =>
      withLibrary(flags, async (store) => {
        // The skills' code is untrusted: it runs in a child process, so a crash is exit 3, never this process's death.
        const sandbox = flags.tests ? createSandbox({ isolation: 'process', processes: 1 }) : undefined;
        let report: Awaited<ReturnType<typeof importSkills>>;
        try {
          report = await importSkills(store, dir, { keepState: flags.keepState, sandbox });
        } finally {
          await sandbox?.close();
        }
        print(flags, report, () =>
          [
            `added ${report.added.length}: ${report.added.join(', ') || '-'}`,
            `already present ${report.duplicates.length}: ${report.duplicates.join(', ') || '-'}`,
          ].join('\n'),
        );
      }),
    );
};

/**
 * The embeddings src/loop/create-generator.ts gives the loop's SkillLibrary, from the same environment:
 * createEmbeddings(model) and the model's embeddingsModel as the store's cache key, so the search ranks as
 * the coder's retrieval does and reuses (and fills) the same cached skill vectors. Nothing when no model
 * or no embedding model (POLICYFORGE_EMBEDDINGS_MODEL) is configured. If the embedding model fails,
 * SkillLibrary ranks lexically and logs a warning on stderr (key scrubbed), as it does for the loop.
 * agents/ (langchain) is loaded only here, so the other subcommands do not pay for it.
 */
async function loopEmbeddings(
  env: NodeJS.ProcessEnv,
): Promise<Pick<SkillLibraryOptions, 'embeddings' | 'embeddingModel'>> {
  const { createEmbeddings, loadModelConfig } = await import('../../../agents/index.js');
  const model = loadModelConfig(env);
  const embeddings = model ? createEmbeddings(model) : undefined;
  if (!model || !embeddings) return {};
  return { embeddings, embeddingModel: model.embeddingsModel };
}

/** Opens the store, makes sure the built-in skills are in it, runs `fn`, closes the store. */
async function openLibrary(io: CliIo, flags: StoreFlags, fn: (store: SkillStore) => Promise<void>): Promise<void> {
  const store = await openSkillStore(flags.store ?? skillStoreConfigFromEnv(io.env));
  try {
    await new SkillLibrary(store).seedBuiltins();
    await fn(store);
  } finally {
    await store.close();
  }
}

function printTo(io: CliIo, flags: StoreFlags, value: unknown, human: () => string): void {
  io.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

function parseState(state: string): ReviewState {
  if (!(REVIEW_STATES as readonly string[]).includes(state))
    throw pfError('PF_ERR_INPUT_INVALID', '--state', `"${state}" is not one of ${REVIEW_STATES.join(', ')}`);
  return state as ReviewState;
}

async function findSkill(store: SkillStore, idOrName: string): Promise<Skill> {
  const skill = idOrName.includes('@')
    ? await store.getSkill(idOrName)
    : (await store.findSkillsByName(idOrName)).at(-1);
  if (!skill) throw pfError('PF_ERR_NOT_FOUND', `skill ${idOrName}`);
  return skill;
}

function defaultReviewer(env: NodeJS.ProcessEnv): string {
  try {
    return env.POLICYFORGE_REVIEWER || userInfo().username;
  } catch {
    return env.USER || 'unknown';
  }
}

function skillLine(s: Skill): string {
  return `${s.id.padEnd(28)} ${s.state.padEnd(10)} ${String(s.usage.retrieved).padStart(4)}r ${String(s.usage.used).padStart(3)}u  ${s.description}`;
}

function policyLine(p: StoredPolicy): string {
  return `${p.id.padEnd(20)} ${p.state.padEnd(10)} ${p.intent}`;
}

function showSkill(s: Skill): string {
  const lines = [
    `${s.id}  (${s.state})`,
    s.description,
    `provenance: ${s.provenance.source}${s.provenance.intent ? `, intent "${s.provenance.intent}"` : ''}${s.provenance.model ? `, model ${s.provenance.model}` : ''}${s.provenance.round ? `, round ${s.provenance.round}` : ''}${s.provenance.tokens ? `, ${s.provenance.tokens} tokens` : ''}, ${s.provenance.date}`,
    `usage: retrieved ${s.usage.retrieved}, used ${s.usage.used}${s.dependsOn?.length ? `; calls ${s.dependsOn.join(', ')}` : ''}`,
    ...s.reviews.map((r) => `review: ${r.state} by ${r.reviewer} at ${r.at}${r.comment ? ` — ${r.comment}` : ''}`),
    '',
    s.code.trimEnd(),
    '',
    `tests (${s.tests.length}):`,
    ...s.tests.map(
      (t) =>
        `  ${t.name}: ${s.name}(${t.args.map((a) => JSON.stringify(a)).join(', ')}) → ${JSON.stringify(t.expected)}`,
    ),
  ];
  return lines.join('\n');
}

function showPolicy(p: StoredPolicy): string {
  return [
    `${p.id}  (${p.state})`,
    `intent: ${p.intent}`,
    `skills: ${p.skills.join(', ') || '-'}`,
    `provenance: ${p.provenance.source}${p.provenance.model ? `, model ${p.provenance.model}` : ''}, ${p.provenance.date}`,
    ...(p.reviews ?? []).map(
      (r) => `review: ${r.state} by ${r.reviewer} at ${r.at}${r.comment ? ` — ${r.comment}` : ''}`,
    ),
    '',
    p.policy.spec.javascript ?? '',
  ].join('\n');
}
