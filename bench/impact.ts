import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { stringify } from 'yaml';
import { assetPath } from '../common/index.js';
import { rng } from '../test/support/seeded-random.js';
import type { BenchSection } from './benches.js';

/**
 * Impact preview over 100,000 objects (issue 14): `policyforge test --policy P --against SOURCE` run as
 * the user runs it (the compiled bin in a child process, under /usr/bin/time for peak RSS and CPU time),
 * on generated sources: a multi-document YAML file of pods, and an audit log of pod requests (JSON lines).
 * Each source also runs against a policy that selects nothing, which leaves the cost of reading and
 * matching alone.
 */

const OBJECTS = 100_000;
/** The memory check: the replay must finish with V8's old space (CLI and sandbox child) capped this low; the test command's modules alone take ≈36 MB. */
const HEAP_CAP_MB = 96;

const POLICY = {
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: { name: 'bench-impact.policyforge.dev' },
  spec: {
    type: 'Validating',
    operations: ['CREATE', 'UPDATE'],
    resources: ['pods'],
    apiGroups: [''],
    namespaceSelector: {
      matchExpressions: [
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease'],
        },
      ],
    },
    failurePolicy: 'Ignore',
    timeoutSeconds: 3,
    javascript: [
      'const containers = [...(request.object?.spec?.containers || []), ...(request.object?.spec?.initContainers || [])];',
      'for (const c of containers) {',
      '  if (c.securityContext?.privileged === true) deny(`container ${c.name} is privileged`);',
      '  if (!c.image?.includes(":") || c.image.endsWith(":latest")) warn(`container ${c.name} uses a floating tag`);',
      '}',
    ].join('\n'),
  },
};

const SELECTS_NOTHING = {
  ...POLICY,
  metadata: { name: 'bench-impact-nothing.policyforge.dev' },
  spec: { ...POLICY.spec, resources: ['cronjobs'], apiGroups: ['batch'] },
};

function pod(i: number, random: () => number): Record<string, unknown> {
  const ns = `team-${i % 40}`;
  const app = `app-${i % 500}`;
  const privileged = random() < 0.01;
  const floating = random() < 0.05;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-${i.toString(36)}`,
      namespace: ns,
      labels: { app, 'pod-template-hash': (i * 2654435761).toString(16).slice(0, 10), env: i % 3 ? 'staging' : 'prod' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-30T10:00:00Z' },
      uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: '2026-11-30T10:00:00Z',
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: floating ? `ghcr.io/acme/${app}:latest` : `ghcr.io/acme/${app}:1.${i % 17}.${i % 5}`,
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          ...(privileged ? { securityContext: { privileged: true } } : {}),
        },
      ],
      serviceAccountName: 'default',
      nodeName: `node-${i % 25}`,
    },
    status: { phase: 'Running', podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  };
}

const VERBS = ['create', 'update', 'patch', 'delete'] as const;

function auditEvent(i: number, random: () => number): Record<string, unknown> {
  const object = pod(i, random);
  const verb = VERBS[i % VERBS.length];
  const metadataOnly = random() < 0.1;
  const meta = object.metadata as { name: string; namespace: string };
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: metadataOnly ? 'Metadata' : 'RequestResponse',
    auditID: `a-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${meta.namespace}/pods/${meta.name}`,
    verb,
    user: { username: `user-${i % 30}`, groups: ['system:authenticated'] },
    objectRef: { resource: 'pods', namespace: meta.namespace, name: meta.name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    ...(metadataOnly
      ? {}
      : verb === 'patch' || verb === 'delete'
        ? { responseObject: object }
        : { requestObject: object, responseObject: object }),
    requestReceivedTimestamp: '2026-11-30T10:00:00.000000Z',
    stageTimestamp: '2026-11-30T10:00:00.010000Z',
  };
}

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) if (!out.write(line(i))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

interface Row {
  source: string;
  policy: string;
  json: boolean;
  inline: boolean;
  objects: number;
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  summary: string;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ wallS: number; cpuS: number; maxRssMb: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/time',
      ['-f', 'PFTIME %e %U %S %M', process.execPath, '--no-node-snapshot', 'bin/policyforge.js', ...args],
      { cwd: assetPath(), maxBuffer: 2 ** 31 - 1, encoding: 'utf8', env },
      (err, stdout, stderr) => {
        const m = /PFTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
        if (!m) return reject(new Error(`no timing from /usr/bin/time (${err?.message ?? ''}): ${stderr.slice(-500)}`));
        // exit 0 or 1 (--fail-on) is a finished run; anything else (a crash, out of memory) is not a measurement
        const code = typeof (err as { code?: unknown } | null)?.code === 'number' ? (err as { code: number }).code : 0;
        if (code > 1)
          return reject(
            new Error(
              `policyforge exited with ${code}: ${stderr
                .split('\n')
                .filter((l) => !/^\s*\d+: 0x/.test(l))
                .slice(-6)
                .join(' | ')}`,
            ),
          );
        resolve({ wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), maxRssMb: Number(m[4]) / 1024, stdout });
      },
    );
  });
}

export async function run(): Promise<BenchSection> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-bench-impact-'));
  try {
    const policyPath = join(dir, 'policy.yaml');
    const nothingPath = join(dir, 'nothing.policy.yaml');
    await writeFile(policyPath, stringify(POLICY));
    await writeFile(nothingPath, stringify(SELECTS_NOTHING));
    const yamlPath = join(dir, 'pods.yaml');
    const smallPath = join(dir, 'pods-10k.yaml');
    const auditPath = join(dir, 'audit.log');
    let random = rng(14);
    await writeLines(yamlPath, OBJECTS, (i) => `${i ? '---\n' : ''}${stringify(pod(i, random))}`);
    random = rng(14);
    await writeLines(smallPath, OBJECTS / 10, (i) => `${i ? '---\n' : ''}${stringify(pod(i, random))}`);
    random = rng(14);
    await writeLines(auditPath, OBJECTS, (i) => `${JSON.stringify(auditEvent(i, random))}\n`);
    const sizes = { yaml: (await stat(yamlPath)).size, audit: (await stat(auditPath)).size };

    const rows: Row[] = [];
    const cases: Array<{
      source: string;
      path: string;
      policy: string;
      policyPath: string;
      json: boolean;
      inline?: boolean;
      objects?: number;
      heapCap?: boolean;
    }> = [
      {
        source: 'YAML manifests (10,000 Pod documents: memory check)',
        path: smallPath,
        policy: 'pod policy',
        policyPath,
        json: false,
        objects: OBJECTS / 10,
      },
      {
        source: 'YAML manifests (100,000 Pod documents)',
        path: yamlPath,
        policy: 'pod policy (every pod selected)',
        policyPath,
        json: false,
      },
      {
        source: 'YAML manifests (100,000 Pod documents)',
        path: yamlPath,
        policy: 'pod policy',
        policyPath,
        json: false,
        inline: true,
      },
      {
        source: `YAML manifests (100,000 Pod documents), V8 old space capped at ${HEAP_CAP_MB} MB`,
        path: yamlPath,
        policy: 'pod policy',
        policyPath,
        json: false,
        heapCap: true,
      },
      {
        source: 'YAML manifests (100,000 Pod documents)',
        path: yamlPath,
        policy: 'pod policy',
        policyPath,
        json: true,
      },
      {
        source: 'YAML manifests (100,000 Pod documents)',
        path: yamlPath,
        policy: 'selects nothing (reading + matching only)',
        policyPath: nothingPath,
        json: false,
      },
      {
        source: 'audit log (100,000 events, JSON lines)',
        path: auditPath,
        policy: 'pod policy',
        policyPath,
        json: false,
      },
      {
        source: 'audit log (100,000 events, JSON lines)',
        path: auditPath,
        policy: 'pod policy',
        policyPath,
        json: true,
      },
      {
        source: 'audit log (100,000 events, JSON lines)',
        path: auditPath,
        policy: 'selects nothing (reading + matching only)',
        policyPath: nothingPath,
        json: false,
      },
    ];
    for (const c of cases) {
      process.stderr.write(
        `  impact: ${c.source} × ${c.policy}${c.json ? ' --json' : ''}${c.inline ? ' --isolation inline' : ''}\n`,
      );
      const env = c.heapCap
        ? {
            ...process.env,
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_CAP_MB}`.trim(),
          }
        : process.env;
      const r = await runCli(
        [
          'test',
          '--policy',
          c.policyPath,
          '--against',
          c.path,
          ...(c.json ? ['--json'] : []),
          ...(c.inline ? ['--isolation', 'inline'] : []),
        ],
        env,
      );
      const summary = c.json ? summaryOfJson(r.stdout) : (r.stdout.split('\n')[1] ?? '');
      rows.push({
        source: c.source,
        policy: c.policy,
        json: c.json,
        inline: c.inline ?? false,
        objects: c.objects ?? OBJECTS,
        wallS: r.wallS,
        cpuS: r.cpuS,
        maxRssMb: r.maxRssMb,
        summary,
      });
    }
    const fmt = (n: number, d = 0): string =>
      n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const table = [
      '| source | policy | output | isolation | wall s | CPU s | objects / wall s | objects / CPU s | peak RSS MB | result |',
      '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map(
        (r) =>
          `| ${r.source} | ${r.policy} | ${r.json ? '`--json` (every verdict)' : 'summary'} | ${r.inline ? 'inline' : 'child process'} | ${fmt(r.wallS, 1)} | ${fmt(r.cpuS, 1)} | ${fmt(r.objects / r.wallS)} | ${fmt(r.objects / r.cpuS)} | ${fmt(r.maxRssMb)} | ${r.summary} |`,
      ),
    ];
    const markdown = [
      `Generated sources (seeded): ${fmt(OBJECTS)} Pods as one multi-document YAML file (${fmt(sizes.yaml / 2 ** 20, 1)} MiB), and`,
      `${fmt(OBJECTS)} audit.k8s.io/v1 events for pods as JSON lines (${fmt(sizes.audit / 2 ** 20, 1)} MiB; create/update/patch/delete in turn,`,
      '10 % at level Metadata, i.e. without an object, counted and skipped). Each row is one run of the compiled CLI,',
      '`policyforge test --policy P --against FILE [--json] [--isolation inline]`, under `/usr/bin/time` (wall clock, user +',
      'system CPU of the CLI and its sandbox child together, peak RSS of the larger of the two; Node start-up included). By',
      'default the policy runs in one sandbox child process fed batches of 128 objects. A manifest object replays as CREATE and as a no-op UPDATE (two',
      'policy runs); an audit event as its one request. The pod policy: deny privileged containers, warn on floating tags.',
      '',
      ...table,
      '',
      '- The policy is compiled once into one isolated-vm context (`sandbox/replay.ts` `PolicyReplayer`); each request',
      '  costs building the AdmissionRequest, matching, and one run in that context.',
      '- Memory stays bounded: files are read line by line (one YAML document or JSON line at a time), only counts, reasons',
      '  and three examples per reason are kept, and `--json` streams every verdict to stdout as it is decided:',
      `  peak RSS ${fmt(rows[0].maxRssMb)} MB for 10,000 Pods, ${fmt(rows[1].maxRssMb)} MB for 100,000 (V8 lets the heap grow when memory is plentiful);`,
      `  with the old space capped at ${HEAP_CAP_MB} MB (the test command's modules alone hold ≈36 MB) the 100,000 still finish (${fmt(rows[3].maxRssMb)} MB peak RSS).`,
      '- The "selects nothing" rows are the cost of reading and matching alone; the difference to the pod-policy row is',
      '  the policy runs. The machine is shared by parallel sessions (see the load average): CPU seconds are the steadier',
      '  measure.',
      '',
      'Command: `npm run bench -- impact`.',
    ].join('\n');
    return { title: 'Impact preview over 100,000 objects (`test --against`)', markdown };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summaryOfJson(stdout: string): string {
  const at = stdout.lastIndexOf('"summary":');
  if (at < 0) return '(no summary)';
  const s = JSON.parse(stdout.slice(at + '"summary":'.length, stdout.lastIndexOf('}'))) as {
    checked: number;
    wouldDeny: number;
    wouldWarn: number;
  };
  return `${s.wouldDeny} denied, ${s.wouldWarn} warned of ${s.checked} (${(stdout.length / 2 ** 20).toFixed(0)} MiB of JSON)`;
}
