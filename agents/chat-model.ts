import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessage } from '@langchain/core/messages';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { isPolicyforgeError, PolicyforgeError, redactSecrets, silentLogger, type Logger, type TokenUsage } from '../common/index.js';
import { describeModel, type ModelConfig } from './model-config.js';

/**
 * The model factory and the one way policyforge calls a model: a structured answer (a forced tool call,
 * or JSON in the content for servers without tools) validated with zod, with our own timeout and retry
 * policy. langchain's retries are switched off (maxRetries: 0) so the policy here is the only one and is
 * testable with an injected delay.
 */

/** Builds the langchain chat model for a configuration. New providers are added here and in model-config. */
export function createChatModel(config: ModelConfig): BaseChatModel {
  switch (config.provider) {
    case 'openai':
    case 'openai-compatible':
      return new ChatOpenAI({
        model: config.model,
        temperature: config.temperature,
        // An OpenAI-compatible local server usually needs no key; the client insists on one being set.
        apiKey: config.apiKey ?? 'no-key-configured',
        timeout: config.timeoutMs,
        maxRetries: 0,
        configuration: config.baseURL ? { baseURL: config.baseURL } : undefined,
      });
  }
}

/** The embeddings client for skill retrieval, when the configuration names an embedding model. */
export function createEmbeddings(config: ModelConfig): EmbeddingsInterface | undefined {
  if (!config.embeddingsModel) return undefined;
  const client = new OpenAIEmbeddings({
    model: config.embeddingsModel,
    apiKey: config.apiKey ?? 'no-key-configured',
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
    configuration: config.baseURL ? { baseURL: config.baseURL } : undefined,
  });
  return redactingEmbeddings(client, [config.apiKey]);
}

/**
 * The embeddings client with its errors' messages scrubbed of the given secrets (and anything shaped like
 * a key): SkillLibrary logs the message when embedding fails and it falls back to lexical ranking, and a
 * provider's error text may echo the key. Every caller (the loop, `skills search`, the API) gets it from
 * createEmbeddings. Keeps the client's `model`, which SkillLibrary falls back to as the cache key when no
 * embeddingModel is given.
 */
export function redactingEmbeddings(embeddings: EmbeddingsInterface, secrets: readonly (string | undefined)[]): EmbeddingsInterface {
  const scrub = (err: unknown): Error => new Error(redactSecrets(err instanceof Error ? err.message : String(err), secrets));
  const model = (embeddings as { model?: unknown }).model;
  return {
    ...(typeof model === 'string' ? { model } : {}),
    embedDocuments: (texts) => embeddings.embedDocuments(texts).catch((err: unknown) => Promise.reject(scrub(err))),
    embedQuery: (text) => embeddings.embedQuery(text).catch((err: unknown) => Promise.reject(scrub(err))),
  } as EmbeddingsInterface;
}

export interface ModelClientOptions {
  /** Waits between attempts; tests inject one that records and returns at once. @defaultValue setTimeout */
  delay?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @defaultValue Math.random */
  random?: () => number;
  /** First backoff step. @defaultValue 500 */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait, Retry-After included. @defaultValue 30000 */
  maxDelayMs?: number;
  logger?: Logger;
  /** A prebuilt chat model (another provider); default: {@link createChatModel}(config). */
  chatModel?: BaseChatModel;
}

export interface StructuredRequest<T> {
  /** Name of the function the model is made to call, e.g. `submit_policy`. */
  tool: string;
  description: string;
  schema: z.ZodType<T>;
  system: string;
  human: string;
}

export type StructuredAnswer<T> =
  | { ok: true; value: T; raw: string; usage: TokenUsage }
  | { ok: false; error: string; raw: string; usage: TokenUsage };

export const emptyUsage = (): TokenUsage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0 });

export function addUsage(into: TokenUsage, more: TokenUsage): TokenUsage {
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
  into.totalTokens += more.totalTokens;
  into.calls += more.calls;
  return into;
}

/** A configured model with retries, timeouts and usage accounting. */
export class ModelClient {
  readonly model: BaseChatModel;
  /** Provider and model name; safe to log and to put in results. */
  readonly label: string;
  /** Everything used through this client so far. */
  readonly usage: TokenUsage = emptyUsage();
  private readonly delay: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly log: Logger;
  /** How answers are requested; switches to 'json' for good when a server refuses tools. */
  private structuredOutput: 'tools' | 'json';

  constructor(
    readonly config: ModelConfig,
    options: ModelClientOptions = {},
  ) {
    this.model = options.chatModel ?? createChatModel(config);
    this.label = describeModel(config);
    this.delay = options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.log = (options.logger ?? silentLogger).child({ module: 'agents', model: this.label });
    this.structuredOutput = config.structuredOutput ?? 'tools';
  }

  /**
   * One structured call. Transport failures are retried and end in a thrown PolicyforgeError
   * (PF_ERR_MODEL_AUTH / _NOT_FOUND / _REQUEST at once, _UNAVAILABLE after the retries). Output that is not
   * JSON or violates the schema is returned as `{ok: false, error}` for the caller to feed back.
   */
  async structured<T>(request: StructuredRequest<T>): Promise<StructuredAnswer<T>> {
    const parameters = toolParameters(request.schema);
    const useTools = this.structuredOutput === 'tools' && typeof (this.model as ChatOpenAI).bindTools === 'function';
    let message: AIMessage;
    try {
      message = useTools ? await this.invokeWithTool(request, parameters) : await this.invokeForJson(request, parameters);
    } catch (err) {
      // Some OpenAI-compatible servers reject tools or tool_choice with a 400: answer in JSON text from now on.
      if (!useTools || !isPolicyforgeError(err, 'PF_ERR_MODEL_REQUEST') || (err.details?.status as number | undefined) !== 400) throw err;
      this.log.warn({ detail: err.message }, 'the server refused tool calling; asking for JSON in the message instead');
      this.structuredOutput = 'json';
      message = await this.invokeForJson(request, parameters);
    }
    const usage = usageOf(message);
    addUsage(this.usage, usage);
    const { value, raw, error } = extractJson(message, request.tool);
    if (error !== undefined) return { ok: false, error, raw, usage };
    const parsed = request.schema.safeParse(value);
    if (!parsed.success) return { ok: false, error: `the answer does not match the schema: ${formatIssues(parsed.error)}`, raw, usage };
    return { ok: true, value: parsed.data, raw, usage };
  }

  private invokeWithTool(request: StructuredRequest<unknown>, parameters: Record<string, unknown>): Promise<AIMessage> {
    const runnable = (this.model as ChatOpenAI).bindTools([{ type: 'function', function: { name: request.tool, description: request.description, parameters } }], {
      tool_choice: { type: 'function', function: { name: request.tool } },
    });
    const messages = [new SystemMessage(request.system), new HumanMessage(request.human)];
    return this.withRetries(() => runnable.invoke(messages));
  }

  private invokeForJson(request: StructuredRequest<unknown>, parameters: Record<string, unknown>): Promise<AIMessage> {
    const system = `${request.system}\n\n## Answer format\nAnswer with exactly one JSON object (no prose) for \`${request.tool}\` (${request.description}), matching this JSON schema:\n${JSON.stringify(parameters)}`;
    const messages = [new SystemMessage(system), new HumanMessage(request.human)];
    return this.withRetries(() => this.model.invoke(messages));
  }

  private async withRetries<R>(call: () => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      try {
        return await call();
      } catch (err) {
        const failure = classify(err, this.config);
        const detail = redactSecrets(failure.detail, [this.config.apiKey]);
        if (!failure.retryable) {
          this.log.warn({ attempt, status: failure.status, detail }, 'model call failed; not retried');
          throw failure.toError(detail, err);
        }
        if (attempt >= this.config.maxRetries) {
          this.log.warn({ attempt, status: failure.status, detail }, 'model call failed; retries exhausted');
          throw new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', [`${detail} (after ${attempt + 1} attempt(s))`], {
            details: { status: failure.status, attempts: attempt + 1 },
          });
        }
        const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
        const waitMs =
          failure.retryAfterMs !== undefined
            ? Math.min(this.maxDelayMs, failure.retryAfterMs)
            : Math.round(backoff / 2 + (backoff / 2) * this.random());
        this.log.info({ attempt, status: failure.status, waitMs, tookMs: Date.now() - started, detail }, 'model call failed; retrying');
        await this.delay(waitMs);
      }
    }
  }
}

interface Failure {
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
  detail: string;
  toError(detail: string, cause: unknown): PolicyforgeError;
}

/** Decides what a failed call means: 401/403/404 and other 4xx end at once; 408/409/429/5xx/network/timeout retry. */
export function classify(err: unknown, config: Pick<ModelConfig, 'model'>): Failure {
  const e = err as { status?: unknown; name?: string; message?: string; headers?: unknown; code?: string };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const detail = `${status ?? e?.name ?? 'error'}: ${e?.message ?? String(err)}`.slice(0, 400);
  if (status === 401 || status === 403) {
    return { status, retryable: false, detail, toError: (d, cause) => new PolicyforgeError('PF_ERR_MODEL_AUTH', [`HTTP ${status}`], { cause: new Error(d), details: { status } }) };
  }
  if (status === 404) {
    return {
      status,
      retryable: false,
      detail,
      toError: (d) => new PolicyforgeError('PF_ERR_MODEL_NOT_FOUND', [`the model "${config.model}" or its endpoint (HTTP 404)`], { cause: new Error(d), details: { status } }),
    };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
    return { status, retryable: false, detail, toError: (d) => new PolicyforgeError('PF_ERR_MODEL_REQUEST', [`HTTP ${status}`, d], { details: { status } }) };
  }
  return { status, retryable: true, retryAfterMs: retryAfterMs(e?.headers), detail, toError: (d) => new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', [d]) };
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, from a Headers object or a plain record. */
export function retryAfterMs(headers: unknown, now: number = Date.now()): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const get = (name: string): string | undefined => {
    const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
    const v = typeof h.get === 'function' ? h.get(name) : h[name];
    return typeof v === 'string' ? v : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = get('retry-after');
  if (ra === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function usageOf(message: AIMessage): TokenUsage {
  const u = message.usage_metadata;
  return {
    promptTokens: u?.input_tokens ?? 0,
    completionTokens: u?.output_tokens ?? 0,
    totalTokens: u?.total_tokens ?? (u?.input_tokens ?? 0) + (u?.output_tokens ?? 0),
    calls: 1,
  };
}

/** The tool call's arguments, or JSON in the text content (servers without tool calling). */
function extractJson(message: AIMessage, tool: string): { value?: unknown; raw: string; error?: string } {
  const call = message.tool_calls?.find((c) => c.name === tool) ?? message.tool_calls?.[0];
  if (call) return { value: call.args, raw: JSON.stringify(call.args) };
  const invalid = message.invalid_tool_calls?.[0];
  if (invalid) {
    return { raw: String(invalid.args ?? ''), error: `the ${tool} arguments are not valid JSON (${invalid.error ?? 'parse error'}); answer with one JSON object` };
  }
  const text = typeof message.content === 'string' ? message.content : message.content.map((p) => ('text' in p ? p.text : '')).join('');
  const body = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/```\s*$/, '').trim();
  if (!body) return { raw: text, error: `the answer was empty; call ${tool} with one JSON object` };
  try {
    return { value: JSON.parse(body), raw: text };
  } catch (err) {
    return { raw: text, error: `the answer is not valid JSON (${(err as Error).message}); call ${tool} with one JSON object` };
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function toolParameters(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}
