import { pino, type Logger } from 'pino';

/**
 * One logger for the whole service. Logs go to stderr so CLI output on stdout stays machine-readable.
 * Secrets are redacted by key wherever they appear, and `redactSecrets` scrubs free text (error messages
 * from providers sometimes echo a key back).
 */
const SECRET_PATHS = [
  'apiKey', 'openAIApiKey', 'token', 'authorization', 'Authorization', 'password', 'secret',
  '*.apiKey', '*.openAIApiKey', '*.token', '*.authorization', '*.Authorization', '*.password', '*.secret',
  'headers.authorization', 'req.headers.authorization', 'config.apiKey', 'model.apiKey',
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
  /\bsk-[A-Za-z0-9_-]{8,}/g, // OpenAI-style keys
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(api[_-]?key|token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi,
];

/** Removes anything that looks like a credential from free text, plus any explicitly known secret values. */
export function redactSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of knownSecrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  out = out.replace(SECRET_TEXT[0], '[redacted]');
  out = out.replace(SECRET_TEXT[1], (_m, scheme: string) => `${scheme} [redacted]`);
  out = out.replace(SECRET_TEXT[2], (_m, k: string, sep: string) => `${k}${sep}[redacted]`);
  return out;
}
