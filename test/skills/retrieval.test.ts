import { describe, expect, it } from 'vitest';
import type { Skill } from '../../common/index.js';
import { SkillIndex, type ScoredSkill } from '../../skills/retrieval.js';
import { gaussian, rng } from '../support/seeded-random.js';
import { aSkill } from '../support/skill-fixture.js';

const NOUNS = ['container', 'image', 'label', 'namespace', 'ingress', 'probe', 'volume', 'secret', 'registry', 'port'];
const VERBS = ['has', 'get', 'count', 'list', 'check', 'match'];

function skill(i: number, state: 'approved' | 'candidate'): Skill {
  const verb = VERBS[i % VERBS.length];
  const noun = NOUNS[Math.floor(i / VERBS.length) % NOUNS.length];
  const name = `${verb}${noun.charAt(0).toUpperCase()}${noun.slice(1)}${i}`;
  return aSkill(name, { description: `${verb} the ${noun}s of an object (variant ${i})`, state });
}

interface Generated {
  skills: Skill[];
  vectors: Map<string, number[]>;
  random: () => number;
  dims: number;
}

/**
 * Skills with dense random vectors (like real embeddings), some without a vector, some candidates, and
 * clusters of near-duplicates closer together than one int8 step (the quantised scan cannot order those;
 * the exact stage must) plus exact duplicates (ties that only names break).
 */
function generate(seed: number, count: number, dims: number): Generated {
  const random = rng(seed);
  const skills: Skill[] = [];
  const vectors = new Map<string, number[]>();
  let previous: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = skill(i, random() < 0.2 ? 'candidate' : 'approved');
    skills.push(s);
    const kind = random();
    if (kind < 0.05) continue; // no vector (not embedded yet)
    let v: number[];
    if (kind < 0.15 && previous.length)
      v = [...previous]; // exact duplicate
    else if (kind < 0.4 && previous.length)
      v = previous.map((x) => x + gaussian(random) * 1e-4); // near duplicate
    else v = Array.from({ length: dims }, () => gaussian(random) * (0.1 + random())); // uneven scale, not unit length
    vectors.set(s.id, v);
    previous = v;
  }
  return { skills, vectors, random, dims };
}

/** Queries: random directions, and perturbed copies of skills' vectors (so many rows score close together). */
function queries(g: Generated, n: number): number[][] {
  const out: number[][] = [];
  const withVectors = [...g.vectors.values()];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) out.push(Array.from({ length: g.dims }, () => gaussian(g.random)));
    else out.push(withVectors[Math.floor(g.random() * withVectors.length)].map((x) => x + gaussian(g.random) * 0.05));
  }
  return out;
}

function cosine(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * The ranking written out the plain way: every skill's score from its lexical score (the index's own,
 * taken from a lexical-only search over all skills) and the float64 cosine of the raw vectors; approved
 * before candidates, then score, then name; scores of 0 or less are not results.
 */
function straightforward(
  g: Generated,
  index: SkillIndex,
  text: string,
  query: number[],
  k: number,
  w: number,
): ScoredSkill[] {
  const lexical = new Map(index.search(text, g.skills.length).map((h) => [h.skill.id, h.lexical]));
  return g.skills
    .map((s) => {
      const v = g.vectors.get(s.id);
      const c = v ? cosine(query, v) : 0;
      const semantic = c > 0 ? c : 0;
      const lex = lexical.get(s.id) ?? 0;
      return { skill: s, score: w * lex + (1 - w) * semantic, lexical: lex, semantic };
    })
    .filter((h) => h.score > 0)
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
    .slice(0, k);
}

const ids = (hits: ScoredSkill[]) => hits.map((h) => h.skill.id);

describe('SkillIndex vector search (int8 pre-selection, exact second stage)', () => {
  const g = generate(20261125, 3000, 384);
  const index = new SkillIndex(g.skills, g.vectors);
  const texts = ['check the container images', 'registry', 'probe volume secret', 'nothing matches zzzz'];

  it('returns exactly what the flat float scan returns: same skills, order and scores', () => {
    let fast = 0;
    for (const [i, q] of queries(g, 40).entries()) {
      for (const k of [1, 5, 20]) {
        for (const w of [0, 0.5, 0.8]) {
          const text = texts[i % texts.length];
          const got = index.search(text, k, q, w);
          expect(index.lastScan?.path).toBe('int8');
          fast += index.lastScan!.rescored;
          expect(got).toEqual(index.searchExact(text, k, q, w));
        }
      }
    }
    // The first stage did select: on average far fewer rows were rescored than there are.
    expect(fast / (40 * 9)).toBeLessThan(g.skills.length / 4);
  });

  it('agrees with a straightforward exact ranking of the raw vectors', () => {
    for (const [i, q] of queries(g, 20).entries()) {
      const text = texts[i % texts.length];
      const got = index.search(text, 5, q, 0.5);
      const want = straightforward(g, index, text, q, 5, 0.5);
      expect(ids(got)).toEqual(ids(want));
      got.forEach((h, j) => expect(h.score).toBeCloseTo(want[j].score, 6));
    }
  });

  it('orders near-duplicates that the int8 approximation alone cannot tell apart', () => {
    // A cluster of rows differing by far less than one int8 step (yet by more than float32 rounding),
    // queried right at it: quantisation alone gets the order or the members wrong; the two-stage search
    // does not (here the error bounds overlap for every row, so every row is rescored).
    const random = rng(7);
    const dims = 256;
    const base = Array.from({ length: dims }, () => gaussian(random));
    const skills = Array.from({ length: 400 }, (_, i) => skill(i, 'approved'));
    const vectors = new Map(skills.map((s) => [s.id, base.map((x) => x + gaussian(random) * 5e-3)]));
    const cluster = new SkillIndex(skills, vectors);
    const gc: Generated = { skills, vectors, random, dims };
    let approximateDiffers = 0;
    for (let n = 0; n < 20; n++) {
      const q = base.map((x) => x + gaussian(random) * 2e-2);
      const got = cluster.search('zzzz', 5, q, 0);
      expect(ids(got)).toEqual(ids(straightforward(gc, cluster, 'zzzz', q, 5, 0)));
      expect(got).toEqual(cluster.searchExact('zzzz', 5, q, 0));
      if (ids(cluster.searchApproximate('zzzz', 5, q, 0)).join() !== ids(got).join()) approximateDiffers++;
    }
    expect(approximateDiffers).toBeGreaterThan(0);
  });

  it('ranks candidates only when fewer than k approved skills score, and ranks skills without vectors lexically', () => {
    const skills = [skill(0, 'approved'), skill(1, 'candidate'), skill(2, 'candidate'), skill(3, 'approved')];
    const v = (x: number) => [x, 1 - x, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const vectors = new Map([
      [skills[0].id, v(0.2)],
      [skills[1].id, v(1)],
      [skills[2].id, v(0.9)],
    ]); // skills[3] has none
    const small = new SkillIndex(skills, vectors);
    const q = v(1);
    const got = small.search('has the containers', 3, q, 0.5);
    expect(got).toEqual(small.searchExact('has the containers', 3, q, 0.5));
    expect(got.map((h) => h.skill.state)).toEqual(['approved', 'approved', 'candidate']);
    expect(got[2].skill.id).toBe(skills[1].id); // the better candidate
  });

  it('still equals the flat scan with a broken vector (NaN) or an all-zero query', () => {
    const g2 = generate(11, 200, 32);
    // An approved skill, the only one whose description has its number: the best lexical match below.
    const at = g2.skills.findIndex((s, i) => i >= 30 && s.state === 'approved');
    const broken = g2.skills[at];
    g2.vectors.set(
      broken.id,
      Array.from({ length: 32 }, (_, i) => (i === 5 ? Number.NaN : 1)),
    );
    const index2 = new SkillIndex(g2.skills, g2.vectors);
    for (const q of [...queries(g2, 6), new Array<number>(32).fill(0)]) {
      for (const text of ['list the ports', 'zzzz'])
        expect(index2.search(text, 5, q, 0.5)).toEqual(index2.searchExact(text, 5, q, 0.5));
      const hits = index2.search(`variant ${at}`, 5, q, 0.5);
      expect(hits).toEqual(index2.searchExact(`variant ${at}`, 5, q, 0.5));
      expect(hits.map((h) => h.skill.id)).toContain(broken.id);
    }
  });
});
