import type { CaseOutcome, CaseResult, SuiteResult } from '../common/index.js';

/** What the terminal shows of one message, warning or print line; --json carries the full text. */
export const TERMINAL_TEXT_CHARS = 2_000;

/**
 * Text that came from a policy or a model, made safe to print: every control character (C0, DEL, C1: ANSI
 * escape sequences, carriage returns, newlines, backspaces) and every bidirectional or invisible formatting
 * character becomes a visible escape (`\x1b`, `\r`, `\u202e`), so such text can neither forge nor hide
 * lines (a green PASS, a FAIL overwritten). Long text is clipped, and says so.
 */
export function escapeForTerminal(text: string, maxChars = TERMINAL_TEXT_CHARS): string {
  let s = String(text);
  let more = 0;
  if (s.length > maxChars) {
    more = s.length - maxChars;
    s = s.slice(0, maxChars);
  }
  const escaped = s.replace(
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this escapes
    /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g,
    (c) => {
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      const code = c.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
  return more ? `${escaped}… [${more} more chars; --json shows all]` : escaped;
}

/** Human output of a suite run: one line per case (plus its failure, warnings and prints), then a summary. */
export function formatSuiteResult(result: SuiteResult): string {
  const lines: string[] = [];
  if (result.compileError) lines.push(`COMPILE ERROR  ${escapeForTerminal(result.compileError)}`);
  for (const c of result.cases) lines.push(...caseLines(c));
  const passed = result.total - result.failed;
  lines.push('');
  lines.push(
    `${result.passed ? 'PASS' : 'FAIL'}  ${passed}/${result.total} case(s) passed${result.failed ? `, ${result.failed} failed` : ''} in ${result.durationMs.toFixed(1)} ms`,
  );
  return lines.join('\n');
}

/** One line on a timed-out case: the limit that applied and what decided the request. */
export function describeTimeout(t: NonNullable<CaseOutcome['timeout']>): string {
  const limit = `${t.limitMs} ms (${t.limitSource === 'policy' ? 'spec.timeoutSeconds' : t.limitSource === 'default' ? "jsPolicy's default 10 s" : "the sandbox's cap, below the policy's own limit"})`;
  const decision = t.failurePolicy === 'Ignore' ? 'admitted' : 'rejected';
  const verdict = `failurePolicy ${t.failurePolicy} decided (${decision})`;
  if (t.decidedBy === 'sandbox-cap')
    return `timed out at ${limit}: rejected with 500 here; in a cluster the script may still finish`;
  if (t.decidedBy === 'vm-pool') {
    const busy = `all of jsPolicy's VMs stayed busy for ${t.vmWaitMs} ms, past the API server's deadline of ${limit}`;
    return `${busy}: the script never ran, ${verdict}`;
  }
  if (t.vmWaitMs) {
    return `waited ${t.vmWaitMs} ms for a free VM, then ran into the API server's deadline of ${limit}: ${verdict}`;
  }
  return `timed out at ${limit}: the API server's deadline passed first, so ${verdict}`;
}

function caseLines(c: CaseResult): string[] {
  const o = c.outcome;
  const mark = c.passed ? 'ok  ' : 'FAIL';
  const actual = o.matched ? o.actual : 'allow, not selected';
  const head = `${mark}  ${escapeForTerminal(c.name, 200)}  expected ${c.expected}, got ${actual}${o.code && o.code !== 200 ? ` (${o.code})` : ''}  ${o.durationMs.toFixed(2)} ms`;
  const out = [head];
  if (!c.passed && c.failure) out.push(`      why: ${escapeForTerminal(c.failure)}`);
  if (o.timeout) out.push(`      timeout: ${describeTimeout(o.timeout)}`);
  if (o.message && o.matched) out.push(`      message: ${escapeForTerminal(o.message)}`);
  for (const w of o.warnings) out.push(`      warning: ${escapeForTerminal(w)}`);
  if (o.violation)
    out.push(
      `      violation (${o.violation.action}): ${o.violation.code}${o.violation.reason ? ` ${escapeForTerminal(o.violation.reason, 200)}` : ''} ${escapeForTerminal(o.violation.message)}`,
    );
  if (o.patch?.length) out.push(`      patch: ${escapeForTerminal(JSON.stringify(o.patch))}`);
  for (const p of o.printed) out.push(`      print: ${escapeForTerminal(p)}`);
  for (const call of o.calls)
    out.push(
      `      call: ${escapeForTerminal(`${call.fn}(${call.args.map((a) => JSON.stringify(a)).join(', ')}`, 200)})`,
    );
  return out;
}
