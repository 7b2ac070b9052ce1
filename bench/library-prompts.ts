import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import type { ModelConfig } from '../agents/index.js';
import type { GenerationResult, ProgressEvent } from '../common/index.js';
import { createGenerator, type Generator } from '../src/loop/index.js';
import { containersOnlyFirstModel, INTENT_ALL, INTENT_PROD, privilegedModel } from '../test/loop/privileged-model.js';
import {
  startScriptedOpenAIServer,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../test/support/scripted-openai-server.js';
import type { BenchSection } from './benches.js';

/**
 * Issue 5's done-when, measured: the two related intents ("block privileged containers", then "… in namespace
 * prod") through the real loop in model mode against the scripted OpenAI-compatible server, with and without
 * the skill library, then the first intent again, for two scripted models (a careful one, and one whose own
 * container walk misses init containers in its first draft). Each reads its own prompt (see
 * test/loop/privileged-model.ts): it calls a skill only when the library put the skill in its prompt,
 * otherwise it writes the helper itself. Figures come from the requests the server received.
 */

// o200k_base is the tokenizer of gpt-4o (the default model); the scripted server's own count is chars/4.
const encoder = getEncoding('o200k_base');
const tokens = (text: string): number => encoder.encode(text).length;

interface CallFigures {
  tool: string;
  systemChars: number;
  humanChars: number;
  /** prompt_tokens the server reported (its estimate: JSON of the messages / 4). */
  serverPromptTokens: number;
  /** o200k tokens of the message texts. */
  messageTokens: number;
  /** o200k tokens of the tool definition (providers count it as prompt too). */
  toolTokens: number;
  /** Characters and o200k tokens of the scripted answer (the tool call's arguments). */
  answerChars: number;
  answerTokens: number;
}

interface RunFigures {
  label: string;
  intent: string;
  result: GenerationResult;
  calls: CallFigures[];
  coderSkills: string[];
}

/** Wraps the scripted model so each answer's size is recorded next to its request. */
function recordingModel(
  answers: Map<RecordedRequest, string>,
  scripted: (req: RecordedRequest) => ScriptStep,
): (req: RecordedRequest) => ScriptStep {
  return (req) => {
    const step = scripted(req);
    if (typeof step === 'object' && 'toolCall' in step) answers.set(req, JSON.stringify(step.toolCall.arguments));
    return step;
  };
}

async function measure(
  server: ScriptedOpenAIServer,
  answers: Map<RecordedRequest, string>,
  generator: Generator,
  label: string,
  intent: string,
): Promise<RunFigures> {
  const before = server.chatRequests().length;
  const judgedBefore = server.judgeRequests().length;
  const events: ProgressEvent[] = [];
  const result = await generator.generate({ text: intent }, { onProgress: (e) => events.push(e) });
  if (result.status !== 'succeeded')
    throw new Error(`library-prompts: ${label} "${intent}" did not succeed: ${result.reason}`);
  const calls = server
    .chatRequests()
    .slice(before)
    .map((r): CallFigures => {
      const [system, human] = r.messages;
      const answer = answers.get(r) ?? '';
      return {
        tool: r.body.tools?.[0]?.function?.name ?? '(json)',
        systemChars: system?.content.length ?? 0,
        humanChars: human?.content.length ?? 0,
        serverPromptTokens: JSON.stringify(r.body.messages ?? []).length >> 2, // what the scripted server reports as usage.prompt_tokens
        messageTokens: r.messages.reduce((n, m) => n + tokens(m.content), 0),
        toolTokens: tokens(JSON.stringify(r.body.tools ?? [])),
        answerChars: answer.length,
        answerTokens: tokens(answer),
      };
    });
  // The judge's call (one per plan, the same with or without a library) is counted, not measured here.
  const judged = server.judgeRequests().length - judgedBefore;
  if (result.usage.calls !== calls.length + judged)
    throw new Error(
      `library-prompts: ${label}: the result counts ${result.usage.calls} model calls, the server saw ${calls.length} and ${judged} judge call(s)`,
    );
  const retrieved = events.filter((e): e is Extract<ProgressEvent, { type: 'retrieved' }> => e.type === 'retrieved');
  return { label, intent, result, calls, coderSkills: retrieved.at(-1)?.skills ?? [] };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

interface Scenario {
  name: string;
  runs: RunFigures[];
  approved: string[];
}

/** a1–a3 without a library, c2 with the built-ins only, b1–b3 with the library (run 1's skills approved). */
async function runScenario(name: string, scripted: (req: RecordedRequest) => ScriptStep): Promise<Scenario> {
  const home = mkdtempSync(join(tmpdir(), 'pf-bench-libprompts-'));
  const server = await startScriptedOpenAIServer();
  const answers = new Map<RecordedRequest, string>();
  server.fallback = recordingModel(answers, scripted);
  const model: ModelConfig = {
    provider: 'openai-compatible',
    model: 'scripted',
    apiKey: 'sk-bench-not-a-real-key',
    baseURL: server.baseURL,
    timeoutMs: 30_000,
    maxRetries: 0,
    temperature: 0,
  };
  const runs: RunFigures[] = [];
  const opened: Generator[] = [];
  let approved: string[];
  try {
    // (a) No library: every run gets a fresh, empty store (no built-ins, nothing learned carries over).
    let n = 0;
    const empty = async (): Promise<Generator> => {
      const g = await createGenerator({ model, store: join(home, `empty-${++n}.sqlite`), seedBuiltins: false });
      opened.push(g);
      return g;
    };
    runs.push(await measure(server, answers, await empty(), 'a1 no library', INTENT_ALL));
    runs.push(await measure(server, answers, await empty(), 'a2 no library', INTENT_PROD));
    runs.push(await measure(server, answers, await empty(), 'a3 no library, intent 1 again', INTENT_ALL));

    // Built-ins only (seeded, nothing learned): separates what the built-ins do from what run 1 taught.
    const builtinsOnly = await createGenerator({ model, store: join(home, 'builtins.sqlite') });
    opened.push(builtinsOnly);
    runs.push(await measure(server, answers, builtinsOnly, 'c2 built-ins only', INTENT_PROD));

    // (b) The library: built-ins seeded, run 1's skills approved as a reviewer would, then intent 2, then intent 1 again.
    const library = await createGenerator({ model, store: join(home, 'library.sqlite') });
    opened.push(library);
    const b1 = await measure(server, answers, library, 'b1 library', INTENT_ALL);
    runs.push(b1);
    for (const id of b1.result.skillsAdded)
      await library.library.store.reviewSkill(id, {
        state: 'approved',
        reviewer: 'bench-reviewer',
        comment: 'read and approved for the benchmark',
      });
    approved = b1.result.skillsAdded;
    runs.push(await measure(server, answers, library, 'b2 library', INTENT_PROD));
    runs.push(await measure(server, answers, library, 'b3 library, intent 1 again', INTENT_ALL));
  } finally {
    for (const g of opened) await g.close();
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
  return { name, runs, approved };
}

const prompt = (r: RunFigures): number => sum(r.calls.map((c) => c.messageTokens + c.toolTokens));
const pct = (x: number, base: number): string => `${x >= base ? '+' : ''}${(((x - base) / base) * 100).toFixed(0)} %`;

function summaryTable(runs: RunFigures[]): string[] {
  const coderCall = (r: RunFigures): CallFigures | undefined => r.calls.find((c) => c.tool === 'submit_policy');
  return [
    '| run | intent | source | model calls | rounds | prompt chars (all calls) | server prompt_tokens | o200k prompt tokens (messages + tool schema) | coder system prompt chars (round 1) | answer tokens (o200k) | skillsUsed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((r) =>
      [
        r.label,
        r.intent,
        r.result.source,
        r.calls.length,
        r.result.rounds.length,
        sum(r.calls.map((c) => c.systemChars + c.humanChars)),
        sum(r.calls.map((c) => c.serverPromptTokens)),
        prompt(r),
        coderCall(r)?.systemChars ?? '-',
        sum(r.calls.map((c) => c.answerTokens)),
        r.result.skillsUsed.join(', ') || '(none)',
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
  ];
}

function findings(s: Scenario): string[] {
  const byLabel = (prefix: string): RunFigures => {
    const run = s.runs.find((r) => r.label.startsWith(prefix));
    if (!run) throw new Error(`library-prompts: no run labelled ${prefix}*`);
    return run;
  };
  const [a2, b2, c2, a3, b3] = ['a2', 'b2', 'c2', 'a3', 'b3'].map(byLabel);
  const tokensOf = (r: RunFigures, tool: string): number =>
    sum(r.calls.filter((c) => c.tool === tool).map((c) => c.messageTokens));
  const delta = (tool: string): string => {
    const d = tokensOf(b2, tool) - tokensOf(a2, tool);
    return `${tool} ${d >= 0 ? '+' : ''}${d}`;
  };
  const learnedUsed = b2.result.skillsUsed.filter((id) => s.approved.includes(id));
  return [
    `- Reuse: run b2 lists ${learnedUsed.length ? learnedUsed.join(', ') : "NONE of run 1's learned skills"} in \`skillsUsed\` (all: ${b2.result.skillsUsed.join(', ') || 'none'}); its coder was given ${b2.coderSkills.join(', ') || 'nothing'}.`,
    `- Prompt of intent 2: **${prompt(a2)}** o200k tokens without the library (${a2.result.rounds.length} round(s), ${a2.calls.length} calls), ${prompt(c2)} with the built-ins only, **${prompt(b2)}** with the library (${b2.result.rounds.length} round(s), ${b2.calls.length} calls): **${pct(prompt(b2), prompt(a2))}**.`,
    `- By call (o200k message tokens, library − none): ${['submit_plan', 'submit_policy', 'submit_review'].map(delta).join(', ')}.`,
    `- Answers the model writes for intent 2: ${sum(a2.calls.map((c) => c.answerTokens))} → ${sum(b2.calls.map((c) => c.answerTokens))} o200k tokens.`,
    `- Intent 1 again: ${b3.calls.length} model calls and ${prompt(b3)} prompt tokens with the library (answered from it), ${a3.calls.length} calls and ${prompt(a3)} prompt tokens without.`,
  ];
}

export async function run(): Promise<BenchSection> {
  const scenarios = [
    await runScenario('careful', privilegedModel),
    await runScenario('containers-only first draft', containersOnlyFirstModel),
  ];
  const [careful, forgetful] = scenarios;
  const perCall = [
    '| scenario | run | call | system chars | human chars | server prompt_tokens | o200k message tokens | o200k tool-schema tokens | answer chars |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...scenarios.flatMap((s) =>
      s.runs.flatMap((r) =>
        r.calls.map(
          (c) =>
            `| ${s.name} | ${r.label} | ${c.tool} | ${c.systemChars} | ${c.humanChars} | ${c.serverPromptTokens} | ${c.messageTokens} | ${c.toolTokens} | ${c.answerChars} |`,
        ),
      ),
    ),
  ];

  return {
    title: 'Skill library and prompt size (library-prompts, model mode, scripted server)',
    markdown: [
      'Command: `npm run bench -- library-prompts`. The real loop (`createGenerator` → `generatePolicy`, fuzzing on) in',
      'model mode against the scripted OpenAI-compatible server (test/support), through the real ChatOpenAI client.',
      `Intent 1 "${INTENT_ALL}", intent 2 "${INTENT_PROD}". The scripted model (test/loop/privileged-model.ts)`,
      'answers planner, coder and critic from its own prompt: it calls a skill only when the library put that skill in',
      'its prompt, otherwise it writes the helper itself. Two models, the same except for one habit:',
      '- **careful**: its own helpers are right the first time, so every run passes in round 1 with or without the library.',
      '  The library cannot save a round here; this is the worst case for it.',
      '- **containers-only first draft**: when it writes the container walk itself, its first draft reads `spec.containers`',
      "  only and misses init and ephemeral containers; the report's failing init-container case makes it fix that in",
      '  round 2. Policy libraries written by people shipped this exact gap and fixed it later (trivy-checks KSV017, kubescape',
      '  C-0057, polaris #1203, kyverno/policies #650). A model without memory repeats it on every fresh run; a verified',
      "  skill that walks every container list is the library's memory of the fix.",
      '',
      'Runs, per model: **a1–a3** without a library (a fresh empty store each, no built-ins); **c2** intent 2 with the built-in',
      "skills only; **b1–b3** with the library: built-ins seeded, b1's learned skills approved as a reviewer would, then intent 2,",
      "then intent 1 again. What the library puts in prompts: the planner gets the retrieved skills' one-line descriptions;",
      "the coder gets the retrieved skills' code, except skills a shown skill calls, which are listed by signature; the critic",
      'reads the draft as written plus a list of the approved skills it calls (unreviewed skills with their code).',
      '',
      '"server prompt_tokens" is what the scripted server reports (its estimate: JSON of the messages / 4); "o200k" is',
      "gpt-4o's tokenizer (js-tiktoken) over the message texts plus the tool definition, which providers also bill as prompt.",
      '',
      `### careful model`,
      '',
      ...summaryTable(careful.runs),
      '',
      ...findings(careful),
      '',
      `### containers-only first draft`,
      '',
      ...summaryTable(forgetful.runs),
      '',
      ...findings(forgetful),
      '',
      "**Reading.** The library makes intent 2's prompt smaller when it saves a round, which is what a skill is for: the",
      "fix a past run paid for is not paid again. When the model would have been right anyway, the library's text (skill",
      'descriptions for the planner, the code of the skills the coder may call) costs a little more than the helper code it',
      'saves, and the saving is in answer tokens (output, billed higher at most providers) and in the identical intent,',
      'which costs no model call at all. The applied policy carries the skills inlined so it is self-contained; that is',
      'not a prompt cost.',
      '',
      '<details><summary>Every chat request</summary>',
      '',
      ...perCall,
      '',
      '</details>',
    ].join('\n'),
  };
}
