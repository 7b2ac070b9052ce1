import { describe, expect, it } from 'vitest';
import { countViolations, observeRollout, parseDuration, rolloutFrom } from '../../src/operator/index.js';
import { specHash, validateGPTPolicy, type ObserveInput } from '../../src/operator/index.js';
import { violation } from './harness.js';

// src/operator/rollout.ts: the staged rollout's decisions, as pure functions of the status, the spec, the
// violations jsPolicy recorded and the clock. rollout.test.ts runs them end to end through the operator.

const T0 = new Date('2026-12-01T08:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const spec = { strategy: 'Staged' as const, window: '1h', violationBudget: 2 };
type Input = Omit<ObserveInput, 'policyName' | 'violations'> & { violations?: ObserveInput['violations'] };
const observe = (input: Input) => observeRollout({ violations: [], policyName: 'p.x.y', ...input });

describe('staged rollout decisions', () => {
  it('reads Go-style durations and refuses anything else in spec.rollout', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    for (const bad of ['', '1d', 'h', '5 m', '-1h']) expect(parseDuration(bad)).toBeUndefined();
    const gpt = (rollout: unknown) => ({ metadata: { name: 'n' }, spec: { description: 'd', rollout } });
    expect(() => validateGPTPolicy(gpt({ strategy: 'Staged', window: '30m', violationBudget: 3 }))).not.toThrow();
    expect(() => validateGPTPolicy(gpt({ strategy: 'Canary' }))).toThrow(/strategy must be Immediate or Staged/);
    expect(() => validateGPTPolicy(gpt({ window: '1 day' }))).toThrow(/spec.rollout.window must be a duration/);
    expect(() => validateGPTPolicy(gpt({ violationBudget: 39 }))).toThrow(/from 0 to 38/);
  });

  it('leaves the spec hash alone: choosing a rollout never generates again', () => {
    expect(specHash({ description: 'd', rollout: { strategy: 'Staged' } })).toBe(specHash({ description: 'd' }));
  });

  it("counts only this stage's violations inside its window", () => {
    const r = rolloutFrom('Dry', spec, 'Deny', 'job', T0);
    const log = [violation('Deny', at(-1)), violation('Warn', at(5))];
    log.push(violation('Dry', at(5)), violation('Dry', at(59)), violation('Dry', at(61)));
    expect(countViolations(log, r, at(30))).toBe(1);
    expect(countViolations(log, r, at(90))).toBe(2);
  });

  it('holds when jsPolicy kept fewer violations than happened (its log is full), rather than trust the count', () => {
    const r = rolloutFrom('Dry', { ...spec, violationBudget: 30 }, 'Deny', 'job', T0);
    const full = Array.from({ length: 20 }, (_, i) => violation('Dry', at(i + 1)));
    const budget30 = { ...spec, violationBudget: 30 };
    const d = observe({ prev: r, spec: budget30, target: 'Deny', approved: true, violations: full, now: at(61) });
    expect(d.status).toMatchObject({ stage: 'Dry', state: 'Held', reason: 'ViolationLogFull', violations: 20 });
    // with auditLogSize 39 the same 20 are a true count, within a budget of 30: promoted
    const bigger = observe({
      prev: r,
      spec: budget30,
      target: 'Deny',
      approved: true,
      violations: full,
      auditLogSize: 39,
      now: at(61),
    });
    expect(bigger.status.stage).toBe('Warn');
  });

  it('waits for approval (approval: Manual) instead of promoting, and refuses a promote before it', () => {
    const r = rolloutFrom('Dry', spec, 'Deny', 'job', T0);
    const waiting = observe({ prev: r, spec, target: 'Deny', approved: false, now: at(61) });
    expect(waiting.status).toMatchObject({ stage: 'Dry', state: 'AwaitingApproval' });
    const promote = observe({ prev: r, spec, target: 'Deny', approved: false, command: 'promote', now: at(1) });
    expect(promote.status.stage).toBe('Dry');
    expect(promote.consumed).toBe(true);
    expect(promote.transitions[0].reason).toBe('RolloutCommandRefused');
  });

  it('follows a mode lowered below the current stage at once (less enforcement), and completes there', () => {
    const warn = rolloutFrom('Warn', spec, 'Deny', 'job', T0);
    const d = observe({ prev: warn, spec, target: 'Dry', approved: true, now: at(1) });
    expect(d.status).toMatchObject({ stage: 'Dry', target: 'Dry', state: 'Complete' });
  });
});
