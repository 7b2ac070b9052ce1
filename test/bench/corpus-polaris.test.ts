import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convertPolaris,
  docsDescriptions,
  renderPolarisSuite,
  type PolarisSuite,
} from '../../bench/corpus/convert-polaris.js';
import { parseSuite } from '../../sandbox/index.js';
import { offlineSuiteRunner } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'polaris');

describe('bench/corpus/convert-polaris: Polaris checks → shared-format suites', () => {
  const conversion = convertPolaris(FIXTURE);
  const byId = (id: string): PolarisSuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };

  it('makes two suites per check, the failureMessage and the docs row, each as written', () => {
    expect(conversion.suites.map((s) => s.id)).toEqual(['hostIPCSet--message', 'hostIPCSet--docs']);
    expect(byId('hostIPCSet--message').intent).toBe('Pods should not share the host IPC namespace');
    expect(byId('hostIPCSet--docs').intent).toBe('Fails when `hostIPC` attribute is configured.');
  });

  it('reads docs rows of their own, not rows that only point at a list elsewhere', () => {
    expect(docsDescriptions(FIXTURE)).toEqual(
      new Map([['hostIPCSet', 'Fails when `hostIPC` attribute is configured.']]),
    );
  });

  it("takes verdicts from file names as Polaris' test runner does, leaves mutation fixtures out, and records apiVersion fixes", () => {
    const s = byId('hostIPCSet--message');
    expect(s.cases.map((c) => [c.name, c.expect, c.namespace ?? c.object?.metadata?.namespace])).toEqual([
      ['failure.deployment', 'deny', 'default'],
      ['failure', 'deny', 'default'],
      ['success', 'allow', 'shop'],
    ]);
    expect(s.cases[0].object?.apiVersion).toBe('apps/v1');
    expect(s.adjusted).toEqual([{ case: 'failure.deployment', change: 'apiVersion v1 → apps/v1' }]);
  });

  it('skips, with why, checks whose deny case needs a second object, checks without tests, and missing docs rows', () => {
    expect(conversion.skipped).toEqual([
      { id: 'noTests--message', check: 'noTests', reason: 'the check has no test objects' },
      { id: 'noTests--docs', check: 'noTests', reason: 'the check has no test objects' },
      { id: 'podPair--message', check: 'podPair', reason: expect.stringContaining('several objects in one file') },
      { id: 'podPair--docs', check: 'podPair', reason: 'no description of its own in docs/checks' },
    ]);
  });

  it('writes files the suite parser accepts, with the source and the adjustments in comments', () => {
    const s = byId('hostIPCSet--docs');
    const text = renderPolarisSuite(s, 'c0e23a233b2087272a7f524f1b922f4e3f2f9689');
    expect(text.split('\n')[0]).toContain('FairwindsOps/polaris@c0e23a233b20 (Apache-2.0');
    expect(text).toContain('# Adjusted: failure.deployment (apiVersion v1 → apps/v1).');
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus: a Polaris suite through offline generate', () => {
  const run = offlineSuiteRunner('polaris');

  it.each(['hostIPCSet--message', 'hostIPCSet--docs'])(
    '%s is read and agrees with every reference case',
    async (id) => {
      const suite = parseSuite(
        renderPolarisSuite(
          convertPolaris(FIXTURE).suites.find((s) => s.id === id)!,
          'fixture',
        ),
        `${id}.yaml`,
      );
      const out = await run(suite);
      expect(out).toMatchObject({ outcome: 'agrees', passed: 3, total: 3 });
      expect(out.reading).toContain('offline family host-namespaces: pods must not use hostIPC');
    },
  );
});
