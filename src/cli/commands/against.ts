import { once } from 'node:events';
import { PolicyforgeError, type ImpactSummary, type JsPolicy } from '../../../common/index.js';
import { loadPolicy } from '../../../sandbox/index.js';
import type { CliIo } from '../io.js';
import { loadKubeConfig } from '../kubeconfig.js';
import {
  DEFAULT_DENY_THRESHOLD,
  clusterEntries,
  formatImpact,
  impactHeadline,
  previewImpact,
  type ImpactOptions,
  type ImpactProgress,
} from '../../impact/index.js';
import type { CommandContext } from './index.js';

/**
 * The CLI side of the impact preview (src/impact): `test --policy P --against SOURCE…` and
 * `generate --against SOURCE…`. SOURCE is a file, a folder, `-` (stdin) or `cluster` (the kubeconfig's
 * cluster, read-only).
 */

export interface AgainstFlags {
  json?: boolean;
  failOn?: string;
  kubeconfig?: string;
  context?: string;
  maxTimeoutMs?: number;
  /** Where the policy runs: a sandbox child process (default) or this process. */
  isolation?: string;
}

const FAIL_ON = ['deny', 'warn'] as const;

/** `policyforge test --policy P --against SOURCE…`: exit 0 unless --fail-on deny|warn finds one. */
export async function testAgainst(
  policyPath: string,
  sources: string[],
  flags: AgainstFlags,
  { setExit, io }: CommandContext,
): Promise<void> {
  if (flags.failOn !== undefined && !(FAIL_ON as readonly string[]).includes(flags.failOn)) {
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['--fail-on', `must be deny or warn, not ${flags.failOn}`]);
  }
  const policy = await loadPolicy(policyPath);
  const options = await impactOptions(policy, sources, flags, io);
  const progress = io.stderr.isTTY ? progressLine(io) : undefined;
  let summary: ImpactSummary;
  if (flags.json) {
    // Every verdict, streamed as it is decided (a large source never sits in memory); the summary last.
    const out = io.stdout;
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(`{"policy":${JSON.stringify(policy.metadata.name)},"verdicts":[`);
    let first = true;
    summary = await previewImpact(policy, {
      ...options,
      onProgress: progress?.update,
      onVerdict: async (v) => {
        await write(`${first ? '\n' : ',\n'}${JSON.stringify(v)}`);
        first = false;
      },
    });
    progress?.done();
    await write(`\n],"summary":${JSON.stringify(summary, null, 2)}}\n`);
  } else {
    summary = await previewImpact(policy, { ...options, onProgress: progress?.update });
    progress?.done();
    io.stdout.write(formatImpact(summary, policy.metadata.name));
  }
  const failing =
    flags.failOn === 'deny' ? summary.wouldDeny : flags.failOn === 'warn' ? summary.wouldDeny + summary.wouldWarn : 0;
  setExit(failing > 0 ? 1 : 0);
}

/**
 * `generate --against SOURCE…`: the verified policy's impact. Above `denyThreshold` (a fraction of the
 * objects checked) the result says so (impact.overThreshold, safeToApply false) instead of passing as safe.
 */
export async function generationImpact(
  policy: JsPolicy,
  sources: string[],
  denyThreshold: number,
  flags: AgainstFlags,
  io: CliIo,
): Promise<ImpactSummary> {
  const summary = await previewImpact(policy, await impactOptions(policy, sources, flags, io));
  const over = summary.checked > 0 && summary.wouldDeny / summary.checked > denyThreshold;
  return over ? { ...summary, overThreshold: true } : summary;
}

/** The warning line generate prints under the restatement. */
export function impactWarning(summary: ImpactSummary, denyThreshold: number): string {
  const share = summary.checked ? ((100 * summary.wouldDeny) / summary.checked).toFixed(1) : '0';
  const top = summary.reasons.find((r) => r.verdict === 'deny');
  const example = top
    ? `\n  most often (${top.count}×): ${top.reason}${top.examples[0] ? `, e.g. ${top.examples[0]}` : ''}`
    : '';
  return summary.overThreshold
    ? `warning: this policy ${impactHeadline(summary)} (${share} % denied, above the ${(denyThreshold * 100).toFixed(1)} % threshold): not safe to enforce as is; check the reasons (--json: impact) before applying${example}`
    : `impact: ${impactHeadline(summary)}${example}`;
}

export function parseDenyThreshold(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DENY_THRESHOLD;
  const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', [
      '--deny-threshold',
      `must be a fraction 0..1 or a percentage (5%), not ${text}`,
    ]);
  return value;
}

async function impactOptions(
  policy: JsPolicy,
  sources: string[],
  flags: AgainstFlags,
  io: CliIo,
): Promise<ImpactOptions> {
  const files = sources.filter((s) => s !== 'cluster');
  const wantsCluster = files.length !== sources.length;
  return {
    sources: files,
    ...(files.includes('-') ? { stdin: io.stdin } : {}),
    ...(wantsCluster ? { entries: clusterEntries(await loadKubeConfig(flags), policy) } : {}),
    ...(flags.maxTimeoutMs ? { maxTimeoutMs: flags.maxTimeoutMs } : {}),
    ...(flags.isolation === 'inline' || flags.isolation === 'process' ? { isolation: flags.isolation } : {}),
  };
}

/** One self-overwriting progress line on stderr (a terminal only). */
function progressLine(io: CliIo): { update: (p: ImpactProgress) => void; done: () => void } {
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const rate = Math.round(p.checked / Math.max(0.001, (now - started) / 1000));
      const share = p.totalBytes ? ` · ${Math.min(100, Math.floor((100 * p.bytes) / p.totalBytes))} %` : '';
      io.stderr.write(
        `\r\u001b[2Kreplayed ${p.checked.toLocaleString('en-US')} objects${share} · ${rate.toLocaleString('en-US')}/s`,
      );
      shown = true;
    },
    done: () => {
      if (shown) io.stderr.write('\r\u001b[2K');
    },
  };
}
