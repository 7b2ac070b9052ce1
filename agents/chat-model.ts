import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessage } from '@langchain/core/messages';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { z } from 'zod';
import {
  isPolicyforgeError,
  PolicyforgeError,
  redactAndClip,
  redactSecrets,
  silentLogger,
  type Logger,
  type TokenUsage,
} from '../common/index.js';
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
export function createEmbeddings(
  config: ModelConfig,
  options: { failFastForMs?: number; now?: () => number } = {},
): EmbeddingsInterface | undefined {
  if (!config.embeddingsModel) return undefined;
  const client = new OpenAIEmbeddings({
    model: config.embeddingsModel,
    apiKey: config.apiKey ?? 'no-key-configured',
    timeout: config.timeoutMs,
    // No retries inside the client: its own backoff (p-retry, up to ~64 s on an outage) ran before the
    // lexical fallback on every run. One attempt, then SkillLibrary ranks by words.
    maxRetries: 0,
    configuration: config.baseURL ? { baseURL: config.baseURL } : undefined,
  });
  return failFastEmbeddings(
    redactingEmbeddings(client, [config.apiKey]),
    options.failFastForMs ?? EMBEDDINGS_FAIL_FAST_MS,
    options.now,
    config.timeoutMs,
  );
}

/** After an embeddings failure, how long later calls fail at once (lexical ranking) instead of asking again. */
export const EMBEDDINGS_FAIL_FAST_MS = 10 * 60_000;

/**
 * Embeddings that, once they failed, fail at once for `forMs` with the same (already scrubbed) error: an
 * outage costs one call per process (per window, for a long-running service), not one per search.
 */
export function failFastEmbeddings(
  embeddings: EmbeddingsInterface,
  forMs: number,
  now: () => number = Date.now,
  deadlineMs?: number,
): EmbeddingsInterface {
  let failed: { error: Error; until: number } | undefined;
  const guard = <R>(call: () => Promise<R>): Promise<R> => {
    if (failed && now() < failed.until) return Promise.reject(failed.error);
    failed = undefined;
    return withDeadline(call(), deadlineMs).catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      failed = {
        error: new Error(`${error.message} (embeddings off for ${Math.round(forMs / 1000)} s after this failure)`),
        until: now() + forMs,
      };
      throw error;
    });
  };
  const model = (embeddings as { model?: unknown }).model;
  return {
    ...(typeof model === 'string' ? { model } : {}),
    embedDocuments: (texts) => guard(() => embeddings.embedDocuments(texts)),
    embedQuery: (text) => guard(() => embeddings.embedQuery(text)),
  } as EmbeddingsInterface;
}

/**
 * The embeddings client with its errors' messages scrubbed of the given secrets (and anything shaped like
 * a key): SkillLibrary logs the message when embedding fails and it falls back to lexical ranking, and a
 * provider's error text may echo the key. Every caller (the loop, `skills search`, the API) gets it from
 * createEmbeddings. Keeps the client's `model`, which SkillLibrary falls back to as the cache key when no
 * embeddingModel is given.
 */
export function redactingEmbeddings(
  embeddings: EmbeddingsInterface,
  secrets: readonly (string | undefined)[],
): EmbeddingsInterface {
  const scrub = (err: unknown): Error =>
    new Error(redactSecrets(err instanceof Error ? err.message : String(err), secrets));
  const model = (embeddings as { model?: unknown }).model;
  return {
    ...(typeof model === 'string' ? { model } : {}),
    embedDocuments: (texts) => embeddings.embedDocuments(texts).catch((err: unknown) => Promise.reject(scrub(err))),
    embedQuery: (text) => embeddings.embedQuery(text).catch((err: unknown) => Promise.reject(scrub(err))),
  } as EmbeddingsInterface;
}

/**
 * The embeddings client takes no AbortSignal and its own timeout stops at the response headers: a body
 * that stalls after them is given up at the deadline (the socket closes when the server gives up).
 */
function withDeadline<R>(work: Promise<R>, ms: number | undefined): Promise<R> {
  if (!ms) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no complete answer within ${ms} ms (POLICYFORGE_MODEL_TIMEOUT_MS)`)),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
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
  | { ok: false; error: string; raw: string; usage: TokenUsage; kind?: UnusableAnswer };

/** Why an answer could not be used: malformed or off-schema, cut off at the output limit, or a refusal. */
export type UnusableAnswer = 'invalid' | 'cut-off' | 'refused';

/** Appended to the ask when the first answer was cut off at the output limit. */
const CUT_OFF_NOTE =
  'Your previous answer was cut off at the output length limit. Answer again, shorter: keep the code minimal, without comments, and the explanation to one sentence.';

/** Answers that decline the task instead of answering it (checked only when no JSON was found). */
const REFUSAL =
  /^\s*(?:I['’]m sorry|I am sorry|sorry[,.]|I can(?:no|['’])t (?:help|assist|do|comply|provide)|I cannot|I am unable|I['’]m unable|I won['’]t|I will not)\b/i;

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

  /** Set on a run's view of this client (withSignal): aborting it stops the call in flight and its retries. */
  private runSignal?: AbortSignal;

  /**
   * This client for one run: the same model, settings and usage counters, but a call in flight is aborted,
   * and not retried, once `signal` aborts (a job handed back at shutdown or superseded by a newer spec).
   */
  withSignal(signal: AbortSignal | undefined): ModelClient {
    if (!signal) return this;
    const view = Object.create(this) as ModelClient;
    view.runSignal = signal;
    return view;
  }

  /**
   * One structured call. Transport failures are retried and end in a thrown PolicyforgeError
   * (PF_ERR_MODEL_AUTH / _NOT_FOUND / _REQUEST at once, _UNAVAILABLE after the retries). Output that is not
   * JSON or violates the schema is returned as `{ok: false, error}` for the caller to feed back.
   */
  async structured<T>(request: StructuredRequest<T>): Promise<StructuredAnswer<T>> {
    const first = await this.structuredOnce(request);
    if (first.ok || first.kind !== 'cut-off') return first;
    // Cut off at the output limit: ask once more for a shorter answer before reporting it.
    this.log.warn({ tool: request.tool }, 'the answer was cut off at the output limit; asking once for a shorter one');
    const second = await this.structuredOnce({ ...request, human: `${request.human}\n\n${CUT_OFF_NOTE}` });
    return { ...second, usage: addUsage({ ...first.usage }, second.usage) };
  }

  private async structuredOnce<T>(request: StructuredRequest<T>): Promise<StructuredAnswer<T>> {
    const parameters = toolParameters(request.schema);
    const useTools = this.structuredOutput === 'tools' && typeof (this.model as ChatOpenAI).bindTools === 'function';
    let message: AIMessage;
    try {
      message = useTools
        ? await this.invokeWithTool(request, parameters)
        : await this.invokeForJson(request, parameters);
    } catch (err) {
      // Some OpenAI-compatible servers reject tools or tool_choice with a 400: answer in JSON text from now on.
      if (
        !useTools ||
        !isPolicyforgeError(err, 'PF_ERR_MODEL_REQUEST') ||
        (err.details?.status as number | undefined) !== 400
      )
        throw err;
      this.log.warn({ detail: err.message }, 'the server refused tool calling; asking for JSON in the message instead');
      this.structuredOutput = 'json';
      message = await this.invokeForJson(request, parameters);
    }
    const usage = usageOf(message);
    addUsage(this.usage, usage);
    const { value, raw, error, kind } = extractJson(message, request.tool);
    if (error !== undefined) return { ok: false, error, raw, usage, kind: kind ?? 'invalid' };
    const parsed = request.schema.safeParse(value);
    if (!parsed.success)
      return {
        ok: false,
        error: `the answer does not match the schema: ${formatIssues(parsed.error)}`,
        raw,
        usage,
        kind: 'invalid',
      };
    return { ok: true, value: parsed.data, raw, usage };
  }

  private invokeWithTool(request: StructuredRequest<unknown>, parameters: Record<string, unknown>): Promise<AIMessage> {
    const runnable = (this.model as ChatOpenAI).bindTools(
      [{ type: 'function', function: { name: request.tool, description: request.description, parameters } }],
      {
        tool_choice: { type: 'function', function: { name: request.tool } },
      },
    );
    const messages = [new SystemMessage(request.system), new HumanMessage(request.human)];
    return this.withRetries((signal) => runnable.invoke(messages, { signal }));
  }

  private invokeForJson(request: StructuredRequest<unknown>, parameters: Record<string, unknown>): Promise<AIMessage> {
    const system = `${request.system}\n\n## Answer format\nAnswer with exactly one JSON object (no prose) for \`${request.tool}\` (${request.description}), matching this JSON schema:\n${JSON.stringify(parameters)}`;
    const messages = [new SystemMessage(system), new HumanMessage(request.human)];
    return this.withRetries((signal) => this.model.invoke(messages, { signal }));
  }

  /**
   * One deadline per attempt, over the whole call: the client's own timeout stops at the response headers,
   * so a body that stalls after them would hold the call for minutes. The signal aborts the request and
   * the body read alike.
   */
  private async withRetries<R>(call: (signal: AbortSignal) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      this.runSignal?.throwIfAborted();
      const started = Date.now();
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), this.config.timeoutMs);
      const stop = (): void => deadline.abort();
      this.runSignal?.addEventListener('abort', stop, { once: true });
      try {
        return await call(deadline.signal);
      } catch (err) {
        // The run was stopped: its reason, not a timeout to retry.
        this.runSignal?.throwIfAborted();
        const failure = deadline.signal.aborted ? timedOut(this.config.timeoutMs) : classify(err, this.config);
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
        this.log.info(
          { attempt, status: failure.status, waitMs, tookMs: Date.now() - started, detail },
          'model call failed; retrying',
        );
        await this.delay(waitMs);
      } finally {
        clearTimeout(timer);
        this.runSignal?.removeEventListener('abort', stop);
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

function timedOut(timeoutMs: number): Failure {
  const detail = `no complete answer within ${timeoutMs} ms (POLICYFORGE_MODEL_TIMEOUT_MS)`;
  return { retryable: true, detail, toError: (d) => new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', [d]) };
}

/**
 * Decides what a failed call means: a prompt longer than the model's context ends at once (not an outage;
 * the caller may shrink it); 401/403/404 and other 4xx end at once; 408/409/429/5xx/network/timeout retry.
 * The provider's text is redacted before it is shortened, so a key straddling the cut cannot leak a prefix.
 */
export function classify(err: unknown, config: Pick<ModelConfig, 'model' | 'apiKey'>): Failure {
  const e = err as {
    status?: unknown;
    name?: string;
    message?: string;
    headers?: unknown;
    code?: string;
    cause?: { status?: unknown };
  };
  const status =
    typeof e?.status === 'number' ? e.status : typeof e?.cause?.status === 'number' ? e.cause.status : undefined;
  const detail = redactAndClip(`${status ?? e?.name ?? 'error'}: ${e?.message ?? String(err)}`, 400, [config.apiKey]);
  if (
    e?.name === 'ContextOverflowError' ||
    /context_length_exceeded|maximum context length/i.test(`${e?.code ?? ''} ${e?.message ?? ''}`)
  ) {
    const tokens = contextTokens(e?.message ?? '');
    const counts = tokens
      ? `${tokens.requested} tokens sent, the model "${config.model}" takes at most ${tokens.limit}`
      : `the model "${config.model}" cannot take it`;
    return {
      status,
      retryable: false,
      detail,
      toError: () =>
        new PolicyforgeError('PF_ERR_MODEL_CONTEXT_TOO_LONG', [counts], { details: { status, ...(tokens ?? {}) } }),
    };
  }
  if (status === 401 || status === 403) {
    return {
      status,
      retryable: false,
      detail,
      toError: (d) =>
        new PolicyforgeError('PF_ERR_MODEL_AUTH', [`HTTP ${status}`], { cause: new Error(d), details: { status } }),
    };
  }
  if (status === 404) {
    return {
      status,
      retryable: false,
      detail,
      toError: (d) =>
        new PolicyforgeError('PF_ERR_MODEL_NOT_FOUND', [`the model "${config.model}" or its endpoint (HTTP 404)`], {
          cause: new Error(d),
          details: { status },
        }),
    };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
    return {
      status,
      retryable: false,
      detail,
      toError: (d) => new PolicyforgeError('PF_ERR_MODEL_REQUEST', [`HTTP ${status}`, d], { details: { status } }),
    };
  }
  return {
    status,
    retryable: true,
    retryAfterMs: retryAfterMs(e?.headers),
    detail,
    toError: (d) => new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', [d]),
  };
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

/** "maximum context length is 8192 tokens. However, your messages resulted in 9500 tokens" → both numbers. */
function contextTokens(message: string): { limit: number; requested: number } | undefined {
  const limit = /maximum context length is (\d+)/i.exec(message)?.[1];
  const requested =
    /resulted in (\d+) tokens|requested (\d+) tokens|(\d+) tokens? (?:in|of) (?:the )?(?:messages|prompt|input)/i.exec(
      message,
    );
  const asked = requested?.slice(1).find(Boolean);
  return limit && asked ? { limit: Number(limit), requested: Number(asked) } : undefined;
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

/**
 * The tool call's arguments, or JSON in the text content (servers without tool calling): the whole text,
 * a fenced block inside prose, or the outermost {…} of the text. An answer cut off at the output limit
 * (finish_reason length) and a refusal are told apart from malformed JSON.
 */
function extractJson(
  message: AIMessage,
  tool: string,
): { value?: unknown; raw: string; error?: string; kind?: UnusableAnswer } {
  const finish = (message.response_metadata as { finish_reason?: unknown } | undefined)?.finish_reason;
  const cutOff = finish === 'length';
  const cutOffError = `the answer was cut off at the model's output limit (finish_reason: length); call ${tool} with a shorter answer`;
  const call = message.tool_calls?.find((c) => c.name === tool) ?? message.tool_calls?.[0];
  if (call && !cutOff) return { value: call.args, raw: JSON.stringify(call.args) };
  const invalid = message.invalid_tool_calls?.[0];
  if (cutOff)
    return {
      raw: call ? JSON.stringify(call.args) : String(invalid?.args ?? textOf(message)),
      error: cutOffError,
      kind: 'cut-off',
    };
  if (invalid) {
    return {
      raw: String(invalid.args ?? ''),
      error: `the ${tool} arguments are not valid JSON (${invalid.error ?? 'parse error'}); answer with one JSON object`,
    };
  }
  const text = textOf(message);
  if (!text.trim()) return { raw: text, error: `the answer was empty; call ${tool} with one JSON object` };
  let firstError: Error | undefined;
  for (const candidate of jsonCandidates(text)) {
    try {
      return { value: JSON.parse(candidate), raw: text };
    } catch (err) {
      firstError ??= err as Error;
    }
  }
  if (REFUSAL.test(text))
    return { raw: text, error: `the model refused: ${text.trim().slice(0, 300)}`, kind: 'refused' };
  return {
    raw: text,
    error: `the answer is not valid JSON (${firstError?.message ?? 'no JSON object found'}); call ${tool} with one JSON object`,
  };
}

function textOf(message: AIMessage): string {
  return typeof message.content === 'string'
    ? message.content
    : message.content.map((p) => ('text' in p ? p.text : '')).join('');
}

/** Where the JSON may be, most literal first: the whole text, each fenced block, the outermost braces. */
function jsonCandidates(text: string): string[] {
  const out = [
    text
      .trim()
      .replace(/^```(?:json)?\s*/i, '')
      .replace(/```\s*$/, '')
      .trim(),
  ];
  for (const fence of text.matchAll(/```(?:json|JSON)?[ \t]*\n([\s\S]*?)```/g)) out.push(fence[1].trim());
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open >= 0 && close > open) out.push(text.slice(open, close + 1));
  return [...new Set(out)].filter(Boolean);
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
