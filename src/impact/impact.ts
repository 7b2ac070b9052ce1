import type { CaseOutcome, ImpactSummary, JsPolicy, KubeObject, LabelSelector, Operation } from '../../common/index.js';
import { PolicyforgeError } from '../../common/index.js';
import { NAMESPACE_NAME_LABEL, PolicyReplayer, type ReplayRequest, type ReplayerOptions } from '../../sandbox/index.js';
import { readFileEntries, sourceFiles, totalBytes, type ReadSourceOptions, type SourceEntry } from './sources.js';

/**
 * The impact preview: what a JsPolicy would do to objects that exist and to requests a cluster recorded,
 * before it enforces anything. Entries stream from the sources into one PolicyReplayer (the policy is
 * compiled once); only the counts, the reasons with a few examples, and the namespaces' labels are kept,
 * so memory does not grow with the source. Every verdict goes to `onVerdict` as it is decided.
 */

export type ImpactVerdictKind = 'deny' | 'warn' | 'mutate' | 'allow' | 'not-selected';

/** One object's or recorded request's verdict (the `--json` rows). */
export interface ImpactVerdict {
  /** Where it was read: file:line, `cluster`. */
  at: string;
  /** `Pod test/api`, or for audit events `create Pod test/api by alice`. */
  ref: string;
  /** The worst of its requests: deny > warn > mutate > allow > not-selected. */
  verdict: ImpactVerdictKind;
  requests: Array<{
    operation: Operation;
    verdict: ImpactVerdictKind;
    code?: number;
    message?: string;
    warnings?: string[];
    patch?: string[];
    notSelected?: string;
  }>;
}

export interface ImpactProgress {
  checked: number;
  bytes: number;
  /** Undefined when a source's size is not known (stdin, a cluster). */
  totalBytes?: number;
}

export interface ImpactOptions extends ReplayerOptions {
  /** File, folder or `-` sources; `cluster` is read by the caller and passed as `entries`. */
  sources?: string[];
  /** More entries (a live cluster), replayed after the sources. */
  entries?: { name: string; read: () => AsyncIterable<SourceEntry> };
  stdin?: ReadSourceOptions['stdin'];
  onVerdict?: (verdict: ImpactVerdict) => void | Promise<void>;
  onProgress?: (progress: ImpactProgress) => void;
  /** Examples kept per reason. @defaultValue 3 */
  examplesPerReason?: number;
  /** Distinct reasons kept; further ones are counted under "(other reasons)". @defaultValue 200 */
  maxReasons?: number;
  /** Entries replayed per backend call (memory holds one batch). @defaultValue 128 */
  batchSize?: number;
  /**
   * Stop after this many requests ran out of time: a policy that times out on ordinary objects would
   * otherwise hold a large replay for hours, and the answer (it times out) is already clear. @defaultValue 20
   */
  maxTimeouts?: number;
}

const RANK: Record<ImpactVerdictKind, number> = { 'not-selected': 0, allow: 1, mutate: 2, warn: 3, deny: 4 };

export async function previewImpact(policy: JsPolicy, options: ImpactOptions): Promise<ImpactSummary> {
  const started = performance.now();
  const sources = options.sources ?? [];
  const files: string[] = [];
  for (const s of sources) files.push(...(await sourceFiles(s)));
  if (files.filter((f) => f === '-').length > 1)
    throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['--against', 'stdin (-) can be read only once']);
  const replayer = await PolicyReplayer.open(policy, options);
  if (!replayer.compiled.ok) {
    await replayer.close();
    throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [policy.metadata.name, replayer.compiled.error]);
  }
  const tally = new Tally(policy.metadata.name, options.examplesPerReason ?? 3, options.maxReasons ?? 200);
  const namespaces = new NamespaceLabels(policy.spec.namespaceSelector);
  const controller = policy.spec.type === 'Controller';
  const progress: ImpactProgress = { checked: 0, bytes: 0, totalBytes: await totalBytes(files) };
  const batchSize = options.batchSize ?? 128;
  const maxTimeouts = options.maxTimeouts ?? 20;
  let timeouts = 0;
  const notes: string[] = [];
  try {
    // Namespace labels must be known before the objects in them: read them from the files first when the
    // selector looks at labels other than the name (stdin and clusters supply them as they come).
    if (namespaces.needed) {
      for (const f of files.filter((x) => x !== '-')) {
        for await (const e of readFileEntries(f))
          if (e.type === 'object' && e.object.kind === 'Namespace') namespaces.add(e.object);
      }
    }
    // Entries wait in a bounded batch (their requests already carry the namespace labels known when they
    // were read), so one backend call serves many requests; verdicts still come out in source order.
    const batch: Pending[] = [];
    const flush = async (): Promise<void> => {
      if (!batch.length) return;
      const outcomes = await replayer.replayBatch(batch.flatMap((p) => p.requests));
      timeouts += outcomes.filter((o) => o.errorKind === 'timeout').length;
      let i = 0;
      for (const p of batch) {
        const rows = p.requests.map((r) => ({ operation: r.operation, ...rowOf(outcomes[i++]) }));
        const verdict: ImpactVerdict = {
          at: p.at,
          ref: p.ref,
          verdict: rows.reduce<ImpactVerdictKind>(
            (w, r) => (RANK[r.verdict] > RANK[w] ? r.verdict : w),
            'not-selected',
          ),
          requests: rows,
        };
        tally.add(verdict, p.object);
        progress.checked++;
        if (options.onVerdict) await options.onVerdict(verdict);
      }
      batch.length = 0;
      options.onProgress?.(progress);
    };
    const replayAll = async (entries: AsyncIterable<SourceEntry>): Promise<void> => {
      for await (const entry of entries) {
        if (entry.type === 'skipped') tally.skip(entry.why);
        else if (entry.type === 'namespace') namespaces.add(entry.object);
        else {
          batch.push(
            entry.type === 'object'
              ? objectRequests(entry.object, entry.at, controller, namespaces)
              : recordedRequest(entry.request, entry.ref, entry.at, namespaces),
          );
          if (batch.length >= batchSize) await flush();
          if (timeouts >= maxTimeouts) break;
        }
      }
      await flush();
    };
    for (const f of files)
      if (timeouts < maxTimeouts)
        await replayAll(readFileEntries(f, { stdin: options.stdin, onBytes: (n) => void (progress.bytes += n) }));
    if (options.entries && timeouts < maxTimeouts) await replayAll(options.entries.read());
    if (timeouts >= maxTimeouts)
      notes.push(
        `stopped after ${timeouts} requests ran out of time (limit ${replayer.limitMs} ms each): the rest of the sources was not replayed`,
      );
  } finally {
    await replayer.close();
  }
  const names = [...sources, ...(options.entries ? [options.entries.name] : [])];
  return tally.summary(names, [...notes, ...namespaces.notes()], performance.now() - started);
}

/** An entry read, its requests built, waiting for its batch to run. */
interface Pending {
  at: string;
  ref: string;
  object: KubeObject | undefined;
  requests: ReplayRequest[];
}

function describe(obj: KubeObject | undefined): string {
  const ns = obj?.metadata?.namespace;
  return `${obj?.kind ?? '?'} ${ns ? `${ns}/` : ''}${obj?.metadata?.name ?? obj?.metadata?.generateName ?? '(no name)'}`;
}

function objectRequests(object: KubeObject, at: string, controller: boolean, namespaces: NamespaceLabels): Pending {
  if (object.kind === 'Namespace' && object.apiVersion === 'v1') namespaces.add(object);
  const namespaceLabels = namespaces.labelsFor(object.metadata?.namespace ?? '');
  // A controller is level-triggered: it sees an existing object once, as CREATE. A webhook sees it
  // created, and updated without a change (oldObject = object), as any later edit would start.
  const requests: ReplayRequest[] = controller
    ? [{ operation: 'CREATE', object, namespaceLabels }]
    : [
        { operation: 'CREATE', object, namespaceLabels },
        { operation: 'UPDATE', object, oldObject: object, namespaceLabels },
      ];
  return { at, ref: describe(object), object, requests };
}

function recordedRequest(request: ReplayRequest, ref: string, at: string, namespaces: NamespaceLabels): Pending {
  const obj = request.object ?? request.oldObject;
  if (obj?.kind === 'Namespace' && request.operation !== 'DELETE') namespaces.add(obj);
  return {
    at,
    ref,
    object: obj,
    requests: [
      { ...request, namespaceLabels: namespaces.labelsFor(request.namespace ?? obj?.metadata?.namespace ?? '') },
    ],
  };
}

function rowOf(o: CaseOutcome): Omit<ImpactVerdict['requests'][number], 'operation'> {
  if (!o.matched) return { verdict: 'not-selected', notSelected: (o.message ?? '').replace(/^not selected: /, '') };
  const verdict: ImpactVerdictKind = o.actual;
  return {
    verdict,
    ...(o.code !== undefined ? { code: o.code } : {}),
    ...(o.message !== undefined ? { message: o.message } : {}),
    ...(o.warnings.length ? { warnings: o.warnings } : {}),
    ...(o.patch?.length ? { patch: o.patch.map((p) => `${p.op} ${p.path}`) } : {}),
  };
}

/** Counts and reasons, bounded: a few examples per reason, at most maxReasons reasons. */
class Tally {
  private checked = 0;
  private selected = 0;
  private readonly counts = { deny: 0, warn: 0, mutate: 0 };
  private readonly skipped: Record<string, number> = {};
  private readonly reasons = new Map<
    string,
    { verdict: 'deny' | 'warn' | 'mutate'; reason: string; count: number; examples: string[] }
  >();

  /** jsPolicy prefixes warnings with `[<policy name>]: `: the same on every one, so left out of reasons. */
  private readonly warningPrefix: string;

  constructor(
    policyName: string,
    private readonly examplesPerReason: number,
    private readonly maxReasons: number,
  ) {
    this.warningPrefix = `[${policyName}]: `;
  }

  skip(why: string): void {
    this.skipped[why] = (this.skipped[why] ?? 0) + 1;
  }

  add(v: ImpactVerdict, obj: KubeObject | undefined): void {
    this.checked++;
    if (v.verdict === 'not-selected') return;
    this.selected++;
    if (v.verdict === 'allow') return;
    this.counts[v.verdict]++;
    // The verdict is the worst of its requests', so one request carries it.
    const row = v.requests.find((r) => r.verdict === v.verdict) ?? v.requests[0];
    const text =
      v.verdict === 'deny'
        ? `${row.code ?? ''}${row.message ? ` ${row.message}` : ''}`.trim()
        : v.verdict === 'warn'
          ? (row.warnings ?? []).map((w) => w.replace(this.warningPrefix, '')).join('; ')
          : `patches ${(row.patch ?? []).join(', ')}`;
    const reason = genericReason(text, obj);
    const key = `${v.verdict}\u0000${reason}`;
    let r = this.reasons.get(key);
    if (!r) {
      if (this.reasons.size >= this.maxReasons) {
        const otherKey = `${v.verdict}\u0000(other reasons)`;
        r = this.reasons.get(otherKey);
        if (!r)
          this.reasons.set(otherKey, (r = { verdict: v.verdict, reason: '(other reasons)', count: 0, examples: [] }));
      } else {
        this.reasons.set(key, (r = { verdict: v.verdict, reason, count: 0, examples: [] }));
      }
    }
    r.count++;
    if (r.examples.length < this.examplesPerReason) r.examples.push(`${v.ref} (${v.at})`);
  }

  summary(sources: string[], notes: string[], durationMs: number): ImpactSummary {
    const order = { deny: 0, warn: 1, mutate: 2 };
    const reasons = [...this.reasons.values()].sort((a, b) => order[a.verdict] - order[b.verdict] || b.count - a.count);
    return {
      sources,
      checked: this.checked,
      selected: this.selected,
      wouldDeny: this.counts.deny,
      wouldWarn: this.counts.warn,
      wouldMutate: this.counts.mutate,
      skipped: this.skipped,
      reasons,
      notes,
      durationMs: Math.round(durationMs),
    };
  }
}

/** A reason without the object's own name and namespace, so one rule broken by many objects is one group. */
function genericReason(text: string, obj: KubeObject | undefined): string {
  let out = text;
  const name = obj?.metadata?.name;
  const ns = obj?.metadata?.namespace;
  // Whole words only: a namespace called "test" must not turn "impact.test.example.com" into a placeholder.
  const word = (w: string): RegExp =>
    new RegExp(`(?<![\\w.-])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g');
  if (name && name.length >= 3) out = out.replace(word(name), '<name>');
  if (ns && ns.length >= 3) out = out.replace(word(ns), '<namespace>');
  return out.length > 300 ? `${out.slice(0, 299)}…` : out;
}

/**
 * The labels of the namespaces a source shows (Namespace objects), for namespaceSelector. A namespace
 * not shown is matched on the name label only (which the API server sets on every namespace), and said.
 */
class NamespaceLabels {
  private readonly labels = new Map<string, Record<string, string>>();
  private readonly unknown = new Set<string>();
  /** The selector reads labels other than the name label: the source's Namespace objects matter. */
  readonly needed: boolean;

  constructor(private readonly selector: LabelSelector | undefined) {
    const keys = [...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)];
    this.needed = keys.some((k) => k !== NAMESPACE_NAME_LABEL);
  }

  add(ns: KubeObject): void {
    const name = ns.metadata?.name;
    if (name) this.labels.set(name, { ...(ns.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name });
  }

  labelsFor(namespace: string): Record<string, string> {
    if (!namespace) return {};
    const known = this.labels.get(namespace);
    if (known) return known;
    if (this.needed && this.unknown.size < 1000) this.unknown.add(namespace);
    return {};
  }

  notes(): string[] {
    if (!this.unknown.size) return [];
    const names = [...this.unknown].sort();
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, … (${names.length} in all)` : '');
    return [
      `namespaceSelector reads namespace labels, but the source showed no Namespace object for ${shown} before its objects: matched on ${NAMESPACE_NAME_LABEL} only (add \`kubectl get namespaces -o yaml\` to the sources)`,
    ];
  }
}
