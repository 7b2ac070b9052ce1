import { writeFile } from 'node:fs/promises';
import { offlineFamilies } from '../../../agents/index.js';
import {
  IntentSchema,
  logger,
  pfError,
  PolicyforgeError,
  schemaIssues,
  type GenerationResult,
  type Intent,
  type ProgressEvent,
} from '../../../common/index.js';
import { renderReport } from '../../../critic/index.js';
import { escapeForTerminal, serializePolicy } from '../../../sandbox/index.js';
import { createGenerator } from '../../loop/index.js';
import { DEFAULT_DENY_THRESHOLD } from '../../impact/index.js';
import { generationImpact, impactWarning, parseDenyThreshold } from './against.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';

interface GenerateFlags {
  namespaceHint?: string[];
  out?: string;
  json?: boolean;
  maxRounds?: string;
  families?: boolean;
  offline?: boolean;
  store?: string;
  /** Enforce, Warn or Audit: checked with the intent (IntentSchema), as commander takes any string. */
  mode?: string;
  /** false with --no-pod-controllers (commander's negated option; true otherwise). */
  podControllers?: boolean;
  allowDeletes?: boolean;
  /** Impact preview sources (src/impact): files, folders, `-`, `cluster`. */
  against?: string[];
  denyThreshold?: string;
  kubeconfig?: string;
  context?: string;
}

// `policyforge generate "<intent>" [--namespace-hint ns] [--out policy.yaml] [--json] [--max-rounds N] [--families] [--no-pod-controllers]`
export const registerGenerate: RegisterCommand = (program, { setExit, io }) => {
  program
    .command('generate')
    .description(
      'plain-language intent → a verified, safely scoped JsPolicy (offline for known families, or with a model)',
    )
    .argument('[intent]', 'the policy intent, in plain language')
    .option('--namespace-hint <namespace...>', 'namespaces the policy is for, in addition to those the intent names')
    .option('--out <file>', 'write the JsPolicy YAML to this file instead of stdout')
    .option('--json', 'print the whole result (rounds, usage, report) as JSON')
    .option('--max-rounds <n>', 'coder/verify rounds before giving up (default 4)')
    .option('--families', 'list the intent families offline mode understands, and exit')
    .option('--offline', 'do not call a model even when one is configured')
    .option(
      '--store <spec>',
      'skill store: a SQLite path or a redis:// URL (default: $POLICYFORGE_SKILL_STORE or ~/.policyforge)',
    )
    .option('--mode <mode>', 'Enforce (deny), Warn or Audit (dry)')
    .option(
      '--no-pod-controllers',
      'a pod-spec intent covers Pods only, not the pod templates of Deployments, Jobs, CronJobs, …',
    )
    .option(
      '--allow-deletes',
      'approve a Controller policy that deletes objects the intent asks it to delete (never implied otherwise)',
    )
    .option(
      '--against <source...>',
      'replay existing objects (manifests, Lists, audit logs, - or cluster) through the verified policy: the impact preview',
    )
    .option(
      '--deny-threshold <share>',
      `with --against: a policy denying more than this share of the objects is reported, not passed as safe (default ${DEFAULT_DENY_THRESHOLD * 100}%)`,
    )
    .option(
      '--kubeconfig <file>',
      'with --against cluster: kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)',
    )
    .option('--context <name>', 'with --against cluster: kubeconfig context')
    .action(async (text: string | undefined, flags: GenerateFlags) => {
      if (flags.families) {
        io.stdout.write(flags.json ? `${JSON.stringify(offlineFamilies(), null, 2)}\n` : renderFamilies());
        return;
      }
      if (!text?.trim())
        throw pfError(
          'PF_ERR_INPUT_INVALID',
          'generate',
          'give the intent in quotes, e.g. policyforge generate "Block privileged containers."',
        );
      const intent = intentFrom(text, flags);
      const denyThreshold = parseDenyThreshold(flags.denyThreshold);
      // Structured logs (stderr, keys redacted) only when asked for: the progress lines are the CLI's narrative.
      const log = io.env.LOG_LEVEL ? logger() : undefined;
      // Model-written code runs in sandbox child processes: a crash of its isolate is exit 3, never this process's death.
      const generator = await createGenerator({
        model: flags.offline ? null : undefined,
        store: flags.store,
        logger: log,
        isolation: 'process',
        env: io.env,
      });
      try {
        const progress = flags.json ? undefined : progressPrinter(io);
        const result = await generator.generate(intent, { onProgress: progress });
        if (flags.against && result.status === 'succeeded' && result.policy) {
          // Evidence from outside the plan's own reading: what the verified policy does to what exists.
          result.impact = await generationImpact(result.policy, flags.against, denyThreshold, flags, io);
          if (result.impact.overThreshold) result.safeToApply = false;
        }
        await report(result, flags, io);
        if (result.impact && !flags.json) io.stderr.write(`${impactWarning(result.impact, denyThreshold)}\n`);
        setExit(result.status === 'succeeded' && !result.impact?.overThreshold ? 0 : 1);
      } finally {
        await generator.close();
      }
    });
};

/** The flag (or argument) each intent field comes from, so that a refusal names what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  text: 'intent',
  'options.namespaces': '--namespace-hint',
  'options.maxRounds': '--max-rounds',
  'options.mode': '--mode',
  'options.podControllers': '--no-pod-controllers',
  'options.allowDeletes': '--allow-deletes',
};

/**
 * The intent the flags ask for, parsed once with common's IntentSchema: its limits (1..20 rounds, namespace
 * names, text length) are the API's and the queue's. A refusal is PF_ERR_INPUT_INVALID naming each flag.
 */
function intentFrom(text: string, flags: GenerateFlags): Intent {
  const namespaces = (flags.namespaceHint ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const rounds = flags.maxRounds === undefined ? undefined : Number(flags.maxRounds);
  const requested = {
    text: text.trim(),
    options: {
      ...(namespaces.length ? { namespaces } : {}),
      // Not a number at all: the flag's own text, so that the message quotes what was typed rather than NaN.
      ...(flags.maxRounds !== undefined
        ? { maxRounds: flags.maxRounds.trim() && Number.isFinite(rounds) ? rounds : flags.maxRounds }
        : {}),
      ...(flags.mode !== undefined ? { mode: flags.mode } : {}),
      ...(flags.podControllers === false ? { podControllers: false } : {}),
      ...(flags.allowDeletes ? { allowDeletes: true } : {}),
    },
  };
  const parsed = IntentSchema.safeParse(requested);
  if (parsed.success) return parsed.data;
  const problems = schemaIssues(parsed.error).map((i) => {
    const field = i.path.filter((p) => typeof p === 'string').join('.');
    return { flag: FLAG_OF_FIELD[field] ?? field, message: i.message };
  });
  const [first, ...rest] = problems;
  throw new PolicyforgeError(
    'PF_ERR_INPUT_INVALID',
    [first.flag, [first.message, ...rest.map((p) => `${p.flag}: ${p.message}`)].join('; ')],
    { details: { fields: problems.map((p) => ({ path: p.flag, message: p.message })) } },
  );
}

/** Live progress on stderr, one line per step, so stdout stays the policy. */
function progressPrinter(io: CliIo): (e: ProgressEvent) => void {
  // Plans, critiques, errors and reasons carry model text: control characters escaped, never raw.
  const err = (line: string): void => void io.stderr.write(`${escapeForTerminal(line, 4_000)}\n`);
  let searches = 0;
  return (e) => {
    switch (e.type) {
      case 'retrieved':
        err(
          `${searches++ === 0 ? 'retrieved' : 'skills for the coder'}: ${e.skills.length ? e.skills.join(', ') : '(none)'}`,
        );
        break;
      case 'planned':
        err(`plan: ${e.plan.rationale ?? ''}`.trim());
        err(
          `  target ${e.plan.target.type} ${e.plan.target.operations.join(',')} ${e.plan.target.resources.join(',')}${e.plan.target.namespaces.length ? ` in ${e.plan.target.namespaces.join(',')}` : ''}; ${e.plan.tests.length} case(s); steps ${e.plan.steps.map((s) => s.name).join(', ') || '-'}`,
        );
        break;
      case 'judged':
        err(
          `  judge: agrees with ${e.agreed}, disagrees with ${e.disagreed}, unsure of ${e.unsure} case(s)${e.disagreed ? ' → re-plan' : ''}`,
        );
        for (const o of e.objections.slice(0, 3)) err(`    ${o}`);
        break;
      case 'round-started':
        err(`round ${e.round}`);
        break;
      case 'drafted':
        err(e.error ? `  draft unusable: ${e.error}` : `  drafted ${e.policy?.metadata.name ?? ''}`);
        break;
      case 'verified':
        err(
          `  verify: ${e.passed ? 'passed' : 'failed'} · cases ${e.casesPassed}/${e.casesTotal} · ${e.blocking} blocking · ${e.advisory} advisory finding(s)`,
        );
        break;
      case 'critiqued':
        err(`  critic: ${e.success ? 'accepted' : `rejected: ${e.critique}`}`);
        break;
      case 'finished':
        err(`${e.status}: ${e.reason}`);
        break;
    }
  };
}

async function report(result: GenerationResult, flags: GenerateFlags, io: CliIo): Promise<void> {
  // What the policy does, in our words from its cases (never the intent's): read it before applying.
  if (!flags.json && result.restatement)
    io.stderr.write(
      `\n${result.status === 'succeeded' ? 'what it does' : 'what the best plan would do (not verified)'}:\n${multiline(result.restatement.text).replace(/^/gm, '  ')}\n\n`,
    );
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (flags.out && result.status === 'succeeded' && result.policy)
      await writeFile(flags.out, serializePolicy(result.policy));
    return;
  }
  if (result.status === 'succeeded' && result.policy) {
    const yaml = serializePolicy(result.policy);
    if (flags.out) {
      await writeFile(flags.out, yaml);
      io.stderr.write(`wrote ${flags.out}\n`);
    } else {
      io.stdout.write(yaml);
    }
    return;
  }
  const last = [...result.rounds].reverse().find((r) => r.report);
  io.stderr.write(
    `\n${multiline(last?.report ? renderReport(last.report) : (result.rounds.at(-1)?.error ?? result.reason))}\n`,
  );
  io.stderr.write('The best draft is not safe to apply; run with --json to see every round.\n');
}

function renderFamilies(): string {
  const lines = ['Offline mode (no model configured) understands these intent families:', ''];
  for (const f of offlineFamilies()) {
    lines.push(`  ${f.id.padEnd(20)} ${f.title}`);
    for (const ex of f.examples) lines.push(`  ${''.padEnd(20)}   e.g. "${ex}"`);
  }
  lines.push(
    '',
    'Namespaces ("in the test namespace", --namespace-hint) and "warn, do not block" combine with any family.',
  );
  lines.push(
    'Anything else needs a model: set OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server (docs/providers.md).',
  );
  return `${lines.join('\n')}\n`;
}

/** Multi-line text that may carry model output: each line escaped, the line breaks kept. */
function multiline(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeForTerminal(line, 4_000))
    .join('\n');
}
