/** A benchmark returns one markdown section of docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  markdown: string;
}

export type BenchModule = { run: () => Promise<BenchSection> };

/** name → lazy import of a module exporting run(). Add one line per benchmark with a targeted edit. */
export const BENCHES: Record<string, () => Promise<BenchModule>> = {};
BENCHES.retrieval = () => import('./retrieval.js');
BENCHES.fuzz = () => import('./fuzz.js');
BENCHES.sandbox = () => import('./sandbox.js');
BENCHES.generate = () => import('./generate.js');
BENCHES.load = () => import('./load.js');
BENCHES.operator = () => import('./operator.js');
BENCHES['library-prompts'] = () => import('./library-prompts.js');
BENCHES.corpus = () => import('./corpus.js');
BENCHES.impact = () => import('./impact.js');
BENCHES['sandbox-process'] = () => import('./sandbox-process.js');
BENCHES['cli-startup'] = () => import('./cli-startup.js');
