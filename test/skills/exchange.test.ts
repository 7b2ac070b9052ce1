import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { createSandbox, type SandboxRunner } from '../../sandbox/index.js';
import {
  builtinSkills,
  exportSkills,
  importSkills,
  openSqliteStore,
  parseSkillFiles,
  policiesToOpenAIJsonl,
  SkillLibrary,
  type SkillStore,
} from '../../skills/index.js';
import { draft, storedPolicy } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-exchange-'));
const sandbox: SandboxRunner = createSandbox();
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
let store: SkillStore;
beforeEach(async () => {
  store = await openSqliteStore(join(dir, `s${++n}.sqlite`));
});
afterEach(async () => {
  await store.close();
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('skill files', () => {
  const src = { js: 'x/f.js', yaml: 'x/f.yaml' };

  it('accepts one function declaration with the YAML name and tests', () => {
    const pair = parseSkillFiles(
      'function f(a) { return a; }',
      'name: f\ndescription: identity\ntests:\n  - {name: one, args: [1], expected: 1}\n',
      src,
    );
    expect(pair.meta.tests).toEqual([{ name: 'one', args: [1], expected: 1 }]);
    expect(pair.code).toBe('function f(a) { return a; }\n');
  });

  it.each([
    ['a missing description', 'function f() {}', 'name: f\ntests: []\n', 'x/f.yaml field description'],
    [
      'args that are not a list',
      'function f() {}',
      'name: f\ndescription: d\ntests:\n  - {name: t, args: 1, expected: 1}\n',
      'x/f.yaml field tests.0.args',
    ],
    ['an unknown field', 'function f() {}', 'name: f\ndescription: d\nowner: me\ntests: []\n', 'x/f.yaml field (root)'],
    [
      'an unknown state',
      'function f() {}',
      'name: f\ndescription: d\nstate: pending\ntests: []\n',
      'x/f.yaml field state',
    ],
    [
      'duplicate test names',
      'function f() {}',
      'name: f\ndescription: d\ntests:\n  - {name: t, args: [], expected: 1}\n  - {name: t, args: [], expected: 2}\n',
      'x/f.yaml test "t"',
    ],
    ['a function with another name', 'function g() {}', 'name: f\ndescription: d\ntests: []\n', 'x/f.js'],
    ['two functions', 'function f() {}\nfunction h() {}', 'name: f\ndescription: d\ntests: []\n', 'x/f.js'],
    ['code after the function', 'function f() {}\ndeny("x");', 'name: f\ndescription: d\ntests: []\n', 'x/f.js'],
    ['code that does not parse', 'function f( {', 'name: f\ndescription: d\ntests: []\n', 'x/f.js'],
  ])('rejects %s, naming the file and field', (_what, js, yaml, where) => {
    const err = errorOf(() => parseSkillFiles(js, yaml, src));
    expect(isPolicyforgeError(err, 'PF_ERR_SKILL_INVALID')).toBe(true);
    expect(err.message.startsWith(where)).toBe(true);
  });

  it('rejects YAML that does not parse with PF_ERR_INPUT_YAML', () => {
    expect(
      isPolicyforgeError(
        errorOf(() => parseSkillFiles('function f() {}', 'name: [', src)),
        'PF_ERR_INPUT_YAML',
      ),
    ).toBe(true);
  });
});

describe('export and import', () => {
  it('round-trips every field a reviewer needs, one pair per name (the highest version)', async () => {
    await store.putSkill(draft('helper', 'return 1;'));
    await store.putSkill(draft('helper', 'return 2;', { dependsOn: ['getPath'] }));
    await store.reviewSkill('helper@2', { state: 'approved', reviewer: 'alice', comment: 'ok' });
    const out = join(dir, 'round-trip');
    const written = await exportSkills(await store.listSkills(), out);
    expect(readdirSync(out).sort()).toEqual(['helper.js', 'helper.yaml']);
    expect(written).toHaveLength(2);
    expect(readFileSync(join(out, 'helper.js'), 'utf8')).toContain('return 2;');
    expect(parseYaml(readFileSync(join(out, 'helper.yaml'), 'utf8'))).toMatchObject({
      id: 'helper@2',
      version: 2,
      state: 'approved',
      dependsOn: ['getPath'],
      reviews: [{ reviewer: 'alice', comment: 'ok' }],
      provenance: { intent: 'test intent' },
    });

    const other = await openSqliteStore(join(dir, 'other.sqlite'));
    try {
      const report = await importSkills(other, out, { keepState: true });
      expect(report).toEqual({ added: ['helper@1'], duplicates: [] });
      const back = (await other.getSkill('helper@1'))!;
      expect(back).toMatchObject({
        state: 'approved',
        dependsOn: ['getPath'],
        provenance: { source: 'generated', intent: 'test intent' },
      });
      expect(back.reviews).toEqual((await store.getSkill('helper@2'))!.reviews);
      expect(await importSkills(other, out)).toEqual({ added: [], duplicates: ['helper@1'] });
    } finally {
      await other.close();
    }
  });

  it('validates the whole folder before adding anything', async () => {
    const out = join(dir, 'half-bad');
    await exportSkills(builtinSkills.slice(0, 3), out);
    writeFileSync(join(out, 'zz.yaml'), 'name: zz\ndescription: d\ntests: []\n');
    const err = await importSkills(store, out).catch((e: Error) => e);
    expect(isPolicyforgeError(err, 'PF_ERR_INPUT_FILE')).toBe(true);
    expect((err as Error).message).toContain('zz.js');
    expect(await store.listSkills()).toEqual([]);
  });

  it("with a sandbox, runs every imported skill's tests first (using the store's approved skills) and refuses the folder on a failure", async () => {
    await new SkillLibrary(store).seedBuiltins();
    const out = join(dir, 'tested');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    writeFileSync(join(out, 'tagOf.js'), 'function tagOf(c) {\n  return imageTag(c && c.image);\n}\n');
    writeFileSync(
      join(out, 'tagOf.yaml'),
      'name: tagOf\ndescription: tag of a container image\ntests:\n  - {name: tagged, args: [{image: "nginx:1.2"}], expected: "1.2"}\n  - {name: untagged, args: [{image: nginx}], expected: latest}\n',
    );
    expect((await importSkills(store, out, { sandbox })).added).toEqual(['tagOf@1']);

    writeFileSync(
      join(out, 'tagOf.yaml'),
      'name: tagOf\ndescription: tag of a container image\ntests:\n  - {name: wrong, args: [{image: "nginx:1.2"}], expected: "1.3"}\n',
    );
    writeFileSync(join(out, 'tagOf.js'), 'function tagOf(c) {\n  return imageTag(c.image);\n}\n');
    const err = await importSkills(store, out, { sandbox }).catch((e: Error) => e);
    expect(isPolicyforgeError(err, 'PF_ERR_SKILL_INVALID')).toBe(true);
    expect((err as Error).message).toContain(
      `${join(out, 'tagOf.yaml')} test "wrong": fails in the sandbox: expected "1.3", got "1.2"`,
    );
    expect((await store.findSkillsByName('tagOf')).map((s) => s.id)).toEqual(['tagOf@1']);
  });

  it('names a folder that does not exist', async () => {
    const err = await importSkills(store, join(dir, 'nope')).catch((e: Error) => e);
    expect(isPolicyforgeError(err, 'PF_ERR_INPUT_FILE')).toBe(true);
  });
});

describe('policiesToOpenAIJsonl', () => {
  it('writes only approved policies, one chat example per line', () => {
    const jsonl = policiesToOpenAIJsonl([
      storedPolicy('a', { state: 'approved', intent: 'Deny A.' }),
      storedPolicy('b'),
      storedPolicy('c', { state: 'rejected' }),
    ]);
    const lines = jsonl.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const { messages } = JSON.parse(lines[0]);
    expect(messages[1]).toEqual({ role: 'user', content: 'Deny A.' });
    expect(parseYaml(messages[2].content)).toMatchObject({
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
    });
    expect(policiesToOpenAIJsonl([])).toBe('');
  });
});

describe('export and import of a folder someone else may have filled', () => {
  const fresh = (name: string): string => {
    const d = join(dir, `${name}-${++n}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const skill = (name: string) => ({
    ...builtinSkills[0],
    id: `${name}@1`,
    name,
    code: `function ${name}(x) { return x; }\n`,
    version: 1,
  });

  it('export refuses a stored name that is not an identifier and writes nothing, in the folder or outside it', async () => {
    const out = fresh('escape');
    const err = await exportSkills([skill('okName'), skill('../../escaped')], join(out, 'skills')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_SKILL_INVALID')).toBe(true);
    expect(err!.message).toMatch(/"\.\.\/\.\.\/escaped".*not a JavaScript identifier/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('export does not write through a symbolic link planted in the folder', async () => {
    const out = fresh('planted');
    const target = join(fresh('target'), 'victim.txt');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(out, 'okName.js'));
    const err = await exportSkills([skill('okName')], out).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_INPUT_FILE')).toBe(true);
    expect(err!.message).toMatch(/okName\.js.*symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });

  it('import does not follow symbolic links out of the folder', async () => {
    const src = fresh('links');
    const outside = fresh('outside');
    await exportSkills([skill('okName')], outside);
    symlinkSync(join(outside, 'okName.yaml'), join(src, 'okName.yaml'));
    symlinkSync(join(outside, 'okName.js'), join(src, 'okName.js'));
    const err = await importSkills(store, src).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_INPUT_FILE')).toBe(true);
    expect(err!.message).toMatch(/okName\.yaml: it is a symbolic link, which is not followed here/);
    expect(await store.findSkillsByName('okName')).toEqual([]);
  });

  it('import stops at once on /dev/zero, a FIFO or an oversized file, with a clear error', async () => {
    const zero = fresh('zero');
    writeFileSync(join(zero, 'okName.js'), 'function okName(x) { return x; }\n');
    symlinkSync('/dev/zero', join(zero, 'okName.yaml'));
    expect((await importSkills(store, zero).catch((e: Error) => e)) as Error).toMatchObject({
      code: 'PF_ERR_INPUT_FILE',
      message: expect.stringMatching(/symbolic link/),
    });

    const fifo = fresh('fifo');
    execFileSync('mkfifo', [join(fifo, 'okName.yaml')]);
    expect((await importSkills(store, fifo).catch((e: Error) => e)) as Error).toMatchObject({
      code: 'PF_ERR_INPUT_FILE',
      message: expect.stringMatching(/okName\.yaml: it is not a regular file \(a FIFO\)/),
    });

    const big = fresh('big');
    writeFileSync(join(big, 'okName.yaml'), `description: ${'x'.repeat(300 * 1024)}\n`);
    writeFileSync(join(big, 'okName.js'), 'function okName(x) { return x; }\n');
    expect((await importSkills(store, big).catch((e: Error) => e)) as Error).toMatchObject({
      code: 'PF_ERR_INPUT_FILE',
      message: expect.stringMatching(/the limit is 262144/),
    });
  });
});
