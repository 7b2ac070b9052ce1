import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import jsYaml from 'js-yaml';
import { PolicyforgeError, type KubeObject } from '../../common/index.js';
import type { ReplayRequest } from '../../sandbox/index.js';
import { auditEntry, isAuditEvent } from './audit.js';

/**
 * Sources of objects for the impact preview, read as streams: a file or a folder of manifests
 * (multi-document YAML, JSON, `kubectl get -o yaml` Lists), `-` for stdin, or an audit log
 * (audit.k8s.io/v1 Events, one JSON object a line). Nothing is read whole except one YAML/JSON
 * document at a time: a List is one document, an audit log is many lines.
 *
 * Format detection, per file: when the first non-blank line is a JSON object on its own, the file is
 * JSON lines; otherwise YAML documents separated by `---` (a pretty-printed JSON file is one document).
 */

export type SourceEntry =
  /** An object that exists (a manifest, an item of a List, a cluster object): replayed as CREATE and no-op UPDATE. */
  | { type: 'object'; object: KubeObject; at: string }
  /** A recorded request (an audit event): replayed once, as recorded. */
  | { type: 'request'; request: ReplayRequest; ref: string; at: string }
  | { type: 'skipped'; why: string; at: string }
  /** A Namespace read only for its labels (namespaceSelector), not replayed. */
  | { type: 'namespace'; object: KubeObject; at: string };

export interface ReadSourceOptions {
  /** What `-` reads. @defaultValue process.stdin */
  stdin?: Readable;
  /** Called with the number of bytes read so far, for progress. */
  onBytes?: (bytes: number) => void;
  /** What `-` is called where entries and errors say where they were read (an API upload: `against`). @defaultValue 'stdin' */
  name?: string;
}

const MANIFEST_FILE = /\.(ya?ml|json|jsonl|ndjson|log)$/i;

/** The files a source names: the file itself, or every manifest file under the folder (sorted, recursive). */
export async function sourceFiles(source: string): Promise<string[]> {
  if (source === '-') return ['-'];
  let info;
  try {
    info = await stat(source);
  } catch (err) {
    throw new PolicyforgeError('PF_ERR_INPUT_FILE', [
      source,
      (err as NodeJS.ErrnoException).code ?? (err as Error).message,
    ]);
  }
  if (!info.isDirectory()) return [source];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (MANIFEST_FILE.test(e.name)) found.push(path);
    }
  };
  await walk(source);
  return found;
}

/** Total size of the files (undefined for stdin): the progress indicator's 100 %. */
export async function totalBytes(files: string[]): Promise<number | undefined> {
  if (files.includes('-')) return undefined;
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  return total;
}

/** Every entry of one file (or stdin), in order. */
export async function* readFileEntries(file: string, options: ReadSourceOptions = {}): AsyncGenerator<SourceEntry> {
  const input: Readable = file === '-' ? (options.stdin ?? process.stdin) : createReadStream(file);
  const name = file === '-' ? (options.name ?? 'stdin') : file;
  if (options.onBytes) {
    const onBytes = options.onBytes;
    input.on('data', (chunk: Buffer | string) =>
      onBytes(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length),
    );
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  // A read error ends the lines (close) and is thrown after them, naming the file.
  let readError: NodeJS.ErrnoException | undefined;
  input.once('error', (err: NodeJS.ErrnoException) => {
    readError = err;
    lines.close();
  });
  let mode: 'undecided' | 'jsonl' | 'yaml' = 'undecided';
  let doc: string[] = [];
  let docStart = 1;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (mode === 'undecided') {
        const t = line.trim();
        if (t === '' || t.startsWith('#')) {
          doc.push(line);
          continue;
        }
        mode = t.startsWith('{') && parsesAsJson(t) ? 'jsonl' : 'yaml';
      }
      if (mode === 'jsonl') {
        if (!line.trim()) continue;
        const at = `${name}:${lineNo}`;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          yield { type: 'skipped', why: 'a line that is not JSON', at };
          continue;
        }
        yield* entriesOf(value, at);
        continue;
      }
      if (/^(---|\.\.\.)(\s|$)/.test(line)) {
        yield* documentEntries(doc, name, docStart);
        doc = [];
        docStart = lineNo + 1;
        continue;
      }
      doc.push(line);
    }
    if (readError) throw new PolicyforgeError('PF_ERR_INPUT_FILE', [name, readError.code ?? readError.message]);
    if (mode !== 'jsonl') yield* documentEntries(doc, name, docStart);
  } finally {
    lines.close();
    if (file !== '-') input.destroy();
  }
}

/**
 * One YAML document. js-yaml rather than the `yaml` package the rest of the code uses: manifests are the
 * hot path here (a 100,000-object source), and js-yaml parses a Pod in about an eighth of the CPU time
 * (bench/impact.ts). CORE_SCHEMA: no timestamps-as-Dates, so an unquoted date stays the string the
 * API server would have stored.
 */
function parseManifest(text: string): unknown {
  return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function* documentEntries(lines: string[], name: string, startLine: number): Generator<SourceEntry> {
  const text = lines.join('\n');
  if (!text.trim()) return;
  const at = `${name}:${startLine}`;
  let value: unknown;
  const t = text.trimStart();
  try {
    value = t.startsWith('{') || t.startsWith('[') ? JSON.parse(text) : parseManifest(text);
  } catch {
    try {
      value = parseManifest(text);
    } catch (err) {
      throw new PolicyforgeError('PF_ERR_INPUT_YAML', [at, ((err as Error).message ?? String(err)).split('\n')[0]]);
    }
  }
  yield* entriesOf(value, at);
}

/** One parsed document: an object, a List (its items), an audit Event or EventList, or something to skip. */
function* entriesOf(value: unknown, at: string): Generator<SourceEntry> {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) yield* entriesOf(v, at);
    return;
  }
  if (typeof value !== 'object') {
    yield { type: 'skipped', why: 'a document that is not a Kubernetes object', at };
    return;
  }
  const doc = value as Record<string, unknown>;
  if (isAuditEvent(doc)) {
    const e = auditEntry(doc as Parameters<typeof auditEntry>[0]);
    yield { ...e, at };
    return;
  }
  if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
    // `kubectl get -o yaml` Lists carry kind and apiVersion on each item; API server lists do not.
    const itemKind = doc.kind === 'List' ? undefined : doc.kind.slice(0, -'List'.length);
    const items = doc.items as unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const itemAt = `${at} item ${i + 1}`;
      if (item && typeof item === 'object' && itemKind && !(item as KubeObject).kind) {
        yield* entriesOf({ apiVersion: doc.apiVersion, kind: itemKind, ...item }, itemAt);
      } else {
        yield* entriesOf(item, itemAt);
      }
    }
    return;
  }
  if (typeof doc.kind !== 'string' || typeof doc.apiVersion !== 'string') {
    yield { type: 'skipped', why: 'a document without apiVersion and kind', at };
    return;
  }
  yield { type: 'object', object: doc as KubeObject, at };
}
