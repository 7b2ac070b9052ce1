import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { Skill } from '../../common/index.js';
import { builtinSkills, openSqliteStore } from '../../skills/index.js';
import { runCli, type CliRun } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'pf-skills-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let homes = 0;
function newHome(): string {
  return join(root, `home-${++homes}`);
}

/** `policyforge skills …` in-process (run-cli.ts) with its own home and reviewer. */
function cli(home: string, ...args: string[]): Promise<CliRun> {
  const env = {
    POLICYFORGE_HOME: home,
    POLICYFORGE_SKILL_STORE: '',
    POLICYFORGE_REVIEWER: 'ci-reviewer',
    LOG_LEVEL: 'silent',
  };
  return runCli(['skills', ...args], { env });
}

describe('policyforge skills', { timeout: 180_000 }, () => {
  it('list: the built-in skills, approved, in a fresh home', async () => {
    const { stdout, code } = await cli(newHome(), 'list', '--json');
    expect(code).toBe(0);
    const skills = JSON.parse(stdout) as Skill[];
    expect(skills.map((s) => s.name).sort()).toEqual(builtinSkills.map((s) => s.name).sort());
    expect(skills.every((s) => s.state === 'approved')).toBe(true);
  });

  it('list --state rejects an unknown state with exit 2', async () => {
    const { stderr, code } = await cli(newHome(), 'list', '--state', 'pending');
    expect(code).toBe(2);
    expect(stderr).toContain('PF_ERR_INPUT_INVALID');
    expect(stderr).toContain('"pending" is not one of candidate, approved, rejected, deprecated');
  });

  it('search: what the coder would get, counted as retrievals', async () => {
    const home = newHome();
    const { stdout } = await cli(home, 'search', 'block', 'privileged', 'containers', '-k', '3', '--json');
    const found = JSON.parse(stdout) as Skill[];
    expect(found).toHaveLength(3);
    expect(found.map((s) => s.name)).toContain('isPrivileged');
    const shown = JSON.parse((await cli(home, 'show', 'isPrivileged', '--json')).stdout) as Skill;
    expect(shown.usage.retrieved).toBe(1);
  });

  it('show: code, provenance, reviews and tests of a skill; unknown → exit 2', async () => {
    const home = newHome();
    const { stdout } = await cli(home, 'show', 'imageTag@1');
    expect(stdout).toContain('imageTag@1  (approved)');
    expect(stdout).toContain('function imageTag(image)');
    expect(stdout).toContain('review: approved by policyforge');
    expect(stdout).toContain('no tag means latest: imageTag("nginx") → "latest"');
    const missing = await cli(home, 'show', 'noSuchSkill');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('PF_ERR_NOT_FOUND');
  });

  it('export → import moves skills between homes as reviewable pairs, arriving as candidates (or keeping state)', async () => {
    const from = newHome();
    const dir = join(root, 'exported');
    expect((await cli(from, 'export', dir)).code).toBe(0);
    expect(readdirSync(dir).length).toBe(builtinSkills.length * 2);
    const meta = parseYaml(readFileSync(join(dir, 'imageTag.yaml'), 'utf8'));
    expect(meta).toMatchObject({ name: 'imageTag', id: 'imageTag@1', state: 'approved', dependsOn: ['parseImage'] });
    expect(readFileSync(join(dir, 'imageTag.js'), 'utf8')).toBe(builtinSkills.find((s) => s.name === 'imageTag')!.code);

    // A changed skill arrives in another home as a new version and a candidate.
    writeFileSync(
      join(dir, 'imageTag.js'),
      readFileSync(join(dir, 'imageTag.js'), 'utf8').replace("'latest'", "'latest' /* default tag */ + ''"),
    );
    const to = newHome();
    const imported = JSON.parse((await cli(to, 'import', dir, '--json')).stdout) as {
      added: string[];
      duplicates: string[];
    };
    expect(imported.added).toEqual(['imageTag@2']);
    expect(imported.duplicates).toHaveLength(builtinSkills.length - 1);
    const v2 = JSON.parse((await cli(to, 'show', 'imageTag@2', '--json')).stdout) as Skill;
    expect(v2).toMatchObject({ state: 'candidate', provenance: { source: 'imported' } });

    const trusted = newHome();
    writeFileSync(
      join(dir, 'imageTag.js'),
      readFileSync(join(dir, 'imageTag.js'), 'utf8').replace("+ ''", "+ '' + ''"),
    );
    await cli(trusted, 'import', dir, '--keep-state');
    expect((JSON.parse((await cli(trusted, 'show', 'imageTag@2', '--json')).stdout) as Skill).state).toBe('approved');
  });

  it('import refuses an invalid pair, naming the file and field, and adds nothing', async () => {
    const dir = join(root, 'bad-import');
    const home = newHome();
    await cli(home, 'export', dir);
    writeFileSync(join(dir, 'zzBroken.js'), 'function zzBroken(x) { return x; }\n');
    writeFileSync(join(dir, 'zzBroken.yaml'), 'name: zzBroken\ntests: []\n');
    const { code, stderr } = await cli(home, 'import', dir);
    expect(code).toBe(2);
    expect(stderr).toContain('PF_ERR_SKILL_INVALID');
    expect(stderr).toContain(`${join(dir, 'zzBroken.yaml')} field description`);
    writeFileSync(join(dir, 'zzBroken.yaml'), 'name: zzBroken\ndescription: echo\ntests: []\n');
    writeFileSync(join(dir, 'zzBroken.js'), 'function other(x) { return x; }\n');
    const wrongName = await cli(home, 'import', dir);
    expect(wrongName.stderr).toContain('must hold exactly one function declaration named zzBroken');
    writeFileSync(join(dir, 'zzBroken.js'), 'function zzBroken(x) { return x; }\n');
    writeFileSync(
      join(dir, 'zzBroken.yaml'),
      'name: zzBroken\ndescription: echo\ntests:\n  - {name: echoes, args: [1], expected: 2}\n',
    );
    const failing = await cli(home, 'import', dir);
    expect(failing.code).toBe(2);
    expect(failing.stderr).toContain('zzBroken.yaml test "echoes": fails in the sandbox: expected 2, got 1');
    expect((await cli(home, 'show', 'zzBroken')).code).toBe(2);
  });

  it('approve / reject / deprecate record the reviewer and comment; invalid transitions exit 2 with a typed error', async () => {
    const home = newHome();
    const dir = join(root, 'review-src');
    await cli(home, 'export', dir, '--state', 'approved');
    for (const f of readdirSync(dir)) if (!f.startsWith('hasLabel.')) rmSync(join(dir, f));
    writeFileSync(
      join(dir, 'hasLabel.js'),
      'function hasLabel(obj, key, value) {\n  return !!(obj && obj.metadata && obj.metadata.labels && key in obj.metadata.labels) && (value === undefined || obj.metadata.labels[key] === value);\n}\n',
    );
    const imported = await cli(home, 'import', dir);
    expect(imported.code, imported.stderr).toBe(0);

    const approved = await cli(home, 'approve', 'hasLabel@2', '--comment', 'simpler', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({
      state: 'approved',
      reviews: [{ state: 'approved', reviewer: 'ci-reviewer', comment: 'simpler' }],
    });
    const deprecated = await cli(
      home,
      'deprecate',
      'hasLabel@1',
      '--reviewer',
      'alice',
      '--comment',
      'superseded by hasLabel@2',
    );
    expect(deprecated.stdout.trim()).toBe('hasLabel@1 is now deprecated');
    const again = await cli(home, 'reject', 'hasLabel@1');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('PF_ERR_REVIEW_TRANSITION: hasLabel@1 is deprecated and cannot become rejected');
    const noVersion = await cli(home, 'approve', 'hasLabel');
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toContain('give name@version');
    // Deprecated skills are never retrieved.
    const found = JSON.parse(
      (await cli(home, 'search', 'whether', 'an', 'object', 'carries', 'a', 'label', '--json')).stdout,
    ) as Skill[];
    expect(found.map((s) => s.id)).toContain('hasLabel@2');
    expect(found.map((s) => s.id)).not.toContain('hasLabel@1');
  });

  it('export --format openai-jsonl writes approved stored policies as chat fine-tuning examples', async () => {
    const home = newHome();
    await cli(home, 'list');
    const store = await openSqliteStore(join(home, 'skills.sqlite'));
    const policy = (name: string) => ({
      apiVersion: 'policy.jspolicy.com/v1beta1' as const,
      kind: 'JsPolicy' as const,
      metadata: { name },
      spec: { operations: ['CREATE'], resources: ['pods'], javascript: "deny('no');" },
    });
    const plan = {
      target: {
        type: 'Validating' as const,
        resources: ['pods'],
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE' as const],
        scope: '*' as const,
        namespaces: [],
      },
      steps: [],
      tests: [],
    };
    for (const key of ['deny all pods', 'deny all services']) {
      await store.putPolicy({
        id: `policy-${key.split(' ').pop()}`,
        intent: `${key}.`,
        key,
        policy: policy(`${key.split(' ').pop()}.policyforge.dev`),
        plan,
        skills: [],
        provenance: { date: 'd', source: 'generated' },
        state: 'candidate',
      });
    }
    await store.close();

    expect((await cli(home, 'list', '--policies')).stdout).toContain('policy-pods');
    expect((await cli(home, 'approve', 'policy-pods', '--comment', 'good example')).code).toBe(0);
    const out = join(root, 'train.jsonl');
    const { code, stderr } = await cli(home, 'export', '--format', 'openai-jsonl', '--out', out);
    expect(code).toBe(0);
    expect(stderr).toContain('wrote 1 fine-tuning example(s)');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const example = JSON.parse(lines[0]) as { messages: Array<{ role: string; content: string }> };
    expect(example.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(example.messages[1].content).toBe('deny all pods.');
    expect(parseYaml(example.messages[2].content)).toMatchObject({
      kind: 'JsPolicy',
      metadata: { name: 'pods.policyforge.dev' },
      spec: { javascript: "deny('no');" },
    });

    const stdout = (await cli(home, 'export', '--format', 'openai-jsonl')).stdout;
    expect(stdout).toBe(readFileSync(out, 'utf8'));
    const shown = await cli(home, 'show', 'policy-pods');
    expect(shown.stdout).toContain('review: approved by ci-reviewer');
  });

  it('reports a corrupt store file with exit 3 and leaves it untouched', async () => {
    const home = newHome();
    const file = join(root, 'corrupt.sqlite');
    writeFileSync(file, 'garbage'.repeat(1000));
    const { code, stderr } = await cli(home, 'list', '--store', file);
    expect(code).toBe(3);
    expect(stderr).toContain(`PF_ERR_STORE_CORRUPT: the skill store at ${file} is unreadable`);
    expect(readFileSync(file, 'utf8')).toBe('garbage'.repeat(1000));
  });

  it('import stops with exit 2 on a file linked to /dev/zero instead of reading it until memory runs out', async () => {
    const folder = join(root, `zero-${++homes}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'okName.js'), 'function okName(x) { return x; }\n');
    symlinkSync('/dev/zero', join(folder, 'okName.yaml'));
    const { stderr, code } = await cli(newHome(), 'import', folder, '--no-tests');
    expect(code).toBe(2);
    expect(stderr).toContain(
      `cannot read ${join(folder, 'okName.yaml')}: it is a symbolic link, which is not followed here`,
    );
  });
});
