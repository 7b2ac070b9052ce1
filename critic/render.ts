import type { Finding, FuzzCrash, Report } from '../common/index.js';

export interface RenderOptions {
  /** Upper bound of the rendering, in characters. @defaultValue 4000 */
  maxChars?: number;
}

/**
 * A compact rendering of a report for a model prompt: the verdict, then blocking problems (failing
 * cases, compile error, fuzz crashes, dry-run errors, blocking findings), then advisories. Every finding
 * keeps its fix; when space runs out, objects are shortened first and the least important lines dropped
 * with a note of how many.
 */
export function renderReport(report: Report, options: RenderOptions = {}): string {
  const maxChars = options.maxChars ?? 4000;
  const blocking = report.findings.filter((f) => f.severity === 'blocking');
  const advisory = report.findings.filter((f) => f.severity === 'advisory');
  const suite = report.suite;
  const head = [
    report.passed ? 'PASSED' : 'FAILED',
    suite ? `cases ${suite.total - suite.failed}/${suite.total} passed` : 'cases not run',
    `${blocking.length} blocking`,
    `${advisory.length} advisory`,
    `${report.fuzz.length} fuzz crash${report.fuzz.length === 1 ? '' : 'es'}`,
    ...(report.dryRunErrors.length ? [`${report.dryRunErrors.length} dry-run error(s)`] : []),
  ].join(' · ');

  // Findings derived from cases, crashes and dry-runs are rendered from those (with their objects).
  const derived = (f: Finding): boolean =>
    f.rule === 'suite/case-failed' ||
    f.rule === 'fuzz/crash' ||
    (f.rule === 'code/compile' && !!suite?.compileError) ||
    f.rule === 'cluster/dry-run';
  // Root causes first: a wrong group or a syntax error explains the failing cases below it.
  const structural = blocking.filter((f) => !derived(f) && /^(schema|code|catalog|suite)\//.test(f.rule));
  const otherBlocking = blocking.filter((f) => !derived(f) && !structural.includes(f));
  const render = (objectChars: number): string[] => {
    const lines: string[] = [];
    if (suite?.compileError)
      lines.push(`- [blocking] code/compile: ${oneLine(suite.compileError)} → fix: make spec.javascript compile`);
    for (const f of structural) lines.push(findingLine(f));
    for (const c of suite?.compileError ? [] : (suite?.cases ?? [])) {
      if (c.passed) continue;
      const why = c.failure ?? `expected ${c.expected}, got ${c.outcome.actual}`;
      lines.push(
        `- [blocking] case "${c.name}": ${oneLine(why)}${c.outcome.error && !why.includes(c.outcome.error) ? ` (error: ${oneLine(c.outcome.error)})` : ''}`,
      );
    }
    for (const crash of report.fuzz) lines.push(crashLine(crash, objectChars));
    for (const e of report.dryRunErrors)
      lines.push(`- [blocking] cluster/dry-run: ${oneLine(e)} → fix: correct the field the API server names`);
    for (const f of otherBlocking) lines.push(findingLine(f));
    for (const f of advisory) lines.push(findingLine(f));
    return lines;
  };

  for (const objectChars of [600, 200, 80]) {
    const text = [head, ...render(objectChars)].join('\n');
    if (text.length <= maxChars) return text;
  }
  // Still too long: keep whole lines, most important first, and say how many were left out.
  const lines = render(80);
  const kept: string[] = [head];
  let size = head.length;
  let i = 0;
  for (; i < lines.length; i++) {
    const note = `\n… ${lines.length - i} more`;
    if (size + 1 + lines[i].length + note.length > maxChars) break;
    kept.push(lines[i]);
    size += 1 + lines[i].length;
  }
  if (i < lines.length) kept.push(`… ${lines.length - i} more`);
  return kept.join('\n');
}

function findingLine(f: Finding): string {
  return `- [${f.severity}] ${f.rule}${f.path ? ` (${f.path})` : ''}: ${oneLine(f.message)} → fix: ${oneLine(f.fix)}`;
}

function crashLine(crash: FuzzCrash, objectChars: number): string {
  const obj = JSON.stringify(crash.object) ?? 'undefined';
  const shown = obj.length > objectChars ? `${obj.slice(0, objectChars)}…` : obj;
  return `- [blocking] fuzz/crash: denies with 500 on ${crash.from} with ${crash.mutation}: ${oneLine(crash.error)}; smallest object: ${shown} → fix: guard the access (optional chaining ?. and defaults) so unusual objects do not throw`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
