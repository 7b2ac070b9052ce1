import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEmbeddings, ModelClient, retryAfterMs, type ModelConfig } from '../../agents/index.js';
import { isPolicyforgeError } from '../../common/index.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer, type ScriptStep } from '../support/scripted-openai-server.js';

const KEY = 'sk-test-supersecretkey0123456789';
const Answer = z.object({ verdict: z.enum(['yes', 'no']), why: z.string() });
const request = { tool: 'submit_answer', description: 'answer', schema: Answer, system: 'You answer.', human: 'Well?' };

let server: ScriptedOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(steps: ScriptStep[], overrides: Partial<ModelConfig> = {}) {
  server = await startScriptedOpenAIServer({ steps });
  const waits: number[] = [];
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
  const config: ModelConfig = { provider: 'openai-compatible', model: 'scripted-model', apiKey: KEY, baseURL: server.baseURL, timeoutMs: 2000, maxRetries: 3, temperature: 0, ...overrides };
  const client = new ModelClient(config, { delay: async (ms) => void waits.push(ms), random: () => 0.5, logger });
  return { client, waits, lines, server };
}

const good = { toolCall: { arguments: { verdict: 'yes', why: 'because' } }, usage: { prompt_tokens: 120, completion_tokens: 30 } } as const;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isPolicyforgeError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a PolicyforgeError');
}

describe('ModelClient.structured through the real ChatOpenAI client', () => {
  it('forces the tool call, validates the answer and records token usage per call', async () => {
    const { client, server } = await clientFor([good]);
    const answer = await client.structured(request);
    expect(answer).toMatchObject({ ok: true, value: { verdict: 'yes', why: 'because' }, usage: { promptTokens: 120, completionTokens: 30, totalTokens: 150, calls: 1 } });
    const body = server.chatRequests()[0].body;
    expect(body.tools[0].function.name).toBe('submit_answer');
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'submit_answer' } });
    expect(server.chatRequests()[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(client.usage).toEqual({ promptTokens: 120, completionTokens: 30, totalTokens: 150, calls: 1 });
  });

  it('returns malformed JSON as an error to feed back, not a crash', async () => {
    const { client } = await clientFor([{ toolCall: { arguments: '{"verdict": "yes", "why": ' } }]);
    const answer = await client.structured(request);
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.error).toMatch(/not valid JSON/);
  });

  it('returns schema-violating output as an error naming the field', async () => {
    const { client } = await clientFor([{ toolCall: { arguments: { verdict: 'maybe' } } }]);
    const answer = await client.structured(request);
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.error).toMatch(/verdict/);
    expect(!answer.ok && answer.error).toMatch(/why/);
  });

  it('accepts JSON in the content from servers without tool calling', async () => {
    const { client } = await clientFor([{ content: '```json\n{"verdict":"no","why":"x"}\n```' }]);
    expect(await client.structured(request)).toMatchObject({ ok: true, value: { verdict: 'no' } });
  });

  it('falls back to JSON in the message when a server refuses tool calling with a 400, and stays there', async () => {
    const refuse = { status: 400, body: { error: { message: '"auto" tool choice requires --enable-auto-tool-choice', type: 'invalid_request_error' } } };
    const { client, server } = await clientFor([refuse, { content: '{"verdict":"yes","why":"json mode"}' }, { content: '{"verdict":"no","why":"still json"}' }]);
    expect(await client.structured(request)).toMatchObject({ ok: true, value: { why: 'json mode' } });
    expect(await client.structured(request)).toMatchObject({ ok: true, value: { why: 'still json' } });
    const [first, second, third] = server.chatRequests();
    expect(first.body.tools).toBeDefined();
    expect(second.body.tools).toBeUndefined();
    expect(second.messages[0].content).toContain('matching this JSON schema');
    expect(second.messages[0].content).toContain('"verdict"');
    expect(third.body.tools).toBeUndefined();
  });

  it("asks for JSON in the text from the start with structuredOutput 'json'", async () => {
    const { client, server } = await clientFor([{ content: '{"verdict":"no","why":"x"}' }], { structuredOutput: 'json' });
    expect((await client.structured(request)).ok).toBe(true);
    expect(server.chatRequests()[0].body.tools).toBeUndefined();
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const { client, waits, server } = await clientFor([{ status: 429, headers: { 'retry-after': '7' } }, good]);
    expect((await client.structured(request)).ok).toBe(true);
    expect(waits).toEqual([7000]);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('retries 500s with exponential backoff and jitter, then succeeds', async () => {
    const { client, waits } = await clientFor([{ status: 500 }, { status: 502 }, { status: 503 }, good]);
    expect((await client.structured(request)).ok).toBe(true);
    // base 500ms doubling; random()=0.5 puts each wait at 3/4 of its step
    expect(waits).toEqual([375, 750, 1500]);
  });

  it('gives up with PF_ERR_MODEL_UNAVAILABLE after maxRetries', async () => {
    const { client, waits, server } = await clientFor([{ status: 500 }, { status: 500 }, { status: 500 }], { maxRetries: 2 });
    expect(await codeOf(client.structured(request))).toBe('PF_ERR_MODEL_UNAVAILABLE');
    expect(server.chatRequests()).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('times out a call that hangs and retries it', async () => {
    const { client, server } = await clientFor([{ hangMs: 1500 }, good], { timeoutMs: 300 });
    expect((await client.structured(request)).ok).toBe(true);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('ends at once with PF_ERR_MODEL_AUTH on 401, and never logs the key', async () => {
    const { client, waits, server, lines } = await clientFor([{ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } } }, good]);
    let err: unknown;
    try {
      await client.structured(request);
    } catch (e) {
      err = e;
    }
    expect(isPolicyforgeError(err, 'PF_ERR_MODEL_AUTH')).toBe(true);
    expect(server.chatRequests()).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(JSON.stringify(err)).not.toContain(KEY);
    expect((err as Error).message).not.toContain(KEY);
    expect(lines.join('')).not.toContain(KEY);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('ends at once with PF_ERR_MODEL_AUTH on 403 and PF_ERR_MODEL_NOT_FOUND on 404', async () => {
    const forbidden = await clientFor([{ status: 403 }]);
    expect(await codeOf(forbidden.client.structured(request))).toBe('PF_ERR_MODEL_AUTH');
    await forbidden.server.close();
    const missing = await clientFor([{ status: 404, body: { error: { message: 'The model scripted-model does not exist', type: 'invalid_request_error' } } }]);
    expect(await codeOf(missing.client.structured(request))).toBe('PF_ERR_MODEL_NOT_FOUND');
    expect(missing.server.chatRequests()).toHaveLength(1);
  });
});

describe('createEmbeddings through the real OpenAIEmbeddings client', () => {
  const config = (baseURL: string): ModelConfig => ({ provider: 'openai-compatible', model: 'scripted-model', embeddingsModel: 'scripted-embeddings', apiKey: KEY, baseURL, timeoutMs: 2000, maxRetries: 0, temperature: 0 });

  it('embeds with the configured model, and is absent without an embedding model', async () => {
    server = await startScriptedOpenAIServer({ embed: (text) => (text === 'pods' ? [1, 0, 0] : [0, 1, 0]) });
    const embeddings = createEmbeddings(config(server.baseURL))!;
    expect(await embeddings.embedQuery('pods')).toEqual([1, 0, 0]);
    expect(createEmbeddings({ ...config(server.baseURL), embeddingsModel: undefined })).toBeUndefined();
  });

  it("never lets the key out through an error: a provider message that echoes it is scrubbed (the library logs these when it falls back to lexical ranking)", async () => {
    server = await startScriptedOpenAIServer();
    server.embeddingFailure = { status: 400, body: { error: { message: `invalid key ${KEY} for this model`, type: 'invalid_request_error' } } };
    const embeddings = createEmbeddings(config(server.baseURL))!;
    const failure = await embeddings.embedQuery('pods').then(() => undefined, (err: unknown) => err as Error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toMatch(/invalid key/);
    expect(failure!.message).not.toContain(KEY);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 20:00:10 GMT' }, Date.parse('Wed, 25 Nov 2026 20:00:00 GMT'))).toBe(10_000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});
