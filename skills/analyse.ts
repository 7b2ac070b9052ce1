import type { AnyNode, Comment, Function as FunctionNode, Node, Pattern } from 'acorn';
import { full } from 'acorn-walk';
import { parsePolicyCode } from '../common/policy-code.js';

/** A top-level function of a script, as written. */
export interface FunctionInfo {
  name: string;
  /** The declaration's source text (converted to a declaration when written as `const f = (…) => …`). */
  code: string;
  start: number;
  end: number;
  /** A comment right above it (`// …` lines or a block comment), without the markers. */
  comment?: string;
  /** Identifiers it references. */
  references: Set<string>;
  /** Names it uses without declaring them (globals, other top-level functions). */
  free: Set<string>;
  /** `function` declarations can be wrapped at run time (tracing); `const` ones cannot. */
  form: 'function' | 'const';
}

/** Every identifier name used in the code (a superset of what it calls; good enough to pick skills). */
export function referencedIdentifiers(code: string): Set<string> {
  const program = parsePolicyCode(code).script;
  const names = new Set<string>();
  if (!program) {
    // Unparseable code still gets its skills: fall back to a word scan.
    for (const m of code.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(m[0]);
    return names;
  }
  full(program, (node) => {
    if (node.type === 'Identifier') names.add(node.name);
  });
  return names;
}

/** Names declared at the top level of a script (functions, variables, classes). */
export function topLevelDeclarations(code: string): Set<string> {
  const program = parsePolicyCode(code).script;
  const names = new Set<string>();
  if (!program) {
    for (const m of code.matchAll(/\bfunction\s+([A-Za-z_$][\w$]*)\s*\(/g)) names.add(m[1]);
    for (const m of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
    return names;
  }
  for (const stmt of program.body) {
    if ((stmt.type === 'FunctionDeclaration' || stmt.type === 'ClassDeclaration') && stmt.id) names.add(stmt.id.name);
    if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations) if (d.id.type === 'Identifier') names.add(d.id.name);
    }
  }
  return names;
}

/**
 * The top-level functions of a script: `function f(…) {…}` and `const f = (…) => …` / `function (…) {…}`
 * (rewritten as declarations so every skill has one shape).
 */
export function topLevelFunctions(code: string): FunctionInfo[] {
  const { script: program, comments } = parsePolicyCode(code);
  if (!program) return [];
  const out: FunctionInfo[] = [];
  for (const stmt of program.body) {
    if (stmt.type === 'FunctionDeclaration' && !stmt.generator && !stmt.async) {
      const text = code.slice(stmt.start, stmt.end);
      out.push({
        name: stmt.id.name,
        code: text,
        start: stmt.start,
        end: stmt.end,
        comment: commentAbove(code, comments, stmt.start),
        references: refsOf(stmt.body),
        free: freeIdentifiers(stmt),
        form: 'function',
      });
      continue;
    }
    if (stmt.type === 'VariableDeclaration' && stmt.kind === 'const' && stmt.declarations.length === 1) {
      const d = stmt.declarations[0];
      const init = d.init;
      if (d.id.type !== 'Identifier' || !init) continue;
      if (init.type !== 'ArrowFunctionExpression' && init.type !== 'FunctionExpression') continue;
      if (init.async || init.generator) continue;
      const params = init.params.map((p) => code.slice(p.start, p.end)).join(', ');
      const body =
        init.body.type === 'BlockStatement'
          ? code.slice(init.body.start, init.body.end)
          : `{\n  return ${code.slice(init.body.start, init.body.end)};\n}`;
      // An arrow function has no own `this`/`arguments`; helpers that use them are left alone.
      const refs = refsOf(init.body);
      if (init.type === 'ArrowFunctionExpression' && (refs.has('arguments') || usesThis(init.body))) continue;
      out.push({
        name: d.id.name,
        code: `function ${d.id.name}(${params}) ${body}`,
        start: stmt.start,
        end: stmt.end,
        comment: commentAbove(code, comments, stmt.start),
        references: refs,
        free: freeIdentifiers(init),
        form: 'const',
      });
    }
  }
  return out;
}

function refsOf(node: Node): Set<string> {
  const names = new Set<string>();
  full(node, (n) => {
    if (n.type === 'Identifier') names.add(n.name);
  });
  return names;
}

function usesThis(node: Node): boolean {
  let found = false;
  full(node, (n) => {
    if (n.type === 'ThisExpression') found = true;
  });
  return found;
}

function commentAbove(code: string, comments: readonly Comment[], start: number): string | undefined {
  const lines: string[] = [];
  let cursor = start;
  for (let i = comments.length - 1; i >= 0; i--) {
    const c = comments[i];
    if (c.end > cursor) continue;
    if (code.slice(c.end, cursor).trim() !== '') break;
    lines.unshift(c.type === 'Block' ? c.value.replace(/^\s*\*+/gm, '').trim() : c.value.trim());
    cursor = c.start;
  }
  const text = lines.join(' ').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

/**
 * Identifiers a function uses but does not declare itself (parameters, variables, inner functions and
 * catch parameters anywhere inside count as declared; scopes are not told apart, which only errs towards
 * calling a name declared).
 */
export function freeIdentifiers(fn: FunctionNode): Set<string> {
  const declared = new Set<string>();
  const notReferences = new Set<AnyNode>();
  const addPattern = (p: Pattern | null | undefined): void => {
    if (!p) return;
    if (p.type === 'Identifier') {
      declared.add(p.name);
      notReferences.add(p);
    } else if (p.type === 'ObjectPattern') {
      for (const prop of p.properties) addPattern(prop.type === 'RestElement' ? prop.argument : prop.value);
    } else if (p.type === 'ArrayPattern') p.elements.forEach(addPattern);
    else if (p.type === 'RestElement') addPattern(p.argument);
    else if (p.type === 'AssignmentPattern') addPattern(p.left);
  };
  if (fn.id) declared.add(fn.id.name);
  full(fn, (n) => {
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      if (n.id) {
        declared.add(n.id.name);
        notReferences.add(n.id);
      }
      n.params.forEach(addPattern);
    } else if (n.type === 'VariableDeclarator') addPattern(n.id);
    else if (n.type === 'CatchClause') addPattern(n.param);
    else if (n.type === 'MemberExpression' && !n.computed) notReferences.add(n.property);
    else if (
      (n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') &&
      !n.computed &&
      !(n.type === 'Property' && n.shorthand)
    )
      notReferences.add(n.key);
    else if (n.type === 'LabeledStatement' || n.type === 'BreakStatement' || n.type === 'ContinueStatement') {
      if (n.label) notReferences.add(n.label);
    }
  });
  const free = new Set<string>();
  full(fn, (n) => {
    if (n.type === 'Identifier' && !notReferences.has(n) && !declared.has(n.name)) free.add(n.name);
  });
  return free;
}
