import { text } from 'node:stream/consumers';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI-compatible HTTP server for tests. It speaks the real Chat Completions and Embeddings
 * wire format, so production code drives it through the real ChatOpenAI client with only a base URL
 * changed. Each chat request takes the next step of the script; every request is recorded for assertions.
 * The loop's independent judge (tool `submit_judgement`) answers from its own script, `judgements`, so a
 * script of planner, coder and critic steps reads in order; with none scripted, the judge agrees with
 * every case it is shown.
 */

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Convenience: the chat messages sent, flattened to {role, content}. */
  messages: Array<{ role: string; content: string }>;
}

export type ScriptStep =
  /** Answer with a function/tool call carrying these arguments (object → JSON, or a raw string). */
  | { toolCall: { name?: string; arguments: unknown }; usage?: Usage; delayMs?: number; finishReason?: string }
  /** Answer with plain assistant text (e.g. JSON in content for json_schema response_format). */
  | { content: string; usage?: Usage; delayMs?: number; finishReason?: string }
  /** Answer with an HTTP error. */
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Never answer within `delayMs` (to exercise client timeouts), then answer with the next field if any. */
  | { hangMs: number }
  /** Send 200 and its headers and the first bytes of a body at once, then nothing for `stallMs` (a body that stalls). */
  | { stallAfterHeadersMs: number }
  /** Compute the answer from the request. */
  | ((req: RecordedRequest) => ScriptStep);

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ScriptedOpenAIServer {
  /** Base URL to give the client, ending in /v1. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Chat requests only, the judge's left out (see judgeRequests). */
  chatRequests(): RecordedRequest[];
  /** The judge's chat requests (tool `submit_judgement`), in order. */
  judgeRequests(): RecordedRequest[];
  /** Steps the judge's requests take, in order; when empty, `judgeFallback`. */
  judgements: ScriptStep[];
  /** @defaultValue a judge that agrees with every case in the request (agreeingJudge) */
  judgeFallback: ScriptStep;
  /** Append steps to the script. */
  push(...steps: ScriptStep[]): void;
  /** Used when the script is empty; default: a 500 saying the script ran out. */
  fallback?: ScriptStep;
  /** Embeddings requests only (`input` a string for embedQuery, an array for embedDocuments). */
  embeddingRequests(): RecordedRequest[];
  /**
   * The vector for one embeddings input, chosen by the test (undefined: the built-in bag-of-words vector).
   * Every vector of one response must have the same length, as a real model's do. Settable at any time.
   */
  embed?: (text: string) => number[] | undefined;
  /** While set, every embeddings request is answered with this HTTP error (a provider outage). */
  embeddingFailure?: { status: number; body?: unknown };
  /** While set, every embeddings request gets 200 and its headers, then no body for this long (a stalled body). */
  embeddingStallMs?: number;
  close(): Promise<void>;
}

export async function startScriptedOpenAIServer(
  options: {
    steps?: ScriptStep[];
    fallback?: ScriptStep;
    embeddingDims?: number;
    embed?: (text: string) => number[] | undefined;
  } = {},
): Promise<ScriptedOpenAIServer> {
  const script: ScriptStep[] = [...(options.steps ?? [])];
  const requests: RecordedRequest[] = [];
  const dims = options.embeddingDims ?? 16;
  let id = 0;

  const state: ScriptedOpenAIServer = {
    baseURL: '',
    requests,
    chatRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions') && !isJudgeRequest(r)),
    judgeRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions') && isJudgeRequest(r)),
    judgements: [],
    judgeFallback: agreeingJudge,
    push: (...steps) => script.push(...steps),
    fallback: options.fallback,
    embeddingRequests: () => requests.filter((r) => r.path.endsWith('/embeddings')),
    embed: options.embed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await text(req);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return send(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
    }
    const path = (req.url ?? '').split('?')[0];
    const recorded: RecordedRequest = {
      path,
      headers: req.headers,
      body,
      messages: Array.isArray(body.messages)
        ? body.messages.map((m: any) => ({ role: m.role, content: flatten(m.content) }))
        : [],
    };
    requests.push(recorded);

    if (path.endsWith('/embeddings')) {
      if (state.embeddingStallMs) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"object":"list",');
        await sleep(state.embeddingStallMs);
        if (!res.destroyed) res.end('"data":[]}');
        return;
      }
      if (state.embeddingFailure) {
        const { status, body: failure } = state.embeddingFailure;
        return send(res, status, failure ?? { error: { message: `scripted ${status}`, type: 'server_error' } });
      }
      // OpenAI accepts one string or an array of strings (token arrays are not needed by any client here).
      const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
      if (!inputs.length || inputs.some((t) => typeof t !== 'string')) {
        return send(res, 400, {
          error: {
            message: "'input' must be a string or a non-empty array of strings",
            type: 'invalid_request_error',
            param: 'input',
          },
        });
      }
      const format = body.encoding_format ?? 'float';
      if (format !== 'float' && format !== 'base64') {
        return send(res, 400, {
          error: {
            message: `encoding_format must be float or base64, not ${format}`,
            type: 'invalid_request_error',
            param: 'encoding_format',
          },
        });
      }
      const texts = inputs as string[];
      // The openai client asks for base64 (little-endian float32) unless told otherwise and decodes it itself;
      // a float array sent back to it would be misread as bytes, so the format asked for is the one answered.
      const encode = (v: number[]): number[] | string =>
        format === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v;
      const tokens = texts.reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
      return send(res, 200, {
        object: 'list',
        data: texts.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: encode(state.embed?.(text) ?? embed(text, dims)),
        })),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    if (!path.endsWith('/chat/completions'))
      return send(res, 404, { error: { message: `no route ${path}`, type: 'invalid_request_error' } });

    let step: ScriptStep | undefined = isJudgeRequest(recorded)
      ? (state.judgements.shift() ?? state.judgeFallback)
      : (script.shift() ?? state.fallback);
    if (!step) return send(res, 500, { error: { message: 'scripted server: script exhausted', type: 'server_error' } });
    while (typeof step === 'function') step = step(recorded);

    if ('hangMs' in step) {
      await sleep(step.hangMs);
      if (!res.destroyed) send(res, 504, { error: { message: 'scripted hang elapsed', type: 'server_error' } });
      return;
    }
    if ('stallAfterHeadersMs' in step) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"chatcmpl-stalled","object":"chat.completion",');
      await sleep(step.stallAfterHeadersMs);
      if (!res.destroyed) res.end('"choices":[]}');
      return;
    }
    if (step.delayMs) await sleep(step.delayMs);
    if ('status' in step) {
      return send(
        res,
        step.status,
        step.body ?? { error: { message: `scripted ${step.status}`, type: 'server_error' } },
        step.headers,
      );
    }
    const usage = step.usage ?? {
      prompt_tokens: JSON.stringify(body.messages ?? []).length >> 2,
      completion_tokens: 50,
    };
    const message =
      'toolCall' in step
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: `call_${++id}`,
                type: 'function',
                function: {
                  name: step.toolCall.name ?? body.tools?.[0]?.function?.name ?? 'respond',
                  arguments:
                    typeof step.toolCall.arguments === 'string'
                      ? step.toolCall.arguments
                      : JSON.stringify(step.toolCall.arguments),
                },
              },
            ],
          }
        : { role: 'assistant', content: step.content };
    send(res, 200, {
      id: `chatcmpl-${++id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'scripted',
      choices: [
        {
          index: 0,
          message,
          finish_reason: step.finishReason ?? ('toolCall' in step ? 'tool_calls' : 'stop'),
          logprobs: null,
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function flatten(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('');
  return content == null ? '' : JSON.stringify(content);
}

/** A deterministic bag-of-words embedding: related texts get nearby vectors, unrelated ones don't. */
function embed(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    v[Math.abs(h) % dims] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A request to the loop's judge: its tool (or, when asked for JSON in the message, its system prompt) names submit_judgement. */
function isJudgeRequest(r: RecordedRequest): boolean {
  return (
    r.body?.tools?.[0]?.function?.name === 'submit_judgement' ||
    (r.messages[0]?.content ?? '').includes('`submit_judgement`')
  );
}

/** The cases a judge request shows (`### case N: name` lines of the human message). */
export function judgedCaseNames(r: RecordedRequest): string[] {
  const human = r.messages.find((m) => m.role === 'user')?.content ?? '';
  return [...human.matchAll(/^### case \d+: (.+)$/gm)].map((m) => m[1]);
}

/** A judge that agrees with every case it is shown. */
export const agreeingJudge: ScriptStep = (r) => ({
  toolCall: {
    arguments: {
      verdicts: judgedCaseNames(r).map((name) => ({ case: name, verdict: 'agree', reason: 'the intent demands it' })),
    },
  },
});

/** A judge that disagrees with the named cases (reason given) and agrees with the rest. */
export function judgeDisagreeing(objections: Record<string, string>): ScriptStep {
  return (r) => ({
    toolCall: {
      arguments: {
        verdicts: judgedCaseNames(r).map((name) =>
          name in objections
            ? { case: name, verdict: 'disagree', reason: objections[name] }
            : { case: name, verdict: 'agree', reason: 'the intent demands it' },
        ),
      },
    },
  });
}
