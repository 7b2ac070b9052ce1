import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Skill } from '../../common/index.js';
import { builtinSkills, openSqliteStore } from '../../skills/index.js';
import { embeddingText } from '../../skills/retrieval.js';
import { createGenerator } from '../../src/loop/index.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../support/scripted-openai-server.js';
import { runCli, type CliRun } from './run-cli.js';

// `policyforge skills search` with a model configured ranks as the generation loop does: the loop's
// embeddings (OPENAI_BASE_URL → the scripted OpenAI-compatible server, real OpenAIEmbeddings client) and the
// loop's cache key, so vectors either of them stored are reused by the other. In-process through main(argv),
// and through the real bin where a log line on stderr is the point.

const exec = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'pf-skills-emb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Not shaped like an OpenAI key, so only redaction of the configured value (not a pattern) hides it. */
const SECRET = 'local-secret-token-4711';
const EMBED_MODEL = 'embed-test';
/** No word in common with any skill: only the embedding can find anything. */
const UNRELATED = 'zzqx frobnicate';
const OWNER = builtinSkills.find((s) => s.name === 'ownerKinds')!;

/**
 * Vectors chosen by the test: the UNRELATED query and ownerKinds' text point one way, every other text
 * another. Lexically the query matches nothing; with the embeddings, ownerKinds is the one answer.
 */
function chosenVectors(text: string): number[] {
  const near = text.includes('zzqx') || text.includes(OWNER.description.slice(0, 40));
  return near ? [1, 0, 0, 0, 0, 0, 0, 0] : [0, 1, 0, 0, 0, 0, 0, 0];
}

let server: ScriptedOpenAIServer;
beforeAll(async () => {
  server = await startScriptedOpenAIServer({ embed: chosenVectors });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  server.embed = chosenVectors;
  server.embeddingFailure = undefined;
});

let stores = 0;
const newStore = (): string => join(root, `skills-${++stores}.sqlite`);

function modelEnv(): Record<string, string> {
  return {
    OPENAI_BASE_URL: server.baseURL,
    OPENAI_API_KEY: SECRET,
    POLICYFORGE_EMBEDDINGS_MODEL: EMBED_MODEL,
    POLICYFORGE_MODEL_MAX_RETRIES: '0',
  };
}

function cleanEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: root, POLICYFORGE_HOME: join(root, 'home'), LOG_LEVEL: 'warn', ...env };
}

/** In-process (run-cli.ts) with a clean environment (no key from the machine running the tests) plus `env`. */
function run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { cleanEnv: cleanEnv(env) });
}

/** The real bin, for what only a process shows: the structured log lines it writes to its stderr. */
function runBin(args: string[], env: Record<string, string>): Promise<CliRun> {
  return exec('node', ['bin/policyforge.js', ...args], { env: cleanEnv(env), maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
}

async function search(
  store: string,
  query: string,
  extra: string[] = [],
  env: Record<string, string> = modelEnv(),
): Promise<string[]> {
  const r = await run(['skills', 'search', ...query.split(' '), '--store', store, '--json', '-k', '5', ...extra], env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  return (JSON.parse(r.stdout) as Skill[]).map((s) => s.id);
}

/** Skill texts sent to embedDocuments (array inputs) and queries sent to embedQuery (string inputs), since `from`. */
function sentSince(from: number): { documents: string[]; queries: string[] } {
  const requests = server.embeddingRequests().slice(from);
  return {
    documents: requests.flatMap((r) => (Array.isArray(r.body.input) ? (r.body.input as string[]) : [])),
    queries: requests.flatMap((r) => (typeof r.body.input === 'string' ? [r.body.input] : [])),
  };
}

describe('policyforge skills search with a model configured', { timeout: 180_000 }, () => {
  it('ranks with the embeddings: a query sharing no word with a skill finds it; --lexical and --offline do not ask the model', async () => {
    const store = newStore();
    const before = server.embeddingRequests().length;
    expect(await search(store, UNRELATED)).toEqual(['ownerKinds@1']);
    const sent = sentSince(before);
    expect(sent.queries).toEqual([UNRELATED]);
    expect(sent.documents).toHaveLength(builtinSkills.length);
    const requests = server.embeddingRequests().slice(before);
    expect(requests.every((r) => r.body.model === EMBED_MODEL && r.headers.authorization === `Bearer ${SECRET}`)).toBe(
      true,
    );

    const asked = server.embeddingRequests().length;
    expect(await search(store, UNRELATED, ['--lexical'])).toEqual([]);
    expect(await search(store, UNRELATED, ['--offline'])).toEqual([]);
    expect(server.embeddingRequests().length).toBe(asked);
    // Without POLICYFORGE_EMBEDDINGS_MODEL the model configuration gives no embeddings: lexical, as for the loop.
    const { POLICYFORGE_EMBEDDINGS_MODEL: _unset, ...chatOnly } = modelEnv();
    expect(await search(store, UNRELATED, [], chatOnly)).toEqual([]);
    expect(server.embeddingRequests().length).toBe(asked);
  });

  it("gives the loop's order, and loop and CLI share the store's cached vectors (only new skills are embedded)", async () => {
    const store = newStore();
    server.embed = undefined; // the server's bag-of-words vectors: a realistic mix of lexical and semantic
    const queries = ['block privileged containers in pods', 'image registry of every container', UNRELATED];
    const generator = await createGenerator({ store, env: modelEnv() });
    let loop: string[][];
    const before = server.embeddingRequests().length;
    try {
      loop = [];
      for (const q of queries) loop.push((await generator.library.search(q, 5)).map((s) => s.id));
    } finally {
      await generator.close();
    }
    expect(sentSince(before).documents).toHaveLength(builtinSkills.length);

    // The CLI finds every vector under the loop's key: it asks the model for the queries only.
    const cliStart = server.embeddingRequests().length;
    for (const [i, q] of queries.entries()) expect(await search(store, q), q).toEqual(loop[i]);
    expect(sentSince(cliStart)).toEqual({ documents: [], queries });
    // And the rankings are not the lexical ones (the comparison above would otherwise prove nothing).
    expect(await search(store, queries[0], ['--lexical'])).not.toEqual(loop[0]);

    // A skill added since: the only text embedded.
    const sqlite = await openSqliteStore(store);
    const draft = {
      name: 'ownerIsJob',
      description: 'True when a pod is owned by a Job',
      code: 'function ownerIsJob(pod) {\n  return false;\n}',
      tests: [],
    };
    const added = await sqlite.putSkill({
      ...draft,
      provenance: { date: '2026-11-25T12:00:00.000Z', source: 'generated' },
      state: 'approved',
    });
    await sqlite.close();
    const addedStart = server.embeddingRequests().length;
    await search(store, 'pods owned by a job');
    expect(sentSince(addedStart)).toEqual({
      documents: [embeddingText(added.skill)],
      queries: ['pods owned by a job'],
    });
  });

  it('a bad model configuration fails as generate does (PF_ERR_CONFIG, exit 2); --offline does not read it', async () => {
    const bad = { POLICYFORGE_PROVIDER: 'vllm' };
    const searched = await run(['skills', 'search', 'privileged', '--store', newStore()], bad);
    const generated = await run(['generate', 'Block privileged containers.', '--store', newStore()], bad);
    expect(searched.code).toBe(2);
    expect(searched.stderr).toMatch(/PF_ERR_CONFIG.*OPENAI_BASE_URL/);
    expect({ code: searched.code, stderr: searched.stderr }).toEqual({
      code: generated.code,
      stderr: generated.stderr,
    });
    const offline = await run(['skills', 'search', 'privileged', '--store', newStore(), '--offline', '--json'], bad);
    expect(offline.code, offline.stderr).toBe(0);
    expect((JSON.parse(offline.stdout) as Skill[]).map((s) => s.name)).toContain('isPrivileged');
  });

  it('an embedding model that fails: the lexical answer and a warning on stderr, without the key', async () => {
    const store = newStore();
    server.embeddingFailure = {
      status: 500,
      body: { error: { message: `upstream refused key ${SECRET}`, type: 'server_error' } },
    };
    const r = await runBin(
      ['skills', 'search', 'block', 'privileged', 'containers', '--store', store, '--json'],
      modelEnv(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stderr).toContain('ranking lexically');
    expect(r.stderr).toContain('[redacted]');
    const lexical = await search(store, 'block privileged containers', ['--lexical']);
    expect((JSON.parse(r.stdout) as Skill[]).map((s) => s.id)).toEqual(lexical);
    expect(lexical.length).toBeGreaterThan(0);
  });
});
