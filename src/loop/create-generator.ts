import { createEmbeddings, loadModelConfig, ModelClient, type ModelConfig } from '../../agents/index.js';
import { builtinCatalog, type ApiCatalog } from '../../catalog/index.js';
import { silentLogger, type GenerationResult, type Intent, type JsPolicy, type Logger } from '../../common/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import {
  openSkillStore,
  skillStoreConfigFromEnv,
  SkillLibrary,
  type SkillStore,
  type SkillStoreConfig,
} from '../../skills/index.js';
import { generatePolicy, type GenerateDeps } from './generate-policy.js';

export interface GeneratorOptions {
  /** A store, its config, or a spec string (path or redis:// URL). @defaultValue POLICYFORGE_SKILL_STORE, else SQLite under POLICYFORGE_HOME */
  store?: SkillStore | SkillStoreConfig | string;
  /** @defaultValue a new sandbox with `isolation` */
  sandbox?: SandboxRunner;
  /** @defaultValue 'inline' (the CLI); the service uses 'process' */
  isolation?: 'inline' | 'process';
  /** undefined: read from `env`; null: offline even when a key is set. */
  model?: ModelConfig | null;
  /** A prebuilt client (tests inject the backoff delay). Wins over `model`. */
  client?: ModelClient;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /** @defaultValue silent */
  logger?: Logger;
  /** Retrieve candidate skills too. @defaultValue false */
  includeCandidates?: boolean;
  /** Add the built-in skills to the store (unchanged ones are skipped). @defaultValue true */
  seedBuiltins?: boolean;
  /** @defaultValue true */
  fuzz?: boolean;
  dryRun?: (p: JsPolicy) => Promise<string[]>;
}

export type GenerateOptions = Pick<GenerateDeps, 'onProgress' | 'signal' | 'resume' | 'onCheckpoint'>;

export interface Generator {
  /**
   * `signal`: stop between steps once aborted (the worker's job was handed back or superseded); `resume` and
   * `onCheckpoint`: GenerateDeps', so a queue job resumes the rounds an earlier run of it paid for. The
   * worker's GenerateContext has these fields, so `generate(intent, context)` passes them through.
   */
  generate(intent: Intent, options?: GenerateOptions): Promise<GenerationResult>;
  readonly library: SkillLibrary;
  readonly sandbox: SandboxRunner;
  /** The model in use, or undefined offline. */
  readonly model?: ModelConfig;
  /** Closes what this generator opened (a store or sandbox passed in stays open). */
  close(): Promise<void>;
}

/**
 * Wires the loop's defaults: model from the environment (validated now, so a bad setting fails before any
 * work), the skill store, the sandbox and the library seeded with the built-in skills.
 */
export async function createGenerator(options: GeneratorOptions = {}): Promise<Generator> {
  const env = options.env ?? process.env;
  const model = options.model === null ? undefined : (options.model ?? loadModelConfig(env));
  const logger = options.logger ?? silentLogger;
  const catalog = options.catalog ?? builtinCatalog();
  const ownStore = !isStore(options.store);
  const store: SkillStore = isStore(options.store)
    ? options.store
    : await openSkillStore(options.store ?? skillStoreConfigFromEnv(env), env);
  const ownSandbox = !options.sandbox;
  const sandbox = options.sandbox ?? createSandbox({ isolation: options.isolation ?? 'inline', catalog });
  // Hybrid retrieval when an embedding model is configured (POLICYFORGE_EMBEDDINGS_MODEL); lexical otherwise.
  const embeddingsConfig = options.client?.config ?? model;
  const embeddings = embeddingsConfig ? createEmbeddings(embeddingsConfig) : undefined;
  const library = new SkillLibrary(store, {
    sandbox,
    includeCandidates: options.includeCandidates,
    logger,
    embeddings,
    embeddingModel: embeddingsConfig?.embeddingsModel,
  });
  if (options.seedBuiltins !== false) await library.seedBuiltins();
  const client = options.client ?? (model ? new ModelClient(model, { logger }) : undefined);

  return {
    library,
    sandbox,
    model: client?.config ?? model,
    generate: (intent, o = {}) =>
      generatePolicy(intent, {
        ...{ library, sandbox, catalog, client, logger, fuzz: options.fuzz, dryRun: options.dryRun },
        ...{ onProgress: o.onProgress, signal: o.signal, resume: o.resume, onCheckpoint: o.onCheckpoint },
      }),
    close: async () => {
      if (ownSandbox) await sandbox.close();
      if (ownStore) await store.close();
    },
  };
}

function isStore(s: GeneratorOptions['store']): s is SkillStore {
  return typeof s === 'object' && s !== null && typeof (s as SkillStore).findPolicy === 'function';
}
