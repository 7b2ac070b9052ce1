import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { JsPolicy, Suite } from '../common/index.js';
import { createSandbox, type SandboxRunner } from '../sandbox/index.js';
import type { ProcessPoolBackend } from '../sandbox/process-pool.js';
import type { BenchSection } from './benches.js';
import { loadBenchSuites } from './shared-suites.js';

/**
 * 'process' isolation beside inline isolation (issue 17): `runSuite` over the shared intent suites, one
 * suite at a time (as `policyforge test` and the loop call it) and every suite at once (concurrent callers:
 * the service, the operator), interleaved in rounds so both modes see the same machine load. CPU time is
 * this process's plus the sandbox child's (from /proc, Linux), since with process isolation the evaluations
 * happen there. Beside them, the floor a message sets: an echo round trip over Node's IPC channel.
 */

const ROUNDS = 4;
const CASES_PER_ROUND = 6_000;
const ROUND_TRIPS = 4_000;

interface Loaded {
  policy: JsPolicy;
  suite: Suite;
}

/** User + system CPU ms of these processes so far (/proc/<pid>/stat, clock ticks of 10 ms). */
function processesCpuMs(pids: number[]): number {
  let ms = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ms += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return ms;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Tally {
  cases: number;
  wallMs: number;
  cpuMs: number;
  childCpuMs: number;
}

const zero = (): Tally => ({ cases: 0, wallMs: 0, cpuMs: 0, childCpuMs: 0 });

/** The pool behind a 'process' sandbox, for its children's pids (the runner keeps it private). */
function poolOf(runner: SandboxRunner): ProcessPoolBackend | undefined {
  const backend = (runner as unknown as { backend?: ProcessPoolBackend }).backend;
  return typeof backend?.pids === 'function' ? backend : undefined;
}

async function measure(runner: SandboxRunner, loaded: Loaded[], together: boolean, into: Tally): Promise<void> {
  const pids = poolOf(runner)?.pids() ?? [];
  const cpu0 = selfCpuMs();
  const child0 = processesCpuMs(pids);
  const t0 = performance.now();
  let cases = 0;
  while (cases < CASES_PER_ROUND) {
    const results = [];
    if (together) results.push(...(await Promise.all(loaded.map((l) => runner.runSuite(l.policy, l.suite)))));
    else for (const l of loaded) results.push(await runner.runSuite(l.policy, l.suite));
    for (const r of results) {
      if (!r.passed) throw new Error('a shared suite failed in the benchmark');
      cases += r.total;
    }
  }
  into.wallMs += performance.now() - t0;
  into.cpuMs += selfCpuMs() - cpu0;
  into.childCpuMs += processesCpuMs(pids) - child0;
  into.cases += cases;
}

/** A child that answers every message with the message itself, over Node's IPC channel. */
function echoChild(serialization: 'json' | 'advanced'): ChildProcess {
  return spawn(
    process.execPath,
    ['-e', "process.on('message', (m) => process.send(m)); process.on('disconnect', () => process.exit(0));"],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization,
    },
  );
}

/** Round trips of `message` to an echo child: µs of wall time and of CPU (parent + child) per round trip. */
async function roundTrips(
  serialization: 'json' | 'advanced',
  message: unknown,
): Promise<{ wallUs: number; cpuUs: number }> {
  const child = echoChild(serialization);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the echo child did not start');
  const once = () =>
    new Promise<void>((resolve) => {
      child.once('message', () => resolve());
      child.send(message as object);
    });
  for (let i = 0; i < 500; i++) await once();
  const cpu0 = selfCpuMs();
  const child0 = processesCpuMs([pid]);
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await once();
  const wallUs = ((performance.now() - t0) * 1000) / ROUND_TRIPS;
  const cpuUs = ((selfCpuMs() - cpu0 + processesCpuMs([pid]) - child0) * 1000) / ROUND_TRIPS;
  child.disconnect();
  return { wallUs, cpuUs };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export async function run(): Promise<BenchSection> {
  const { loaded, source } = await loadBenchSuites();
  const inline = createSandbox({ isolation: 'inline' });
  const child = createSandbox({ isolation: 'process', processes: 1 });
  // Warm-up: contexts compiled, the child started, compile verdicts known.
  for (const runner of [inline, child]) for (const l of loaded) await runner.runSuite(l.policy, l.suite);
  const tallies = { inlineOne: zero(), processOne: zero(), inlineAll: zero(), processAll: zero() };
  for (let round = 0; round < ROUNDS; round++) {
    await measure(inline, loaded, false, tallies.inlineOne);
    await measure(child, loaded, false, tallies.processOne);
    await measure(inline, loaded, true, tallies.inlineAll);
    await measure(child, loaded, true, tallies.processAll);
  }
  const pool = poolOf(child);
  const messages = pool?.messages ?? 0;
  await Promise.all([inline.close(), child.close()]);

  // The message of a typical suite: four cases of a Pod request, the policy named by id.
  const sample = loaded.find((l) => l.suite.cases.length >= 4) ?? loaded[0];
  const suiteMessage = {
    id: 1,
    items: [
      {
        op: 'run',
        script: { id: 1 },
        inputs: sample.suite.cases.slice(0, 4).map((c) => ({
          requestJson: JSON.stringify(c.object),
          timeoutMs: 2000,
          policyName: sample.policy.metadata.name,
        })),
      },
    ],
  };
  const echo = {
    jsonEmpty: await roundTrips('json', { id: 1 }),
    jsonSuite: await roundTrips('json', suiteMessage),
    advancedSuite: await roundTrips('advanced', suiteMessage),
  };

  const perCpu = (t: Tally) => t.cases / ((t.cpuMs + t.childCpuMs) / 1000);
  const perWall = (t: Tally) => t.cases / (t.wallMs / 1000);
  const row = (name: string, t: Tally, base?: Tally) =>
    `| ${name} | ${fmt(t.cases)} | ${fmt(t.wallMs)} | ${fmt(t.cpuMs)} + ${fmt(t.childCpuMs)} | ${fmt(perWall(t))} | ${fmt(perCpu(t))} | ${base ? `${fmt(perCpu(t) / perCpu(base), 2)}× / ${fmt(perWall(t) / perWall(base), 2)}×` : '–'} |`;
  const suites = loaded.length;
  const casesPerSuite = loaded.reduce((s, l) => s + l.suite.cases.length, 0) / suites;
  const oneRatio = perCpu(tallies.processOne) / perCpu(tallies.inlineOne);
  const allRatio = perCpu(tallies.processAll) / perCpu(tallies.inlineAll);
  const suiteUs = (t: Tally) => ((t.cpuMs + t.childCpuMs) * 1000 * casesPerSuite) / t.cases;
  return {
    title: "Sandbox 'process' isolation beside inline (runSuite, one child)",
    markdown: `Command: \`npm run bench -- sandbox-process\`. \`SandboxRunner.runSuite\` over the ${suites} suites of \`${source}\`
(${fmt(casesPerSuite, 1)} cases a suite on average), inline isolation and 'process' isolation with one child, in ${ROUNDS}
interleaved rounds of ${fmt(CASES_PER_ROUND)} cases per mode (totals below). "One at a time": each suite awaited
before the next, as \`policyforge test\` and the generation loop call it. "All at once": the ${suites} suites started
together (\`Promise.all\`), as concurrent callers (service, operator) do. CPU is this process's plus the child's
(/proc/<pid>/stat, 10 ms ticks). Goal (issue 17): 'process' ≥ 0.8× inline evaluations per CPU second.

| isolation | cases | wall ms | CPU ms (this process + child) | cases per wall s | cases per CPU s | vs inline: per CPU s / per wall s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${row('inline, one suite at a time', tallies.inlineOne)}
${row("'process', one suite at a time", tallies.processOne, tallies.inlineOne)}
${row('inline, all suites at once', tallies.inlineAll)}
${row("'process', all suites at once", tallies.processAll, tallies.inlineAll)}

Messages to the child over the measured and warm-up runs: ${fmt(messages)} (a suite of an already-checked policy is one
message; suites queued while the child is busy share one).

The floor a message sets: an echo child over Node's IPC channel, ${fmt(ROUND_TRIPS)} round trips each, CPU of both
processes per round trip:

| message | serialization | wall µs per round trip | CPU µs per round trip |
| --- | --- | ---: | ---: |
| \`{ id }\` | json | ${fmt(echo.jsonEmpty.wallUs, 1)} | ${fmt(echo.jsonEmpty.cpuUs, 1)} |
| a 4-case suite (${fmt(JSON.stringify(suiteMessage).length)} bytes of JSON) | json (now) | ${fmt(echo.jsonSuite.wallUs, 1)} | ${fmt(echo.jsonSuite.cpuUs, 1)} |
| the same suite | advanced (before) | ${fmt(echo.advancedSuite.wallUs, 1)} | ${fmt(echo.advancedSuite.cpuUs, 1)} |

Reading: one suite at a time, 'process' reaches **${fmt(oneRatio, 2)}×** inline per CPU second; all at once, **${fmt(allRatio, 2)}×**.
Inline, a suite costs ~${fmt(suiteUs(tallies.inlineOne))} µs of CPU here; one message round trip alone costs ~${fmt(echo.jsonEmpty.cpuUs)} µs of CPU
(two system calls and two process wake-ups, which no serialization removes), so a suite awaited alone can reach at
most ~${fmt(suiteUs(tallies.inlineOne) / (suiteUs(tallies.inlineOne) + echo.jsonEmpty.cpuUs), 2)}× inline; only suites in flight together amortise it.`,
  };
}
