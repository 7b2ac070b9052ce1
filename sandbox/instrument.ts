import type { Node } from 'acorn';
import { full } from 'acorn-walk';
// policy-code.js directly, not the index: the sandbox child loads this file and should not pay for the logger.
import { parsePolicyCode } from '../common/policy-code.js';

/** The message for a policy whose javascript does not compile (jsPolicy then deletes its webhook). */
export const COMPILE_FAILURE = "fails to compile: jsPolicy would delete this policy's webhook (fails open)";

interface BlockNode extends Node {
  type: 'BlockStatement';
}
interface CatchNode extends Node {
  body: BlockNode;
}
interface TryNode extends Node {
  finalizer?: BlockNode | null;
}

/**
 * Rewrites the policy so that the sentinel thrown by allow/exit/deny/mutate/requeue cannot be swallowed:
 * every catch block first re-throws it (`stopName()` throws when the case is decided) and every finally
 * block runs only while the case is undecided (`doneName()`), so `finally { return … }` cannot cancel it.
 * Returns the source unchanged when acorn cannot parse it (V8 decides compile errors, not acorn); the
 * host-side "first verdict decides" rule still holds then.
 */
export function instrumentPolicy(
  javascript: string,
  stopName: string,
  doneName: string,
): { code: string; instrumented: boolean } {
  const ast = parsePolicyCode(javascript).script;
  if (!ast) return { code: javascript, instrumented: false };
  const inserts: Array<{ at: number; text: string }> = [];
  full(ast, (node) => {
    if (node.type === 'CatchClause') {
      inserts.push({ at: (node as CatchNode).body.start + 1, text: `${stopName}();` });
    } else if (node.type === 'TryStatement') {
      const fin = (node as TryNode).finalizer;
      if (fin) {
        inserts.push({ at: fin.start + 1, text: `if (!${doneName}()) {` });
        inserts.push({ at: fin.end - 1, text: '}' });
      }
    }
  });
  if (inserts.length === 0) return { code: javascript, instrumented: true };
  inserts.sort((a, b) => a.at - b.at);
  let out = '';
  let last = 0;
  for (const ins of inserts) {
    out += javascript.slice(last, ins.at) + ins.text;
    last = ins.at;
  }
  return { code: out + javascript.slice(last), instrumented: true };
}

/** The policy as a function: top-level declarations become per-call locals, the context stays clean. */
export function wrapPolicy(code: string): string {
  return `(function () {\n${code}\n})`;
}

/** Globals whose objects are built-ins: writing to them (or through a `prototype`) changes what every case sees. */
const BUILTIN_GLOBALS = new Set([
  'Object',
  'Function',
  'Array',
  'Number',
  'Boolean',
  'String',
  'Symbol',
  'BigInt',
  'Date',
  'Promise',
  'RegExp',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Intl',
  'ArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'globalThis',
  'console',
]);
const DEFINERS = new Set([
  'defineProperty',
  'defineProperties',
  'setPrototypeOf',
  'assign',
  'set',
  'deleteProperty',
  '__defineGetter__',
  '__defineSetter__',
]);

interface MemberNode extends Node {
  type: 'MemberExpression';
  object: Node;
  property: Node & { name?: string; value?: unknown };
  computed: boolean;
}

/** Walks a member chain (`A.b.prototype.c`): its root identifier and whether a link names a prototype. */
function chainOf(node: Node): { root?: string; throughPrototype: boolean } {
  let n: Node = node;
  let throughPrototype = false;
  while (n.type === 'MemberExpression') {
    const m = n as MemberNode;
    const key = m.computed ? m.property.value : m.property.name;
    if (key === 'prototype' || key === '__proto__') throughPrototype = true;
    n = m.object;
  }
  return {
    root:
      n.type === 'Identifier' ? (n as Node & { name: string }).name : n.type === 'ThisExpression' ? 'this' : undefined,
    throughPrototype,
  };
}

function touchesBuiltin(target: Node): boolean {
  if (target.type !== 'MemberExpression' && target.type !== 'Identifier') return false;
  const { root, throughPrototype } = chainOf(target);
  return throughPrototype || (root !== undefined && BUILTIN_GLOBALS.has(root) && target.type === 'MemberExpression');
}

/**
 * Does the code (visibly) change built-ins, as polyfills do (`Array.prototype.x = …`, `Object.defineProperty(String.prototype, …)`,
 * `Math.foo = …`)? jsPolicy gives every request a fresh context whose built-ins are not frozen, so such code
 * works there; the sandbox then runs each case in a fresh, unfrozen context of its own too (slower), and
 * keeps one frozen context per policy for everything else. Unparsable code answers false (V8 decides).
 */
export function changesBuiltins(javascript: string): boolean {
  const ast = parsePolicyCode(javascript).script;
  if (!ast) return false;
  let found = false;
  full(ast, (node) => {
    if (found) return;
    const n = node as Node & { left?: Node; argument?: Node; operator?: string; callee?: Node; arguments?: Node[] };
    if (n.type === 'AssignmentExpression' && n.left && touchesBuiltin(n.left)) found = true;
    else if (n.type === 'UpdateExpression' && n.argument && touchesBuiltin(n.argument)) found = true;
    else if (n.type === 'UnaryExpression' && n.operator === 'delete' && n.argument && touchesBuiltin(n.argument))
      found = true;
    else if (n.type === 'CallExpression' && n.callee?.type === 'MemberExpression') {
      const callee = n.callee as MemberNode;
      const name = callee.computed ? callee.property.value : callee.property.name;
      if (typeof name === 'string' && DEFINERS.has(name)) {
        const first = n.arguments?.[0];
        if (
          name.startsWith('__define')
            ? touchesBuiltin(callee.object) || callee.object.type === 'ThisExpression'
            : first !== undefined &&
              (touchesBuiltin(first) ||
                (first.type === 'Identifier' && BUILTIN_GLOBALS.has((first as Node & { name: string }).name)))
        )
          found = true;
      }
    }
  });
  return found;
}
