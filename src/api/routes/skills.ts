import type { FastifyInstance } from 'fastify';
import { PolicyforgeError, type ReviewState, type Skill } from '../../../common/index.js';
import type { GenerationQueue } from '../../../worker/index.js';

/** The part of skills/ SkillStore the API uses. */
export interface SkillStoreForApi {
  ping(): Promise<void>;
  getSkill(id: string): Promise<Skill | undefined>;
  listSkills(filter?: { state?: ReviewState | readonly ReviewState[]; query?: string; latestOnly?: boolean }): Promise<Skill[]>;
  reviewSkill(id: string, review: { state: ReviewState; reviewer: string; comment?: string }): Promise<Skill>;
}

const STATES = ['candidate', 'approved', 'rejected', 'deprecated'] as const;

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

export function registerSkillRoutes(app: FastifyInstance, deps: { store: SkillStoreForApi; queue: GenerationQueue }): void {
  const { store } = deps;
  // Store calls go through the queue's Redis deadline: a Redis that went away answers 503 instead of hanging.
  const guarded = <T>(op: () => Promise<T>): Promise<T> => deps.queue.withRedis(op);

  app.get<{ Querystring: { q?: string; state?: ReviewState; latest?: boolean } }>(
    '/v1/skills',
    {
      schema: {
        tags: ['skills'],
        summary: 'List and search the skill library',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: { type: 'string', maxLength: 200, description: 'Case-insensitive text in the name or description' },
            state: { type: 'string', enum: STATES },
            latest: { type: 'boolean', description: 'Only the highest version of each name' },
          },
        },
        response: { 200: { type: 'object', properties: { skills: { type: 'array', items: skillSchema } } } },
      },
    },
    async (request) => {
      const { q, state, latest } = request.query;
      const skills = await guarded(() => store.listSkills({ ...(state ? { state } : {}), ...(q ? { query: q } : {}), ...(latest ? { latestOnly: true } : {}) }));
      return { skills };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/skills/:id',
    {
      schema: {
        tags: ['skills'],
        summary: 'One skill: code, tests, provenance, reviews',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] },
        response: { 200: skillSchema, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const skill = await guarded(() => store.getSkill(request.params.id));
      if (!skill) throw new PolicyforgeError('PF_ERR_NOT_FOUND', [`skill ${request.params.id}`]);
      return skill;
    },
  );

  app.post<{ Params: { id: string }; Body: { state: 'approved' | 'rejected' | 'deprecated'; comment?: string; reviewer?: string } }>(
    '/v1/skills/:id/review',
    {
      schema: {
        tags: ['skills'],
        summary: 'Approve, reject or deprecate a skill, with a comment',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] },
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
      return guarded(() => store.reviewSkill(request.params.id, { state, reviewer: reviewer ?? 'api', ...(comment ? { comment } : {}) }));
    },
  );
}
