import { stringify } from 'yaml';
import type { CaseJudgement, Intent, KubeObject, Restatement, TestCase, TokenUsage } from '../common/index.js';
import type { ModelClient } from './chat-model.js';
import { renderPrompt } from './prompts.js';
import { clip } from './render.js';
import { JudgementSchema } from './schemas.js';

/**
 * The judge: an independent check of the reading (issue 11). A fresh model call that sees only the intent,
 * the restatement our code rendered from the plan, and every planned case with its object and expected
 * verdict — none of the planner's, coder's or critic's reasoning — and says per case whether the intent
 * demands that verdict. A `disagree` is a blocking objection the loop sends back to the planner.
 */

export interface JudgeInput {
  intent: Intent;
  restatement: Restatement;
  cases: readonly TestCase[];
}

export interface JudgeOutput {
  /** False when no usable answer came back: the reading was not independently checked. */
  ok: boolean;
  /** One per case given, in order; a case the judge left out is `unsure`. */
  verdicts: CaseJudgement[];
  error?: string;
  usage: TokenUsage;
  promptChars: { system: number; human: number };
}

/** Characters of one case's object shown to the judge, and of all cases together. */
const CASE_CHARS = 1500;
const CASES_CHARS = 24000;

export async function judgeCases(client: ModelClient, input: JudgeInput): Promise<JudgeOutput> {
  const system = renderPrompt('judge', {});
  const human = renderPrompt('judgeHuman', {
    intent: input.intent.text,
    restatement: input.restatement.text,
    cases: clip(input.cases.map(renderCaseForJudge).join('\n\n'), CASES_CHARS),
  });
  const promptChars = { system: system.length, human: human.length };
  const answer = await client.structured({
    tool: 'submit_judgement',
    description: 'Submit whether the intent demands each planned verdict',
    schema: JudgementSchema,
    system,
    human,
  });
  if (!answer.ok) return { ok: false, verdicts: [], error: answer.error, usage: answer.usage, promptChars };
  const given = new Map(answer.value.verdicts.map((v) => [v.case.trim(), v]));
  const verdicts = input.cases.map((c): CaseJudgement => {
    const v = given.get(c.name.trim());
    return v
      ? { case: c.name, verdict: v.verdict, reason: v.reason }
      : { case: c.name, verdict: 'unsure', reason: 'the judge gave no verdict for this case' };
  });
  return { ok: true, verdicts, usage: answer.usage, promptChars };
}

/** The objections a judgement raises, one line per disagreement, in words the planner can act on. */
export function judgeObjections(verdicts: readonly CaseJudgement[], cases: readonly TestCase[]): string[] {
  return verdicts
    .filter((v) => v.verdict === 'disagree')
    .map((v) => {
      const expected = cases.find((c) => c.name === v.case)?.expect ?? '?';
      return `judge: case "${v.case}" expects ${expected}, but the intent does not demand it: ${v.reason}`;
    });
}

function renderCaseForJudge(c: TestCase, i: number): string {
  const head = [`### case ${i + 1}: ${c.name}`, `operation: ${c.operation ?? 'CREATE'}`];
  const ns = c.namespace ?? c.object?.metadata?.namespace ?? c.oldObject?.metadata?.namespace;
  if (ns) head.push(`namespace: ${ns}`);
  if (c.userInfo) head.push(`user: ${JSON.stringify(c.userInfo)}`);
  if (c.object) head.push(`object:\n${objectSummary(c.object)}`);
  if (c.oldObject) head.push(`oldObject (before the update):\n${objectSummary(c.oldObject)}`);
  if (c.expect === 'mutate' && c.patched !== undefined)
    head.push(`expected after mutation:\n${objectSummary(c.patched as KubeObject)}`);
  head.push(`expected verdict: ${c.expect}${c.message ? ` (message: ${c.message})` : ''}`);
  return head.join('\n');
}

/** The object as YAML without the fields that only identify it (uid, resourceVersion, …), clipped. */
function objectSummary(object: KubeObject): string {
  const { metadata, ...rest } = object;
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    generation: _g,
    managedFields: _m,
    ...meta
  } = (metadata ?? {}) as Record<string, unknown>;
  return clip(stringify({ ...rest, metadata: meta }, { lineWidth: 0 }).trimEnd(), CASE_CHARS);
}
