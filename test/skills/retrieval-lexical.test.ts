import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import type { Skill } from '../../common/index.js';
import { SkillIndex, stem, tokenize } from '../../skills/retrieval.js';
import { rng } from '../support/seeded-random.js';
import { aSkill } from '../support/skill-fixture.js';

function skill(name: string, description: string, state: 'approved' | 'candidate' = 'approved'): Skill {
  return aSkill(name, { description, state });
}

const VERBS = ['has', 'get', 'count', 'list', 'check', 'match'];
const NOUNS = [
  'image',
  'annotation',
  'ingress',
  'probe',
  'volume',
  'secret',
  'registry',
  'port',
  'selector',
  'owner',
  'host',
  'capability',
  'replica',
  'service',
  'role',
  'binding',
  'tag',
  'digest',
  'taint',
  'toleration',
];
const ADJECTIVES = [
  'privileged',
  'missing',
  'latest',
  'external',
  'empty',
  'duplicate',
  'protected',
  'exposed',
  'unscoped',
  'default',
  'readonly',
  'mutable',
];
const SCOPES: [string, number][] = [
  ['of each container', 0.45],
  ['in the pod', 0.6],
  ['selected by label', 0.3],
  ['within its namespace', 0.25],
];

/** A library like the bench's: rare nouns and adjectives, common verbs and pod/container/label/namespace. */
function library(count: number): Skill[] {
  const random = rng(3);
  return Array.from({ length: count }, (_, i) => {
    const verb = VERBS[i % VERBS.length];
    const noun = NOUNS[Math.floor(random() * NOUNS.length)];
    const adj = ADJECTIVES[Math.floor(random() * ADJECTIVES.length)];
    const scope = SCOPES.filter(([, share]) => random() < share)
      .map(([clause]) => ` ${clause}`)
      .join('');
    // Some descriptions repeat their noun or run long, so term frequency and field length vary.
    const extra =
      random() < 0.2 ? ` and every ${noun} annotation it lists` : random() < 0.2 ? ` labelled ${noun}s` : '';
    const name = `${verb}${adj.charAt(0).toUpperCase()}${adj.slice(1)}${noun.charAt(0).toUpperCase()}${noun.slice(1)}${i}`;
    return skill(
      name,
      `${verb} the ${adj} ${noun}s${scope}${extra} (variant ${i})`,
      random() < 0.15 ? 'candidate' : 'approved',
    );
  });
}

/**
 * The lexical ranking as documented (docs/skills.md): MiniSearch BM25+ over the name's words (boosted 2)
 * and the description, prefix matches for terms over 3 letters, terms combined with OR; scores scaled by
 * the best; approved before candidates, then score, then name.
 */
function miniSearchRanking(skills: Skill[], query: string): { id: string; score: number }[] {
  const index = new MiniSearch<{ id: string; words: string; description: string }>({
    fields: ['words', 'description'],
    idField: 'id',
    tokenize,
    processTerm: (term) => stem(term.toLowerCase()),
    searchOptions: { boost: { words: 2 }, prefix: (term) => term.length > 3, combineWith: 'OR' },
  });
  index.addAll(skills.map((s) => ({ id: s.id, words: tokenize(s.name).join(' '), description: s.description })));
  const hits = index.search(query);
  const max = hits[0]?.score ?? 0;
  const byId = new Map(skills.map((s) => [s.id, s]));
  return hits
    .map((h) => ({ skill: byId.get(String(h.id))!, score: h.score / max }))
    .sort((a, b) =>
      a.skill.state !== b.skill.state
        ? a.skill.state === 'approved'
          ? -1
          : 1
        : b.score !== a.score
          ? b.score - a.score
          : a.skill.name < b.skill.name
            ? -1
            : 1,
    )
    .map((h) => ({ id: h.skill.id, score: h.score }));
}

const holds = (s: Skill, word: string) =>
  new Set(tokenize(`${tokenize(s.name).join(' ')} ${s.description}`).map(stem)).has(stem(word));

describe('stem', () => {
  it('folds a plural onto its singular, also for words ending in e', () => {
    for (const [plural, singular] of [
      ['namespaces', 'namespace'],
      ['images', 'image'],
      ['containers', 'container'],
      ['policies', 'policy'],
      ['ingresses', 'ingress'],
      ['probes', 'probe'],
      ['matches', 'match'],
    ]) {
      expect(stem(plural), plural).toBe(stem(singular));
    }
    expect(stem('privileged')).toBe(stem('privilege'));
  });

  it('lets a plural query find a skill whose text has only the singular', () => {
    const only = [skill('namespaceOf', 'the namespace of a request', 'approved')];
    expect(new SkillIndex(only).search('namespaces', 5).map((h) => h.skill.id)).toEqual(['namespaceOf@1']);
    const images = [skill('tagOf', 'the tag of an image reference', 'approved')];
    expect(new SkillIndex(images).search('images', 5).map((h) => h.skill.id)).toEqual(['tagOf@1']);
  });
});

describe('SkillIndex lexical ranking', () => {
  const skills = library(1500);
  const index = new SkillIndex(skills);

  it('ranks queries of selective words exactly as MiniSearch BM25+ does (same skills, order and scores)', () => {
    const queries = [
      'privileged images',
      'missing readiness probes',
      'latest image tag from the registry',
      'external ingress hosts',
      'prob',
      'annotat toleration',
      'duplicate digests',
    ];
    for (const query of queries) {
      // Every word of these is rare, so the whole query is searched.
      for (const w of tokenize(query)) expect(skills.filter((s) => holds(s, w)).length, w).toBeLessThanOrEqual(150);
      const want = miniSearchRanking(skills, query);
      expect(want.length, query).toBeGreaterThan(0);
      const got = index.search(query, skills.length).map((h) => ({ id: h.skill.id, score: h.score }));
      expect(got, query).toEqual(want);
    }
  });

  it('leaves common words out of a query that has selective ones', () => {
    // "pod" is in ~60 % of the skills: searched alone it would score most of them.
    expect(skills.filter((s) => holds(s, 'pod')).length).toBeGreaterThan(skills.length * 0.5);
    const got = index
      .search('privileged images in the pod', skills.length)
      .map((h) => ({ id: h.skill.id, score: h.score }));
    expect(got).toEqual(miniSearchRanking(skills, 'privileged images'));
  });

  it('returns, for a query of common words only, skills holding every one of them first', () => {
    const words = ['pod', 'container', 'label', 'namespace'];
    for (const w of words) expect(skills.filter((s) => holds(s, w)).length, w).toBeGreaterThan(skills.length * 0.1);
    const holding = skills.filter((s) => words.every((w) => holds(s, w)));
    expect(holding.length).toBeGreaterThan(20);
    for (const query of [
      'pods containers labels namespace',
      'label every pod in the namespace and each container',
      'pod container label namespace quickly',
    ]) {
      const top = index.search(query, 10);
      expect(top, query).toHaveLength(10);
      for (const h of top)
        expect(
          words.filter((w) => !holds(h.skill, w)),
          `${query}: ${h.skill.name}`,
        ).toEqual([]);
    }
  });

  it('puts skills holding all common words above ones whose name matches only some (which BM25 alone ranks higher)', () => {
    // 30 skills named after pods and labels, with short descriptions: BM25 favours them for "pod" and
    // "label"; only 20 others hold "container" too. Container is the most common of the three words.
    const crafted = [
      ...Array.from({ length: 30 }, (_, i) => skill(`podLabel${i}`, `Pod label ${i}.`)),
      ...Array.from({ length: 20 }, (_, i) =>
        skill(
          `readAll${i}`,
          `Reads the label of each container in a pod, with all its annotations and owners (variant ${i}).`,
        ),
      ),
      ...Array.from({ length: 60 }, (_, i) =>
        skill(`containerImage${i}`, `The images of each container (variant ${i}).`),
      ),
    ];
    const small = new SkillIndex(crafted);
    const top = small.search('pod label container', 5);
    expect(top.map((h) => h.skill.name.replace(/\d+$/, ''))).toEqual([
      'readAll',
      'readAll',
      'readAll',
      'readAll',
      'readAll',
    ]);
    // Asked for more than hold them all: those 20 first, then the best partial matches of an OR of the words.
    const more = small.search('pod label container', 40).map((h) => h.skill.name.replace(/\d+$/, ''));
    expect(more.slice(0, 20)).toEqual(new Array(20).fill('readAll'));
    expect(more.slice(20)).toEqual(new Array(20).fill('podLabel'));
  });
});

describe('SkillIndex: one index, many queries', () => {
  it('a query ranks as it would on a fresh index, whatever was searched before (buffers are reused between searches)', () => {
    const skills = library(600);
    const queries = [
      'privileged containers',
      'pod container label namespace',
      'latest image tag',
      'containers in a pod',
      'missing probes',
      'label every pod in the namespace',
      'nothing matches zzz',
    ];
    const shared = new SkillIndex(skills);
    const vector = (q: string) => Array.from({ length: 8 }, (_, i) => ((q.length * (i + 3)) % 7) - 3);
    const vectors = new Map(skills.map((s, i) => [s.id, Array.from({ length: 8 }, (_, j) => ((i * (j + 1)) % 5) - 2)]));
    const sharedHybrid = new SkillIndex(skills, vectors);
    const summary = (hits: ReturnType<SkillIndex['search']>) => hits.map((h) => [h.skill.name, h.score]);
    for (const q of [...queries, ...queries.reverse()]) {
      expect(summary(shared.search(q, 5)), q).toEqual(summary(new SkillIndex(skills).search(q, 5)));
      expect(summary(sharedHybrid.search(q, 5, vector(q))), q).toEqual(
        summary(new SkillIndex(skills, vectors).search(q, 5, vector(q))),
      );
    }
  });
});
