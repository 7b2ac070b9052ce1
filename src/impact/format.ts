import type { ImpactSummary } from '../../common/index.js';

const number = new Intl.NumberFormat('en-US');

/** The one-line summary: "would deny 3 of 1,204 objects; warn 12; mutate 40". */
export function impactHeadline(s: ImpactSummary): string {
  return `would deny ${number.format(s.wouldDeny)} of ${number.format(s.checked)} object${s.checked === 1 ? '' : 's'}; warn ${number.format(s.wouldWarn)}; mutate ${number.format(s.wouldMutate)}`;
}

/** The summary, then each reason with its count and a few examples, then what was skipped and the caveats. */
export function formatImpact(s: ImpactSummary, policyName: string): string {
  const lines = [`${policyName} against ${s.sources.join(', ') || '(nothing)'}`, impactHeadline(s)];
  lines.push(
    `  ${number.format(s.selected)} selected by the policy's match rules, ${number.format(s.checked - s.selected)} not selected; ${(s.durationMs / 1000).toFixed(1)} s`,
  );
  for (const r of s.reasons) {
    lines.push('', `${r.verdict} × ${number.format(r.count)}: ${r.reason}`);
    for (const e of r.examples) lines.push(`    e.g. ${e}`);
  }
  const skipped = Object.entries(s.skipped);
  if (skipped.length) {
    lines.push(
      '',
      `skipped ${number.format(skipped.reduce((n, [, c]) => n + c, 0))} entr${skipped.length === 1 && skipped[0][1] === 1 ? 'y' : 'ies'}:`,
    );
    for (const [why, count] of skipped.sort((a, b) => b[1] - a[1])) lines.push(`    ${number.format(count)} × ${why}`);
  }
  for (const n of s.notes) lines.push('', `note: ${n}`);
  return `${lines.join('\n')}\n`;
}
