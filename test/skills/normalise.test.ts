import { describe, expect, it } from 'vitest';
import { codeHash, normaliseCode, normaliseIntent } from '../../skills/index.js';

describe('normaliseIntent', () => {
  it.each([
    ["Deny pods with the label 'env=prod' in the 'test' namespace.", 'deny pods with label env=prod in test namespace'],
    [
      '  deny   pods with the label "env=prod" in the test namespace ',
      'deny pods with label env=prod in test namespace',
    ],
    ["Deny pods labelled env=prod. Don't touch 'kube-system'.", "deny pods labelled env=prod don't touch kube-system"],
    ['Ingress hosts must end in .example.com!', 'ingress hosts must end in .example.com'],
    ['Require limits (cpu, memory); please.', 'require limits cpu memory'],
  ])('%s → %s', (text, key) => {
    expect(normaliseIntent(text)).toBe(key);
  });

  it('keeps what changes the meaning apart: names, numbers, negation, scope', () => {
    const keys = [
      'Block privileged containers',
      'Block privileged containers in namespace prod',
      'Allow privileged containers',
      'Deployments in prod need at least 2 replicas',
      'Deployments in prod need at least 3 replicas',
      'Deny pods labelled env=prod',
      'Deny pods labelled env=dev',
    ].map(normaliseIntent);
    expect(new Set(keys).size).toBe(keys.length);
  });

  // Issue 11: an identical-intent answer must match values exactly. Only the sentence's first capital is
  // folded; a quoted span keeps its case, punctuation and inner spaces.
  it.each([
    [
      "Deny pods with the label 'env=prod' in the 'test' namespace.",
      "Deny pods with the label 'env=PROD' in the 'test' namespace.",
    ],
    ['Deny pods labelled env=prod', 'Deny pods labelled env=Prod'],
    ["Deny pods labelled 'prod.'", 'Deny pods labelled prod'],
    ["Deny pods labelled 'env = prod'", "Deny pods labelled 'env=prod'"],
    ['Images must come from registry.k8s.io', 'Images must come from Registry.k8s.io'],
    ['Block all privileged containers', 'Block privileged containers'],
  ])('keeps values exact: %s ≠ %s', (a, b) => {
    expect(normaliseIntent(a)).not.toBe(normaliseIntent(b));
  });
});

describe('normaliseCode and codeHash', () => {
  it('ignore comments, whitespace and line breaks', () => {
    const a = 'function f(x) {\n  // why\n  return x + 1; /* note */\n}\n';
    const b = 'function f(x){return x+1;}';
    expect(normaliseCode(a)).toBe(normaliseCode(b));
    expect(codeHash(a)).toBe(codeHash(b));
  });

  it('tell apart any change in tokens, including strings and the name', () => {
    expect(codeHash('function f(x){return "a b";}')).not.toBe(codeHash('function f(x){return "a  b";}'));
    expect(codeHash('function f(x){return x;}')).not.toBe(codeHash('function g(x){return x;}'));
  });
});
