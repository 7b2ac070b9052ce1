import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { pfError, policyforgeHome } from '../common/index.js';
import { openRedisStore } from './redis-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { SkillStore } from './types.js';

/** File name of the embedded store inside $POLICYFORGE_HOME. */
export const SQLITE_STORE_FILE = 'skills.sqlite';

export type SkillStoreConfig =
  | {
      type: 'sqlite';
      /** @defaultValue `$POLICYFORGE_HOME/skills.sqlite` (home default `~/.policyforge`) */
      path?: string;
    }
  | {
      type: 'redis';
      /** A redis:// or rediss:// URL, or a connected client to borrow. @defaultValue $REDIS_URL, else redis://127.0.0.1:6379 */
      url?: string;
      client?: Redis;
      /** @defaultValue 'policyforge:skills:' */
      prefix?: string;
    };

/**
 * The store a config names. `fromEnv`-style strings are accepted too: a redis:// URL means Redis, anything
 * else is a SQLite file path (the CLI's `--store` and POLICYFORGE_SKILL_STORE use this form).
 */
export async function openSkillStore(
  config: SkillStoreConfig | string = { type: 'sqlite' },
  env: NodeJS.ProcessEnv = process.env,
): Promise<SkillStore> {
  const resolved = typeof config === 'string' ? parseStoreSpec(config) : config;
  switch (resolved.type) {
    case 'sqlite':
      return openSqliteStore(resolved.path ?? join(policyforgeHome(env), SQLITE_STORE_FILE));
    case 'redis':
      return openRedisStore(resolved.client ?? resolved.url ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
        prefix: resolved.prefix,
      });
    default:
      throw pfError(
        'PF_ERR_CONFIG',
        `unknown skill store type ${JSON.stringify((resolved as { type: unknown }).type)} (sqlite or redis)`,
      );
  }
}

/** `redis://…` → Redis, `sqlite:<path>` or a plain path → SQLite, '' → the default SQLite file. */
export function parseStoreSpec(spec: string): SkillStoreConfig {
  const s = spec.trim();
  if (s === '' || s === 'sqlite') return { type: 'sqlite' };
  if (/^rediss?:\/\//.test(s)) return { type: 'redis', url: s };
  if (s === 'redis') return { type: 'redis' };
  if (s.startsWith('sqlite:')) return { type: 'sqlite', path: s.slice('sqlite:'.length) };
  return { type: 'sqlite', path: s };
}

/** The store configured by POLICYFORGE_SKILL_STORE (a path or a redis:// URL), else the embedded default. */
export function skillStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SkillStoreConfig {
  return parseStoreSpec(env.POLICYFORGE_SKILL_STORE ?? '');
}
