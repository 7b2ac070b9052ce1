import { pfError } from '../common/index.js';

/**
 * Model configuration, read once from the environment at start-up and validated with one clear message
 * per mistake. `undefined` means no model is configured: the offline planner and coder take over.
 */

export const PROVIDERS = {
  /** api.openai.com with OPENAI_API_KEY. */
  openai: 'openai',
  /** Any server speaking the OpenAI Chat Completions API (Ollama, vLLM, LM Studio) at OPENAI_BASE_URL. */
  openaiCompatible: 'openai-compatible',
  /** Never call a model, even when a key is present. */
  offline: 'offline',
} as const;
export type Provider = (typeof PROVIDERS)[keyof typeof PROVIDERS];

/** Spellings accepted in POLICYFORGE_PROVIDER, mapped to the provider that serves them. */
const PROVIDER_ALIASES: Record<string, Provider> = {
  openai: 'openai',
  'openai-compatible': 'openai-compatible',
  ollama: 'openai-compatible',
  vllm: 'openai-compatible',
  lmstudio: 'openai-compatible',
  'lm-studio': 'openai-compatible',
  offline: 'offline',
  none: 'offline',
};

/** Providers langchain has and policyforge could add behind the same factory; named so the error says "not yet". */
const NOT_YET = ['anthropic', 'google', 'gemini', 'vertexai', 'bedrock', 'azure', 'mistral', 'groq'];

export interface ModelConfig {
  provider: Exclude<Provider, 'offline'>;
  /** Model name as the provider knows it. @defaultValue `gpt-4o` */
  model: string;
  /** Never logged: the logger redacts `apiKey`, and results carry only {@link describeModel}. */
  apiKey?: string;
  baseURL?: string;
  /** Per-call timeout. @defaultValue 60000 */
  timeoutMs: number;
  /** Retries after the first attempt on 429/5xx/network errors/timeouts. @defaultValue 4 */
  maxRetries: number;
  /** @defaultValue 0 (deterministic as the provider allows) */
  temperature: number;
  /**
   * How structured answers are asked for: a forced tool call, or one JSON object in the message text (for
   * servers without tool calling). A server that refuses tools with a 400 switches to 'json' by itself.
   * @defaultValue 'tools'
   */
  structuredOutput?: 'tools' | 'json';
  /** Embedding model for hybrid skill retrieval (POLICYFORGE_EMBEDDINGS_MODEL); lexical retrieval only when unset. */
  embeddingsModel?: string;
}

export const MODEL_DEFAULTS = { model: 'gpt-4o', timeoutMs: 60_000, maxRetries: 4, temperature: 0 } as const;

type Env = Record<string, string | undefined>;

/**
 * Reads OPENAI_API_KEY, OPENAI_BASE_URL, POLICYFORGE_PROVIDER, POLICYFORGE_MODEL,
 * POLICYFORGE_MODEL_TIMEOUT_MS, POLICYFORGE_MODEL_MAX_RETRIES and POLICYFORGE_MODEL_TEMPERATURE.
 * Returns undefined when no model is configured (offline). Throws PF_ERR_CONFIG naming the variable.
 */
export function loadModelConfig(env: Env = process.env): ModelConfig | undefined {
  const rawProvider = clean(env.POLICYFORGE_PROVIDER)?.toLowerCase();
  const apiKey = clean(env.OPENAI_API_KEY);
  const baseURL = clean(env.OPENAI_BASE_URL);

  if (env.OPENAI_API_KEY !== undefined && env.OPENAI_API_KEY !== '' && !apiKey) {
    throw pfError('PF_ERR_CONFIG', 'OPENAI_API_KEY is set but blank; unset it or give the key');
  }

  let provider: Provider | undefined;
  if (rawProvider !== undefined) {
    provider = PROVIDER_ALIASES[rawProvider];
    if (!provider) {
      const known = Object.keys(PROVIDER_ALIASES).join(', ');
      throw pfError(
        'PF_ERR_CONFIG',
        NOT_YET.includes(rawProvider)
          ? `POLICYFORGE_PROVIDER=${rawProvider} is not supported yet; use one of ${known}`
          : `POLICYFORGE_PROVIDER=${rawProvider} is unknown; use one of ${known}`,
      );
    }
  }
  if (provider === 'offline') return undefined;
  if (provider === undefined) {
    if (!apiKey && !baseURL) return undefined;
    provider = baseURL ? 'openai-compatible' : 'openai';
  }

  if (apiKey && /\s/.test(apiKey))
    throw pfError('PF_ERR_CONFIG', 'OPENAI_API_KEY contains whitespace; check for a stray newline or quote');
  if (provider === 'openai' && !apiKey && !baseURL) {
    throw pfError(
      'PF_ERR_CONFIG',
      'POLICYFORGE_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)',
    );
  }
  if (provider === 'openai-compatible' && !baseURL) {
    throw pfError(
      'PF_ERR_CONFIG',
      `POLICYFORGE_PROVIDER=${rawProvider} needs OPENAI_BASE_URL, e.g. http://localhost:11434/v1 for Ollama`,
    );
  }
  if (baseURL) {
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      throw pfError(
        'PF_ERR_CONFIG',
        `OPENAI_BASE_URL=${baseURL} is not a URL; expected e.g. http://localhost:11434/v1`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw pfError('PF_ERR_CONFIG', `OPENAI_BASE_URL must use http or https, not ${url.protocol}`);
    }
    if (url.username || url.password)
      throw pfError('PF_ERR_CONFIG', 'OPENAI_BASE_URL must not carry credentials; put the key in OPENAI_API_KEY');
  }

  const model = clean(env.POLICYFORGE_MODEL) ?? MODEL_DEFAULTS.model;
  if (/\s/.test(model)) throw pfError('PF_ERR_CONFIG', `POLICYFORGE_MODEL="${model}" contains whitespace`);

  return {
    provider,
    model,
    ...(apiKey ? { apiKey } : {}),
    ...(baseURL ? { baseURL } : {}),
    timeoutMs: integer(env, 'POLICYFORGE_MODEL_TIMEOUT_MS', MODEL_DEFAULTS.timeoutMs, 100, 600_000),
    maxRetries: integer(env, 'POLICYFORGE_MODEL_MAX_RETRIES', MODEL_DEFAULTS.maxRetries, 0, 10),
    temperature: number(env, 'POLICYFORGE_MODEL_TEMPERATURE', MODEL_DEFAULTS.temperature, 0, 2),
    ...structuredOutput(env),
    ...(clean(env.POLICYFORGE_EMBEDDINGS_MODEL) ? { embeddingsModel: clean(env.POLICYFORGE_EMBEDDINGS_MODEL) } : {}),
  };
}

/** What may appear in logs, results and status: provider, model and host, never the key. */
export function describeModel(config: ModelConfig): string {
  const host = config.baseURL ? ` at ${new URL(config.baseURL).host}` : '';
  return `${config.provider}:${config.model}${host}`;
}

function clean(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = clean(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw pfError('PF_ERR_CONFIG', `${name}=${raw} is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw pfError('PF_ERR_CONFIG', `${name}=${raw} is out of range ${min}..${max}`);
  return n;
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = clean(env[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw pfError('PF_ERR_CONFIG', `${name}=${raw} must be a number in ${min}..${max}`);
  return n;
}

function structuredOutput(env: Env): { structuredOutput?: 'tools' | 'json' } {
  const raw = clean(env.POLICYFORGE_STRUCTURED_OUTPUT)?.toLowerCase();
  if (raw === undefined) return {};
  if (raw !== 'tools' && raw !== 'json')
    throw pfError('PF_ERR_CONFIG', `POLICYFORGE_STRUCTURED_OUTPUT=${raw} must be tools or json`);
  return { structuredOutput: raw };
}
