import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import {
  POLICY_CODE_CACHE_MAX_CHARS,
  POLICY_CODE_CACHE_SIZE,
  parsePolicyCode,
  policyCodeParses,
} from '../../common/policy-code.js';

/** acorn's own message for the code as a plain script, or undefined when it parses so. */
function acornPlainError(code: string): string | undefined {
  try {
    parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

let n = 0;
/** A code string no other test has parsed (the cache is per process). */
const fresh = (code: string): string => `${code}\n// ${process.pid}-${++n}`;

describe('parsePolicyCode', () => {
  it('parses a script once, however often it is asked', () => {
    const code = fresh("if (request.object.metadata.labels?.env === 'prod') deny('no');");
    const before = policyCodeParses();
    const a = parsePolicyCode(code);
    const b = parsePolicyCode(code);
    expect(b).toBe(a);
    expect(a.script?.type).toBe('Program');
    expect(a.plainScriptError).toBeUndefined();
    expect(a.module).toBeUndefined();
    expect(policyCodeParses() - before).toBe(1);
  });

  it('says what a plain-script parse says, whether or not the script parses with a top-level return', () => {
    for (const src of [
      'allow()',
      'let a = 1;\n  return 5;',
      'x\nreturn',
      'if (x) { return }\nfunction f() { return 1 }',
      'function f() { return 1 }\nreturn f()',
      'let a = 1;\n  return 5; foo(',
      'if (',
      "import _ from 'lodash'; deny(_.x)",
      'class A { static { return } }',
    ]) {
      expect(parsePolicyCode(fresh(src)).plainScriptError, src).toBe(acornPlainError(fresh(src)));
    }
  });

  it('reads a module only when the code is not a script, and only once', () => {
    const code = fresh("import _ from 'lodash';\ndeny(_.kebabCase('a b'));");
    const facts = parsePolicyCode(code);
    expect(facts.script).toBeUndefined();
    expect(facts.scriptError).toMatch(/import/);
    const before = policyCodeParses();
    expect(facts.module?.sourceType).toBe('module');
    expect(facts.module).toBe(facts.module);
    expect(policyCodeParses() - before).toBe(1);
    expect(parsePolicyCode(fresh('if (')).module).toBeUndefined();
  });

  it('keeps comments and derived facts with the tree, once per key', () => {
    const code = fresh('// checks the owner\nfunction owner(o) { return o.metadata?.ownerReferences; }');
    const facts = parsePolicyCode(code);
    expect(facts.comments.map((c) => c.value.trim())).toContain('checks the owner');
    let computed = 0;
    const count = () => ++computed;
    expect(facts.derived('test:a', count)).toBe(1);
    expect(facts.derived('test:a', count)).toBe(1);
    expect(facts.derived('test:b', count)).toBe(2);
  });

  it('holds a bounded number of codes, dropping the least recently used', () => {
    const first = fresh('allow()');
    const kept = parsePolicyCode(first);
    for (let i = 0; i < POLICY_CODE_CACHE_SIZE; i++) parsePolicyCode(fresh(`deny('${i}')`));
    const before = policyCodeParses();
    expect(parsePolicyCode(first)).not.toBe(kept);
    expect(policyCodeParses() - before).toBe(1);
  });

  it('does not keep a code longer than the cache takes (a bundle), and still parses it', () => {
    const long = fresh(`const xs = [${'1,'.repeat(POLICY_CODE_CACHE_MAX_CHARS / 2)}];\nallow();`);
    const a = parsePolicyCode(long);
    expect(a.script?.type).toBe('Program');
    expect(parsePolicyCode(long)).not.toBe(a);
  });
});

describe('one home for parsing policy code', () => {
  it('no module outside common/policy-code.ts parses javascript with acorn', () => {
    const root = join(__dirname, '..', '..');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (['node_modules', 'dist', 'test', '.git', 'coverage'].includes(name)) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
          const text = readFileSync(path, 'utf8');
          // A value import of parse/parseExpressionAt/Parser from acorn (types and the tokenizer are fine).
          if (/import\s+\{[^}]*\b(?<!type )(parse|parseExpressionAt|Parser)\b[^}]*\}\s+from\s+'acorn'/.test(text))
            offenders.push(relative(root, path));
        }
      }
    };
    walk(root);
    expect(offenders).toEqual(['common/policy-code.ts']);
  });
});
