import type { ApiResource } from '../../catalog/index.js';
import type { KubeObject, PlanStep, PlanTarget, TestCase } from '../../common/index.js';
import { sampleObject, variant, type SampleOptions } from './samples.js';

/** Building blocks the offline families share: targets, scope cases, code fragments. */

export interface RuleContext {
  text: string;
  namespaces: string[];
  /** Namespaces the intent leaves out ("except in namespace dev"). */
  excluded: string[];
  warn: boolean;
}

export function targetFor(
  resources: ApiResource[],
  operations: PlanTarget['operations'],
  type: PlanTarget['type'],
  namespaces: string[],
): PlanTarget {
  const namespaced = resources.every((r) => r.namespaced);
  const clusterScoped = resources.every((r) => !r.namespaced);
  return {
    type,
    resources: [...new Set(resources.map((r) => r.plural))],
    apiGroups: [...new Set(resources.map((r) => r.group))],
    apiVersions: [...new Set(resources.flatMap((r) => r.versions))],
    operations,
    scope: namespaced ? 'Namespaced' : clusterScoped ? 'Cluster' : '*',
    namespaces: resources.some((r) => r.namespaced) ? namespaces : [],
  };
}

/** The namespace a violating case is placed in: the first named one, else `default`. */
export function homeNamespace(ctx: RuleContext): string {
  return ctx.namespaces[0] ?? 'default';
}

/** A namespace outside the intent's scope, for "just outside" cases. */
export function outsideNamespace(ctx: RuleContext): string | undefined {
  if (ctx.namespaces.length === 0) return undefined;
  return ['default', 'staging', 'elsewhere'].find((n) => !ctx.namespaces.includes(n));
}

/**
 * Cases that pin the scope: the violating object in a namespace the intent does not name and in
 * kube-system must be admitted untouched (namespaced resources only).
 */
export function scopeCases(
  r: ApiResource,
  ctx: RuleContext,
  violating: (o: SampleOptions) => KubeObject,
  op: 'CREATE' | 'DELETE' = 'CREATE',
): TestCase[] {
  if (!r.namespaced) return [];
  const out: TestCase[] = [];
  const place = (ns: string, name: string): TestCase =>
    op === 'DELETE'
      ? { name, operation: 'DELETE', oldObject: violating({ namespace: ns }), expect: 'allow' }
      : { name, object: violating({ namespace: ns }), expect: 'allow' };
  const other = outsideNamespace(ctx);
  if (other) out.push(place(other, `violating ${r.kind} in namespace ${other} (outside the scope) is allowed`));
  for (const ns of ctx.excluded) out.push(place(ns, `violating ${r.kind} in the excluded namespace ${ns} is allowed`));
  out.push(place('kube-system', `violating ${r.kind} in kube-system is allowed`));
  return out;
}

/** An UPDATE that turns a compliant object into a violating one. */
export function updateCase(name: string, before: KubeObject, after: KubeObject, expect: TestCase['expect']): TestCase {
  return { name, operation: 'UPDATE', oldObject: before, object: after, expect };
}

/** `deny(msg)` or `warn(msg)` as the intent asks. */
export function act(ctx: RuleContext, messageJs: string): string {
  return ctx.warn ? `warn(${messageJs});` : `deny(${messageJs});`;
}

/** The expected outcome of a violating case. */
export function violation(ctx: RuleContext): TestCase['expect'] {
  return ctx.warn ? 'warn' : 'deny';
}

/** Code that admits requests outside the named namespaces (the selector does this too; belt and braces). */
export function namespaceGuard(ctx: RuleContext, resources: ApiResource[]): string {
  if (!resources.some((r) => r.namespaced)) return '';
  let code = '';
  if (ctx.namespaces.length) code += `if (!inNamespaces(request, ${js(ctx.namespaces)})) {\n  allow();\n}\n`;
  if (ctx.excluded.length) code += `if (inNamespaces(request, ${js(ctx.excluded)})) {\n  allow();\n}\n`;
  return code;
}

export function js(value: unknown): string {
  return JSON.stringify(value);
}

export function step(name: string, description: string, skill = true): PlanStep {
  return skill ? { name, description, skill: name } : { name, description };
}

export function sample(r: ApiResource, o: SampleOptions = {}): KubeObject {
  return sampleObject(r, o);
}

export { variant };
