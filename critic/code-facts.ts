import { runInNewContext } from 'node:vm';
import type { AnyNode, Node, Pattern } from 'acorn';
import { ancestor, simple, full } from 'acorn-walk';
import { JSPOLICY_GLOBALS, SIDE_EFFECT_FNS, type SideEffectFn } from '../common/index.js';
import { parsePolicyCode, type PolicyCodeFacts } from '../common/policy-code.js';

/** Host APIs policy code sometimes reaches for that jsPolicy's V8 context does not have, with the fix. */
export const HOST_APIS: Readonly<Record<string, string>> = {
  require:
    'declare the package in spec.dependencies (name: version) and require or import it by that name; a Node.js built-in (fs, http, …) has no replacement in the bundle: inline the code instead',
  process: 'read environment variables with env(name)',
  Buffer: 'use atob()/btoa() for base64',
  setTimeout: 'use sleep(ms) (at most 1000 ms per call), or drop the delay',
  setInterval: 'drop the timer: every request runs once, synchronously',
  setImmediate: 'drop the timer: every request runs once, synchronously',
  clearTimeout: 'drop the timer',
  clearInterval: 'drop the timer',
  clearImmediate: 'drop the timer',
  queueMicrotask: 'run the code directly: everything is synchronous',
  __dirname: 'there is no file system module',
  __filename: 'there is no file system module',
  module: 'there are no modules: write plain statements',
  exports: 'there are no modules: write plain statements',
  global: 'use top-level declarations',
  fetch: 'use fetchSync(url, {method, headers, body})',
  XMLHttpRequest: 'use fetchSync(url, …)',
  TextEncoder: 'work on strings directly',
  TextDecoder: 'work on strings directly',
  URL: 'parse the string directly (split/indexOf/regular expressions)',
  URLSearchParams: 'parse the string directly',
  structuredClone: 'use JSON.parse(JSON.stringify(x))',
  performance: 'there is no timer API',
  crypto: 'there is no crypto API',
};

let ecmaGlobals: Set<string> | undefined;
/** The globals a bare V8 context has (ECMAScript built-ins), read from a fresh context, not from Node's. */
export function ecmaScriptGlobals(): Set<string> {
  ecmaGlobals ??= new Set(runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[]);
  ecmaGlobals.add('undefined');
  ecmaGlobals.add('globalThis');
  return ecmaGlobals;
}

export interface KindComparison {
  /** `request.object.kind`, `request.kind.kind`, … */
  path: string;
  kind: string;
}

export interface CodeFacts {
  /** Set when the script does not parse as jsPolicy would compile it. */
  syntaxError?: string;
  /** The script uses `import` (needs spec.dependencies and jsPolicy's bundling step). */
  usesImport: boolean;
  usesAsync: boolean;
  /** Free identifiers: referenced, never declared, not an ECMAScript or jsPolicy global. */
  undeclared: Array<{ name: string; called: boolean }>;
  /** Calls to jsPolicy globals by name, e.g. `{deny: 2, mutate: 1}`. */
  calls: Record<string, number>;
  /** `request.object.kind === 'X'` and the like. */
  kindComparisons: KindComparison[];
  /** First two arguments of get()/list() when they are string literals. */
  lookups: Array<{ fn: 'get' | 'list'; kind: string; apiVersion?: string }>;
  /** Last property names assigned or deleted anywhere (`c.imagePullPolicy = …` → imagePullPolicy). */
  assignedProperties: string[];
  /** The code compares request.operation with a literal (it can tell CREATE from UPDATE). */
  checksOperation: boolean;
  /** String literals that look like namespace names (DNS labels), for scope experiments. */
  nameLiterals: string[];
  /**
   * References to host functions with side effects (SIDE_EFFECT_GLOBALS), by any route the text shows: a call,
   * an alias (`const r = remove`), `globalThis.remove`, `globalThis['remove']`, `this.remove`.
   */
  sideEffectRefs: Record<string, number>;
  /** Ways the code reaches globals the text does not name: `globalThis[expr]`, `this[expr]`, eval, Function, … */
  indirections: string[];
  /** ECMAScript globals the sandbox takes away (WebAssembly, SharedArrayBuffer, Atomics) that the code names. */
  unavailable: string[];
  /**
   * Verdict arguments jsPolicy cannot decode into its Go types (a 500 `json: cannot unmarshal …`): a message
   * that is a non-string literal, a code that is a string, an array or primitive literal given to mutate.
   */
  undecodable: string[];
  /**
   * Modules the code loads: `require('x')` calls and `import … from 'x'` (module code); `module` is undefined when
   * require is given a computed name. jsPolicy's webpack bundles only packages declared in spec.dependencies.
   */
  moduleLoads: Array<{ how: 'require' | 'import'; module?: string }>;
}

/**
 * Globals the sandbox removes: policies have no use for them, and WebAssembly memory, shared buffers and
 * Atomics waits escape the isolate's memory limit (issue 12). Upstream jsPolicy has them; we refuse them.
 */
export const UNAVAILABLE_GLOBALS = ['WebAssembly', 'SharedArrayBuffer', 'Atomics'] as const;

/** jsPolicy globals whose calls the sandbox records as side effects (get/list are read-only lookups). */
export const SIDE_EFFECT_GLOBALS: readonly SideEffectFn[] = SIDE_EFFECT_FNS.filter((f) => f !== 'get' && f !== 'list');
/** Names of the global object itself. */
const GLOBAL_OBJECT_NAMES = new Set(['globalThis', 'self', 'global', 'window']);
/** Globals that run text as code. */
const CODE_FROM_TEXT = new Set(['eval', 'Function']);

/**
 * What the lints need from jsPolicy code (a classic script, as jsPolicy compiles it). The code is parsed once
 * (common/policy-code.ts) and its facts kept with the tree, so the lints, the scope experiment and the
 * skill analysis of one draft share one parse. The result is shared and frozen: read it, do not change it.
 */
export function codeFacts(javascript: string): CodeFacts {
  return parsePolicyCode(javascript).derived('critic/code-facts', (parsed) => frozen(collectFacts(parsed)));
}

function collectFacts(parsed: PolicyCodeFacts): CodeFacts {
  const facts: CodeFacts = {
    usesImport: false,
    usesAsync: false,
    unavailable: [],
    undecodable: [],
    moduleLoads: [],
    undeclared: [],
    calls: {},
    kindComparisons: [],
    lookups: [],
    assignedProperties: [],
    checksOperation: false,
    nameLiterals: [],
    sideEffectRefs: {},
    indirections: [],
  };
  let ast: Node;
  if (parsed.script && parsed.plainScriptError === undefined) {
    ast = parsed.script;
  } else {
    // `import` only parses as a module; jsPolicy accepts that only through its dependencies bundling step.
    const module = parsed.module;
    if (!module) {
      facts.syntaxError = parsed.plainScriptError;
      return facts;
    }
    ast = module;
    facts.usesImport = true;
  }

  const declared = new Set<string>();
  const referenced = new Map<string, boolean>(); // name → called somewhere
  const addPattern = (p: Pattern | null | undefined): void => {
    if (!p) return;
    switch (p.type) {
      case 'Identifier':
        declared.add(p.name);
        break;
      case 'ObjectPattern':
        for (const prop of p.properties) addPattern(prop.type === 'RestElement' ? prop.argument : prop.value);
        break;
      case 'ArrayPattern':
        for (const el of p.elements) addPattern(el);
        break;
      case 'RestElement':
        addPattern(p.argument);
        break;
      case 'AssignmentPattern':
        addPattern(p.left);
        break;
      default:
        break;
    }
  };

  full(ast, (node: AnyNode) => {
    switch (node.type) {
      case 'VariableDeclarator':
        addPattern(node.id);
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if ('id' in node && node.id) declared.add(node.id.name);
        for (const p of node.params) addPattern(p);
        if (node.async) facts.usesAsync = true;
        break;
      case 'ClassDeclaration':
        if (node.id) declared.add(node.id.name);
        break;
      case 'CatchClause':
        addPattern(node.param);
        break;
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
        declared.add(node.local.name);
        break;
      case 'ImportExpression':
        facts.usesImport = true;
        break;
      case 'ImportDeclaration':
        if (typeof node.source.value === 'string') facts.moduleLoads.push({ how: 'import', module: node.source.value });
        break;
      case 'AwaitExpression':
        facts.usesAsync = true;
        break;
      case 'Literal':
        if (typeof node.value === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(node.value))
          facts.nameLiterals.push(node.value);
        break;
      default:
        break;
    }
  });

  simple(ast, {
    Identifier(node) {
      if (!referenced.has(node.name)) referenced.set(node.name, false);
    },
    CallExpression(node) {
      const callee = node.callee;
      if (callee.type === 'Identifier') {
        referenced.set(callee.name, true);
        facts.calls[callee.name] = (facts.calls[callee.name] ?? 0) + 1;
        noteUndecodable(facts, callee.name, node.arguments as AnyNode[]);
        if (callee.name === 'require') {
          const name = node.arguments[0];
          facts.moduleLoads.push({
            how: 'require',
            ...(name?.type === 'Literal' && typeof name.value === 'string' ? { module: name.value } : {}),
          });
        }
        if (
          (callee.name === 'get' || callee.name === 'list') &&
          node.arguments[0]?.type === 'Literal' &&
          typeof node.arguments[0].value === 'string'
        ) {
          const v = node.arguments[1];
          facts.lookups.push({
            fn: callee.name,
            kind: node.arguments[0].value,
            ...(v?.type === 'Literal' && typeof v.value === 'string' ? { apiVersion: v.value } : {}),
          });
        }
      }
    },
    BinaryExpression(node) {
      if (!['===', '==', '!==', '!='].includes(node.operator)) return;
      for (const [a, b] of [
        [node.left, node.right],
        [node.right, node.left],
      ] as const) {
        const path = memberPath(a as AnyNode);
        if (!path || b.type !== 'Literal' || typeof b.value !== 'string') continue;
        noteComparison(facts, path, b.value);
      }
    },
    SwitchStatement(node) {
      const path = memberPath(node.discriminant as AnyNode);
      if (!path) return;
      for (const c of node.cases)
        if (c.test?.type === 'Literal' && typeof c.test.value === 'string') noteComparison(facts, path, c.test.value);
    },
    AssignmentExpression(node) {
      if (node.left.type === 'MemberExpression') {
        const name = propertyName(node.left);
        if (name) facts.assignedProperties.push(name);
      }
    },
    UnaryExpression(node) {
      if (node.operator === 'delete' && node.argument.type === 'MemberExpression') {
        const name = propertyName(node.argument);
        if (name) facts.assignedProperties.push(name);
      }
    },
  });

  noteIndirection(ast, declared, facts);

  const es = ecmaScriptGlobals();
  const jsp = new Set<string>(JSPOLICY_GLOBALS);
  const unavailable = new Set<string>(UNAVAILABLE_GLOBALS);
  for (const [name, called] of referenced) {
    if (unavailable.has(name) && !declared.has(name)) facts.unavailable.push(name);
    if (declared.has(name) || es.has(name) || jsp.has(name) || name === 'arguments') continue;
    facts.undeclared.push({ name, called });
  }
  facts.nameLiterals = [...new Set(facts.nameLiterals)];
  return facts;
}

/** Shared facts are frozen (two levels: the lists and their entries), so no reader can change another's. */
function frozen(facts: CodeFacts): CodeFacts {
  for (const value of Object.values(facts)) {
    if (Array.isArray(value)) for (const item of value) if (typeof item === 'object') Object.freeze(item);
    if (typeof value === 'object') Object.freeze(value);
  }
  return Object.freeze(facts);
}

/** What upstream's Go decoding would reject in a verdict call whose arguments are literals. */
function noteUndecodable(facts: CodeFacts, fn: string, args: AnyNode[]): void {
  const literal = (
    n: AnyNode | undefined,
  ): 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' | undefined => {
    if (!n) return undefined;
    if (n.type === 'Literal') return n.value === null ? 'null' : (typeof n.value as 'string' | 'number' | 'boolean');
    if (n.type === 'TemplateLiteral') return 'string';
    if (n.type === 'ArrayExpression') return 'array';
    if (n.type === 'ObjectExpression') return 'object';
    return undefined;
  };
  const note = (what: string): void => {
    if (!facts.undecodable.includes(what)) facts.undecodable.push(what);
  };
  if (fn === 'deny' || fn === 'warn') {
    const message = literal(args[0]);
    if (message && message !== 'string' && message !== 'null')
      note(`${fn}() with a ${message} message (jsPolicy expects a string)`);
    const reason = literal(args[1]);
    if (fn === 'deny' && reason && reason !== 'string' && reason !== 'null')
      note(`deny() with a ${reason} reason (jsPolicy expects a string)`);
    const code = literal(args[2]);
    if (fn === 'deny' && code && code !== 'number')
      note(`deny() with a ${code} code (jsPolicy expects a whole number)`);
  }
  if (fn === 'mutate') {
    const patched = literal(args[0]);
    if (patched && patched !== 'object') note(`mutate() with a ${patched} (jsPolicy expects the changed object)`);
  }
}

/**
 * Side-effect references by any route, and reaches for globals by computed names. A first line only: code
 * can always hide a name better than a lint can read it, so verify() judges what the sandbox recorded.
 */
function noteIndirection(ast: Node, declared: Set<string>, facts: CodeFacts): void {
  const effects = new Set<string>(SIDE_EFFECT_GLOBALS);
  const note = (what: string): void => {
    if (!facts.indirections.includes(what)) facts.indirections.push(what);
  };
  const refer = (name: string): void => {
    facts.sideEffectRefs[name] = (facts.sideEffectRefs[name] ?? 0) + 1;
  };
  // `this` is the global object except inside classes and object methods (policy code is a sloppy script).
  const inMethod = (ancestors: Node[]): boolean =>
    ancestors.some(
      (a) =>
        a.type === 'ClassBody' ||
        a.type === 'MethodDefinition' ||
        (a.type === 'Property' && /Function/.test((a as AnyNode & { value: Node }).value?.type ?? '')),
    );
  const isGlobalObject = (n: AnyNode, ancestors: Node[]): boolean =>
    (n.type === 'Identifier' && GLOBAL_OBJECT_NAMES.has(n.name) && !declared.has(n.name)) ||
    (n.type === 'ThisExpression' && !inMethod(ancestors));
  ancestor(ast, {
    Identifier(node, _state, ancestors) {
      if (declared.has(node.name)) return;
      if (effects.has(node.name)) refer(node.name);
      if (CODE_FROM_TEXT.has(node.name)) note(`${node.name} (runs text as code)`);
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      if (GLOBAL_OBJECT_NAMES.has(node.name) && !(parent?.type === 'MemberExpression' && parent.object === node))
        note(`${node.name} used as a value`);
    },
    ThisExpression(node, _state, ancestors) {
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      if (!inMethod(ancestors) && !(parent?.type === 'MemberExpression' && parent.object === node))
        note('this (the global object) used as a value');
    },
    MemberExpression(node, _state, ancestors) {
      const key =
        !node.computed && node.property.type === 'Identifier'
          ? node.property.name
          : node.property.type === 'Literal' && typeof node.property.value === 'string'
            ? node.property.value
            : undefined;
      if (isGlobalObject(node.object as AnyNode, ancestors)) {
        const holder = node.object.type === 'ThisExpression' ? 'this' : (node.object as { name: string }).name;
        if (key === undefined) note(`${holder}[…] (a global chosen by a computed name)`);
        else if (effects.has(key)) refer(key);
        else if (CODE_FROM_TEXT.has(key)) note(`${holder}.${key} (runs text as code)`);
      }
      // `[].constructor.constructor('return this')()`: the Function constructor reached through any value.
      const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
      if (
        key === 'constructor' &&
        (parent?.type === 'CallExpression' || parent?.type === 'NewExpression') &&
        parent.callee === node
      )
        note('….constructor(…) (the Function constructor reached through a value)');
      if (
        key === 'constructor' &&
        parent?.type === 'MemberExpression' &&
        parent.object === node &&
        !parent.computed &&
        parent.property.type === 'Identifier' &&
        parent.property.name === 'constructor'
      ) {
        note('….constructor.constructor (the Function constructor reached through a value)');
      }
      // The constructor of a function, or of a prototype read from one: Function, AsyncFunction, GeneratorFunction.
      const owner = node.object as AnyNode;
      const ofPrototype =
        owner.type === 'CallExpression' &&
        owner.callee.type === 'MemberExpression' &&
        !owner.callee.computed &&
        owner.callee.property.type === 'Identifier' &&
        owner.callee.property.name === 'getPrototypeOf';
      if (key === 'constructor' && (/Function|Class/.test(owner.type) || ofPrototype))
        note('….constructor of a function (the Function constructor reached through a value)');
    },
    WithStatement() {
      note('with (…) (names resolved through an object)');
    },
  });
}

function noteComparison(facts: CodeFacts, path: string[], value: string): void {
  const joined = path.join('.');
  if (joined === 'request.operation') facts.checksOperation = true;
  if (
    path[0] === 'request' &&
    path.length === 3 &&
    path[2] === 'kind' &&
    ['object', 'oldObject', 'kind', 'requestKind'].includes(path[1])
  ) {
    facts.kindComparisons.push({ path: joined, kind: value });
  }
}

/** `request.object?.kind` → ['request', 'object', 'kind']; anything not a plain member chain → undefined. */
export function memberPath(node: AnyNode): string[] | undefined {
  let n: AnyNode = node;
  if (n.type === 'ChainExpression') n = n.expression as AnyNode;
  const parts: string[] = [];
  while (n.type === 'MemberExpression') {
    if (!n.computed && n.property.type === 'Identifier') parts.unshift(n.property.name);
    else if (n.computed && n.property.type === 'Literal' && typeof n.property.value === 'string')
      parts.unshift(n.property.value);
    else return undefined;
    n = n.object as AnyNode;
  }
  if (n.type !== 'Identifier') return undefined;
  parts.unshift(n.name);
  return parts;
}

function propertyName(node: AnyNode): string | undefined {
  if (node.type !== 'MemberExpression') return undefined;
  if (!node.computed && node.property.type === 'Identifier') return node.property.name;
  if (node.property.type === 'Literal' && typeof node.property.value === 'string') return node.property.value;
  return undefined;
}
