/**
 * Just enough of Rego's term syntax to read the object literals in a policy library's `*_test.rego` files: objects,
 * arrays and sets of strings, numbers, booleans and null, with `#` comments and trailing commas, and the names a test
 * builds its input from (a local `inp := {…}`, a file-level constant, a one-line helper `build_pod(sc) := {…}`, a
 * table entry `tc.image`). Anything else (an operator, a comprehension, a built-in call) is not a literal and throws,
 * so a test whose input we cannot read exactly is left out, never guessed at. No Rego is evaluated beyond that.
 */

export type RegoValue = null | boolean | number | string | RegoValue[] | { [key: string]: RegoValue };

/** A term as written: a literal, or a name to look up (`tc.image`), or a call of a helper. */
export type RegoTerm =
  | { t: 'lit'; v: null | boolean | number | string }
  | { t: 'obj'; entries: Array<[RegoTerm, RegoTerm]> }
  | { t: 'arr'; items: RegoTerm[] }
  | { t: 'set'; items: RegoTerm[] }
  | { t: 'ref'; name: string; path: string[] }
  | { t: 'call'; name: string; args: RegoTerm[] };

export class NotALiteral extends Error {}

/** Parses one term of `text` starting at `start`; returns it and the offset just after it. */
export function parseTerm(text: string, start: number): { term: RegoTerm; end: number } {
  let i = start;
  const fail = (what: string): never => {
    throw new NotALiteral(`${what} at offset ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
  };
  const skip = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text[i] !== '#') return;
      while (i < text.length && text[i] !== '\n') i++;
    }
  };
  const eat = (c: string): boolean => {
    skip();
    if (text[i] !== c) return false;
    i++;
    return true;
  };
  const ident = (): string | undefined => {
    skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 200));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const list = (close: string): RegoTerm[] => {
    const items: RegoTerm[] = [];
    while (!eat(close)) {
      items.push(term());
      if (!eat(',')) {
        if (!eat(close)) fail(`expected , or ${close}`);
        break;
      }
    }
    return items;
  };
  const term = (): RegoTerm => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      if (eat('}')) return { t: 'obj', entries: [] };
      const first = term();
      if (eat(':')) {
        const entries: Array<[RegoTerm, RegoTerm]> = [[first, term()]];
        while (eat(',')) {
          if (eat('}')) return { t: 'obj', entries };
          const key = term();
          if (!eat(':')) fail('expected :');
          entries.push([key, term()]);
        }
        if (!eat('}')) fail('expected } after an object');
        return { t: 'obj', entries };
      }
      if (eat('}')) return { t: 'set', items: [first] };
      if (!eat(',')) fail('expected , in a set');
      return { t: 'set', items: [first, ...list('}')] };
    }
    if (c === '[') {
      i++;
      return { t: 'arr', items: list(']') };
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(text.slice(i));
      if (!m) return fail('unterminated string');
      i += m[0].length;
      return { t: 'lit', v: JSON.parse(m[0]) as string };
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw string');
      const v = text.slice(i + 1, end);
      i = end + 1;
      return { t: 'lit', v };
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?(?![A-Za-z_])/.exec(text.slice(i, i + 50));
    if (num) {
      i += num[0].length;
      return { t: 'lit', v: Number(num[0]) };
    }
    const name = ident();
    if (!name) return fail('not a term');
    if (name === 'true' || name === 'false') return { t: 'lit', v: name === 'true' };
    if (name === 'null') return { t: 'lit', v: null };
    if (text[i] === '(') {
      i++;
      return { t: 'call', name, args: list(')') };
    }
    const path: string[] = [];
    while (text[i] === '.') {
      i++;
      const part = ident();
      path.push(part ?? fail('expected a name after .'));
    }
    if (text[i] === '[') fail('an indexed reference');
    return { t: 'ref', name, path };
  };
  const out = term();
  // A term followed by an operator (`x + 1`, `a == b`) is an expression, not a literal.
  const after = /^[ \t]*([-+*/%&|]|==|!=|<|>)/.exec(text.slice(i, i + 10));
  if (after) fail('an expression');
  return { term: out, end: i };
}

/** `text` without its `#` comments (a `#` inside a string or raw string is kept), line structure unchanged. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"?/.exec(text.slice(i))?.[0] ?? c;
      out += m;
      i += m.length;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const stop = end < 0 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Where names come from when a term is evaluated. */
export interface RegoScope {
  /** Locals and table variables (`tc`), then file-level constants. */
  values: Map<string, RegoValue>;
  /** One-expression helpers: `name(params) := body`. */
  functions: Map<string, { params: string[]; body: RegoTerm }>;
}

/** The value of a term; throws NotALiteral for a name it cannot resolve or a set (no JSON form). */
export function evaluate(term: RegoTerm, scope: RegoScope, depth = 0): RegoValue {
  if (depth > 20) throw new NotALiteral('helpers nest too deep');
  switch (term.t) {
    case 'lit':
      return term.v;
    case 'arr':
      return term.items.map((x) => evaluate(x, scope, depth));
    case 'set':
      throw new NotALiteral('a set, which has no JSON form');
    case 'obj': {
      const out: Record<string, RegoValue> = {};
      for (const [k, v] of term.entries) {
        const key = evaluate(k, scope, depth);
        if (typeof key !== 'string') throw new NotALiteral('an object key that is not a string');
        out[key] = evaluate(v, scope, depth);
      }
      return out;
    }
    case 'ref': {
      if (!scope.values.has(term.name)) throw new NotALiteral(`the name ${term.name} is not defined in the test file`);
      let v: RegoValue | undefined = scope.values.get(term.name);
      for (const p of term.path) {
        if (!v || typeof v !== 'object' || Array.isArray(v) || !(p in v)) {
          throw new NotALiteral(`${[term.name, ...term.path].join('.')} is not defined`);
        }
        v = v[p];
      }
      return v as RegoValue;
    }
    case 'call': {
      const fn = scope.functions.get(term.name);
      if (!fn || fn.params.length !== term.args.length) {
        throw new NotALiteral(`${term.name}(…) is not a helper of the test file`);
      }
      const values = new Map(scope.values);
      fn.params.forEach((p, i) => values.set(p, evaluate(term.args[i], scope, depth + 1)));
      return evaluate(fn.body, { ...scope, values }, depth + 1);
    }
  }
}
