import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEmbeddings, ModelClient, retryAfterMs, type ModelConfig } from '../../agents/index.js';
import { writePolicy } from '../../agents/coder.js';
import { builtinSkills } from '../../skills/index.js';
import { isPolicyforgeError } from '../../common/index.js';
import {
  startScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../support/scripted-openai-server.js';
import { podsPlan } from '../support/plans.js';

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
  const logger = pino(
    { level: 'debug' },
    new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }),
  );
  const config: ModelConfig = {
    provider: 'openai-compatible',
    model: 'scripted-model',
    apiKey: KEY,
    baseURL: server.baseURL,
    timeoutMs: 2000,
    maxRetries: 3,
    temperature: 0,
    ...overrides,
  };
  const client = new ModelClient(config, { delay: async (ms) => void waits.push(ms), random: () => 0.5, logger });
  return { client, waits, lines, server };
}

const good = {
  toolCall: { arguments: { verdict: 'yes', why: 'because' } },
  usage: { prompt_tokens: 120, completion_tokens: 30 },
} as const;

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
    expect(answer).toMatchObject({
      ok: true,
      value: { verdict: 'yes', why: 'because' },
      usage: { promptTokens: 120, completionTokens: 30, totalTokens: 150, calls: 1 },
    });
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
    const refuse = {
      status: 400,
      body: {
        error: { message: '"auto" tool choice requires --enable-auto-tool-choice', type: 'invalid_request_error' },
      },
    };
    const { client, server } = await clientFor([
      refuse,
      { content: '{"verdict":"yes","why":"json mode"}' },
      { content: '{"verdict":"no","why":"still json"}' },
    ]);
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
    const { client, server } = await clientFor([{ content: '{"verdict":"no","why":"x"}' }], {
      structuredOutput: 'json',
    });
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
    const { client, waits, server } = await clientFor([{ status: 500 }, { status: 500 }, { status: 500 }], {
      maxRetries: 2,
    });
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
    const { client, waits, server, lines } = await clientFor([
      {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } },
      },
      good,
    ]);
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
    const missing = await clientFor([
      {
        status: 404,
        body: { error: { message: 'The model scripted-model does not exist', type: 'invalid_request_error' } },
      },
    ]);
    expect(await codeOf(missing.client.structured(request))).toBe('PF_ERR_MODEL_NOT_FOUND');
    expect(missing.server.chatRequests()).toHaveLength(1);
  });
});

describe('the model path under faults', () => {
  it(
    'holds one deadline over the whole call: a body that stalls after the headers is abandoned and retried',
    { timeout: 15_000 },
    async () => {
      const { client, server } = await clientFor([{ stallAfterHeadersMs: 120_000 }, good], { timeoutMs: 400 });
      expect(await client.structured(request)).toMatchObject({ ok: true, value: { verdict: 'yes' } });
      expect(server.chatRequests()).toHaveLength(2);
    },
  );

  it(
    'stops a call in flight, without retrying, when the run it belongs to is stopped (issue 15: handed-back jobs)',
    { timeout: 20_000 },
    async () => {
      const { client, server } = await clientFor([{ stallAfterHeadersMs: 120_000 }, good], { timeoutMs: 60_000 });
      const run = new AbortController();
      const reason = new Error('handed back at shutdown');
      setTimeout(() => run.abort(reason), 200);
      await expect(client.withSignal(run.signal).structured(request)).rejects.toBe(reason);
      expect(server.chatRequests()).toHaveLength(1);
      // The client itself is not stopped: another run's calls go on.
      expect(await client.structured(request)).toMatchObject({ ok: true, value: { verdict: 'yes' } });
    },
  );

  const tooLong = {
    status: 400,
    body: {
      error: {
        message:
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9500 tokens. Please reduce the length of the messages.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };

  it('says a prompt is too long for the model, with the token counts, and does not retry it as an outage', async () => {
    const { client, server, waits } = await clientFor([tooLong, tooLong, tooLong, good]);
    const err = await client.structured(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_MODEL_CONTEXT_TOO_LONG')).toBe(true);
    expect((err as Error).message).toMatch(
      /prompt is too long for the model: 9500 tokens sent, the model "scripted-model" takes at most 8192/,
    );
    expect(server.chatRequests()).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('the coder sends less once (half the skills, shorter feedback) when the prompt is too long, then uses the answer', async () => {
    const draft = {
      toolCall: {
        arguments: {
          plan: 'allow',
          spec: { type: 'Validating', operations: ['CREATE'], resources: ['pods'], javascript: 'allow();' },
          explanation: 'x',
        },
      },
    };
    const { client, server } = await clientFor([tooLong, draft]);
    const skills = builtinSkills.filter((s) => !s.dependsOn?.length).slice(0, 4);
    const out = await writePolicy(client, {
      intent: { text: 'deny pods without an owner label' },
      plan: podsPlan(),
      skills,
      feedback: { report: 'r'.repeat(5000), code: 'c'.repeat(5000) },
    });
    expect(out.error, out.error).toBeUndefined();
    const [first, second] = server.chatRequests();
    expect(second.messages[0].content.length).toBeLessThan(first.messages[0].content.length);
    expect(first.messages[0].content).toContain(`function ${skills[3].name}`);
    expect(second.messages[0].content).not.toContain(`function ${skills[3].name}`);
    expect(second.messages[1].content.length).toBeLessThan(first.messages[1].content.length - 5000);
  });

  it('the coder gives up when the shrunk prompt is still too long', async () => {
    const { client, server } = await clientFor([tooLong, tooLong]);
    const input = {
      intent: { text: 'x' },
      plan: podsPlan(),
      skills: [],
      feedback: {},
    };
    await expect(writePolicy(client, input)).rejects.toMatchObject({ code: 'PF_ERR_MODEL_CONTEXT_TOO_LONG' });
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('says an answer was cut off at the output limit (finish_reason length) and asks once for a shorter one', async () => {
    const { client, server } = await clientFor(
      [
        { content: '{"verdict":"yes","why":"because it is a very long', finishReason: 'length' },
        { content: '{"verdict":"yes","why":"short"}' },
      ],
      { structuredOutput: 'json' },
    );
    expect(await client.structured(request)).toMatchObject({ ok: true, value: { why: 'short' }, usage: { calls: 2 } });
    expect(server.chatRequests()[1].messages[1].content).toMatch(/cut off at the output length limit/);
  });

  it('reports an answer cut off twice as cut off, not as invalid JSON (tool calls too)', async () => {
    const cut = { toolCall: { arguments: '{"verdict":"yes","why":"tr' }, finishReason: 'length' };
    const { client, server } = await clientFor([cut, cut, good]);
    const answer = await client.structured(request);
    expect(answer).toMatchObject({ ok: false, kind: 'cut-off' });
    expect(!answer.ok && answer.error).toMatch(/^the answer was cut off at the model's output limit/);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('says the model refused when it answers with a refusal instead of the JSON', async () => {
    const { client } = await clientFor(
      [{ content: "I'm sorry, but I can't help with that." }, { content: 'I cannot assist with this request.' }],
      { structuredOutput: 'json' },
    );
    expect(await client.structured(request)).toMatchObject({
      ok: false,
      kind: 'refused',
      error: "the model refused: I'm sorry, but I can't help with that.",
    });
    expect(await client.structured(request)).toMatchObject({
      ok: false,
      kind: 'refused',
      error: 'the model refused: I cannot assist with this request.',
    });
  });

  it('extracts a fenced JSON answer from the prose around it', async () => {
    const { client } = await clientFor(
      [
        {
          content:
            'Sure! Here is the answer:\n\n```json\n{"verdict":"no","why":"fenced"}\n```\n\nLet me know if you need more.',
        },
      ],
      { structuredOutput: 'json' },
    );
    expect(await client.structured(request)).toMatchObject({ ok: true, value: { why: 'fenced' } });
  });

  for (const key of [KEY, 'Zq8vR2mT7xLp4Nw9Kc3Hb6Yd1Fg5Js']) {
    it(`redacts a provider message before cutting it: a key straddling the cut leaks nothing (${key.startsWith('sk-') ? 'with' : 'without'} sk-)`, async () => {
      for (const offset of [360, 370, 375, 380, 384]) {
        const message = `${'x'.repeat(offset)} ${key} trailing`;
        const { client, lines, server } = await clientFor(
          [{ status: 400, body: { error: { message, type: 'invalid_request_error' } } }],
          { apiKey: key, structuredOutput: 'json' },
        );
        const err = (await client.structured(request).then(
          () => undefined,
          (e: unknown) => e,
        )) as Error;
        const seen = `${err.message} ${JSON.stringify(err)} ${lines.join('')}`;
        for (let n = 6; n <= key.length; n++)
          expect(seen, `offset ${offset}, ${n} characters`).not.toContain(key.slice(0, n));
        await server.close();
      }
    });
  }
});

describe('createEmbeddings through the real OpenAIEmbeddings client', () => {
  const config = (baseURL: string): ModelConfig => ({
    provider: 'openai-compatible',
    model: 'scripted-model',
    embeddingsModel: 'scripted-embeddings',
    apiKey: KEY,
    baseURL,
    timeoutMs: 2000,
    maxRetries: 0,
    temperature: 0,
  });

  it('embeds with the configured model, and is absent without an embedding model', async () => {
    server = await startScriptedOpenAIServer({ embed: (text) => (text === 'pods' ? [1, 0, 0] : [0, 1, 0]) });
    const embeddings = createEmbeddings(config(server.baseURL))!;
    expect(await embeddings.embedQuery('pods')).toEqual([1, 0, 0]);
    expect(createEmbeddings({ ...config(server.baseURL), embeddingsModel: undefined })).toBeUndefined();
  });

  it('tries a failing embedding model once (no client-side retries) and then fails fast, so retrieval falls back to words at once', async () => {
    server = await startScriptedOpenAIServer();
    server.embeddingFailure = { status: 503 };
    const embeddings = createEmbeddings({ ...config(server.baseURL), maxRetries: 4 })!;
    await expect(embeddings.embedQuery('pods')).rejects.toThrow(/503/);
    await expect(embeddings.embedDocuments(['pods', 'nodes'])).rejects.toThrow(/embeddings off for 600 s/);
    expect(server.embeddingRequests()).toHaveLength(1);
  });

  it(
    'gives up an embeddings answer whose body stalls after the headers at the model deadline',
    { timeout: 15_000 },
    async () => {
      server = await startScriptedOpenAIServer();
      server.embeddingStallMs = 120_000;
      const embeddings = createEmbeddings({ ...config(server.baseURL), timeoutMs: 400 })!;
      await expect(embeddings.embedQuery('pods')).rejects.toThrow(/no complete answer within 400 ms/);
    },
  );

  it('never lets the key out through an error: a provider message that echoes it is scrubbed (the library logs these when it falls back to lexical ranking)', async () => {
    server = await startScriptedOpenAIServer();
    server.embeddingFailure = {
      status: 400,
      body: { error: { message: `invalid key ${KEY} for this model`, type: 'invalid_request_error' } },
    };
    const embeddings = createEmbeddings(config(server.baseURL))!;
    const failure = await embeddings.embedQuery('pods').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toMatch(/invalid key/);
    expect(failure!.message).not.toContain(KEY);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(
      retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 20:00:10 GMT' }, Date.parse('Wed, 25 Nov 2026 20:00:00 GMT')),
    ).toBe(10_000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});
