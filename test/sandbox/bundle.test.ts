import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError, packageRoot, type PolicyforgeError } from '../../common/index.js';
import {
  bundlePolicy,
  COMPILE_FAILURE,
  createSandbox,
  encodeBundle,
  needsBundling,
  parsePolicyFile,
  webpackConfig,
  type BundleOptions,
} from '../../sandbox/index.js';
import { packFolder, startNpmRegistry, type NpmRegistry } from '../support/npm-registry.js';
import { pod, podCase, policy } from './helpers.js';

// Issue 13 item 1: jsPolicy bundles spec.javascript with webpack before it runs it (loft-sh/jspolicy at d524b26,
// pkg/bundle/bundle.go). Dependencies come from a registry on 127.0.0.1 (test/support/npm-registry.ts) or from
// file: specs, into a cache folder of each test's own: nothing here needs the network.
const SLOW = 180_000;
let root: string;
let registry: NpmRegistry;
let bundling: BundleOptions;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-bundle-test-'));
  // lodash as the registry would serve it: packed from the copy policyforge's own dependencies bring.
  const lodash = await packFolder(join(packageRoot, 'node_modules', 'lodash'), root);
  registry = await startNpmRegistry([lodash]);
  bundling = {
    cacheDir: join(root, 'cache'),
    npmEnv: { npm_config_registry: registry.url, npm_config_cache: join(root, 'npm-cache') },
  };
}, SLOW);

afterAll(async () => {
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

async function localPackage(
  name: string,
  files: Record<string, string>,
  pkg: Record<string, unknown> = {},
): Promise<string> {
  const dir = join(root, 'packages', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js', ...pkg }));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

async function thrown(p: Promise<unknown>): Promise<PolicyforgeError> {
  try {
    await p;
  } catch (err) {
    if (isPolicyforgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a PolicyforgeError');
}

describe('which policies need webpack', () => {
  // jsPolicy bundles every policy (pkg/controllers/jspolicy.go 230-240); a plain script's bundle is the script
  // in a function, which the sandbox gives it already, so only what webpack would change loads webpack.
  it('a plain script, with or without a top-level return, runs as written', () => {
    expect(needsBundling("if (!request.object.metadata.labels) return;\ndeny('x')")).toBe(false);
    expect(needsBundling('const o = request.object; o.module = 1; o.process?.x; function f() { return this }')).toBe(
      false,
    );
  });

  it('dependencies, module syntax, CommonJS/AMD names, process, global and top-level this go through webpack', () => {
    for (const src of [
      "import _ from 'lodash'",
      "const _ = require('lodash')",
      'export const a = 1',
      "import('x')",
      'module.exports = 1',
      'define([], () => 1)',
      'deny(process.env.NODE_ENV)',
      'deny(typeof global)',
      'deny(__dirname)',
      'deny(String(this))',
      'deny(import.meta.url)',
    ]) {
      expect(needsBundling(src), src).toBe(true);
    }
    expect(needsBundling('allow()', { lodash: '^4.17.21' })).toBe(true);
  });
});

describe('spec.dependencies and import/require (pkg/bundle/bundle.go 53-111)', () => {
  // examples/by-feature/dependencies.yaml: lodash "^4.17.21" in spec.dependencies, `import _ from 'lodash'`
  // and _.isEqual on the labels; this policy has the same shape, with words of our own.
  const lodashPolicy = policy(
    "import _ from 'lodash';\n\nif (_.isEqual(request.object.metadata?.labels, { tier: 'forbidden' })) {\n  deny('this label set is not allowed');\n}\n",
    { dependencies: { lodash: '^4.17.21' } },
    'dependency-policy.policyforge.dev',
  );

  it(
    'installs them with npm, bundles with webpack, and runs the bundle',
    async () => {
      const box = createSandbox({ bundling });
      try {
        const r = await box.runSuite(lodashPolicy, [
          podCase('forbidden labels', 'deny', {
            object: pod('a', 'default', { tier: 'forbidden' }),
            message: 'this label set is not allowed',
          }),
          podCase('other labels', 'allow', { object: pod('b', 'default', { tier: 'web' }) }),
          podCase('no labels', 'allow'),
        ]);
        expect(r.compileError).toBeUndefined();
        expect(r.passed, JSON.stringify(r.cases.map((c) => c.failure))).toBe(true);
      } finally {
        await box.close();
      }
      expect(registry.requests).toContain('/lodash');
    },
    SLOW,
  );

  it(
    'installed dependencies are cached: a second policy with the same list needs no registry',
    async () => {
      const before = registry.requests.length;
      const r = await bundlePolicy(
        "import { kebabCase } from 'lodash';\ndeny(kebabCase(request.object.kind + 'Name'))",
        { lodash: '^4.17.21' },
        { ...bundling, offline: true },
      );
      expect(r).toMatchObject({ ok: true, cached: false });
      expect(registry.requests.length).toBe(before);
      const box = createSandbox({ bundling: { ...bundling, offline: true } });
      try {
        const out = await box.runSuite(
          policy("import { kebabCase } from 'lodash';\ndeny(kebabCase(request.object.kind + 'Name'))", {
            dependencies: { lodash: '^4.17.21' },
          }),
          [podCase('c', 'deny', { message: 'pod-name' })],
        );
        expect(out.passed, out.cases[0].failure).toBe(true);
      } finally {
        await box.close();
      }
      // The same source and dependencies again: the finished bundle comes from the cache.
      const again = await bundlePolicy(
        "import { kebabCase } from 'lodash';\ndeny(kebabCase(request.object.kind + 'Name'))",
        { lodash: '^4.17.21' },
        { ...bundling, offline: true },
      );
      expect(again.ok && again.cached).toBe(true);
    },
    SLOW,
  );

  it(
    'require() of a file: folder, resolved against baseDir; the module wrapper and CommonJS exports work',
    async () => {
      await localPackage('ns-rules', {
        'index.js': "exports.isProtected = (ns) => ['kube-system', 'prod'].includes(ns);\n",
      });
      const p = policy(
        "const rules = require('ns-rules');\nif (rules.isProtected(request.namespace)) deny('protected: ' + request.namespace);",
        { dependencies: { 'ns-rules': 'file:packages/ns-rules' } },
      );
      const box = createSandbox({ bundling: { ...bundling, baseDir: root } });
      try {
        const r = await box.runSuite(p, [
          podCase('prod', 'deny', { object: pod('a', 'prod'), message: 'protected: prod' }),
          podCase('dev', 'allow', { object: pod('a', 'dev') }),
        ]);
        expect(r.passed, JSON.stringify(r.cases.map((c) => c.failure ?? c.outcome.error))).toBe(true);
      } finally {
        await box.close();
      }
    },
    SLOW,
  );

  it(
    'webpack replaces what it knows (process.env.NODE_ENV, __dirname) as it does in jsPolicy',
    async () => {
      // webpack's production mode defines process.env.NODE_ENV; __dirname is mocked as "/" for web targets.
      const box = createSandbox({ bundling });
      try {
        const r = await box.runSuite(policy('deny(process.env.NODE_ENV + " " + __dirname)'), [
          podCase('c', 'deny', { message: 'production /' }),
        ]);
        expect(r.passed, r.cases[0].failure).toBe(true);
      } finally {
        await box.close();
      }
    },
    SLOW,
  );
});

describe('when bundling fails, jsPolicy marks the policy CompileFailed and deletes its webhook (jspolicy.go 238-247)', () => {
  it(
    'an import nothing provides',
    async () => {
      const box = createSandbox({ bundling });
      try {
        const r = await box.runSuite(policy("import x from 'not-a-dependency';\ndeny(x)"), [podCase('c', 'deny')]);
        expect(r.compileError).toContain(COMPILE_FAILURE);
        // bundle.go 99-102: "error bundling javascript: " and webpack's own text
        expect(r.compileError).toContain(
          "error bundling javascript: ERROR in ./index.js 1:0-33\nModule not found: Error: Can't resolve 'not-a-dependency' in '.'",
        );
        expect(r.cases[0].outcome).toMatchObject({ matched: false, allowed: true, errorKind: 'compile' });
      } finally {
        await box.close();
      }
    },
    SLOW,
  );

  it(
    'import together with a top-level return: webpack parses a module, where return is illegal',
    async () => {
      const r = await bundlePolicy(
        "import _ from 'lodash';\nif (!request.object) return;\ndeny(_.join(['a', 'b']))",
        { lodash: '^4.17.21' },
        bundling,
      );
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.error).toContain("'return' outside of function");
    },
    SLOW,
  );
});

describe('bundling runs nothing of the policy or its dependencies on this host', () => {
  it(
    "npm installs with --ignore-scripts: a dependency's install scripts never run",
    async () => {
      const marker = join(root, 'install-script-ran');
      const dir = await localPackage(
        'with-scripts',
        { 'index.js': 'module.exports = 7;\n' },
        {
          scripts: {
            preinstall: `node -e "require('fs').writeFileSync('${marker}', 'pre')"`,
            postinstall: `node -e "require('fs').writeFileSync('${marker}', 'post')"`,
          },
        },
      );
      const { tarball } = await packFolder(dir, root);
      const tgz = join(root, 'with-scripts.tgz');
      await writeFile(tgz, tarball);
      const r = await bundlePolicy(
        "const n = require('with-scripts'); deny(String(n))",
        { 'with-scripts': `file:${tgz}` },
        bundling,
      );
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
      expect(existsSync(marker)).toBe(false);
    },
    SLOW,
  );

  it(
    'webpack does not evaluate magic comments (it would, in a node:vm context): this one would never end',
    async () => {
      // Unpatched webpack 5.113.0 spins on this until the deadline (checked by hand); import() always reads them.
      const r = await bundlePolicy(
        "import(/* webpackChunkName: (() => { while (true) {} })() */ 'nothing-here').then(deny)",
        {},
        { ...bundling, timeoutMs: 30_000 },
      );
      expect(r.ok ? '' : r.error).toContain("Can't resolve 'nothing-here'");
    },
    SLOW,
  );

  it('git dependencies are refused before npm runs: npm would clone them and run their prepare script', async () => {
    const err = await thrown(bundlePolicy('allow()', { tool: 'github:someone/tool' }, bundling));
    expect(err.code).toBe('PF_ERR_POLICY_INVALID');
    expect(err.message).toContain('spec.dependencies.tool');
  });

  it("the configuration is jsPolicy's (bundle.go 19-29): production mode, ./index.js, commonjs output, no loaders", () => {
    expect(webpackConfig('/x')).toEqual({
      mode: 'production',
      context: '/x',
      entry: './index.js',
      output: { path: '/x/dist', filename: 'bundle.js', libraryTarget: 'commonjs' },
    });
  });
});

describe('a dependency that cannot be installed is a typed error naming the package', () => {
  it(
    'not in the registry',
    async () => {
      const err = await thrown(
        bundlePolicy(
          "import x from 'no-such-package-pf';\ndeny(x)",
          { 'no-such-package-pf': '^1.0.0', lodash: '^4.17.21' },
          bundling,
        ),
      );
      expect(err.code).toBe('PF_ERR_DEPENDENCY_INSTALL');
      expect(err.message).toMatch(/^cannot install the policy's dependency no-such-package-pf: not in the registry/);
      expect(err.details).toMatchObject({ packages: ['no-such-package-pf'], npmCode: 'E404' });
    },
    SLOW,
  );

  it(
    "offline, and not in npm's cache",
    async () => {
      const err = await thrown(
        bundlePolicy("import x from 'left-pad';\ndeny(x)", { 'left-pad': '^1.3.0' }, { ...bundling, offline: true }),
      );
      expect(err.code).toBe('PF_ERR_DEPENDENCY_INSTALL');
      expect(err.message).toContain(
        "cannot install the policy's dependency left-pad: not in npm's cache, and offline mode allows no download",
      );
    },
    SLOW,
  );

  it('a file: spec that does not exist', async () => {
    const err = await thrown(bundlePolicy('allow()', { mine: 'file:./nowhere' }, { ...bundling, baseDir: root }));
    expect(err.code).toBe('PF_ERR_DEPENDENCY_INSTALL');
    expect(err.message).toContain(`mine: file:./nowhere: ${join(root, 'nowhere')} does not exist`);
  });
});

describe('policies that carry only a precompiled bundle (JsPolicyBundle)', () => {
  // examples/by-feature/precompiled.yaml: no spec.javascript; its JsPolicyBundle of the same name holds the
  // gzipped, base64-encoded bundle (pkg/util/compress/compress.go) that the webhook runs (handler.go 77-84, 135-152).
  const bundleOnly = (name: string) => ({
    ...policy('', {}, name),
    spec: { operations: ['CREATE'], resources: ['pods'] },
  });

  it(
    'run the bundle of their name, here one made as examples/typescript-policy does (webpack, commonjs)',
    async () => {
      const made = await bundlePolicy(
        "import { startsWith } from 'lodash';\nfor (const c of request.object.spec.containers) if (!startsWith(c.image, 'registry.example.com/')) deny('untrusted image ' + c.image);",
        { lodash: '^4.17.21' },
        bundling,
      );
      if (!made.ok) throw new Error(made.error);
      const file = [
        'apiVersion: policy.jspolicy.com/v1beta1',
        'kind: JsPolicy',
        'metadata: {name: images.policyforge.dev}',
        'spec: {operations: [CREATE], resources: [pods]}',
        '---',
        'apiVersion: policy.jspolicy.com/v1beta1',
        'kind: JsPolicyBundle',
        'metadata: {name: images.policyforge.dev}',
        `spec: {bundle: ${encodeBundle(made.javascript)}}`,
      ].join('\n');
      const { policy: p, bundles } = parsePolicyFile(file, 'precompiled.yaml');
      expect(p.spec.javascript).toBeUndefined();
      const box = createSandbox({ bundles });
      try {
        const bad = pod('a', 'default', undefined, { spec: { containers: [{ name: 'x', image: 'docker.io/x:1' }] } });
        const r = await box.runSuite(p, [
          podCase('trusted', 'allow'),
          podCase('untrusted', 'deny', { object: bad, message: 'untrusted image docker.io/x:1' }),
        ]);
        expect(r.passed, JSON.stringify(r.cases.map((c) => c.failure))).toBe(true);
      } finally {
        await box.close();
      }
    },
    SLOW,
  );

  it('without its bundle the policy is CompileFailed (jspolicy.go 296-297): the webhook is deleted', async () => {
    const box = createSandbox();
    try {
      const r = await box.runSuite(bundleOnly('lost.policyforge.dev'), [podCase('c', 'deny')]);
      expect(r.compileError).toBe(`${COMPILE_FAILURE}: couldn't find js policy bundle, but no javascript provided`);
    } finally {
      await box.close();
    }
  });

  it('a bundle that is not gzip is a 500 on every request (handler.go 145-149)', async () => {
    const box = createSandbox({
      bundles: [
        { metadata: { name: 'broken.policyforge.dev' }, spec: { bundle: Buffer.from('deny("x")').toString('base64') } },
      ],
    });
    try {
      const o = (await box.runSuite(bundleOnly('broken.policyforge.dev'), [podCase('c', 'deny')])).cases[0].outcome;
      expect(o).toMatchObject({
        allowed: false,
        code: 500,
        message: 'error decompressing javascript bundle for js policy broken.policyforge.dev',
      });
    } finally {
      await box.close();
    }
  });

  it('a bundle V8 rejects is a 500 on every request, not a deleted webhook: nothing compiles it before (vm.go 260-271)', async () => {
    const box = createSandbox({
      bundles: [{ metadata: { name: 'bad.policyforge.dev' }, spec: { bundle: encodeBundle('deny("x"') } }],
    });
    try {
      const r = await box.runSuite(bundleOnly('bad.policyforge.dev'), [podCase('c', 'deny')]);
      expect(r.compileError).toBeUndefined();
      expect(r.cases[0].outcome).toMatchObject({ allowed: false, code: 500 });
      expect(r.cases[0].outcome.message).toMatch(/^Uncaught SyntaxError: /);
    } finally {
      await box.close();
    }
  });

  it('a policy file holds one JsPolicy; JsPolicyBundles beside it are checked', () => {
    expect(() =>
      parsePolicyFile(
        'kind: JsPolicyBundle\napiVersion: policy.jspolicy.com/v1beta1\nmetadata: {name: a}\nspec: {}\n',
        'f.yaml',
      ),
    ).toThrow(/expected one JsPolicy document, found 0/);
    const doc =
      'apiVersion: policy.jspolicy.com/v1beta1\nkind: JsPolicy\nmetadata: {name: a.b.c}\nspec: {operations: [CREATE], resources: [pods]}\n---\napiVersion: policy.jspolicy.com/v1beta1\nkind: JsPolicyBundle\nmetadata: {name: a.b.c}\nspec: {bundle: "not base64!"}\n';
    expect(() => parsePolicyFile(doc, 'f.yaml')).toThrow(/JsPolicyBundle field `spec.bundle`: must be base64/);
  });
});
