import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';

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
export function instrumentPolicy(javascript: string, stopName: string, doneName: string): { code: string; instrumented: boolean } {
  let ast: Node;
  try {
    ast = parse(javascript, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
  } catch {
    return { code: javascript, instrumented: false };
  }
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
