import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../critic/index.js';

describe('RULES', () => {
  it('lists every rule id the critic can report, and nothing else', () => {
    const dir = resolve(import.meta.dirname, '..', '..', 'critic');
    const source = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'rule-ids.ts')
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const used = new Set(
      [...source.matchAll(/'((?:schema|code|catalog|safety|suite|fuzz|cluster|scope|plan|behaviour)\/[a-z-]+)'/g)].map(
        (m) => m[1],
      ),
    );
    expect([...used].sort()).toEqual(Object.keys(RULES).sort());
  });
});
