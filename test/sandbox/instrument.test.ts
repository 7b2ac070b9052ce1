import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../sandbox/index.js';
import { instrumentPolicy, wrapPolicy } from '../../sandbox/instrument.js';

/** V8's compile verdict, from an engine of this test's own (the sandbox keeps no module-global engine). */
const checkEngine = new PolicyEngine({ memoryLimitMb: 16, maxContexts: 1 });
const checkCompiles = (javascript: string) => checkEngine.checkCompiles(javascript);

// The rewrite that keeps try/catch/finally from swallowing the verdict must leave valid code behind.
const SOURCES = [
  "try { deny('x') } catch (e) { allow() }",
  'try { a() } catch { b() } finally { c() }',
  'try {} finally {}',
  'function f() { try { try { g() } catch (e) { throw e } finally { h() } } catch ({ message }) { print(message) } }',
  'async function f() { try { await x } catch (e) {} } function* g() { try { yield 1 } finally { cleanup() } }',
  'class A { static { try { init() } catch (e) {} } m() { try { return 1 } finally { done() } } }',
  'const f = () => { try { return 1 } catch (e) { return 2 } }; label: for (;;) { try { break label } finally { x() } }',
];

describe('instrumentPolicy', () => {
  it.each(SOURCES)('keeps %s compilable and guards every catch and finally', (source) => {
    const { code, instrumented } = instrumentPolicy(source, '__stop', '__done');
    expect(instrumented).toBe(true);
    expect(checkCompiles(wrapPolicy(code))).toEqual({ ok: true });
    const catches = (source.match(/catch\s*(\([^)]*\))?\s*\{/g) ?? []).length;
    const finals = (source.match(/finally\s*\{/g) ?? []).length;
    expect(code.split('__stop();').length - 1).toBe(catches);
    expect(code.split('if (!__done()) {').length - 1).toBe(finals);
  });

  it('leaves code acorn cannot parse as written (V8 has the last word on syntax)', () => {
    expect(instrumentPolicy('if (', '__stop', '__done')).toEqual({ code: 'if (', instrumented: false });
  });
});
