import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { FastifyInstance } from 'fastify';
import { PolicyforgeError, type Logger, type ReviewState } from '../../../common/index.js';
import { SkillLibrary, type SkillStore } from '../../../skills/index.js';
import type { GenerationQueue } from '../../../worker/index.js';

/**
 * The skill store the API uses: the whole skills/ SkillStore, since searching goes through SkillLibrary
 * (its index needs the revision, the lists and the embedding cache).
 */
export type SkillStoreForApi = SkillStore;

const STATES = ['candidate', 'approved', 'rejected', 'deprecated'] as const;

/**
 * What makes a search hybrid, exactly as the generation loop builds it (src/loop/create-generator.ts):
 * agents' createEmbeddings(model) and the model's `embeddingsModel` as the cache namespace, so the skill
 * vectors the loop stored are found under the same key (and the other way round).
 */
export interface SkillSearchEmbeddings {
  embeddings?: EmbeddingsInterface;
  /** SkillLibrary's embeddingModel: the key of the vectors cached in the store. */
  embeddingModel?: string;
}

const skillSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string', example: 'podSpecOf@1' },
    name: { type: 'string' },
    version: { type: 'integer' },
    description: { type: 'string' },
    code: { type: 'string' },
    state: { type: 'string', enum: STATES },
    tests: { type: 'array', items: { type: 'object', additionalProperties: true } },
    provenance: { type: 'object', additionalProperties: true },
    reviews: { type: 'array', items: { type: 'object', additionalProperties: true } },
    usage: { type: 'object', additionalProperties: true },
    dependsOn: { type: 'array', items: { type: 'string' } },
  },
} as const;

export function registerSkillRoutes(
  app: FastifyInstance,
  deps: { store: SkillStoreForApi; queue: GenerationQueue; logger?: Logger } & SkillSearchEmbeddings,
): void {
  const { store } = deps;
  // Store calls go through the queue's Redis deadline: a Redis that went away answers 503 instead of hanging.
  const guarded = <T>(op: () => Promise<T>): Promise<T> => deps.queue.withRedis(op);
  // The libraries see the store through the same deadline, one store call at a time: a search also waits on
  // the embedding model (its own timeout; a failure falls back to lexical ranking), which is not Redis.
  const guardedStore = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function'
        ? (...args: unknown[]) => guarded(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args))
        : value;
    },
  });

  // Searching goes through SkillLibrary.search, as `policyforge skills search` and the loop do: the same
  // ranking (hybrid with the loop's embeddings when a model with an embedding model is configured) and
  // review-state rules. One library per set of states, each caching its index until the store's revision
  // moves. A reviewer's search is not a retrieval for a policy: usage is not counted.
  const libraries = new Map<string, SkillLibrary>();
  const libraryFor = (states: readonly ReviewState[]): SkillLibrary => {
    const key = states.join(',');
    let library = libraries.get(key);
    if (!library) {
      library = new SkillLibrary(guardedStore, {
        states,
        countRetrievals: false,
        embeddings: deps.embeddings,
        embeddingModel: deps.embeddingModel,
        ...(deps.logger ? { logger: deps.logger.child({ module: 'skills' }) } : {}),
      });
      libraries.set(key, library);
    }
    return library;
  };

  app.get<{ Querystring: { q?: string; state?: ReviewState; latest?: boolean; candidates?: boolean; limit?: number } }>(
    '/v1/skills',
    {
      schema: {
        tags: ['skills'],
        summary: 'List and search the skill library',
        description:
          'Without `q`: every skill (every version unless `latest`), ordered by name then version, optionally of one `state`. ' +
          'With `q`: the ranked search of `policyforge skills search` and the generation loop (SkillLibrary.search: MiniSearch BM25+ ' +
          'over name words and description, combined with embedding similarity when the server runs with an embedding model ' +
          '(POLICYFORGE_EMBEDDINGS_MODEL), exactly as the loop ranks for the coder; lexical only if the embedding model fails), ' +
          'best first, one version per name (approved preferred, then the highest). ' +
          'Which review states a search sees is explicit: approved skills only by default; `candidates=true` adds candidates ' +
          '(ranked after every approved skill, like `--candidates`); `state` searches that one state only (the only way to ' +
          'search rejected or deprecated skills). A search does not count as a retrieval in `usage.retrieved`.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: {
              type: 'string',
              maxLength: 200,
              description: 'Search text (an intent, words of a name or description): ranked results, best first',
            },
            state: {
              type: 'string',
              enum: STATES,
              description: 'Only skills in this review state (with `q`: search this state only)',
            },
            latest: {
              type: 'boolean',
              description: 'Only the highest version of each name (a search always gives one version per name)',
            },
            candidates: {
              type: 'boolean',
              default: false,
              description: 'With `q` and no `state`: search candidate skills too, after the approved ones',
            },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 100,
              description: 'At most this many skills; with `q` the default is 20 (without `q`, no limit)',
            },
          },
        },
        response: { 200: { type: 'object', properties: { skills: { type: 'array', items: skillSchema } } } },
      },
    },
    async (request) => {
      const { q, state, latest, candidates, limit } = request.query;
      if (q && q.trim()) {
        const states: readonly ReviewState[] = state ? [state] : candidates ? ['approved', 'candidate'] : ['approved'];
        const skills = await libraryFor(states).search(q, limit ?? 20);
        return { skills };
      }
      const skills = await guarded(() =>
        store.listSkills({ ...(state ? { state } : {}), ...(latest ? { latestOnly: true } : {}) }),
      );
      return { skills: limit ? skills.slice(0, limit) : skills };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/skills/:id',
    {
      schema: {
        tags: ['skills'],
        summary: 'One skill: code, tests, provenance, reviews',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['id'],
        },
        response: { 200: skillSchema, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const skill = await guarded(() => store.getSkill(request.params.id));
      if (!skill) throw new PolicyforgeError('PF_ERR_NOT_FOUND', [`skill ${request.params.id}`]);
      return skill;
    },
  );

  app.post<{
    Params: { id: string };
    Body: { state: 'approved' | 'rejected' | 'deprecated'; comment?: string; reviewer?: string };
  }>(
    '/v1/skills/:id/review',
    {
      schema: {
        tags: ['skills'],
        summary: 'Approve, reject or deprecate a skill, with a comment',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['id'],
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['state'],
          properties: {
            state: { type: 'string', enum: ['approved', 'rejected', 'deprecated'] },
            comment: { type: 'string', maxLength: 4000 },
            reviewer: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: { 200: skillSchema, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const { state, comment, reviewer } = request.body;
      return guarded(() =>
        store.reviewSkill(request.params.id, { state, reviewer: reviewer ?? 'api', ...(comment ? { comment } : {}) }),
      );
    },
  );
}
