import { readFileSync } from 'node:fs';
import { assetPath } from '../common/index.js';

/** Prompts live as text files in agents/prompts/ (as Voyager keeps them), read once and filled with {{slots}}. */
export const PROMPTS = {
  reference: 'jspolicy-reference.md',
  planner: 'planner.md',
  plannerHuman: 'planner-human.md',
  coder: 'coder.md',
  coderHuman: 'coder-human.md',
  critic: 'critic.md',
  criticHuman: 'critic-human.md',
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

/** Fills `{{slot}}`s; a slot without a value is an error in our code, so it throws. */
export function renderPrompt(name: PromptName, values: Record<string, string>): string {
  return loadPrompt(name).replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`prompt ${name}: no value for {{${key}}}`);
    return v;
  });
}
