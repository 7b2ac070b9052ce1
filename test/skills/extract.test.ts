import { describe, expect, it } from 'vitest';
import { builtinSkills, extractSkills, inlineSkills } from '../../skills/index.js';

const policy = `
// true when the image is untagged or tagged latest
function untaggedOrLatest(image) {
  if (image.includes('@')) return false;
  const last = image.split('/').pop();
  const i = last.lastIndexOf(':');
  return i < 0 || last.slice(i + 1) === 'latest';
}
const badImages = (containers) => containers.filter((c) => untaggedOrLatest(c.image || ''));
function rejectAll(names) { deny('bad: ' + names.join(', ')); }
function looksAtRequest() { return request.object.metadata.name; }
function callsImpure() { return looksAtRequest(); }
const bad = badImages(workloadContainers(request.object));
if (bad.length) rejectAll(bad.map((c) => c.name));
`;

describe('extractSkills', () => {
  const plan = {
    target: {
      type: 'Validating' as const,
      resources: ['pods'],
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE' as const],
      scope: '*' as const,
      namespaces: [],
    },
    steps: [{ name: 'badImages', description: 'Containers whose image is untagged or :latest.' }],
    tests: [],
  };
  const extracted = extractSkills(inlineSkills(policy, builtinSkills), {
    plan,
    known: builtinSkills,
    provenance: { intent: 'disallow latest', date: 'd', source: 'generated' },
  });

  it('takes the pure top-level helpers and leaves out those using jsPolicy globals or request, directly or not', () => {
    expect(extracted.map((s) => s.name)).toEqual(['untaggedOrLatest', 'badImages']);
  });

  it('does not extract the inlined built-in skills again', () => {
    expect(extracted.map((s) => s.name)).not.toContain('workloadContainers');
  });

  it('describes a helper by its plan step, else by the comment above it', () => {
    expect(extracted.find((s) => s.name === 'badImages')!.description).toBe(
      'Containers whose image is untagged or :latest.',
    );
    expect(extracted.find((s) => s.name === 'untaggedOrLatest')!.description).toBe(
      'true when the image is untagged or tagged latest',
    );
  });

  it('rewrites a const arrow helper as a function declaration and records what it calls', () => {
    const s = extracted.find((x) => x.name === 'badImages')!;
    expect(s.code).toBe(
      "function badImages(containers) {\n  return containers.filter((c) => untaggedOrLatest(c.image || ''));\n}\n",
    );
    expect(s.dependsOn).toEqual(['untaggedOrLatest']);
    expect(s.form).toBe('const');
    expect(s).toMatchObject({ state: 'candidate', provenance: { intent: 'disallow latest' } });
  });

  it('finds nothing in code without helpers or that does not parse', () => {
    expect(extractSkills(`deny('no')`)).toEqual([]);
    expect(extractSkills('function (')).toEqual([]);
  });

  it('keeps helpers whose local names shadow jsPolicy globals (list, get)', () => {
    const out = extractSkills('function names(list) { const get = (x) => x.name; return list.map(get); }');
    expect(out.map((s) => s.name)).toEqual(['names']);
  });
});
