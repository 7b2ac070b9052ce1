import type { CaseResult, SuiteResult } from '../common/index.js';

/** Human output of a suite run: one line per case (plus its failure, warnings and prints), then a summary. */
export function formatSuiteResult(result: SuiteResult): string {
  const lines: string[] = [];
  if (result.compileError) lines.push(`COMPILE ERROR  ${result.compileError}`);
  for (const c of result.cases) lines.push(...caseLines(c));
  const passed = result.total - result.failed;
  lines.push('');
  lines.push(`${result.passed ? 'PASS' : 'FAIL'}  ${passed}/${result.total} case(s) passed${result.failed ? `, ${result.failed} failed` : ''} in ${result.durationMs.toFixed(1)} ms`);
  return lines.join('\n');
}

function caseLines(c: CaseResult): string[] {
  const o = c.outcome;
  const mark = c.passed ? 'ok  ' : 'FAIL';
  const actual = o.matched ? o.actual : 'allow, not selected';
  const head = `${mark}  ${c.name}  expected ${c.expected}, got ${actual}${o.code && o.code !== 200 ? ` (${o.code})` : ''}  ${o.durationMs.toFixed(2)} ms`;
  const out = [head];
  if (!c.passed && c.failure) out.push(`      why: ${c.failure}`);
  if (o.message && o.matched) out.push(`      message: ${o.message}`);
  for (const w of o.warnings) out.push(`      warning: ${w}`);
  if (o.patch?.length) out.push(`      patch: ${JSON.stringify(o.patch)}`);
  for (const p of o.printed) out.push(`      print: ${p}`);
  for (const call of o.calls) out.push(`      call: ${call.fn}(${call.args.map((a) => JSON.stringify(a)).join(', ').slice(0, 200)})`);
  return out;
}
