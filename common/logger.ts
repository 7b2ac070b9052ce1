import { pino, type Logger } from 'pino';

/**
 * One logger for the whole service. Logs go to stderr so CLI output on stdout stays machine-readable.
 * Secrets are redacted by key wherever they appear, and `redactSecrets` scrubs free text (error messages
 * from providers sometimes echo a key back).
 */
const SECRET_PATHS = [
  'apiKey',
  'openAIApiKey',
  'token',
  'authorization',
  'Authorization',
  'password',
  'secret',
  '*.apiKey',
  '*.openAIApiKey',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'config.apiKey',
  'model.apiKey',
];

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'policyforge',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

let root: Logger | undefined;

/** The process-wide logger; modules take a child with their own bindings. */
export function logger(): Logger {
  root ??= createLogger();
  return root;
}

/** A logger that drops everything (tests, library callers that pass none). */
export const silentLogger: Logger = pino({ level: 'silent' });

const SECRET_TEXT = [
  // OpenAI-style keys, also when a provider's message breaks them into space-separated chunks (each chunk
  // after the first holds a digit, as random key material does, so ordinary words after a key stay).
  /\bsk-[A-Za-z0-9_-]{8,}(?:[ \t]+(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{4,})*/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(api[_-]?key|token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi,
];

/** Runs of base64 long enough to hide a key; decoded and checked against the patterns and known secrets. */
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;

/**
 * Removes anything that looks like a credential from free text, plus any explicitly known secret values:
 * as written, split by whitespace, base64-encoded (at any byte alignment), or cut off at the end of the text.
 * Redact before shortening text: a cut through a key leaves a prefix no pattern recognises.
 */
export function redactSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let out = text;
  const known = knownSecrets.filter((s): s is string => !!s && s.length >= 4);
  for (const s of known) {
    out = out.split(s).join('[redacted]');
    if (s.length >= 8) out = out.replace(spacedPattern(s), '[redacted]');
    for (const core of base64Cores(s))
      if (out.includes(core)) out = out.replace(BASE64_RUN, (run) => (run.includes(core) ? '[redacted]' : run));
    out = out.replace(truncatedPattern(s), '[redacted]');
  }
  out = out.replace(BASE64_RUN, (run) => (looksSecret(decodeBase64(run), known) ? '[redacted]' : run));
  out = out.replace(SECRET_TEXT[0], '[redacted]');
  out = out.replace(SECRET_TEXT[1], (_m, scheme: string) => `${scheme} [redacted]`);
  out = out.replace(SECRET_TEXT[2], (_m, k: string, sep: string) => `${k}${sep}[redacted]`);
  return out;
}

/** Redacts first, then shortens to `max` characters (the order matters: see {@link redactSecrets}). */
export function redactAndClip(text: string, max: number, knownSecrets: readonly (string | undefined)[] = []): string {
  const clean = redactSecrets(text, knownSecrets);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The secret with any whitespace between its characters. */
function spacedPattern(secret: string): RegExp {
  return new RegExp([...secret].map(escapeRegExp).join('\\s*'), 'g');
}

/** A prefix (8+ characters) of the secret that ends the text: someone else cut it there. */
function truncatedPattern(secret: string): RegExp {
  const prefixes = [];
  for (let n = secret.length - 1; n >= 8; n--) prefixes.push(escapeRegExp(secret.slice(0, n)));
  return prefixes.length ? new RegExp(`(?:${prefixes.join('|')})$`) : /$^/;
}

/**
 * The base64 characters that encode the secret whatever bytes precede it (three alignments), without the
 * edge characters shared with neighbouring bytes: a base64 run containing one of these contains the secret.
 */
function base64Cores(secret: string): string[] {
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)])
      .toString('base64')
      .replace(/=+$/, '');
    const start = shift ? 4 : 0;
    const end =
      (shift + Buffer.byteLength(secret)) % 3
        ? Math.floor((shift + Buffer.byteLength(secret)) / 3) * 4
        : encoded.length;
    const core = encoded.slice(start, end);
    if (core.length >= 12) cores.push(core);
  }
  return cores;
}

function decodeBase64(run: string): string {
  return Buffer.from(run, 'base64').toString('latin1');
}

/** Decoded base64 has no word boundaries to rely on (`user:sk-…`, `xsk-…`): any sk- key inside counts. */
const KEY_INSIDE = /sk-[A-Za-z0-9_-]{16,}/;

function looksSecret(decoded: string, known: readonly string[]): boolean {
  return KEY_INSIDE.test(decoded) || known.some((s) => decoded.includes(s));
}
