import { spawn, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Node } from 'acorn';
import { ancestor, full } from 'acorn-walk';
import { PolicyforgeError, logger, packageRoot, parsePolicyCode } from '../common/index.js';

/**
 * Bundling as jsPolicy does it (loft-sh/jspolicy pkg/bundle/bundle.go): the policy's javascript becomes
 * index.js of a throw-away package whose dependencies are spec.dependencies, npm installs them, and webpack
 * bundles it with jsPolicy's own configuration (bundle.go 19-29). What runs in the isolate is the bundle.
 *
 * Unlike jsPolicy, nothing of the policy or its dependencies runs on this host while bundling:
 *  - npm installs with --ignore-scripts (jsPolicy passes `--disable-scripts`, bundle.go 92, which npm does
 *    not know, so its install scripts run); git specs are refused, as npm would clone and prepare them;
 *  - webpack runs in a child process that is killed at the deadline, with no loaders, and with its magic
 *    comments (`webpackChunkName: …`, which webpack evaluates in a node:vm context) switched off;
 *  - installed dependencies live in a cache outside the sandbox, keyed by the dependency list, so a second
 *    run needs no network at all; finished bundles are cached too.
 */

/**
 * jsPolicy's webpack configuration (pkg/bundle/bundle.go 19-29), with the folder as its context (webpack-cli
 * runs in it there).
 */
export function webpackConfig(dir: string): Record<string, unknown> {
  return {
    mode: 'production',
    context: dir,
    entry: './index.js',
    output: { path: join(dir, 'dist'), filename: 'bundle.js', libraryTarget: 'commonjs' },
  };
}

/** jsPolicy's bundling deadline, for npm and again for webpack (jspolicy.go 37, 51-58: BUNDLE_TIMEOUT). */
export const BUNDLE_TIMEOUT_MS = 30_000;

export interface BundleOptions {
  /**
   * Where installed dependencies (deps/) and finished bundles (bundles/) are kept.
   * @defaultValue $POLICYFORGE_CACHE_DIR, else $XDG_CACHE_HOME/policyforge, else ~/.cache/policyforge
   */
  cacheDir?: string;
  /** npm may use only what its own cache holds (`npm install --offline`). @defaultValue POLICYFORGE_OFFLINE=1 */
  offline?: boolean;
  /**
   * The folder relative `file:` specs are resolved against (the policy file's folder in `policyforge test`).
   * @defaultValue the working directory
   */
  baseDir?: string;
  /** Deadline of npm install, and again of webpack. @defaultValue BUNDLE_TIMEOUT_MS */
  timeoutMs?: number;
  /** Extra environment for npm, e.g. npm_config_registry or npm_config_cache. */
  npmEnv?: Record<string, string>;
}

export type BundleResult = { ok: true; javascript: string; cached: boolean } | { ok: false; error: string };

const log = () => logger().child({ module: 'sandbox-bundle' });

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POLICYFORGE_CACHE_DIR) return resolve(env.POLICYFORGE_CACHE_DIR);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'policyforge');
}

/** Free names webpack gives a meaning to (require, module, …), checked only when the source mentions one. */
const WEBPACK_NAMES = new Set([
  'require',
  'module',
  'exports',
  'define',
  '__dirname',
  '__filename',
  'global',
  'process',
  '__non_webpack_require__',
  '__resourceQuery',
  '__system_context__',
]);
/** Nodes under which `this` is not the module's own. */
const OWN_THIS = new Set(['FunctionDeclaration', 'FunctionExpression', 'PropertyDefinition', 'StaticBlock']);
const WEBPACK_WORDS = new RegExp(
  '\\b(?:import|export|require|module|exports|define|__dirname|__filename|global|process|this|__webpack_\\w+|' +
    '__non_webpack_require__|__resourceQuery|__system_context__)\\b',
);

/**
 * Would webpack change what this policy does? jsPolicy bundles every policy, but for a plain script its
 * bundle is the script in a function wrapper, which the sandbox already gives it (a top-level return works).
 * Dependencies, module syntax (import/export, import()), CommonJS/AMD names, `process`, `global`,
 * `__dirname`, top-level `this` and webpack's own names need the real bundler; so does a source that parses
 * only as a module. False positives cost only time: a bundled policy behaves as upstream's.
 */
export function needsBundling(javascript: string, dependencies?: Record<string, string>): boolean {
  if (dependencies && Object.keys(dependencies).length > 0) return true;
  if (!WEBPACK_WORDS.test(javascript)) return false;
  const parsed = parsePolicyCode(javascript);
  const ast: Node | undefined = parsed.script;
  // Code that parses only as a module goes to webpack; code that parses as neither fails to compile either way.
  if (!ast) return parsed.module !== undefined;
  let found = false;
  full(ast, (node) => {
    if (found) return;
    const name = node.type === 'Identifier' ? (node as Node & { name: string }).name : undefined;
    if (name !== undefined && (WEBPACK_NAMES.has(name) || name.startsWith('__webpack_'))) found = true;
    else if (node.type === 'ImportExpression' || node.type === 'MetaProperty') found = true;
  });
  if (found) return true;
  // Top-level `this` is module.exports in webpack's module wrapper.
  ancestor(ast, {
    ThisExpression(_node, _state, ancestors) {
      if (!ancestors.some((a) => OWN_THIS.has(a.type))) found = true;
    },
  });
  return found;
}

/**
 * The text of a JsPolicyBundle's spec.bundle: gzip (pkg/util/compress/compress.go), base64 in YAML and JSON as Go
 * marshals []byte.
 */
export function decodeBundle(base64: string, maxBytes = 16 * 1024 * 1024): string {
  return gunzipSync(Buffer.from(base64, 'base64'), { maxOutputLength: maxBytes }).toString('utf8');
}

export function encodeBundle(javascript: string): string {
  return gzipSync(Buffer.from(javascript, 'utf8')).toString('base64');
}

const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const GIT_SPEC = /^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:)|^[\w.-]+\/[\w.-]+(?:#.*)?$|\.git(?:#.*)?$/;

/** Checks spec.dependencies and turns relative `file:` specs into absolute ones. */
function resolveDependencies(
  dependencies: Record<string, string>,
  baseDir: string,
): { deps: Record<string, string>; localDirs: boolean; identity: string[] } {
  const deps: Record<string, string> = {};
  const identity: string[] = [];
  let localDirs = false;
  for (const name of Object.keys(dependencies).sort()) {
    const spec = String(dependencies[name]).trim();
    const where = `spec.dependencies.${name}`;
    if (!PACKAGE_NAME.test(name)) {
      throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [where, 'is not a valid npm package name']);
    }
    if (GIT_SPEC.test(spec)) {
      const why = 'npm would clone it and run its prepare script on this host; publish it, or use file:<tarball>';
      throw new PolicyforgeError('PF_ERR_POLICY_INVALID', [where, `${spec} is a git dependency: ${why}`]);
    }
    if (spec.startsWith('file:')) {
      const path = spec.slice(5);
      const abs = isAbsolute(path) ? path : resolve(baseDir, path);
      let st;
      try {
        st = statSync(abs);
      } catch {
        const details = { packages: [name] };
        throw new PolicyforgeError('PF_ERR_DEPENDENCY_INSTALL', [name, `${spec}: ${abs} does not exist`], { details });
      }
      // A folder is linked, not copied: its content can change under the same spec, so it is read afresh.
      if (st.isDirectory()) localDirs = true;
      deps[name] = `file:${abs}`;
      identity.push(`${name}=file:${abs}:${st.size}:${st.mtimeMs}`);
    } else {
      deps[name] = spec;
      identity.push(`${name}=${spec}`);
    }
  }
  return { deps, localDirs, identity };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

let webpackVersionCache: string | undefined;
function webpackVersion(): string {
  if (!webpackVersionCache) {
    try {
      webpackVersionCache = (createRequire(import.meta.url)('webpack/package.json') as { version: string }).version;
    } catch (err) {
      const why = 'bundling spec.javascript needs the webpack package: reinstall policyforge';
      throw new PolicyforgeError('PF_ERR_CONFIG', [why], { cause: err });
    }
  }
  return webpackVersionCache;
}

/**
 * Bundles the policy as jsPolicy would. Resolves to the bundle, or to `{ ok: false }` with webpack's errors
 * when jsPolicy's bundling would fail (it then marks the policy CompileFailed and deletes its webhook).
 * Throws PF_ERR_DEPENDENCY_INSTALL, naming the package, when a dependency cannot be installed here.
 */
export async function bundlePolicy(
  javascript: string,
  dependencies: Record<string, string> = {},
  options: BundleOptions = {},
): Promise<BundleResult> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const timeoutMs = options.timeoutMs ?? BUNDLE_TIMEOUT_MS;
  const { deps, localDirs, identity } = resolveDependencies(dependencies, options.baseDir ?? process.cwd());
  const config = webpackConfig('.');
  const bundleKey = sha(JSON.stringify({ webpack: webpackVersion(), config, javascript, identity }));
  const bundleFile = join(cacheDir, 'bundles', `${bundleKey}.json`);
  if (!localDirs) {
    try {
      const cached = JSON.parse(await readFile(bundleFile, 'utf8')) as BundleResult;
      if (cached.ok) return { ...cached, cached: true };
      return cached;
    } catch {
      // not bundled yet
    }
  }
  const modules = Object.keys(deps).length
    ? await installDependencies(deps, identity, cacheDir, timeoutMs, options)
    : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'policyforge-bundle-'));
  try {
    // The package jsPolicy writes (bundle.go 60-88), its dependencies already installed.
    const pkg = {
      name: 'my_package',
      description: 'this is a temporary package',
      version: '1.0.0',
      main: './index.js',
      dependencies: deps,
    };
    await writeFile(join(dir, 'index.js'), javascript);
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    if (modules) await symlink(modules, join(dir, 'node_modules'), 'dir');
    const started = performance.now();
    const result = await runWebpack(dir, timeoutMs);
    log().debug({ ms: Math.round(performance.now() - started), ok: result.ok }, 'bundled policy');
    if (!localDirs) {
      await mkdir(join(cacheDir, 'bundles'), { recursive: true });
      const tmp = `${bundleFile}.${randomBytes(4).toString('hex')}`;
      await writeFile(tmp, JSON.stringify(result));
      await rename(tmp, bundleFile);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Installs the dependencies once per distinct list into the cache; returns its node_modules folder. */
async function installDependencies(
  deps: Record<string, string>,
  identity: string[],
  cacheDir: string,
  timeoutMs: number,
  options: BundleOptions,
): Promise<string> {
  const root = join(cacheDir, 'deps');
  const target = join(root, sha(JSON.stringify(identity)));
  const modules = join(target, 'node_modules');
  if (existsSync(join(target, '.complete'))) return modules;
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, '.install-'));
  try {
    const pkg = { name: 'policyforge-policy-deps', version: '1.0.0', private: true, dependencies: deps };
    await writeFile(join(work, 'package.json'), JSON.stringify(pkg));
    const offline = options.offline ?? process.env.POLICYFORGE_OFFLINE === '1';
    const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'];
    args.push('--package-lock=false', '--loglevel=error', offline ? '--offline' : '--prefer-offline');
    const run = await runCommand('npm', args, work, timeoutMs, { ...process.env, ...options.npmEnv });
    if (run.code !== 0) throw installError(deps, run, offline, timeoutMs);
    await writeFile(join(work, '.complete'), new Date().toISOString());
    try {
      await rename(work, target);
    } catch (err) {
      // Another run installed the same list meanwhile: keep theirs.
      if (!existsSync(join(target, '.complete'))) throw err;
    }
    return modules;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** npm's failure as a typed error naming the package(s) it could not get. */
function installError(
  deps: Record<string, string>,
  run: CommandResult,
  offline: boolean,
  timeoutMs: number,
): PolicyforgeError {
  const out = run.output;
  const names = Object.keys(deps);
  const code = /npm (?:error|ERR!) code (\w+)/.exec(out)?.[1] ?? (run.timedOut ? 'ETIMEDOUT' : `exit ${run.code}`);
  const forms = (n: string) => [`/${n.replace('/', '%2f')}`, `/${n}`, `${n}@`, `'${n}'`];
  const named = names.filter((n) => forms(n).some((form) => out.includes(form)));
  // A failing transitive dependency shows up by its own name in npm's output.
  const fetched = /(?:GET|request to) \S+?\/((?:@[\w.-]+(?:\/|%2f))?[\w.-]+?)(?:\/-\/\S+)?(?:\s|$| failed)/i;
  const other = fetched.exec(out)?.[1]?.replace('%2f', '/');
  const through = other && !names.includes(other) ? [`${names.join(', ')} (through ${other})`] : names;
  const culprits = named.length ? named : through;
  const reason = run.timedOut
    ? `npm install did not finish within ${timeoutMs} ms`
    : code === 'ENOTCACHED'
      ? "not in npm's cache, and offline mode allows no download"
      : code === 'E404'
        ? 'not in the registry'
        : code === 'ETARGET'
          ? 'no version matches the range'
          : /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH/.test(code)
            ? 'the registry cannot be reached'
            : `npm failed (${code})`;
  const first = offline ? 'install it once with network access' : 'check the name and range';
  const hint = `${first}, or give it as file:<folder or tarball>`;
  return new PolicyforgeError('PF_ERR_DEPENDENCY_INSTALL', [culprits.join(', '), `${reason}; ${hint}`], {
    details: { packages: named.length ? named : names, npmCode: code, npmOutput: out.slice(-2_000) },
  });
}

interface CommandResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

function runCommand(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<CommandResult> {
  return new Promise((done, fail) => {
    // Its own process group, so the deadline ends npm and whatever it started.
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const take = (b: Buffer) => {
      if (output.length < 64_000) output += b.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      const why = `bundling spec.dependencies needs ${cmd} on PATH (${err.message})`;
      fail(new PolicyforgeError('PF_ERR_CONFIG', [why], { cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: timedOut ? null : code, output, timedOut });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The compiled worker: beside this file in dist/, or dist/sandbox/ when running from the TS sources. */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const candidate = here.endsWith('.ts')
    ? join(packageRoot, 'dist', 'sandbox', 'bundle-worker.js')
    : join(here, '..', 'bundle-worker.js');
  if (!existsSync(candidate)) {
    const why = `bundling needs the compiled worker ${candidate}: run \`npm run build\``;
    throw new PolicyforgeError('PF_ERR_CONFIG', [why]);
  }
  return candidate;
}

/** What the worker answers. */
export type WorkerAnswer = { ok: true } | { ok: false; errors: string[] };

/** Runs webpack over `dir` in a child process; the bundle is read from dir/dist/bundle.js. */
async function runWebpack(dir: string, timeoutMs: number): Promise<BundleResult> {
  const answer = await new Promise<WorkerAnswer | { crashed: string }>((done) => {
    const child = fork(workerEntry(), [], {
      execArgv: ['--max-old-space-size=1024'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
    });
    let stderr = '';
    let settled = false;
    const settle = (v: WorkerAnswer | { crashed: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child.pid);
      done(v);
    };
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 8_000) stderr += b.toString('utf8');
    });
    // As jsPolicy words its deadline (bundle.go 137-140).
    const late = `the command webpack-cli --config webpack.config.js timed out after ${timeoutMs / 1000}s`;
    const timer = setTimeout(() => settle({ ok: false, errors: [late] }), timeoutMs);
    child.on('message', (m) => settle(m as WorkerAnswer));
    child.on('error', (err) => settle({ crashed: err.message }));
    child.on('exit', (code, signal) => {
      settle({ crashed: `exit ${code ?? signal}${stderr ? `: ${stderr.trim().slice(-1_000)}` : ''}` });
    });
    child.send({ dir });
  });
  if ('crashed' in answer) {
    throw new PolicyforgeError('PF_ERR_SANDBOX_CRASHED', [`the webpack worker failed (${answer.crashed})`]);
  }
  // The temporary folder's name is random: left in, the same policy would fail with a different text each run.
  if (!answer.ok) {
    return { ok: false, error: `error bundling javascript: ${answer.errors.join('\n').split(dir).join('.')}` };
  }
  return { ok: true, javascript: await readFile(join(dir, 'dist', 'bundle.js'), 'utf8'), cached: false };
}
