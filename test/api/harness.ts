import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Skill } from '../../common/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { openRedisStore, type SkillStore } from '../../skills/index.js';
import { buildApi, type ApiOptions, type ApiServer } from '../../src/api/index.js';
import { withImpactPreview } from '../../src/impact/index.js';
import {
  GenerationMetrics,
  createGenerationQueue,
  startGenerationWorker,
  type GenerateFn,
  type GenerationQueue,
  type GenerationWorker,
} from '../../worker/index.js';

/** A fetch Response whose JSON body tests read freely. */
export interface ApiResponse extends Response {
  json(): Promise<any>;
}

export const TOKEN = 'test-token-0123456789abcdef';

export type ApiCall = (
  path: string,
  init?: RequestInit & { json?: unknown; token?: string | null },
) => Promise<ApiResponse>;

/**
 * fetch against an API at baseUrl() with a bearer token (`token: null` sends none); `json` posts it as the body.
 * The URL is read per call because the service tests learn it only after their process has started.
 */
export function apiCaller(baseUrl: () => string, defaultToken: string = TOKEN): ApiCall {
  return (path, init = {}) => {
    const { json, token, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== null && !headers.has('authorization'))
      headers.set('authorization', `Bearer ${token ?? defaultToken}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const body = json !== undefined ? { body: JSON.stringify(json), method: rest.method ?? 'POST' } : {};
    return fetch(`${baseUrl()}${path}`, { ...rest, headers, ...body }) as Promise<ApiResponse>;
  };
}

/** A running API on a free port, with its own queue prefix and skill store prefix on the given Redis. */
export interface ApiHarness {
  url: string;
  app: ApiServer;
  queue: GenerationQueue;
  store: SkillStore;
  sandbox: SandboxRunner;
  metrics: GenerationMetrics;
  prefix: string;
  worker?: GenerationWorker;
  /** fetch against the API with the bearer token (unless headers say otherwise). */
  call: ApiCall;
  close(): Promise<void>;
}

export async function startApi(
  redisUrl: string,
  options: ApiOptions & { generate?: GenerateFn; skills?: Skill[] } = {},
): Promise<ApiHarness> {
  const prefix = `pf-api-${randomUUID().slice(0, 8)}`;
  const queue = createGenerationQueue({ connection: redisUrl, prefix, backoffMs: 10 });
  // The store borrows the queue's reconnecting, fail-fast client, as src/serve.ts wires it.
  await queue.ping();
  const store = await openRedisStore(queue.client, { prefix: `${prefix}:skills:` });
  for (const skill of options.skills ?? []) {
    await store.putSkill({
      name: skill.name,
      description: skill.description,
      code: skill.code,
      tests: skill.tests,
      provenance: skill.provenance,
      state: skill.state,
    });
  }
  const sandbox = createSandbox({ isolation: 'process', processes: 1 });
  const metrics = new GenerationMetrics();
  const app = await buildApi(
    { queue, store, policies: sandbox, metrics, logger: silentLogger },
    { token: TOKEN, ...options },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // Wired as src/serve.ts wires it: a job naming an `against` upload has its verified policy replayed against it.
  const worker = options.generate
    ? startGenerationWorker({
        connection: redisUrl,
        prefix,
        generate: withImpactPreview(options.generate, { client: queue.client, prefix }),
        metrics,
        logger: silentLogger,
        concurrency: 2,
      })
    : undefined;
  return {
    url,
    app,
    queue,
    store,
    sandbox,
    metrics,
    prefix,
    worker,
    call: apiCaller(() => url),
    async close() {
      await worker?.close();
      await app.close();
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await store.close();
      await sandbox.close();
    },
  };
}

/** Reads a whole server-sent-events stream into {event, id, data} records. */
export async function readEvents(response: Response): Promise<Array<{ event: string; id?: string; data: any }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(': ');
        if (i > 0) fields[line.slice(0, i)] = line.slice(i + 2);
      }
      return { event: fields.event, ...(fields.id ? { id: fields.id } : {}), data: JSON.parse(fields.data) };
    });
}

/** The error of an error response: the body is exactly `{"error": {code, message, details?}}`. */
export async function errorOf(response: ApiResponse): Promise<{ code: string; message: string; details?: any }> {
  const body = await response.json();
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}
