import { readFileSync } from 'node:fs';
import { assetPath, pfError } from '../common/index.js';

/** Prompts live as text files in agents/prompts/ (as Voyager keeps them), read once and filled with {{slots}}. */
export const PROMPTS = {
  reference: 'jspolicy-reference.md',
  planner: 'planner.md',
  plannerHuman: 'planner-human.md',
  coder: 'coder.md',
  coderHuman: 'coder-human.md',
  critic: 'critic.md',
  criticHuman: 'critic-human.md',
  judge: 'judge.md',
  judgeHuman: 'judge-human.md',
} as const;
export type PromptName = keyof typeof PROMPTS;

const cache = new Map<PromptName, string>();

export function loadPrompt(name: PromptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(assetPath('agents', 'prompts', PROMPTS[name]), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/**
 * The fence around intent text in the human prompts (`<intent-data>` … `</intent-data>`): the system prompts
 * say that what is inside is data describing a policy, never instructions. Whatever fills a slot (the intent,
 * and model-written text such as the plan) loses anything that reads as a fence delimiter, so no text can
 * close the fence or open a new one.
 */
export const INTENT_FENCE = { open: '<intent-data>', close: '</intent-data>' } as const;
const FENCE_LIKE = /<\s*\/?\s*intent[\s\-_\u2010-\u2015]*data\s*>/gi;

/** `text` without anything that reads as a fence delimiter (repeated: removing one must not form another). */
export function unfenced(text: string): string {
  let out = text;
  for (let before = ''; before !== out;) {
    before = out;
    out = out.replace(FENCE_LIKE, '');
  }
  return out;
}

/** Fills `{{slot}}`s; a slot without a value is an error in our code, so it throws. */
export function renderPrompt(name: PromptName, values: Record<string, string>): string {
  return loadPrompt(name).replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw pfError('PF_ERR_INTERNAL', `prompt ${name}: no value for {{${key}}}`);
    return unfenced(v);
  });
}
