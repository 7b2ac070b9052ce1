import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { ModelClient, type ModelConfig } from '../../agents/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import { openSqliteStore, SkillLibrary, type SkillStore } from '../../skills/index.js';
import {
  startScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../support/scripted-openai-server.js';

/** Real parts for loop tests: a SQLite store in a temp dir, the real sandbox, the library seeded with built-ins. */
export interface LoopWorld {
  dir: string;
  store: SkillStore;
  sandbox: SandboxRunner;
  library: SkillLibrary;
  close(): Promise<void>;
}

export async function loopWorld(): Promise<LoopWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-loop-'));
  const store = await openSqliteStore(join(dir, 'skills.sqlite'));
  const sandbox = createSandbox();
  const library = new SkillLibrary(store, { sandbox });
  await library.seedBuiltins();
  return {
    dir,
    store,
    sandbox,
    library,
    close: async () => {
      await sandbox.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Scripted servers started by scriptedModel, closed after each test of a file using freshLoopWorldEachTest. */
const openServers = new Set<ScriptedOpenAIServer>();

/**
 * A fresh LoopWorld for every test of the calling file (nothing learned leaks between tests), and every
 * scripted model server the test started closed after it. Read its fields only inside tests and hooks.
 */
export function freshLoopWorldEachTest(): LoopWorld {
  let current: LoopWorld | undefined;
  beforeEach(async () => {
    current = await loopWorld();
  });
  afterEach(async () => {
    await Promise.all([...openServers].map((server) => server.close()));
    openServers.clear();
    await current?.close();
    current = undefined;
  });
  const now = (): LoopWorld => {
    if (!current) throw new Error('the loop world exists only while a test runs');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get store() {
      return now().store;
    },
    get sandbox() {
      return now().sandbox;
    },
    get library() {
      return now().library;
    },
    close: () => now().close(),
  };
}

export const TEST_KEY = 'sk-test-loopkey0123456789abcdef';

/** A scripted OpenAI-compatible server and a ModelClient on the real ChatOpenAI client, with recorded (not slept) backoff. */
export async function scriptedModel(
  steps: ScriptStep[],
  overrides: Partial<ModelConfig> = {},
): Promise<{ server: ScriptedOpenAIServer; client: ModelClient; waits: number[] }> {
  const server = await startScriptedOpenAIServer({ steps });
  openServers.add(server);
  const waits: number[] = [];
  const config: ModelConfig = {
    provider: 'openai-compatible',
    model: 'scripted',
    apiKey: TEST_KEY,
    baseURL: server.baseURL,
    timeoutMs: 5000,
    maxRetries: 2,
    temperature: 0,
    ...overrides,
  };
  const client = new ModelClient(config, { delay: async (ms) => void waits.push(ms), random: () => 0.5 });
  return { server, client, waits };
}

export function pod(name: string, namespace: string, labels?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
  };
}
