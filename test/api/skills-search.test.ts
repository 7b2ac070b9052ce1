import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewState, Skill } from '../../common/index.js';
import { SkillLibrary } from '../../skills/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { startApi, type ApiHarness } from './harness.js';
import { aSkill } from '../support/skill-fixture.js';

// GET /v1/skills?q=… over real HTTP: the ranked search of `policyforge skills search` (SkillLibrary.search),
// not the store's plain filter. The skills are chosen so that store order (by name) is not rank order: the
// best match for "privileged container" (isPrivileged) comes after a weaker one (addedCapabilities).

const QUERY = 'privileged container';

function skill(name: string, description: string, state: ReviewState): Skill {
  return aSkill(name, { description, state });
}

let redis: TestRedis;
let api: ApiHarness;

beforeAll(async () => {
  redis = await redisForTests();
  api = await startApi(redis.url, {
    intentsPerMinute: 0,
    skills: [
      skill('addedCapabilities', 'Capabilities a container adds to its security context', 'approved'),
      skill('hostPathVolumes', 'The hostPath volumes of a pod spec', 'approved'),
      skill('isPrivileged', 'True when a container runs privileged', 'approved'),
      // A candidate that matches better than addedCapabilities: reviewers may search it, the coder may not.
      skill('privilegedEscalation', 'True when a privileged container allows privilege escalation', 'candidate'),
      // Rejected: found only when its state is asked for.
      skill('privilegedOld', 'Whether a container is privileged (ignores init containers)', 'rejected'),
    ],
  });
});
afterAll(async () => {
  await api?.close();
  await redis?.close();
});

async function ids(path: string): Promise<string[]> {
  const response = await api.call(path);
  expect(response.status, path).toBe(200);
  const body = await response.json();
  expect(Object.keys(body)).toEqual(['skills']);
  return body.skills.map((s: Skill) => s.id);
}

const search = (params: Record<string, string>): Promise<string[]> =>
  ids(`/v1/skills?${new URLSearchParams({ q: QUERY, ...params })}`);

describe('GET /v1/skills?q= (ranked search)', () => {
  it('ranks the best match first, not in store order, and sees approved skills only by default', async () => {
    // Store order puts addedCapabilities first; listing without q keeps that order.
    expect(await ids('/v1/skills?state=approved')).toEqual([
      'addedCapabilities@1',
      'hostPathVolumes@1',
      'isPrivileged@1',
    ]);
    expect(await search({})).toEqual(['isPrivileged@1', 'addedCapabilities@1']);
  });

  it('gives the same answer, in the same order, as the CLI search (SkillLibrary.search)', async () => {
    const cli = async (includeCandidates: boolean) =>
      (await new SkillLibrary(api.store, { includeCandidates, countRetrievals: false }).search(QUERY, 20)).map(
        (s) => s.id,
      );
    expect(await search({})).toEqual(await cli(false));
    expect(await search({ candidates: 'true' })).toEqual(await cli(true));
  });

  it('adds candidates only when asked, after every approved skill, and never rejected ones', async () => {
    expect(await search({ candidates: 'true' })).toEqual([
      'isPrivileged@1',
      'addedCapabilities@1',
      'privilegedEscalation@1',
    ]);
    expect(await search({ candidates: 'false' })).toEqual(['isPrivileged@1', 'addedCapabilities@1']);
  });

  it('searches one review state when state is given (the only way to find rejected skills)', async () => {
    expect(await search({ state: 'candidate' })).toEqual(['privilegedEscalation@1']);
    expect(await search({ state: 'rejected' })).toEqual(['privilegedOld@1']);
    expect(await search({ state: 'deprecated' })).toEqual([]);
    // state wins over candidates: a candidate search is not widened to approved skills.
    expect(await search({ state: 'candidate', candidates: 'true' })).toEqual(['privilegedEscalation@1']);
  });

  it('keeps the best ones under limit, and refuses a limit out of range', async () => {
    expect(await search({ limit: '1' })).toEqual(['isPrivileged@1']);
    expect(await ids('/v1/skills?limit=2')).toEqual(['addedCapabilities@1', 'hostPathVolumes@1']);
    for (const limit of ['0', '101', 'many']) {
      const response = await api.call(`/v1/skills?q=x&limit=${limit}`);
      expect(response.status, limit).toBe(400);
      expect((await response.json()).error.message).toMatch(/^query\.limit: /);
    }
  });

  it('is a lookup, not a retrieval for a policy: usage.retrieved is not counted', async () => {
    await search({ candidates: 'true' });
    for (const id of ['isPrivileged@1', 'addedCapabilities@1', 'privilegedEscalation@1'])
      expect((await api.store.getSkill(id))?.usage.retrieved, id).toBe(0);
  });

  it('sees skills added and reviewed since the last search, one version per name (approved preferred)', async () => {
    const put = await api.store.putSkill({
      name: 'isPrivileged',
      description: 'True when a container runs privileged (checks init containers too)',
      code: 'function isPrivileged(c) {\n  return c?.securityContext?.privileged === true;\n}',
      tests: [],
      provenance: { date: '2026-11-25T11:00:00.000Z', source: 'generated' },
    });
    expect(put.skill.id).toBe('isPrivileged@2');
    expect(await search({ candidates: 'true' })).toEqual([
      'isPrivileged@1',
      'addedCapabilities@1',
      'privilegedEscalation@1',
    ]);
    expect(await search({ state: 'candidate' })).toEqual(['isPrivileged@2', 'privilegedEscalation@1']);
    await api.store.reviewSkill('privilegedEscalation@1', { state: 'approved', reviewer: 'dana' });
    expect(await search({})).toEqual(['isPrivileged@1', 'privilegedEscalation@1', 'addedCapabilities@1']);
  });
});
