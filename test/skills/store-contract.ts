import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPolicyforgeError, type ErrorCode, type StoredPolicy } from '../../common/index.js';
import type { SkillDraft, SkillStore } from '../../skills/index.js';
import { podsPlan } from '../support/plans.js';

/**
 * The behaviour every SkillStore must have, run against each real engine (SQLite file, Redis server).
 * `open` gives a store on one shared location: calling it twice gives two independent handles on the
 * same data (two processes' view). `corruptSkill` damages one stored skill record behind the store's back.
 */
export interface StoreHarness {
  open(options?: { now?: () => Date }): Promise<SkillStore>;
  /** Start from an empty location. */
  reset(): Promise<void>;
  corruptSkill(id: string): Promise<void>;
}

export function draft(
  name: string,
  body = `return ${JSON.stringify(name)};`,
  extra: Partial<SkillDraft> = {},
): SkillDraft {
  return {
    name,
    description: `${name} does one thing`,
    code: `function ${name}(x) {\n  ${body}\n}\n`,
    tests: [{ name: 'returns its name', args: [1], expected: name }],
    provenance: {
      date: '2026-11-25T10:00:00.000Z',
      source: 'generated',
      intent: 'test intent',
      model: 'm',
      round: 1,
      tokens: 10,
    },
    ...extra,
  };
}

export function storedPolicy(key: string, extra: Partial<StoredPolicy> = {}): StoredPolicy {
  return {
    id: `policy-${key.replace(/\W+/g, '-')}`,
    intent: key,
    key,
    policy: {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: 'p.example.com' },
      spec: { operations: ['CREATE'], resources: ['pods'], javascript: 'allow();' },
    },
    plan: podsPlan(),
    skills: [],
    provenance: { date: '2026-11-25T10:00:00.000Z', source: 'generated' },
    state: 'candidate',
    ...extra,
  };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPolicyforgeError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  return err as Error;
}

export function describeStoreContract(engine: string, harness: StoreHarness): void {
  describe(`SkillStore contract on ${engine}`, () => {
    let store: SkillStore;
    const clock = () => new Date('2026-11-25T12:00:00.000Z');

    beforeEach(async () => {
      await harness.reset();
      store = await harness.open({ now: clock });
    });
    afterEach(async () => {
      await store.close();
    });

    describe('adding skills and versions', () => {
      it('stores a new name as version 1, a candidate with zero usage and no reviews', async () => {
        const put = await store.putSkill(draft('imageTagOf'));
        expect(put.status).toBe('added');
        expect(put.skill).toMatchObject({
          id: 'imageTagOf@1',
          name: 'imageTagOf',
          version: 1,
          state: 'candidate',
          reviews: [],
          usage: { retrieved: 0, used: 0 },
        });
        expect(await store.getSkill('imageTagOf@1')).toEqual(put.skill);
      });

      it('keeps every field of the draft: code, tests, provenance, dependsOn', async () => {
        const d = draft('withDeps', 'return getPath(x, "a");', { dependsOn: ['getPath'] });
        const { skill } = await store.putSkill(d);
        const back = await store.getSkill(skill.id);
        expect(back).toMatchObject({
          code: d.code,
          tests: d.tests,
          provenance: d.provenance,
          dependsOn: ['getPath'],
          description: d.description,
        });
      });

      it('skips a duplicate whose code differs only in comments and layout, returning the stored skill', async () => {
        await store.putSkill(draft('dupe', 'return 1 + 2;'));
        const again = await store.putSkill({
          ...draft('dupe'),
          code: 'function dupe(x) { /* same */ return 1+2; } // trailing\n',
        });
        expect(again.status).toBe('duplicate');
        expect(again.skill.id).toBe('dupe@1');
        expect(await store.findSkillsByName('dupe')).toHaveLength(1);
      });

      it('gives changed code under the same name the next version, keeping the old one', async () => {
        await store.putSkill(draft('evolving', 'return 1;'));
        const v2 = await store.putSkill(draft('evolving', 'return 2;'));
        expect(v2.status).toBe('new-version');
        expect(v2.skill.id).toBe('evolving@2');
        expect((await store.findSkillsByName('evolving')).map((s) => s.id)).toEqual(['evolving@1', 'evolving@2']);
      });

      it('answers undefined for an unknown id and [] for an unknown name', async () => {
        expect(await store.getSkill('nothing@1')).toBeUndefined();
        expect(await store.findSkillsByName('nothing')).toEqual([]);
      });

      it('refuses a skill that is not one function declaration of its name, writing nothing', async () => {
        for (const bad of [
          { ...draft('ok'), name: 'not-an-identifier' },
          { ...draft('ok'), description: ' ' },
          { ...draft('ok'), code: 'function other() { return 1; }' },
          { ...draft('ok'), code: 'function ok() {}\nfunction extra() {}' },
          { ...draft('ok'), code: 'const ok = () => 1;' },
          { ...draft('ok'), code: 'function ok( {' },
        ]) {
          await expectCode(store.putSkill(bad), 'PF_ERR_SKILL_INVALID');
        }
        expect(await store.listSkills()).toEqual([]);
      });

      it('keeps an imported state and review history when the draft carries them', async () => {
        const reviews = [
          { state: 'approved' as const, reviewer: 'alice', comment: 'ok', at: '2026-01-01T00:00:00.000Z' },
        ];
        const { skill } = await store.putSkill(draft('imported', 'return 0;', { state: 'approved', reviews }));
        expect(await store.getSkill(skill.id)).toMatchObject({ state: 'approved', reviews });
      });
    });

    describe('listing', () => {
      it('orders by name then version and filters by state, text and latest version', async () => {
        await store.putSkill(draft('zeta'));
        await store.putSkill(draft('alpha', 'return 1;'));
        await store.putSkill(draft('alpha', 'return 2;'));
        await store.reviewSkill('zeta@1', { state: 'approved', reviewer: 'bob' });
        expect((await store.listSkills()).map((s) => s.id)).toEqual(['alpha@1', 'alpha@2', 'zeta@1']);
        expect((await store.listSkills({ state: 'approved' })).map((s) => s.id)).toEqual(['zeta@1']);
        expect((await store.listSkills({ state: ['candidate'] })).map((s) => s.id)).toEqual(['alpha@1', 'alpha@2']);
        expect((await store.listSkills({ query: 'ZETA' })).map((s) => s.id)).toEqual(['zeta@1']);
        expect((await store.listSkills({ latestOnly: true })).map((s) => s.id)).toEqual(['alpha@2', 'zeta@1']);
      });
    });

    describe('review', () => {
      it('approves a candidate and records reviewer, comment and time', async () => {
        await store.putSkill(draft('reviewed'));
        const skill = await store.reviewSkill('reviewed@1', {
          state: 'approved',
          reviewer: 'alice',
          comment: 'reads well',
        });
        expect(skill.state).toBe('approved');
        expect(skill.reviews).toEqual([
          { state: 'approved', reviewer: 'alice', comment: 'reads well', at: '2026-11-25T12:00:00.000Z' },
        ]);
        const other = await harness.open();
        try {
          expect(await other.getSkill('reviewed@1')).toMatchObject({ state: 'approved', reviews: skill.reviews });
        } finally {
          await other.close();
        }
      });

      it('deprecates an approved skill later, keeping both reviews in order', async () => {
        await store.putSkill(draft('aging'));
        await store.reviewSkill('aging@1', { state: 'approved', reviewer: 'alice' });
        const s = await store.reviewSkill('aging@1', {
          state: 'deprecated',
          reviewer: 'bob',
          comment: 'superseded by aging@2',
        });
        expect(s.reviews.map((r) => `${r.state}:${r.reviewer}`)).toEqual(['approved:alice', 'deprecated:bob']);
      });

      it('refuses transitions the review flow does not allow, with a typed error naming both states', async () => {
        await store.putSkill(draft('strict'));
        const err = await expectCode(
          store.reviewSkill('strict@1', { state: 'deprecated', reviewer: 'x' }),
          'PF_ERR_REVIEW_TRANSITION',
        );
        expect(err.message).toContain('strict@1 is candidate and cannot become deprecated');
        await store.reviewSkill('strict@1', { state: 'rejected', reviewer: 'x' });
        await expectCode(
          store.reviewSkill('strict@1', { state: 'approved', reviewer: 'x' }),
          'PF_ERR_REVIEW_TRANSITION',
        );
        expect((await store.getSkill('strict@1'))!.reviews).toHaveLength(1);
      });

      it('needs a reviewer and a known skill', async () => {
        await store.putSkill(draft('anon'));
        await expectCode(store.reviewSkill('anon@1', { state: 'approved', reviewer: ' ' }), 'PF_ERR_SKILL_INVALID');
        await expectCode(store.reviewSkill('ghost@1', { state: 'approved', reviewer: 'a' }), 'PF_ERR_NOT_FOUND');
      });
    });

    describe('usage and revision', () => {
      it('counts retrievals and uses without moving the revision; unknown ids are ignored', async () => {
        await store.putSkill(draft('counted'));
        const rev = await store.revision();
        await store.recordUsage(['counted@1', 'counted@1', 'ghost@9'], 'retrieved');
        await store.recordUsage(['counted@1'], 'used');
        expect((await store.getSkill('counted@1'))!.usage).toEqual({ retrieved: 2, used: 1 });
        expect(await store.getSkill('ghost@9')).toBeUndefined();
        expect(await store.revision()).toBe(rev);
      });

      it('moves the revision when a skill is added or reviewed, not on a duplicate', async () => {
        const r0 = await store.revision();
        await store.putSkill(draft('rev'));
        const r1 = await store.revision();
        expect(r1).toBeGreaterThan(r0);
        await store.putSkill(draft('rev'));
        expect(await store.revision()).toBe(r1);
        await store.reviewSkill('rev@1', { state: 'approved', reviewer: 'a' });
        expect(await store.revision()).toBeGreaterThan(r1);
      });
    });

    describe('stored policies', () => {
      it('finds a policy by key and by id, lists them, and replaces by key', async () => {
        await store.putPolicy(storedPolicy('deny privileged containers'));
        await store.putPolicy(storedPolicy('require team label'));
        expect((await store.findPolicy('deny privileged containers'))!.id).toBe('policy-deny-privileged-containers');
        expect((await store.getPolicy('policy-require-team-label'))!.key).toBe('require team label');
        await store.putPolicy(storedPolicy('require team label', { id: 'policy-new', intent: 'Require team label.' }));
        expect((await store.findPolicy('require team label'))!.id).toBe('policy-new');
        expect(await store.getPolicy('policy-require-team-label')).toBeUndefined();
        expect((await store.listPolicies()).map((p) => p.id)).toEqual([
          'policy-deny-privileged-containers',
          'policy-new',
        ]);
        expect(await store.findPolicy('nothing')).toBeUndefined();
      });

      it('reviews a stored policy with the same transitions as skills', async () => {
        await store.putPolicy(storedPolicy('k'));
        const approved = await store.reviewPolicy('policy-k', {
          state: 'approved',
          reviewer: 'alice',
          comment: 'fine',
        });
        expect(approved.reviews).toEqual([
          { state: 'approved', reviewer: 'alice', comment: 'fine', at: '2026-11-25T12:00:00.000Z' },
        ]);
        expect((await store.findPolicy('k'))!.state).toBe('approved');
        await expectCode(
          store.reviewPolicy('policy-k', { state: 'rejected', reviewer: 'a' }),
          'PF_ERR_REVIEW_TRANSITION',
        );
        await expectCode(store.reviewPolicy('policy-none', { state: 'approved', reviewer: 'a' }), 'PF_ERR_NOT_FOUND');
      });
    });

    describe('embedding cache', () => {
      it('returns only the vectors stored for that model', async () => {
        await store.putEmbeddings(
          'm1',
          new Map([
            ['h1', [0.1, 0.2]],
            ['h2', [0.3, 0.4]],
          ]),
        );
        const got = await store.getEmbeddings('m1', ['h1', 'h3']);
        expect([...got.keys()]).toEqual(['h1']);
        // At least float32 precision (SQLite keeps float32, what embedding models produce; Redis the decimals).
        Array.from(got.get('h1')!).forEach((x, i) => expect(x).toBeCloseTo([0.1, 0.2][i], 7));
        expect((await store.getEmbeddings('m2', ['h1'])).size).toBe(0);
      });
    });

    describe('concurrent writers', () => {
      it('two handles adding versions of one name in parallel get distinct consecutive versions, none lost', async () => {
        const other = await harness.open();
        try {
          const writes = Array.from({ length: 30 }, (_, i) =>
            (i % 2 ? store : other).putSkill(draft('racy', `return ${i};`)),
          );
          const results = await Promise.all(writes);
          expect(results.every((r) => r.status !== 'duplicate')).toBe(true);
          const versions = (await store.findSkillsByName('racy')).map((s) => s.version);
          expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
          expect(new Set(results.map((r) => r.skill.id)).size).toBe(30);
        } finally {
          await other.close();
        }
      });

      it('the same code written by many writers at once is stored once', async () => {
        const other = await harness.open();
        try {
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).putSkill(draft('once'))),
          );
          expect(results.filter((r) => r.status === 'added')).toHaveLength(1);
          expect(await store.findSkillsByName('once')).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('parallel usage counts all land', async () => {
        await store.putSkill(draft('busy'));
        const other = await harness.open();
        try {
          await Promise.all(
            Array.from({ length: 40 }, (_, i) => (i % 2 ? store : other).recordUsage(['busy@1'], 'retrieved')),
          );
          expect((await store.getSkill('busy@1'))!.usage.retrieved).toBe(40);
        } finally {
          await other.close();
        }
      });

      it('of two reviewers deciding a candidate at once, exactly one wins', async () => {
        await store.putSkill(draft('contested'));
        const other = await harness.open();
        try {
          const outcomes = await Promise.allSettled([
            store.reviewSkill('contested@1', { state: 'approved', reviewer: 'alice' }),
            other.reviewSkill('contested@1', { state: 'rejected', reviewer: 'bob' }),
          ]);
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
          expect(isPolicyforgeError(loser.reason, 'PF_ERR_REVIEW_TRANSITION')).toBe(true);
          expect((await store.getSkill('contested@1'))!.reviews).toHaveLength(1);
        } finally {
          await other.close();
        }
      });
    });

    describe('damaged data', () => {
      it('reading a damaged skill record fails with PF_ERR_STORE_CORRUPT naming the store', async () => {
        await store.putSkill(draft('fragile'));
        await harness.corruptSkill('fragile@1');
        const err = await expectCode(store.getSkill('fragile@1'), 'PF_ERR_STORE_CORRUPT');
        expect(err.message).toContain(store.location.replace(/^sqlite:/, ''));
        await expectCode(store.listSkills(), 'PF_ERR_STORE_CORRUPT');
      });
    });
  });
}
