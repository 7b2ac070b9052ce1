import { parse, type Comment, type Node, type Program } from 'acorn';
import { ancestor } from 'acorn-walk';

/**
 * Policy javascript, parsed once. The critic's lints (critic/code-facts.ts), the skill analysis
 * (skills/analyse.ts), the sandbox's rewrite of the policy (sandbox/instrument.ts) and its choice to bundle
 * (sandbox/bundle.ts) all read the same acorn tree, so one verify parses a draft once however many of them
 * look at it. Trees are shared: readers must not change them.
 *
 * The parse is the widest of theirs: a classic script (as jsPolicy compiles it), with a top-level return
 * allowed (webpack's function wrapper allows it), a hashbang, locations and comments. What the narrower
 * readings would have said is derived from it (`plainScriptError`), or parsed only on demand (`module`).
 */
export interface PolicyCodeFacts {
  readonly code: string;
  /** The script's tree; undefined when the code is not one whole script even with a top-level return. */
  readonly script?: Program;
  /** acorn's message when `script` is undefined. */
  readonly scriptError?: string;
  /** Every comment of the script, in source order (empty when it does not parse). */
  readonly comments: readonly Comment[];
  /**
   * acorn's message for the code read as a plain script, with no top-level return (what a lint reports);
   * undefined when it parses so.
   */
  readonly plainScriptError: string | undefined;
  /** The code's tree as an ES module (`import`/`export`), parsed on first use and only when `script` is undefined. */
  readonly module: Program | undefined;
  /**
   * A reader's own facts, computed once per code and kept with the tree (key: one constant per reader and
   * option set). The value is shared by every caller: treat it as read-only.
   */
  derived<T>(key: string, compute: (code: PolicyCodeFacts) => T): T;
}

/** Codes whose facts are kept (least recently used dropped first): one verify reads one draft many times. */
export const POLICY_CODE_CACHE_SIZE = 16;
/**
 * Longer codes are parsed every time and not kept: a tree with locations costs tens of times its source,
 * and what is that long is a webpack bundle (lodash and all), read once per sandbox context.
 */
export const POLICY_CODE_CACHE_MAX_CHARS = 64 * 1024;

const SCRIPT_OPTIONS = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  allowHashBang: true,
  allowReturnOutsideFunction: true,
  locations: true,
} as const;
const PLAIN_SCRIPT_OPTIONS = { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true } as const;
const MODULE_OPTIONS = { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, locations: true } as const;

const cache = new Map<string, PolicyCodeFacts>();
let parses = 0;

/** How many times acorn has parsed policy code in this process (tests pin "one parse per verify" with it). */
export function policyCodeParses(): number {
  return parses;
}

function acornParse(code: string, options: Parameters<typeof parse>[1]): Program {
  parses++;
  return parse(code, options);
}

/** The facts of `code`, from the cache when it was parsed recently. */
export function parsePolicyCode(code: string): PolicyCodeFacts {
  const known = cache.get(code);
  if (known) {
    cache.delete(code);
    cache.set(code, known); // most recently used last
    return known;
  }
  const facts = build(code);
  if (code.length > POLICY_CODE_CACHE_MAX_CHARS) return facts;
  cache.set(code, facts);
  if (cache.size > POLICY_CODE_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return facts;
}

function build(code: string): PolicyCodeFacts {
  const comments: Comment[] = [];
  let script: Program | undefined;
  let scriptError: string | undefined;
  try {
    script = acornParse(code, { ...SCRIPT_OPTIONS, onComment: comments });
  } catch (err) {
    scriptError = (err as Error).message;
    comments.length = 0;
  }
  const derivedValues = new Map<string, unknown>();
  let plain: { error: string | undefined } | undefined;
  let module: { tree: Program | undefined } | undefined;
  const facts: PolicyCodeFacts = {
    code,
    script,
    scriptError,
    comments,
    get plainScriptError(): string | undefined {
      plain ??= { error: script ? topLevelReturnError(script) : plainParseError(code) };
      return plain.error;
    },
    get module(): Program | undefined {
      if (!module) {
        let tree: Program | undefined;
        if (!script) {
          try {
            tree = acornParse(code, MODULE_OPTIONS);
          } catch {
            tree = undefined;
          }
        }
        module = { tree };
      }
      return module.tree;
    },
    derived<T>(key: string, compute: (c: PolicyCodeFacts) => T): T {
      if (!derivedValues.has(key)) derivedValues.set(key, compute(facts));
      return derivedValues.get(key) as T;
    },
  };
  return facts;
}

/** What acorn says of a script that parses only with a top-level return: the first such return. */
function topLevelReturnError(script: Program): string | undefined {
  let first: Node | undefined;
  ancestor(script, {
    ReturnStatement(node, _state, ancestors) {
      if (ancestors.some((a) => /Function/.test(a.type))) return;
      if (!first || node.start < first.start) first = node;
    },
  });
  if (!first?.loc) return undefined;
  return `'return' outside of function (${first.loc.start.line}:${first.loc.start.column})`;
}

/** Code that is not a script even with a top-level return: acorn's message for it as a plain script. */
function plainParseError(code: string): string {
  try {
    acornParse(code, PLAIN_SCRIPT_OPTIONS);
  } catch (err) {
    return (err as Error).message;
  }
  // Unreachable: a plain script parse accepts less than the script parse that failed.
  return 'the code does not parse as a script';
}
