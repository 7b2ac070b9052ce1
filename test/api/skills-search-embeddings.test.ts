import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadModelConfig, type ModelConfig } from '../../agents/index.js';
import type { Skill } from '../../common/index.js';
import { openRedisStore, SkillLibrary, type SkillStore } from '../../skills/index.js';
import { embeddingText } from '../../skills/retrieval.js';
import { loadServiceConfig } from '../../src/config.js';
import { createGenerator } from '../../src/loop/index.js';
import { startService, type RunningService } from '../../src/serve.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';

// GET /v1/skills?q= of `policyforge serve` (src/serve.ts → ApiDeps → the skills route) with a model that has
// an embedding model: the search ranks exactly as the generation loop's retrieval (same embeddings, same
// cache key in the store), over real HTTP, with the real OpenAIEmbeddings client talking to the scripted
// OpenAI-compatible server.

const TOKEN = 'skills-embeddings-token-0123456789';
/** Not shaped like an OpenAI key: only redaction of the configured value hides it. */
const SECRET = 'local-secret-token-4711';
const EMBED_MODEL = 'embed-test';
/** No word in common with any skill: only the embedding can find anything. */
const UNRELATED = 'zzqx frobnicate';

const SKILLS: Array<Pick<Skill, 'name' | 'description' | 'state'>> = [
  {
    name: 'addedCapabilities',
    description: 'Capabilities a container adds to its security context',
    state: 'approved',
  },
  { name: 'hostPathVolumes', description: 'The hostPath volumes of a pod spec', state: 'approved' },
  { name: 'isPrivileged', description: 'True when a container runs privileged', state: 'approved' },
  { name: 'imageRegistry', description: 'The registry host of a container image reference', state: 'approved' },
  {
    name: 'privilegedEscalation',
    description: 'True when a privileged container allows privilege escalation',
    state: 'candidate',
  },
];

/**
 * Vectors chosen by the test: a query with "zzqx" and hostPathVolumes' text point the same way,
 * imageRegistry's partly (cosine 0.6), every other text elsewhere (cosine 0).
 */
function chosenVectors(text: string): number[] {
  if (text.includes('zzqx') || text.includes('hostPath volumes of a pod spec')) return [1, 0, 0, 0, 0, 0, 0, 0];
  if (text.includes('registry host of a container image')) return [0.6, 0.8, 0, 0, 0, 0, 0, 0];
  return [0, 0, 1, 0, 0, 0, 0, 0];
}

let redis: TestRedis;
let server: ScriptedOpenAIServer;
let service: RunningService;
let store: SkillStore;
let client: Redis;
let model: ModelConfig;
let skillPrefix: string;
let id: string;
const logLines: string[] = [];

beforeAll(async () => {
  redis = await redisForTests();
  server = await startScriptedOpenAIServer({ embed: chosenVectors });
  id = randomUUID().slice(0, 8);
  skillPrefix = `pf-emb-${id}:skills:`;
  client = new Redis(redis.url);
  store = await openRedisStore(client, { prefix: skillPrefix });
  for (const s of SKILLS) {
    await store.putSkill({
      ...s,
      code: `function ${s.name}(x) {\n  return x;\n}`,
      tests: [],
      provenance: { date: '2026-11-25T10:00:00.000Z', source: 'generated' },
    });
  }
  model = loadModelConfig({
    OPENAI_BASE_URL: server.baseURL,
    OPENAI_API_KEY: SECRET,
    POLICYFORGE_EMBEDDINGS_MODEL: EMBED_MODEL,
    POLICYFORGE_MODEL_MAX_RETRIES: '0',
  })!;
  const config = loadServiceConfig(
    {
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      POLICYFORGE_API_TOKEN: TOKEN,
      POLICYFORGE_QUEUE_PREFIX: `pf-emb-${id}`,
      POLICYFORGE_SKILL_PREFIX: skillPrefix,
      POLICYFORGE_SANDBOX_PROCESSES: '1',
    },
    { role: 'api' },
  );
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  service = await startService({ config, role: 'api', model, logger: pino({ level: 'warn' }, capture) });
});
afterAll(async () => {
  await service?.close();
  await store?.close();
  if (client) {
    const keys = await client.keys(`pf-emb-${id}*`);
    if (keys.length) await client.del(...keys);
    client.disconnect();
  }
  await server?.close();
  await redis?.close();
});
beforeEach(() => {
  server.embed = chosenVectors;
  server.embeddingFailure = undefined;
});

async function search(params: Record<string, string>): Promise<string[]> {
  const response = await fetch(`${service.url}/v1/skills?${new URLSearchParams(params)}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(text).not.toContain(SECRET);
  return (JSON.parse(text) as { skills: Skill[] }).skills.map((s) => s.id);
}

/** Skill texts sent to embedDocuments (array inputs) and queries sent to embedQuery (string inputs), since `from`. */
function sentSince(from: number): { documents: string[]; queries: string[] } {
  const requests = server.embeddingRequests().slice(from);
  return {
    documents: requests.flatMap((r) => (Array.isArray(r.body.input) ? (r.body.input as string[]) : [])).sort(),
    queries: requests.flatMap((r) => (typeof r.body.input === 'string' ? [r.body.input] : [])),
  };
}

const texts = (names: string[]): string[] =>
  SKILLS.filter((s) => names.includes(s.name))
    .map((s) => embeddingText(s))
    .sort();

describe('GET /v1/skills?q= with an embedding model (policyforge serve)', () => {
  it('ranks with the embeddings: a query sharing no word with a skill finds it (lexically: nothing)', async () => {
    const from = server.embeddingRequests().length;
    expect(await search({ q: UNRELATED })).toEqual(['hostPathVolumes@1', 'imageRegistry@1']);
    expect(sentSince(from)).toEqual({
      documents: texts(['addedCapabilities', 'hostPathVolumes', 'isPrivileged', 'imageRegistry']),
      queries: [UNRELATED],
    });
    const requests = server.embeddingRequests().slice(from);
    expect(requests.every((r) => r.body.model === EMBED_MODEL && r.headers.authorization === `Bearer ${SECRET}`)).toBe(
      true,
    );
    expect((await new SkillLibrary(store, { countRetrievals: false }).search(UNRELATED, 20)).map((s) => s.id)).toEqual(
      [],
    );
  });

  it("caches vectors under the loop's key: candidates add only their own text, and the loop embeds nothing again", async () => {
    await search({ q: UNRELATED }); // the approved skills' vectors are in the store (first test or now)
    const from = server.embeddingRequests().length;
    expect(await search({ q: UNRELATED, candidates: 'true' })).toEqual(['hostPathVolumes@1', 'imageRegistry@1']);
    expect(sentSince(from).documents).toEqual(texts(['privilegedEscalation']));

    const generator = await createGenerator({ store, model, seedBuiltins: false, includeCandidates: true });
    try {
      const loopFrom = server.embeddingRequests().length;
      const loop = (await generator.library.search(UNRELATED, 20)).map((s) => s.id);
      expect(loop).toEqual(['hostPathVolumes@1', 'imageRegistry@1']);
      expect(sentSince(loopFrom)).toEqual({ documents: [], queries: [UNRELATED] });
    } finally {
      await generator.close();
    }
  });

  it("gives the loop's order when words and vectors both count, which is not the lexical order", async () => {
    const generator = await createGenerator({ store, model, seedBuiltins: false });
    try {
      const queries = ['privileged container zzqx', 'container image zzqx', 'privileged container', 'pod volumes'];
      let differsFromLexical = 0;
      for (const q of queries) {
        const loop = (await generator.library.search(q, 20)).map((s) => s.id);
        expect(await search({ q }), q).toEqual(loop);
        const lexical = (await new SkillLibrary(store, { countRetrievals: false }).search(q, 20)).map((s) => s.id);
        if (JSON.stringify(lexical) !== JSON.stringify(loop)) differsFromLexical++;
      }
      expect(differsFromLexical).toBeGreaterThanOrEqual(2);
    } finally {
      await generator.close();
    }
  });

  it('an embedding model that fails: 200 with the lexical order and a warning in the log, without the key', async () => {
    server.embeddingFailure = {
      status: 500,
      body: { error: { message: `upstream refused key ${SECRET}`, type: 'server_error' } },
    };
    const q = 'privileged container security';
    const lexical = (await new SkillLibrary(store, { countRetrievals: false }).search(q, 20)).map((s) => s.id);
    expect(lexical.length).toBeGreaterThan(0);
    expect(await search({ q })).toEqual(lexical);
    const log = logLines.join('');
    expect(log).toContain('embedding the query failed; ranking lexically');
    expect(log).toContain('[redacted]');
    expect(log).not.toContain(SECRET);
  });
});
