import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { assetPath, PolicyforgeError } from '../common/index.js';
import type { BenchSection } from './benches.js';

/**
 * CLI start-up, cold (issue 17): each command as a user or a CI job runs it, `node bin/policyforge.js …` in a
 * fresh process under /usr/bin/time (wall clock; user + system CPU of the CLI and every process it waited for:
 * the re-executed node, the sandbox child). Beside it, in the same run, the floors: `node -e 0`, and node with
 * --no-node-snapshot loading isolated-vm and running one script in one isolate. The commands take turns
 * (round-robin), so a change of the machine's load during the run falls on every row alike.
 */

const RUNS = 11;
const SUITE = ['examples/no-prod-pods-in-test.yaml', '--policy', 'examples/no-prod-pods-in-test.policy.yaml'];
/** The node + isolated-vm floor: what any policy run needs at least. */
const ISOLATE_ONE_SCRIPT =
  "const ivm = require('isolated-vm'); const i = new ivm.Isolate({ memoryLimit: 64 }); " +
  "const c = i.createContextSync(); i.compileScriptSync('1 + 1').runSync(c); i.dispose();";

/** npm's npx script beside this node (npx is a node program; run through process.execPath like the rest). */
const NPX = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npx-cli.js');

interface Command {
  what: string;
  args: string[];
  goal: string;
  /** Exit codes that are a finished run. */
  ok?: number[];
}

const COMMANDS: Command[] = [
  { what: '`node -e 0` (floor)', args: ['-e', '0'], goal: '' },
  {
    what: 'node --no-node-snapshot + isolated-vm, one script in one isolate (floor)',
    args: ['--no-node-snapshot', '-e', ISOLATE_ONE_SCRIPT],
    goal: '',
  },
  { what: '`policyforge --version`', args: ['bin/policyforge.js', '--version'], goal: '< 0.15 s' },
  { what: '`policyforge lint <policy>` (no findings)', args: ['bin/policyforge.js', 'lint', SUITE[2]], goal: '' },
  {
    what: '`policyforge test <6-case suite> --policy …` (default: sandbox child process)',
    args: ['bin/policyforge.js', 'test', ...SUITE],
    goal: '≤ 0.25 s',
  },
  {
    what: 'same, `--isolation inline` (re-executes node with --no-node-snapshot)',
    args: ['bin/policyforge.js', 'test', ...SUITE, '--isolation', 'inline'],
    goal: '≤ 0.25 s',
  },
  // npx as users run it from the checkout: its own cost is the --version row less `policyforge --version`.
  { what: '`npx policyforge --version` (npx itself)', args: [NPX, 'policyforge', '--version'], goal: '' },
  {
    what: '`npx policyforge test <6-case suite> --policy …`',
    args: [NPX, 'policyforge', 'test', ...SUITE],
    goal: "npx's own + ≤ 0.25 s",
  },
];

function timed(args: string[], ok: number[]): Promise<{ wallS: number; cpuS: number }> {
  return new Promise((resolve, reject) => {
    const time = ['-f', 'PFTIME %e %U %S', process.execPath, ...args];
    execFile('/usr/bin/time', time, { cwd: assetPath(), encoding: 'utf8' }, (err, _stdout, stderr) => {
      const m = /PFTIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      const exit = (err as { code?: unknown } | null)?.code;
      const code = typeof exit === 'number' ? exit : 0;
      if (!m || !ok.includes(code)) {
        const why = `${args.join(' ')} exited with ${code}: ${stderr.slice(-400)}`;
        return reject(new PolicyforgeError('PF_ERR_INTERNAL', [why]));
      }
      resolve({ wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]) });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(): Promise<BenchSection> {
  const loadBefore = loadavg()[0];
  const samples = COMMANDS.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  // one warm-up round (disk cache, dist/ read once), not counted: "cold" is a new process, not a cold disk
  for (const c of COMMANDS) await timed(c.args, c.ok ?? [0]);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, c] of COMMANDS.entries()) {
      const t = await timed(c.args, c.ok ?? [0]);
      samples[i].wall.push(t.wallS);
      samples[i].cpu.push(t.cpuS);
    }
  }
  const loadAfter = loadavg()[0];
  const s = (x: number): string => `${x.toFixed(2)} s`;
  const rows = COMMANDS.map((c, i) => {
    const { wall, cpu } = samples[i];
    return `| ${c.what} | ${s(median(wall))} | ${s(Math.min(...wall))} | ${s(median(cpu))} | ${c.goal} |`;
  });
  return {
    title: 'CLI start-up, cold (issue 17)',
    markdown: [
      `${RUNS} runs of each command, taking turns, after one uncounted round; ` +
        `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after. ` +
        'CPU is user + system of the process and every process it waited for.',
      '',
      '| command | wall, median | wall, best | CPU, median | goal |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      'Command: `npm run bench -- cli-startup`.',
    ].join('\n'),
  };
}
