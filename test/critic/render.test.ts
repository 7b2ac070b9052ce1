import { describe, expect, it } from 'vitest';
import type { CaseOutcome, Finding, Report } from '../../common/index.js';
import { renderReport } from '../../critic/index.js';

const outcome = (actual: CaseOutcome['actual'], extra: Partial<CaseOutcome> = {}): CaseOutcome => ({
  matched: true,
  allowed: actual !== 'deny',
  actual,
  warnings: [],
  printed: [],
  calls: [],
  durationMs: 1,
  ...extra,
});
const finding = (rule: string, severity: Finding['severity']): Finding => ({
  rule,
  severity,
  message: `${rule} is wrong`,
  fix: `fix ${rule}`,
});

function report(): Report {
  return {
    passed: false,
    findings: [finding('safety/timeout', 'advisory'), finding('catalog/wrong-group', 'blocking')],
    suite: {
      passed: false,
      total: 2,
      failed: 1,
      durationMs: 3,
      cases: [
        {
          name: 'prod pod denied',
          expected: 'deny',
          passed: false,
          failure: 'expected deny, got allow',
          outcome: outcome('allow'),
        },
        { name: 'dev pod allowed', expected: 'allow', passed: true, outcome: outcome('allow') },
      ],
    },
    fuzz: [
      {
        from: 'prod pod denied',
        mutation: 'removed spec.resourceRef',
        error: "Uncaught TypeError: Cannot read properties of undefined (reading 'kind')",
        object: { spec: { x: 'y'.repeat(2000) } },
      },
    ],
    dryRunErrors: [],
  };
}

describe('renderReport', () => {
  it('puts the verdict first, then blocking problems, then advisories, each finding with its fix', () => {
    const text = renderReport(report());
    const lines = text.split('\n');
    expect(lines[0]).toBe('FAILED · cases 1/2 passed · 1 blocking · 1 advisory · 1 fuzz crash');
    // the root cause (a catalog finding) before the cases it explains
    expect(lines[1]).toBe(
      '- [blocking] catalog/wrong-group: catalog/wrong-group is wrong → fix: fix catalog/wrong-group',
    );
    expect(lines[2]).toBe('- [blocking] case "prod pod denied": expected deny, got allow');
    expect(lines[3]).toContain('denies with 500 on prod pod denied with removed spec.resourceRef: Uncaught TypeError');
    expect(lines[4]).toBe('- [advisory] safety/timeout: safety/timeout is wrong → fix: fix safety/timeout');
    expect(text).not.toContain('dev pod allowed');
  });

  it('stays under maxChars by shortening objects first, then dropping the least important lines with a count', () => {
    expect(renderReport(report()).length).toBeLessThanOrEqual(4000);
    const short = renderReport(report(), { maxChars: 640 });
    expect(short.length).toBeLessThanOrEqual(640);
    expect(short).toContain('fix: fix catalog/wrong-group');
    expect(short).toContain('smallest object: {"spec":{"x":"yyy');
    expect(short).not.toContain('safety/timeout');
    expect(short.endsWith('… 1 more')).toBe(true);
    const tiny = renderReport(report(), { maxChars: 250 });
    expect(tiny.length).toBeLessThanOrEqual(250);
    expect(tiny).toMatch(/… \d+ more$/);
  });

  it('says PASSED for a clean report', () => {
    expect(renderReport({ passed: true, findings: [], fuzz: [], dryRunErrors: [] })).toBe(
      'PASSED · cases not run · 0 blocking · 0 advisory · 0 fuzz crashes',
    );
  });
});
