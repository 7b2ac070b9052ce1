import { writeFile, readFile } from 'node:fs/promises';
import { cpus, totalmem, loadavg } from 'node:os';
import { assetPath } from '../common/index.js';
import { BENCHES } from './benches.js';

/**
 * `npm run bench [name …]`: runs every benchmark listed in benches.ts (or the named ones) and rewrites their
 * sections of docs/benchmarks.md, noting the machine. Each bench module exports `run()` returning a section.
 */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(BENCHES);
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  const file = assetPath('docs', 'benchmarks.md');
  for (const name of names) {
    process.stderr.write(`bench ${name} …\n`);
    const machineLine = machine();
    const section = await (await BENCHES[name]()).run();
    const body = `<!-- bench:${name} -->\n## ${section.title}\n\n${machineLine}\n\n${section.markdown.trim()}\n<!-- /bench:${name} -->`;
    process.stdout.write(`${body}\n\n`);
    // read just before writing: a benchmark runs for minutes, and the other sections may be edited meanwhile
    const doc = await readFile(file, 'utf8').catch(
      () => '# Benchmarks\n\nWritten by `npm run bench`; each section is replaced when its benchmark runs again.\n',
    );
    const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
    await writeFile(file, re.test(doc) ? doc.replace(re, () => body) : `${doc.trimEnd()}\n\n${body}\n`);
  }
}

function machine(): string {
  const cpu = cpus();
  return `_Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(2)} at start, ${new Date().toISOString().slice(0, 10)}._`;
}

await main();
